// The flags every fleet command shares (--runner, --token-file, --timeout)
// and how a runner's state is shown.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "acuctl/fleet.hpp"
#include "command.hpp"

namespace acuctl::cli {

struct RunnerFlags {
  std::vector<std::string> runners;
  std::string token_file;
  std::string timeout = "10s";
  FleetOptions resolve() const;
};

void add_runner_flags(CLI::App* cmd, RunnerFlags& flags);

// "stable iris 1.0.0, canary iris 1.1.0 at 10%" from GET /admin/v1/state.
std::string describe_state(const nlohmann::json& state);

// Prints one line per runner (or a JSON document) and returns the exit code:
// 0 when every runner answered 2xx, else the worst category (403/409 → 3).
int report_replies(const Context& ctx, const std::string& action, const std::vector<RunnerReply>& replies);

// The exit category for one failed reply: 403 untrusted and 409 incompatible
// are verification failures (3), everything else a failure (1).
int exit_code_for(const RunnerReply& reply);

}  // namespace acuctl::cli
