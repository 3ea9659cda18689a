// One infer request over libcurl, for `acuctl predict`.
#include "acuctl/infer_client.hpp"

#include <curl/curl.h>

#include <memory>

#include "acuctl/contract.hpp"
#include "acuctl/error.hpp"

namespace acuctl::runner {
namespace {

struct CurlDeleter {
  void operator()(CURL* c) const noexcept { curl_easy_cleanup(c); }
};
struct SlistDeleter {
  void operator()(curl_slist* l) const noexcept { curl_slist_free_all(l); }
};

std::size_t on_body(char* data, std::size_t size, std::size_t n, void* user) {
  static_cast<std::string*>(user)->append(data, size * n);
  return size * n;
}

std::size_t on_header(char* data, std::size_t size, std::size_t n, void* user) {
  std::string_view line(data, size * n);
  std::string_view name = contract::header_version;
  if (line.size() > name.size() + 1 && line[name.size()] == ':' &&
      std::equal(name.begin(), name.end(), line.begin(),
                 [](char a, char b) { return std::tolower(static_cast<unsigned char>(a)) == std::tolower(static_cast<unsigned char>(b)); })) {
    std::string_view value = line.substr(name.size() + 1);
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
    while (!value.empty() && (value.back() == '\r' || value.back() == '\n' || value.back() == ' ')) value.remove_suffix(1);
    static_cast<HttpResult*>(user)->model_version = std::string(value);
  }
  return size * n;
}

}  // namespace

std::string infer_url(std::string base, const std::string& model, const std::string& version) {
  while (!base.empty() && base.back() == '/') base.pop_back();
  if (base.find("://") == std::string::npos) base = "http://" + base;
  std::string url = base + "/v2/models/" + model;
  if (!version.empty()) url += "/versions/" + version;
  return url + "/infer";
}

HttpResult post_json(const std::string& url, std::string_view body, std::chrono::milliseconds timeout) {
  std::unique_ptr<CURL, CurlDeleter> curl(curl_easy_init());
  if (!curl) fail("cannot start an HTTP request: curl_easy_init failed");
  HttpResult result;
  std::unique_ptr<curl_slist, SlistDeleter> headers(curl_slist_append(nullptr, "Content-Type: application/json"));
  curl_slist_append(headers.get(), "Expect:");
  char error[CURL_ERROR_SIZE] = {};
  CURL* c = curl.get();
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_POST, 1L);
  curl_easy_setopt(c, CURLOPT_POSTFIELDS, body.data());
  curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers.get());
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, &on_body);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &result.body);
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, &on_header);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, &result);
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, error);
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(timeout.count()));
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
  CURLcode rc = curl_easy_perform(c);
  if (rc != CURLE_OK)
    fail("cannot reach '" + url + "': " + (error[0] ? std::string(error) : std::string(curl_easy_strerror(rc))));
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &result.status);
  return result;
}

}  // namespace acuctl::runner
