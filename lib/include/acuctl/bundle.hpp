// Writing and reading bundles (.acu): a tar archive with manifest.json first,
// manifest.sig when signed, and the project's files under model/.
#pragma once
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "acuctl/manifest.hpp"
#include "acuctl/signing.hpp"

namespace acuctl {

enum class Compression { zstd, gzip, none };
std::optional<Compression> parse_compression(std::string_view name);
std::string_view compression_name(Compression c);

struct PackageOptions {
  std::filesystem::path project;
  std::filesystem::path output;
  const PrivateKey* key = nullptr;
  Compression compression = Compression::zstd;
  int zstd_level = 3;
};

struct BundleDigest {
  std::string digest;  // "sha256:<hex>" of the bundle file
  std::uint64_t size = 0;
};

struct PackageResult {
  Manifest manifest;
  BundleDigest bundle;
};

// Validates the project and writes the bundle. The output appears only when
// complete; on any error nothing is left at `output`.
PackageResult package_project(const PackageOptions& options);

// The most a bundle may unpack to: ACUCTL_MAX_BUNDLE_SIZE (a size such as
// 32GiB) when set, else 16 GiB. Throws Error(usage) for a malformed value.
std::uint64_t configured_unpack_limit();

struct ReadOptions {
  // With keys, the bundle must carry a signature by one of them.
  const std::vector<PublicKey>* trusted = nullptr;
  std::uint64_t unpack_limit = configured_unpack_limit();
  // When set, the model files are unpacked into this directory (it must not
  // exist; it appears only once everything has been verified).
  std::optional<std::filesystem::path> extract_to;
};

struct BundleInfo {
  Manifest manifest;
  std::string manifest_bytes;
  bool signed_ = false;
  std::optional<std::string> trusted_key;  // key id of the trusted key that verified it
  BundleDigest bundle;
};

// Reads the whole bundle and checks every entry (layout, paths, types,
// duplicates, sizes, digests, signature). Throws Error(verification) naming
// the entry and the reason; Error(failure) for I/O problems.
BundleInfo verify_bundle(const std::filesystem::path& path, const ReadOptions& options);

// Reads only what inspect needs: the manifest (and whether it is signed),
// plus the digest of the whole file.
BundleInfo read_bundle_manifest(const std::filesystem::path& path);

// Verifies a detached manifest signature against trusted keys; returns the
// key id that verified or nullopt.
std::optional<std::string> find_signer(std::string_view manifest_bytes, std::string_view signature,
                                       const std::vector<PublicKey>& trusted);

}  // namespace acuctl
