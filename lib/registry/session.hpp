// One registry repository's HTTP session: base URLs, credentials, the
// Authorization in use (basic or bearer token), retries with backoff, and the
// error messages every registry operation shares.
#pragma once
#include <chrono>
#include <functional>
#include <optional>
#include <string>

#include "acuctl/registry.hpp"
#include "registry/http.hpp"
#include "registry/internal.hpp"

namespace acuctl {

// "123" → 123; nullopt for anything else.
std::optional<std::uint64_t> parse_uint(const std::string& s);

struct RegistrySession {
  RegistrySession(const Reference& r, const RegistryOptions& o, bool p, std::string c);

  Reference ref;
  RegistryOptions options;
  bool push = false;
  std::string context;    // starts every error message
  http::Client http;
  std::string base;       // scheme://host[:port]
  std::string repo_base;  // base/v2/<repository>
  std::optional<Credentials> credentials;
  bool credentials_known = false;
  std::string authorization;  // the Authorization header value in use
  int uploads = 0;
  std::uint64_t progress_total = 0;

  const std::optional<Credentials>& creds();
  void report(std::uint64_t done);
  // The absolute URL of a reply's Location header.
  std::string location(const http::Response& r);
  static std::string with_query(const std::string& url, const std::string& query);
  static http::Request get(const std::string& url);

  [[noreturn]] void fail_unauthorized(const http::Response& r);
  [[noreturn]] void fail_status(const http::Response& r, const std::string& doing);
  [[noreturn]] void fail_transport(const http::Response& r, const std::string& url);
  void backoff(int attempt, const http::Response* r);

  // One request with authentication: a 401 gets one authenticated retry.
  http::Response attempt(const std::function<http::Request()>& make);
  // A request retried with backoff on 429, 5xx and dropped connections. Only
  // for requests that can be repeated from scratch.
  http::Response send(const std::function<http::Request()>& make);

 private:
  void authenticate(const http::Response& r);
  void fetch_token(const AuthChallenge& c);
};

}  // namespace acuctl
