// The Model Runner (`acuctl serve`, SPEC section 6): state directory, trust,
// the slots (stable, canary, previous) and their changes, the routing table
// and the HTTP endpoints tied together.
#pragma once
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "acuctl/admin_api.hpp"
#include "acuctl/audit_log.hpp"
#include "acuctl/bundle_cache.hpp"
#include "acuctl/http_server.hpp"
#include "acuctl/metrics.hpp"
#include "acuctl/routing.hpp"
#include "acuctl/runner_state.hpp"

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

// Why `next` cannot take over from `stable`: it must accept every input the
// stable accepts (same model name, every stable input with the same datatype
// and a shape at least as permissive, no extra inputs). nullopt = compatible.
std::optional<std::string> input_incompatibility(const Descriptor& stable, const Descriptor& next);

// Who asks for a change, and the generation they expect (If-Match).
struct ChangeRequest {
  std::string actor;
  std::optional<std::uint64_t> if_match;
};

class Runner {
 public:
  explicit Runner(ServeOptions options);
  ~Runner();
  Runner(const Runner&) = delete;
  Runner& operator=(const Runner&) = delete;

  // At start: the state in the state directory if there is one, else
  // --model as stable (if given). Throws Error when the state cannot be restored.
  void start();

  // The admin changes. Each one either completes — state.json replaced,
  // routing table swapped, audit line written — and returns the new state,
  // or throws AdminError with the state unchanged (and the refusal audited).
  ServingState deploy(const DeployRequest& request, const ChangeRequest& who);
  ServingState canary(const CanaryRequest& request, const ChangeRequest& who);
  ServingState set_weight(const WeightRequest& request, const ChangeRequest& who);
  ServingState promote(const ChangeRequest& who);
  ServingState rollback(const RollbackRequest& request, const ChangeRequest& who);
  // Rolls back a canary whose lease has expired by `now` (actor
  // "lease-expired"); returns true when it did.
  bool expire_lease(std::chrono::system_clock::time_point now);
  // PUT /admin/v1/bundles/DIGEST.
  void upload_bundle(std::string_view digest, std::string_view bytes, const std::string& actor);

  ServingState state() const;
  nlohmann::json audit() const { return audit_.read_all(); }

  // Every HTTP request goes through here.
  void handle(const HttpRequest& request, HttpResponse& response);

  // Checks leases every 100 ms on a thread of its own until stop_lease_watch().
  void start_lease_watch();
  void stop_lease_watch();

  Router& router() { return router_; }
  Metrics& metrics() { return metrics_; }
  BundleCache& cache() { return cache_; }
  const TrustPolicy& trust() const { return trust_; }
  const ServeOptions& options() const { return options_; }
  const std::optional<AdminTokens>& tokens() const { return tokens_; }

 private:
  struct Models {
    std::shared_ptr<const LoadedModel> stable, canary, previous;  // previous may be unloaded (null)
  };
  // Resolves, verifies, unpacks, checks against the stable, loads and warms
  // up; AdminError with the SPEC status otherwise.
  std::shared_ptr<const LoadedModel> load_candidate(const std::string& ref, bool check_compatibility, bool force,
                                                    bool warm_up);
  void check_if_match(const ChangeRequest& who, const std::string& action);
  // Persists `next`, swaps the routing table, audits; under writers_.
  void commit(ServingState next, Models models, AuditEntry entry);
  void refuse(const ChangeRequest& who, const std::string& action, const std::optional<std::string>& to,
              const AdminError& error);
  void publish(const ServingState& s, const Models& m);
  void prune_cache(const ServingState& s);
  SlotRecord record_of(const LoadedModel& m) const;
  std::optional<std::string> stable_version() const;

  ServeOptions options_;
  BundleCache cache_;
  TrustPolicy trust_;
  std::optional<AdminTokens> tokens_;
  AuditLog audit_;
  Metrics metrics_;
  Router router_;

  std::mutex writers_;  // one change at a time; never taken by the request path
  ServingState state_;  // under writers_
  Models models_;       // under writers_
  mutable std::mutex view_mutex_;
  ServingState view_;   // a copy for readers of GET /admin/v1/state (not blocked by a slow load)
  std::atomic<std::int64_t> lease_deadline_ms_{0};  // system clock; 0 = no lease

  std::mutex lease_mutex_;
  std::condition_variable lease_cv_;
  bool lease_stop_ = false;
  std::thread lease_thread_;
};

// Runs the runner until SIGTERM/SIGINT; returns the exit code.
int serve(ServeOptions options);

}  // namespace acuctl::runner
