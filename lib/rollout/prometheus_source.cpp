// The Prometheus metrics source: PromQL instant queries over the runners'
// metric names, with model, version and window substituted (SPEC section 7).
#include <cmath>
#include <string>

#include <nlohmann/json.hpp>

#include "acuctl/error.hpp"
#include "acuctl/metrics_source.hpp"
#include "acuctl/prom_text.hpp"
#include "acuctl/timefmt.hpp"
#include "rollout/http_get.hpp"

namespace acuctl::rollout {
using nlohmann::json;

namespace {

std::string promql_string_escape(std::string_view s) {
  std::string out;
  for (char ch : s) {
    if (ch == '\\' || ch == '"') out += '\\';
    if (ch == '\n') {
      out += "\\n";
      continue;
    }
    out += ch;
  }
  return out;
}

// The value of a [time, "value"] pair.
double sample_value(const json& pair, std::string_view what) {
  if (!pair.is_array() || pair.size() != 2 || !pair[1].is_string())
    fail("invalid answer from Prometheus for " + std::string(what) + ": a sample is not [time, \"value\"]");
  auto v = prom::parse_value(pair[1].get<std::string>());
  if (!v) fail("invalid answer from Prometheus for " + std::string(what) + ": value " + pair[1].dump() + " is not a number");
  return *v;
}

}  // namespace

std::string render_query(std::string_view tmpl, const QueryVars& vars) {
  std::string out;
  std::size_t i = 0;
  while (i < tmpl.size()) {
    std::size_t open = tmpl.find("{{", i);
    if (open == std::string_view::npos) {
      out.append(tmpl.substr(i));
      break;
    }
    out.append(tmpl.substr(i, open - i));
    std::size_t close = tmpl.find("}}", open + 2);
    if (close == std::string_view::npos)
      fail_usage("invalid query template '" + std::string(tmpl) + "': '{{' without '}}'");
    std::string_view name = tmpl.substr(open + 2, close - open - 2);
    while (!name.empty() && name.front() == ' ') name.remove_prefix(1);
    while (!name.empty() && name.back() == ' ') name.remove_suffix(1);
    if (name == "model") out += promql_string_escape(vars.model);
    else if (name == "version") out += promql_string_escape(vars.version);
    else if (name == "window") out += vars.window;
    else if (name == "slot") out += promql_string_escape(vars.slot);
    else
      fail_usage("invalid query template '" + std::string(tmpl) + "': unknown placeholder '{{" + std::string(name) +
                 "}}' (known: {{model}}, {{version}}, {{window}}, {{slot}})");
    i = close + 2;
  }
  return out;
}

std::string promql_duration(milliseconds window) { return format_duration(window); }

std::optional<double> parse_query_response(std::string_view body, std::string_view what) {
  std::string where = "invalid answer from Prometheus for " + std::string(what) + ": ";
  json j = json::parse(body, nullptr, false);
  if (j.is_discarded() || !j.is_object()) fail(where + "not a JSON object");
  auto status = j.find("status");
  if (status == j.end() || !status->is_string()) fail(where + "no \"status\"");
  if (*status != "success") {
    std::string type = j.value("errorType", std::string("unknown"));
    std::string error = j.contains("error") && j["error"].is_string() ? j["error"].get<std::string>() : "";
    fail("Prometheus refused " + std::string(what) + ": " + type + (error.empty() ? "" : ": " + error));
  }
  auto data = j.find("data");
  if (data == j.end() || !data->is_object()) fail(where + "no \"data\" object");
  auto type = data->find("resultType");
  auto result = data->find("result");
  if (type == data->end() || !type->is_string() || result == data->end()) fail(where + "no resultType/result");
  double v = 0;
  if (*type == "scalar") {
    v = sample_value(*result, what);
  } else if (*type == "vector") {
    if (!result->is_array()) fail(where + "the vector result is not an array");
    if (result->empty()) return std::nullopt;
    if (result->size() > 1)
      fail(where + "the query returned " + std::to_string(result->size()) +
           " series; it must return one (aggregate it, e.g. with sum())");
    const json& series = (*result)[0];
    if (!series.is_object() || !series.contains("value")) fail(where + "a vector element has no \"value\"");
    v = sample_value(series["value"], what);
  } else {
    fail(where + "result type " + type->dump() + " is not a vector or scalar (use an instant query)");
  }
  if (std::isnan(v)) return std::nullopt;
  return v;
}

std::optional<double> prometheus_query(std::string_view base_url, std::string_view promql, milliseconds timeout) {
  std::string base(base_url);
  while (!base.empty() && base.back() == '/') base.pop_back();
  std::string url = base + "/api/v1/query?query=" + detail::url_encode(promql);
  std::string what = "'" + std::string(promql) + "'";
  auto answer = detail::http_get(url, timeout, max_metrics_body);
  // Prometheus answers errors with 400/422/503 and a JSON body naming them.
  if (answer.status != 200) {
    json j = json::parse(answer.body, nullptr, false);
    if (!j.is_discarded() && j.is_object() && j.contains("error"))
      return parse_query_response(answer.body, what);
    fail("cannot query Prometheus at '" + base + "': HTTP status " + std::to_string(answer.status) + " for " + what);
  }
  return parse_query_response(answer.body, what);
}

SlotMeasurement measure_prometheus_slot(const MetricsSettings& metrics, const QueryVars& vars, bool with_latency,
                                        milliseconds timeout) {
  auto pick = [](const std::string& custom, std::string_view fallback) {
    return custom.empty() ? std::string(fallback) : custom;
  };
  SlotMeasurement m;
  m.requests = prometheus_query(metrics.url, render_query(pick(metrics.queries.requests, default_requests_query), vars), timeout);
  m.error_rate =
      prometheus_query(metrics.url, render_query(pick(metrics.queries.error_rate, default_error_rate_query), vars), timeout);
  if (with_latency)
    m.latency_p99 = prometheus_query(
        metrics.url, render_query(pick(metrics.queries.latency_p99, default_latency_p99_query), vars), timeout);
  return m;
}

Measurement measure_prometheus(const MetricsSettings& metrics, const AnalysisSettings& analysis,
                               const WindowSelector& selector, milliseconds timeout) {
  Measurement m;
  std::string window = promql_duration(analysis.interval);
  bool latency = needs_latency(analysis);
  m.canary = measure_prometheus_slot(metrics, {selector.model, selector.canary_version, window, "canary"}, latency, timeout);
  if (needs_stable(analysis))
    m.stable =
        measure_prometheus_slot(metrics, {selector.model, selector.stable_version, window, "stable"}, latency, timeout);
  return m;
}

}  // namespace acuctl::rollout
