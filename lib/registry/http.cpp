// libcurl easy-handle wrapper: one handle reused across requests so that
// connections are kept alive; bodies streamed from a file region or to a sink.
#include "registry/http.hpp"

#include <curl/curl.h>
#include <openssl/evp.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <exception>
#include <mutex>

#include "acuctl/error.hpp"

namespace acuctl::http {
namespace {

void global_init() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n')) s.remove_suffix(1);
  return std::string(s);
}

struct Transfer {
  const Request* request = nullptr;
  Response* response = nullptr;
  std::uint64_t sent = 0;  // request body bytes handed to curl
  bool headers_done = false;
  bool to_sink = false;
  std::exception_ptr error;
};

std::size_t on_header(char* data, std::size_t size, std::size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  std::size_t n = size * count;
  std::string_view line(data, n);
  if (line.substr(0, 5) == "HTTP/") {
    // A new response (after 100 Continue or a redirect): start over.
    t->response->headers.values.clear();
    t->headers_done = false;
    std::size_t sp = line.find(' ');
    long status = 0;
    if (sp != std::string_view::npos)
      for (std::size_t i = sp + 1; i < line.size() && std::isdigit(static_cast<unsigned char>(line[i])); ++i)
        status = status * 10 + (line[i] - '0');
    t->response->status = status;
    return n;
  }
  if (line == "\r\n" || line == "\n") {
    long status = t->response->status;
    bool interim = status == 100 || (t->request->follow_redirects && status >= 300 && status < 400 &&
                                     !t->response->headers.get("location").empty());
    if (!interim && !t->headers_done) {
      t->headers_done = true;
      t->to_sink = false;
      if (t->request->on_headers) {
        try {
          t->to_sink = t->request->on_headers(status, t->response->headers) && t->request->sink;
        } catch (...) {
          t->error = std::current_exception();
          return 0;
        }
      }
    }
    return n;
  }
  std::size_t colon = line.find(':');
  if (colon != std::string_view::npos)
    t->response->headers.values.emplace(lower(std::string(line.substr(0, colon))), trim(line.substr(colon + 1)));
  return n;
}

std::size_t on_write(char* data, std::size_t size, std::size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  std::size_t n = size * count;
  if (t->to_sink) {
    try {
      t->request->sink(data, n);
    } catch (...) {
      t->error = std::current_exception();
      return CURL_WRITEFUNC_ERROR;
    }
    t->response->received += n;
    return n;
  }
  if (t->response->body.size() + n > t->request->body_limit) {
    t->error = std::make_exception_ptr(
        Error(Exit::failure, "the reply from " + t->request->url + " is larger than " +
                                 std::to_string(t->request->body_limit) + " bytes"));
    return CURL_WRITEFUNC_ERROR;
  }
  t->response->body.append(data, n);
  return n;
}

std::size_t on_read(char* buffer, std::size_t size, std::size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const Request& r = *t->request;
  std::size_t want = size * count;
  std::uint64_t total = r.fd >= 0 ? r.length : r.body.size();
  if (t->sent >= total) return 0;
  want = static_cast<std::size_t>(std::min<std::uint64_t>(want, total - t->sent));
  std::size_t got = 0;
  if (r.fd >= 0) {
    for (;;) {
      ssize_t k = ::pread(r.fd, buffer, want, static_cast<off_t>(r.offset + t->sent));
      if (k < 0 && errno == EINTR) continue;
      if (k <= 0) {
        t->error = std::make_exception_ptr(Error(Exit::failure, "cannot read the upload's source file: " +
                                                                    std::string(k < 0 ? std::strerror(errno) : "it became shorter")));
        return CURL_READFUNC_ABORT;
      }
      got = static_cast<std::size_t>(k);
      break;
    }
  } else {
    std::copy_n(r.body.data() + t->sent, want, buffer);
    got = want;
  }
  t->sent += got;
  if (r.on_sent) {
    try {
      r.on_sent(got);
    } catch (...) {
      t->error = std::current_exception();
      return CURL_READFUNC_ABORT;
    }
  }
  return got;
}

int on_seek(void* user, curl_off_t offset, int origin) {
  auto* t = static_cast<Transfer*>(user);
  if (origin != SEEK_SET || offset < 0) return CURL_SEEKFUNC_CANTSEEK;
  t->sent = static_cast<std::uint64_t>(offset);
  return CURL_SEEKFUNC_OK;
}

Transport classify(CURLcode code) {
  switch (code) {
    case CURLE_OK: return Transport::ok;
    case CURLE_COULDNT_CONNECT:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY: return Transport::refused;
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CACERT_BADFILE: return Transport::tls;
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
    case CURLE_OPERATION_TIMEDOUT: return Transport::dropped;
    default: return Transport::other;
  }
}

}  // namespace

std::string Headers::get(const std::string& name) const {
  auto [lo, hi] = values.equal_range(name);
  std::string out;
  for (auto it = lo; it != hi; ++it) out = it->second;
  return out;
}

std::vector<std::string> Headers::all(const std::string& name) const {
  std::vector<std::string> out;
  auto [lo, hi] = values.equal_range(name);
  for (auto it = lo; it != hi; ++it) out.push_back(it->second);
  return out;
}

struct Client::Impl {
  CURL* easy = nullptr;
  ClientOptions options;
  ~Impl() {
    if (easy) curl_easy_cleanup(easy);
  }
};

Client::Client(ClientOptions options) : impl_(std::make_unique<Impl>()) {
  global_init();
  impl_->options = options;
  impl_->easy = curl_easy_init();
  if (!impl_->easy) fail("cannot initialise libcurl");
}

Client::~Client() = default;

Response Client::perform(const Request& request) {
  CURL* h = impl_->easy;
  curl_easy_reset(h);  // keeps the connection cache
  Response response;
  Transfer t;
  t.request = &request;
  t.response = &response;
  char error_buffer[CURL_ERROR_SIZE] = {0};

  curl_easy_setopt(h, CURLOPT_URL, request.url.c_str());
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, error_buffer);
  curl_easy_setopt(h, CURLOPT_USERAGENT, "acuctl/" ACUCTL_VERSION);
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(impl_->options.connect_timeout.count()));
  curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1024L);
  curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, static_cast<long>(impl_->options.stall_timeout.count()));
  curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(h, CURLOPT_HEADERDATA, &t);
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_write);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &t);
  curl_easy_setopt(h, CURLOPT_BUFFERSIZE, 128L * 1024);  // fewer recv and write calls per download
  curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
  curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  if (request.follow_redirects) {
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(h, CURLOPT_MAXREDIRS, 5L);
  }

  bool has_body = request.fd >= 0 || !request.body.empty();
  std::uint64_t body_size = request.fd >= 0 ? request.length : request.body.size();
  if (request.method == "HEAD") {
    curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
  } else if (request.method == "GET") {
    curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
  } else if (request.method == "POST" && !has_body) {
    curl_easy_setopt(h, CURLOPT_POST, 1L);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, "");
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(0));
  } else {
    // PUT, PATCH, POST with a body: upload through the read callback.
    curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(body_size));
    curl_easy_setopt(h, CURLOPT_READFUNCTION, on_read);
    curl_easy_setopt(h, CURLOPT_READDATA, &t);
    curl_easy_setopt(h, CURLOPT_SEEKFUNCTION, on_seek);
    curl_easy_setopt(h, CURLOPT_SEEKDATA, &t);
    curl_easy_setopt(h, CURLOPT_UPLOAD_BUFFERSIZE, 1024L * 1024);
    if (request.method != "PUT") curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, request.method.c_str());
  }

  curl_slist* list = nullptr;
  for (const auto& line : request.headers) list = curl_slist_append(list, line.c_str());
  // Small bodies go at once; for large ones keep curl's Expect: 100-continue,
  // which lets a registry refuse (401, 404) before the body is sent.
  if (has_body && body_size < (1u << 20)) list = curl_slist_append(list, "Expect:");
  if (list) curl_easy_setopt(h, CURLOPT_HTTPHEADER, list);

  CURLcode code = curl_easy_perform(h);
  if (list) curl_slist_free_all(list);
  if (t.error) std::rethrow_exception(t.error);

  if (code != CURLE_OK) {
    response.transport = classify(code);
    response.error = error_buffer[0] ? std::string(error_buffer) : std::string(curl_easy_strerror(code));
    while (!response.error.empty() && response.error.back() == '\n') response.error.pop_back();
    if (code == CURLE_OPERATION_TIMEDOUT && t.sent == 0 && response.status == 0 && response.received == 0 &&
        response.error.find("onnect") != std::string::npos)
      response.transport = Transport::timeout_connect;
    return response;
  }
  long status = 0;
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
  response.status = status;
  char* effective = nullptr;
  if (curl_easy_getinfo(h, CURLINFO_EFFECTIVE_URL, &effective) == CURLE_OK && effective) response.effective_url = effective;
  // A HEAD or bodyless reply never reached the blank line callback with a body;
  // make sure on_headers ran once for callers that rely on it.
  if (!t.headers_done && request.on_headers) request.on_headers(status, response.headers);
  return response;
}

std::string url_encode(std::string_view text) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

std::string base64_encode(std::string_view data) {
  std::string out(4 * ((data.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(data.data()), static_cast<int>(data.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

}  // namespace acuctl::http
