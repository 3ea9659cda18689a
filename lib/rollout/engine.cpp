// The rollout step engine: canary load, steps with analysis and lease renewal,
// promote or roll back everywhere (SPEC section 7).
#include "acuctl/rollout_engine.hpp"

#include <algorithm>
#include <cmath>
#include <optional>
#include <thread>

#include "acuctl/http_client.hpp"
#include "acuctl/metrics_source.hpp"
#include "acuctl/timefmt.hpp"

namespace acuctl::rollout {

using Clock = std::chrono::steady_clock;
using nlohmann::json;

// ---- Pure pieces -------------------------------------------------------------------

std::string_view runner_health_name(RunnerHealth h) {
  switch (h) {
    case RunnerHealth::ok: return "ok";
    case RunnerHealth::lost: return "lost";
    case RunnerHealth::refused: return "refused";
    case RunnerHealth::canary_gone: return "canary_gone";
  }
  return "lost";
}

std::string slot_version(const json& state, const char* slot) {
  if (!state.is_object()) return "";
  auto it = state.find(slot);
  if (it == state.end() || !it->is_object()) return "";
  auto v = it->find("version");
  return v != it->end() && v->is_string() ? v->get<std::string>() : "";
}

RunnerHealth classify_reply(const RunnerReply& reply, const std::string& canary_version) {
  if (!reply.answered()) return RunnerHealth::lost;
  if (!reply.ok()) return RunnerHealth::refused;
  if (!canary_version.empty() && slot_version(reply.body, "canary") != canary_version) return RunnerHealth::canary_gone;
  return RunnerHealth::ok;
}

std::optional<std::string> fleet_problem(const std::vector<RunnerReply>& replies, const std::string& canary_version) {
  std::string out;
  for (const auto& r : replies) {
    std::string what;
    switch (classify_reply(r, canary_version)) {
      case RunnerHealth::ok: continue;
      case RunnerHealth::lost: what = "lost runner " + r.runner + ": " + r.error; break;
      case RunnerHealth::refused: what = "runner refused the change: " + r.describe(); break;
      case RunnerHealth::canary_gone: {
        std::string now = slot_version(r.body, "canary");
        what = "runner " + r.runner + " no longer serves canary " + canary_version +
               (now.empty() ? " (aborted or its lease expired)" : " (its canary is now " + now + ")");
        break;
      }
    }
    out += (out.empty() ? "" : "; ") + what;
  }
  if (out.empty()) return std::nullopt;
  return out;
}

json weight_body(int weight, long long lease) { return {{"weight", weight}, {"lease_seconds", lease}}; }

json synthetic_request(const json& metadata) {
  if (!metadata.is_object() || !metadata.contains("inputs") || !metadata["inputs"].is_array() ||
      metadata["inputs"].empty())
    fail("cannot build synthetic traffic: the model metadata lists no inputs");
  json inputs = json::array();
  for (const auto& in : metadata["inputs"]) {
    if (!in.is_object() || !in.contains("name") || !in["name"].is_string() || !in.contains("datatype") ||
        !in["datatype"].is_string() || !in.contains("shape") || !in["shape"].is_array())
      fail("cannot build synthetic traffic: an input in the model metadata lacks name, datatype or shape");
    json shape = json::array();
    std::uint64_t elements = 1;
    for (const auto& d : in["shape"]) {
      if (!d.is_number_integer()) fail("cannot build synthetic traffic: input shape has a non-integer dimension");
      long long n = d.get<long long>();
      if (n < -1 || n > 4096) fail("cannot build synthetic traffic: input dimension " + std::to_string(n) + " is out of range");
      n = n == -1 ? 1 : n;
      shape.push_back(n);
      elements *= static_cast<std::uint64_t>(n);
      if (elements > (1u << 20)) fail("cannot build synthetic traffic: input has more than 1M elements");
    }
    std::string dt = in["datatype"].get<std::string>();
    json data = json::array();
    for (std::uint64_t i = 0; i < elements; ++i) {
      if (dt == "BYTES") data.push_back("");
      else if (dt == "BOOL") data.push_back(false);
      else data.push_back(0);
    }
    inputs.push_back({{"name", in["name"]}, {"datatype", dt}, {"shape", shape}, {"data", data}});
  }
  return {{"id", "acuctl-load"}, {"inputs", inputs}};
}

std::string describe_analysis(const WindowVerdict& verdict, const Measurement& m) {
  auto count = [](const std::optional<double>& v) {
    return v ? std::to_string(static_cast<long long>(std::llround(*v))) : std::string("no data");
  };
  std::string out = std::string(outcome_name(verdict.outcome)) + ": ";
  for (std::size_t i = 0; i < verdict.checks.size(); ++i) out += (i ? "; " : "") + verdict.checks[i].message;
  out += " [canary " + count(m.canary.requests) + " requests, stable " + count(m.stable.requests) + "]";
  return out;
}

// ---- I/O helpers -----------------------------------------------------------------------

namespace {

struct MetricsRead {
  std::optional<prom::Exposition> exposition;
  std::string error;
};

// Reads /metrics of every runner at once.
std::vector<MetricsRead> read_fleet_metrics(const std::vector<std::string>& runners, milliseconds timeout) {
  std::vector<HttpRequest> requests;
  for (const auto& r : runners) {
    HttpRequest q;
    q.url = runner_metrics_url(r);
    q.timeout = timeout;
    q.connect_timeout = std::min(timeout, milliseconds{2000});
    requests.push_back(std::move(q));
  }
  auto responses = http_perform_all(requests);
  std::vector<MetricsRead> out(responses.size());
  for (std::size_t i = 0; i < responses.size(); ++i) {
    const auto& resp = responses[i];
    const std::string& url = requests[i].url;
    if (!resp.transport_ok()) out[i].error = "cannot read metrics from '" + url + "': " + resp.error;
    else if (resp.status != 200) out[i].error = "cannot read metrics from '" + url + "': HTTP status " + std::to_string(resp.status);
    else if (resp.body.size() > max_metrics_body) out[i].error = "cannot read metrics from '" + url + "': body too large";
    else {
      try {
        out[i].exposition = prom::parse_text(resp.body, url);
      } catch (const std::exception& e) {
        out[i].error = e.what();
      }
    }
  }
  return out;
}

json runner_states(const std::vector<RunnerReply>& replies) {
  json out = json::array();
  for (const auto& r : replies) {
    json j = {{"runner", r.runner}, {"ok", r.ok()}};
    if (r.ok()) {
      for (const char* slot : {"stable", "canary"}) {  // null for an empty slot, as in the runner's state
        std::string v = slot_version(r.body, slot);
        j[slot] = v.empty() ? json(nullptr) : json(v);
      }
      j["weight"] = r.body.is_object() && r.body.contains("canary_weight") && r.body["canary_weight"].is_number()
                        ? r.body["canary_weight"]
                        : json(0);
    } else {
      j["error"] = r.answered() ? r.describe() : r.error;
    }
    out.push_back(std::move(j));
  }
  return out;
}

json event(const char* name) { return {{"event", name}, {"time", now_rfc3339()}}; }

class Engine {
 public:
  Engine(const RolloutConfig& config, const EventSink& emit, const std::atomic<bool>& stop)
      : c_(config), emit_(emit), stop_(stop), lease_(lease_seconds(config.plan.analysis)) {}

  RolloutResult run();

 private:
  const RolloutConfig& c_;
  const EventSink& emit_;
  const std::atomic<bool>& stop_;
  long long lease_;
  Clock::time_point deadline_;
  RolloutResult result_;
  std::unique_ptr<LoadGenerator> load_;
  std::vector<std::optional<prom::Exposition>> previous_;  // last /metrics read per runner
  // The canary request's replies. A runner that answered it with a refusal
  // changed nothing and is left alone by the rollback: its stable may even be
  // the version being rolled out, which a rollback "from" it would undo.
  std::vector<RunnerReply> canary_replies_;

  // Sleeps until `until`; false if interrupted or past the deadline first.
  enum class Wake { due, stopped, timed_out };
  Wake sleep_until(Clock::time_point until) const {
    while (true) {
      if (stop_.load()) return Wake::stopped;
      auto now = Clock::now();
      if (now >= deadline_ && until > deadline_) return Wake::timed_out;
      if (now >= until) return Wake::due;
      std::this_thread::sleep_for(std::min<Clock::duration>(until - now, milliseconds{50}));
    }
  }

  RolloutResult finish(Exit exit, const std::string& reason);
  RolloutResult run_steps();
  void start_load();
  void refresh_baseline();
  Judgement analyse(const AnalysisState& state, json& ev);
};

void Engine::start_load() {
  if (c_.load_rps <= 0) return;
  json request = c_.example;
  if (request.is_null()) {
    HttpRequest q;
    q.url = c_.fleet.runners.front() + "/v2/models/" + result_.model;
    q.timeout = c_.fleet.timeout;
    auto resp = http_perform(q);
    if (!resp.transport_ok() || resp.status != 200)
      fail("cannot read the metadata of model '" + result_.model + "' from " + c_.fleet.runners.front() + ": " +
           (resp.error.empty() ? "HTTP status " + std::to_string(resp.status) : resp.error));
    json meta = json::parse(resp.body, nullptr, false);
    request = synthetic_request(meta);
  }
  load_ = std::make_unique<LoadGenerator>(c_.fleet.runners, result_.model, request, c_.load_rps);
  json ev = event("load");
  ev["rps"] = c_.load_rps;
  ev["model"] = result_.model;
  emit_(ev);
}

void Engine::refresh_baseline() {
  if (c_.plan.metrics.source != MetricsSourceKind::runners) return;
  auto reads = read_fleet_metrics(c_.fleet.runners, default_metrics_timeout);
  for (std::size_t i = 0; i < reads.size(); ++i)
    if (reads[i].exposition) previous_[i] = std::move(reads[i].exposition);
}

Judgement Engine::analyse(const AnalysisState& state, json& ev) {
  const auto& analysis = c_.plan.analysis;
  WindowSelector selector{result_.model, result_.canary_version, ""};
  std::optional<Measurement> m;
  std::string error;
  if (c_.plan.metrics.source == MetricsSourceKind::runners) {
    auto reads = read_fleet_metrics(c_.fleet.runners, default_metrics_timeout);
    std::vector<Window> windows;
    for (std::size_t i = 0; i < reads.size(); ++i) {
      if (!reads[i].exposition) {
        error += (error.empty() ? "" : "; ") + reads[i].error;
        continue;
      }
      if (previous_[i]) windows.push_back(runner_window(*previous_[i], *reads[i].exposition, selector));
      else error += (error.empty() ? "" : "; ") + std::string("no earlier metrics read from ") + c_.fleet.runners[i];
      previous_[i] = std::move(reads[i].exposition);
    }
    if (error.empty()) m = measure(sum_windows(windows));
  } else {
    try {
      WindowSelector prom_selector{result_.model, result_.canary_version, result_.stable_version};
      m = measure_prometheus(c_.plan.metrics, analysis, prom_selector);
    } catch (const std::exception& e) {
      error = e.what();
    }
  }
  if (!m) {
    ev["outcome"] = "error";
    ev["error"] = error;
    return observe_error(state, error, analysis);
  }
  WindowVerdict verdict = evaluate(*m, analysis);
  ev["outcome"] = outcome_name(verdict.outcome);
  ev["summary"] = describe_analysis(verdict, *m);
  ev["verdict"] = verdict_to_json(verdict);
  ev["measurement"] = measurement_to_json(*m);
  return observe(state, verdict, analysis);
}

RolloutResult Engine::finish(Exit exit, const std::string& reason) {
  load_.reset();
  result_.exit = exit;
  result_.reason = reason;
  if (exit != Exit::ok) {
    // "from" pins the canary: a runner that already dropped it changes nothing.
    std::vector<std::optional<FleetCall>> calls(c_.fleet.runners.size());
    for (std::size_t i = 0; i < calls.size(); ++i) {
      if (i < canary_replies_.size() && canary_replies_[i].answered() && !canary_replies_[i].ok()) continue;
      calls[i] = FleetCall{"POST", "/admin/v1/rollback", json{{"from", result_.canary_version}}};
    }
    auto replies = fleet_call_each(c_.fleet, calls, canary_replies_);
    json ev = event("rollback");
    ev["reason"] = reason;
    ev["runners"] = runner_states(replies);
    emit_(ev);
  }
  json ev = event("result");
  ev["exit"] = static_cast<int>(exit);
  ev["result"] = exit == Exit::ok                 ? "promoted"
                 : exit == Exit::rolled_back      ? "rolled_back"
                 : exit == Exit::interrupted      ? "interrupted"
                 : exit == Exit::verification     ? "refused"
                                                  : "not_completed";
  ev["reason"] = reason;
  ev["model"] = result_.model;
  ev["canary"] = result_.canary_version;
  ev["stable"] = result_.stable_version;
  emit_(ev);
  return result_;
}

RolloutResult Engine::run() {
  const Plan& plan = c_.plan;
  deadline_ = Clock::now() + plan.timeout;
  previous_.assign(c_.fleet.runners.size(), std::nullopt);
  {
    json ev = event("start");
    ev["ref"] = c_.display_ref;
    ev["runners"] = c_.fleet.runners;
    ev["plan"] = plan_to_json(plan);
    ev["lease_seconds"] = lease_;
    emit_(ev);
  }

  // 1. The canary everywhere at weight 0.
  canary_replies_ = fleet_call(c_.fleet, "POST", "/admin/v1/canary",
                               json{{"ref", c_.ref}, {"weight", 0}, {"lease_seconds", lease_}, {"owner", c_.owner}});
  const auto& loaded = canary_replies_;
  for (const auto& r : loaded)
    if (r.ok()) {
      if (auto m = r.body.find("model"); m != r.body.end() && m->is_string()) result_.model = m->get<std::string>();
      result_.canary_version = slot_version(r.body, "canary");
      result_.stable_version = slot_version(r.body, "stable");
      break;
    }
  {
    json ev = event("canary");
    ev["model"] = result_.model;
    ev["canary"] = result_.canary_version;
    ev["stable"] = result_.stable_version;
    ev["runners"] = runner_states(loaded);
    emit_(ev);
  }
  if (auto problem = fleet_problem(loaded, result_.canary_version)) {
    bool refused = std::any_of(loaded.begin(), loaded.end(),
                               [](const auto& r) { return r.refused_verification(); });
    if (result_.canary_version.empty()) {
      // Nothing was loaded anywhere: nothing to roll back.
      // Nothing was changed anywhere: a plain failure, as deploy reports it.
      result_.exit = refused ? Exit::verification : Exit::failure;
      result_.reason = "canary load failed: " + *problem;
      json ev = event("result");
      ev["exit"] = static_cast<int>(result_.exit);
      ev["result"] = refused ? "refused" : "failed";
      ev["reason"] = result_.reason;
      emit_(ev);
      return result_;
    }
    return finish(refused ? Exit::verification : Exit::not_completed, "canary load failed: " + *problem);
  }
  if (stop_.load()) return finish(Exit::interrupted, "interrupted");

  try {
    start_load();
  } catch (const std::exception& e) {
    return finish(Exit::not_completed, std::string("synthetic traffic: ") + e.what());
  }
  try {
    return run_steps();
  } catch (const std::exception& e) {
    // Whatever went wrong here, the canary must not stay behind.
    return finish(Exit::not_completed, e.what());
  }
}

RolloutResult Engine::run_steps() {
  const Plan& plan = c_.plan;
  // 2. The steps.
  AnalysisState state;
  int window = 0;
  for (std::size_t i = 0; i < plan.steps.size(); ++i) {
    const Step& step = plan.steps[i];
    auto replies = fleet_call(c_.fleet, "PUT", "/admin/v1/canary/weight", weight_body(step.weight, lease_));
    {
      json ev = event("step");
      ev["step"] = i + 1;
      ev["steps"] = plan.steps.size();
      ev["weight"] = step.weight;
      ev["duration"] = format_duration(step.duration);
      ev["runners"] = runner_states(replies);
      emit_(ev);
    }
    if (auto problem = fleet_problem(replies, result_.canary_version)) return finish(Exit::not_completed, *problem);
    refresh_baseline();
    state = begin_step(state);
    const auto step_start = Clock::now();
    for (int tick = 1;; ++tick) {
      switch (sleep_until(step_start + tick * plan.analysis.interval)) {
        case Wake::due: break;
        case Wake::stopped: return finish(Exit::interrupted, "interrupted by a signal");
        case Wake::timed_out: return finish(Exit::not_completed, "timed out after " + format_duration(plan.timeout));
      }
      auto renewed = fleet_call(c_.fleet, "PUT", "/admin/v1/canary/weight", weight_body(step.weight, lease_));
      if (auto problem = fleet_problem(renewed, result_.canary_version)) return finish(Exit::not_completed, *problem);

      json ev = event("analysis");
      ev["step"] = i + 1;
      ev["weight"] = step.weight;
      ev["window"] = ++window;
      Judgement j = analyse(state, ev);
      state = j.state;
      ev["decision"] = decision_name(j.decision);
      ev["failures"] = state.failures;
      ev["inconclusive_streak"] = state.inconclusive_streak;
      ev["error_streak"] = state.error_streak;
      ev["runners"] = runner_states(renewed);
      if (!j.reason.empty()) ev["reason"] = j.reason;
      emit_(ev);
      if (j.decision != Decision::proceed) return finish(j.exit, j.reason);
      if (stop_.load()) return finish(Exit::interrupted, "interrupted by a signal");
      if (step_complete(state, Clock::now() - step_start >= step.duration)) break;
    }
  }

  // 3. Promote everywhere.
  load_.reset();
  if (stop_.load()) return finish(Exit::interrupted, "interrupted by a signal");
  auto promoted = fleet_call(c_.fleet, "POST", "/admin/v1/promote", json::object());
  {
    json ev = event("promote");
    ev["runners"] = runner_states(promoted);
    emit_(ev);
  }
  std::string failed;
  for (const auto& r : promoted)
    if (!r.ok()) failed += (failed.empty() ? "" : "; ") + r.describe();
  if (!failed.empty()) return finish(Exit::not_completed, "promote failed: " + failed);
  return finish(Exit::ok, "promoted " + result_.model + " " + result_.canary_version + " on " +
                              std::to_string(promoted.size()) + " runner(s)");
}

}  // namespace

RolloutResult run_rollout(const RolloutConfig& config, const EventSink& emit, const std::atomic<bool>& stop) {
  if (config.fleet.runners.empty()) fail_usage("no runners given");
  Engine engine(config, emit, stop);
  return engine.run();
}

}  // namespace acuctl::rollout
