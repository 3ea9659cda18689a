// acuctl inspect BUNDLE: what a bundle holds, from its manifest.
#include <iomanip>
#include <sstream>

#include "acuctl/bundle.hpp"
#include "bundle_source.hpp"
#include "command.hpp"

namespace acuctl::cli {
namespace {

std::string shape_text(const std::vector<std::int64_t>& shape) {
  std::string s = "[";
  for (std::size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

void print_text(const Context& ctx, const Manifest& m, const std::string& digest, bool is_signed) {
  const Descriptor& d = m.descriptor;
  ctx.print("name:     " + d.name);
  ctx.print("version:  " + d.version);
  ctx.print("runtime:  " + d.runtime);
  ctx.print("schema:   " + m.schema);
  ctx.print("created:  " + m.created);
  if (!digest.empty()) ctx.print("digest:   " + digest);
  ctx.print("signer:   " + (is_signed ? m.key_id.value_or("unknown key") + " (verify with: acuctl verify --key PUB)"
                                      : std::string("unsigned")));
  if (d.description) ctx.print("description: " + *d.description);
  for (const auto& [k, v] : d.labels) ctx.print("label:    " + k + "=" + v);
  for (const auto& t : d.inputs)
    ctx.print("input:    " + t.name + " " + std::string(datatype_name(t.datatype)) + " " + shape_text(t.shape));
  for (const auto& t : d.outputs)
    ctx.print("output:   " + t.name + " " + std::string(datatype_name(t.datatype)) + " " + shape_text(t.shape));
  ctx.print("files:");
  for (const auto& f : m.files) {
    std::ostringstream line;
    line << "  " << std::left << std::setw(32) << f.path << std::right << std::setw(12) << f.size << "  sha256:" << f.sha256;
    ctx.print(line.str());
  }
}

void register_inspect(CLI::App& app, Context& ctx) {
  auto source = std::make_shared<std::string>();
  auto registry = std::make_shared<RegistryFlags>();
  auto* cmd = app.add_subcommand("inspect", "Show a bundle's name, version, runtime, tensors, files and signer");
  cmd->add_option("BUNDLE", *source, "Bundle file or reference")->required();
  add_registry_flags(cmd, *registry);
  cmd->callback([source, registry, &ctx] {
    ctx.action = [source, registry, &ctx] {
      InspectedBundle b = inspect_bundle(*source, ctx, *registry);
      if (ctx.json()) {
        nlohmann::json j = manifest_to_json(b.manifest);
        j["digest"] = b.digest;
        j["signed"] = b.is_signed;
        if (!j.contains("key_id")) j["key_id"] = nullptr;
        // SPEC 4 names the signer among what inspect prints: the signing
        // key's id (the signature itself is checked by `verify --key`).
        j["signer"] = b.is_signed ? j["key_id"] : nlohmann::json(nullptr);
        if (b.size) j["size"] = b.size;
        ctx.print_json(j);
      } else {
        print_text(ctx, b.manifest, b.digest, b.is_signed);
      }
      return 0;
    };
  });
}

const RegisterCommand registered{50, register_inspect};

}  // namespace
}  // namespace acuctl::cli
