// Manifest parsing is strict: it comes from untrusted bundles.
#include <doctest/doctest.h>

#include "acuctl/error.hpp"
#include "acuctl/manifest.hpp"

using namespace acuctl;
using nlohmann::json;

namespace {
json good() {
  return json::parse(R"({"name": "iris", "version": "1", "runtime": "xgboost", "model": "m.json",
    "inputs": [{"name": "x", "datatype": "FP32", "shape": [-1, 4]}],
    "outputs": [{"name": "y", "datatype": "FP32", "shape": [-1, 3]}],
    "schema": "acuctl.bundle/v1", "created": "2026-01-01T00:00:00Z",
    "files": [{"path": "model/m.json", "size": 3, "sha256": "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"}],
    "key_id": "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"})");
}
std::string error_of(const json& j) {
  try {
    parse_manifest(j.dump(), "b.acu");
  } catch (const Error& e) {
    CHECK(e.exit() == Exit::verification);
    return e.what();
  }
  return "";
}
}  // namespace

TEST_CASE("a valid manifest round-trips byte for byte") {
  Manifest m = parse_manifest(good().dump(), "b.acu");
  CHECK(m.files.size() == 1);
  CHECK(parse_manifest(serialize_manifest(m), "b.acu").files == m.files);
  CHECK(serialize_manifest(parse_manifest(serialize_manifest(m), "x")) == serialize_manifest(m));
}

TEST_CASE("manifest problems are verification errors naming the problem") {
  auto with = [](auto change) {
    json j = good();
    change(j);
    return error_of(j);
  };
  CHECK(with([](json& j) { j["schema"] = "acuctl.bundle/v2"; }).find("unsupported schema") != std::string::npos);
  CHECK(with([](json& j) { j.erase("files"); }).find("missing 'files'") != std::string::npos);
  CHECK(with([](json& j) { j["files"][0]["path"] = "../m.json"; }).find("not a safe path") != std::string::npos);
  CHECK(with([](json& j) { j["files"][0]["path"] = "m.json"; }).find("not a safe path under model/") != std::string::npos);
  CHECK(with([](json& j) { j["files"][0]["sha256"] = "XYZ"; }).find("malformed sha256") != std::string::npos);
  CHECK(with([](json& j) { j["files"][0]["size"] = -1; }).find("wrong type") != std::string::npos);
  CHECK(with([](json& j) { j["files"].push_back(j["files"][0]); }).find("listed twice") != std::string::npos);
  CHECK(with([](json& j) { j["files"][0]["path"] = "model/other"; }).find("model file 'model/m.json' is not in") != std::string::npos);
  CHECK(with([](json& j) { j["key_id"] = "md5:00"; }).find("malformed 'key_id'") != std::string::npos);
  CHECK(with([](json& j) { j["extra"] = 1; }).find("unknown key 'extra'") != std::string::npos);
  CHECK(with([](json& j) { j["runtime"] = "tensorflow"; }).find("unknown runtime") != std::string::npos);
  CHECK(error_of(json("string")).find("not a JSON object") != std::string::npos);
  try {
    parse_manifest("{\"a\": [1,", "b.acu");
    FAIL("parsed broken JSON");
  } catch (const Error& e) {
    CHECK(std::string(e.what()).find("not valid JSON") != std::string::npos);
  }
}
