// The runner's bundle cache in its state directory, keyed by digest
// (DIR/bundles/sha256/HEX.acu, unpacked into DIR/models/HEX/), and loading a
// model from a reference: resolve, verify (digest and signature), unpack, load.
#pragma once
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "acuctl/routing.hpp"
#include "acuctl/signing.hpp"

namespace acuctl::runner {

struct TrustPolicy {
  std::vector<PublicKey> keys;  // --trust
  bool allow_unsigned = false;  // --allow-unsigned
};

class BundleCache {
 public:
  // Creates the cache directories under `state_dir` when missing.
  explicit BundleCache(std::filesystem::path state_dir);
  const std::filesystem::path& state_dir() const { return root_; }
  std::filesystem::path bundle_path(std::string_view hex) const;
  std::filesystem::path model_dir(std::string_view hex) const;
  // Copies a bundle file into the cache; returns its digest "sha256:HEX".
  std::string add_file(const std::filesystem::path& file);
  // Stores uploaded bytes under `digest` after checking that they match it.
  void add_bytes(std::string_view digest, std::string_view bytes);
  // Serializes unpacking (loads are rare and off the request path).
  std::mutex& unpack_mutex() { return unpack_mutex_; }

 private:
  std::filesystem::path root_;
  std::mutex unpack_mutex_;
};

struct ResolvedBundle {
  std::string digest;  // "sha256:HEX"
  std::filesystem::path path;  // the bundle in the cache
};

// The one place that turns a reference into a cached bundle: a path to a
// `.acu` file or `sha256:HEX` (already in the cache); `oci:` and registry
// references go through fetch_remote_bundle() in bundle_cache.cpp (the
// registry library's pull_bundle). Throws Error(usage) for a malformed
// reference, Error(failure) when it cannot be found or fetched.
ResolvedBundle resolve_bundle(const std::string& ref, BundleCache& cache, bool plain_http = false);

// A bundle resolved, verified against the trust policy and unpacked in the
// cache (DIR/models/HEX), not loaded yet.
struct VerifiedBundle {
  std::string digest;
  std::filesystem::path dir;
  Descriptor descriptor;
};

using Warn = std::function<void(const std::string&)>;

// Verifies a resolved bundle (Error(verification) when it is not signed by a
// trusted key, unless allow_unsigned, which warns) and unpacks it.
VerifiedBundle verify_and_unpack(const std::string& ref, const ResolvedBundle& bundle, BundleCache& cache,
                                 const TrustPolicy& trust, const Warn& warn);

// Loads a verified bundle with its runtime; the runtime's errors pass through.
std::shared_ptr<const LoadedModel> load_verified(const std::string& ref, const VerifiedBundle& bundle);

// Resolves `ref`, verifies the bundle against `trust` (Error(verification)
// when it is not signed by a trusted key, unless allow_unsigned, which warns),
// unpacks it into the cache and loads it with its runtime.
std::shared_ptr<const LoadedModel> load_model(const std::string& ref, BundleCache& cache,
                                              const TrustPolicy& trust, const Warn& warn);

}  // namespace acuctl::runner
