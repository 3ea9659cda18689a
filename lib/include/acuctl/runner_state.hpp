// The runner's serving state as the admin API shows it and as DIR/state.json
// keeps it across crashes (SPEC section 6): slots, weight, lease, generation
// and the latest change. Parsing is strict: a state file is input too.
#pragma once
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

namespace acuctl::runner {

// What a slot serves: {"version", "digest", "ref", "loaded_at"}.
struct SlotRecord {
  std::string version;
  std::string digest;  // "sha256:HEX" of the bundle (its name in the cache)
  std::string ref;     // the reference it was deployed from
  std::string loaded_at;
  bool operator==(const SlotRecord&) const = default;
};

// {"owner", "expires_at"} plus "seconds" (our addition: the renewal period,
// so that a weight change without lease_seconds renews for the same time).
struct Lease {
  std::string owner;
  std::string expires_at;  // RFC 3339 UTC
  std::int64_t seconds = 0;
  bool operator==(const Lease&) const = default;
};

// The latest successful change (our addition to SPEC's keys; `acuctl
// rollback` reads it to stay idempotent). `action` is deploy, canary, weight,
// promote or rollback; a lease expiry is action "rollback", actor "lease-expired".
struct LastChange {
  std::string action;
  std::string actor;
  std::uint64_t generation = 0;
  std::string time;
  bool operator==(const LastChange&) const = default;
};

struct ServingState {
  std::string model;  // the model name; empty before anything is loaded
  std::uint64_t generation = 0;
  std::optional<SlotRecord> stable;
  std::optional<SlotRecord> canary;
  int canary_weight = 0;
  std::optional<SlotRecord> previous;
  std::optional<Lease> lease;
  std::optional<LastChange> last_change;
  bool operator==(const ServingState&) const = default;
};

// The JSON of GET /admin/v1/state (and of state.json).
nlohmann::json state_to_json(const ServingState& state);
// Parses that JSON; throws Error(failure) naming `source` and the field.
ServingState state_from_json(const nlohmann::json& j, const std::string& source);

// DIR/state.json: written atomically (temp file, fsync, rename, fsync dir).
std::filesystem::path state_file(const std::filesystem::path& state_dir);
void save_state(const std::filesystem::path& state_dir, const ServingState& state);
// nullopt when there is no state file yet; throws when it is unreadable or invalid.
std::optional<ServingState> load_state(const std::filesystem::path& state_dir);

}  // namespace acuctl::runner
