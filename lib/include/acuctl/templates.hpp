// Model project templates embedded in the binary at build time (templates/).
#pragma once
#include <cstddef>
#include <filesystem>
#include <string>
#include <vector>

namespace acuctl {

struct TemplateFile {
  const char* path;  // "<template>/<relative path>"
  const unsigned char* data;
  std::size_t size;
  bool executable;
};

const std::vector<TemplateFile>& template_files();
std::vector<std::string> template_names();

// Writes template `name` into `dir` (created; must be empty or absent).
// Returns the files written, relative to `dir`.
std::vector<std::string> scaffold_project(const std::string& name, const std::filesystem::path& dir,
                                          const std::string& model_name);

}  // namespace acuctl
