// The runner's serving state to and from JSON, and state.json on disk.
#include "acuctl/runner_state.hpp"

#include <set>

#include "acuctl/descriptor.hpp"
#include "acuctl/error.hpp"
#include "acuctl/files.hpp"
#include "acuctl/sha256.hpp"
#include "acuctl/timefmt.hpp"

namespace acuctl::runner {
namespace {

using json = nlohmann::json;

json slot_json(const std::optional<SlotRecord>& s) {
  if (!s) return nullptr;
  return {{"version", s->version}, {"digest", s->digest}, {"ref", s->ref}, {"loaded_at", s->loaded_at}};
}

[[noreturn]] void bad(const std::string& source, const std::string& field, const std::string& why) {
  fail("invalid runner state '" + source + "': '" + field + "' " + why);
}

void only_keys(const json& j, const std::set<std::string>& keys, const std::string& source, const std::string& where) {
  for (const auto& [k, v] : j.items())
    if (!keys.count(k)) bad(source, where.empty() ? k : where + "." + k, "is not a known key");
}

const json& member(const json& j, const std::string& key, const std::string& source, const std::string& where) {
  auto it = j.find(key);
  if (it == j.end()) bad(source, where.empty() ? key : where + "." + key, "is missing");
  return *it;
}

std::string string_member(const json& j, const std::string& key, const std::string& source, const std::string& where,
                          std::size_t max = 4096) {
  const json& v = member(j, key, source, where);
  std::string name = where.empty() ? key : where + "." + key;
  if (!v.is_string()) bad(source, name, "must be a string");
  auto s = v.get<std::string>();
  if (s.size() > max) bad(source, name, "is longer than " + std::to_string(max) + " characters");
  return s;
}

void check_time(const std::string& text, const std::string& source, const std::string& field) {
  try {
    (void)parse_rfc3339(text);
  } catch (const Error&) {
    bad(source, field, "is not an RFC 3339 time");
  }
}

std::optional<SlotRecord> slot_from(const json& j, const std::string& key, const std::string& source) {
  const json& v = member(j, key, source, "");
  if (v.is_null()) return std::nullopt;
  if (!v.is_object()) bad(source, key, "must be an object or null");
  only_keys(v, {"version", "digest", "ref", "loaded_at"}, source, key);
  SlotRecord s;
  s.version = string_member(v, "version", source, key, 64);
  if (!is_valid_version(s.version)) bad(source, key + ".version", "is not a valid version");
  s.digest = string_member(v, "digest", source, key, 71);
  if (!is_sha256_digest(s.digest)) bad(source, key + ".digest", "is not a sha256:HEX digest");
  s.ref = string_member(v, "ref", source, key);
  s.loaded_at = string_member(v, "loaded_at", source, key, 64);
  check_time(s.loaded_at, source, key + ".loaded_at");
  return s;
}

std::uint64_t uint_member(const json& j, const std::string& key, const std::string& source, const std::string& where) {
  const json& v = member(j, key, source, where);
  bool non_negative = v.is_number_unsigned() || (v.is_number_integer() && v.get<std::int64_t>() >= 0);
  if (!non_negative) bad(source, where.empty() ? key : where + "." + key, "must be a non-negative integer");
  return v.get<std::uint64_t>();
}

}  // namespace

json state_to_json(const ServingState& s) {
  json j;
  j["model"] = s.model.empty() ? json(nullptr) : json(s.model);
  j["generation"] = s.generation;
  j["stable"] = slot_json(s.stable);
  j["canary"] = slot_json(s.canary);
  j["canary_weight"] = s.canary_weight;
  j["previous"] = slot_json(s.previous);
  j["lease"] = s.lease ? json{{"owner", s.lease->owner}, {"expires_at", s.lease->expires_at},
                              {"seconds", s.lease->seconds}}
                       : json(nullptr);
  j["last_change"] = s.last_change ? json{{"action", s.last_change->action},
                                          {"actor", s.last_change->actor},
                                          {"generation", s.last_change->generation},
                                          {"time", s.last_change->time}}
                                   : json(nullptr);
  return j;
}

ServingState state_from_json(const json& j, const std::string& source) {
  if (!j.is_object()) fail("invalid runner state '" + source + "': not a JSON object");
  only_keys(j, {"model", "generation", "stable", "canary", "canary_weight", "previous", "lease", "last_change"}, source,
            "");
  ServingState s;
  const json& model = member(j, "model", source, "");
  if (!model.is_null()) {
    if (!model.is_string() || !is_valid_model_name(model.get<std::string>()))
      bad(source, "model", "must be a model name or null");
    s.model = model.get<std::string>();
  }
  s.generation = uint_member(j, "generation", source, "");
  s.stable = slot_from(j, "stable", source);
  s.canary = slot_from(j, "canary", source);
  s.previous = slot_from(j, "previous", source);
  const json& w = member(j, "canary_weight", source, "");
  if (!w.is_number_integer() || w.get<std::int64_t>() < 0 || w.get<std::int64_t>() > 100)
    bad(source, "canary_weight", "must be an integer from 0 to 100");
  s.canary_weight = static_cast<int>(w.get<std::int64_t>());
  const json& lease = member(j, "lease", source, "");
  if (!lease.is_null()) {
    if (!lease.is_object()) bad(source, "lease", "must be an object or null");
    only_keys(lease, {"owner", "expires_at", "seconds"}, source, "lease");
    Lease l;
    l.owner = string_member(lease, "owner", source, "lease", 256);
    l.expires_at = string_member(lease, "expires_at", source, "lease", 64);
    check_time(l.expires_at, source, "lease.expires_at");
    std::uint64_t secs = uint_member(lease, "seconds", source, "lease");
    if (secs == 0 || secs > 366ULL * 24 * 3600) bad(source, "lease.seconds", "must be from 1 to 31622400");
    l.seconds = static_cast<std::int64_t>(secs);
    s.lease = l;
  }
  const json& last = member(j, "last_change", source, "");
  if (!last.is_null()) {
    if (!last.is_object()) bad(source, "last_change", "must be an object or null");
    only_keys(last, {"action", "actor", "generation", "time"}, source, "last_change");
    LastChange c;
    c.action = string_member(last, "action", source, "last_change", 64);
    c.actor = string_member(last, "actor", source, "last_change", 256);
    c.generation = uint_member(last, "generation", source, "last_change");
    c.time = string_member(last, "time", source, "last_change", 64);
    check_time(c.time, source, "last_change.time");
    s.last_change = c;
  }
  // Invariants a writer of ours always keeps.
  if (s.stable && s.model.empty()) bad(source, "model", "is null while a stable version is set");
  if (s.canary && !s.stable) bad(source, "canary", "is set without a stable version");
  if (!s.canary && s.canary_weight != 0) bad(source, "canary_weight", "is not 0 without a canary");
  if (s.lease && !s.canary) bad(source, "lease", "is set without a canary");
  return s;
}

std::filesystem::path state_file(const std::filesystem::path& state_dir) { return state_dir / "state.json"; }

void save_state(const std::filesystem::path& state_dir, const ServingState& state) {
  write_file_atomic(state_file(state_dir), state_to_json(state).dump(2) + "\n", 0600);
}

std::optional<ServingState> load_state(const std::filesystem::path& state_dir) {
  auto path = state_file(state_dir);
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return std::nullopt;
  std::string text = read_file(path, 1 << 20);
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded()) fail("invalid runner state '" + path.string() + "': not valid JSON");
  return state_from_json(j, path.string());
}

}  // namespace acuctl::runner
