// The runner's admin API (SPEC section 6) as HTTP: bearer tokens, strict
// request bodies, If-Match generations, and the mapping of refusals to
// status codes. The changes themselves are Runner's.
#pragma once
#include <cstdint>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "acuctl/http_server.hpp"

namespace acuctl::runner {

class Runner;

// A refused admin request: answered with `status` and {"error": what()}.
class AdminError : public std::runtime_error {
 public:
  AdminError(unsigned status, const std::string& message, bool verification = false)
      : std::runtime_error(message), status_(status), verification_(verification) {}
  unsigned status() const noexcept { return status_; }
  // A verification failure (exit 3; "verification": true in the error body)
  // is 403, or a 409 for an incompatible schema, or a 422 for a library with
  // the wrong ABI version. Other 409s are conflicts with the serving state.
  bool verification() const noexcept { return verification_ || status_ == 403; }

 private:
  unsigned status_;
  bool verification_;
};

// --admin-tokens FILE: lines "name:token" (blank lines and # comments
// ignored). Tokens are kept as SHA-256 digests and compared in constant time.
class AdminTokens {
 public:
  static AdminTokens load(const std::filesystem::path& file);
  static AdminTokens parse(std::string_view text, const std::string& source);
  // The name of the token in an "Authorization: Bearer TOKEN" header, or
  // nullopt. Every token is compared, so timing does not tell which matched.
  std::optional<std::string> actor_for(std::string_view authorization) const;
  std::size_t size() const { return entries_.size(); }

 private:
  struct Entry {
    std::string name;
    std::string digest;  // raw SHA-256 of the token
  };
  std::vector<Entry> entries_;
};

// Strictly parsed bodies: unknown keys, wrong types and out-of-range values
// are AdminError(400) naming the field.
struct DeployRequest {
  std::string ref;
};
struct CanaryRequest {
  std::string ref;
  int weight = 0;
  std::optional<std::int64_t> lease_seconds;
  std::optional<std::string> owner;
  bool force = false;
};
struct WeightRequest {
  int weight = 0;
  std::optional<std::int64_t> lease_seconds;
};
struct RollbackRequest {
  std::optional<std::string> from;
};
DeployRequest parse_deploy_request(std::string_view body);
CanaryRequest parse_canary_request(std::string_view body);
WeightRequest parse_weight_request(std::string_view body);
RollbackRequest parse_rollback_request(std::string_view body);
// An empty body or {} (promote).
void parse_empty_request(std::string_view body);

// If-Match: "<generation>" (quotes optional, W/ ignored); nullopt when the
// header is absent. A value that is not a generation is AdminError(412): it
// cannot match.
std::optional<std::uint64_t> parse_if_match(std::string_view header);

// Answers /admin/v1/…; returns false for other paths.
bool handle_admin_api(Runner& runner, const HttpRequest& request, HttpResponse& response);

// True when an upload of this size may be read at all: an authorized
// PUT /admin/v1/bundles/… (checked on the header, before the body arrives).
bool admin_upload_allowed(const Runner& runner, const HttpRequest& request);

}  // namespace acuctl::runner
