// A minimal HTTP client for one infer request (libcurl, kept in the .cpp).
#pragma once
#include <chrono>
#include <string>
#include <string_view>

namespace acuctl::runner {

struct HttpResult {
  long status = 0;
  std::string body;
  std::string model_version;  // X-Acu-Version, when the runner sent it
};

// POSTs `body` (JSON) to `url`. Throws Error(failure) when the server cannot
// be reached; any HTTP status is returned.
HttpResult post_json(const std::string& url, std::string_view body, std::chrono::milliseconds timeout);

// "http://host:port" + "/v2/models/NAME[/versions/V]/infer"
std::string infer_url(std::string base, const std::string& model, const std::string& version);

}  // namespace acuctl::runner
