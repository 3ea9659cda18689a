// acuctl rollout REF --runner URL…: staged canary rollout with analysis and
// automatic rollback (SPEC section 7). Argument handling and output only; the
// engine is lib/rollout/engine.cpp.
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <filesystem>
#include <iostream>

#include "acuctl/bundle.hpp"
#include "acuctl/error.hpp"
#include "acuctl/files.hpp"
#include "acuctl/registry.hpp"
#include "acuctl/rollout_engine.hpp"
#include "acuctl/timefmt.hpp"
#include "bundle_source.hpp"
#include "runner_flags.hpp"

namespace acuctl::cli {
namespace {
namespace fs = std::filesystem;
using nlohmann::json;

std::atomic<bool> g_stop{false};
static_assert(std::atomic<bool>::is_always_lock_free, "the signal handler needs a lock-free flag");
extern "C" void on_stop_signal(int) { g_stop.store(true); }

// SIGINT/SIGTERM set the stop flag while a rollout runs (the engine then rolls back).
class StopSignals {
 public:
  StopSignals() {
    struct sigaction sa {};
    sa.sa_handler = on_stop_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, &old_int_);
    sigaction(SIGTERM, &sa, &old_term_);
  }
  ~StopSignals() {
    sigaction(SIGINT, &old_int_, nullptr);
    sigaction(SIGTERM, &old_term_, nullptr);
  }
  StopSignals(const StopSignals&) = delete;
  StopSignals& operator=(const StopSignals&) = delete;

 private:
  struct sigaction old_int_ {}, old_term_ {};
};

struct Options {
  std::string ref;
  RunnerFlags flags;
  std::string plan_file;
  rollout::PlanFlags plan;
  double load_rps = 0;
};

std::string owner_name() {
  char host[256] = {};
  if (::gethostname(host, sizeof host - 1) != 0) host[0] = '\0';
  return "acuctl-rollout@" + std::string(host) + ":" + std::to_string(::getpid());
}

// The bundle's example request, when REF is a local bundle or an OCI layout
// (read here anyway to upload it) that has one; null otherwise (the engine then
// builds a request from the model's metadata).
json local_example(const std::string& ref, const Context& ctx) {
  std::error_code ec;
  ReferenceKind kind = parse_reference(ref).kind;
  if (kind != ReferenceKind::local_file && kind != ReferenceKind::oci_layout) return nullptr;
  LocalBundle local = fetch_bundle(ref, ctx);
  BundleInfo info = read_bundle_manifest(local.path);
  if (!info.manifest.descriptor.example) return nullptr;
  fs::path tmp = fs::temp_directory_path() / ("acuctl-example-" + std::to_string(::getpid()));
  fs::path dir = tmp / "model";
  fs::remove_all(tmp, ec);
  fs::create_directories(tmp);
  struct Cleanup {
    fs::path p;
    ~Cleanup() {
      std::error_code e;
      fs::remove_all(p, e);
    }
  } cleanup{tmp};
  ReadOptions options;
  options.extract_to = dir;
  local.verify(options);
  const std::string& name = *info.manifest.descriptor.example;
  for (const fs::path& p : {dir / name, dir / "model" / name})
    if (fs::is_regular_file(p, ec)) {
      json j = json::parse(read_file(p, 64 << 20), nullptr, false);
      if (j.is_object()) return j;
    }
  return nullptr;
}

std::string runner_line(const json& r) {
  std::string line = "  " + r.value("runner", std::string()) + ": ";
  if (!r.value("ok", false)) return line + "error: " + r.value("error", std::string());
  auto version = [&](const char* slot) {  // a version, or null for an empty slot
    auto it = r.find(slot);
    return it != r.end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  std::string stable = version("stable"), canary = version("canary");
  line += stable.empty() ? "no stable" : "stable " + stable;
  if (!canary.empty()) line += ", canary " + canary + " at " + std::to_string(r.value("weight", 0)) + "%";
  return line;
}

// Live text for each engine event.
void print_text(const Context& ctx, const json& ev) {
  const std::string kind = ev.value("event", std::string());
  auto runners = [&] {
    if (ev.contains("runners"))
      for (const auto& r : ev["runners"]) ctx.print(runner_line(r));
  };
  if (kind == "start") {
    std::string steps;
    for (const auto& s : ev["plan"]["steps"])
      steps += (steps.empty() ? "" : ", ") + std::to_string(s.value("weight", 0)) + "% for " + s.value("duration", "");
    ctx.print("rollout of " + ev.value("ref", std::string()) + " to " + std::to_string(ev["runners"].size()) +
              " runner(s): " + steps + "; analysis every " + ev["plan"]["analysis"].value("interval", "") +
              ", lease " + std::to_string(ev.value("lease_seconds", 0)) + "s");
  } else if (kind == "canary" && ev.value("canary", std::string()).empty()) {
    ctx.print("the canary did not load:");
    runners();
  } else if (kind == "canary") {
    ctx.print("canary " + ev.value("model", std::string()) + " " + ev.value("canary", std::string()) +
              " loaded beside stable " + ev.value("stable", std::string()) + " at weight 0");
    runners();
  } else if (kind == "load") {
    ctx.print("synthetic traffic: " + json(ev["rps"]).dump() + " requests/s to model " + ev.value("model", ""));
  } else if (kind == "step") {
    ctx.print("step " + json(ev["step"]).dump() + "/" + json(ev["steps"]).dump() + ": weight " +
              json(ev["weight"]).dump() + "% for " + ev.value("duration", std::string()));
    runners();
  } else if (kind == "analysis") {
    std::string head = "  [window " + json(ev["window"]).dump() + ", weight " + json(ev["weight"]).dump() + "%] ";
    if (ev.value("outcome", std::string()) == "error") ctx.print(head + "metrics error: " + ev.value("error", ""));
    else ctx.print(head + ev.value("summary", std::string()));
    for (const auto& r : ev["runners"])
      if (!r.value("ok", false)) ctx.print(runner_line(r));
  } else if (kind == "rollback") {
    ctx.print("rolling back on every runner: " + ev.value("reason", std::string()));
    runners();
  } else if (kind == "promote") {
    ctx.print("promoting on every runner");
    runners();
  } else if (kind == "result") {
    std::string result = ev.value("result", std::string());
    if (result == "promoted") ctx.print("rollout succeeded: " + ev.value("reason", std::string()));
    else ctx.print("rollout " + result + " (exit " + json(ev["exit"]).dump() + "): " + ev.value("reason", ""));
  }
  std::cout.flush();
}

void register_rollout(CLI::App& app, Context& ctx) {
  auto opts = std::make_shared<Options>();
  auto* cmd = app.add_subcommand("rollout", "Staged canary rollout of REF with analysis and automatic rollback");
  cmd->add_option("REF", opts->ref, "Bundle file, oci:DIR[:TAG], or registry reference")->required();
  add_runner_flags(cmd, opts->flags);
  cmd->add_option("--plan", opts->plan_file, "Rollout plan file (JSON, schemas/rollout-plan.schema.json)");
  auto opt = [&](const char* name, std::optional<std::string>& into, const char* help) {
    return cmd->add_option_function<std::string>(name, [&into](const std::string& v) { into = v; }, help);
  };
  auto* steps = opt("--steps", opts->plan.steps, "Canary weights in percent (default 10,50,100)");
  auto* interval = opt("--interval", opts->plan.interval, "Analysis interval (default 30s)");
  auto* step_duration = opt("--step-duration", opts->plan.step_duration, "Duration of each step (default 3 x interval)");
  auto* max_err = opt("--max-error-rate", opts->plan.max_error_rate, "Largest canary 5xx share (default 0.01)");
  auto* max_p99 = opt("--max-latency-p99", opts->plan.max_latency_p99, "Largest canary p99 latency, e.g. 250ms");
  auto* min_req = opt("--min-requests", opts->plan.min_requests, "Fewest canary requests per window (default 100)");
  opt("--timeout", opts->plan.timeout, "Give up and roll back after this long (default 30m)");
  for (auto* o : {steps, interval, step_duration, max_err, max_p99, min_req}) o->excludes(cmd->get_option("--plan"));
  cmd->add_option("--load-rps", opts->load_rps, "Send this many synthetic requests/s (total) during analysis")
      ->check(CLI::Range(0.0, 10000.0));
  cmd->callback([opts, &ctx] {
    ctx.action = [opts, &ctx] {
      rollout::RolloutConfig config;
      if (!opts->plan_file.empty()) {
        config.plan = rollout::plan_from_file(opts->plan_file);
        if (opts->plan.timeout) rollout::set_timeout(config.plan, *opts->plan.timeout);
      } else {
        config.plan = rollout::plan_from_flags(opts->plan);
      }
      config.fleet = opts->flags.resolve();
      config.display_ref = opts->ref;
      config.owner = owner_name();
      config.load_rps = opts->load_rps;
      if (opts->load_rps > 0) config.example = local_example(opts->ref, ctx);
      config.ref = stage_on_runners(opts->ref, config.fleet, ctx);

      rollout::EventSink emit = [&ctx](const json& ev) {
        if (ctx.json()) {
          ctx.print_json_line(ev);
        } else if (!ctx.quiet || ev.value("event", std::string()) == "result") {
          print_text(ctx, ev);
        }
      };
      g_stop.store(false);
      StopSignals signals;
      rollout::RolloutResult result = rollout::run_rollout(config, emit, g_stop);
      if (result.exit == Exit::ok) return 0;
      const char* what = result.exit == Exit::rolled_back   ? "rolled back"
                         : result.exit == Exit::interrupted ? "interrupted and rolled back"
                         : result.exit == Exit::not_completed ? "not completed"
                                                              : "failed";
      throw Error(result.exit, "rollout of " + opts->ref + " " + what + ": " + result.reason);
    };
  });
}

const RegisterCommand registered{105, register_rollout};

}  // namespace
}  // namespace acuctl::cli
