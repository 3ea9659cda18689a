// Open Inference Protocol v2 endpoints: health, metadata, infer; and /metrics.
#include "acuctl/inference_api.hpp"

#include <nlohmann/json.hpp>

#include "acuctl/contract.hpp"
#include "acuctl/error.hpp"
#include "acuctl/oip.hpp"

namespace acuctl::runner {
namespace {

using json = nlohmann::json;
using Clock = std::chrono::steady_clock;

void json_error(HttpResponse& res, unsigned status, std::string message) {
  res.status = status;
  res.body = oip::error_body(message);
  res.error = std::move(message);
}

bool method_is(const HttpRequest& req, HttpResponse& res, std::string_view method) {
  if (req.method == method) return true;
  res.headers.emplace_back("Allow", std::string(method));
  json_error(res, 405, "method " + std::string(req.method) + " is not allowed here; use " + std::string(method));
  return false;
}

// Splits "/v2/models/x/infer?q" into {"v2", "models", "x", "infer"}.
std::vector<std::string_view> segments(std::string_view target) {
  if (auto q = target.find('?'); q != std::string_view::npos) target = target.substr(0, q);
  std::vector<std::string_view> out;
  std::size_t i = 0;
  while (i < target.size()) {
    if (target[i] == '/') { ++i; continue; }
    std::size_t j = target.find('/', i);
    if (j == std::string_view::npos) j = target.size();
    out.push_back(target.substr(i, j - i));
    i = j;
  }
  return out;
}

unsigned random_draw() {
  thread_local std::uint64_t state = [] {
    auto seed = static_cast<std::uint64_t>(Clock::now().time_since_epoch().count());
    seed ^= reinterpret_cast<std::uintptr_t>(&seed);
    return seed | 1;
  }();
  state ^= state << 13;  // xorshift64
  state ^= state >> 7;
  state ^= state << 17;
  return static_cast<unsigned>(state % 100);
}

json tensors_json(const std::vector<TensorSpec>& specs) {
  json out = json::array();
  for (const auto& t : specs) out.push_back(tensor_to_json(t));
  return out;
}

void model_metadata(const RoutingTable& table, const Slot& slot, HttpResponse& res) {
  const Descriptor& d = slot.model->descriptor;
  json versions = json::array();
  if (table.stable) versions.push_back(table.stable->model->descriptor.version);
  if (table.canary) versions.push_back(table.canary->model->descriptor.version);
  json j = {{"name", d.name},          {"versions", versions},          {"platform", d.runtime},
            {"inputs", tensors_json(d.inputs)}, {"outputs", tensors_json(d.outputs)}};
  res.body = j.dump();
}

void infer(const Slot& slot, const HttpRequest& req, HttpResponse& res) {
  const LoadedModel& model = *slot.model;
  const Descriptor& d = model.descriptor;
  res.headers.emplace_back(contract::header_version, d.version);
  try {
    oip::InferRequest request = oip::parse_infer_request(req.body);
    oip::validate_infer_request(request, d);
    std::vector<Tensor> outputs;
    try {
      model.runtime->infer(request.inputs, outputs);
      oip::validate_outputs(outputs, d);
    } catch (const std::exception& e) {
      json_error(res, 500, "model '" + d.name + "' " + d.version + ": " + e.what());
      return;
    }
    res.body = oip::encode_infer_response(d, request, outputs);
  } catch (const oip::BadRequest& e) {
    json_error(res, 400, e.what());
  }
}

// The caller holds the routing table, which keeps the slot's model alive.
void infer_and_count(const Slot& slot, const HttpRequest& req, HttpResponse& res) {
  infer(slot, req, res);
  double seconds = std::chrono::duration<double>(Clock::now() - req.received).count();
  slot.series->observe(res.status, seconds);
}

std::string unknown_model(std::string_view name) { return "unknown model '" + std::string(name) + "'"; }

}  // namespace

bool handle_inference_api(const Router& router, Metrics& metrics, const HttpRequest& req, HttpResponse& res) {
  auto seg = segments(req.target);
  if (seg.size() == 1 && seg[0] == "metrics") {
    if (!method_is(req, res, "GET")) return true;
    auto table = router.current();
    std::vector<std::pair<std::string, int>> weights;
    if (table->stable) weights.emplace_back(table->model_name, table->canary ? table->canary_weight : 0);
    res.body = metrics.render(weights);
    res.content_type = "text/plain; version=0.0.4; charset=utf-8";
    return true;
  }
  if (seg.empty() || seg[0] != "v2") return false;
  auto table = router.current();  // held until the answer is built: keeps its models alive

  if (seg.size() == 1) {
    if (!method_is(req, res, "GET")) return true;
    json j = {{"name", contract::server_name}, {"version", ACUCTL_VERSION}, {"extensions", json::array()}};
    res.body = j.dump();
    return true;
  }
  if (seg[1] == "health" && seg.size() == 3 && (seg[2] == "live" || seg[2] == "ready")) {
    if (!method_is(req, res, "GET")) return true;
    if (seg[2] == "ready" && !table->stable) json_error(res, 503, "no model is loaded yet");
    return true;
  }
  if (seg[1] != "models" || seg.size() < 3) {
    json_error(res, 404, "no such endpoint: " + std::string(req.target.substr(0, 200)));
    return true;
  }
  std::string_view name = seg[2];
  if (!table->stable || name != table->model_name) {
    json_error(res, 404, unknown_model(name));
    return true;
  }
  // /v2/models/{name}[/versions/{version}][/ready|/infer]
  std::size_t rest = 3;
  const Slot* versioned = nullptr;
  if (seg.size() >= 5 && seg[3] == "versions") {
    versioned = table->find_version(seg[4]);
    if (!versioned) {
      json_error(res, 404, "model '" + std::string(name) + "' has no version '" + std::string(seg[4]) + "'");
      return true;
    }
    rest = 5;
  }
  if (seg.size() == rest) {
    if (method_is(req, res, "GET")) model_metadata(*table, versioned ? *versioned : *table->stable, res);
    return true;
  }
  if (seg.size() == rest + 1 && seg[rest] == "ready") {
    method_is(req, res, "GET");
    return true;
  }
  if (seg.size() == rest + 1 && seg[rest] == "infer") {
    if (!method_is(req, res, "POST")) return true;
    if (versioned) {
      infer_and_count(*versioned, req, res);
      return true;
    }
    RouteChoice choice = choose_slot(*table, req.header(contract::header_target), req.header(contract::header_route_key),
                                     random_draw());
    switch (choice.error) {
      case RouteError::none: infer_and_count(*choice.slot, req, res); break;
      case RouteError::bad_target:
        json_error(res, 400, std::string(contract::header_target) + " must be 'stable' or 'canary'");
        break;
      case RouteError::no_canary: json_error(res, 404, "model '" + std::string(name) + "' has no canary"); break;
      case RouteError::no_model: json_error(res, 404, unknown_model(name)); break;
    }
    return true;
  }
  json_error(res, 404, "no such endpoint: " + std::string(req.target.substr(0, 200)));
  return true;
}

}  // namespace acuctl::runner
