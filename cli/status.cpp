// acuctl status --runner URL…: per runner reachable, stable, canary, weight,
// lease, requests/s, error rate and p99 (SPEC section 7), as a table or JSON.
#include <cstdio>
#include <iostream>

#include "acuctl/rollout_engine.hpp"
#include "acuctl/timefmt.hpp"
#include "runner_flags.hpp"

namespace acuctl::cli {
namespace {

struct Options {
  RunnerFlags flags;
  std::string sample = "1s";
};

std::string fixed(double v, int digits) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}

std::string latency(std::optional<double> s) {
  if (!s) return "-";
  if (*s < 1) return fixed(*s * 1000, 1) + "ms";
  return fixed(*s, 2) + "s";
}

void register_status(CLI::App& app, Context& ctx) {
  auto opts = std::make_shared<Options>();
  auto* cmd = app.add_subcommand("status", "Show each runner's versions, canary weight, lease and traffic");
  add_runner_flags(cmd, opts->flags);
  cmd->add_option("--sample", opts->sample, "Time between the two /metrics reads traffic is measured over (default 1s; 0 = no traffic figures)");
  cmd->callback([opts, &ctx] {
    ctx.action = [opts, &ctx] {
      FleetOptions fleet = opts->flags.resolve();
      auto sample = opts->sample == "0" ? std::chrono::milliseconds{0} : parse_duration(opts->sample);
      auto rows = rollout::fleet_status(fleet, sample);
      bool all_reachable = true;
      for (const auto& r : rows) all_reachable = all_reachable && r.reachable && r.error.empty();
      if (ctx.json()) {
        nlohmann::json runners = nlohmann::json::array();
        for (const auto& r : rows) runners.push_back(rollout::status_to_json(r));
        ctx.print_json({{"runners", runners}, {"sample_seconds", static_cast<double>(sample.count()) / 1000.0}});
      } else {
        std::vector<std::vector<std::string>> table{
            {"RUNNER", "REACHABLE", "MODEL", "STABLE", "CANARY", "WEIGHT", "LEASE", "REQ/S", "ERRORS", "P99"}};
        for (const auto& r : rows) {
          auto dash = [](const std::string& s) { return s.empty() ? std::string("-") : s; };
          std::string lease = r.lease_owner.empty() && r.lease_expires.empty()
                                  ? "-"
                                  : r.lease_owner + (r.lease_expires.empty() ? "" : " until " + r.lease_expires);
          table.push_back({r.runner, r.reachable ? "yes" : "no", dash(r.model), dash(r.stable), dash(r.canary),
                           r.canary.empty() ? "-" : std::to_string(r.weight) + "%", lease,
                           r.requests_per_second ? fixed(*r.requests_per_second, 1) : "-",
                           r.error_rate ? fixed(*r.error_rate * 100, 2) + "%" : "-", latency(r.latency_p99)});
        }
        std::vector<std::size_t> width(table[0].size(), 0);
        for (const auto& row : table)
          for (std::size_t i = 0; i < row.size(); ++i) width[i] = std::max(width[i], row[i].size());
        for (const auto& row : table) {
          std::string line;
          for (std::size_t i = 0; i < row.size(); ++i)
            line += row[i] + (i + 1 < row.size() ? std::string(width[i] - row[i].size() + 2, ' ') : "");
          std::cout << line << "\n";
        }
        for (const auto& r : rows)
          if (!r.error.empty())
            std::cerr << "acuctl: error: " << (r.reachable ? "runner " : "cannot reach runner ") << r.runner << ": " << r.error << "\n";
        std::cout.flush();
      }
      return all_reachable ? 0 : 1;
    };
  });
}

const RegisterCommand registered{140, register_status};

}  // namespace
}  // namespace acuctl::cli
