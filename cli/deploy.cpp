// acuctl deploy REF --runner URL…: make REF the stable version on every
// runner (no canary). All or nothing: if any runner refuses, the runners that
// had switched are switched back.
#include <algorithm>
#include <iostream>

#include "acuctl/error.hpp"
#include "bundle_source.hpp"
#include "runner_flags.hpp"

namespace acuctl::cli {
namespace {

struct Options {
  std::string ref;
  RunnerFlags flags;
};

void register_deploy(CLI::App& app, Context& ctx) {
  auto opts = std::make_shared<Options>();
  auto* cmd = app.add_subcommand("deploy", "Hot-swap REF in as the stable version on every runner (no canary)");
  cmd->add_option("REF", opts->ref, "Bundle file, oci:DIR[:TAG], or registry reference")->required();
  add_runner_flags(cmd, opts->flags);
  cmd->callback([opts, &ctx] {
    ctx.action = [opts, &ctx] {
      FleetOptions fleet = opts->flags.resolve();
      std::string runner_ref = stage_on_runners(opts->ref, fleet, ctx);
      // The generations before, so that only runners this deploy changed are
      // switched back (a runner already serving REF answers 200 unchanged).
      auto before = fleet_call(fleet, "GET", "/admin/v1/state");
      auto generation = [](const RunnerReply& r) -> std::optional<std::uint64_t> {
        if (!r.ok() || !r.body.is_object() || !r.body.contains("generation") || !r.body["generation"].is_number_unsigned())
          return std::nullopt;
        return r.body["generation"].get<std::uint64_t>();
      };
      auto replies = fleet_call(fleet, "POST", "/admin/v1/deploy", nlohmann::json{{"ref", runner_ref}});
      bool all_ok = std::all_of(replies.begin(), replies.end(), [](const auto& r) { return r.ok(); });
      if (!all_ok) {
        std::vector<std::optional<FleetCall>> undo(replies.size());
        for (std::size_t i = 0; i < replies.size(); ++i)
          if (replies[i].ok() && replies[i].body.contains("stable") && replies[i].body["stable"].is_object() &&
              !(generation(before[i]) && generation(before[i]) == generation(replies[i])))
            undo[i] = FleetCall{"POST", "/admin/v1/rollback",
                                nlohmann::json{{"from", replies[i].body["stable"].value("version", std::string())}}};
        if (std::any_of(undo.begin(), undo.end(), [](const auto& c) { return c.has_value(); })) {
          ctx.note("deploy failed on some runners; switching the others back");
          auto undone = fleet_call_each(fleet, undo, replies);
          for (std::size_t i = 0; i < undone.size(); ++i)
            if (undo[i] && !undone[i].ok()) std::cerr << "acuctl: error: switching back " << undone[i].describe() << std::endl;
        }
      }
      return report_replies(ctx, "deploy", replies);
    };
  });
}

const RegisterCommand registered{100, register_deploy};

}  // namespace
}  // namespace acuctl::cli
