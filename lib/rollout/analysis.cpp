// Canary analysis: windows from counter deltas, Prometheus' histogram_quantile,
// check verdicts and the tracker that turns verdicts into a decision.
#include "acuctl/analysis.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <map>

#include "acuctl/contract.hpp"

namespace acuctl::rollout {
namespace {

constexpr double nan_value = std::numeric_limits<double>::quiet_NaN();

// Go's sort.Search: the smallest i in [0, n) with pred(i), or n; the same
// probing order, so non-monotonic input gives Prometheus' answer too.
template <class Pred>
std::size_t go_search(std::size_t n, Pred pred) {
  std::size_t i = 0, j = n;
  while (i < j) {
    std::size_t h = i + (j - i) / 2;
    if (!pred(h)) i = h + 1;
    else j = h;
  }
  return i;
}

bool is_5xx(const std::string& code) {
  return code.size() == 3 && code[0] == '5' && code[1] >= '0' && code[1] <= '9' && code[2] >= '0' && code[2] <= '9';
}

std::string requests_text(double n) {
  char buf[64];
  if (n == std::floor(n) && std::fabs(n) < 1e15) std::snprintf(buf, sizeof buf, "%.0f", n);
  else std::snprintf(buf, sizeof buf, "%.1f", n);
  return buf;
}

}  // namespace

double histogram_quantile(double q, std::vector<Bucket> buckets) {
  if (std::isnan(q)) return nan_value;
  if (q < 0) return -std::numeric_limits<double>::infinity();
  if (q > 1) return std::numeric_limits<double>::infinity();
  std::erase_if(buckets, [](const Bucket& b) { return std::isnan(b.upper_bound); });
  if (buckets.empty()) return nan_value;
  std::stable_sort(buckets.begin(), buckets.end(),
                   [](const Bucket& a, const Bucket& b) { return a.upper_bound < b.upper_bound; });
  if (!(std::isinf(buckets.back().upper_bound) && buckets.back().upper_bound > 0)) return nan_value;
  // Coalesce equal bounds (coalesceBuckets).
  std::vector<Bucket> merged;
  for (const Bucket& b : buckets) {
    if (!merged.empty() && merged.back().upper_bound == b.upper_bound) merged.back().count += b.count;
    else merged.push_back(b);
  }
  // ensureMonotonic.
  double max = -std::numeric_limits<double>::infinity();
  for (Bucket& b : merged) {
    if (b.count > max) max = b.count;
    else if (b.count < max) b.count = max;
  }
  if (merged.size() < 2) return nan_value;
  double observations = merged.back().count;
  if (observations == 0) return nan_value;
  double rank = q * observations;
  std::size_t b = go_search(merged.size() - 1, [&](std::size_t i) { return merged[i].count >= rank; });
  if (b == merged.size() - 1) return merged[merged.size() - 2].upper_bound;
  if (b == 0 && merged[0].upper_bound <= 0) return merged[0].upper_bound;
  double start = 0;
  double end = merged[b].upper_bound;
  double count = merged[b].count;
  if (b > 0) {
    start = merged[b - 1].upper_bound;
    count -= merged[b - 1].count;
    rank -= merged[b - 1].count;
  }
  return start + (end - start) * (rank / count);
}

std::string_view slot_name(Slot slot) { return slot == Slot::canary ? "canary" : "stable"; }

double counter_delta(std::optional<double> previous, double current) {
  if (!(current >= 0) || std::isinf(current)) return 0;
  if (!previous || !(*previous >= 0) || std::isinf(*previous)) return current;
  if (current < *previous) return current;  // reset: the process restarted
  return current - *previous;
}

Window runner_window(const prom::Exposition& previous, const prom::Exposition& current, const WindowSelector& selector) {
  const std::string requests_name(contract::metric_requests);
  const std::string bucket_name = std::string(contract::metric_duration) + "_bucket";
  Window w;
  std::map<double, double> buckets[2];
  for (const auto& [key, sample] : current.samples) {
    bool is_requests = key.name == requests_name;
    bool is_bucket = key.name == bucket_name;
    if (!is_requests && !is_bucket) continue;
    const std::string* model = key.label("model");
    const std::string* slot = key.label("slot");
    const std::string* version = key.label("version");
    if (!model || *model != selector.model || !slot) continue;
    Slot which;
    if (*slot == "canary") which = Slot::canary;
    else if (*slot == "stable") which = Slot::stable;
    else continue;
    const std::string& want = which == Slot::canary ? selector.canary_version : selector.stable_version;
    if (!want.empty() && (!version || *version != want)) continue;
    SlotWindow& sw = which == Slot::canary ? w.canary : w.stable;
    std::optional<double> before;
    if (auto it = previous.samples.find(key); it != previous.samples.end()) before = it->second.value;
    double delta = counter_delta(before, sample.value);
    if (before && sample.value < *before) ++sw.counter_resets;
    if (is_requests) {
      sw.requests += delta;
      const std::string* code = key.label("code");
      if (code && is_5xx(*code)) sw.errors += delta;
    } else {
      const std::string* le = key.label("le");
      if (!le) continue;
      auto bound = prom::parse_value(*le);
      if (!bound || std::isnan(*bound)) continue;
      buckets[which == Slot::canary ? 1 : 0][*bound] += delta;
    }
  }
  for (int i = 0; i < 2; ++i) {
    SlotWindow& sw = i == 1 ? w.canary : w.stable;
    for (const auto& [bound, count] : buckets[i]) sw.latency.push_back(Bucket{bound, count});
  }
  return w;
}

Window sum_windows(const std::vector<Window>& windows) {
  Window total;
  std::map<double, double> buckets[2];
  for (const Window& w : windows) {
    for (int i = 0; i < 2; ++i) {
      const SlotWindow& from = i == 1 ? w.canary : w.stable;
      SlotWindow& into = i == 1 ? total.canary : total.stable;
      into.requests += from.requests;
      into.errors += from.errors;
      into.counter_resets += from.counter_resets;
      for (const Bucket& b : from.latency)
        if (!std::isnan(b.upper_bound)) buckets[i][b.upper_bound] += b.count;
    }
  }
  for (int i = 0; i < 2; ++i) {
    SlotWindow& sw = i == 1 ? total.canary : total.stable;
    for (const auto& [bound, count] : buckets[i]) sw.latency.push_back(Bucket{bound, count});
  }
  return total;
}

SlotMeasurement measure(const SlotWindow& window) {
  SlotMeasurement m;
  m.requests = window.requests;
  if (window.requests > 0) m.error_rate = std::min(1.0, window.errors / window.requests);
  double p99 = histogram_quantile(0.99, window.latency);
  if (!std::isnan(p99)) m.latency_p99 = p99;
  return m;
}

Measurement measure(const Window& window) { return Measurement{measure(window.canary), measure(window.stable)}; }

bool needs_stable(const AnalysisSettings& analysis) {
  return std::any_of(analysis.checks.begin(), analysis.checks.end(),
                     [](const Check& c) { return c.kind == CheckKind::max_increase_over_stable; });
}

bool needs_latency(const AnalysisSettings& analysis) {
  return std::any_of(analysis.checks.begin(), analysis.checks.end(),
                     [](const Check& c) { return c.metric == Metric::latency_p99; });
}

std::string_view outcome_name(Outcome o) {
  switch (o) {
    case Outcome::pass: return "pass";
    case Outcome::fail: return "fail";
    case Outcome::inconclusive: return "inconclusive";
  }
  return "inconclusive";
}

namespace {

std::optional<double> value_of(const SlotMeasurement& m, Metric metric) {
  auto v = metric == Metric::error_rate ? m.error_rate : m.latency_p99;
  if (v && std::isnan(*v)) return std::nullopt;
  return v;
}

CheckResult evaluate_check(const Check& check, const Measurement& m, const AnalysisSettings& analysis) {
  CheckResult r;
  r.check = check;
  std::string name(metric_name(check.metric));
  auto min = static_cast<double>(analysis.min_requests);
  auto inconclusive = [&](const std::string& why) {
    r.outcome = Outcome::inconclusive;
    r.message = name + " inconclusive: " + why;
    return r;
  };
  r.canary_value = value_of(m.canary, check.metric);
  double canary_requests = m.canary.requests.value_or(0);
  if (!m.canary.requests || std::isnan(canary_requests)) return inconclusive("no request count for the canary");
  if (canary_requests < min)
    return inconclusive(requests_text(canary_requests) + " canary requests < min_requests " +
                        std::to_string(analysis.min_requests));
  if (!r.canary_value) return inconclusive("no " + name + " data for the canary");
  std::string threshold = format_metric_value(check.metric, check.threshold);
  if (check.kind == CheckKind::max) {
    r.value = r.canary_value;
    bool ok = *r.value <= check.threshold;
    r.outcome = ok ? Outcome::pass : Outcome::fail;
    r.message = name + " " + format_metric_value(check.metric, *r.value) + (ok ? " <= max " : " > max ") + threshold;
    return r;
  }
  r.stable_value = value_of(m.stable, check.metric);
  double stable_requests = m.stable.requests.value_or(0);
  if (!m.stable.requests || std::isnan(stable_requests) || stable_requests < min)
    return inconclusive(requests_text(m.stable.requests && !std::isnan(stable_requests) ? stable_requests : 0) +
                        " stable requests < min_requests " + std::to_string(analysis.min_requests) +
                        " (max_increase_over_stable compares with the stable)");
  if (!r.stable_value) return inconclusive("no " + name + " data for the stable");
  r.value = *r.canary_value - *r.stable_value;
  bool ok = *r.value <= check.threshold;
  r.outcome = ok ? Outcome::pass : Outcome::fail;
  std::string increase = *r.value >= 0 ? "+" + format_metric_value(check.metric, *r.value)
                                        : format_metric_value(check.metric, *r.value);
  r.message = name + " " + format_metric_value(check.metric, *r.canary_value) + " vs stable " +
              format_metric_value(check.metric, *r.stable_value) + ": increase " + increase +
              (ok ? " <= max_increase_over_stable " : " > max_increase_over_stable ") + threshold;
  return r;
}

}  // namespace

WindowVerdict evaluate(const Measurement& measurement, const AnalysisSettings& analysis) {
  WindowVerdict v;
  bool any_fail = false, any_inconclusive = false;
  for (const Check& c : analysis.checks) {
    v.checks.push_back(evaluate_check(c, measurement, analysis));
    any_fail |= v.checks.back().outcome == Outcome::fail;
    any_inconclusive |= v.checks.back().outcome == Outcome::inconclusive;
  }
  v.outcome = any_fail ? Outcome::fail : any_inconclusive ? Outcome::inconclusive : Outcome::pass;
  // An empty check list is never a pass (validate_plan refuses it anyway).
  if (analysis.checks.empty()) v.outcome = Outcome::inconclusive;
  for (const CheckResult& r : v.checks) {
    if (r.outcome != v.outcome) continue;
    if (!v.summary.empty()) v.summary += "; ";
    v.summary += r.message;
  }
  if (v.summary.empty()) v.summary = "no checks";
  return v;
}

namespace {
nlohmann::json optional_number(std::optional<double> v) {
  if (!v || !std::isfinite(*v)) return nullptr;
  return *v;
}
}  // namespace

nlohmann::json verdict_to_json(const WindowVerdict& verdict) {
  nlohmann::json checks = nlohmann::json::array();
  for (const CheckResult& r : verdict.checks)
    checks.push_back({{"metric", metric_name(r.check.metric)},
                      {"kind", check_kind_name(r.check.kind)},
                      {"threshold", r.check.threshold},
                      {"outcome", outcome_name(r.outcome)},
                      {"value", optional_number(r.value)},
                      {"canary", optional_number(r.canary_value)},
                      {"stable", optional_number(r.stable_value)},
                      {"message", r.message}});
  return {{"outcome", outcome_name(verdict.outcome)}, {"summary", verdict.summary}, {"checks", checks}};
}

nlohmann::json measurement_to_json(const Measurement& m) {
  auto slot = [](const SlotMeasurement& s) {
    return nlohmann::json{{"requests", optional_number(s.requests)},
                          {"error_rate", optional_number(s.error_rate)},
                          {"latency_p99", optional_number(s.latency_p99)}};
  };
  return {{"canary", slot(m.canary)}, {"stable", slot(m.stable)}};
}

std::string_view decision_name(Decision d) {
  switch (d) {
    case Decision::proceed: return "proceed";
    case Decision::rollback: return "rollback";
    case Decision::abort: return "abort";
  }
  return "abort";
}

Judgement observe(const AnalysisState& state, const WindowVerdict& verdict, const AnalysisSettings& analysis) {
  Judgement j;
  j.state = state;
  AnalysisState& s = j.state;
  ++s.windows;
  s.error_streak = 0;
  s.last_passed = verdict.outcome == Outcome::pass;
  switch (verdict.outcome) {
    case Outcome::pass:
      ++s.passes_in_step;
      s.inconclusive_streak = 0;
      break;
    case Outcome::fail:
      ++s.failures;
      s.inconclusive_streak = 0;
      if (s.failures > analysis.failure_limit) {
        j.decision = Decision::rollback;
        j.exit = Exit::rolled_back;
        j.reason = "analysis failed: " + verdict.summary + " (failed windows " + std::to_string(s.failures) +
                   " > failure_limit " + std::to_string(analysis.failure_limit) + ")";
      }
      break;
    case Outcome::inconclusive:
      ++s.inconclusive_streak;
      if (s.inconclusive_streak > analysis.inconclusive_limit) {
        j.decision = Decision::abort;
        j.exit = Exit::not_completed;
        j.reason = "analysis inconclusive " + std::to_string(s.inconclusive_streak) +
                   " times in a row (inconclusive_limit " + std::to_string(analysis.inconclusive_limit) +
                   "): " + verdict.summary;
      }
      break;
  }
  return j;
}

Judgement observe_error(const AnalysisState& state, const std::string& error, const AnalysisSettings& analysis) {
  Judgement j;
  j.state = state;
  ++j.state.error_streak;
  if (j.state.error_streak > analysis.consecutive_error_limit) {
    j.decision = Decision::abort;
    j.exit = Exit::not_completed;
    j.reason = "metrics could not be read " + std::to_string(j.state.error_streak) +
               " times in a row (consecutive_error_limit " + std::to_string(analysis.consecutive_error_limit) +
               "): " + error;
  }
  return j;
}

AnalysisState begin_step(AnalysisState state) {
  state.passes_in_step = 0;
  state.last_passed = false;
  return state;
}

bool step_complete(const AnalysisState& state, bool duration_elapsed) {
  return duration_elapsed && state.passes_in_step > 0 && state.last_passed;
}

}  // namespace acuctl::rollout
