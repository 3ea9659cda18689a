// Rollout plans: flags, plan files (against tests/data/plans/cases.json, which
// the schema test checks too), validation messages, lease and round trips.
#include <doctest/doctest.h>

#include <filesystem>
#include <set>

#include "acuctl/error.hpp"
#include "acuctl/files.hpp"
#include "acuctl/rollout_plan.hpp"

using namespace acuctl;
using namespace acuctl::rollout;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {
const fs::path plans_dir = fs::path(ACUCTL_SOURCE_DIR) / "tests/data/plans";

std::string usage_error(auto&& fn) {
  try {
    fn();
  } catch (const Error& e) {
    CHECK(e.exit() == Exit::usage);
    return e.what();
  }
  FAIL("expected a usage error");
  return {};
}
}  // namespace

TEST_CASE("plan files: the parser accepts and refuses what cases.json says, naming the field") {
  auto cases = nlohmann::json::parse(read_file(plans_dir / "cases.json"));
  std::set<std::string> files;
  for (const auto& entry : fs::directory_iterator(plans_dir))
    if (entry.path().extension() == ".json" && entry.path().filename() != "cases.json")
      files.insert(entry.path().filename().string());
  std::set<std::string> listed;
  for (auto it = cases.begin(); it != cases.end(); ++it)
    if (it.key()[0] != '_') listed.insert(it.key());
  CHECK(files == listed);
  for (const auto& name : files) {
    CAPTURE(name);
    const auto& c = cases[name];
    std::string path = (plans_dir / name).string();
    if (c["parser"].get<bool>()) {
      CHECK_NOTHROW(plan_from_file(path));
    } else {
      std::string msg = usage_error([&] { plan_from_file(path); });
      CAPTURE(msg);
      CHECK(msg.find("invalid rollout plan '" + path + "'") != std::string::npos);
      CHECK(msg.find(c["error"].get<std::string>()) != std::string::npos);
    }
  }
}

TEST_CASE("plan files: the SPEC example reads as written, with defaults filled in") {
  Plan p = plan_from_file((plans_dir / "valid-spec-example.json").string());
  REQUIRE(p.steps.size() == 3);
  CHECK(p.steps[0] == Step{10, 60s});
  CHECK(p.steps[1] == Step{50, 120s});
  CHECK(p.steps[2] == Step{100, 60s});
  CHECK(p.analysis.interval == 15s);
  CHECK(p.analysis.min_requests == 100);
  CHECK(p.analysis.failure_limit == 0);
  CHECK(p.analysis.inconclusive_limit == 3);
  CHECK(p.analysis.consecutive_error_limit == 4);
  REQUIRE(p.analysis.checks.size() == 3);
  CHECK(p.analysis.checks[0] == Check{Metric::error_rate, CheckKind::max, 0.01});
  CHECK(p.analysis.checks[1] == Check{Metric::latency_p99, CheckKind::max, 0.25});
  CHECK(p.analysis.checks[2] == Check{Metric::error_rate, CheckKind::max_increase_over_stable, 0.005});
  CHECK(p.metrics.source == MetricsSourceKind::runners);
  CHECK(p.timeout == 30min);
  CHECK(lease_duration(p.analysis) == 45s);
  CHECK(lease_seconds(p.analysis) == 45);
}

TEST_CASE("plan files: prometheus source, sub-millisecond latency, float-integral numbers") {
  Plan p = plan_from_file((plans_dir / "valid-prometheus.json").string());
  CHECK(p.metrics.source == MetricsSourceKind::prometheus);
  CHECK(p.metrics.url == "http://127.0.0.1:9090");
  CHECK(p.metrics.queries.requests.find("{{slot}}") != std::string::npos);
  CHECK(p.metrics.queries.error_rate.empty());
  CHECK(p.steps[0].duration == 90s);
  CHECK(p.analysis.failure_limit == 2);
  CHECK(p.analysis.inconclusive_limit == 0);
  CHECK(p.analysis.checks[1] == Check{Metric::latency_p99, CheckKind::max_increase_over_stable, 0.02});
  Plan q = plan_from_file((plans_dir / "valid-sub-ms-latency.json").string());
  CHECK(q.analysis.checks[0].threshold == doctest::Approx(0.00025));
  CHECK(lease_duration(q.analysis) == 10s);  // 3 x 1s, raised to the 10 s floor
  Plan r = plan_from_file((plans_dir / "valid-integral-float.json").string());
  CHECK(r.steps[0].weight == 10);
  CHECK(r.analysis.min_requests == 100);
}

TEST_CASE("plan files: the default timeout grows with long plans") {
  Plan p = plan_from_file((plans_dir / "valid-last-step-below-100.json").string());
  CHECK(p.steps.back().weight == 25);  // promotion follows the last step even below 100
  CHECK(p.timeout == 2 * (61min));
  set_timeout(p, "3h");
  CHECK(p.timeout == 3h);
  std::string msg = usage_error([&] { set_timeout(p, "1h"); });
  CHECK(msg.find("--timeout '1h'") != std::string::npos);
  CHECK(msg.find("shorter than the plan's steps together (1h1m)") != std::string::npos);
}

TEST_CASE("plan files: hostile and broken documents are usage errors, never crashes") {
  const std::string deep(100000, '[');
  usage_error([&] { plan_from_text(deep, "deep.json"); });
  usage_error([&] { plan_from_text(deep + std::string(100000, ']'), "deep.json"); });
  for (std::string text : {"", "{", "null", "42", "\"steps\"", "{\"steps\": null, \"analysis\": {}}",
                           "{\"steps\": [null], \"analysis\": {}}", "{\"steps\": [{\"weight\": 1e400}]}",
                           "{\"steps\": [{\"weight\": 18446744073709551615, \"duration\": \"1s\"}]}",
                           "{\"steps\": [{\"weight\": 10, \"duration\": \"99999999999h\"}], \"analysis\": {}}",
                           "{\"steps\": [{\"weight\": 10, \"duration\": \"1s\"}], \"analysis\": []}",
                           "{\"steps\": [{\"weight\": 10, \"duration\": \"1s\"}], \"analysis\": {\"interval\": \"1s\", "
                           "\"min_requests\": 1, \"checks\": [[]]}}"}) {
    CAPTURE(text);
    usage_error([&] { plan_from_text(text, "hostile.json"); });
  }
}

TEST_CASE("plan from flags: defaults") {
  Plan p = plan_from_flags({});
  REQUIRE(p.steps.size() == 3);
  CHECK(p.steps[0] == Step{10, 90s});
  CHECK(p.steps[1] == Step{50, 90s});
  CHECK(p.steps[2] == Step{100, 90s});
  CHECK(p.analysis.interval == 30s);
  CHECK(p.analysis.min_requests == 100);
  REQUIRE(p.analysis.checks.size() == 1);
  CHECK(p.analysis.checks[0] == Check{Metric::error_rate, CheckKind::max, 0.01});
  CHECK(p.timeout == 30min);
  CHECK(lease_duration(p.analysis) == 90s);
}

TEST_CASE("plan from flags: every flag") {
  PlanFlags f;
  f.steps = "5,25,60";
  f.interval = "2s";
  f.step_duration = "1m";
  f.max_error_rate = "0.05";
  f.max_latency_p99 = "250ms";
  f.min_requests = "20";
  f.timeout = "10m";
  Plan p = plan_from_flags(f);
  CHECK(p.steps == std::vector<Step>{{5, 60s}, {25, 60s}, {60, 60s}});
  CHECK(p.analysis.interval == 2s);
  CHECK(p.analysis.min_requests == 20);
  CHECK(p.analysis.checks == std::vector<Check>{{Metric::error_rate, CheckKind::max, 0.05},
                                               {Metric::latency_p99, CheckKind::max, 0.25}});
  CHECK(p.timeout == 10min);
  CHECK(lease_duration(p.analysis) == 10s);
  f.step_duration.reset();
  CHECK(plan_from_flags(f).steps[0].duration == 6s);
}

TEST_CASE("plan from flags: errors name the flag and the value") {
  struct Case {
    PlanFlags flags;
    std::string error;
  };
  auto with = [](auto setter) {
    PlanFlags f;
    setter(f);
    return f;
  };
  std::vector<Case> cases = {
      {with([](PlanFlags& f) { f.steps = "10,5"; }), "invalid --steps '10,5': weights must increase strictly (5 after 10)"},
      {with([](PlanFlags& f) { f.steps = "10,,50"; }), "invalid --steps '10,,50': '' is not a whole number from 0 to 100"},
      {with([](PlanFlags& f) { f.steps = "10,101"; }), "'101' is not a whole number from 0 to 100"},
      {with([](PlanFlags& f) { f.steps = "ten"; }), "'ten' is not a whole number"},
      {with([](PlanFlags& f) { f.steps = ""; }), "invalid --steps ''"},
      {with([](PlanFlags& f) { f.steps = "10,50,"; }), "'' is not a whole number"},
      {with([](PlanFlags& f) { f.interval = "30"; }), "invalid --interval '30': expected a duration like 30s"},
      {with([](PlanFlags& f) { f.interval = "0s"; }), "invalid --interval '0s': must be longer than 0"},
      {with([](PlanFlags& f) { f.interval = "100ms"; }), "invalid --interval '100ms': must be from 1s to 24h"},
      {with([](PlanFlags& f) { f.step_duration = "10s"; }), "invalid --step-duration '10s': shorter than --interval 30s"},
      {with([](PlanFlags& f) { f.max_error_rate = "5%"; }), "invalid --max-error-rate '5%': expected a fraction from 0 to 1"},
      {with([](PlanFlags& f) { f.max_error_rate = "1.5"; }), "invalid --max-error-rate '1.5'"},
      {with([](PlanFlags& f) { f.max_error_rate = "nan"; }), "invalid --max-error-rate 'nan'"},
      {with([](PlanFlags& f) { f.max_latency_p99 = "0.25"; }), "invalid --max-latency-p99 '0.25': expected a duration"},
      {with([](PlanFlags& f) { f.min_requests = "0"; }), "invalid --min-requests '0': expected a whole number of at least 1"},
      {with([](PlanFlags& f) { f.min_requests = "-3"; }), "invalid --min-requests '-3'"},
      {with([](PlanFlags& f) { f.timeout = "1m"; }), "invalid --timeout '1m': shorter than the plan's steps together (4m30s)"},
  };
  for (const auto& c : cases) {
    std::string msg = usage_error([&] { plan_from_flags(c.flags); });
    CAPTURE(msg);
    CHECK(msg.find(c.error) != std::string::npos);
  }
}

TEST_CASE("plan: JSON round trip and descriptions") {
  for (const char* name : {"valid-spec-example.json", "valid-prometheus.json", "valid-sub-ms-latency.json"}) {
    CAPTURE(name);
    Plan p = plan_from_file((plans_dir / name).string());
    Plan back = plan_from_json(plan_to_json(p), "round trip");
    back.timeout = p.timeout;
    CHECK(back == p);
  }
  CHECK(describe(Check{Metric::error_rate, CheckKind::max, 0.01}) == "error_rate max 0.01");
  CHECK(describe(Check{Metric::latency_p99, CheckKind::max, 0.25}) == "latency_p99 max 250ms");
  CHECK(describe(Check{Metric::latency_p99, CheckKind::max, 1.5}) == "latency_p99 max 1.5s");
  CHECK(describe(Check{Metric::error_rate, CheckKind::max_increase_over_stable, 0.005}) ==
        "error_rate max_increase_over_stable 0.005");
  CHECK(format_metric_value(Metric::error_rate, 1.0 / 3) == "0.333");
  CHECK(format_metric_value(Metric::latency_p99, 0.0004) == "0.4ms");
}
