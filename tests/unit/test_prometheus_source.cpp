// The metrics sources: PromQL templates and Prometheus answers (pure), and —
// when tests/integration/test_prometheus_source.sh provides a real Prometheus
// and a /metrics endpoint — live reads cross-checked against Prometheus itself.
#include <doctest/doctest.h>

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <thread>

#include "acuctl/error.hpp"
#include "acuctl/files.hpp"
#include "acuctl/metrics_source.hpp"

using namespace acuctl;
using namespace acuctl::rollout;
using namespace std::chrono_literals;

namespace {
constexpr double inf = std::numeric_limits<double>::infinity();

std::string failure(auto&& fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e.what();
  }
  FAIL("expected an error");
  return {};
}
}  // namespace

TEST_CASE("prometheus source: query templates") {
  QueryVars v{"iris", "2.0.1", "30s", "canary"};
  CHECK(render_query(default_error_rate_query, v) ==
        "(sum(rate(acu_requests_total{model=\"iris\",version=\"2.0.1\",code=~\"5..\"}[30s])) or vector(0)) / "
        "sum(rate(acu_requests_total{model=\"iris\",version=\"2.0.1\"}[30s]))");
  CHECK(render_query(default_latency_p99_query, v) ==
        "histogram_quantile(0.99, sum by (le) (rate(acu_request_duration_seconds_bucket{model=\"iris\",version="
        "\"2.0.1\"}[30s])))");
  CHECK(render_query(default_requests_query, v) ==
        "sum(increase(acu_requests_total{model=\"iris\",version=\"2.0.1\"}[30s]))");
  CHECK(render_query("x{slot=\"{{ slot }}\"}[{{window}}]", v) == "x{slot=\"canary\"}[30s]");
  CHECK(render_query("{{version}}", QueryVars{"m", "a\"b\\c", "1m", ""}) == "a\\\"b\\\\c");
  CHECK(render_query("no placeholders", v) == "no placeholders");
  CHECK(failure([&] { render_query("x{a=\"{{modle}}\"}", v); }).find("unknown placeholder '{{modle}}'") !=
        std::string::npos);
  CHECK(failure([&] { render_query("x{{model", v); }).find("'{{' without '}}'") != std::string::npos);
  CHECK(promql_duration(30s) == "30s");
  CHECK(promql_duration(2min) == "2m");
  CHECK(promql_duration(1500ms) == "1500ms");
  CHECK(runner_metrics_url("http://127.0.0.1:8080/") == "http://127.0.0.1:8080/metrics");
  CHECK(runner_metrics_url("http://h:1") == "http://h:1/metrics");
}

TEST_CASE("prometheus source: instant-query answers") {
  auto parse = [](std::string_view body) { return parse_query_response(body, "'q'"); };
  CHECK(parse(R"({"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1700000000.1,"0.25"]}]}})") == 0.25);
  CHECK(parse(R"({"status":"success","data":{"resultType":"scalar","result":[1700000000,"7"]}})") == 7.0);
  CHECK(parse(R"({"status":"success","data":{"resultType":"vector","result":[{"metric":{"le":"1"},"value":[1,"+Inf"]}]}})") == inf);
  // Empty vector and NaN are "no data", not zero.
  CHECK_FALSE(parse(R"({"status":"success","data":{"resultType":"vector","result":[]}})").has_value());
  CHECK_FALSE(parse(R"({"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1,"NaN"]}]}})").has_value());
  CHECK_FALSE(parse(R"({"status":"success","data":{"resultType":"scalar","result":[1,"NaN"]}})").has_value());
  struct Case {
    std::string body;
    const char* error;
  };
  const Case cases[] = {
      {R"({"status":"error","errorType":"bad_data","error":"parse error at char 5"})",
       "Prometheus refused 'q': bad_data: parse error at char 5"},
      {R"({"status":"success","data":{"resultType":"vector","result":[{"metric":{"a":"1"},"value":[1,"1"]},{"metric":{"a":"2"},"value":[1,"2"]}]}})",
       "the query returned 2 series; it must return one"},
      {R"({"status":"success","data":{"resultType":"matrix","result":[]}})", "result type \"matrix\" is not a vector or scalar"},
      {R"({"status":"success","data":{"resultType":"vector","result":[{"metric":{}}]}})", "a vector element has no \"value\""},
      {R"({"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1,2]}]}})", "a sample is not [time, \"value\"]"},
      {R"({"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1,"lots"]}]}})", "value \"lots\" is not a number"},
      {R"({"status":"success","data":{"resultType":"scalar","result":[]}})", "a sample is not [time, \"value\"]"},
      {R"({"status":"success","data":{"resultType":"vector","result":{}}})", "the vector result is not an array"},
      {R"({"status":"success"})", "no \"data\" object"},
      {R"({"data":{}})", "no \"status\""},
      {"<html>502 Bad Gateway</html>", "not a JSON object"},
      {"", "not a JSON object"},
      {"[1,2]", "not a JSON object"},
      {"{\"status\":\"success\",\"data\":" + std::string(100000, '[') + std::string(100000, ']') + "}",
       "no \"data\" object"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.body);
    std::string msg = failure([&] { parse(c.body); });
    CAPTURE(msg);
    CHECK(msg.find(c.error) != std::string::npos);
  }
}

TEST_CASE("prometheus source: unreachable servers are errors that name them") {
  // Port 9 (discard) on loopback is closed on these machines; any refusal will do.
  std::string msg = failure([] { prometheus_query("http://127.0.0.1:9", "up", 2s); });
  CHECK(msg.find("cannot GET 'http://127.0.0.1:9/api/v1/query?query=up'") == 0);
  msg = failure([] { read_runner_metrics("http://127.0.0.1:9/", 2s); });
  CHECK(msg.find("cannot GET 'http://127.0.0.1:9/metrics'") == 0);
}

// ---- Live: needs the processes test_prometheus_source.sh starts ---------------

namespace {
struct Live {
  std::string prometheus;    // ACUCTL_PROMETHEUS_URL
  std::string metrics_file;  // ACUCTL_METRICS_FILE, served as /metrics
  std::string metrics_url;   // ACUCTL_METRICS_URL, the endpoint's base URL
};

std::optional<Live> live() {
  const char* p = std::getenv("ACUCTL_PROMETHEUS_URL");
  const char* f = std::getenv("ACUCTL_METRICS_FILE");
  const char* m = std::getenv("ACUCTL_METRICS_URL");
  if (!p || !f || !m) return std::nullopt;
  return Live{p, f, m};
}

// Cumulative bucket sets for the histogram_quantile cross-check: the hand
// tables of test_analysis.cpp plus Prometheus' corner cases.
const std::vector<std::vector<std::pair<std::string, double>>> histograms = {
    {{"0.1", 10}, {"0.5", 60}, {"1", 90}, {"+Inf", 100}},
    {{"0.1", 10}, {"0.5", 8}, {"1", 20}, {"+Inf", 20}},           // non-monotonic
    {{"0.1", 5}, {"0.10", 5}, {"0.5", 60}, {"+Inf", 100}},        // equal bounds, two series
    {{"0.1", 0}, {"1", 0}, {"+Inf", 0}},                          // no observations
    {{"0.1", 5}, {"1", 10}},                                      // no +Inf bucket
    {{"+Inf", 10}},                                               // only +Inf
    {{"-1", 5}, {"0", 10}, {"+Inf", 10}},                         // bounds <= 0
    {{"0.005", 0}, {"0.01", 0}, {"0.025", 50}, {"0.05", 98}, {"0.1", 100}, {"+Inf", 100}},
    {{"0.1", 1}, {"0.2", 2}, {"+Inf", 100}},                      // rank in +Inf
    {{"0.005", 7}, {"+Inf", 7}},
    {{"1e-3", 3}, {"2.5e-3", 4}, {"0.01", 9}, {"+Inf", 11}},
};
const double quantiles[] = {0, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 0.999, 1, -0.5, 1.5};

// Counters of the two scrapes: phase 1 (before) and 2 (after). Canary serves
// 300 more requests of which 100 fail; stable 600 more, none fail (it has no
// 5xx series at all, which the default query must read as 0, not no data).
std::string exposition(int phase) {
  std::string t = "# TYPE acu_test_phase gauge\nacu_test_phase " + std::to_string(phase) + "\n";
  for (std::size_t h = 0; h < histograms.size(); ++h)
    for (const auto& [le, n] : histograms[h])
      t += "acu_test_bucket{h=\"" + std::to_string(h) + "\",le=\"" + le + "\"} " + std::to_string(n) + "\n";
  bool after = phase == 2;
  const std::string c = "model=\"iris\",version=\"2.0\",slot=\"canary\"";
  const std::string s = "model=\"iris\",version=\"1.0\",slot=\"stable\"";
  t += "# TYPE acu_requests_total counter\n";
  t += "acu_requests_total{" + c + ",code=\"200\"} " + std::to_string(after ? 1200 : 1000) + "\n";
  t += "acu_requests_total{" + c + ",code=\"500\"} " + std::to_string(after ? 1100 : 1000) + "\n";
  t += "acu_requests_total{" + s + ",code=\"200\"} " + std::to_string(after ? 5600 : 5000) + "\n";
  t += "# TYPE acu_request_duration_seconds histogram\n";
  // Deltas 150, 270, 299, 300: p99 = 0.1 + 0.15 * 27/29.
  const std::pair<const char*, int> canary[] = {{"0.05", 150}, {"0.1", 270}, {"0.25", 299}, {"+Inf", 300}};
  for (const auto& [le, d] : canary)
    t += "acu_request_duration_seconds_bucket{" + c + ",le=\"" + le + "\"} " + std::to_string(2000 + (after ? d : 0)) + "\n";
  const std::pair<const char*, int> stable[] = {{"0.05", 590}, {"0.1", 600}, {"0.25", 600}, {"+Inf", 600}};
  for (const auto& [le, d] : stable)
    t += "acu_request_duration_seconds_bucket{" + s + ",le=\"" + le + "\"} " + std::to_string(5000 + (after ? d : 0)) + "\n";
  return t;
}

// Waits until Prometheus has scraped the given phase.
void wait_for_phase(const Live& l, int phase) {
  auto deadline = std::chrono::steady_clock::now() + 90s;
  for (;;) {
    std::optional<double> v;
    try {
      v = prometheus_query(l.prometheus, "acu_test_phase", 5s);
    } catch (const Error&) {
    }
    if (v && *v == phase) return;
    REQUIRE_MESSAGE(std::chrono::steady_clock::now() < deadline, "Prometheus never scraped phase " << phase);
    std::this_thread::sleep_for(200ms);
  }
}

bool same(std::optional<double> theirs, double ours) {
  if (!theirs) return std::isnan(ours);
  if (std::isinf(*theirs) || std::isinf(ours)) return *theirs == ours;
  return std::fabs(*theirs - ours) <= 1e-12 * std::max(1.0, std::fabs(ours));
}
}  // namespace

TEST_CASE("prometheus source (live): histogram_quantile, default queries and the runner source agree") {
  auto l = live();
  if (!l) {
    MESSAGE("skipped: set ACUCTL_PROMETHEUS_URL, ACUCTL_METRICS_FILE and ACUCTL_METRICS_URL "
            "(tests/integration/test_prometheus_source.sh does)");
    return;
  }
  write_file_atomic(l->metrics_file, exposition(1));
  // The runner source reads the same endpoint Prometheus scrapes.
  prom::Exposition before = read_runner_metrics(l->metrics_url, 5s);
  REQUIRE(before.samples.count(prom::SeriesKey{"acu_test_phase", {}}) == 1);
  wait_for_phase(*l, 1);

  SUBCASE("histogram_quantile matches Prometheus' on every bucket set") {
    int compared = 0;
    for (std::size_t h = 0; h < histograms.size(); ++h) {
      std::vector<Bucket> buckets;
      for (const auto& [le, n] : histograms[h]) buckets.push_back(Bucket{*prom::parse_value(le), n});
      for (double q : quantiles) {
        char promql[128];
        std::snprintf(promql, sizeof promql, "histogram_quantile(%g, acu_test_bucket{h=\"%zu\"})", q, h);
        auto theirs = prometheus_query(l->prometheus, promql, 5s);
        double ours = histogram_quantile(q, buckets);
        CAPTURE(promql);
        CAPTURE(ours);
        CAPTURE(theirs.value_or(std::nan("")));
        CHECK(same(theirs, ours));
        ++compared;
      }
    }
    CHECK(compared == static_cast<int>(histograms.size() * std::size(quantiles)));
  }

  SUBCASE("a window read through Prometheus and through the runner's /metrics decides the same") {
    std::this_thread::sleep_for(4s);  // several scrapes of phase 1 inside the window
    write_file_atomic(l->metrics_file, exposition(2));
    prom::Exposition after = read_runner_metrics(l->metrics_url, 5s);
    wait_for_phase(*l, 2);
    std::this_thread::sleep_for(2s);

    MetricsSettings metrics;
    metrics.source = MetricsSourceKind::prometheus;
    metrics.url = l->prometheus;
    AnalysisSettings analysis;
    analysis.interval = 30s;  // the PromQL window: covers both phases
    analysis.min_requests = 100;
    analysis.checks = {{Metric::error_rate, CheckKind::max, 0.05},
                       {Metric::latency_p99, CheckKind::max, 0.25},
                       {Metric::error_rate, CheckKind::max_increase_over_stable, 0.01},
                       {Metric::latency_p99, CheckKind::max_increase_over_stable, 0.5}};
    WindowSelector selector{"iris", "2.0", "1.0"};
    Measurement from_prometheus = measure_prometheus(metrics, analysis, selector, 5s);
    Measurement from_runner = measure(runner_window(before, after, selector));

    const double p99 = 0.1 + 0.15 * 27.0 / 29.0;
    CHECK(*from_runner.canary.requests == 300);
    CHECK(*from_runner.canary.error_rate == doctest::Approx(1.0 / 3));
    CHECK(*from_runner.canary.latency_p99 == doctest::Approx(p99));
    CHECK(*from_runner.stable.error_rate == 0);
    // rate() extrapolates the same way for series scraped together, so
    // ratios and quantiles are exact; increase() is only bounded.
    REQUIRE(from_prometheus.canary.requests.has_value());
    CHECK(*from_prometheus.canary.requests >= 300);
    CHECK(*from_prometheus.canary.requests <= 600);
    REQUIRE(from_prometheus.canary.error_rate.has_value());
    CHECK(*from_prometheus.canary.error_rate == doctest::Approx(1.0 / 3).epsilon(1e-9));
    REQUIRE(from_prometheus.canary.latency_p99.has_value());
    CHECK(*from_prometheus.canary.latency_p99 == doctest::Approx(p99).epsilon(1e-9));
    REQUIRE(from_prometheus.stable.error_rate.has_value());  // `or vector(0)`: no 5xx series is 0
    CHECK(*from_prometheus.stable.error_rate == 0);
    CHECK(*from_prometheus.stable.latency_p99 == doctest::Approx(*from_runner.stable.latency_p99).epsilon(1e-9));

    WindowVerdict a = evaluate(from_prometheus, analysis);
    WindowVerdict b = evaluate(from_runner, analysis);
    CHECK(a.outcome == Outcome::fail);
    REQUIRE(a.checks.size() == b.checks.size());
    for (std::size_t i = 0; i < a.checks.size(); ++i) {
      CAPTURE(a.checks[i].message);
      CAPTURE(b.checks[i].message);
      CHECK(a.checks[i].outcome == b.checks[i].outcome);
    }
    CHECK(a.checks[0].message == "error_rate 0.333 > max 0.05");
    CHECK(a.checks[1].outcome == Outcome::pass);

    // A version nobody serves is no data (inconclusive), never a pass.
    Measurement nobody = measure_prometheus(metrics, analysis, {"iris", "9.9", "1.0"}, 5s);
    CHECK_FALSE(nobody.canary.requests.has_value());
    CHECK(evaluate(nobody, analysis).outcome == Outcome::inconclusive);
  }

  SUBCASE("Prometheus errors are reported with its reason") {
    std::string msg = failure([&] { prometheus_query(l->prometheus, "sum(", 5s); });
    CHECK(msg.find("Prometheus refused 'sum(': bad_data") == 0);
    msg = failure([&] { prometheus_query(l->prometheus, "acu_test_bucket", 5s); });
    CHECK(msg.find("series; it must return one") != std::string::npos);
    MetricsSettings custom;
    custom.url = l->prometheus;
    custom.queries.requests = "sum(acu_requests_total{model=\"{{model}}\",slot=\"{{slot}}\"})";
    auto m = measure_prometheus_slot(custom, {"iris", "2.0", "30s", "stable"}, false, 5s);
    CHECK(m.requests.has_value());
  }
}
