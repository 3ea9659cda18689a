// Rollout plans from flags or plan files (SPEC section 7), validated strictly:
// a typo in a plan must not silently weaken a rollout's checks.
#include "acuctl/rollout_plan.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <numeric>

#include "acuctl/error.hpp"
#include "acuctl/files.hpp"
#include "acuctl/timefmt.hpp"

namespace acuctl::rollout {
using nlohmann::json;

namespace {

constexpr std::size_t max_steps = 100;
constexpr std::size_t max_checks = 32;
constexpr long long max_limit = 1000;
constexpr long long max_min_requests = 1'000'000'000;
constexpr std::size_t max_query_length = 4096;
constexpr milliseconds min_interval{1000};
constexpr milliseconds max_interval{24LL * 3600'000};

// The duration syntax plans accept (the schema's pattern says the same):
// one or more <digits>[.<digits>]<unit>, unit ms, s, m or h.
bool duration_syntax(std::string_view s) {
  if (s.empty()) return false;
  std::size_t i = 0;
  while (i < s.size()) {
    std::size_t d = i;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
    if (i == d) return false;
    if (i < s.size() && s[i] == '.') {
      std::size_t f = ++i;
      while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
      if (i == f) return false;
    }
    if (s.substr(i, 2) == "ms") i += 2;
    else if (i < s.size() && (s[i] == 's' || s[i] == 'm' || s[i] == 'h')) ++i;
    else return false;
  }
  return true;
}

std::optional<double> whole_number(std::string_view s) {
  double v = 0;
  if (s.empty()) return std::nullopt;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || end != s.data() + s.size() || !std::isfinite(v)) return std::nullopt;
  return v;
}

// Seconds of a duration with valid syntax, without rounding to milliseconds
// (latency thresholds below 1 ms are meaningful).
double duration_seconds(std::string_view s) {
  double total = 0;
  std::size_t i = 0;
  while (i < s.size()) {
    std::size_t start = i;
    while (i < s.size() && ((s[i] >= '0' && s[i] <= '9') || s[i] == '.')) ++i;
    double v = 0;
    std::from_chars(s.data() + start, s.data() + i, v);
    if (s.substr(i, 2) == "ms") { total += v / 1000; i += 2; }
    else if (s[i] == 's') { total += v; ++i; }
    else if (s[i] == 'm') { total += v * 60; ++i; }
    else { total += v * 3600; ++i; }
  }
  return total;
}

// "4m30s", "1h", "250ms", "1m0.5s": exact, for messages and plan_to_json.
std::string human_duration(milliseconds d) {
  long long ms = d.count();
  if (ms <= 0) return "0s";
  std::string out;
  if (ms >= 3600000) {
    out += std::to_string(ms / 3600000) + "h";
    ms %= 3600000;
  }
  if (ms >= 60000) {
    out += std::to_string(ms / 60000) + "m";
    ms %= 60000;
  }
  if (ms >= 1000 || (!out.empty() && ms > 0)) {
    std::string frac = std::to_string(1000 + ms % 1000).substr(1);  // 3 digits
    while (!frac.empty() && frac.back() == '0') frac.pop_back();
    out += std::to_string(ms / 1000) + (frac.empty() ? "" : "." + frac) + "s";
  } else if (ms > 0) {
    out += std::to_string(ms) + "ms";
  }
  return out;
}

// Reads one plan file; every error names the field path.
class PlanReader {
 public:
  explicit PlanReader(std::string source) : source_(std::move(source)) {}

  [[noreturn]] void bad(const std::string& why) const {
    fail_usage("invalid rollout plan '" + source_ + "': " + why,
               "see schemas/rollout-plan.schema.json and man acuctl-rollout");
  }

  void only_keys(const json& obj, const std::string& where, std::initializer_list<std::string_view> keys) const {
    for (auto it = obj.begin(); it != obj.end(); ++it)
      if (std::find(keys.begin(), keys.end(), it.key()) == keys.end())
        bad("unknown key '" + it.key() + "' in " + where);
  }

  const json& object(const json& parent, const char* key, const std::string& where, bool required) const {
    static const json none;
    auto it = parent.find(key);
    if (it == parent.end()) {
      if (required) bad("missing required key '" + std::string(key) + "' in " + where);
      return none;
    }
    if (!it->is_object()) bad(path(where, key) + " must be an object");
    return *it;
  }

  static std::string path(const std::string& where, const char* key) {
    return where == "the plan" ? std::string(key) : where + "." + key;
  }

  long long integer(const json& v, const std::string& field, long long lo, long long hi) const {
    long long n = 0;
    if (v.is_number_integer()) {
      if (v.is_number_unsigned() && v.get<std::uint64_t>() > static_cast<std::uint64_t>(hi))
        bad(field + " " + v.dump() + " must be from " + std::to_string(lo) + " to " + std::to_string(hi));
      n = v.get<long long>();
    } else if (v.is_number_float() && std::isfinite(v.get<double>()) &&
               v.get<double>() == std::floor(v.get<double>()) && std::fabs(v.get<double>()) < 1e15) {
      n = static_cast<long long>(v.get<double>());
    } else {
      bad(field + " must be a whole number, not " + v.dump());
    }
    if (n < lo || n > hi)
      bad(field + " " + std::to_string(n) + " must be from " + std::to_string(lo) + " to " + std::to_string(hi));
    return n;
  }

  milliseconds duration(const json& v, const std::string& field) const {
    if (!v.is_string() || !duration_syntax(v.get<std::string>()))
      bad(field + " must be a duration like \"30s\", \"2m\", \"1h\" or \"250ms\", not " + v.dump());
    return parse_duration(v.get<std::string>());
  }

  Plan read(const json& j) const {
    if (!j.is_object()) bad("the plan must be a JSON object");
    only_keys(j, "the plan", {"steps", "analysis", "metrics"});
    Plan plan;
    auto steps = j.find("steps");
    if (steps == j.end()) bad("missing required key 'steps'");
    if (!steps->is_array() || steps->empty() || steps->size() > max_steps)
      bad("steps must be an array of 1 to " + std::to_string(max_steps) + " steps");
    for (std::size_t i = 0; i < steps->size(); ++i) {
      const json& s = (*steps)[i];
      std::string where = "steps[" + std::to_string(i) + "]";
      if (!s.is_object()) bad(where + " must be an object like {\"weight\": 10, \"duration\": \"1m\"}");
      only_keys(s, where, {"weight", "duration"});
      if (!s.contains("weight")) bad("missing required key 'weight' in " + where);
      if (!s.contains("duration")) bad("missing required key 'duration' in " + where);
      Step step;
      step.weight = static_cast<int>(integer(s["weight"], where + ".weight", 0, 100));
      step.duration = duration(s["duration"], where + ".duration");
      plan.steps.push_back(step);
    }
    plan.analysis = analysis(object(j, "analysis", "the plan", true));
    if (j.contains("metrics")) plan.metrics = metrics(object(j, "metrics", "the plan", false));
    plan.timeout = std::max(default_timeout, 2 * total(plan.steps));
    validate_plan(plan, source_);
    return plan;
  }

  static milliseconds total(const std::vector<Step>& steps) {
    return std::accumulate(steps.begin(), steps.end(), milliseconds{0},
                           [](milliseconds a, const Step& s) { return a + s.duration; });
  }

  AnalysisSettings analysis(const json& a) const {
    only_keys(a, "analysis",
              {"interval", "min_requests", "failure_limit", "inconclusive_limit", "consecutive_error_limit", "checks"});
    AnalysisSettings out;
    if (!a.contains("interval")) bad("missing required key 'interval' in analysis");
    out.interval = duration(a["interval"], "analysis.interval");
    if (!a.contains("min_requests")) bad("missing required key 'min_requests' in analysis");
    out.min_requests = static_cast<std::uint64_t>(integer(a["min_requests"], "analysis.min_requests", 1, max_min_requests));
    if (a.contains("failure_limit"))
      out.failure_limit = static_cast<int>(integer(a["failure_limit"], "analysis.failure_limit", 0, max_limit));
    if (a.contains("inconclusive_limit"))
      out.inconclusive_limit = static_cast<int>(integer(a["inconclusive_limit"], "analysis.inconclusive_limit", 0, max_limit));
    if (a.contains("consecutive_error_limit"))
      out.consecutive_error_limit =
          static_cast<int>(integer(a["consecutive_error_limit"], "analysis.consecutive_error_limit", 0, max_limit));
    auto checks = a.find("checks");
    if (checks == a.end()) bad("missing required key 'checks' in analysis");
    if (!checks->is_array() || checks->empty() || checks->size() > max_checks)
      bad("analysis.checks must be an array of 1 to " + std::to_string(max_checks) + " checks");
    for (std::size_t i = 0; i < checks->size(); ++i)
      out.checks.push_back(check((*checks)[i], "analysis.checks[" + std::to_string(i) + "]"));
    return out;
  }

  Check check(const json& c, const std::string& where) const {
    if (!c.is_object()) bad(where + " must be an object like {\"metric\": \"error_rate\", \"max\": 0.01}");
    only_keys(c, where, {"metric", "max", "max_increase_over_stable"});
    Check out;
    auto metric = c.find("metric");
    if (metric == c.end()) bad("missing required key 'metric' in " + where);
    if (*metric == "error_rate") out.metric = Metric::error_rate;
    else if (*metric == "latency_p99") out.metric = Metric::latency_p99;
    else bad(where + ".metric " + metric->dump() + " must be \"error_rate\" or \"latency_p99\"");
    bool has_max = c.contains("max"), has_inc = c.contains("max_increase_over_stable");
    if (has_max == has_inc)
      bad(where + " needs exactly one of 'max' and 'max_increase_over_stable'");
    out.kind = has_max ? CheckKind::max : CheckKind::max_increase_over_stable;
    const char* key = has_max ? "max" : "max_increase_over_stable";
    const json& v = c[key];
    std::string field = where + "." + key;
    if (out.metric == Metric::error_rate) {
      if (!v.is_number()) bad(field + " must be a number from 0 to 1 (a fraction of requests), not " + v.dump());
      double x = v.get<double>();
      if (!(x >= 0 && x <= 1)) bad(field + " " + v.dump() + " must be from 0 to 1 (a fraction of requests)");
      out.threshold = x;
    } else {
      if (!v.is_string() || !duration_syntax(v.get<std::string>()))
        bad(field + " must be a duration like \"250ms\" for latency_p99, not " + v.dump());
      out.threshold = duration_seconds(v.get<std::string>());
      if (out.kind == CheckKind::max && out.threshold <= 0) bad(field + " must be longer than 0");
    }
    return out;
  }

  MetricsSettings metrics(const json& m) const {
    only_keys(m, "metrics", {"source", "url", "queries"});
    MetricsSettings out;
    auto source = m.find("source");
    if (source == m.end()) bad("missing required key 'source' in metrics");
    if (*source == "runners") out.source = MetricsSourceKind::runners;
    else if (*source == "prometheus") out.source = MetricsSourceKind::prometheus;
    else bad("metrics.source " + source->dump() + " must be \"runners\" or \"prometheus\"");
    if (out.source == MetricsSourceKind::runners) {
      if (m.contains("url")) bad("metrics.url is only for \"source\": \"prometheus\"");
      if (m.contains("queries")) bad("metrics.queries is only for \"source\": \"prometheus\"");
      return out;
    }
    auto url = m.find("url");
    if (url == m.end()) bad("missing required key 'url' in metrics (the Prometheus server, like http://127.0.0.1:9090)");
    if (!url->is_string()) bad("metrics.url must be a string");
    out.url = url->get<std::string>();
    bool scheme = out.url.rfind("http://", 0) == 0 || out.url.rfind("https://", 0) == 0;
    bool blank = std::any_of(out.url.begin(), out.url.end(), [](char ch) { return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r'; });
    if (!scheme || blank || out.url.size() <= 8)
      bad("metrics.url " + url->dump() + " must be an http:// or https:// URL");
    if (m.contains("queries")) {
      const json& q = object(m, "queries", "metrics", false);
      only_keys(q, "metrics.queries", {"error_rate", "latency_p99", "requests"});
      auto text = [&](const char* key, std::string& into) {
        if (!q.contains(key)) return;
        const json& v = q[key];
        std::string field = std::string("metrics.queries.") + key;
        if (!v.is_string() || v.get<std::string>().empty() || v.get<std::string>().size() > max_query_length)
          bad(field + " must be a non-empty PromQL string of at most " + std::to_string(max_query_length) + " characters");
        into = v.get<std::string>();
      };
      text("error_rate", out.queries.error_rate);
      text("latency_p99", out.queries.latency_p99);
      text("requests", out.queries.requests);
    }
    return out;
  }

 private:
  std::string source_;
};

[[noreturn]] void bad_flag(const char* flag, const std::string& value, const std::string& why) {
  fail_usage("invalid " + std::string(flag) + " '" + value + "': " + why);
}

milliseconds flag_duration(const char* flag, const std::string& value) {
  if (!duration_syntax(value)) bad_flag(flag, value, "expected a duration like 30s, 2m, 1h or 250ms");
  milliseconds d = parse_duration(value);
  if (d.count() <= 0) bad_flag(flag, value, "must be longer than 0");
  return d;
}

// A latency threshold back in plan syntax: "250ms", "1.5s", "0.25ms".
std::string seconds_as_duration(double seconds) {
  char buf[64];
  double ms = seconds * 1000;
  if (ms == std::floor(ms) && ms < 1e15) return human_duration(milliseconds(static_cast<long long>(ms)));
  std::snprintf(buf, sizeof buf, "%.9gms", ms);
  return buf;
}

}  // namespace

std::string_view metric_name(Metric m) { return m == Metric::error_rate ? "error_rate" : "latency_p99"; }
std::string_view check_kind_name(CheckKind k) {
  return k == CheckKind::max ? "max" : "max_increase_over_stable";
}

void validate_plan(const Plan& plan, const std::string& source) {
  auto bad = [&](const std::string& why) {
    fail_usage("invalid rollout plan '" + source + "': " + why,
               "see schemas/rollout-plan.schema.json and man acuctl-rollout");
  };
  const auto& a = plan.analysis;
  if (a.interval < min_interval || a.interval > max_interval)
    bad("analysis.interval " + human_duration(a.interval) + " must be from 1s to 24h");
  if (plan.steps.empty()) bad("steps must not be empty");
  if (a.checks.empty()) bad("analysis.checks must not be empty");
  if (a.min_requests < 1) bad("analysis.min_requests must be at least 1");
  for (std::size_t i = 0; i < plan.steps.size(); ++i) {
    const Step& s = plan.steps[i];
    std::string where = "steps[" + std::to_string(i) + "]";
    if (s.weight < 0 || s.weight > 100) bad(where + ".weight " + std::to_string(s.weight) + " must be from 0 to 100");
    if (i > 0 && s.weight <= plan.steps[i - 1].weight)
      bad(where + ".weight " + std::to_string(s.weight) + " must be greater than steps[" + std::to_string(i - 1) +
          "].weight " + std::to_string(plan.steps[i - 1].weight) + " (weights increase strictly)");
    if (s.duration < a.interval)
      bad(where + ".duration " + human_duration(s.duration) + " is shorter than analysis.interval " +
          human_duration(a.interval) + ": the step would end before its first analysis");
  }
  milliseconds sum = PlanReader::total(plan.steps);
  if (plan.timeout < sum)
    bad("the timeout " + human_duration(plan.timeout) + " is shorter than the steps together (" +
        human_duration(sum) + "); give a longer --timeout");
  if (plan.metrics.source == MetricsSourceKind::prometheus && plan.metrics.url.empty())
    bad("metrics.url is required with \"source\": \"prometheus\"");
}

Plan plan_from_json(const json& j, const std::string& source) { return PlanReader(source).read(j); }

Plan plan_from_text(std::string_view text, const std::string& source) {
  json j;
  try {
    j = json::parse(text);
  } catch (const json::exception& e) {
    fail_usage("invalid rollout plan '" + source + "': not valid JSON: " + e.what());
  }
  return plan_from_json(j, source);
}

Plan plan_from_file(const std::string& path) {
  std::string text;
  try {
    text = read_file(path, 1 << 20);
  } catch (...) {
    rethrow_with_context("cannot read rollout plan '" + path + "'");
  }
  return plan_from_text(text, path);
}

Plan plan_from_flags(const PlanFlags& flags) {
  Plan plan;
  std::string steps_text = flags.steps.value_or("10,50,100");
  std::vector<int> weights;
  std::size_t start = 0;
  while (start <= steps_text.size()) {
    std::size_t end = std::min(steps_text.find(',', start), steps_text.size());
    std::string_view part(steps_text.data() + start, end - start);
    int w = -1;
    auto [p, ec] = std::from_chars(part.data(), part.data() + part.size(), w);
    if (part.empty() || ec != std::errc{} || p != part.data() + part.size() || w < 0 || w > 100)
      bad_flag("--steps", steps_text, "'" + std::string(part) + "' is not a whole number from 0 to 100");
    if (!weights.empty() && w <= weights.back())
      bad_flag("--steps", steps_text, "weights must increase strictly (" + std::to_string(w) + " after " +
                                          std::to_string(weights.back()) + ")");
    weights.push_back(w);
    if (weights.size() > max_steps) bad_flag("--steps", steps_text, "at most 100 steps");
    start = end + 1;
  }
  auto& a = plan.analysis;
  if (flags.interval) {
    a.interval = flag_duration("--interval", *flags.interval);
    if (a.interval < min_interval || a.interval > max_interval)
      bad_flag("--interval", *flags.interval, "must be from 1s to 24h");
  }
  milliseconds step = 3 * a.interval;
  if (flags.step_duration) {
    step = flag_duration("--step-duration", *flags.step_duration);
    if (step < a.interval)
      bad_flag("--step-duration", *flags.step_duration,
               "shorter than --interval " + human_duration(a.interval) + ": a step would end before its first analysis");
  }
  for (int w : weights) plan.steps.push_back(Step{w, step});
  if (flags.min_requests) {
    long long n = 0;
    const std::string& t = *flags.min_requests;
    auto [p, ec] = std::from_chars(t.data(), t.data() + t.size(), n);
    if (t.empty() || ec != std::errc{} || p != t.data() + t.size() || n < 1 || n > max_min_requests)
      bad_flag("--min-requests", t, "expected a whole number of at least 1");
    a.min_requests = static_cast<std::uint64_t>(n);
  }
  double max_error = default_max_error_rate;
  if (flags.max_error_rate) {
    auto v = whole_number(*flags.max_error_rate);
    if (!v || *v < 0 || *v > 1) bad_flag("--max-error-rate", *flags.max_error_rate, "expected a fraction from 0 to 1, like 0.01");
    max_error = *v;
  }
  a.checks.push_back(Check{Metric::error_rate, CheckKind::max, max_error});
  if (flags.max_latency_p99) {
    flag_duration("--max-latency-p99", *flags.max_latency_p99);
    a.checks.push_back(Check{Metric::latency_p99, CheckKind::max, duration_seconds(*flags.max_latency_p99)});
  }
  plan.timeout = std::max(default_timeout, 2 * PlanReader::total(plan.steps));
  if (flags.timeout) set_timeout(plan, *flags.timeout);
  validate_plan(plan, "command line");
  return plan;
}

void set_timeout(Plan& plan, std::string_view timeout_text) {
  std::string t(timeout_text);
  plan.timeout = flag_duration("--timeout", t);
  milliseconds sum = PlanReader::total(plan.steps);
  if (plan.timeout < sum)
    bad_flag("--timeout", t, "shorter than the plan's steps together (" + human_duration(sum) + ")");
}

milliseconds lease_duration(const AnalysisSettings& analysis) { return std::max(3 * analysis.interval, min_lease); }

long long lease_seconds(const AnalysisSettings& analysis) { return (lease_duration(analysis).count() + 999) / 1000; }

std::string format_metric_value(Metric metric, double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  if (metric == Metric::error_rate) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.3g", value);
    return buf;
  }
  char buf[64];
  if (std::fabs(value) < 1.0) std::snprintf(buf, sizeof buf, "%.3gms", value * 1000);
  else std::snprintf(buf, sizeof buf, "%.3gs", value);
  return buf;
}

std::string describe(const Check& check) {
  return std::string(metric_name(check.metric)) + " " + std::string(check_kind_name(check.kind)) + " " +
         format_metric_value(check.metric, check.threshold);
}

json plan_to_json(const Plan& plan) {
  json j;
  j["steps"] = json::array();
  for (const Step& s : plan.steps) j["steps"].push_back({{"weight", s.weight}, {"duration", human_duration(s.duration)}});
  const auto& a = plan.analysis;
  json checks = json::array();
  for (const Check& c : a.checks) {
    json v;
    if (c.metric == Metric::error_rate) v = c.threshold;
    else v = seconds_as_duration(c.threshold);
    checks.push_back({{"metric", metric_name(c.metric)}, {std::string(check_kind_name(c.kind)), v}});
  }
  j["analysis"] = {{"interval", human_duration(a.interval)},
                   {"min_requests", a.min_requests},
                   {"failure_limit", a.failure_limit},
                   {"inconclusive_limit", a.inconclusive_limit},
                   {"consecutive_error_limit", a.consecutive_error_limit},
                   {"checks", checks}};
  if (plan.metrics.source == MetricsSourceKind::runners) {
    j["metrics"] = {{"source", "runners"}};
  } else {
    j["metrics"] = {{"source", "prometheus"}, {"url", plan.metrics.url}};
    json q = json::object();
    if (!plan.metrics.queries.error_rate.empty()) q["error_rate"] = plan.metrics.queries.error_rate;
    if (!plan.metrics.queries.latency_p99.empty()) q["latency_p99"] = plan.metrics.queries.latency_p99;
    if (!plan.metrics.queries.requests.empty()) q["requests"] = plan.metrics.queries.requests;
    if (!q.empty()) j["metrics"]["queries"] = q;
  }
  return j;
}

}  // namespace acuctl::rollout
