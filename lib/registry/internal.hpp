// Pieces of the registry module shared between its files and with the unit
// tests: name grammars, auth challenges, docker config, the artifact manifest
// and the OCI image layout.
#pragma once
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "acuctl/registry.hpp"

namespace acuctl {

// Grammars of the distribution spec (reference.cpp).
bool is_valid_repository(std::string_view name);
bool is_valid_tag(std::string_view tag);
bool is_valid_host(std::string_view host);
bool looks_like_host(std::string_view first_component);

// One challenge of a WWW-Authenticate header (RFC 7235): scheme lower-cased,
// parameter names lower-cased, quoted values unescaped.
struct AuthChallenge {
  std::string scheme;
  std::map<std::string, std::string> params;
};
// Parses a header value; several challenges may share one header. Malformed
// input yields what could be parsed, never an exception.
std::vector<AuthChallenge> parse_www_authenticate(std::string_view header);

// The credentials for `host` in the text of a docker config.json ("auths" →
// {"auth": base64(user:pass)} or {"username", "password"}). Keys may be
// "host", "https://host", "http://host/v2/" and the like. Throws
// Error(failure) naming `source` if the JSON or an auth value is malformed.
std::optional<Credentials> credentials_from_docker_config(std::string_view json_text, std::string_view host,
                                                          const std::string& source);

// The message of a registry error body ({"errors":[{"code","message"}]}), or
// a short excerpt of a non-JSON body.
std::string registry_error_text(std::string_view body);

// The artifact (SPEC section 5).
struct ArtifactParts {
  std::string config_bytes;       // manifest.json of the bundle
  std::string layer_media_type;
  std::string layer_digest;
  std::uint64_t layer_size = 0;
  std::string layer_title;        // file name of the bundle
  std::string name, version, created;
};
std::string build_artifact_manifest(const ArtifactParts& parts);

struct ParsedArtifact {
  std::string config_digest;
  std::uint64_t config_size = 0;
  LayerDescriptor layer;
  std::map<std::string, std::string> annotations;
};
// Checks that `bytes` is an OCI image manifest of an acuctl bundle: media
// type, artifact type (or config type), one layer of a bundle media type,
// digests and sizes well-formed. Throws Error(failure) naming `source`.
ParsedArtifact parse_artifact_manifest(std::string_view bytes, const std::string& source);

constexpr std::uint64_t kManifestLimit = 4ULL << 20;  // manifests and config blobs

// Copies `source` into `out` in 1 MiB blocks, hashing on the way, reporting
// progress against `total`. Stops once more than `limit` bytes came (so a
// file that keeps growing is not read to its end). Returns "sha256:<hex>"
// and the number of bytes copied (transfer.cpp).
struct HashedCopy {
  std::string digest;
  std::uint64_t size = 0;
};
class PendingFile;
HashedCopy copy_hashing(const std::filesystem::path& source, PendingFile& out, std::uint64_t total,
                        const ProgressFn& progress, std::uint64_t limit = UINT64_MAX);

// OCI image layout (oci_layout.cpp).
namespace oci_layout {

// Copies `source` into DIR/blobs/sha256/HEX unless present (temp + rename);
// the copy is hashed while written and must match `digest`. Returns true if
// it wrote the blob.
bool put_blob_file(const std::filesystem::path& dir, const std::filesystem::path& source, const std::string& digest,
                   std::uint64_t size, const ProgressFn& progress);
bool put_blob_bytes(const std::filesystem::path& dir, std::string_view bytes, const std::string& digest);
// Creates the layout if needed and points `tag` at the manifest, under an
// exclusive lock of the layout directory (two writers at once are safe).
void tag_manifest(const std::filesystem::path& dir, const std::string& manifest_digest, std::uint64_t size,
                  const std::string& tag);

struct Resolved {
  std::string digest;
  std::string bytes;  // the manifest, verified against digest
};
// Finds the manifest for `ref` (tag via index.json, or digest); throws
// Error(failure) naming the reference when it is not there.
Resolved resolve(const Reference& ref);
// Reads a small blob, verified (Error(verification) on mismatch).
std::string read_blob(const std::filesystem::path& dir, const std::string& digest, std::uint64_t size);
std::filesystem::path blob_path(const std::filesystem::path& dir, const std::string& digest);

}  // namespace oci_layout
}  // namespace acuctl
