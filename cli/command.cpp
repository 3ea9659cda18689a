// Output helpers shared by the commands.
#include "command.hpp"

#include <unistd.h>

#include <iostream>

namespace acuctl::cli {

std::vector<CommandRegistration>& command_registry() {
  static std::vector<CommandRegistration> registry;
  return registry;
}

void Context::print_json(const nlohmann::json& j) const {
  std::cout << j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << std::endl;
  printed_json = true;
}

void Context::print_json_line(const nlohmann::json& j) const {
  std::cout << j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << std::endl;
  printed_json = true;
}

void Context::print(const std::string& line) const {
  if (!quiet) std::cout << line << std::endl;
}

void Context::note(const std::string& line) const {
  if (!quiet) std::cerr << line << std::endl;
}

void Context::warn(const std::string& line) const {
  bool tty = color && ::isatty(STDERR_FILENO);
  std::cerr << (tty ? "\033[33macuctl: warning:\033[0m " : "acuctl: warning: ") << line << std::endl;
}

void Context::debug(const std::string& line) const {
  if (verbose > 0) std::cerr << "acuctl: " << line << std::endl;
}

std::vector<std::string> split_list(const std::vector<std::string>& values) {
  std::vector<std::string> out;
  for (const auto& v : values) {
    std::size_t start = 0;
    while (start <= v.size()) {
      std::size_t end = v.find(',', start);
      if (end == std::string::npos) end = v.size();
      if (end > start) out.push_back(v.substr(start, end - start));
      start = end + 1;
    }
  }
  return out;
}

}  // namespace acuctl::cli
