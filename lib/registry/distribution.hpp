// An OCI distribution API client for one repository: auth (basic, bearer
// token), retries with backoff, blob existence checks, monolithic and chunked
// uploads, manifests, and digest-verified streaming downloads with resume.
#pragma once
#include <filesystem>
#include <memory>
#include <string>

#include "acuctl/registry.hpp"

namespace acuctl {

class PendingFile;

class DistributionClient {
 public:
  // `push` asks for pull and push access up front (token scopes). `context`
  // starts every error message ("cannot push to 'host/repo:tag'").
  DistributionClient(const Reference& ref, const RegistryOptions& options, bool push, std::string context);
  ~DistributionClient();
  DistributionClient(const DistributionClient&) = delete;
  DistributionClient& operator=(const DistributionClient&) = delete;

  // GET /v2/: reachability, and the auth scheme.
  void ping();
  bool blob_exists(const std::string& digest, std::uint64_t size);
  void upload_blob(const std::string& digest, std::string_view bytes);
  void upload_blob_file(const std::string& digest, const std::filesystem::path& file, std::uint64_t size);
  // PUT manifest under `tag_or_digest`; returns the digest the registry reports (or ours).
  std::string put_manifest(const std::string& tag_or_digest, const std::string& bytes, const std::string& digest);

  struct Manifest {
    std::string digest;
    std::string bytes;
  };
  // GET manifest by tag or digest; by digest it is verified.
  Manifest get_manifest(const std::string& tag_or_digest);
  // A small blob, read into memory and verified.
  std::string get_blob(const std::string& digest, std::uint64_t size);
  // A blob streamed into `out`, verified while streaming; resumes with Range.
  // With options.sync_output, dirty pages are written back as it goes.
  void download_blob(const std::string& digest, std::uint64_t size, PendingFile& out);

  int uploads() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace acuctl
