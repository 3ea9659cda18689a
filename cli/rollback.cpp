// acuctl rollback --runner URL…: undo the latest change on every runner at
// once. Needs no local state and is idempotent.
#include "runner_flags.hpp"

namespace acuctl::cli {
namespace {

// What to undo on one runner, from its state: the canary if there is one;
// else the stable version, back to `previous` — unless the runner's latest
// change already was a rollback, so that a second call finds nothing to undo.
// "from" pins the version being undone: the runner acts only while that
// version is still its canary or stable, so a second call changes nothing.
std::optional<FleetCall> undo_call(const nlohmann::json& s) {
  if (!s.is_object()) return std::nullopt;
  if (s.contains("canary") && s["canary"].is_object())
    return FleetCall{"POST", "/admin/v1/rollback", nlohmann::json{{"from", s["canary"].value("version", std::string())}}};
  bool last_was_rollback = s.contains("last_change") && s["last_change"].is_object() &&
                           s["last_change"].value("action", std::string()).find("rollback") != std::string::npos;
  if (!last_was_rollback && s.contains("previous") && s["previous"].is_object() && s.contains("stable") &&
      s["stable"].is_object())
    return FleetCall{"POST", "/admin/v1/rollback", nlohmann::json{{"from", s["stable"].value("version", std::string())}}};
  return std::nullopt;
}

void register_rollback(CLI::App& app, Context& ctx) {
  auto flags = std::make_shared<RunnerFlags>();
  auto* cmd = app.add_subcommand("rollback", "Undo the latest change on every runner at once (idempotent)");
  add_runner_flags(cmd, *flags);
  cmd->callback([flags, &ctx] {
    ctx.action = [flags, &ctx] {
      FleetOptions fleet = flags->resolve();
      auto states = fleet_call(fleet, "GET", "/admin/v1/state");
      std::vector<std::optional<FleetCall>> calls;
      for (const auto& s : states) calls.push_back(s.ok() ? undo_call(s.body) : std::nullopt);
      return report_replies(ctx, "rollback", fleet_call_each(fleet, calls, states));
    };
  });
}

const RegisterCommand registered{130, register_rollback};

}  // namespace
}  // namespace acuctl::cli
