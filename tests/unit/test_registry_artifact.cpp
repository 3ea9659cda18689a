// The bundle's OCI artifact manifest (lib/registry/artifact.cpp): what push
// writes, and the checks on what pull reads.
#include <doctest/doctest.h>

#include <filesystem>

#include <nlohmann/json.hpp>

#include "acuctl/contract.hpp"
#include "acuctl/error.hpp"
#include "acuctl/files.hpp"
#include "acuctl/sha256.hpp"
#include "registry/internal.hpp"

using namespace acuctl;

namespace {

ArtifactParts sample() {
  ArtifactParts p;
  p.config_bytes = R"({"name":"iris"})";
  p.layer_media_type = std::string(contract::layer_media_type_zstd);
  p.layer_digest = "sha256:" + sha256_hex("bundle");
  p.layer_size = 6;
  p.layer_title = "iris.acu";
  p.name = "iris";
  p.version = "1.4.0";
  p.created = "2026-01-01T00:00:00Z";
  return p;
}

std::string with(const std::function<void(nlohmann::json&)>& edit) {
  nlohmann::json j = nlohmann::json::parse(build_artifact_manifest(sample()));
  edit(j);
  return j.dump();
}

}  // namespace

TEST_CASE("the artifact manifest has the SPEC section 5 shape") {
  std::string text = build_artifact_manifest(sample());
  auto j = nlohmann::json::parse(text);
  CHECK(j["schemaVersion"] == 2);
  CHECK(j["mediaType"] == contract::oci_manifest_media_type);
  CHECK(j["artifactType"] == contract::artifact_type);
  CHECK(j["config"]["mediaType"] == contract::config_media_type);
  CHECK(j["config"]["digest"] == "sha256:" + sha256_hex(R"({"name":"iris"})"));
  CHECK(j["config"]["size"] == 15);
  REQUIRE(j["layers"].size() == 1);
  CHECK(j["layers"][0]["mediaType"] == contract::layer_media_type_zstd);
  CHECK(j["layers"][0]["annotations"][std::string(contract::annotation_title)] == "iris.acu");
  CHECK(j["annotations"][std::string(contract::annotation_title)] == "iris");
  CHECK(j["annotations"][std::string(contract::annotation_version)] == "1.4.0");
  CHECK(j["annotations"][std::string(contract::annotation_created)] == "2026-01-01T00:00:00Z");
  // Deterministic: the same bundle gives the same manifest digest.
  CHECK(build_artifact_manifest(sample()) == text);

  ParsedArtifact a = parse_artifact_manifest(text, "ref");
  CHECK(a.config_size == 15);
  CHECK(a.layer.digest == sample().layer_digest);
  CHECK(a.layer.size == 6);
  CHECK(a.layer.title == "iris.acu");
  CHECK(a.annotations[std::string(contract::annotation_version)] == "1.4.0");
}

TEST_CASE("manifests that are not acuctl bundles are refused") {
  auto refused = [](const std::string& text) {
    try {
      parse_artifact_manifest(text, "host/repo:tag");
    } catch (const Error& e) {
      CHECK(std::string(e.what()).find("host/repo:tag") != std::string::npos);
      return true;
    }
    return false;
  };
  CHECK(refused("not json"));
  CHECK(refused("[]"));
  CHECK(refused(R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[]})"));
  CHECK(refused(with([](auto& j) { j["mediaType"] = "application/vnd.docker.distribution.manifest.v2+json"; })));
  CHECK(refused(with([](auto& j) { j["schemaVersion"] = 1; })));
  CHECK(refused(with([](auto& j) { j.erase("config"); })));
  CHECK(refused(with([](auto& j) { j["artifactType"] = "application/vnd.other"; j["config"]["mediaType"] = "x"; })));
  CHECK(refused(with([](auto& j) { j["config"]["mediaType"] = "application/vnd.oci.image.config.v1+json"; })));
  CHECK(refused(with([](auto& j) { j["config"]["digest"] = "sha256:abc"; })));
  CHECK(refused(with([](auto& j) { j["config"]["digest"] = 5; })));
  CHECK(refused(with([](auto& j) { j["config"]["size"] = -1; })));
  CHECK(refused(with([](auto& j) { j["config"]["size"] = "15"; })));
  CHECK(refused(with([](auto& j) { j["config"]["size"] = 1ULL << 40; })));
  CHECK(refused(with([](auto& j) { j["layers"] = nlohmann::json::array(); })));
  CHECK(refused(with([](auto& j) { j["layers"].push_back(j["layers"][0]); })));
  CHECK(refused(with([](auto& j) { j["layers"] = "x"; })));
  CHECK(refused(with([](auto& j) { j["layers"][0]["mediaType"] = "application/vnd.oci.image.layer.v1.tar"; })));
  CHECK(refused(with([](auto& j) { j["layers"][0] = 7; })));
  CHECK(refused(with([](auto& j) { j["layers"][0]["digest"] = "sha512:00"; })));
  // Tolerated: older artifacts without artifactType, unknown fields, odd annotations.
  CHECK_FALSE(refused(with([](auto& j) { j.erase("artifactType"); })));
  CHECK_FALSE(refused(with([](auto& j) { j["unknown"] = {1, 2}; j["annotations"]["x"] = 5; })));
  CHECK_FALSE(refused(with([](auto& j) { j["layers"][0].erase("annotations"); })));
}

TEST_CASE("layer media type from the bundle's magic bytes") {
  namespace fs = std::filesystem;
  fs::path p = fs::temp_directory_path() / "acuctl-test-magic.bin";
  write_file_atomic(p, std::string("\x28\xb5\x2f\xfd\x00", 5));
  CHECK(bundle_layer_media_type(p) == contract::layer_media_type_zstd);
  write_file_atomic(p, std::string("\x1f\x8b\x08", 3));
  CHECK(bundle_layer_media_type(p) == contract::layer_media_type_gzip);
  write_file_atomic(p, "manifest.json");
  CHECK(bundle_layer_media_type(p) == contract::layer_media_type_tar);
  write_file_atomic(p, "");
  CHECK(bundle_layer_media_type(p) == contract::layer_media_type_tar);
  fs::remove(p);
}
