// acuctl's entry point: global options, subcommand dispatch, and the mapping
// of errors to the exit codes and message style of SPEC section 4.
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <iostream>
#include <optional>
#include <string>

#include "acuctl/bundle.hpp"
#include "acuctl/error.hpp"
#include "command.hpp"

namespace {

void print_error(const acuctl::cli::Context& ctx, const std::string& message, const std::string& hint) {
  bool tty = ctx.color && ::isatty(STDERR_FILENO);
  std::cerr << (tty ? "\033[31macuctl: error:\033[0m " : "acuctl: error: ") << message << "\n";
  if (!hint.empty()) std::cerr << "hint: " << hint << "\n";
  std::cerr.flush();
}

// The first argument that is neither an option nor the value of -o/--output.
std::optional<std::string> first_word(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "-o" || a == "--output") {
      ++i;
      continue;
    }
    if (!a.empty() && a[0] != '-') return a;
  }
  return std::nullopt;
}

// The error on standard error; with -o json also as the result document on
// standard output (SPEC 4: one JSON document), unless the command printed one.
int report_failure(const acuctl::cli::Context& ctx, acuctl::Exit exit, const std::string& message,
                   const std::string& hint) {
  print_error(ctx, message, hint);
  if (ctx.json() && !ctx.printed_json)
    ctx.print_json({{"ok", false},
                    {"exit", static_cast<int>(exit)},
                    {"error", message},
                    {"hint", hint.empty() ? nlohmann::json(nullptr) : nlohmann::json(hint)}});
  return static_cast<int>(exit);
}

}  // namespace

int main(int argc, char** argv) {
  using namespace acuctl::cli;
  Context ctx;
  if (const char* nc = std::getenv("NO_COLOR"); nc && *nc) ctx.color = false;

  CLI::App app{"acuctl: package, ship, serve and roll out models without rebuilding the service"};
  app.name("acuctl");
  app.require_subcommand(1);
  app.fallthrough();
  app.set_version_flag("--version", std::string("acuctl ") + ACUCTL_VERSION);
  std::string output = "text";
  app.add_option("-o,--output", output, "Output format")->check(CLI::IsMember({"text", "json"}));
  app.add_flag("-q,--quiet", ctx.quiet, "Print only results and errors");
  app.add_flag("-v,--verbose", ctx.verbose, "Say more about what happens (repeat for more)");
  bool no_color = false;
  app.add_flag("--no-color", no_color, "No colour in output (also NO_COLOR)");

  auto& registry = command_registry();
  std::stable_sort(registry.begin(), registry.end(), [](const auto& a, const auto& b) { return a.order < b.order; });
  for (const auto& reg : registry) reg.registrar(app, ctx);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);  // --help, --version
    if (no_color) ctx.color = false;
    // CLI11 says only "A subcommand is required" for `acuctl bogus`: name it.
    std::string message = e.what();
    if (app.get_subcommands().empty())
      if (auto word = first_word(argc, argv)) message = "unknown command '" + *word + "'";
    print_error(ctx, message, "run 'acuctl --help' or 'acuctl COMMAND --help'");
    return static_cast<int>(acuctl::Exit::usage);
  }
  if (no_color) ctx.color = false;
  ctx.format = output == "json" ? OutputFormat::json : OutputFormat::text;
  if (!ctx.action) return static_cast<int>(acuctl::Exit::usage);
  try {
    acuctl::configured_unpack_limit();  // a malformed ACUCTL_MAX_BUNDLE_SIZE is a usage error up front
    return ctx.action();
  } catch (const acuctl::Error& e) {
    return report_failure(ctx, e.exit(), e.what(), e.hint());
  } catch (const std::exception& e) {
    return report_failure(ctx, acuctl::Exit::failure, e.what(), "");
  }
}
