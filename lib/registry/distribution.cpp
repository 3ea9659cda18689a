// The OCI distribution client (distribution-spec v1.1, Docker Distribution
// 2.8 quirks in shared/reference/oci.md): blob checks, monolithic and chunked
// uploads, manifests, verified downloads with resume. Auth and retries: session.cpp.
#include "registry/distribution.hpp"

#include <unistd.h>

#include <algorithm>
#include <cerrno>


#include "acuctl/contract.hpp"
#include "acuctl/error.hpp"
#include "acuctl/files.hpp"
#include "acuctl/sha256.hpp"
#include "registry/hashing_writer.hpp"
#include "registry/http.hpp"
#include "registry/internal.hpp"
#include "registry/session.hpp"

namespace acuctl {
namespace {

constexpr const char* kManifestAccept =
    "Accept: application/vnd.oci.image.manifest.v1+json, application/vnd.oci.image.index.v1+json, "
    "application/vnd.docker.distribution.manifest.v2+json, "
    "application/vnd.docker.distribution.manifest.list.v2+json";

// "0-1234" (Docker) or "bytes=0-1234" → 1234; nullopt when absent/malformed.
std::optional<std::uint64_t> range_end(const std::string& header) {
  std::string_view v = header;
  if (v.substr(0, 6) == "bytes=") v.remove_prefix(6);
  std::size_t dash = v.find('-');
  if (dash == std::string_view::npos || dash + 1 >= v.size()) return std::nullopt;
  std::uint64_t end = 0;
  for (char c : v.substr(dash + 1)) {
    if (c < '0' || c > '9') return std::nullopt;
    end = end * 10 + static_cast<std::uint64_t>(c - '0');
  }
  return end;
}

// "bytes START-END/TOTAL" → START.
std::optional<std::uint64_t> content_range_start(const std::string& header) {
  std::string_view v = header;
  if (v.substr(0, 6) != "bytes ") return std::nullopt;
  v.remove_prefix(6);
  std::uint64_t start = 0;
  std::size_t i = 0;
  for (; i < v.size() && v[i] >= '0' && v[i] <= '9'; ++i) start = start * 10 + static_cast<std::uint64_t>(v[i] - '0');
  if (i == 0 || i >= v.size() || v[i] != '-') return std::nullopt;
  return start;
}

}  // namespace

struct DistributionClient::Impl : RegistrySession {
  using RegistrySession::RegistrySession;
};

DistributionClient::DistributionClient(const Reference& ref, const RegistryOptions& options, bool push,
                                       std::string context)
    : impl_(std::make_unique<Impl>(ref, options, push, std::move(context))) {}
DistributionClient::~DistributionClient() = default;

int DistributionClient::uploads() const { return impl_->uploads; }

void DistributionClient::ping() {
  Impl& s = *impl_;
  http::Response r = s.send([&] { return Impl::get(s.base + "/v2/"); });
  if (r.status == 200) return;
  if (r.status == 404)
    fail(s.context + ": " + s.ref.registry + " is not an OCI registry (GET /v2/ answered 404)");
  s.fail_status(r, "checking the registry API");
}

bool DistributionClient::blob_exists(const std::string& digest, std::uint64_t size) {
  Impl& s = *impl_;
  http::Response r = s.send([&] {
    http::Request req = Impl::get(s.repo_base + "/blobs/" + digest);
    req.method = "HEAD";
    req.follow_redirects = true;
    return req;
  });
  if (r.status == 200) {
    auto length = parse_uint(r.headers.get("content-length"));
    return !length || *length == size;
  }
  if (r.status == 404) return false;
  s.fail_status(r, "checking blob " + digest);
}

namespace {

http::Request upload_start_request(const std::string& repo_base) {
  http::Request req;
  req.method = "POST";
  req.url = repo_base + "/blobs/uploads/";
  return req;
}

}  // namespace

void DistributionClient::upload_blob(const std::string& digest, std::string_view bytes) {
  Impl& s = *impl_;
  http::Response r = s.send([&] { return upload_start_request(s.repo_base); });
  if (r.status != 202) s.fail_status(r, "starting the upload of blob " + digest);
  std::string loc = s.location(r);
  r = s.send([&] {
    http::Request req;
    req.method = "PUT";
    req.url = Impl::with_query(loc, "digest=" + http::url_encode(digest));
    req.headers = {"Content-Type: application/octet-stream"};
    req.body = std::string(bytes);
    if (bytes.empty()) req.headers.push_back("Content-Length: 0");
    return req;
  });
  if (r.status != 201) s.fail_status(r, "uploading blob " + digest);
  ++s.uploads;
}

void DistributionClient::upload_blob_file(const std::string& digest, const std::filesystem::path& file,
                                          std::uint64_t size) {
  Impl& s = *impl_;
  UniqueFd fd = open_for_reading(file);
  s.progress_total = size;
  std::uint64_t chunk = s.options.chunk_size;
  auto on_sent_from = [&s](std::uint64_t start) {
    return [&s, done = start](std::size_t n) mutable {
      done += n;
      s.report(done);
    };
  };

  if (chunk == 0 || size <= chunk) {
    // Monolithic: POST, then PUT the whole body. A failed PUT restarts the
    // session, since a half-written session cannot be resumed on every registry.
    for (int n = 1;; ++n) {
      http::Response r = s.send([&] { return upload_start_request(s.repo_base); });
      if (r.status != 202) s.fail_status(r, "starting the upload of blob " + digest);
      std::string loc = s.location(r);
      s.report(0);
      r = s.attempt([&] {
        http::Request req;
        req.method = "PUT";
        req.url = Impl::with_query(loc, "digest=" + http::url_encode(digest));
        req.headers = {"Content-Type: application/octet-stream"};
        req.fd = fd.get();
        req.offset = 0;
        req.length = size;
        req.on_sent = on_sent_from(0);
        return req;
      });
      if (r.transport == http::Transport::ok && r.status == 201) break;
      bool retry = r.transport == http::Transport::dropped ||
                   (r.transport == http::Transport::ok && (r.status == 429 || r.status >= 500));
      if (!retry || n >= s.options.max_attempts) {
        if (r.transport != http::Transport::ok) s.fail_transport(r, loc);
        s.fail_status(r, "uploading blob " + digest);
      }
      s.backoff(n, &r);
    }
    ++s.uploads;
    return;
  }

  // Chunked: POST, PATCH each chunk to the latest Location, PUT ?digest=.
  http::Response r = s.send([&] { return upload_start_request(s.repo_base); });
  if (r.status != 202) s.fail_status(r, "starting the upload of blob " + digest);
  std::string loc = s.location(r);
  if (auto min = parse_uint(r.headers.get("oci-chunk-min-length")); min && *min > chunk) chunk = *min;
  std::uint64_t offset = 0;
  int failures = 0;
  s.report(0);
  while (offset < size) {
    std::uint64_t n = std::min(chunk, size - offset);
    r = s.attempt([&] {
      http::Request req;
      req.method = "PATCH";
      req.url = loc;
      req.headers = {"Content-Type: application/octet-stream",
                     "Content-Range: " + std::to_string(offset) + "-" + std::to_string(offset + n - 1)};
      req.fd = fd.get();
      req.offset = offset;
      req.length = n;
      req.on_sent = on_sent_from(offset);
      return req;
    });
    if (r.transport == http::Transport::ok && r.status == 202) {
      loc = s.location(r);
      auto end = range_end(r.headers.get("range"));
      offset = end ? *end + 1 : offset + n;
      failures = 0;
      s.report(offset);
      continue;
    }
    bool recoverable = r.transport == http::Transport::dropped ||
                       (r.transport == http::Transport::ok && (r.status == 416 || r.status == 429 || r.status >= 500));
    if (!recoverable || ++failures >= s.options.max_attempts) {
      if (r.transport != http::Transport::ok) s.fail_transport(r, loc);
      s.fail_status(r, "uploading a chunk of blob " + digest);
    }
    s.backoff(failures, &r);
    // Ask the session where it stands, then go on from there.
    http::Response st = s.send([&] { return Impl::get(loc); });
    if (st.status != 204 && st.status != 200)
      s.fail_status(st, "resuming the upload of blob " + digest + " (the upload session is gone)");
    loc = s.location(st);
    auto end = range_end(st.headers.get("range"));
    offset = end ? *end + 1 : 0;
    s.report(offset);
  }
  r = s.send([&] {
    http::Request req;
    req.method = "PUT";
    req.url = Impl::with_query(loc, "digest=" + http::url_encode(digest));
    req.headers = {"Content-Type: application/octet-stream", "Content-Length: 0"};
    return req;
  });
  // A retried final PUT may find the session already closed: fine if the blob is there.
  if (r.status != 201 && !(r.status == 404 && blob_exists(digest, size)))
    s.fail_status(r, "completing the upload of blob " + digest);
  ++s.uploads;
}

std::string DistributionClient::put_manifest(const std::string& tag_or_digest, const std::string& bytes,
                                             const std::string& digest) {
  Impl& s = *impl_;
  http::Response r = s.send([&] {
    http::Request req;
    req.method = "PUT";
    req.url = s.repo_base + "/manifests/" + tag_or_digest;
    req.headers = {"Content-Type: " + std::string(contract::oci_manifest_media_type)};
    req.body = bytes;
    return req;
  });
  if (r.status != 201 && r.status != 200) s.fail_status(r, "uploading the manifest");
  std::string reported = r.headers.get("docker-content-digest");
  if (!reported.empty() && reported != digest)
    fail(s.context + ": the registry stored the manifest as " + reported + ", expected " + digest);
  return digest;
}

DistributionClient::Manifest DistributionClient::get_manifest(const std::string& tag_or_digest) {
  Impl& s = *impl_;
  http::Response r = s.send([&] {
    http::Request req = Impl::get(s.repo_base + "/manifests/" + tag_or_digest);
    req.headers = {kManifestAccept};
    req.body_limit = kManifestLimit;
    return req;
  });
  if (r.status != 200) s.fail_status(r, "fetching manifest " + tag_or_digest);
  Manifest m;
  m.bytes = std::move(r.body);
  m.digest = "sha256:" + sha256_hex(m.bytes);
  if (is_sha256_digest(tag_or_digest) && m.digest != tag_or_digest)
    fail_verification(s.context + ": the registry sent a manifest with digest " + m.digest + " for " + tag_or_digest);
  std::string reported = r.headers.get("docker-content-digest");
  if (!reported.empty() && reported != m.digest && reported.rfind("sha256:", 0) == 0)
    fail_verification(s.context + ": the manifest's digest is " + m.digest + " but the registry says " + reported);
  return m;
}

std::string DistributionClient::get_blob(const std::string& digest, std::uint64_t size) {
  Impl& s = *impl_;
  if (size > kManifestLimit) fail(s.context + ": blob " + digest + " is too large to read into memory");
  http::Response r = s.send([&] {
    http::Request req = Impl::get(s.repo_base + "/blobs/" + digest);
    req.follow_redirects = true;
    req.body_limit = static_cast<std::size_t>(size) + 1;
    return req;
  });
  if (r.status != 200) s.fail_status(r, "fetching blob " + digest);
  if (r.body.size() != size || "sha256:" + sha256_hex(r.body) != digest)
    fail_verification(s.context + ": blob " + digest + " failed verification: the registry sent " +
                      std::to_string(r.body.size()) + " bytes with digest sha256:" + sha256_hex(r.body));
  return std::move(r.body);
}

void DistributionClient::download_blob(const std::string& digest, std::uint64_t size, PendingFile& out) {
  Impl& s = *impl_;
  HashingWriter writer(out, s.options.sync_output);
  std::uint64_t done = 0;
  int failures = 0;
  s.progress_total = size;
  s.report(0);
  auto mismatch = [&](const std::string& why) {
    fail_verification(s.context + ": blob " + digest + " failed verification: " + why,
                      "the registry's copy is damaged or was tampered with; nothing was written");
  };
  for (;;) {
    const std::uint64_t start = done;
    http::Response r = s.attempt([&] {
      http::Request req = Impl::get(s.repo_base + "/blobs/" + digest);
      req.follow_redirects = true;
      if (done > 0) req.headers.push_back("Range: bytes=" + std::to_string(done) + "-");
      req.on_headers = [&](long status, const http::Headers& h) {
        if (status != 200 && status != 206) return false;
        auto length = parse_uint(h.get("content-length"));
        if (status == 206) {
          auto first = content_range_start(h.get("content-range"));
          if (!first || *first != done) status = 200;  // not the range we asked for: start over
        }
        if (status == 200 && done > 0) {
          writer.restart();
          done = 0;
        }
        if (length && done + *length != size)
          mismatch("the registry announced " + std::to_string(done + *length) + " bytes, the manifest says " +
                   std::to_string(size));
        return true;
      };
      req.sink = [&](const char* data, std::size_t n) {
        if (done + n > size) mismatch("the registry sent more than the manifest's " + std::to_string(size) + " bytes");
        writer.append(data, n);
        done += n;
        s.report(done);
      };
      return req;
    });
    bool ok_status = r.transport == http::Transport::ok && (r.status == 200 || r.status == 206);
    if (ok_status && done == size) break;
    bool retry = !ok_status ? (r.transport == http::Transport::dropped ||
                               (r.transport == http::Transport::ok && (r.status == 429 || r.status >= 500)))
                            : true;  // a clean but short reply: resume
    if (done > start) failures = 0;  // progress was made: the budget is per stall
    if (!retry || ++failures >= s.options.max_attempts) {
      if (r.transport != http::Transport::ok) s.fail_transport(r, s.repo_base + "/blobs/" + digest);
      if (ok_status) mismatch("the registry sent " + std::to_string(done) + " of " + std::to_string(size) + " bytes");
      s.fail_status(r, "fetching blob " + digest);
    }
    s.backoff(failures, &r);
  }
  std::string got = writer.finish();
  if (got != digest) mismatch("the content's digest is " + got);
}

}  // namespace acuctl
