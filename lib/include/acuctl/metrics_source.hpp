// Where analysis gets its numbers (SPEC section 7): each runner's /metrics
// (Prometheus text, turned into windows by analysis.hpp) or a Prometheus
// server's HTTP API (instant queries with model, version and window substituted).
#pragma once
#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "acuctl/analysis.hpp"
#include "acuctl/prom_text.hpp"
#include "acuctl/rollout_plan.hpp"

namespace acuctl::rollout {

// Largest /metrics body or Prometheus answer read (bigger is an error).
inline constexpr std::size_t max_metrics_body = 16u << 20;
inline constexpr milliseconds default_metrics_timeout{5000};

// ---- Runner /metrics -----------------------------------------------------------

// "http://h:p" or "http://h:p/" → "http://h:p/metrics".
std::string runner_metrics_url(std::string_view runner_url);

// GETs the runner's /metrics and parses it. Throws Error(Exit::failure):
// "cannot read metrics from 'http://…/metrics': <why>".
prom::Exposition read_runner_metrics(std::string_view runner_url, milliseconds timeout = default_metrics_timeout);

// ---- Prometheus HTTP API ---------------------------------------------------------

// Default PromQL (SPEC section 7). The 5xx numerator falls back to 0 with
// `or vector(0)`, so a version that never failed has error rate 0 rather than
// no data; the denominator keeps "no requests" as no data.
inline constexpr std::string_view default_error_rate_query =
    "(sum(rate(acu_requests_total{model=\"{{model}}\",version=\"{{version}}\",code=~\"5..\"}[{{window}}])) or vector(0))"
    " / sum(rate(acu_requests_total{model=\"{{model}}\",version=\"{{version}}\"}[{{window}}]))";
inline constexpr std::string_view default_latency_p99_query =
    "histogram_quantile(0.99, sum by (le) (rate(acu_request_duration_seconds_bucket{model=\"{{model}}\","
    "version=\"{{version}}\"}[{{window}}])))";
inline constexpr std::string_view default_requests_query =
    "sum(increase(acu_requests_total{model=\"{{model}}\",version=\"{{version}}\"}[{{window}}]))";

struct QueryVars {
  std::string model;
  std::string version;
  std::string window;  // a PromQL duration, e.g. "30s"
  std::string slot;    // "canary" or "stable"
};

// Substitutes {{model}}, {{version}}, {{window}}, {{slot}} (values escaped for a
// PromQL double-quoted string). Unknown {{…}} placeholders are an error.
std::string render_query(std::string_view query_template, const QueryVars& vars);

// A PromQL range for the window: "30s", "2m", "250ms".
std::string promql_duration(milliseconds window);

// Parses an instant-query answer (/api/v1/query JSON). Returns the single
// value of a vector or scalar result; nullopt for an empty vector or NaN (no
// data). Throws Error(Exit::failure) for an error status, malformed JSON, a
// result with more than one series, or another result type. `what` names the
// query in errors.
std::optional<double> parse_query_response(std::string_view body, std::string_view what);

// Runs one instant query: GET <base_url>/api/v1/query?query=<promql>.
std::optional<double> prometheus_query(std::string_view base_url, std::string_view promql,
                                       milliseconds timeout = default_metrics_timeout);

// Measures one slot's version with the plan's (or default) queries. Latency is
// queried only when `with_latency`.
SlotMeasurement measure_prometheus_slot(const MetricsSettings& metrics, const QueryVars& vars, bool with_latency,
                                        milliseconds timeout = default_metrics_timeout);

// Measures the canary (and the stable when a check needs it) over the window
// of one analysis interval.
Measurement measure_prometheus(const MetricsSettings& metrics, const AnalysisSettings& analysis,
                               const WindowSelector& selector, milliseconds timeout = default_metrics_timeout);

}  // namespace acuctl::rollout
