// The registry session: authentication (basic, bearer tokens), retries with
// backoff, Location handling and the shared error messages.
#include "registry/session.hpp"

#include <algorithm>
#include <thread>

#include <nlohmann/json.hpp>

#include "acuctl/error.hpp"
#include "registry/internal.hpp"

namespace acuctl {
namespace {

std::string seconds_text(std::chrono::milliseconds ms) {
  auto s = ms.count() / 1000;
  auto frac = (ms.count() % 1000) / 100;
  return std::to_string(s) + (frac ? "." + std::to_string(frac) : "") + "s";
}

}  // namespace

std::optional<std::uint64_t> parse_uint(const std::string& s) {
  if (s.empty() || s.size() > 19) return std::nullopt;
  std::uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + static_cast<std::uint64_t>(c - '0');
  }
  return v;
}

RegistrySession::RegistrySession(const Reference& r, const RegistryOptions& o, bool p, std::string c)
    : ref(r), options(o), push(p), context(std::move(c)),
      http(http::ClientOptions{o.connect_timeout, o.stall_timeout}) {
  base = std::string(o.plain_http ? "http://" : "https://") + r.registry;
  repo_base = base + "/v2/" + r.repository;
}

const std::optional<Credentials>& RegistrySession::creds() {
  if (!credentials_known) {
    credentials = options.credentials ? options.credentials : lookup_credentials(ref.registry);
    credentials_known = true;
  }
  return credentials;
}

void RegistrySession::report(std::uint64_t done) {
  if (options.progress) options.progress(done, progress_total);
}

std::string RegistrySession::location(const http::Response& r) {
  std::string loc = r.headers.get("location");
  if (loc.empty()) fail(context + ": the registry sent no upload Location (HTTP " + std::to_string(r.status) + ")");
  if (loc.rfind("http://", 0) == 0 || loc.rfind("https://", 0) == 0) return loc;
  if (loc.front() == '/') return base + loc;
  return base + "/" + loc;
}

std::string RegistrySession::with_query(const std::string& url, const std::string& query) {
  return url + (url.find('?') == std::string::npos ? "?" : "&") + query;
}

void RegistrySession::fail_unauthorized(const http::Response& r) {
  std::string detail = registry_error_text(r.body);
  fail(context + ": unauthorized" + (detail.empty() ? "" : ": " + detail) +
           (creds() ? " (credentials for '" + creds()->username + "' were refused)" : " (no credentials given)"),
       "set ACUCTL_REGISTRY_USERNAME and ACUCTL_REGISTRY_PASSWORD, or add the registry to the 'auths' of "
       "docker's config.json (DOCKER_CONFIG)");
}

void RegistrySession::fail_status(const http::Response& r, const std::string& doing) {
  std::string detail = registry_error_text(r.body);
  if (r.status == 401 || r.status == 403) fail_unauthorized(r);
  if (r.status == 404)
    fail(context + ": not found" + (detail.empty() ? "" : ": " + detail) + " (" + doing + ")",
         "check the repository and tag; 'skopeo list-tags' or the registry's UI shows what is there");
  fail(context + ": " + doing + ": the registry answered HTTP " + std::to_string(r.status) +
       (detail.empty() ? "" : ": " + detail));
}

void RegistrySession::fail_transport(const http::Response& r, const std::string& url) {
  switch (r.transport) {
    case http::Transport::refused:
      fail(context + ": cannot reach registry " + ref.registry + " (" + url + "): " + r.error,
           "check the host and port, and that the registry is running");
    case http::Transport::timeout_connect:
      fail(context + ": cannot reach registry " + ref.registry + ": no connection within " +
               seconds_text(options.connect_timeout) + " (" + r.error + ")",
           "check the host and port, and the network path to the registry");
    case http::Transport::tls:
      fail(context + ": TLS with registry " + ref.registry + " failed: " + r.error,
           options.plain_http ? "" : "if the registry speaks plain HTTP, pass --plain-http");
    default:
      fail(context + ": the connection to registry " + ref.registry + " failed: " + r.error);
  }
}

void RegistrySession::backoff(int attempt, const http::Response* r) {
  auto wait = options.initial_backoff * (1 << std::min(attempt - 1, 5));
  wait = std::min<std::chrono::milliseconds>(wait, std::chrono::milliseconds(8000));
  if (r) {
    if (auto ra = parse_uint(r->headers.get("retry-after")))
      wait = std::chrono::milliseconds(std::min<std::uint64_t>(*ra, 30) * 1000);
  }
  std::this_thread::sleep_for(wait);
}

// Fetches a bearer token for the challenge, with basic credentials if any.
void RegistrySession::fetch_token(const AuthChallenge& c) {
  auto realm = c.params.find("realm");
  if (realm == c.params.end() || realm->second.empty())
    fail(context + ": the registry's Bearer challenge has no realm");
  std::string url = realm->second;
  std::vector<std::string> query;
  if (auto s = c.params.find("service"); s != c.params.end()) query.push_back("service=" + http::url_encode(s->second));
  std::vector<std::string> scopes;
  if (auto s = c.params.find("scope"); s != c.params.end()) {
    std::string_view all = s->second;
    while (!all.empty()) {
      std::size_t sp = all.find(' ');
      std::string one(all.substr(0, sp));
      if (!one.empty()) scopes.push_back(one);
      if (sp == std::string_view::npos) break;
      all.remove_prefix(sp + 1);
    }
  }
  std::string ours = "repository:" + ref.repository + (push ? ":pull,push" : ":pull");
  if (std::find(scopes.begin(), scopes.end(), ours) == scopes.end()) scopes.push_back(ours);
  for (const auto& s : scopes) query.push_back("scope=" + http::url_encode(s));
  for (std::size_t i = 0; i < query.size(); ++i) url += (i == 0 && url.find('?') == std::string::npos ? "?" : "&") + query[i];

  for (int attempt = 1;; ++attempt) {
    http::Request req;
    req.url = url;
    req.body_limit = 1 << 20;
    if (creds()) req.headers.push_back("Authorization: Basic " + http::base64_encode(creds()->username + ":" + creds()->password));
    http::Response r = http.perform(req);
    if (r.transport != http::Transport::ok) {
      if (r.transport == http::Transport::dropped && attempt < options.max_attempts) {
        backoff(attempt, nullptr);
        continue;
      }
      fail(context + ": cannot get a token from " + realm->second + ": " + r.error);
    }
    if ((r.status == 429 || r.status >= 500) && attempt < options.max_attempts) {
      backoff(attempt, &r);
      continue;
    }
    if (r.status == 401 || r.status == 403) fail_unauthorized(r);
    if (r.status != 200)
      fail(context + ": the token server " + realm->second + " answered HTTP " + std::to_string(r.status) + ": " +
           registry_error_text(r.body));
    nlohmann::json j = nlohmann::json::parse(r.body, nullptr, false);
    std::string token;
    if (j.is_object()) {
      if (j.contains("token") && j["token"].is_string()) token = j["token"].get<std::string>();
      if (token.empty() && j.contains("access_token") && j["access_token"].is_string())
        token = j["access_token"].get<std::string>();
    }
    if (token.empty()) fail(context + ": the token server " + realm->second + " sent no token");
    authorization = "Bearer " + token;
    return;
  }
}

void RegistrySession::authenticate(const http::Response& r) {
  std::vector<AuthChallenge> challenges;
  for (const auto& h : r.headers.all("www-authenticate"))
    for (auto& c : parse_www_authenticate(h)) challenges.push_back(std::move(c));
  const AuthChallenge* bearer = nullptr;
  const AuthChallenge* basic = nullptr;
  for (const auto& c : challenges) {
    if (c.scheme == "bearer" && !bearer) bearer = &c;
    if (c.scheme == "basic" && !basic) basic = &c;
  }
  if (bearer) return fetch_token(*bearer);
  if (basic) {
    if (!creds()) fail_unauthorized(r);
    authorization = "Basic " + http::base64_encode(creds()->username + ":" + creds()->password);
    return;
  }
  fail_unauthorized(r);
}

// One request with authentication: a 401 gets one authenticated retry.
http::Response RegistrySession::attempt(const std::function<http::Request()>& make) {
  bool authenticated_now = false;
  for (;;) {
    http::Request req = make();
    // Credentials go only to the registry itself, not to redirect or
    // Location targets on other hosts.
    if (!authorization.empty() && req.url.rfind(base + "/", 0) == 0)
      req.headers.push_back("Authorization: " + authorization);
    http::Response r = http.perform(req);
    if (r.transport == http::Transport::ok && r.status == 401) {
      if (authenticated_now) fail_unauthorized(r);
      authenticate(r);
      authenticated_now = true;
      continue;
    }
    return r;
  }
}

// A request retried with backoff on 429, 5xx and dropped connections. Only
// for requests that can be repeated from scratch.
http::Response RegistrySession::send(const std::function<http::Request()>& make) {
  for (int n = 1;; ++n) {
    http::Response r = attempt(make);
    bool retry = r.transport == http::Transport::dropped ||
                 (r.transport == http::Transport::ok && (r.status == 429 || r.status >= 500));
    if (!retry || n >= options.max_attempts) {
      if (r.transport != http::Transport::ok) fail_transport(r, make().url);
      return r;
    }
    backoff(n, &r);
  }
}

http::Request RegistrySession::get(const std::string& url) {
  http::Request r;
  r.url = url;
  return r;
}

}  // namespace acuctl
