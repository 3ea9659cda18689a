// The Model Runner (`acuctl serve`, SPEC section 6): state directory, trust,
// the routing table and the HTTP endpoints tied together.
#pragma once
#include <chrono>
#include <filesystem>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "acuctl/bundle_cache.hpp"
#include "acuctl/http_server.hpp"
#include "acuctl/metrics.hpp"
#include "acuctl/routing.hpp"

namespace acuctl::runner {

struct ServeOptions {
  std::string listen = "127.0.0.1:8080";  // HOST:PORT
  std::filesystem::path state_dir;
  std::optional<std::string> model;  // --model REF: the stable model at start
  std::vector<std::filesystem::path> trust;
  bool allow_unsigned = false;
  std::optional<std::filesystem::path> admin_tokens;  // for the admin API
  unsigned threads = 0;  // 0 = hardware concurrency
  bool plain_http = false;  // registry access over HTTP
  HttpLimits limits;
  std::function<void(const std::string&)> note;  // progress lines on stderr
  std::function<void(const std::string&)> warn;
};

// Splits "HOST:PORT" ("[::1]:8080" for IPv6). Throws Error(usage).
std::pair<std::string, std::uint16_t> parse_listen_address(const std::string& text);

class Runner {
 public:
  explicit Runner(ServeOptions options);

  // Loads `ref` and makes it the stable model in one atomic swap. Throws
  // Error (verification: untrusted or incompatible); serving is unchanged then.
  std::shared_ptr<const LoadedModel> deploy(const std::string& ref);

  // Every HTTP request goes through here.
  void handle(const HttpRequest& request, HttpResponse& response);

  Router& router() { return router_; }
  Metrics& metrics() { return metrics_; }
  BundleCache& cache() { return cache_; }
  const TrustPolicy& trust() const { return trust_; }
  const ServeOptions& options() const { return options_; }

  // Publishes a new table built from the current one by `change`, under the
  // writers' lock; the request path never waits for it.
  void update_table(const std::function<void(RoutingTable&)>& change);

 private:
  ServeOptions options_;
  BundleCache cache_;
  TrustPolicy trust_;
  Metrics metrics_;
  Router router_;
  std::mutex writers_;
};

// Runs the runner until SIGTERM/SIGINT; returns the exit code.
int serve(ServeOptions options);

}  // namespace acuctl::runner
