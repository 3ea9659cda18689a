// acuctl keygen -o KEY [--force]: a signing key pair for bundles.
#include "acuctl/signing.hpp"
#include "command.hpp"

namespace acuctl::cli {
namespace {

struct Options {
  std::string path;
  bool force = false;
};

void register_keygen(CLI::App& app, Context& ctx) {
  auto opts = std::make_shared<Options>();
  auto* cmd = app.add_subcommand("keygen", "Create an ECDSA P-256 key pair: KEY (private, 0600) and KEY.pub");
  cmd->add_option("-o,--output-key", opts->path, "Path of the private key; the public key is written beside it as KEY.pub")
      ->required();
  cmd->add_flag("--force", opts->force, "Replace existing key files");
  cmd->callback([opts, &ctx] {
    ctx.action = [opts, &ctx] {
      std::string id = generate_key_pair(opts->path, opts->force);
      if (ctx.json()) {
        ctx.print_json({{"private_key", opts->path}, {"public_key", opts->path + ".pub"}, {"key_id", id}});
      } else {
        ctx.print("wrote " + opts->path + " (private, mode 0600) and " + opts->path + ".pub");
        ctx.print("key id: " + id);
      }
      return 0;
    };
  });
}

const RegisterCommand registered{10, register_keygen};

}  // namespace
}  // namespace acuctl::cli
