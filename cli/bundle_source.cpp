// Resolving a bundle argument (file path today) to something readable.
#include "bundle_source.hpp"

#include "acuctl/bundle.hpp"
#include "acuctl/error.hpp"
#include "acuctl/sha256.hpp"

namespace acuctl::cli {
namespace fs = std::filesystem;

LocalBundle::LocalBundle(LocalBundle&& other) noexcept : path(std::move(other.path)), temp_dir(std::move(other.temp_dir)) {
  other.temp_dir.reset();
}

LocalBundle::~LocalBundle() {
  if (temp_dir) {
    std::error_code ec;
    fs::remove_all(*temp_dir, ec);
  }
}

LocalBundle fetch_bundle(const std::string& source, const Context&) {
  std::error_code ec;
  if (!fs::is_regular_file(source, ec))
    fail("cannot read bundle '" + source + "': no such file", "pass the path of a .acu file");
  LocalBundle b;
  b.path = source;
  return b;
}

InspectedBundle inspect_bundle(const std::string& source, const Context& ctx) {
  LocalBundle local = fetch_bundle(source, ctx);
  BundleInfo info = read_bundle_manifest(local.path);
  return {info.manifest, info.bundle.digest, info.bundle.size, info.signed_};
}

std::string stage_on_runners(const std::string& source, const FleetOptions& fleet, const Context& ctx) {
  std::error_code ec;
  if (!fs::is_regular_file(source, ec)) {
    if (source.ends_with(".acu"))
      fail("cannot read bundle '" + source + "': no such file", "pass the path of an existing .acu file");
    // REGISTRY HOOK (CLI side): an oci: layout is to be read here and
    // uploaded like a file; registry references are passed on, and the
    // runners pull them.
    return source;
  }
  LocalBundle local = fetch_bundle(source, ctx);
  std::string digest = "sha256:" + sha256_file(local.path).hex;
  ctx.debug("uploading " + source + " (" + digest + ") to " + std::to_string(fleet.runners.size()) + " runner(s)");
  auto replies = fleet_upload(fleet, local.path, digest);
  std::string failed;
  for (const auto& r : replies)
    if (!r.ok()) failed += (failed.empty() ? "" : "; ") + r.describe();
  if (!failed.empty()) fail("cannot upload '" + source + "': " + failed);
  return digest;
}

}  // namespace acuctl::cli
