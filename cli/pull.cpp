// acuctl pull REF -o FILE: download a bundle from a registry or OCI layout,
// digest-verified while streaming; prints the manifest digest.
#include <iostream>

#include "acuctl/error.hpp"
#include "acuctl/registry.hpp"
#include "bundle_source.hpp"
#include "command.hpp"
#include "progress.hpp"

namespace acuctl::cli {
namespace {

struct Options {
  std::string reference;
  std::string output;
  RegistryFlags registry;
};

void register_pull(CLI::App& app, Context& ctx) {
  auto opts = std::make_shared<Options>();
  auto* cmd = app.add_subcommand("pull", "Download a bundle from a registry or OCI layout (digest-verified)");
  cmd->add_option("REF", opts->reference, "HOST[:PORT]/REPO[:TAG][@sha256:HEX] or oci:DIR[:TAG|@sha256:HEX]")->required();
  cmd->add_option("-o,--out", opts->output, "Bundle file to write (.acu)")->required();
  add_registry_flags(cmd, opts->registry);
  cmd->callback([opts, &ctx] {
    ctx.action = [opts, &ctx] {
      Reference ref = parse_reference(opts->reference);
      RegistryOptions options = registry_options(opts->registry);
      ProgressBar bar("pulling " + ref.str(), ctx);
      options.progress = bar.callback();
      PullResult r = pull_bundle(ref, opts->output, options);
      bar.finish();
      if (ctx.json()) {
        ctx.print_json({{"reference", r.reference}, {"digest", r.digest}, {"path", r.path.string()},
                        {"bundle_digest", r.bundle_digest}, {"size", r.size}});
      } else {
        ctx.note("pulled " + r.reference + " to " + r.path.string() + " (" + human_bytes(static_cast<double>(r.size)) +
                 ", bundle " + r.bundle_digest + ")");
        std::cout << r.digest << std::endl;
      }
      return 0;
    };
  });
}

const RegisterCommand registered{70, register_pull};

}  // namespace
}  // namespace acuctl::cli
