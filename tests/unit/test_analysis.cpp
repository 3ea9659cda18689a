// Canary analysis: histogram quantiles checked by hand, windows from scrapes
// (resets, new series, other models), verdict tables and the tracker's limits.
#include <doctest/doctest.h>

#include <cmath>
#include <limits>

#include "acuctl/analysis.hpp"

using namespace acuctl;
using namespace acuctl::rollout;

namespace {
constexpr double inf = std::numeric_limits<double>::infinity();

prom::Exposition scrape(const std::string& text) { return prom::parse_text(text, "test"); }

// acu_requests_total lines for one slot.
std::string requests(const std::string& slot, const std::string& version, double ok, double errors,
                     const std::string& model = "iris") {
  std::string labels = "model=\"" + model + "\",version=\"" + version + "\",slot=\"" + slot + "\"";
  std::string out = "acu_requests_total{" + labels + ",code=\"200\"} " + std::to_string(ok) + "\n";
  if (errors >= 0) out += "acu_requests_total{" + labels + ",code=\"500\"} " + std::to_string(errors) + "\n";
  return out;
}

// Cumulative buckets for one slot: (le text, count).
std::string buckets(const std::string& slot, const std::string& version,
                    std::vector<std::pair<std::string, double>> counts) {
  std::string out;
  for (const auto& [le, n] : counts)
    out += "acu_request_duration_seconds_bucket{model=\"iris\",version=\"" + version + "\",slot=\"" + slot +
           "\",le=\"" + le + "\"} " + std::to_string(n) + "\n";
  return out;
}

SlotMeasurement slot(double reqs, std::optional<double> error_rate, std::optional<double> p99 = std::nullopt) {
  return SlotMeasurement{reqs, error_rate, p99};
}

AnalysisSettings settings(std::vector<Check> checks, std::uint64_t min_requests = 100) {
  AnalysisSettings a;
  a.min_requests = min_requests;
  a.checks = std::move(checks);
  return a;
}

const Check max_error{Metric::error_rate, CheckKind::max, 0.05};
const Check max_p99{Metric::latency_p99, CheckKind::max, 0.25};
const Check error_increase{Metric::error_rate, CheckKind::max_increase_over_stable, 0.01};
const Check p99_increase{Metric::latency_p99, CheckKind::max_increase_over_stable, 0.05};
}  // namespace

TEST_CASE("histogram_quantile: values computed by hand") {
  // 10 observations <= 0.1, 50 in (0.1, 0.5], 30 in (0.5, 1], 10 above 1.
  std::vector<Bucket> b = {{0.1, 10}, {0.5, 60}, {1, 90}, {inf, 100}};
  struct Case {
    double q;
    double want;
  };
  for (auto [q, want] : std::vector<Case>{
           {0.5, 0.42},   // rank 50 in (0.1, 0.5]: 0.1 + 0.4 * 40/50
           {0.05, 0.05},  // rank 5 in [0, 0.1]: the lowest bucket starts at 0
           {0.9, 1.0},    // rank 90 is the top of (0.5, 1]
           {0.0, 0.0},
           {0.99, 1.0},   // rank 99 falls in +Inf: the highest finite bound
           {1.0, 1.0}}) {
    CAPTURE(q);
    CHECK(histogram_quantile(q, b) == doctest::Approx(want));
  }
  CHECK(histogram_quantile(-0.1, b) == -inf);
  CHECK(histogram_quantile(1.1, b) == inf);
  CHECK(std::isnan(histogram_quantile(std::nan(""), b)));
  // A runner's latency buckets: p99 between 50 ms and 100 ms.
  CHECK(histogram_quantile(0.99, {{0.005, 0}, {0.01, 0}, {0.025, 50}, {0.05, 98}, {0.1, 100}, {inf, 100}}) ==
        doctest::Approx(0.075));
}

TEST_CASE("histogram_quantile: Prometheus' edge rules") {
  // Order of the input does not matter.
  CHECK(histogram_quantile(0.5, {{inf, 100}, {1, 90}, {0.1, 10}, {0.5, 60}}) == doctest::Approx(0.42));
  // No observations, no +Inf bucket, only +Inf, nothing: NaN.
  CHECK(std::isnan(histogram_quantile(0.99, {{0.1, 0}, {1, 0}, {inf, 0}})));
  CHECK(std::isnan(histogram_quantile(0.99, {{0.1, 5}, {1, 10}})));
  CHECK(std::isnan(histogram_quantile(0.99, {{inf, 10}})));
  CHECK(std::isnan(histogram_quantile(0.99, {})));
  // Equal bounds are merged ("0.1" and "0.10" from two runners).
  CHECK(histogram_quantile(0.5, {{0.1, 5}, {0.1, 5}, {0.5, 60}, {inf, 100}}) == doctest::Approx(0.42));
  CHECK(histogram_quantile(0.9, {{0.1, 5}, {0.1, 5}, {0.5, 60}, {inf, 100}}) == doctest::Approx(0.5));
  // Non-monotonic counts are raised to the running maximum: 0.5 → 10.
  std::vector<Bucket> jagged = {{0.1, 10}, {0.5, 8}, {1, 20}, {inf, 20}};
  CHECK(histogram_quantile(0.5, jagged) == doctest::Approx(0.1));
  CHECK(histogram_quantile(0.75, jagged) == doctest::Approx(0.75));
  // A lowest bound <= 0 is returned as is; above it interpolation starts there.
  std::vector<Bucket> negative = {{-1, 5}, {0, 10}, {inf, 10}};
  CHECK(histogram_quantile(0.3, negative) == doctest::Approx(-1));
  CHECK(histogram_quantile(0.75, negative) == doctest::Approx(-0.5));
  // NaN bounds are ignored rather than breaking the sort.
  CHECK(histogram_quantile(0.5, {{std::nan(""), 3}, {0.1, 10}, {0.5, 60}, {1, 90}, {inf, 100}}) ==
        doctest::Approx(0.42));
}

TEST_CASE("counter_delta: increases, resets and new series") {
  CHECK(counter_delta(10.0, 25.0) == 15);
  CHECK(counter_delta(10.0, 10.0) == 0);
  CHECK(counter_delta(500.0, 40.0) == 40);  // restarted: the new value is the increase
  CHECK(counter_delta(std::nullopt, 7.0) == 7);  // born since the last read
  CHECK(counter_delta(std::nan(""), 7.0) == 7);
  CHECK(counter_delta(3.0, std::nan("")) == 0);
  CHECK(counter_delta(3.0, -1.0) == 0);
  CHECK(counter_delta(3.0, inf) == 0);
}

TEST_CASE("runner_window: deltas per slot, filtered by model, version and slot") {
  auto before = scrape(requests("canary", "2.0", 100, 5) + requests("stable", "1.0", 1000, 0) +
                       requests("canary", "2.0", 50, 50, "other-model") +
                       buckets("canary", "2.0", {{"0.05", 90}, {"0.1", 100}, {"+Inf", 105}}));
  auto after = scrape(requests("canary", "2.0", 190, 15) + requests("stable", "1.0", 1900, 1) +
                      requests("canary", "2.0", 500, 500, "other-model") + requests("canary", "9.9", 77, 77) +
                      "acu_requests_total{model=\"iris\",version=\"2.0\",slot=\"canary\",code=\"503\"} 4\n"
                      "acu_requests_total{model=\"iris\",version=\"2.0\",slot=\"canary\",code=\"404\"} 6\n"
                      "acu_requests_total{model=\"iris\",version=\"2.0\",slot=\"shadow\",code=\"500\"} 9\n"
                      "acu_requests_total{model=\"iris\",version=\"2.0\",code=\"500\"} 9\n" +
                      buckets("canary", "2.0", {{"0.05", 140}, {"0.1", 200}, {"+Inf", 215}}));
  Window w = runner_window(before, after, {"iris", "2.0", "1.0"});
  // 90 more 200s, 10 more 500s, 4 new 503s, 6 new 404s; version 9.9 and other
  // models, slots or series without a slot are not ours.
  CHECK(w.canary.requests == 110);
  CHECK(w.canary.errors == 14);
  CHECK(w.canary.counter_resets == 0);
  CHECK(w.canary.latency == std::vector<Bucket>{{0.05, 50}, {0.1, 100}, {inf, 110}});
  CHECK(w.stable.requests == 901);
  CHECK(w.stable.errors == 1);
  CHECK(w.stable.latency.empty());
  // Any version when the selector leaves it empty.
  CHECK(runner_window(before, after, {"iris", "", ""}).canary.requests == 110 + 154);
}

TEST_CASE("runner_window: a restarted runner's counters count from zero") {
  auto before = scrape(requests("canary", "2.0", 5000, 100) + buckets("canary", "2.0", {{"0.1", 4000}, {"+Inf", 5100}}));
  auto after = scrape(requests("canary", "2.0", 40, 2) + buckets("canary", "2.0", {{"0.1", 30}, {"+Inf", 42}}));
  Window w = runner_window(before, after, {"iris", "2.0", "1.0"});
  CHECK(w.canary.requests == 42);
  CHECK(w.canary.errors == 2);
  CHECK(w.canary.counter_resets == 4);
  CHECK(w.canary.latency == std::vector<Bucket>{{0.1, 30}, {inf, 42}});
}

TEST_CASE("sum_windows and measure: several runners add up") {
  Window a, b;
  a.canary = SlotWindow{100, 10, {{0.1, 90}, {inf, 100}}, 0};
  b.canary = SlotWindow{200, 0, {{0.1, 100}, {0.5, 200}, {inf, 200}}, 1};
  a.stable.requests = 5;
  Window sum = sum_windows({a, b});
  CHECK(sum.canary.requests == 300);
  CHECK(sum.canary.errors == 10);
  CHECK(sum.canary.counter_resets == 1);
  CHECK(sum.canary.latency == std::vector<Bucket>{{0.1, 190}, {0.5, 200}, {inf, 300}});
  CHECK(sum.stable.requests == 5);
  Measurement m = measure(sum);
  CHECK(*m.canary.requests == 300);
  CHECK(*m.canary.error_rate == doctest::Approx(10.0 / 300));
  // The bucket at 0.5 holds only 200 of 300 (one runner lacks it; Prometheus'
  // `sum by (le)` does the same), so rank 297 lands in +Inf: 0.5.
  CHECK(*m.canary.latency_p99 == doctest::Approx(0.5));
  CHECK(m.stable.requests == 5.0);
  CHECK_FALSE(m.stable.latency_p99.has_value());
  // Zero requests: no error rate, no latency.
  SlotMeasurement none = measure(SlotWindow{});
  CHECK(none.requests == 0.0);
  CHECK_FALSE(none.error_rate.has_value());
  CHECK_FALSE(none.latency_p99.has_value());
}

TEST_CASE("evaluate: one check, table of windows") {
  struct Case {
    const char* what;
    Check check;
    Measurement m;
    Outcome want;
    const char* message;
  };
  std::vector<Case> cases = {
      {"a third fails", max_error, {slot(300, 1.0 / 3)}, Outcome::fail, "error_rate 0.333 > max 0.05"},
      {"all errors", max_error, {slot(500, 1.0)}, Outcome::fail, "error_rate 1 > max 0.05"},
      {"healthy", max_error, {slot(500, 0.002)}, Outcome::pass, "error_rate 0.002 <= max 0.05"},
      {"at the threshold passes", max_error, {slot(500, 0.05)}, Outcome::pass, "error_rate 0.05 <= max 0.05"},
      {"exactly min_requests is judged", max_error, {slot(100, 0.2)}, Outcome::fail, "error_rate 0.2 > max 0.05"},
      {"one below min_requests", max_error, {slot(99, 0.0)}, Outcome::inconclusive,
       "error_rate inconclusive: 99 canary requests < min_requests 100"},
      {"even all errors below min_requests", max_error, {slot(12, 1.0)}, Outcome::inconclusive,
       "error_rate inconclusive: 12 canary requests < min_requests 100"},
      {"zero requests", max_error, {slot(0, std::nullopt)}, Outcome::inconclusive,
       "error_rate inconclusive: 0 canary requests < min_requests 100"},
      {"no data at all", max_error, {SlotMeasurement{}}, Outcome::inconclusive,
       "error_rate inconclusive: no request count for the canary"},
      {"requests but no error-rate value", max_error, {slot(500, std::nullopt)}, Outcome::inconclusive,
       "error_rate inconclusive: no error_rate data for the canary"},
      {"NaN is no data", max_error, {slot(500, std::nan(""))}, Outcome::inconclusive,
       "error_rate inconclusive: no error_rate data for the canary"},
      {"extrapolated request counts", max_error, {slot(99.5, 0.0)}, Outcome::inconclusive,
       "99.5 canary requests < min_requests 100"},
      {"slow canary", max_p99, {slot(500, 0, 0.312)}, Outcome::fail, "latency_p99 312ms > max 250ms"},
      {"fast canary", max_p99, {slot(500, 0, 0.0042)}, Outcome::pass, "latency_p99 4.2ms <= max 250ms"},
      {"latency in +Inf bucket is the top bound", max_p99, {slot(500, 0, 10.0)}, Outcome::fail,
       "latency_p99 10s > max 250ms"},
      {"no latency data", max_p99, {slot(500, 0)}, Outcome::inconclusive,
       "latency_p99 inconclusive: no latency_p99 data for the canary"},
      {"error increase too big", error_increase, {slot(1000, 0.05), slot(1000, 0.01)}, Outcome::fail,
       "error_rate 0.05 vs stable 0.01: increase +0.04 > max_increase_over_stable 0.01"},
      {"error increase small", error_increase, {slot(1000, 0.015), slot(1000, 0.01)}, Outcome::pass,
       "error_rate 0.015 vs stable 0.01: increase +0.005 <= max_increase_over_stable 0.01"},
      {"canary better than stable", error_increase, {slot(1000, 0.0), slot(1000, 0.2)}, Outcome::pass,
       "increase -0.2 <= max_increase_over_stable 0.01"},
      {"stable too small to compare", error_increase, {slot(1000, 0.5), slot(40, 0.0)}, Outcome::inconclusive,
       "error_rate inconclusive: 40 stable requests < min_requests 100 (max_increase_over_stable compares with the stable)"},
      {"stable not measured", error_increase, {slot(1000, 0.5), SlotMeasurement{}}, Outcome::inconclusive,
       "0 stable requests < min_requests 100"},
      {"canary too small comes first", error_increase, {slot(10, 0.5), slot(1000, 0.0)}, Outcome::inconclusive,
       "error_rate inconclusive: 10 canary requests < min_requests 100"},
      {"p99 increase", p99_increase, {slot(500, 0, 0.2), slot(500, 0, 0.1)}, Outcome::fail,
       "latency_p99 200ms vs stable 100ms: increase +100ms > max_increase_over_stable 50ms"},
      {"p99 stable without latency data", p99_increase, {slot(500, 0, 0.2), slot(500, 0)}, Outcome::inconclusive,
       "latency_p99 inconclusive: no latency_p99 data for the stable"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.what);
    WindowVerdict v = evaluate(c.m, settings({c.check}));
    REQUIRE(v.checks.size() == 1);
    CHECK(v.outcome == c.want);
    CHECK(v.checks[0].outcome == c.want);
    CAPTURE(v.checks[0].message);
    CHECK(v.checks[0].message.find(c.message) != std::string::npos);
  }
}

TEST_CASE("evaluate: several checks; a fail outranks inconclusive, which outranks pass") {
  auto a = settings({max_error, max_p99});
  WindowVerdict fail_and_no_latency = evaluate({slot(300, 1.0 / 3)}, a);
  CHECK(fail_and_no_latency.outcome == Outcome::fail);
  CHECK(fail_and_no_latency.summary == "error_rate 0.333 > max 0.05");
  WindowVerdict pass_and_no_latency = evaluate({slot(300, 0.0)}, a);
  CHECK(pass_and_no_latency.outcome == Outcome::inconclusive);
  CHECK(pass_and_no_latency.summary == "latency_p99 inconclusive: no latency_p99 data for the canary");
  WindowVerdict both_fail = evaluate({slot(300, 0.5, 1.0)}, a);
  CHECK(both_fail.summary == "error_rate 0.5 > max 0.05; latency_p99 1s > max 250ms");
  CHECK(evaluate({slot(300, 0.0, 0.01)}, a).outcome == Outcome::pass);
  CHECK(evaluate({slot(300, 0.0, 0.01)}, settings({})).outcome == Outcome::inconclusive);
  CHECK(needs_stable(settings({max_error, p99_increase})));
  CHECK_FALSE(needs_stable(a));
  CHECK(needs_latency(a));
  CHECK_FALSE(needs_latency(settings({max_error, error_increase})));
}

TEST_CASE("evaluate: from scrapes to a verdict (a third of requests fail)") {
  auto before = scrape(requests("canary", "2.0", 1000, 0) + requests("stable", "1.0", 1000, 0));
  auto after = scrape(requests("canary", "2.0", 1200, 100) + requests("stable", "1.0", 1600, 0));
  WindowVerdict v = evaluate(measure(runner_window(before, after, {"iris", "2.0", "1.0"})), settings({max_error}));
  CHECK(v.outcome == Outcome::fail);
  CHECK(v.summary == "error_rate 0.333 > max 0.05");
}

namespace {
// Runs a sequence of windows through the tracker: P pass, F fail,
// I inconclusive, E metric read error. Returns the index of the first
// non-proceed decision (or -1) and that judgement.
std::pair<int, Judgement> run(const std::string& seq, int failure_limit, int inconclusive_limit, int error_limit) {
  AnalysisSettings a;
  a.failure_limit = failure_limit;
  a.inconclusive_limit = inconclusive_limit;
  a.consecutive_error_limit = error_limit;
  AnalysisState s;
  Judgement j;
  for (std::size_t i = 0; i < seq.size(); ++i) {
    if (seq[i] == 'E') {
      j = observe_error(s, "cannot GET 'http://r:1/metrics': Connection refused", a);
    } else {
      WindowVerdict v;
      v.outcome = seq[i] == 'P' ? Outcome::pass : seq[i] == 'F' ? Outcome::fail : Outcome::inconclusive;
      v.summary = seq[i] == 'F' ? "error_rate 0.333 > max 0.05" : "error_rate inconclusive: 12 canary requests < min_requests 100";
      j = observe(s, v, a);
    }
    s = j.state;
    if (j.decision != Decision::proceed) return {static_cast<int>(i), j};
  }
  return {-1, j};
}
}  // namespace

TEST_CASE("tracker: table of window sequences and limits") {
  struct Case {
    const char* seq;
    int failure_limit, inconclusive_limit, error_limit;
    int stops_at;  // -1 = still proceeding
    Decision decision;
  };
  const Case cases[] = {
      // failure_limit 0: the first failed window rolls back.
      {"F", 0, 3, 4, 0, Decision::rollback},
      {"PPPF", 0, 3, 4, 3, Decision::rollback},
      {"PPPP", 0, 3, 4, -1, Decision::proceed},
      // failure_limit 2: the third failure rolls back; passes do not forgive.
      {"FF", 2, 3, 4, -1, Decision::proceed},
      {"FFF", 2, 3, 4, 2, Decision::rollback},
      {"FPFPF", 2, 3, 4, 4, Decision::rollback},
      {"FPPPPPPF", 2, 3, 4, -1, Decision::proceed},
      // inconclusive_limit 3: the 4th in a row ends the rollout.
      {"III", 0, 3, 4, -1, Decision::proceed},
      {"IIII", 0, 3, 4, 3, Decision::abort},
      {"IIIPIII", 0, 3, 4, -1, Decision::proceed},  // a pass breaks the streak
      {"IIIPIIII", 0, 3, 4, 7, Decision::abort},
      {"IIIFIII", 1, 3, 4, -1, Decision::proceed},  // so does a (tolerated) failure
      {"I", 0, 0, 4, 0, Decision::abort},
      // Read errors: the 5th in a row (limit 4) ends the rollout.
      {"EEEE", 0, 3, 4, -1, Decision::proceed},
      {"EEEEE", 0, 3, 4, 4, Decision::abort},
      {"EEEEPEEEE", 0, 3, 4, -1, Decision::proceed},
      {"EEEEIEEEE", 0, 3, 4, -1, Decision::proceed},  // an inconclusive window was still a read
      {"E", 0, 3, 0, 0, Decision::abort},
      // Errors neither count as nor break an inconclusive streak.
      {"IIEIEI", 0, 3, 4, 5, Decision::abort},
      {"EEF", 0, 3, 4, 2, Decision::rollback},
      // Failures are not hidden behind errors or inconclusive windows.
      {"FEIEF", 1, 3, 4, 4, Decision::rollback},
  };
  for (const auto& c : cases) {
    CAPTURE(c.seq);
    CAPTURE(c.failure_limit);
    auto [at, j] = run(c.seq, c.failure_limit, c.inconclusive_limit, c.error_limit);
    CHECK(at == c.stops_at);
    CHECK(j.decision == c.decision);
    CHECK(j.exit == (c.decision == Decision::rollback ? Exit::rolled_back
                     : c.decision == Decision::abort  ? Exit::not_completed
                                                      : Exit::ok));
    CHECK(j.reason.empty() == (c.decision == Decision::proceed));
  }
}

TEST_CASE("tracker: reasons name the check, the value, the threshold and the limit") {
  auto [at1, rollback] = run("F", 0, 3, 4);
  CHECK(rollback.reason == "analysis failed: error_rate 0.333 > max 0.05 (failed windows 1 > failure_limit 0)");
  auto [at2, inconclusive] = run("IIII", 0, 3, 4);
  CHECK(inconclusive.reason ==
        "analysis inconclusive 4 times in a row (inconclusive_limit 3): error_rate inconclusive: 12 canary requests "
        "< min_requests 100");
  auto [at3, errors] = run("EEEEE", 0, 3, 4);
  CHECK(errors.reason ==
        "metrics could not be read 5 times in a row (consecutive_error_limit 4): cannot GET 'http://r:1/metrics': "
        "Connection refused");
  CHECK(decision_name(Decision::rollback) == "rollback");
  CHECK(outcome_name(Outcome::inconclusive) == "inconclusive");
  (void)at1, (void)at2, (void)at3;
}

TEST_CASE("tracker: a step completes only after its duration and on a passing window") {
  AnalysisSettings a;
  a.failure_limit = 5;
  WindowVerdict pass, fail, inconclusive;
  pass.outcome = Outcome::pass;
  fail.outcome = Outcome::fail;
  inconclusive.outcome = Outcome::inconclusive;
  AnalysisState s = begin_step({});
  CHECK_FALSE(step_complete(s, true));  // no window yet
  s = observe(s, pass, a).state;
  CHECK_FALSE(step_complete(s, false));
  CHECK(step_complete(s, true));
  s = observe(s, inconclusive, a).state;
  CHECK_FALSE(step_complete(s, true));  // the latest window decided nothing
  s = observe(s, fail, a).state;
  CHECK_FALSE(step_complete(s, true));
  s = observe_error(s, "x", a).state;
  CHECK_FALSE(step_complete(s, true));
  s = observe(s, pass, a).state;
  CHECK(step_complete(s, true));
  s = begin_step(s);
  CHECK_FALSE(step_complete(s, true));  // a new step needs its own pass
  CHECK(s.failures == 1);               // failures carry over steps
  CHECK(s.windows == 4);
}

TEST_CASE("verdicts and measurements as JSON for -o json events") {
  Measurement m{slot(300, 1.0 / 3, 0.01), SlotMeasurement{}};
  WindowVerdict v = evaluate(m, settings({max_error, error_increase}));
  auto j = verdict_to_json(v);
  CHECK(j["outcome"] == "fail");
  CHECK(j["summary"] == "error_rate 0.333 > max 0.05");
  REQUIRE(j["checks"].size() == 2);
  CHECK(j["checks"][0]["metric"] == "error_rate");
  CHECK(j["checks"][0]["kind"] == "max");
  CHECK(j["checks"][0]["threshold"] == 0.05);
  CHECK(j["checks"][0]["outcome"] == "fail");
  CHECK(j["checks"][0]["value"].get<double>() == doctest::Approx(1.0 / 3));
  CHECK(j["checks"][0]["stable"].is_null());
  CHECK(j["checks"][1]["outcome"] == "inconclusive");
  CHECK(j["checks"][1]["value"].is_null());
  auto mj = measurement_to_json(m);
  CHECK(mj["canary"]["requests"] == 300.0);
  CHECK(mj["canary"]["latency_p99"] == 0.01);
  CHECK(mj["stable"]["requests"].is_null());
  CHECK(measurement_to_json(Measurement{slot(10, inf)})["canary"]["error_rate"].is_null());
}
