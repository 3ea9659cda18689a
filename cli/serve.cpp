// acuctl serve: the Model Runner (SPEC section 6).
#include "acuctl/error.hpp"
#include "acuctl/runner.hpp"
#include "acuctl/timefmt.hpp"
#include "acuctl/units.hpp"
#include "command.hpp"

namespace acuctl::cli {
namespace {

struct Options {
  runner::ServeOptions serve;
  std::vector<std::string> trust;
  std::string state_dir;
  std::string admin_tokens;
  std::string max_body = "16MiB";
  std::string idle_timeout = "60s";
  std::string request_timeout = "60s";
  std::string shutdown_timeout = "30s";
};

// A positive size up to 1 TiB.
std::uint64_t parse_limit(const std::string& flag, const std::string& text) {
  std::uint64_t n = parse_size(flag, text);
  if (n == 0 || n > (1ULL << 40)) fail_usage("invalid " + flag + " '" + text + "': out of range (1B to 1TiB)");
  return n;
}

void register_serve(CLI::App& app, Context& ctx) {
  auto opts = std::make_shared<Options>();
  auto* cmd = app.add_subcommand("serve", "Run the Model Runner: Open Inference Protocol, hot swap, canaries, metrics");
  cmd->add_option("--listen", opts->serve.listen, "Address to listen on, HOST:PORT")->required();
  cmd->add_option("--state-dir", opts->state_dir, "State directory: bundle cache and serving state")->required();
  cmd->add_option("--model", opts->serve.model, "Bundle to serve as stable at start: FILE.acu, sha256:HEX (cached), oci:DIR[:TAG|@sha256:HEX] or HOST[:PORT]/REPO[:TAG][@sha256:HEX]");
  cmd->add_option("--trust", opts->trust, "Public key (SPKI PEM) whose signatures are trusted; repeatable");
  cmd->add_flag("--allow-unsigned", opts->serve.allow_unsigned,
                "Serve bundles without a trusted signature (development only; warns)");
  cmd->add_option("--admin-tokens", opts->admin_tokens, "File of name:token lines for the admin API");
  cmd->add_option("--threads", opts->serve.threads, "Server threads (default: one per core)");
  cmd->add_flag("--plain-http", opts->serve.plain_http, "Talk plain HTTP to registries");
  cmd->add_option("--max-body", opts->max_body, "Largest request body; larger ones get 413")->capture_default_str();
  cmd->add_option("--idle-timeout", opts->idle_timeout, "Close a kept-alive connection idle this long")
      ->capture_default_str();
  cmd->add_option("--request-timeout", opts->request_timeout,
                  "Time a client has to send a request body and read the answer")
      ->capture_default_str();
  cmd->add_option("--shutdown-timeout", opts->shutdown_timeout,
                  "On SIGTERM, how long in-flight requests may take to finish")
      ->capture_default_str();
  cmd->callback([opts, &ctx] {
    ctx.action = [opts, &ctx] {
      runner::ServeOptions s = opts->serve;
      s.state_dir = opts->state_dir;
      for (const auto& t : split_list(opts->trust)) s.trust.emplace_back(t);
      if (!opts->admin_tokens.empty()) s.admin_tokens = opts->admin_tokens;
      s.limits.max_body = parse_limit("--max-body", opts->max_body);
      s.limits.idle_timeout = parse_duration(opts->idle_timeout);
      s.limits.request_timeout = parse_duration(opts->request_timeout);
      s.limits.shutdown_timeout = parse_duration(opts->shutdown_timeout);
      s.note = [&ctx](const std::string& line) { ctx.note("acuctl serve: " + line); };
      s.warn = [&ctx](const std::string& line) { ctx.warn(line); };
      return runner::serve(std::move(s));
    };
  });
}

const RegisterCommand registered{80, register_serve};

}  // namespace
}  // namespace acuctl::cli
