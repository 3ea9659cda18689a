// The bundle manifest (manifest.json, SPEC section 3): the descriptor plus
// schema, creation time, the digest of every model file and the signer's key id.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "acuctl/descriptor.hpp"

namespace acuctl {

struct FileEntry {
  std::string path;  // as stored, e.g. "model/iris.json"
  std::uint64_t size = 0;
  std::string sha256;  // hex
  bool operator==(const FileEntry&) const = default;
};

struct Manifest {
  Descriptor descriptor;
  std::string schema;
  std::string created;
  std::vector<FileEntry> files;
  std::optional<std::string> key_id;  // "sha256:<hex>"
};

// Strict parse: unknown keys, a wrong schema, unsafe or duplicate paths and
// malformed digests are errors (category verification: a manifest comes from
// a bundle, which is never trusted). `source` names the bundle in messages.
Manifest parse_manifest(std::string_view bytes, const std::string& source);
std::string serialize_manifest(const Manifest& m);
nlohmann::json manifest_to_json(const Manifest& m);

}  // namespace acuctl
