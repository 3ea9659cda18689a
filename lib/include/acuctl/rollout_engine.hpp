// The rollout step engine (SPEC section 7): load a canary on every runner,
// walk the plan's steps with analysis every interval and a lease renewed on
// each runner, then promote everywhere — or roll back everywhere and say why.
// The decisions are pure functions below; run_rollout does the I/O.
#pragma once
#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "acuctl/analysis.hpp"
#include "acuctl/error.hpp"
#include "acuctl/fleet.hpp"
#include "acuctl/rollout_plan.hpp"

namespace acuctl::rollout {

// ---- Pure pieces (unit-tested) ------------------------------------------------

// What one runner's answer to a rollout admin call (canary load, weight/lease
// renewal) says about it.
enum class RunnerHealth {
  ok,           // answered 2xx and still serves our canary
  lost,         // no answer (connection refused, timed out)
  refused,      // answered with an error status
  canary_gone,  // answered, but its canary is no longer ours (aborted, lease expired)
};
std::string_view runner_health_name(RunnerHealth h);

// Classifies a reply; `canary_version` empty = do not check the canary.
RunnerHealth classify_reply(const RunnerReply& reply, const std::string& canary_version);

// The version in a state document's slot ("stable" or "canary"), empty if none.
std::string slot_version(const nlohmann::json& state, const char* slot);

// Why the rollout must end because of the fleet, or nullopt when every runner
// is fine: "lost runner http://…: connection refused" (several joined by "; ").
std::optional<std::string> fleet_problem(const std::vector<RunnerReply>& replies, const std::string& canary_version);

// The body of PUT /admin/v1/canary/weight (sets the weight and renews the lease).
nlohmann::json weight_body(int weight, long long lease_seconds);

// A synthetic infer request for --load-rps when the bundle's example is not at
// hand: one row per input from GET /v2/models/{name} metadata (-1 → 1, zeros;
// BYTES inputs get empty strings). Throws Error(failure) for metadata that
// does not describe inputs.
nlohmann::json synthetic_request(const nlohmann::json& metadata);

// One line of text for an analysis event.
std::string describe_analysis(const WindowVerdict& verdict, const Measurement& m);

// ---- The engine -----------------------------------------------------------------

struct RolloutConfig {
  Plan plan;
  FleetOptions fleet;
  std::string ref;          // what the runners load: "sha256:HEX" after staging, or a registry reference
  std::string display_ref;  // what the user typed
  std::string owner;        // lease owner, e.g. "acuctl-rollout@host:pid"
  double load_rps = 0;      // 0 = no synthetic traffic
  // Infer request body for the synthetic traffic; null = build one from the
  // runner's model metadata.
  nlohmann::json example;
};

struct RolloutResult {
  Exit exit = Exit::ok;
  std::string reason;
  std::string model;
  std::string canary_version;
  std::string stable_version;
};

// Receives every event ({"event": "...", "time": RFC3339, ...}).
using EventSink = std::function<void(const nlohmann::json&)>;

// Runs the rollout to its end. `stop` becomes true on SIGINT/SIGTERM: the
// engine then rolls back and returns Exit::interrupted. Never throws for a
// rollout that was started (every failure is rolled back and reported in the
// result); throws Error only when nothing was changed.
RolloutResult run_rollout(const RolloutConfig& config, const EventSink& emit, const std::atomic<bool>& stop);

// ---- Synthetic traffic ------------------------------------------------------------

// Sends `rps` requests per second in total, spread over `runners`, from its own
// threads, until destroyed. Bounded: a request that does not answer within
// 2 s is given up, and slots missed while requests are slow are skipped, never
// queued up.
class LoadGenerator {
 public:
  LoadGenerator(std::vector<std::string> runners, std::string model, nlohmann::json request, double rps);
  ~LoadGenerator();
  LoadGenerator(const LoadGenerator&) = delete;
  LoadGenerator& operator=(const LoadGenerator&) = delete;
  std::uint64_t sent() const;
  std::uint64_t failed() const;  // transport errors and 5xx

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// ---- Status ---------------------------------------------------------------------

struct RunnerStatus {
  std::string runner;
  bool reachable = false;
  std::string error;
  std::string model;
  std::string stable;
  std::string canary;
  int weight = 0;
  std::string lease_owner;
  std::string lease_expires;
  std::optional<double> requests_per_second;
  std::optional<double> error_rate;
  std::optional<double> latency_p99;
};

// One row from a state document and, when both reads worked, the metrics
// window between two reads `seconds` apart (all versions of the model).
RunnerStatus runner_status(const std::string& runner, const nlohmann::json& state, const std::optional<Window>& window,
                           double seconds);
nlohmann::json status_to_json(const RunnerStatus& s);

// Reads state and /metrics of every runner, waits `sample`, reads /metrics again.
std::vector<RunnerStatus> fleet_status(const FleetOptions& fleet, std::chrono::milliseconds sample);

}  // namespace acuctl::rollout
