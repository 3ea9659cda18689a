// Tests for lib/runner/admin_api.cpp: tokens, strict bodies, If-Match.
#include <doctest/doctest.h>

#include "acuctl/admin_api.hpp"
#include "acuctl/error.hpp"

using namespace acuctl;
using namespace acuctl::runner;

namespace {

unsigned status_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const AdminError& e) {
    return e.status();
  }
  return 0;
}

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const AdminError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("admin tokens: name:token lines, bearer lookup") {
  auto t = AdminTokens::parse("# ops team\nalice:s3cr3t-token-a\n\n  bob:another-token-b  \r\n", "tokens");
  CHECK(t.size() == 2);
  CHECK(t.actor_for("Bearer s3cr3t-token-a") == "alice");
  CHECK(t.actor_for("bearer another-token-b") == "bob");
  CHECK_FALSE(t.actor_for("Bearer s3cr3t-token-b").has_value());
  CHECK_FALSE(t.actor_for("Bearer ").has_value());
  CHECK_FALSE(t.actor_for("Basic s3cr3t-token-a").has_value());
  CHECK_FALSE(t.actor_for("s3cr3t-token-a").has_value());
  CHECK_FALSE(t.actor_for("Bearer s3cr3t-token-a ").has_value());
  CHECK_FALSE(t.actor_for("").has_value());
  // A token may hold a colon: only the first one separates the name.
  CHECK(AdminTokens::parse("ci:abc:defghij", "t").actor_for("Bearer abc:defghij") == "ci");

  for (const char* bad : {"", "# nothing\n", "no-colon-here", ":token-without-name", "alice:short",
                          "al ice:long-enough-token", "alice:long-enough-1\nalice:long-enough-2",
                          "n\xff:long-enough-token"}) {
    CAPTURE(bad);
    CHECK_THROWS_AS(AdminTokens::parse(bad, "tokens"), Error);
  }
}

TEST_CASE("admin bodies: strict, 400 naming the field") {
  CHECK(parse_deploy_request(R"({"ref":"sha256:ab"})").ref == "sha256:ab");
  auto c = parse_canary_request(R"({"ref":"x.acu","weight":30,"lease_seconds":60,"owner":"ci","force":true})");
  CHECK(c.weight == 30);
  CHECK(c.lease_seconds == 60);
  CHECK(c.owner == "ci");
  CHECK(c.force);
  auto w = parse_weight_request(R"({"weight":0})");
  CHECK(w.weight == 0);
  CHECK_FALSE(w.lease_seconds.has_value());
  CHECK_FALSE(parse_rollback_request("").from.has_value());
  CHECK_FALSE(parse_rollback_request("{}").from.has_value());
  CHECK(parse_rollback_request(R"({"from":"1.2.0"})").from == "1.2.0");
  parse_empty_request("");
  parse_empty_request(" {} ");

  struct Case {
    std::function<void()> call;
    const char* names;
  };
  std::vector<Case> cases = {
      {[] { parse_deploy_request(""); }, "empty"},
      {[] { parse_deploy_request("{"); }, "not valid JSON"},
      {[] { parse_deploy_request("[]"); }, "JSON object"},
      {[] { parse_deploy_request("{}"); }, "'ref' is missing"},
      {[] { parse_deploy_request(R"({"ref":5})"); }, "'ref' must be a string"},
      {[] { parse_deploy_request(R"({"ref":""})"); }, "'ref'"},
      {[] { parse_deploy_request(R"({"ref":"a\nb"})"); }, "'ref'"},
      {[] { parse_deploy_request(R"({"ref":"a","force":true})"); }, "unknown key \"force\""},
      {[] { parse_canary_request(R"({"ref":"a"})"); }, "'weight' is missing"},
      {[] { parse_canary_request(R"({"ref":"a","weight":101})"); }, "'weight'"},
      {[] { parse_canary_request(R"({"ref":"a","weight":-1})"); }, "'weight'"},
      {[] { parse_canary_request(R"({"ref":"a","weight":10.5})"); }, "'weight'"},
      {[] { parse_canary_request(R"({"ref":"a","weight":"10"})"); }, "'weight'"},
      {[] { parse_canary_request(R"({"ref":"a","weight":1e300})"); }, "'weight'"},
      {[] { parse_canary_request(R"({"ref":"a","weight":10,"lease_seconds":0})"); }, "'lease_seconds'"},
      {[] { parse_canary_request(R"({"ref":"a","weight":10,"lease_seconds":-5})"); }, "'lease_seconds'"},
      {[] { parse_canary_request(R"({"ref":"a","weight":10,"lease_seconds":99999999999})"); }, "'lease_seconds'"},
      {[] { parse_canary_request(R"({"ref":"a","weight":10,"owner":7})"); }, "'owner'"},
      {[] { parse_canary_request(R"({"ref":"a","weight":10,"force":"yes"})"); }, "'force'"},
      {[] { parse_canary_request(R"({"ref":"a","weight":10,"wieght":10})"); }, "\"wieght\""},
      {[] { parse_weight_request(R"({"weight":18446744073709551615})"); }, "'weight'"},
      {[] { parse_weight_request(R"({"weight":null})"); }, "'weight'"},
      {[] { parse_rollback_request(R"({"from":1})"); }, "'from'"},
      {[] { parse_rollback_request(R"({"form":"1"})"); }, "\"form\""},
      {[] { parse_empty_request(R"({"x":1})"); }, "\"x\""},
      {[] { parse_deploy_request(std::string(20000, '[') + std::string(20000, ']')); }, "JSON object"},
      {[] { parse_weight_request(R"({"weight":40,"weight":0})"); }, "\"weight\" appears twice"},
      {[] { parse_deploy_request(R"({"ref":"a.acu","ref":"b.acu"})"); }, "\"ref\" appears twice"},
  };
  for (const auto& k : cases) {
    CHECK(status_of(k.call) == 400);
    CHECK(error_of(k.call).find(k.names) != std::string::npos);
  }
  // Over the admin body limit: 413, as over the server's own limit.
  for (auto call : std::vector<std::function<void()>>{
           [] { parse_deploy_request(std::string(100000, '[')); },
           [] { parse_deploy_request(std::string(50000, '[') + std::string(50000, ']')); }}) {
    CHECK(status_of(call) == 413);
    CHECK(error_of(call).find("larger than") != std::string::npos);
  }
}

TEST_CASE("If-Match generations") {
  CHECK_FALSE(parse_if_match("").has_value());
  CHECK(parse_if_match("\"12\"") == 12u);
  CHECK(parse_if_match("12") == 12u);
  CHECK(parse_if_match("W/\"3\"") == 3u);
  CHECK(parse_if_match(" \"0\" ") == 0u);
  CHECK_FALSE(parse_if_match("*").has_value());  // any current state (RFC 9110)
  for (const char* bad : {"\"\"", "\"-1\"", "\"1x\"", "**", "\"99999999999999999999999\"", "\"18446744073709551616\""}) {
    CAPTURE(bad);
    CHECK(status_of([&] { parse_if_match(bad); }) == 412);
  }
}
