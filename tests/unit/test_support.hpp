// Helpers for unit tests: temporary directories and hostile archives.
#pragma once
#include <filesystem>
#include <random>
#include <string>

namespace acuctl::test {

class TempDir {
 public:
  TempDir() {
    std::random_device rd;
    path_ = std::filesystem::temp_directory_path() / ("acuctl-unit-" + std::to_string(rd()) + std::to_string(rd()));
    std::filesystem::create_directories(path_ / "d");
    path_ /= "d";  // a parent we own, so tests may write "../x" safely
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_.parent_path(), ec);
  }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

}  // namespace acuctl::test
