// The runner's HTTP/1.1 server (Boost.Beast, kept inside http_server.cpp):
// a thread per core, keep-alive, limits on body, headers and slow clients,
// and graceful shutdown on SIGTERM/SIGINT.
#pragma once
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace acuctl::runner {

struct HttpRequest {
  std::string_view method;
  std::string_view target;  // path and query
  std::string_view body;
  std::string_view request_id;  // X-Request-Id, or one made up for this request
  bool from_loopback = false;
  std::chrono::steady_clock::time_point received;  // when its header had arrived

  std::string_view header(std::string_view name) const { return lookup_(fields_, name); }

  // Set by the server.
  const void* fields_ = nullptr;
  std::string_view (*lookup_)(const void*, std::string_view) = nullptr;
};

struct HttpResponse {
  unsigned status = 200;
  std::string body;
  std::string_view content_type = "application/json";
  std::vector<std::pair<std::string_view, std::string>> headers;
  std::string error;  // when set, logged on stderr (one line, with the request id)
};

using HttpHandler = std::function<void(const HttpRequest&, HttpResponse&)>;

struct HttpLimits {
  std::uint64_t max_body = 16ULL << 20;  // 413 above
  // Bodies of requests that `allow_upload` lets through (bundle uploads,
  // held in memory while they arrive).
  std::uint64_t max_upload = 4ULL << 30;
  std::uint32_t max_header = 16 * 1024;  // 431 above
  std::chrono::milliseconds idle_timeout{60'000};     // keep-alive connection without a request
  std::chrono::milliseconds header_timeout{10'000};   // a request's header, once it has begun
  std::chrono::milliseconds request_timeout{60'000};  // the body, and writing the answer
  std::chrono::milliseconds shutdown_timeout{30'000}; // in-flight requests after SIGTERM
};

struct HttpServerOptions {
  std::string host = "127.0.0.1";
  std::uint16_t port = 0;
  unsigned threads = 1;
  HttpLimits limits;
  // Requests for which this is true are handled on a separate thread pool,
  // so that a slow handler (a model load) never holds up a server thread and
  // the connections it serves.
  std::function<bool(const HttpRequest&)> offload;
  // Called on the header (the body is empty then): true lets the body be up
  // to limits.max_upload instead of limits.max_body.
  std::function<bool(const HttpRequest&)> allow_upload;
};

// Binds (throws Error when it cannot), serves until SIGTERM or SIGINT, then
// stops accepting, lets in-flight requests finish and returns. `on_listening`
// is called with the bound address once connections are accepted.
void run_http_server(const HttpServerOptions& options, const HttpHandler& handler,
                     const std::function<void(const std::string&)>& on_listening);

// One line on stderr for a failed request: "acuctl serve: request ID: METHOD TARGET -> STATUS: MESSAGE".
void log_request_failure(std::string_view request_id, std::string_view method, std::string_view target,
                         unsigned status, std::string_view message);

}  // namespace acuctl::runner
