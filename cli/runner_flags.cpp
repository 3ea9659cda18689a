// Shared fleet flags and per-runner reporting.
#include "runner_flags.hpp"

#include <iostream>

#include "acuctl/error.hpp"
#include "acuctl/timefmt.hpp"

namespace acuctl::cli {

FleetOptions RunnerFlags::resolve() const {
  FleetOptions f;
  f.runners = resolve_runners(runners);
  f.token = resolve_token(token_file);
  f.timeout = parse_duration(timeout);
  return f;
}

void add_runner_flags(CLI::App* cmd, RunnerFlags& flags) {
  cmd->add_option("--runner", flags.runners, "Runner URL (repeatable or comma-separated; default ACUCTL_RUNNERS)");
  cmd->add_option("--token-file", flags.token_file, "File holding the admin token (default ACUCTL_TOKEN)");
  cmd->add_option("--request-timeout", flags.timeout, "Timeout of each runner call (default 10s)");
}

std::string describe_state(const nlohmann::json& s) {
  if (!s.is_object()) return "no state";
  auto slot = [&](const char* key) -> std::string {
    if (!s.contains(key) || !s[key].is_object()) return "";
    const auto& v = s[key];
    return v.value("version", std::string("?"));
  };
  std::string model = s.value("model", std::string(""));
  std::string stable = slot("stable"), canary = slot("canary");
  std::string out = stable.empty() ? "no stable model" : "stable " + model + " " + stable;
  if (!canary.empty()) {
    int w = s.contains("canary_weight") && s["canary_weight"].is_number() ? s["canary_weight"].get<int>() : 0;
    out += ", canary " + canary + " at " + std::to_string(w) + "%";
  }
  return out;
}

int exit_code_for(const RunnerReply& r) {
  if (r.refused_verification()) return static_cast<int>(Exit::verification);
  return static_cast<int>(Exit::failure);
}

int report_replies(const Context& ctx, const std::string& action, const std::vector<RunnerReply>& replies) {
  int code = 0;
  nlohmann::json runners = nlohmann::json::array();
  for (const auto& r : replies) {
    if (!r.ok()) code = std::max(code, exit_code_for(r));
    nlohmann::json j = {{"runner", r.runner}, {"ok", r.ok()}};
    if (!r.answered()) j["error"] = r.error;
    else {
      j["status"] = r.status;
      if (!r.ok()) j["error"] = r.body.is_object() ? r.body.value("error", std::string("")) : std::string("");
      if (r.ok()) j["state"] = r.body;
    }
    runners.push_back(std::move(j));
    if (!ctx.json()) {
      if (r.ok()) ctx.print(r.runner + ": " + describe_state(r.body));
      else std::cerr << "acuctl: error: " << action << " on " << r.describe() << std::endl;
    }
  }
  if (ctx.json()) ctx.print_json({{"action", action}, {"ok", code == 0}, {"runners", runners}});
  return code;
}

}  // namespace acuctl::cli
