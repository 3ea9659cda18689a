// A small HTTP client over libcurl for JSON APIs (runner admin API, metrics,
// Prometheus): one request, or many in parallel with per-request timeouts.
#pragma once
#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace acuctl {

struct HttpRequest {
  std::string method = "GET";
  std::string url;
  std::string body;
  std::optional<std::filesystem::path> body_file;  // streamed instead of `body`
  std::vector<std::pair<std::string, std::string>> headers;
  std::chrono::milliseconds timeout{10000};
  std::chrono::milliseconds connect_timeout{3000};
  std::size_t max_body = 0;  // a larger answer is an error; 0 = no limit
};

struct HttpResponse {
  long status = 0;      // 0 when the request never got an answer
  std::string body;
  std::string error;    // transport error ("connection refused", "timed out"), empty otherwise
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased
  double seconds = 0;   // total time
  bool transport_ok() const { return error.empty(); }
  std::optional<std::string> header(std::string_view name) const;
};

HttpResponse http_perform(const HttpRequest& request);

// Runs every request at once (libcurl multi) and returns the answers in order.
std::vector<HttpResponse> http_perform_all(const std::vector<HttpRequest>& requests);

}  // namespace acuctl
