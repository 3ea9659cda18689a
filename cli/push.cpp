// acuctl push BUNDLE REF: upload a bundle as an OCI artifact to a registry or
// an OCI layout; prints the manifest digest.
#include <iostream>

#include "acuctl/error.hpp"
#include "acuctl/units.hpp"
#include "acuctl/registry.hpp"
#include "bundle_source.hpp"
#include "command.hpp"
#include "progress.hpp"

namespace acuctl::cli {
namespace {

struct Options {
  std::string bundle;
  std::string reference;
  RegistryFlags registry;
  std::string chunk_size;
};

void register_push(CLI::App& app, Context& ctx) {
  auto opts = std::make_shared<Options>();
  auto* cmd = app.add_subcommand("push", "Upload a bundle to a registry or OCI layout; prints the manifest digest");
  cmd->add_option("BUNDLE", opts->bundle, "Bundle file (.acu)")->required();
  cmd->add_option("REF", opts->reference, "HOST[:PORT]/REPO[:TAG] or oci:DIR[:TAG] (tag defaults to latest)")->required();
  add_registry_flags(cmd, opts->registry);
  cmd->add_option("--chunk-size", opts->chunk_size,
                  "Upload blobs larger than this in PATCH chunks of this size (default 256MiB; 0 = one PUT)");
  cmd->callback([opts, &ctx] {
    ctx.action = [opts, &ctx] {
      Reference ref = parse_reference(opts->reference);
      if (ref.kind == ReferenceKind::local_file)
        fail_usage("cannot push to '" + opts->reference + "': it is not a registry or oci: reference",
                   "write HOST[:PORT]/REPO[:TAG] or oci:DIR[:TAG]");
      RegistryOptions options = registry_options(opts->registry);
      if (!opts->chunk_size.empty()) options.chunk_size = parse_size("--chunk-size", opts->chunk_size);
      ProgressBar bar("pushing " + opts->bundle, ctx);
      options.progress = bar.callback();
      PushResult r = push_bundle(opts->bundle, ref, options);
      bar.finish();
      if (ctx.json()) {
        ctx.print_json({{"reference", r.reference}, {"digest", r.digest}, {"size", r.size},
                        {"bundle_digest", r.bundle_digest}, {"bundle_size", r.bundle_size},
                        {"blobs_uploaded", r.blobs_uploaded}, {"blobs_existing", r.blobs_existing}});
      } else {
        ctx.note("pushed " + opts->bundle + " to " + r.reference + " (" + std::to_string(r.blobs_uploaded) +
                 " blobs uploaded, " + std::to_string(r.blobs_existing) + " already there)");
        std::cout << r.digest << std::endl;
      }
      return 0;
    };
  });
}

const RegisterCommand registered{60, register_push};

}  // namespace
}  // namespace acuctl::cli
