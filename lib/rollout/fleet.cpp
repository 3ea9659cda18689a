// Parallel admin calls to a fleet of runners.
#include "acuctl/fleet.hpp"

#include <cstdlib>

#include "acuctl/contract.hpp"
#include "acuctl/error.hpp"
#include "acuctl/files.hpp"
#include "acuctl/http_client.hpp"

namespace acuctl {

std::string RunnerReply::describe() const {
  if (!error.empty()) return runner + ": " + error;
  std::string why;
  if (body.is_object() && body.contains("error") && body["error"].is_string()) why = body["error"].get<std::string>();
  return runner + ": HTTP " + std::to_string(status) + (why.empty() ? "" : " " + why);
}

std::string normalize_runner_url(const std::string& text) {
  std::string url = text;
  while (!url.empty() && (url.back() == '/' || url.back() == ' ')) url.pop_back();
  while (!url.empty() && url.front() == ' ') url.erase(0, 1);
  if (url.empty()) fail_usage("empty runner address");
  if (url.rfind("http://", 0) != 0 && url.rfind("https://", 0) != 0) {
    if (url.find("://") != std::string::npos) fail_usage("runner '" + text + "' is not an http:// or https:// URL");
    url = "http://" + url;
  }
  std::string hostport = url.substr(url.find("://") + 3);
  if (hostport.empty() || hostport.find('/') != std::string::npos || hostport.find(' ') != std::string::npos)
    fail_usage("runner '" + text + "' must be HOST:PORT or http://HOST:PORT");
  return url;
}

std::vector<std::string> resolve_runners(const std::vector<std::string>& flags) {
  std::vector<std::string> raw = flags;
  if (raw.empty())
    if (const char* env = std::getenv(contract::env_runners); env && *env) raw.push_back(env);
  std::vector<std::string> out;
  for (const auto& item : raw) {
    std::size_t start = 0;
    while (start <= item.size()) {
      std::size_t end = item.find(',', start);
      if (end == std::string::npos) end = item.size();
      if (end > start) out.push_back(normalize_runner_url(item.substr(start, end - start)));
      start = end + 1;
    }
  }
  if (out.empty()) fail_usage("no runners given", "pass --runner URL (repeatable or comma-separated) or set ACUCTL_RUNNERS");
  return out;
}

std::optional<std::string> resolve_token(const std::string& token_file) {
  if (!token_file.empty()) {
    std::string t = read_file(token_file, 64 << 10);
    while (!t.empty() && (t.back() == '\n' || t.back() == '\r' || t.back() == ' ')) t.pop_back();
    if (t.empty()) fail_usage("token file '" + token_file + "' is empty");
    return t;
  }
  if (const char* env = std::getenv(contract::env_token); env && *env) return std::string(env);
  return std::nullopt;
}

namespace {
HttpRequest base_request(const FleetOptions& fleet, const std::string& runner, const std::string& method,
                         const std::string& path) {
  HttpRequest r;
  r.method = method;
  r.url = runner + path;
  r.timeout = fleet.timeout;
  r.connect_timeout = fleet.connect_timeout;
  if (fleet.token) r.headers.emplace_back("Authorization", "Bearer " + *fleet.token);
  return r;
}

std::vector<RunnerReply> collect(const FleetOptions& fleet, const std::vector<HttpResponse>& responses) {
  std::vector<RunnerReply> out;
  for (std::size_t i = 0; i < responses.size(); ++i) {
    RunnerReply reply;
    reply.runner = fleet.runners[i];
    reply.status = responses[i].status;
    reply.error = responses[i].error;
    if (reply.error.empty()) {
      reply.body = nlohmann::json::parse(responses[i].body, nullptr, false);
      if (reply.body.is_discarded()) reply.body = nullptr;
    }
    out.push_back(std::move(reply));
  }
  return out;
}
}  // namespace

std::vector<RunnerReply> fleet_call(const FleetOptions& fleet, const std::string& method, const std::string& path,
                                    const std::optional<nlohmann::json>& body) {
  std::vector<std::optional<FleetCall>> calls(fleet.runners.size(), FleetCall{method, path, body});
  return fleet_call_each(fleet, calls, {});
}

std::vector<RunnerReply> fleet_call_each(const FleetOptions& fleet, const std::vector<std::optional<FleetCall>>& calls,
                                         const std::vector<RunnerReply>& skipped) {
  std::vector<HttpRequest> requests;
  std::vector<std::size_t> index;
  FleetOptions sent = fleet;
  sent.runners.clear();
  for (std::size_t i = 0; i < fleet.runners.size(); ++i) {
    if (!calls.at(i)) continue;
    HttpRequest r = base_request(fleet, fleet.runners[i], calls[i]->method, calls[i]->path);
    if (calls[i]->body) {
      r.body = calls[i]->body->dump();
      r.headers.emplace_back("Content-Type", "application/json");
    }
    requests.push_back(std::move(r));
    index.push_back(i);
    sent.runners.push_back(fleet.runners[i]);
  }
  std::vector<RunnerReply> answered = collect(sent, http_perform_all(requests));
  std::vector<RunnerReply> out(fleet.runners.size());
  for (std::size_t i = 0; i < fleet.runners.size(); ++i)
    if (!calls[i]) out[i] = skipped.at(i);
  for (std::size_t k = 0; k < index.size(); ++k) out[index[k]] = std::move(answered[k]);
  return out;
}

std::vector<RunnerReply> fleet_upload(const FleetOptions& fleet, const std::filesystem::path& bundle,
                                      const std::string& digest) {
  std::vector<HttpRequest> requests;
  for (const auto& runner : fleet.runners) {
    HttpRequest r = base_request(fleet, runner, "PUT", "/admin/v1/bundles/" + digest);
    r.body_file = bundle;
    r.headers.emplace_back("Content-Type", "application/octet-stream");
    r.timeout = std::max(fleet.timeout, std::chrono::milliseconds(600000));
    requests.push_back(std::move(r));
  }
  return collect(fleet, http_perform_all(requests));
}

}  // namespace acuctl
