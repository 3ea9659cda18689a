// acuctl package DIR -o FILE.acu [--key KEY] [--compression …]: write a bundle.
#include <iostream>

#include "acuctl/bundle.hpp"
#include "acuctl/error.hpp"
#include "command.hpp"

namespace acuctl::cli {
namespace {

struct Options {
  std::string dir;
  std::string output;
  std::string key;
  std::string compression = "zstd";
};

void register_package(CLI::App& app, Context& ctx) {
  auto opts = std::make_shared<Options>();
  auto* cmd = app.add_subcommand("package", "Validate a model project and write a (signed) bundle");
  cmd->add_option("DIR", opts->dir, "Model project directory (with model.json)")->required();
  cmd->add_option("-o,--out", opts->output, "Bundle file to write (.acu)")->required();
  cmd->add_option("--key", opts->key, "Private key to sign with (PKCS#8 PEM)");
  cmd->add_option("--compression", opts->compression, "zstd (default), gzip or none")
      ->check(CLI::IsMember({"zstd", "gzip", "none"}));
  cmd->callback([opts, &ctx] {
    ctx.action = [opts, &ctx] {
      std::optional<PrivateKey> key;
      if (!opts->key.empty()) key = PrivateKey::load(opts->key);
      PackageOptions po;
      po.project = opts->dir;
      po.output = opts->output;
      po.key = key ? &*key : nullptr;
      po.compression = *parse_compression(opts->compression);
      PackageResult r = package_project(po);
      const Descriptor& d = r.manifest.descriptor;
      if (!key) ctx.warn("the bundle is unsigned; runners refuse it unless started with --allow-unsigned");
      if (ctx.json()) {
        nlohmann::json j = {{"path", opts->output}, {"digest", r.bundle.digest}, {"size", r.bundle.size},
                            {"name", d.name}, {"version", d.version}, {"files", r.manifest.files.size()},
                            {"key_id", r.manifest.key_id ? nlohmann::json(*r.manifest.key_id) : nlohmann::json()}};
        ctx.print_json(j);
      } else {
        ctx.note("packaged " + d.name + " " + d.version + " (" + std::to_string(r.manifest.files.size()) +
                 " files) into " + opts->output + (key ? ", signed by " + key->key_id() : ""));
        std::cout << r.bundle.digest << std::endl;
      }
      return 0;
    };
  });
}

const RegisterCommand registered{30, register_package};

}  // namespace
}  // namespace acuctl::cli
