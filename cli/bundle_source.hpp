// Where verify and inspect get a bundle from: a local .acu file, an OCI
// layout (oci:DIR[:TAG|@DIGEST]) or a registry reference; plus the registry
// flags every command that talks to a registry shares.
#pragma once
#include <filesystem>
#include <optional>
#include <string>

#include "acuctl/bundle.hpp"
#include "acuctl/fleet.hpp"
#include "acuctl/manifest.hpp"
#include "acuctl/registry.hpp"
#include "command.hpp"

namespace acuctl::cli {

struct RegistryFlags {
  bool plain_http = false;
  std::string connect_timeout = "10s";
};
// Adds --plain-http and --connect-timeout to `cmd`.
void add_registry_flags(CLI::App* cmd, RegistryFlags& flags);
// RegistryOptions from the flags (credentials: environment or docker config).
RegistryOptions registry_options(const RegistryFlags& flags);

struct LocalBundle {
  std::filesystem::path path;
  std::optional<std::filesystem::path> temp_dir;  // removed on destruction
  std::string source;                              // the reference as the user gave it
  // verify_bundle(path), with errors naming `source` rather than a pulled
  // bundle's temporary file.
  BundleInfo verify(const ReadOptions& options) const;
  LocalBundle() = default;
  LocalBundle(LocalBundle&&) noexcept;
  LocalBundle& operator=(LocalBundle&&) = delete;
  ~LocalBundle();
};

// Makes the bundle named by `source` available as a local file: remote
// references are pulled (digest-verified) into a temporary directory.
LocalBundle fetch_bundle(const std::string& source, const Context& ctx, const RegistryFlags& flags = {});

struct InspectedBundle {
  Manifest manifest;
  std::string digest;  // of the bundle (or the registry manifest for remote refs)
  std::uint64_t size = 0;
  bool is_signed = false;
};
// Remote references: reads the OCI manifest and config blob only.
InspectedBundle inspect_bundle(const std::string& source, const Context& ctx, const RegistryFlags& flags = {});

// Makes a reference usable by runners: a local file (or, once resolved
// locally, an oci: layout reference) is uploaded to every runner and becomes
// "sha256:HEX"; a registry reference is passed on for the runners to pull.
// Throws naming the runners that refused the upload.
std::string stage_on_runners(const std::string& source, const FleetOptions& fleet, const Context& ctx);

}  // namespace acuctl::cli
