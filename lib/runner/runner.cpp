// The Model Runner: slots and their changes (deploy, canary, weight, promote,
// rollback, lease expiry), persisted state, audit log, and serving.
//
// A change runs under `writers_` (never taken by the request path): load and
// warm up the new model off the request path, write state.json atomically,
// then publish a new immutable routing table with one atomic store, then
// append the audit line — all before the answer. A request keeps the table it
// started with, so a replaced model is freed when its last request finishes.
#include "acuctl/runner.hpp"

#include <algorithm>
#include <thread>

#include "acuctl/contract.hpp"
#include "acuctl/error.hpp"
#include "acuctl/files.hpp"
#include "acuctl/inference_api.hpp"
#include "acuctl/oip.hpp"
#include "acuctl/timefmt.hpp"

namespace acuctl::runner {
namespace {

namespace fs = std::filesystem;
using SysClock = std::chrono::system_clock;

constexpr std::string_view action_deploy = "deploy";
constexpr std::string_view action_canary = "canary";
constexpr std::string_view action_weight = "weight";
constexpr std::string_view action_promote = "promote";
constexpr std::string_view action_rollback = "rollback";
constexpr std::string_view action_upload = "upload";
constexpr std::string_view actor_lease_expired = "lease-expired";
// Uploaded bundles no slot uses are kept this long: a deploy may follow.
constexpr auto upload_grace = std::chrono::hours(1);

std::optional<std::string> version_of(const std::optional<SlotRecord>& s) {
  if (!s) return std::nullopt;
  return s->version;
}

std::int64_t to_ms(SysClock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

// Rounded up to the second (the state's times have whole seconds), so a lease
// is never shorter than asked.
std::string lease_expiry(std::int64_t seconds) {
  return rfc3339_utc(std::chrono::ceil<std::chrono::seconds>(SysClock::now() + std::chrono::seconds(seconds)));
}

// Runs the bundle's example through the model: it must answer with every
// declared (or requested) output, as declared.
void warm_up(const LoadedModel& model) {
  const Descriptor& d = model.descriptor;
  if (!d.example) return;
  std::string text = read_file(model.dir / *d.example, 64ULL << 20);
  oip::InferRequest request;
  try {
    request = oip::parse_infer_request(text);
    oip::validate_infer_request(request, d);
  } catch (const oip::BadRequest& e) {
    fail(std::string("its example '") + *d.example + "' is not a valid request: " + e.what());
  }
  std::vector<Tensor> outputs;
  model.runtime->infer(request.inputs, outputs);
  oip::validate_outputs(outputs, d);
  for (const auto& spec : d.outputs) {
    bool wanted = request.outputs.empty() ||
                  std::find(request.outputs.begin(), request.outputs.end(), spec.name) != request.outputs.end();
    bool present = std::any_of(outputs.begin(), outputs.end(), [&](const Tensor& t) { return t.name == spec.name; });
    if (wanted && !present) fail("its answer to the example lacks the declared output '" + spec.name + "'");
  }
}

}  // namespace

Runner::Runner(ServeOptions options)
    : options_(std::move(options)), cache_(options_.state_dir), audit_(options_.state_dir) {
  for (const auto& path : options_.trust) trust_.keys.push_back(PublicKey::load(path));
  trust_.allow_unsigned = options_.allow_unsigned;
  if (options_.admin_tokens) tokens_ = AdminTokens::load(*options_.admin_tokens);
}

Runner::~Runner() { stop_lease_watch(); }

SlotRecord Runner::record_of(const LoadedModel& m) const {
  return {m.descriptor.version, m.digest, m.ref, m.loaded_at};
}

std::optional<std::string> Runner::stable_version() const { return version_of(state_.stable); }

std::shared_ptr<const LoadedModel> Runner::load_candidate(const std::string& ref, bool check_compatibility, bool force,
                                                          bool warm) {
  std::string model_name = state_.model;
  try {
    ResolvedBundle bundle;
    try {
      bundle = resolve_bundle(ref, cache_, options_.plain_http);
    } catch (const Error& e) {
      throw AdminError(e.exit() == Exit::usage ? 400 : 422, e.what());
    }
    VerifiedBundle v;
    try {
      v = verify_and_unpack(ref, bundle, cache_, trust_, options_.warn);
    } catch (const Error& e) {
      throw AdminError(e.exit() == Exit::verification ? 403 : 422, "cannot load '" + ref + "': " + e.what());
    }
    if (model_name.empty()) model_name = v.descriptor.name;
    std::string what = "'" + ref + "' (" + v.descriptor.name + " " + v.descriptor.version + ")";
    if (check_compatibility && models_.stable && !force)
      if (auto why = input_incompatibility(models_.stable->descriptor, v.descriptor))
        throw AdminError(409, "cannot load " + what + ": " + *why, true);
    std::shared_ptr<const LoadedModel> model;
    try {
      model = load_verified(ref, v);
    } catch (const Error& e) {
      throw AdminError(422, "cannot load " + what + ": " + e.what(), e.exit() == Exit::verification);
    } catch (const std::exception& e) {
      throw AdminError(422, "cannot load " + what + ": " + e.what());
    }
    if (warm) {
      try {
        warm_up(*model);
      } catch (const std::exception& e) {
        throw AdminError(422, "cannot load " + what + ": warm-up with its example failed: " + e.what());
      }
    }
    metrics_.count_load(model_name, contract::load_result_success);
    return model;
  } catch (const AdminError&) {
    metrics_.count_load(model_name, contract::load_result_failure);
    throw;
  }
}

void Runner::check_if_match(const ChangeRequest& who, const std::string&) {
  if (who.if_match && *who.if_match != state_.generation)
    throw AdminError(412, "stale If-Match generation " + std::to_string(*who.if_match) + ": the runner is at generation " +
                              std::to_string(state_.generation));
}

void Runner::refuse(const ChangeRequest& who, const std::string& action, const std::optional<std::string>& to,
                    const AdminError& error) {
  AuditEntry e;
  e.actor = who.actor;
  e.action = action;
  e.from = stable_version();
  e.to = to;
  e.result = "refused";
  e.reason = error.what();
  e.status = error.status();
  try {
    audit_.append(std::move(e));
  } catch (const std::exception& ex) {
    if (options_.warn) options_.warn(std::string("cannot write the audit log: ") + ex.what());
  }
}

void Runner::publish(const ServingState& s, const Models& m) {
  auto table = std::make_shared<RoutingTable>();
  table->model_name = s.model;
  if (m.stable)
    table->stable = Slot{SlotKind::stable, m.stable,
                         metrics_.series(s.model, m.stable->descriptor.version, std::string(contract::slot_stable))};
  if (m.canary) {
    table->canary = Slot{SlotKind::canary, m.canary,
                         metrics_.series(s.model, m.canary->descriptor.version, std::string(contract::slot_canary))};
    table->canary_weight = s.canary_weight;
  }
  table->generation = s.generation;
  router_.publish(std::move(table));
}

void Runner::commit(ServingState next, Models models, AuditEntry entry) {
  next.generation = state_.generation + 1;
  std::string now = now_rfc3339();
  next.last_change = LastChange{entry.action, entry.actor, next.generation, now};
  try {
    save_state(options_.state_dir, next);
  } catch (const std::exception& e) {
    throw AdminError(500, std::string("cannot save the runner state: ") + e.what());
  }
  state_ = std::move(next);
  models_ = std::move(models);
  publish(state_, models_);
  {
    std::lock_guard lock(view_mutex_);
    view_ = state_;
  }
  std::int64_t deadline = 0;
  if (state_.lease) {
    try {
      deadline = to_ms(parse_rfc3339(state_.lease->expires_at));
    } catch (const Error&) {
      deadline = 1;  // unreadable: expire now rather than never
    }
  }
  lease_deadline_ms_.store(deadline);
  entry.time = now;
  entry.result = "ok";
  entry.status = 200;
  try {
    audit_.append(std::move(entry));
  } catch (const std::exception& e) {
    if (options_.warn) options_.warn(std::string("cannot write the audit log: ") + e.what());
  }
  prune_cache(state_);
}

// The cache keeps what stable, canary and previous need, plus uploads of the
// last hour (a deploy of them may be on its way).
void Runner::prune_cache(const ServingState& s) {
  std::vector<std::string> keep;
  for (const auto* slot : {&s.stable, &s.canary, &s.previous})
    if (*slot) keep.push_back((*slot)->digest.substr(7));
  auto kept = [&](const std::string& hex) { return std::find(keep.begin(), keep.end(), hex) != keep.end(); };
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(cache_.state_dir() / "models", ec)) {
    std::string name = entry.path().filename().string();
    // Hidden ".HEX.partial-N" directories are unpacks a crash interrupted:
    // unpacking happens only under writers_, like this pruning.
    if (kept(name)) continue;
    fs::remove_all(entry.path(), ec);
  }
  auto old = fs::file_time_type::clock::now() - upload_grace;
  for (const auto& entry : fs::directory_iterator(cache_.state_dir() / "bundles" / "sha256", ec)) {
    std::string name = entry.path().filename().string();
    std::string hex = name.size() > 4 && name.ends_with(".acu") ? name.substr(0, name.size() - 4) : "";
    if (!hex.empty() && kept(hex)) continue;
    std::error_code tec;
    auto mtime = fs::last_write_time(entry.path(), tec);
    if (!tec && mtime < old) fs::remove(entry.path(), tec);
  }
}

ServingState Runner::state() const {
  std::lock_guard lock(view_mutex_);
  return view_;
}

ServingState Runner::deploy(const DeployRequest& request, const ChangeRequest& who) {
  std::lock_guard lock(writers_);
  std::string action(action_deploy);
  try {
    check_if_match(who, action);
    auto model = load_candidate(request.ref, true, false, true);
    if (state_.stable && state_.stable->digest == model->digest) {
      audit_.append({"", who.actor, action, stable_version(), stable_version(), "unchanged",
                     "'" + request.ref + "' is already the stable version", 200});
      return state_;
    }
    ServingState next = state_;
    Models m = models_;
    bool had_stable = m.stable != nullptr;
    next.previous = next.stable;
    m.previous = m.stable;
    next.stable = record_of(*model);
    m.stable = model;
    next.model = model->descriptor.name;
    AuditEntry e{"", who.actor, action, stable_version(), model->descriptor.version, "", "", 200};
    commit(std::move(next), std::move(m), std::move(e));
    if (had_stable) metrics_.count_swap(state_.model, contract::swap_deploy);
    return state_;
  } catch (const AdminError& e) {
    refuse(who, action, std::nullopt, e);
    throw;
  }
}

ServingState Runner::canary(const CanaryRequest& request, const ChangeRequest& who) {
  std::lock_guard lock(writers_);
  std::string action(action_canary);
  try {
    check_if_match(who, action);
    if (!models_.stable) throw AdminError(409, "there is no stable version to run a canary beside");
    auto model = load_candidate(request.ref, true, request.force, true);
    if (model->descriptor.version == state_.stable->version)
      throw AdminError(409, "cannot run '" + request.ref + "' as canary: version " + model->descriptor.version +
                                " is the stable version");
    ServingState next = state_;
    Models m = models_;
    next.canary = record_of(*model);
    m.canary = model;
    next.canary_weight = request.weight;
    next.lease.reset();
    if (request.lease_seconds) {
      next.lease = Lease{request.owner.value_or(who.actor), lease_expiry(*request.lease_seconds), *request.lease_seconds};
    }
    AuditEntry e{"", who.actor, action, stable_version(), model->descriptor.version, "",
                 "weight " + std::to_string(request.weight) + (request.force ? ", forced" : ""), 200};
    commit(std::move(next), std::move(m), std::move(e));
    return state_;
  } catch (const AdminError& e) {
    refuse(who, action, std::nullopt, e);
    throw;
  }
}

ServingState Runner::set_weight(const WeightRequest& request, const ChangeRequest& who) {
  std::lock_guard lock(writers_);
  std::string action(action_weight);
  try {
    check_if_match(who, action);
    if (!state_.canary) throw AdminError(409, "there is no canary to change the weight of");
    ServingState next = state_;
    next.canary_weight = request.weight;
    if (request.lease_seconds || next.lease) {
      std::int64_t seconds = request.lease_seconds.value_or(next.lease ? next.lease->seconds : 0);
      std::string owner = next.lease ? next.lease->owner : who.actor;
      next.lease = Lease{owner, lease_expiry(seconds), seconds};
    }
    AuditEntry e{"", who.actor, action, state_.canary->version, state_.canary->version, "",
                 "weight " + std::to_string(state_.canary_weight) + " -> " + std::to_string(request.weight), 200};
    commit(std::move(next), models_, std::move(e));
    return state_;
  } catch (const AdminError& e) {
    refuse(who, action, std::nullopt, e);
    throw;
  }
}

ServingState Runner::promote(const ChangeRequest& who) {
  std::lock_guard lock(writers_);
  std::string action(action_promote);
  try {
    check_if_match(who, action);
    if (!state_.canary) throw AdminError(409, "there is no canary to promote");
    ServingState next = state_;
    Models m = models_;
    next.previous = next.stable;
    m.previous = m.stable;
    next.stable = next.canary;
    m.stable = m.canary;
    next.canary.reset();
    m.canary.reset();
    next.canary_weight = 0;
    next.lease.reset();
    AuditEntry e{"", who.actor, action, stable_version(), state_.canary->version, "", "", 200};
    commit(std::move(next), std::move(m), std::move(e));
    metrics_.count_swap(state_.model, contract::swap_promote);
    return state_;
  } catch (const AdminError& e) {
    refuse(who, action, std::nullopt, e);
    throw;
  }
}

// Drops the canary if there is one, else makes `previous` stable again and
// clears it (a rolled-back version is never a rollback target), else changes
// nothing. With `from`, it acts only while that version is the canary or the
// stable; anything else is "nothing to undo": 200 with the state unchanged,
// so `acuctl rollback` stays idempotent.
ServingState Runner::rollback(const RollbackRequest& request, const ChangeRequest& who) {
  std::lock_guard lock(writers_);
  std::string action(action_rollback);
  try {
    check_if_match(who, action);
    ServingState next = state_;
    Models m = models_;
    AuditEntry e{"", who.actor, action, std::nullopt, std::nullopt, "", "", 200};
    const auto& from = request.from;
    // `from` only guards (SPEC 6): while it names the canary or the stable,
    // the action is the same as without it (the canary goes first).
    bool from_current = !from || (state_.canary && *from == state_.canary->version) ||
                        (state_.stable && *from == state_.stable->version);
    if (state_.canary && from_current) {
      e.from = state_.canary->version;
      e.to = stable_version();
      e.reason = "canary dropped";
      next.canary.reset();
      m.canary.reset();
      next.canary_weight = 0;
      next.lease.reset();
    } else if (!state_.canary && state_.stable && state_.previous && from_current) {
      auto model = m.previous;
      if (!model || model->digest != state_.previous->digest) {
        model = load_candidate(state_.previous->digest, false, false, true);
        std::const_pointer_cast<LoadedModel>(model)->ref = state_.previous->ref;
      }
      e.from = stable_version();
      e.to = model->descriptor.version;
      e.reason = "previous version restored";
      next.stable = record_of(*model);
      m.stable = model;
      next.previous.reset();
      m.previous.reset();
    } else {
      std::string why = from ? "version " + *from + " is neither the canary nor the stable"
                             : std::string("there is no canary and no previous version");
      audit_.append({"", who.actor, action, stable_version(), stable_version(), "unchanged", "nothing to roll back: " + why,
                     200});
      return state_;
    }
    commit(std::move(next), std::move(m), std::move(e));
    metrics_.count_swap(state_.model, contract::swap_rollback);
    return state_;
  } catch (const AdminError& e) {
    refuse(who, action, std::nullopt, e);
    throw;
  }
}

bool Runner::expire_lease(SysClock::time_point now) {
  std::int64_t deadline = lease_deadline_ms_.load();
  if (deadline == 0 || deadline > to_ms(now)) return false;
  std::lock_guard lock(writers_);
  if (!state_.lease || !state_.canary) return false;
  SysClock::time_point expires;
  try {
    expires = parse_rfc3339(state_.lease->expires_at);
  } catch (const Error&) {
    expires = now;
  }
  if (expires > now) return false;  // renewed meanwhile
  ServingState next = state_;
  Models m = models_;
  AuditEntry e{"", std::string(actor_lease_expired), std::string(action_rollback), state_.canary->version,
               stable_version(), "",
               "lease of '" + state_.lease->owner + "' expired at " + state_.lease->expires_at + "; canary dropped", 200};
  next.canary.reset();
  m.canary.reset();
  next.canary_weight = 0;
  next.lease.reset();
  try {
    commit(std::move(next), std::move(m), std::move(e));
  } catch (const AdminError& err) {
    if (options_.warn) options_.warn(std::string("cannot roll back the expired canary: ") + err.what());
    return false;
  }
  metrics_.count_swap(state_.model, contract::swap_rollback);
  if (options_.note) options_.note("canary lease expired: canary dropped");
  return true;
}

void Runner::upload_bundle(std::string_view digest, std::string_view bytes, const std::string& actor) {
  AuditEntry e{"", actor, std::string(action_upload), std::nullopt, std::string(digest), "ok",
               std::to_string(bytes.size()) + " bytes", 200};
  try {
    cache_.add_bytes(digest, bytes);
  } catch (const Error& err) {
    unsigned status = err.exit() == Exit::failure ? 500 : 400;
    e.result = "refused";
    e.reason = err.what();
    e.status = status;
    audit_.append(std::move(e));
    throw AdminError(status, err.what());
  }
  audit_.append(std::move(e));
}

void Runner::start() {
  std::lock_guard lock(writers_);
  auto saved = load_state(options_.state_dir);
  if (saved) {
    std::string source = state_file(options_.state_dir).string();
    Models m;
    auto restore = [&](const std::optional<SlotRecord>& slot, const char* name) -> std::shared_ptr<const LoadedModel> {
      if (!slot) return nullptr;
      try {
        auto model = load_candidate(slot->digest, false, false, false);
        if (model->descriptor.version != slot->version || model->descriptor.name != saved->model)
          throw AdminError(422, "the bundle holds " + model->descriptor.name + " " + model->descriptor.version);
        auto editable = std::const_pointer_cast<LoadedModel>(model);
        editable->ref = slot->ref;
        editable->loaded_at = slot->loaded_at;
        return model;
      } catch (const AdminError& e) {
        throw Error(e.verification() ? Exit::verification : Exit::failure,
                    "cannot restore the " + std::string(name) + " version " + slot->version + " from '" + source +
                        "': " + e.what(),
                    "fix or remove the state directory's state.json to start afresh");
      }
    };
    m.stable = restore(saved->stable, "stable");
    m.canary = restore(saved->canary, "canary");
    // `previous` is loaded when a rollback needs it.
    state_ = *saved;
    models_ = m;
    publish(state_, models_);
    {
      std::lock_guard vlock(view_mutex_);
      view_ = state_;
    }
    if (state_.lease) {
      try {
        lease_deadline_ms_.store(to_ms(parse_rfc3339(state_.lease->expires_at)));
      } catch (const Error&) {
        lease_deadline_ms_.store(1);
      }
    }
    if (options_.note) {
      std::string line = "restored generation " + std::to_string(state_.generation) + " from " + source;
      if (state_.stable) line += ": stable " + state_.model + " " + state_.stable->version;
      if (state_.canary)
        line += ", canary " + state_.canary->version + " at " + std::to_string(state_.canary_weight) + "%";
      options_.note(line);
    }
    if (options_.model && options_.note)
      options_.note("--model " + *options_.model + " is not used: the state directory already has a state");
  }
  // Without a saved state, serve() deploys --model (through deploy(), so it
  // is persisted and audited like any other change).
}

void Runner::handle(const HttpRequest& request, HttpResponse& response) {
  if (handle_inference_api(router_, metrics_, request, response)) return;
  if (handle_admin_api(*this, request, response)) return;
  response.status = 404;
  response.error = "no such endpoint: " + std::string(request.target.substr(0, 200));
  response.body = oip::error_body(response.error);
}

void Runner::start_lease_watch() {
  lease_thread_ = std::thread([this] {
    std::unique_lock lock(lease_mutex_);
    while (!lease_stop_) {
      lease_cv_.wait_for(lock, std::chrono::milliseconds(100));
      if (lease_stop_) break;
      lock.unlock();
      try {
        expire_lease(SysClock::now());
      } catch (const std::exception& e) {
        if (options_.warn) options_.warn(std::string("lease check failed: ") + e.what());
      }
      lock.lock();
    }
  });
}

void Runner::stop_lease_watch() {
  {
    std::lock_guard lock(lease_mutex_);
    lease_stop_ = true;
  }
  lease_cv_.notify_all();
  if (lease_thread_.joinable()) lease_thread_.join();
}

}  // namespace acuctl::runner
