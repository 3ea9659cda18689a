// `acuctl init`: writes an embedded template into a new project directory.
#include "acuctl/templates.hpp"

#include <algorithm>
#include <set>

#include <nlohmann/json.hpp>

#include "acuctl/contract.hpp"
#include "acuctl/descriptor.hpp"
#include "acuctl/error.hpp"
#include "acuctl/files.hpp"

namespace acuctl {
namespace fs = std::filesystem;

std::vector<std::string> template_names() {
  std::set<std::string> names;
  for (const auto& f : template_files()) {
    std::string p = f.path;
    names.insert(p.substr(0, p.find('/')));
  }
  return {names.begin(), names.end()};
}

std::vector<std::string> scaffold_project(const std::string& name, const fs::path& dir, const std::string& model_name) {
  auto names = template_names();
  if (std::find(names.begin(), names.end(), name) == names.end()) {
    std::string list;
    for (const auto& n : names) list += (list.empty() ? "" : ", ") + n;
    fail_usage("unknown template '" + name + "'", "available templates: " + list);
  }
  if (!model_name.empty() && !is_valid_model_name(model_name))
    fail_usage("bad model name '" + model_name + "': use 1-63 of a-z 0-9 . _ -, starting with a letter or digit");
  std::error_code ec;
  if (fs::exists(dir, ec) && !(fs::is_directory(dir, ec) && fs::is_empty(dir, ec)))
    fail("cannot create project '" + dir.string() + "': it exists and is not an empty directory");
  fs::create_directories(dir, ec);
  if (ec) fail("cannot create project '" + dir.string() + "': " + ec.message());
  std::vector<std::string> written;
  std::string prefix = name + "/";
  for (const auto& f : template_files()) {
    std::string p = f.path;
    if (p.rfind(prefix, 0) != 0) continue;
    std::string rel = p.substr(prefix.size());
    std::string content(reinterpret_cast<const char*>(f.data), f.size);
    if (rel == contract::descriptor_file && !model_name.empty()) {
      auto j = nlohmann::json::parse(content);
      j["name"] = model_name;
      content = j.dump(2) + "\n";
    }
    fs::path out = dir / rel;
    fs::create_directories(out.parent_path(), ec);
    write_file_atomic(out, content, f.executable ? 0755 : 0644);
    written.push_back(rel);
  }
  return written;
}

}  // namespace acuctl
