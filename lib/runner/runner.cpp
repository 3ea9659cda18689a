// The Model Runner: loads the stable model, then serves until told to stop.
#include "acuctl/runner.hpp"

#include <thread>

#include "acuctl/contract.hpp"
#include "acuctl/error.hpp"
#include "acuctl/inference_api.hpp"
#include "acuctl/oip.hpp"

namespace acuctl::runner {

std::pair<std::string, std::uint16_t> parse_listen_address(const std::string& text) {
  auto colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == text.size())
    fail_usage("invalid --listen '" + text + "': expected HOST:PORT", "for example 127.0.0.1:8080 or 0.0.0.0:8080");
  std::string host = text.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  std::string port_text = text.substr(colon + 1);
  unsigned long port = 0;
  try {
    std::size_t used = 0;
    port = std::stoul(port_text, &used);
    if (used != port_text.size()) throw std::invalid_argument("junk");
  } catch (const std::exception&) {
    fail_usage("invalid --listen '" + text + "': port '" + port_text + "' is not a number");
  }
  if (port > 65535) fail_usage("invalid --listen '" + text + "': port " + port_text + " is out of range");
  return {host, static_cast<std::uint16_t>(port)};
}

Runner::Runner(ServeOptions options) : options_(std::move(options)), cache_(options_.state_dir) {
  for (const auto& path : options_.trust) trust_.keys.push_back(PublicKey::load(path));
  trust_.allow_unsigned = options_.allow_unsigned;
}

void Runner::update_table(const std::function<void(RoutingTable&)>& change) {
  std::lock_guard lock(writers_);
  auto next = std::make_shared<RoutingTable>(*router_.current());
  change(*next);
  ++next->generation;
  router_.publish(std::move(next));
}

std::shared_ptr<const LoadedModel> Runner::deploy(const std::string& ref) {
  std::shared_ptr<const LoadedModel> model;
  try {
    model = load_model(ref, cache_, trust_, options_.warn);
  } catch (...) {
    metrics_.count_load(router_.current()->model_name, contract::load_result_failure);
    throw;
  }
  const Descriptor& d = model->descriptor;
  metrics_.count_load(d.name, contract::load_result_success);
  auto series = metrics_.series(d.name, d.version, std::string(contract::slot_stable));
  bool had_stable = false;
  update_table([&](RoutingTable& t) {
    had_stable = t.stable.has_value();
    t.model_name = d.name;
    t.stable = Slot{SlotKind::stable, model, series};
  });
  if (had_stable) metrics_.count_swap(d.name, contract::swap_deploy);
  return model;
}

void Runner::handle(const HttpRequest& request, HttpResponse& response) {
  if (handle_inference_api(router_, metrics_, request, response)) return;
  response.status = 404;
  response.error = "no such endpoint: " + std::string(request.target.substr(0, 200));
  response.body = oip::error_body(response.error);
}

int serve(ServeOptions options) {
  auto [host, port] = parse_listen_address(options.listen);
  if (options.state_dir.empty()) fail_usage("--state-dir is required");
  if (options.threads == 0) options.threads = std::max(1u, std::thread::hardware_concurrency());
  if (options.model && options.trust.empty() && !options.allow_unsigned) {
    // Said before any work, with what to do about it.
    throw Error(Exit::verification, "refusing to serve '" + *options.model + "': no trusted key",
                "pass --trust KEY.pub (the signer's public key), or --allow-unsigned for development");
  }
  Runner runner(options);
  if (options.allow_unsigned && options.warn)
    options.warn("--allow-unsigned: bundles without a trusted signature will be served (development only)");
  if (options.model) {
    auto model = runner.deploy(*options.model);
    if (options.note)
      options.note("serving " + model->descriptor.name + " " + model->descriptor.version + " (" + model->digest +
                   ", runtime " + model->descriptor.runtime + ")");
  }
  HttpServerOptions http;
  http.host = host;
  http.port = port;
  http.threads = options.threads;
  http.limits = options.limits;
  run_http_server(
      http, [&runner](const HttpRequest& req, HttpResponse& res) { runner.handle(req, res); },
      [&](const std::string& address) {
        if (options.note)
          options.note("listening on http://" + address + " (" + std::to_string(options.threads) + " threads)");
      });
  if (options.note) options.note("stopped");
  return 0;
}

}  // namespace acuctl::runner
