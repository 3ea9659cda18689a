// Reading a runner's /metrics (Prometheus text) for the runners metrics source.
#include <string>

#include "acuctl/error.hpp"
#include "acuctl/metrics_source.hpp"
#include "rollout/http_get.hpp"

namespace acuctl::rollout {

std::string runner_metrics_url(std::string_view runner_url) {
  std::string url(runner_url);
  while (!url.empty() && url.back() == '/') url.pop_back();
  return url + "/metrics";
}

prom::Exposition read_runner_metrics(std::string_view runner_url, milliseconds timeout) {
  std::string url = runner_metrics_url(runner_url);
  auto answer = detail::http_get(url, timeout, max_metrics_body);
  if (answer.status != 200)
    fail("cannot read metrics from '" + url + "': HTTP status " + std::to_string(answer.status));
  return prom::parse_text(answer.body, url);
}

}  // namespace acuctl::rollout
