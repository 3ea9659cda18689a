// A small blocking HTTP client over one reusable libcurl handle (keep-alive),
// with streamed request and response bodies; libcurl stays inside http.cpp.
#pragma once
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace acuctl::http {

struct Headers {
  // Lower-case names; a name may repeat (WWW-Authenticate).
  std::multimap<std::string, std::string> values;
  // The last value of `name` (lower-case) or empty.
  std::string get(const std::string& name) const;
  std::vector<std::string> all(const std::string& name) const;
};

// Called once the final response's headers are in, before any body byte.
// Returning true sends the body to `sink`; false collects it (bounded) into
// Response::body, as for error replies.
using HeadersFn = std::function<bool(long status, const Headers& headers)>;
// Receives body bytes; throwing aborts the transfer (the exception is
// re-thrown from perform()).
using SinkFn = std::function<void(const char* data, std::size_t size)>;
// Reports request body bytes as they are sent.
using SentFn = std::function<void(std::size_t size)>;

struct Request {
  std::string method = "GET";
  std::string url;
  std::vector<std::string> headers;  // "Name: value"
  // Request body: `body` text, or `length` bytes of `fd` from `offset`.
  std::string body;
  int fd = -1;
  std::uint64_t offset = 0;
  std::uint64_t length = 0;
  bool follow_redirects = false;
  HeadersFn on_headers;
  SinkFn sink;
  SentFn on_sent;
  std::size_t body_limit = 4 << 20;  // for collected bodies
};

enum class Transport {
  ok,
  refused,        // nothing listens there (or DNS failure): not worth retrying
  timeout_connect,
  tls,            // TLS handshake failed (often: a plain-HTTP registry)
  dropped,        // connection reset, empty reply, stall, partial body: retry
  aborted,        // our sink threw; see perform()
  other,
};

struct Response {
  Transport transport = Transport::ok;
  std::string error;  // transport error text
  long status = 0;
  Headers headers;
  std::string body;   // collected body (when not sent to the sink)
  std::string effective_url;
  std::uint64_t received = 0;  // body bytes delivered to the sink
};

struct ClientOptions {
  std::chrono::milliseconds connect_timeout{10'000};
  std::chrono::seconds stall_timeout{60};
};

class Client {
 public:
  explicit Client(ClientOptions options);
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // Performs one request. Transport failures are reported in the Response;
  // an exception thrown by a callback is re-thrown here.
  Response perform(const Request& request);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

std::string url_encode(std::string_view text);
std::string base64_encode(std::string_view data);

}  // namespace acuctl::http
