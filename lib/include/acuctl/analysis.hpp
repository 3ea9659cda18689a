// Canary analysis as pure decision functions (SPEC section 7): counter deltas
// between two scrapes, histogram quantiles exactly as Prometheus computes them,
// check verdicts per window, and the verdict tracker across windows.
#pragma once
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "acuctl/error.hpp"
#include "acuctl/prom_text.hpp"
#include "acuctl/rollout_plan.hpp"

namespace acuctl::rollout {

// ---- Histograms -------------------------------------------------------------

// One cumulative histogram bucket: observations <= upper_bound.
struct Bucket {
  double upper_bound = 0;
  double count = 0;
  bool operator==(const Bucket&) const = default;
};

// Prometheus' histogram_quantile (promql/quantile.go, bucketQuantile), the
// same results for the same input: buckets sorted by bound, equal bounds
// merged, counts forced monotonic; NaN without a +Inf bucket, with fewer than
// two buckets or with no observations; linear interpolation inside the bucket
// (the lowest bucket starts at 0 unless its bound is <= 0); a rank in the
// +Inf bucket answers the highest finite bound; q < 0 → -Inf, q > 1 → +Inf.
// Buckets whose bound is NaN are ignored.
double histogram_quantile(double q, std::vector<Bucket> buckets);

// ---- Windows: what each slot served between two reads -------------------------

enum class Slot { stable, canary };
std::string_view slot_name(Slot slot);  // "stable", "canary" (the runner's slot label)

struct SlotWindow {
  double requests = 0;          // acu_requests_total delta, all codes
  double errors = 0;            // acu_requests_total delta, code 5xx
  std::vector<Bucket> latency;  // acu_request_duration_seconds_bucket deltas, by bound
  int counter_resets = 0;       // series that went down (a restarted runner)
  bool operator==(const SlotWindow&) const = default;
};

struct Window {
  SlotWindow canary;
  SlotWindow stable;
  bool operator==(const Window&) const = default;
};

// Increase of a counter between two reads, as Prometheus' rate() sees it: a
// value that went down means the process restarted, so the new value is the
// increase. No previous value (a series born since the last read) counts from 0.
// NaN or negative current values count as 0.
double counter_delta(std::optional<double> previous, double current);

// Which series belong to the rollout: the model, and the version each slot
// must serve (empty = any version in that slot).
struct WindowSelector {
  std::string model;
  std::string canary_version;
  std::string stable_version;
};

// The window of one runner between two scrapes of its /metrics.
Window runner_window(const prom::Exposition& previous, const prom::Exposition& current, const WindowSelector& selector);

// Sums windows of several runners (buckets summed by bound, like `sum by (le)`).
Window sum_windows(const std::vector<Window>& windows);

// ---- Measurements: the values checks are evaluated on ------------------------

// nullopt = no data (never a pass).
struct SlotMeasurement {
  std::optional<double> requests;
  std::optional<double> error_rate;   // 5xx share of requests
  std::optional<double> latency_p99;  // seconds
  bool operator==(const SlotMeasurement&) const = default;
};

struct Measurement {
  SlotMeasurement canary{};
  SlotMeasurement stable{};
  bool operator==(const Measurement&) const = default;
};

// Requests, error rate (errors / requests; none without requests) and p99
// (histogram_quantile(0.99), none when NaN) of each slot.
SlotMeasurement measure(const SlotWindow& window);
Measurement measure(const Window& window);

// True if any check compares with the stable slot (the stable must then be measured).
bool needs_stable(const AnalysisSettings& analysis);
bool needs_latency(const AnalysisSettings& analysis);

// ---- Verdicts ------------------------------------------------------------------

enum class Outcome { pass, fail, inconclusive };
std::string_view outcome_name(Outcome o);  // "pass", "fail", "inconclusive"

struct CheckResult {
  Check check;
  Outcome outcome = Outcome::inconclusive;
  // The value compared with the threshold: the canary's value for `max`, the
  // canary's value minus the stable's for `max_increase_over_stable`.
  std::optional<double> value;
  std::optional<double> canary_value;
  std::optional<double> stable_value;
  // Names the check, its value and the threshold:
  // "error_rate 0.333 > max 0.05", "latency_p99 180ms <= max 250ms",
  // "error_rate inconclusive: 12 canary requests < min_requests 100".
  std::string message;
};

struct WindowVerdict {
  // fail if any check failed, else inconclusive if any was, else pass.
  Outcome outcome = Outcome::inconclusive;
  std::vector<CheckResult> checks;
  // The messages of the checks that decided the outcome, joined with "; ".
  std::string summary;
};

// Evaluates every check on one window. A check is inconclusive when the canary
// served fewer than min_requests in the window or its value is missing;
// `max_increase_over_stable` is also inconclusive when the stable slot served
// fewer than min_requests (too little to compare with).
WindowVerdict evaluate(const Measurement& measurement, const AnalysisSettings& analysis);

// JSON for -o json events: {"outcome", "summary", "checks": [{"metric", "kind",
// "threshold", "outcome", "value", "canary", "stable", "message"}]}; missing
// values are null. Latencies in seconds.
nlohmann::json verdict_to_json(const WindowVerdict& verdict);
// {"canary": {"requests", "error_rate", "latency_p99"}, "stable": {…}}; null = no data.
nlohmann::json measurement_to_json(const Measurement& measurement);

// ---- The tracker across windows -------------------------------------------------

struct AnalysisState {
  int windows = 0;              // windows evaluated (metric errors excluded)
  int failures = 0;             // failed windows over the whole rollout (never reset)
  int inconclusive_streak = 0;  // inconclusive windows in a row
  int error_streak = 0;         // metric read errors in a row
  int passes_in_step = 0;       // passing windows since begin_step
  bool last_passed = false;     // the latest evaluated window of this step passed
  bool operator==(const AnalysisState&) const = default;
};

enum class Decision {
  proceed,   // keep going
  rollback,  // analysis failed: roll back, exit 4
  abort,     // too many inconclusive windows or metric errors: roll back, exit 5
};
std::string_view decision_name(Decision d);  // "proceed", "rollback", "abort"

struct Judgement {
  AnalysisState state;
  Decision decision = Decision::proceed;
  Exit exit = Exit::ok;  // rolled_back for rollback, not_completed for abort
  std::string reason;    // empty for proceed
};

// Folds one window's verdict into the state:
// - fail: failures + 1; more than failure_limit → rollback. Resets the
//   inconclusive streak.
// - inconclusive: streak + 1; more than inconclusive_limit → abort.
// - pass: resets the inconclusive streak (failures stay: they are cumulative).
// Every evaluated window resets the metric-error streak.
Judgement observe(const AnalysisState& state, const WindowVerdict& verdict, const AnalysisSettings& analysis);

// Folds a failed metrics read: streak + 1; more than consecutive_error_limit
// → abort. Failure and inconclusive counts are left as they are.
Judgement observe_error(const AnalysisState& state, const std::string& error, const AnalysisSettings& analysis);

// Starts a new step: clears passes_in_step and last_passed.
AnalysisState begin_step(AnalysisState state);

// A step may end once its duration has passed and its latest window passed
// (so a step never advances on an inconclusive or failed last window; the
// engine keeps analysing until a pass or a limit decides).
bool step_complete(const AnalysisState& state, bool duration_elapsed);

}  // namespace acuctl::rollout
