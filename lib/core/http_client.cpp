// libcurl multi underneath HttpRequest/HttpResponse.
#include "acuctl/http_client.hpp"

#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <memory>
#include <mutex>

#include "acuctl/error.hpp"

namespace acuctl {

namespace {

void global_init() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

struct Transfer {
  const HttpRequest* request = nullptr;
  HttpResponse* response = nullptr;
  CURL* easy = nullptr;
  curl_slist* headers = nullptr;
  FILE* upload = nullptr;
  bool overflow = false;
  char error[CURL_ERROR_SIZE] = {0};
  ~Transfer() {
    if (easy) curl_easy_cleanup(easy);
    if (headers) curl_slist_free_all(headers);
    if (upload) std::fclose(upload);
  }
};

size_t on_body(char* data, size_t size, size_t n, void* ctx) {
  auto* t = static_cast<Transfer*>(ctx);
  std::size_t limit = t->request->max_body;
  if (limit && t->response->body.size() + size * n > limit) {
    t->overflow = true;
    return 0;  // curl stops with CURLE_WRITE_ERROR
  }
  t->response->body.append(data, size * n);
  return size * n;
}

size_t on_header(char* data, size_t size, size_t n, void* ctx) {
  std::string line(data, size * n);
  auto colon = line.find(':');
  if (colon != std::string::npos) {
    std::string name = line.substr(0, colon);
    std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
    std::string value = line.substr(colon + 1);
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.erase(0, 1);
    while (!value.empty() && (value.back() == '\r' || value.back() == '\n' || value.back() == ' ')) value.pop_back();
    static_cast<HttpResponse*>(ctx)->headers.emplace_back(std::move(name), std::move(value));
  } else if (line.rfind("HTTP/", 0) == 0) {
    static_cast<HttpResponse*>(ctx)->headers.clear();  // a new response (after 100-continue or a redirect)
  }
  return size * n;
}

void setup(Transfer& t) {
  const HttpRequest& r = *t.request;
  t.easy = curl_easy_init();
  if (!t.easy) fail("cannot create an HTTP request");
  curl_easy_setopt(t.easy, CURLOPT_URL, r.url.c_str());
  curl_easy_setopt(t.easy, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(t.easy, CURLOPT_ERRORBUFFER, t.error);
  curl_easy_setopt(t.easy, CURLOPT_TIMEOUT_MS, static_cast<long>(r.timeout.count()));
  curl_easy_setopt(t.easy, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(r.connect_timeout.count()));
  curl_easy_setopt(t.easy, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(t.easy, CURLOPT_WRITEDATA, &t);
  curl_easy_setopt(t.easy, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(t.easy, CURLOPT_ACCEPT_ENCODING, "");
  curl_easy_setopt(t.easy, CURLOPT_USERAGENT, "acuctl/" ACUCTL_VERSION);
  curl_easy_setopt(t.easy, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(t.easy, CURLOPT_HEADERDATA, t.response);
  for (const auto& [k, v] : r.headers) t.headers = curl_slist_append(t.headers, (k + ": " + v).c_str());
  t.headers = curl_slist_append(t.headers, "Expect:");  // no 100-continue round trip
  curl_easy_setopt(t.easy, CURLOPT_HTTPHEADER, t.headers);
  if (r.body_file) {
    t.upload = std::fopen(r.body_file->c_str(), "rb");
    if (!t.upload) fail("cannot open '" + r.body_file->string() + "' for upload");
    std::fseek(t.upload, 0, SEEK_END);
    long size = std::ftell(t.upload);
    std::rewind(t.upload);
    curl_easy_setopt(t.easy, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(t.easy, CURLOPT_READDATA, t.upload);
    curl_easy_setopt(t.easy, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(size));
    curl_easy_setopt(t.easy, CURLOPT_CUSTOMREQUEST, r.method.c_str());
  } else if (r.method == "GET") {
    curl_easy_setopt(t.easy, CURLOPT_HTTPGET, 1L);
  } else if (r.method == "HEAD") {
    curl_easy_setopt(t.easy, CURLOPT_NOBODY, 1L);
  } else {
    curl_easy_setopt(t.easy, CURLOPT_POSTFIELDS, r.body.data());
    curl_easy_setopt(t.easy, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(r.body.size()));
    curl_easy_setopt(t.easy, CURLOPT_CUSTOMREQUEST, r.method.c_str());
  }
}

void finish(Transfer& t, CURLcode code) {
  if (t.overflow) {
    t.response->error = "the answer is larger than " + std::to_string(t.request->max_body) + " bytes";
    t.response->status = 0;
  } else if (code != CURLE_OK) {
    t.response->error = t.error[0] ? t.error : curl_easy_strerror(code);
    t.response->status = 0;
  } else {
    curl_easy_getinfo(t.easy, CURLINFO_RESPONSE_CODE, &t.response->status);
  }
  curl_easy_getinfo(t.easy, CURLINFO_TOTAL_TIME, &t.response->seconds);
}

}  // namespace

std::optional<std::string> HttpResponse::header(std::string_view name) const {
  std::string lower(name);
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
  for (const auto& [k, v] : headers)
    if (k == lower) return v;
  return std::nullopt;
}

HttpResponse http_perform(const HttpRequest& request) { return http_perform_all({request}).at(0); }

std::vector<HttpResponse> http_perform_all(const std::vector<HttpRequest>& requests) {
  global_init();
  std::vector<HttpResponse> responses(requests.size());
  std::vector<std::unique_ptr<Transfer>> transfers;
  std::unique_ptr<CURLM, decltype(&curl_multi_cleanup)> multi(curl_multi_init(), curl_multi_cleanup);
  if (!multi) fail("cannot create HTTP client");
  for (std::size_t i = 0; i < requests.size(); ++i) {
    auto t = std::make_unique<Transfer>();
    t->request = &requests[i];
    t->response = &responses[i];
    setup(*t);
    curl_easy_setopt(t->easy, CURLOPT_PRIVATE, t.get());
    curl_multi_add_handle(multi.get(), t->easy);
    transfers.push_back(std::move(t));
  }
  int running = 0;
  do {
    CURLMcode mc = curl_multi_perform(multi.get(), &running);
    if (mc != CURLM_OK) fail(std::string("HTTP client failed: ") + curl_multi_strerror(mc));
    if (running) curl_multi_poll(multi.get(), nullptr, 0, 100, nullptr);
    int queued = 0;
    while (CURLMsg* msg = curl_multi_info_read(multi.get(), &queued)) {
      if (msg->msg != CURLMSG_DONE) continue;
      Transfer* t = nullptr;
      curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &t);
      finish(*t, msg->data.result);
      curl_multi_remove_handle(multi.get(), msg->easy_handle);
    }
  } while (running);
  return responses;
}

}  // namespace acuctl
