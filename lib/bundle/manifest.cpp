// Manifest parsing (strict: a manifest comes from an untrusted bundle) and
// serialisation.
#include "acuctl/manifest.hpp"

#include <set>

#include "acuctl/contract.hpp"
#include "acuctl/error.hpp"
#include "acuctl/sha256.hpp"

namespace acuctl {
using nlohmann::json;

namespace {
[[noreturn]] void bad(const std::string& source, const std::string& why) {
  fail_verification("invalid manifest in '" + source + "': " + why);
}
}  // namespace

Manifest parse_manifest(std::string_view bytes, const std::string& source) {
  json j = json::parse(bytes, nullptr, false);
  if (j.is_discarded()) bad(source, "manifest.json is not valid JSON");
  if (!j.is_object()) bad(source, "manifest.json is not a JSON object");
  Manifest m;
  try {
    m.descriptor = parse_descriptor(j, source, {"schema", "created", "files", "key_id"});
  } catch (const Error& e) {
    // Re-categorise: the descriptor inside a bundle is bundle content.
    std::string why = e.what();
    auto pos = why.find("': ");
    bad(source, pos == std::string::npos ? why : why.substr(pos + 3));
  }
  auto schema = j.find("schema");
  if (schema == j.end() || !schema->is_string()) bad(source, "missing 'schema'");
  m.schema = schema->get<std::string>();
  if (m.schema != contract::bundle_schema)
    bad(source, "unsupported schema '" + m.schema + "' (this acuctl reads " + std::string(contract::bundle_schema) + ")");
  auto created = j.find("created");
  if (created == j.end() || !created->is_string()) bad(source, "missing 'created'");
  m.created = created->get<std::string>();
  auto files = j.find("files");
  if (files == j.end() || !files->is_array()) bad(source, "missing 'files' array");
  std::set<std::string> seen;
  for (const json& f : *files) {
    if (!f.is_object() || f.size() != 3 || !f.contains("path") || !f.contains("size") || !f.contains("sha256"))
      bad(source, "each 'files' item must be {\"path\", \"size\", \"sha256\"}");
    if (!f["path"].is_string() || !f["size"].is_number_unsigned() || !f["sha256"].is_string())
      bad(source, "'files' item has a field of the wrong type");
    FileEntry e{f["path"].get<std::string>(), f["size"].get<std::uint64_t>(), f["sha256"].get<std::string>()};
    if (e.path.rfind(contract::model_prefix, 0) != 0 || !is_safe_relative_path(e.path))
      bad(source, "file path '" + e.path + "' is not a safe path under model/");
    if (!is_sha256_hex(e.sha256)) bad(source, "file '" + e.path + "' has a malformed sha256");
    if (!seen.insert(e.path).second) bad(source, "file '" + e.path + "' is listed twice");
    m.files.push_back(std::move(e));
  }
  if (auto k = j.find("key_id"); k != j.end()) {
    if (!k->is_string() || !is_sha256_digest(k->get<std::string>())) bad(source, "malformed 'key_id'");
    m.key_id = k->get<std::string>();
  }
  std::string model_path = std::string(contract::model_prefix) + m.descriptor.model;
  if (!seen.count(model_path)) bad(source, "the model file '" + model_path + "' is not in 'files'");
  if (m.descriptor.example && !seen.count(std::string(contract::model_prefix) + *m.descriptor.example))
    bad(source, "the example file 'model/" + *m.descriptor.example + "' is not in 'files'");
  return m;
}

json manifest_to_json(const Manifest& m) {
  json j = json::object();
  descriptor_to_json(m.descriptor, j);
  j["schema"] = m.schema;
  j["created"] = m.created;
  j["files"] = json::array();
  for (const auto& f : m.files) j["files"].push_back({{"path", f.path}, {"size", f.size}, {"sha256", f.sha256}});
  if (m.key_id) j["key_id"] = *m.key_id;
  return j;
}

std::string serialize_manifest(const Manifest& m) { return manifest_to_json(m).dump(2) + "\n"; }

}  // namespace acuctl
