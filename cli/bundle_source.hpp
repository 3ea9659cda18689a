// Where verify and inspect get a bundle from: a local .acu file now; OCI
// layouts and registries plug in here (the registry issue).
#pragma once
#include <filesystem>
#include <optional>
#include <string>

#include "acuctl/fleet.hpp"
#include "acuctl/manifest.hpp"
#include "command.hpp"

namespace acuctl::cli {

struct LocalBundle {
  std::filesystem::path path;
  std::optional<std::filesystem::path> temp_dir;  // removed on destruction
  LocalBundle() = default;
  LocalBundle(LocalBundle&&) noexcept;
  LocalBundle& operator=(LocalBundle&&) = delete;
  ~LocalBundle();
};

// Makes the bundle named by `source` available as a local file.
LocalBundle fetch_bundle(const std::string& source, const Context& ctx);

struct InspectedBundle {
  Manifest manifest;
  std::string digest;  // of the bundle (or the registry manifest for remote refs)
  std::uint64_t size = 0;
  bool is_signed = false;
};
InspectedBundle inspect_bundle(const std::string& source, const Context& ctx);

// Makes a reference usable by runners: a local file (or, once resolved
// locally, an oci: layout reference) is uploaded to every runner and becomes
// "sha256:HEX"; a registry reference is passed on for the runners to pull.
// Throws naming the runners that refused the upload.
std::string stage_on_runners(const std::string& source, const FleetOptions& fleet, const Context& ctx);

}  // namespace acuctl::cli
