// Calls to the admin API of many runners at once (SPEC section 6), with
// per-runner timeouts and per-runner errors: the basis of deploy, rollout,
// promote, abort, rollback and status.
#pragma once
#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace acuctl {

struct FleetOptions {
  std::vector<std::string> runners;  // base URLs, "http://HOST:PORT"
  std::optional<std::string> token;  // admin bearer token
  std::chrono::milliseconds timeout{10000};
  std::chrono::milliseconds connect_timeout{2000};
};

struct RunnerReply {
  std::string runner;
  long status = 0;
  nlohmann::json body;  // parsed JSON, or null
  std::string error;    // transport error, empty if the runner answered
  bool answered() const { return error.empty(); }
  bool ok() const { return error.empty() && status >= 200 && status < 300; }
  // The runner refused a bundle as untrusted or incompatible (exit 3): 403,
  // or an error body marked "verification": true.
  bool refused_verification() const {
    return answered() && (status == 403 || (status >= 400 && body.is_object() && body.value("verification", false)));
  }
  // "http://h:p: 409 the new version does not accept input 'x'" / "…: connection refused".
  std::string describe() const;
};

// "127.0.0.1:8080", "http://h:p/" → "http://h:p"; refuses what is not a URL.
std::string normalize_runner_url(const std::string& text);

// The runners named by flags (repeatable, comma-separated), else ACUCTL_RUNNERS.
std::vector<std::string> resolve_runners(const std::vector<std::string>& flags);
// The admin token from --token-file, else ACUCTL_TOKEN, else none.
std::optional<std::string> resolve_token(const std::string& token_file);

struct FleetCall {
  std::string method;
  std::string path;
  std::optional<nlohmann::json> body;
};

// The same call to every runner, at once.
std::vector<RunnerReply> fleet_call(const FleetOptions& fleet, const std::string& method, const std::string& path,
                                    const std::optional<nlohmann::json>& body = std::nullopt);
// A call of its own to each runner (calls[i] to fleet.runners[i]), at once;
// a runner whose call is nullopt is skipped and its reply is `skipped`.
std::vector<RunnerReply> fleet_call_each(const FleetOptions& fleet, const std::vector<std::optional<FleetCall>>& calls,
                                         const std::vector<RunnerReply>& skipped);

// PUT /admin/v1/bundles/<digest> with the file's bytes, to every runner at once.
std::vector<RunnerReply> fleet_upload(const FleetOptions& fleet, const std::filesystem::path& bundle,
                                      const std::string& digest);

}  // namespace acuctl
