// Bounded HTTP GET for metric reads, over the shared HTTP client.
#include "rollout/http_get.hpp"

#include "acuctl/error.hpp"
#include "acuctl/http_client.hpp"

namespace acuctl::rollout::detail {

HttpAnswer http_get(const std::string& url, std::chrono::milliseconds timeout, std::size_t limit) {
  HttpRequest request;
  request.url = url;
  request.timeout = timeout;
  request.connect_timeout = timeout;
  request.max_body = limit;
  request.headers.emplace_back("Accept", "text/plain;version=0.0.4, application/json;q=0.9, */*;q=0.1");
  HttpResponse response = http_perform(request);
  if (!response.transport_ok()) fail("cannot GET '" + url + "': " + response.error);
  return {response.status, std::move(response.body), response.header("content-type").value_or("")};
}

std::string url_encode(std::string_view text) {
  static const char hex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char ch : text) {
    bool plain = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '-' ||
                 ch == '_' || ch == '.' || ch == '~';
    if (plain) {
      out += static_cast<char>(ch);
    } else {
      out += '%';
      out += hex[ch >> 4];
      out += hex[ch & 15];
    }
  }
  return out;
}

}  // namespace acuctl::rollout::detail
