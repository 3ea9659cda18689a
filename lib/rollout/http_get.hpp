// A bounded HTTP GET over libcurl for metric reads (private to lib/rollout).
#pragma once
#include <chrono>
#include <string>
#include <string_view>

namespace acuctl::rollout::detail {

struct HttpAnswer {
  long status = 0;
  std::string body;
  std::string content_type;
};

// GETs `url` with a total timeout; a body over `limit` bytes is an error.
// Throws Error(Exit::failure) naming the URL for transport errors; any HTTP
// status is returned to the caller.
HttpAnswer http_get(const std::string& url, std::chrono::milliseconds timeout, std::size_t limit);

// Percent-encodes `text` for a URL query value.
std::string url_encode(std::string_view text);

}  // namespace acuctl::rollout::detail
