// Descriptor parsing and project validation, with hostile input.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>

#include "acuctl/descriptor.hpp"
#include "acuctl/error.hpp"
#include "test_support.hpp"

using namespace acuctl;
using nlohmann::json;

namespace {
json good() {
  return json::parse(R"({"name": "iris", "version": "1.4.0", "runtime": "xgboost", "model": "model.ubj",
    "inputs": [{"name": "features", "datatype": "FP32", "shape": [-1, 4]}],
    "outputs": [{"name": "probabilities", "datatype": "FP32", "shape": [-1, 3]}],
    "example": "example.json", "description": "d", "labels": {"team": "risk"}})");
}

std::string error_of(const json& j) {
  try {
    parse_descriptor(j, "model.json");
  } catch (const Error& e) {
    CHECK(e.exit() == Exit::failure);
    return e.what();
  }
  return "";
}
}  // namespace

TEST_CASE("a complete descriptor parses and round-trips") {
  Descriptor d = parse_descriptor(good(), "model.json");
  CHECK(d.name == "iris");
  CHECK(d.inputs.at(0).datatype == DataType::FP32);
  CHECK(d.inputs.at(0).shape == std::vector<std::int64_t>{-1, 4});
  CHECK(d.labels.at("team") == "risk");
  json back;
  descriptor_to_json(d, back);
  CHECK(parse_descriptor(back, "x") == d);
}

TEST_CASE("unknown keys are refused, naming the key") {
  json j = good();
  j["nmae"] = "typo";
  CHECK(error_of(j).find("unknown key 'nmae'") != std::string::npos);
  j = good();
  j["inputs"][0]["dtype"] = "FP32";
  CHECK(error_of(j).find("unknown key 'dtype'") != std::string::npos);
}

TEST_CASE("missing fields are named") {
  for (const char* key : {"name", "version", "runtime", "model", "inputs", "outputs"}) {
    json j = good();
    j.erase(key);
    CAPTURE(key);
    CHECK(error_of(j).find(std::string("missing required key '") + key + "'") != std::string::npos);
  }
}

TEST_CASE("names, versions, runtimes and datatypes are checked") {
  auto with = [](const char* key, json value) {
    json j = good();
    j[key] = std::move(value);
    return error_of(j);
  };
  CHECK(with("name", "Iris").find("bad name 'Iris'") != std::string::npos);
  CHECK(with("name", "-iris").find("bad name") != std::string::npos);
  CHECK(with("name", std::string(64, 'a')).find("bad name") != std::string::npos);
  CHECK(with("name", std::string(63, 'a')).empty());
  CHECK(with("version", "1.0 beta").find("bad version '1.0 beta'") != std::string::npos);
  CHECK(with("version", "").find("bad version") != std::string::npos);
  CHECK(with("version", "1.0.0+build.7").empty());
  CHECK(with("runtime", "onnx").find("unknown runtime 'onnx'") != std::string::npos);
  CHECK(with("name", 7).find("'name' must be a string") != std::string::npos);
  json j = good();
  j["inputs"][0]["datatype"] = "FLOAT32";
  CHECK(error_of(j).find("unknown datatype 'FLOAT32'") != std::string::npos);
  j = good();
  j["outputs"][0]["shape"] = json::array({0, 3});
  CHECK(error_of(j).find("bad dimension 0") != std::string::npos);
  j = good();
  j["outputs"][0]["shape"] = json::array();
  CHECK(error_of(j).find("needs a 'shape'") != std::string::npos);
  j = good();
  j["inputs"].push_back(j["inputs"][0]);
  CHECK(error_of(j).find("appears twice") != std::string::npos);
  j = good();
  j["inputs"] = json::array();
  CHECK(error_of(j).find("non-empty array") != std::string::npos);
  CHECK(error_of(json::array()).find("JSON object") != std::string::npos);
}

TEST_CASE("model and example paths must stay inside the project") {
  for (const char* bad : {"../model.ubj", "/etc/passwd", "a/../../b", "./m", "a//b", ""}) {
    json j = good();
    j["model"] = bad;
    CAPTURE(bad);
    CHECK(error_of(j).find("escapes the project") != std::string::npos);
    j = good();
    j["example"] = bad;
    CHECK(error_of(j).find("escapes the project") != std::string::npos);
  }
  CHECK(is_safe_relative_path("sub/dir/model.ubj"));
  CHECK_FALSE(is_safe_relative_path("sub\\..\\x"));
}

TEST_CASE("datatype names and sizes follow the Open Inference Protocol") {
  CHECK(parse_datatype("BOOL") == DataType::BOOL);
  CHECK(static_cast<int>(*parse_datatype("FP32")) == 11);
  CHECK(static_cast<int>(*parse_datatype("BYTES")) == 13);
  CHECK_FALSE(parse_datatype("fp32"));
  CHECK(datatype_size(DataType::FP64) == 8);
  CHECK(datatype_size(DataType::FP16) == 2);
  CHECK(datatype_name(DataType::UINT64) == "UINT64");
}

TEST_CASE("a project's model and example files must exist and be inside it") {
  test::TempDir dir;
  auto write = [&](const std::string& rel, const std::string& content) {
    std::filesystem::create_directories((dir.path() / rel).parent_path());
    std::ofstream(dir.path() / rel) << content;
  };
  write("model.json", good().dump());
  auto error = [&] {
    try {
      load_project(dir.path());
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  CHECK(error().find("model 'model.ubj' does not exist") != std::string::npos);
  write("model.ubj", "xx");
  CHECK(error().find("example 'example.json' does not exist") != std::string::npos);
  write("example.json", "{\"not\": \"an infer request\"}");
  CHECK(error().find("is not an Open Inference Protocol infer request") != std::string::npos);
  write("example.json", R"({"inputs": []})");
  CHECK(error().empty());
  // A symlink that leads out of the project is refused.
  std::filesystem::remove(dir.path() / "model.ubj");
  write("../outside-model.ubj", "x");
  std::filesystem::create_symlink(dir.path() / ".." / "outside-model.ubj", dir.path() / "model.ubj");
  CHECK(error().find("escapes the project directory") != std::string::npos);
  std::filesystem::remove(dir.path() / ".." / "outside-model.ubj");
  write("model.json", "{not json");
  CHECK(error().find("not valid JSON") != std::string::npos);
}
