// acuctl verify BUNDLE [--key PUB]…: check every digest and, with keys, the signature.
#include "acuctl/bundle.hpp"
#include "acuctl/error.hpp"
#include "bundle_source.hpp"
#include "command.hpp"

namespace acuctl::cli {
namespace {

struct Options {
  std::string source;
  std::vector<std::string> keys;
  RegistryFlags registry;
};

void register_verify(CLI::App& app, Context& ctx) {
  auto opts = std::make_shared<Options>();
  auto* cmd = app.add_subcommand("verify", "Check a bundle's digests and, with --key, its signature");
  cmd->add_option("BUNDLE", opts->source, "Bundle file or reference")->required();
  cmd->add_option("--key", opts->keys, "Trusted public key (SPKI PEM); repeat for several");
  add_registry_flags(cmd, opts->registry);
  cmd->callback([opts, &ctx] {
    ctx.action = [opts, &ctx] {
      std::vector<PublicKey> keys;
      for (const auto& k : opts->keys) keys.push_back(PublicKey::load(k));
      LocalBundle bundle = fetch_bundle(opts->source, ctx, opts->registry);
      ReadOptions ro;
      ro.trusted = &keys;
      BundleInfo info = bundle.verify(ro);
      const Descriptor& d = info.manifest.descriptor;
      if (ctx.json()) {
        auto opt = [](const std::optional<std::string>& s) { return s ? nlohmann::json(*s) : nlohmann::json(); };
        ctx.print_json({{"verified", true}, {"name", d.name}, {"version", d.version}, {"digest", info.bundle.digest},
                        {"files", info.manifest.files.size()}, {"signed", info.signed_},
                        {"key_id", opt(info.manifest.key_id)}, {"trusted_key", opt(info.trusted_key)}});
      } else {
        ctx.print("verified " + d.name + " " + d.version + " (" + info.bundle.digest + "): " +
                  std::to_string(info.manifest.files.size()) + " files match their digests");
        if (info.trusted_key)
          ctx.print("signature: good, by trusted key " + *info.trusted_key);
        else if (info.signed_)
          ctx.print("signature: present (" + info.manifest.key_id.value_or("unknown key") +
                    "), not checked: pass --key PUB to check it");
        else
          ctx.print("signature: none (unsigned bundle)");
      }
      return 0;
    };
  });
}

const RegisterCommand registered{40, register_verify};

}  // namespace
}  // namespace acuctl::cli
