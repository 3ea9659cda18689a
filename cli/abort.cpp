// acuctl abort --runner URL…: drop the canary on every runner; stable stays.
#include "runner_flags.hpp"

namespace acuctl::cli {
namespace {

void register_abort(CLI::App& app, Context& ctx) {
  auto flags = std::make_shared<RunnerFlags>();
  auto* cmd = app.add_subcommand("abort", "Drop the canary on every runner (the stable version keeps serving)");
  add_runner_flags(cmd, *flags);
  cmd->callback([flags, &ctx] {
    ctx.action = [flags, &ctx] {
      FleetOptions fleet = flags->resolve();
      // Only a canary is dropped: rollback "from" the canary's version, read
      // per runner, so an abort never touches a stable version.
      auto states = fleet_call(fleet, "GET", "/admin/v1/state");
      std::vector<std::optional<FleetCall>> calls(states.size());
      for (std::size_t i = 0; i < states.size(); ++i) {
        const auto& s = states[i];
        if (s.ok() && s.body.is_object() && s.body.contains("canary") && s.body["canary"].is_object())
          calls[i] = FleetCall{"POST", "/admin/v1/rollback",
                               nlohmann::json{{"from", s.body["canary"].value("version", std::string())}}};
      }
      return report_replies(ctx, "abort", fleet_call_each(fleet, calls, states));
    };
  });
}

const RegisterCommand registered{120, register_abort};

}  // namespace
}  // namespace acuctl::cli
