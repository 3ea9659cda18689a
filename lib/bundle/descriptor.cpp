// Descriptor parsing and project validation (SPEC section 2).
#include "acuctl/descriptor.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <array>

#include "acuctl/contract.hpp"
#include "acuctl/error.hpp"
#include "acuctl/files.hpp"

namespace acuctl {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {
constexpr std::array<std::string_view, 13> kDatatypeNames = {
    "BOOL", "UINT8", "UINT16", "UINT32", "UINT64", "INT8", "INT16",
    "INT32", "INT64", "FP16", "FP32", "FP64", "BYTES"};
constexpr std::array<std::size_t, 13> kDatatypeSizes = {1, 1, 2, 4, 8, 1, 2, 4, 8, 2, 4, 8, 0};

[[noreturn]] void bad(const std::string& source, const std::string& why) {
  fail("invalid descriptor '" + source + "': " + why);
}

const json& field(const json& j, const char* key, const std::string& source) {
  auto it = j.find(key);
  if (it == j.end()) bad(source, std::string("missing required key '") + key + "'");
  return *it;
}

std::string string_field(const json& j, const char* key, const std::string& source) {
  const json& v = field(j, key, source);
  if (!v.is_string()) bad(source, std::string("'") + key + "' must be a string");
  return v.get<std::string>();
}

std::vector<TensorSpec> tensors(const json& j, const char* key, const std::string& source) {
  const json& list = field(j, key, source);
  if (!list.is_array() || list.empty())
    bad(source, std::string("'") + key + "' must be a non-empty array of tensors");
  std::vector<TensorSpec> out;
  for (std::size_t i = 0; i < list.size(); ++i) {
    const json& t = list[i];
    std::string where = std::string(key) + "[" + std::to_string(i) + "]";
    if (!t.is_object()) bad(source, where + " must be an object");
    for (auto it = t.begin(); it != t.end(); ++it)
      if (it.key() != "name" && it.key() != "datatype" && it.key() != "shape")
        bad(source, "unknown key '" + it.key() + "' in " + where);
    TensorSpec spec;
    auto name = t.find("name");
    if (name == t.end() || !name->is_string() || name->get<std::string>().empty())
      bad(source, where + " needs a non-empty string 'name'");
    spec.name = name->get<std::string>();
    auto dt = t.find("datatype");
    if (dt == t.end() || !dt->is_string()) bad(source, where + " ('" + spec.name + "') needs a string 'datatype'");
    auto parsed = parse_datatype(dt->get<std::string>());
    if (!parsed)
      bad(source, "unknown datatype '" + dt->get<std::string>() + "' in " + where + " ('" + spec.name +
                      "'); expected one of BOOL, UINT8…UINT64, INT8…INT64, FP16, FP32, FP64, BYTES");
    spec.datatype = *parsed;
    auto shape = t.find("shape");
    if (shape == t.end() || !shape->is_array() || shape->empty() || shape->size() > 16)
      bad(source, where + " ('" + spec.name + "') needs a 'shape' array of 1 to 16 dimensions");
    for (const json& d : *shape) {
      if (!d.is_number_integer() || d.get<std::int64_t>() < -1 || d.get<std::int64_t>() == 0)
        bad(source, where + " ('" + spec.name + "') has a bad dimension " + d.dump() +
                        "; dimensions are positive integers or -1");
      spec.shape.push_back(d.get<std::int64_t>());
    }
    for (const auto& prev : out)
      if (prev.name == spec.name) bad(source, "tensor name '" + spec.name + "' appears twice in '" + key + "'");
    out.push_back(std::move(spec));
  }
  return out;
}
}  // namespace

std::optional<DataType> parse_datatype(std::string_view name) {
  for (std::size_t i = 0; i < kDatatypeNames.size(); ++i)
    if (kDatatypeNames[i] == name) return static_cast<DataType>(i + 1);
  return std::nullopt;
}

std::string_view datatype_name(DataType type) { return kDatatypeNames.at(static_cast<std::size_t>(type) - 1); }
std::size_t datatype_size(DataType type) { return kDatatypeSizes.at(static_cast<std::size_t>(type) - 1); }

bool is_valid_model_name(std::string_view n) {
  if (n.empty() || n.size() > 63) return false;
  auto alnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
  if (!alnum(n[0])) return false;
  return std::all_of(n.begin() + 1, n.end(), [&](char c) { return alnum(c) || c == '.' || c == '_' || c == '-'; });
}

bool is_valid_version(std::string_view v) {
  if (v.empty() || v.size() > 64) return false;
  return std::all_of(v.begin(), v.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_' || c == '+' || c == '-';
  });
}

bool is_known_runtime(std::string_view r) {
  return r == contract::runtime_native || r == contract::runtime_xgboost;
}

const std::vector<std::string>& descriptor_keys() {
  static const std::vector<std::string> keys = {"name", "version", "runtime", "model", "inputs",
                                                "outputs", "example", "description", "labels"};
  return keys;
}

bool is_safe_relative_path(std::string_view path) {
  if (path.empty() || path.front() == '/' || path.size() > 4096) return false;
  std::size_t start = 0;
  while (start <= path.size()) {
    std::size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    std::string_view part = path.substr(start, end - start);
    if (part.empty() || part == "." || part == "..") return false;
    if (part.find('\0') != std::string_view::npos || part.find('\\') != std::string_view::npos) return false;
    start = end + 1;
  }
  return true;
}

Descriptor parse_descriptor(const json& j, const std::string& source, const std::vector<std::string>& extra_keys) {
  if (!j.is_object()) bad(source, "the document must be a JSON object");
  const auto& known = descriptor_keys();
  for (auto it = j.begin(); it != j.end(); ++it) {
    if (std::find(known.begin(), known.end(), it.key()) == known.end() &&
        std::find(extra_keys.begin(), extra_keys.end(), it.key()) == extra_keys.end())
      bad(source, "unknown key '" + it.key() + "'");
  }
  Descriptor d;
  d.name = string_field(j, "name", source);
  if (!is_valid_model_name(d.name))
    bad(source, "bad name '" + d.name + "': use 1-63 of a-z 0-9 . _ -, starting with a letter or digit");
  d.version = string_field(j, "version", source);
  if (!is_valid_version(d.version))
    bad(source, "bad version '" + d.version + "': use 1-64 of A-Z a-z 0-9 . _ + -");
  d.runtime = string_field(j, "runtime", source);
  if (!is_known_runtime(d.runtime)) bad(source, "unknown runtime '" + d.runtime + "'; expected native or xgboost");
  d.model = string_field(j, "model", source);
  if (!is_safe_relative_path(d.model))
    bad(source, "model path '" + d.model + "' escapes the project (it must be relative, without '..')");
  d.inputs = tensors(j, "inputs", source);
  d.outputs = tensors(j, "outputs", source);
  if (j.contains("example")) {
    d.example = string_field(j, "example", source);
    if (!is_safe_relative_path(*d.example))
      bad(source, "example path '" + *d.example + "' escapes the project (it must be relative, without '..')");
  }
  if (j.contains("description")) d.description = string_field(j, "description", source);
  if (j.contains("labels")) {
    const json& labels = j["labels"];
    if (!labels.is_object()) bad(source, "'labels' must be an object of strings");
    for (auto it = labels.begin(); it != labels.end(); ++it) {
      if (!it->is_string()) bad(source, "label '" + it.key() + "' must be a string");
      d.labels[it.key()] = it->get<std::string>();
    }
  }
  return d;
}

Descriptor parse_descriptor_text(std::string_view text, const std::string& source) {
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded()) bad(source, "not valid JSON");
  return parse_descriptor(j, source);
}

json tensor_to_json(const TensorSpec& t) {
  return json{{"name", t.name}, {"datatype", std::string(datatype_name(t.datatype))}, {"shape", t.shape}};
}

void descriptor_to_json(const Descriptor& d, json& out) {
  out["name"] = d.name;
  out["version"] = d.version;
  out["runtime"] = d.runtime;
  out["model"] = d.model;
  out["inputs"] = json::array();
  for (const auto& t : d.inputs) out["inputs"].push_back(tensor_to_json(t));
  out["outputs"] = json::array();
  for (const auto& t : d.outputs) out["outputs"].push_back(tensor_to_json(t));
  if (d.example) out["example"] = *d.example;
  if (d.description) out["description"] = *d.description;
  if (!d.labels.empty()) out["labels"] = d.labels;
}

namespace {
void require_regular_file(const fs::path& dir, const std::string& rel, const char* what, const std::string& source) {
  fs::path p = dir / rel;
  struct stat st {};
  if (::stat(p.c_str(), &st) != 0) bad(source, std::string(what) + " '" + rel + "' does not exist in the project");
  if (!S_ISREG(st.st_mode)) bad(source, std::string(what) + " '" + rel + "' is not a regular file");
  // A symlink inside the project may point anywhere; the path we were given
  // must still resolve to something inside the project.
  std::error_code ec;
  fs::path real = fs::weakly_canonical(p, ec);
  fs::path root = fs::weakly_canonical(dir, ec);
  auto rel_to = real.lexically_relative(root);
  if (ec || rel_to.empty() || *rel_to.begin() == "..")
    bad(source, std::string(what) + " '" + rel + "' escapes the project directory");
}
}  // namespace

Descriptor load_project(const fs::path& dir) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) fail("cannot read model project '" + dir.string() + "': not a directory");
  fs::path file = dir / contract::descriptor_file;
  std::string source = file.string();
  if (!fs::exists(file, ec))
    fail("cannot read model project '" + dir.string() + "': no " + std::string(contract::descriptor_file),
         "create one with 'acuctl init DIR --template xgboost|native'");
  Descriptor d = parse_descriptor_text(read_file(file, 1 << 20), source);
  require_regular_file(dir, d.model, "model", source);
  if (d.example) {
    require_regular_file(dir, *d.example, "example", source);
    json ex = json::parse(read_file(dir / *d.example, 64 << 20), nullptr, false);
    if (ex.is_discarded() || !ex.is_object() || !ex.contains("inputs") || !ex["inputs"].is_array())
      bad(source, "example '" + *d.example + "' is not an Open Inference Protocol infer request ({\"inputs\": [...]})");
  }
  return d;
}

}  // namespace acuctl
