// The model descriptor (model.json, SPEC section 2): parsing that refuses
// anything it does not know, and the checks a project must pass to be packaged.
#pragma once
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace acuctl {

// Open Inference Protocol datatypes; the numbers are those of model_abi.h.
enum class DataType : int {
  BOOL = 1, UINT8, UINT16, UINT32, UINT64, INT8, INT16, INT32, INT64, FP16, FP32, FP64, BYTES
};
std::optional<DataType> parse_datatype(std::string_view name);
std::string_view datatype_name(DataType type);
// Bytes per element; 0 for BYTES (variable length).
std::size_t datatype_size(DataType type);

struct TensorSpec {
  std::string name;
  DataType datatype = DataType::FP32;
  std::vector<std::int64_t> shape;  // -1 = variable dimension
  bool operator==(const TensorSpec&) const = default;
};

struct Descriptor {
  std::string name;
  std::string version;
  std::string runtime;
  std::string model;  // path inside the project
  std::vector<TensorSpec> inputs;
  std::vector<TensorSpec> outputs;
  std::optional<std::string> example;
  std::optional<std::string> description;
  std::map<std::string, std::string> labels;
  bool operator==(const Descriptor&) const = default;
};

bool is_valid_model_name(std::string_view name);
bool is_valid_version(std::string_view version);
bool is_known_runtime(std::string_view runtime);

// The keys a descriptor may have (the manifest adds its own).
const std::vector<std::string>& descriptor_keys();

// Parses descriptor fields from `j`. `source` names the document in errors.
// Keys in `extra_keys` are allowed and ignored (the manifest's own fields);
// any other unknown key is an error. Throws Error with `category`.
Descriptor parse_descriptor(const nlohmann::json& j, const std::string& source,
                            const std::vector<std::string>& extra_keys = {});
// As above, from the text of a model.json file.
Descriptor parse_descriptor_text(std::string_view text, const std::string& source);

void descriptor_to_json(const Descriptor& d, nlohmann::json& out);
nlohmann::json tensor_to_json(const TensorSpec& t);

// True if `path` is relative, non-empty and has no "..", "." or empty component.
bool is_safe_relative_path(std::string_view path);

// Reads and validates DIR/model.json and checks that `model` and `example`
// name regular files inside DIR (and that the example is an infer request).
Descriptor load_project(const std::filesystem::path& dir);

}  // namespace acuctl
