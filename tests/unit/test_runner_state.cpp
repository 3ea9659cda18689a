// Tests for lib/runner/runner_state.cpp and audit_log.cpp: state.json round
// trip, hostile state documents, and the audit log's torn-line handling.
#include <doctest/doctest.h>

#include <fstream>

#include "acuctl/audit_log.hpp"
#include "acuctl/error.hpp"
#include "acuctl/runner_state.hpp"
#include "test_support.hpp"

using namespace acuctl;
using namespace acuctl::runner;
using json = nlohmann::json;

namespace {

const std::string digest_a = "sha256:" + std::string(64, 'a');
const std::string digest_b = "sha256:" + std::string(64, 'b');

ServingState full_state() {
  ServingState s;
  s.model = "iris";
  s.generation = 7;
  s.stable = SlotRecord{"1.0.0", digest_a, "iris-1.acu", "2026-11-28T10:00:00Z"};
  s.canary = SlotRecord{"1.1.0", digest_b, "sha256:" + std::string(64, 'b'), "2026-11-28T10:05:00Z"};
  s.canary_weight = 30;
  s.previous = SlotRecord{"0.9.0", "sha256:" + std::string(64, 'c'), "registry.local/iris:0.9", "2026-11-27T10:00:00Z"};
  s.lease = Lease{"ci", "2026-11-28T10:10:00Z", 300};
  s.last_change = LastChange{"canary", "alice", 7, "2026-11-28T10:05:00Z"};
  return s;
}

}  // namespace

TEST_CASE("state round trip through JSON and state.json") {
  ServingState s = full_state();
  json j = state_to_json(s);
  for (const char* key : {"model", "generation", "stable", "canary", "canary_weight", "previous", "lease", "last_change"})
    CHECK(j.contains(key));
  CHECK(j["stable"] == json{{"version", "1.0.0"}, {"digest", digest_a}, {"ref", "iris-1.acu"}, {"loaded_at", "2026-11-28T10:00:00Z"}});
  CHECK(state_from_json(j, "t") == s);

  ServingState empty;
  json e = state_to_json(empty);
  CHECK(e["model"].is_null());
  CHECK(e["stable"].is_null());
  CHECK(e["lease"].is_null());
  CHECK(state_from_json(e, "t") == empty);

  test::TempDir dir;
  CHECK_FALSE(load_state(dir.path()).has_value());
  save_state(dir.path(), s);
  CHECK(load_state(dir.path()) == s);
  s.generation = 8;
  save_state(dir.path(), s);  // replaces
  CHECK(load_state(dir.path())->generation == 8);
  // No temporary files are left behind.
  int files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir.path())) files += entry.is_regular_file();
  CHECK(files == 1);
}

TEST_CASE("hostile state documents are refused naming the field") {
  json good = state_to_json(full_state());
  struct Case {
    const char* what;
    std::function<void(json&)> spoil;
    const char* names;
  };
  std::vector<Case> cases = {
      {"unknown key", [](json& j) { j["stabel"] = nullptr; }, "stabel"},
      {"missing generation", [](json& j) { j.erase("generation"); }, "generation"},
      {"negative generation", [](json& j) { j["generation"] = -1; }, "generation"},
      {"string generation", [](json& j) { j["generation"] = "7"; }, "generation"},
      {"weight over 100", [](json& j) { j["canary_weight"] = 101; }, "canary_weight"},
      {"fractional weight", [](json& j) { j["canary_weight"] = 30.5; }, "canary_weight"},
      {"slot not an object", [](json& j) { j["stable"] = 3; }, "stable"},
      {"bad digest", [](json& j) { j["stable"]["digest"] = "sha256:xyz"; }, "stable.digest"},
      {"uppercase digest", [](json& j) { j["canary"]["digest"] = "sha256:" + std::string(64, 'A'); }, "canary.digest"},
      {"path in version", [](json& j) { j["stable"]["version"] = "../../etc"; }, "stable.version"},
      {"extra slot key", [](json& j) { j["previous"]["x"] = 1; }, "previous.x"},
      {"bad time", [](json& j) { j["stable"]["loaded_at"] = "yesterday"; }, "stable.loaded_at"},
      {"lease without seconds", [](json& j) { j["lease"].erase("seconds"); }, "lease.seconds"},
      {"lease of zero seconds", [](json& j) { j["lease"]["seconds"] = 0; }, "lease.seconds"},
      {"bad model name", [](json& j) { j["model"] = "Iris Model"; }, "model"},
      {"canary without stable", [](json& j) { j["stable"] = nullptr; }, "canary"},
      {"weight without canary", [](json& j) { j["canary"] = nullptr; j["lease"] = nullptr; }, "canary_weight"},
      {"lease without canary", [](json& j) { j["canary"] = nullptr; j["canary_weight"] = 0; }, "lease"},
      {"last_change wrong type", [](json& j) { j["last_change"] = "x"; }, "last_change"},
      {"huge ref", [](json& j) { j["stable"]["ref"] = std::string(10000, 'r'); }, "stable.ref"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.what);
    json j = good;
    c.spoil(j);
    CHECK_THROWS_WITH_AS(state_from_json(j, "state.json"), doctest::Contains(c.names), Error);
  }
  CHECK_THROWS_AS(state_from_json(json::array(), "s"), Error);
  CHECK_THROWS_AS(state_from_json(nullptr, "s"), Error);

  test::TempDir dir;
  for (std::string text : {std::string("{"), std::string("[]"), std::string(""), std::string("\x00\xff", 2),
                           std::string(100000, '[')}) {
    std::ofstream(dir.path() / "state.json", std::ios::binary | std::ios::trunc) << text;
    CHECK_THROWS_AS(load_state(dir.path()), Error);
  }
}

TEST_CASE("audit log: one JSON line per entry, a torn last line skipped") {
  test::TempDir dir;
  {
    AuditLog log(dir.path());
    log.append({"", "alice", "deploy", std::nullopt, "1.0.0", "ok", "", 200});
    log.append({"", "bob\xff", "canary", "1.0.0", std::nullopt, "refused", "untrusted", 403});
    json all = log.read_all();
    REQUIRE(all.size() == 2);
    CHECK(all[0]["actor"] == "alice");
    CHECK(all[0]["from"].is_null());
    CHECK(all[0]["to"] == "1.0.0");
    CHECK(all[1]["result"] == "refused");
    CHECK(all[1]["status"] == 403);
    for (const char* key : {"time", "actor", "action", "from", "to", "result", "reason"}) CHECK(all[1].contains(key));
  }
  // A crash in the middle of a line: the rest survives, the next entry starts on a new line.
  std::ofstream(dir.path() / "audit.jsonl", std::ios::app) << "{\"time\":\"2026";
  AuditLog log(dir.path());
  log.append({"", "carol", "promote", "1.0.0", "1.1.0", "ok", "", 200});
  json all = log.read_all();
  REQUIRE(all.size() == 3);
  CHECK(all[2]["actor"] == "carol");
}
