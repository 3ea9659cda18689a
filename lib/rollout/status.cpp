// acuctl status: each runner's slots and lease from its admin state, and its
// traffic (requests/s, error rate, p99) from two /metrics reads.
#include <cmath>
#include <thread>

#include "acuctl/http_client.hpp"
#include "acuctl/metrics_source.hpp"
#include "acuctl/rollout_engine.hpp"

namespace acuctl::rollout {

using nlohmann::json;

RunnerStatus runner_status(const std::string& runner, const json& state, const std::optional<Window>& window,
                           double seconds) {
  RunnerStatus s;
  s.runner = runner;
  s.reachable = true;
  if (!state.is_object()) return s;
  if (auto m = state.find("model"); m != state.end() && m->is_string()) s.model = m->get<std::string>();
  s.stable = slot_version(state, "stable");
  s.canary = slot_version(state, "canary");
  if (auto w = state.find("canary_weight"); w != state.end() && w->is_number())
    s.weight = static_cast<int>(std::lround(std::clamp(w->get<double>(), 0.0, 100.0)));
  if (auto l = state.find("lease"); l != state.end() && l->is_object()) {
    if (auto o = l->find("owner"); o != l->end() && o->is_string()) s.lease_owner = o->get<std::string>();
    if (auto e = l->find("expires_at"); e != l->end() && e->is_string()) s.lease_expires = e->get<std::string>();
  }
  if (window && seconds > 0) {
    // Both slots together: what the runner serves for this model.
    SlotWindow all = sum_windows({Window{window->canary, {}}, Window{window->stable, {}}}).canary;
    s.requests_per_second = all.requests / seconds;
    if (all.requests > 0) s.error_rate = all.errors / all.requests;
    double p99 = histogram_quantile(0.99, all.latency);
    if (!std::isnan(p99)) s.latency_p99 = p99;
  }
  return s;
}

json status_to_json(const RunnerStatus& s) {
  auto opt = [](const std::optional<double>& v) { return v ? json(*v) : json(nullptr); };
  auto str = [](const std::string& v) { return v.empty() ? json(nullptr) : json(v); };
  json j = {{"runner", s.runner},
            {"reachable", s.reachable},
            {"model", str(s.model)},
            {"stable", str(s.stable)},
            {"canary", str(s.canary)},
            {"weight", s.weight},
            {"lease", s.lease_owner.empty() && s.lease_expires.empty()
                          ? json(nullptr)
                          : json{{"owner", s.lease_owner}, {"expires_at", s.lease_expires}}},
            {"requests_per_second", opt(s.requests_per_second)},
            {"error_rate", opt(s.error_rate)},
            {"latency_p99", opt(s.latency_p99)}};
  if (!s.error.empty()) j["error"] = s.error;
  return j;
}

namespace {
std::vector<HttpResponse> read_all_metrics(const std::vector<std::string>& runners, std::chrono::milliseconds timeout) {
  std::vector<HttpRequest> requests;
  for (const auto& r : runners) {
    HttpRequest q;
    q.url = runner_metrics_url(r);
    q.timeout = timeout;
    requests.push_back(std::move(q));
  }
  return http_perform_all(requests);
}

std::optional<prom::Exposition> parsed(const HttpResponse& r, const std::string& source) {
  if (!r.transport_ok() || r.status != 200 || r.body.size() > max_metrics_body) return std::nullopt;
  try {
    return prom::parse_text(r.body, source);
  } catch (const std::exception&) {
    return std::nullopt;
  }
}
}  // namespace

std::vector<RunnerStatus> fleet_status(const FleetOptions& fleet, std::chrono::milliseconds sample) {
  auto states = fleet_call(fleet, "GET", "/admin/v1/state");
  auto first = read_all_metrics(fleet.runners, fleet.timeout);
  auto t0 = std::chrono::steady_clock::now();
  if (sample.count() > 0) std::this_thread::sleep_for(sample);
  auto second = read_all_metrics(fleet.runners, fleet.timeout);
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::vector<RunnerStatus> out;
  for (std::size_t i = 0; i < fleet.runners.size(); ++i) {
    const std::string& runner = fleet.runners[i];
    if (!states[i].ok()) {
      RunnerStatus s;
      s.runner = runner;
      // A runner that answers with an error (401 without a token) is reachable.
      s.reachable = states[i].answered();
      s.error = states[i].answered() ? states[i].describe().substr(runner.size() + 2) : states[i].error;
      out.push_back(std::move(s));
      continue;
    }
    std::optional<Window> window;
    std::string model;
    if (states[i].body.is_object())
      if (auto m = states[i].body.find("model"); m != states[i].body.end() && m->is_string()) model = m->get<std::string>();
    auto a = parsed(first[i], runner_metrics_url(runner));
    auto b = parsed(second[i], runner_metrics_url(runner));
    if (a && b && !model.empty() && sample.count() > 0) window = runner_window(*a, *b, WindowSelector{model, "", ""});
    out.push_back(runner_status(runner, states[i].body, window, seconds));
  }
  return out;
}

}  // namespace acuctl::rollout
