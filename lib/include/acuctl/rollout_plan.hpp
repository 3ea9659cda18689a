// A rollout plan (SPEC section 7): steps, analysis settings, checks and the
// metrics source, built from command-line flags or a plan file and validated
// with errors that name the field.
#pragma once
#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace acuctl::rollout {

using std::chrono::milliseconds;

enum class Metric { error_rate, latency_p99 };
enum class CheckKind {
  max,                       // canary value <= threshold
  max_increase_over_stable,  // canary value - stable value (same window) <= threshold
};

std::string_view metric_name(Metric m);    // "error_rate", "latency_p99"
std::string_view check_kind_name(CheckKind k);  // "max", "max_increase_over_stable"

struct Check {
  Metric metric = Metric::error_rate;
  CheckKind kind = CheckKind::max;
  // error_rate: a fraction of requests (0..1); latency_p99: seconds.
  double threshold = 0;
  bool operator==(const Check&) const = default;
};

struct Step {
  int weight = 0;  // percent of requests routed to the canary, 0..100
  milliseconds duration{0};
  bool operator==(const Step&) const = default;
};

// Defaults (documented in the README and the schema).
inline constexpr int default_failure_limit = 0;
inline constexpr int default_inconclusive_limit = 3;
inline constexpr int default_consecutive_error_limit = 4;
inline constexpr milliseconds default_interval{30'000};
inline constexpr std::uint64_t default_min_requests = 100;
inline constexpr double default_max_error_rate = 0.01;
inline constexpr milliseconds default_timeout{30 * 60'000};
inline constexpr milliseconds min_lease{10'000};

struct AnalysisSettings {
  milliseconds interval = default_interval;
  std::uint64_t min_requests = default_min_requests;
  // Failed windows tolerated over the whole rollout (cumulative, like Argo
  // Rollouts' failureLimit and Flagger's threshold); one more rolls back (exit 4).
  int failure_limit = default_failure_limit;
  // Inconclusive windows tolerated in a row; one more ends the rollout (exit 5).
  int inconclusive_limit = default_inconclusive_limit;
  // Metric reads that error tolerated in a row; one more ends the rollout (exit 5).
  int consecutive_error_limit = default_consecutive_error_limit;
  std::vector<Check> checks;
  bool operator==(const AnalysisSettings&) const = default;
};

enum class MetricsSourceKind { runners, prometheus };

// PromQL templates; {{model}}, {{version}}, {{window}} and {{slot}} are
// substituted. An empty template means the default (see metrics_source.hpp).
struct PromQueries {
  std::string error_rate;
  std::string latency_p99;
  std::string requests;
  bool operator==(const PromQueries&) const = default;
};

struct MetricsSettings {
  MetricsSourceKind source = MetricsSourceKind::runners;
  std::string url;  // Prometheus base URL when source == prometheus
  PromQueries queries;
  bool operator==(const MetricsSettings&) const = default;
};

struct Plan {
  std::vector<Step> steps;
  AnalysisSettings analysis;
  MetricsSettings metrics;
  milliseconds timeout = default_timeout;  // the whole rollout, from the first load
  bool operator==(const Plan&) const = default;
};

// The rollout command's plan flags as typed (strings, so errors can quote
// them); nullopt = flag not given.
struct PlanFlags {
  std::optional<std::string> steps;            // --steps 10,50,100 (default)
  std::optional<std::string> interval;         // --interval 30s (default)
  std::optional<std::string> step_duration;    // --step-duration (default 3 x interval)
  std::optional<std::string> max_error_rate;   // --max-error-rate 0.01 (default)
  std::optional<std::string> max_latency_p99;  // --max-latency-p99 (no latency check unless given)
  std::optional<std::string> min_requests;     // --min-requests 100 (default)
  std::optional<std::string> timeout;          // --timeout 30m (default)
};

// Builds a plan from flags. Throws Error(Exit::usage) naming the flag.
Plan plan_from_flags(const PlanFlags& flags);

// Parses a plan file's JSON. Unknown keys, wrong types and out-of-range values
// are errors (Exit::usage) naming the field, e.g.
// "invalid rollout plan 'p.json': steps[1].weight 5 must be greater than steps[0].weight 10".
Plan plan_from_json(const nlohmann::json& j, const std::string& source);
Plan plan_from_text(std::string_view text, const std::string& source);
Plan plan_from_file(const std::string& path);

// Applies --timeout to a plan (file or flags) and re-validates it.
void set_timeout(Plan& plan, std::string_view timeout_text);

// Checks the cross-field rules every plan obeys (also run by the parsers):
// weights strictly increasing, each step at least one interval long, the
// timeout at least the sum of the steps. Throws Error(Exit::usage).
void validate_plan(const Plan& plan, const std::string& source);

// Lease each runner's canary gets: 3 x interval, at least 10 s (SPEC 7).
milliseconds lease_duration(const AnalysisSettings& analysis);
// Lease in whole seconds for the admin API's lease_seconds (rounded up).
long long lease_seconds(const AnalysisSettings& analysis);

// The plan as JSON in plan-file form (durations as strings), for -o json
// events and for writing back a plan built from flags.
nlohmann::json plan_to_json(const Plan& plan);

// "error_rate max 0.01", "latency_p99 max 250ms",
// "error_rate max_increase_over_stable 0.005".
std::string describe(const Check& check);
// A metric value as the output shows it: error rates as plain decimals
// ("0.333"), latencies as durations ("312ms", "1.25s").
std::string format_metric_value(Metric metric, double value);

}  // namespace acuctl::rollout
