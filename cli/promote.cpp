// acuctl promote --runner URL…: make every runner's canary its stable.
#include "runner_flags.hpp"

namespace acuctl::cli {
namespace {

void register_promote(CLI::App& app, Context& ctx) {
  auto flags = std::make_shared<RunnerFlags>();
  auto* cmd = app.add_subcommand("promote", "Promote the canary to stable on every runner");
  add_runner_flags(cmd, *flags);
  cmd->callback([flags, &ctx] {
    ctx.action = [flags, &ctx] {
      FleetOptions fleet = flags->resolve();
      return report_replies(ctx, "promote", fleet_call(fleet, "POST", "/admin/v1/promote", nlohmann::json::object()));
    };
  });
}

const RegisterCommand registered{110, register_promote};

}  // namespace
}  // namespace acuctl::cli
