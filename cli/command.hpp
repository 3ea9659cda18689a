// What every command file shares: the global options, output helpers and the
// registry through which each command adds itself to the CLI11 app.
#pragma once
#include <functional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

namespace acuctl::cli {

enum class OutputFormat { text, json };

struct Context {
  OutputFormat format = OutputFormat::text;
  bool quiet = false;
  int verbose = 0;
  bool color = true;
  // Set by the chosen subcommand's parse callback; run after parsing so that
  // usage errors and run-time errors stay apart. Returns the exit code.
  std::function<int()> action;

  // Whether a JSON result already went to standard output (else a failure
  // with -o json prints its error as the JSON document).
  mutable bool printed_json = false;

  bool json() const { return format == OutputFormat::json; }
  // One JSON document on standard output (invalid UTF-8 is replaced, not thrown).
  void print_json(const nlohmann::json& j) const;
  // The same as one line (JSON lines, for event streams).
  void print_json_line(const nlohmann::json& j) const;
  // A line of text result on standard output (suppressed by --quiet).
  void print(const std::string& line) const;
  // A note on standard error (suppressed by --quiet).
  void note(const std::string& line) const;
  void warn(const std::string& line) const;
  void debug(const std::string& line) const;
};

using Registrar = void (*)(CLI::App& app, Context& ctx);

struct CommandRegistration {
  int order;  // position in --help
  Registrar registrar;
};
std::vector<CommandRegistration>& command_registry();

// Each command file holds one `static const RegisterCommand r{order, fn};`.
struct RegisterCommand {
  RegisterCommand(int order, Registrar r) { command_registry().push_back({order, r}); }
};

// Splits repeated and comma-separated values ("a,b" "c" → a b c).
std::vector<std::string> split_list(const std::vector<std::string>& values);

}  // namespace acuctl::cli
