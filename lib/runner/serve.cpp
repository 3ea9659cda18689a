// Running the Model Runner as a process: the listen address, the start-up
// model, the lease watcher and the HTTP server until SIGTERM/SIGINT.
#include <algorithm>
#include <thread>

#include "acuctl/admin_api.hpp"
#include "acuctl/error.hpp"
#include "acuctl/http_server.hpp"
#include "acuctl/runner.hpp"

namespace acuctl::runner {
namespace {
constexpr std::string_view actor_startup = "serve --model";
}  // namespace

std::pair<std::string, std::uint16_t> parse_listen_address(const std::string& text) {
  auto colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == text.size())
    fail_usage("invalid --listen '" + text + "': expected HOST:PORT", "for example 127.0.0.1:8080 or 0.0.0.0:8080");
  std::string host = text.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  std::string port_text = text.substr(colon + 1);
  unsigned long port = 0;
  try {
    std::size_t used = 0;
    port = std::stoul(port_text, &used);
    if (used != port_text.size()) throw std::invalid_argument("junk");
  } catch (const std::exception&) {
    fail_usage("invalid --listen '" + text + "': port '" + port_text + "' is not a number");
  }
  if (port > 65535) fail_usage("invalid --listen '" + text + "': port " + port_text + " is out of range");
  return {host, static_cast<std::uint16_t>(port)};
}

int serve(ServeOptions options) {
  auto [host, port] = parse_listen_address(options.listen);
  if (options.state_dir.empty()) fail_usage("--state-dir is required");
  if (options.threads == 0) options.threads = std::max(1u, std::thread::hardware_concurrency());
  if (options.model && options.trust.empty() && !options.allow_unsigned) {
    // Said before any work, with what to do about it.
    throw Error(Exit::verification, "refusing to serve '" + *options.model + "': no trusted key",
                "pass --trust KEY.pub (the signer's public key), or --allow-unsigned for development");
  }
  Runner runner(options);
  if (options.allow_unsigned && options.warn)
    options.warn("--allow-unsigned: bundles without a trusted signature will be served (development only)");
  if (!runner.tokens() && options.note)
    options.note("admin API: loopback peers only, no authentication (no --admin-tokens)");
  runner.start();
  if (options.model && !runner.state().stable) {
    try {
      runner.deploy({*options.model}, {std::string(actor_startup), std::nullopt});
    } catch (const AdminError& e) {
      throw Error(e.verification() ? Exit::verification : e.status() == 400 ? Exit::usage : Exit::failure, e.what());
    }
    auto s = runner.state();
    if (options.note && s.stable)
      options.note("serving " + s.model + " " + s.stable->version + " (" + s.stable->digest + ")");
  }
  runner.start_lease_watch();
  HttpServerOptions http;
  http.host = host;
  http.port = port;
  http.threads = options.threads;
  http.limits = options.limits;
  http.offload = [](const HttpRequest& req) {
    return req.method != "GET" && req.target.substr(0, 7) == "/admin/";
  };
  http.allow_upload = [&runner](const HttpRequest& req) { return admin_upload_allowed(runner, req); };
  run_http_server(
      http, [&runner](const HttpRequest& req, HttpResponse& res) { runner.handle(req, res); },
      [&](const std::string& address) {
        if (options.note)
          options.note("listening on http://" + address + " (" + std::to_string(options.threads) + " threads)");
      });
  runner.stop_lease_watch();
  if (options.note) options.note("stopped");
  return 0;
}

}  // namespace acuctl::runner
