// The OCI artifact that carries a bundle (SPEC section 5): building its
// manifest for push, and checking a fetched one before trusting any field.
#include <array>

#include <nlohmann/json.hpp>

#include "acuctl/contract.hpp"
#include "acuctl/error.hpp"
#include "acuctl/files.hpp"
#include "acuctl/sha256.hpp"
#include "registry/internal.hpp"

namespace acuctl {

std::string_view bundle_layer_media_type(const std::filesystem::path& bundle) {
  UniqueFd fd = open_for_reading(bundle);
  std::array<unsigned char, 4> magic{};
  std::size_t got = 0;
  while (got < magic.size()) {
    std::size_t n = read_some(fd.get(), magic.data() + got, magic.size() - got, bundle);
    if (n == 0) break;
    got += n;
  }
  if (got >= 4 && magic[0] == 0x28 && magic[1] == 0xb5 && magic[2] == 0x2f && magic[3] == 0xfd)
    return contract::layer_media_type_zstd;
  if (got >= 2 && magic[0] == 0x1f && magic[1] == 0x8b) return contract::layer_media_type_gzip;
  return contract::layer_media_type_tar;
}

std::string build_artifact_manifest(const ArtifactParts& p) {
  // nlohmann::ordered_json keeps the field order readable; the bytes pushed
  // are the bytes hashed, so the order only matters to human readers.
  nlohmann::ordered_json m;
  m["schemaVersion"] = 2;
  m["mediaType"] = contract::oci_manifest_media_type;
  m["artifactType"] = contract::artifact_type;
  m["config"] = {{"mediaType", contract::config_media_type},
                 {"digest", "sha256:" + sha256_hex(p.config_bytes)},
                 {"size", p.config_bytes.size()}};
  nlohmann::ordered_json layer = {{"mediaType", p.layer_media_type}, {"digest", p.layer_digest}, {"size", p.layer_size}};
  layer["annotations"] = {{contract::annotation_title, p.layer_title}};
  m["layers"] = nlohmann::ordered_json::array({layer});
  m["annotations"] = {{contract::annotation_title, p.name},
                      {contract::annotation_version, p.version},
                      {contract::annotation_created, p.created}};
  return m.dump();
}

namespace {

bool is_bundle_media_type(std::string_view t) {
  return t == contract::layer_media_type_zstd || t == contract::layer_media_type_gzip ||
         t == contract::layer_media_type_tar;
}

struct Checked {
  std::string media_type;
  std::string digest;
  std::uint64_t size = 0;
};

Checked check_descriptor(const nlohmann::json& d, const std::string& what, const std::string& source) {
  auto bad = [&](const std::string& why) -> Checked {
    fail("cannot use '" + source + "': the manifest's " + what + " " + why);
  };
  if (!d.is_object()) return bad("is not an object");
  Checked c;
  auto mt = d.find("mediaType");
  if (mt == d.end() || !mt->is_string()) return bad("has no mediaType");
  c.media_type = mt->get<std::string>();
  auto dg = d.find("digest");
  if (dg == d.end() || !dg->is_string()) return bad("has no digest");
  c.digest = dg->get<std::string>();
  if (!is_sha256_digest(c.digest)) return bad("digest '" + c.digest.substr(0, 80) + "' is not a sha256 digest");
  auto sz = d.find("size");
  if (sz == d.end() || !sz->is_number_unsigned()) return bad("size is missing or not a non-negative integer");
  c.size = sz->get<std::uint64_t>();
  return c;
}

}  // namespace

ParsedArtifact parse_artifact_manifest(std::string_view bytes, const std::string& source) {
  nlohmann::json m = nlohmann::json::parse(bytes, nullptr, false);
  if (m.is_discarded() || !m.is_object()) fail("cannot use '" + source + "': the registry manifest is not JSON");
  std::string media_type = m.value("mediaType", std::string());
  if (media_type == contract::oci_index_media_type || m.contains("manifests"))
    fail("cannot use '" + source + "': it is an image index, not an acuctl bundle",
         "push bundles with 'acuctl push'; image indexes (multi-platform images) are not bundles");
  if (!media_type.empty() && media_type != contract::oci_manifest_media_type)
    fail("cannot use '" + source + "': unsupported manifest media type '" + media_type + "'");
  if (!m.contains("schemaVersion") || m["schemaVersion"] != 2)
    fail("cannot use '" + source + "': the manifest's schemaVersion is not 2");
  auto config = m.find("config");
  if (config == m.end()) fail("cannot use '" + source + "': the manifest has no config");
  Checked cfg = check_descriptor(*config, "config", source);
  std::string artifact = m.value("artifactType", std::string());
  if (artifact != contract::artifact_type && cfg.media_type != contract::config_media_type)
    fail("cannot use '" + source + "': it is not an acuctl bundle (artifactType '" + artifact + "', config '" +
             cfg.media_type + "')",
         "an acuctl bundle has artifactType " + std::string(contract::artifact_type));
  if (cfg.media_type != contract::config_media_type)
    fail("cannot use '" + source + "': the config media type is '" + cfg.media_type + "', expected '" +
         std::string(contract::config_media_type) + "'");
  if (cfg.size > kManifestLimit)
    fail("cannot use '" + source + "': the config blob is " + std::to_string(cfg.size) + " bytes, over the limit");
  auto layers = m.find("layers");
  if (layers == m.end() || !layers->is_array() || layers->size() != 1)
    fail("cannot use '" + source + "': an acuctl bundle has exactly one layer");
  Checked layer = check_descriptor(layers->at(0), "layer", source);
  if (!is_bundle_media_type(layer.media_type))
    fail("cannot use '" + source + "': the layer media type '" + layer.media_type + "' is not a bundle type");
  ParsedArtifact out;
  out.config_digest = cfg.digest;
  out.config_size = cfg.size;
  out.layer.media_type = layer.media_type;
  out.layer.digest = layer.digest;
  out.layer.size = layer.size;
  if (auto a = layers->at(0).find("annotations"); a != layers->at(0).end() && a->is_object()) {
    auto t = a->find(contract::annotation_title);
    if (t != a->end() && t->is_string()) out.layer.title = t->get<std::string>();
  }
  if (auto a = m.find("annotations"); a != m.end() && a->is_object())
    for (const auto& [k, v] : a->items())
      if (v.is_string()) out.annotations[k] = v.get<std::string>();
  return out;
}

}  // namespace acuctl
