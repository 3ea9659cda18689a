// acuctl's entry point: global options, subcommand dispatch, and the mapping
// of errors to the exit codes and message style of SPEC section 4.
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <iostream>

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
    print_error(ctx, e.what(), "run 'acuctl --help' or 'acuctl COMMAND --help'");
    return static_cast<int>(acuctl::Exit::usage);
  }
  if (no_color) ctx.color = false;
  ctx.format = output == "json" ? OutputFormat::json : OutputFormat::text;
  if (!ctx.action) return static_cast<int>(acuctl::Exit::usage);
  try {
    acuctl::configured_unpack_limit();  // a malformed ACUCTL_MAX_BUNDLE_SIZE is a usage error up front
    return ctx.action();
  } catch (const acuctl::Error& e) {
    print_error(ctx, e.what(), e.hint());
    return static_cast<int>(e.exit());
  } catch (const std::exception& e) {
    print_error(ctx, e.what(), "");
    return static_cast<int>(acuctl::Exit::failure);
  }
}
