// Moving bundles as OCI artifacts (SPEC sections 4-5): references, pushing to
// and pulling from registries and OCI image-layout directories, and reading a
// remote bundle's manifest without downloading the bundle.
#pragma once
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace acuctl {

enum class ReferenceKind {
  registry,      // HOST[:PORT]/REPO[:TAG][@sha256:HEX]
  oci_layout,    // oci:DIR[:TAG|@sha256:HEX]
  local_file,    // a path to a .acu file
  cache_digest,  // sha256:HEX (a bundle in a runner's cache)
};

struct Reference {
  ReferenceKind kind = ReferenceKind::local_file;
  std::string registry;         // host[:port] (registry)
  std::string repository;       // registry
  std::string tag;              // registry, oci_layout; may be empty
  std::string digest;           // "sha256:<hex>"; may be empty (cache_digest: always set)
  std::filesystem::path path;   // oci_layout directory or local file
  std::string text;             // as the user wrote it

  // The reference in its canonical form (what messages and JSON output show).
  std::string str() const;
  // The tag or digest to fetch: digest if set, else tag, else "latest".
  std::string target() const;
};

// Parses any reference form. Throws Error(usage) naming the reference and what
// is wrong with it. An existing regular file is always a local_file; a string
// starting with "oci:" an OCI layout; "sha256:HEX" a cache digest; anything
// whose first path component looks like a host ("example.com", "host:5000",
// "localhost", "[::1]:5000") a registry reference; otherwise a path ending in
// ".acu" is a (possibly missing) local file.
Reference parse_reference(std::string_view text);

struct Credentials {
  std::string username;
  std::string password;
};

// Credentials for a registry host: ACUCTL_REGISTRY_USERNAME/PASSWORD, else the
// "auths" entry of $DOCKER_CONFIG/config.json (default ~/.docker/config.json).
// Throws Error(failure) if config.json exists but cannot be parsed.
std::optional<Credentials> lookup_credentials(std::string_view registry_host);

// Bytes done so far and the total (0 when unknown), for progress bars.
using ProgressFn = std::function<void(std::uint64_t done, std::uint64_t total)>;

struct RegistryOptions {
  bool plain_http = false;
  // When unset, lookup_credentials() is asked for the registry's host.
  std::optional<Credentials> credentials;
  std::chrono::milliseconds connect_timeout{10'000};
  // A transfer slower than 1 KiB/s for this long is treated as dropped.
  std::chrono::seconds stall_timeout{60};
  ProgressFn progress;
  // Blobs larger than this are uploaded in PATCH chunks of this size; smaller
  // ones in one PUT. 0 = always one PUT (for registries without chunked upload).
  std::uint64_t chunk_size = 256ULL << 20;
  // Attempts per request on 429, 5xx and dropped connections (with backoff).
  int max_attempts = 5;
  // pull_bundle: fsync the output before it appears (durable against power
  // loss). Off, the file still appears only complete and verified, as with
  // curl, oras or skopeo; writing back 1 GiB to disk otherwise bounds a pull
  // by the disk rather than the network.
  bool sync_output = true;
  std::chrono::milliseconds initial_backoff{500};
};

struct PushResult {
  std::string reference;        // canonical, with the tag pushed
  std::string digest;           // "sha256:…" of the OCI manifest
  std::uint64_t size = 0;       // manifest size in bytes
  std::string bundle_digest;    // the layer
  std::uint64_t bundle_size = 0;
  int blobs_uploaded = 0;       // blobs sent (the others were already there)
  int blobs_existing = 0;
};

// Pushes the bundle file to a registry or OCI layout reference (a missing tag
// means "latest"; a digest reference is refused). Blobs already present are
// not sent again.
PushResult push_bundle(const std::filesystem::path& bundle, const Reference& ref,
                       const RegistryOptions& options);

struct PullResult {
  std::string reference;        // canonical
  std::string digest;           // OCI manifest digest (local files: the bundle's)
  std::string bundle_digest;
  std::uint64_t size = 0;       // bundle size
  std::filesystem::path path;
};

// Pulls the bundle to `out`. Every byte is digest-verified while streaming;
// on a mismatch it throws Error(verification) and leaves nothing at `out`
// (the file appears only when complete and verified).
PullResult pull_bundle(const Reference& ref, const std::filesystem::path& out,
                       const RegistryOptions& options);

struct LayerDescriptor {
  std::string media_type;
  std::string digest;
  std::uint64_t size = 0;
  std::string title;
};

struct RemoteManifest {
  std::string reference;        // canonical
  std::string digest;           // of the OCI manifest
  std::string manifest_bytes;   // the OCI manifest
  std::string config_bytes;     // = the bundle's manifest.json (verified against its digest)
  LayerDescriptor layer;        // the bundle
  std::map<std::string, std::string> annotations;
};

// Fetches the OCI manifest and its config blob only (no bundle download).
RemoteManifest fetch_bundle_manifest(const Reference& ref, const RegistryOptions& options);

// The layer media type for a bundle file, from its magic bytes (zstd, gzip, else tar).
std::string_view bundle_layer_media_type(const std::filesystem::path& bundle);

}  // namespace acuctl
