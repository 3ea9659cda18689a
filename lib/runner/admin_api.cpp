// The admin API over HTTP: authorization, request bodies, status codes.
// Every successful mutating call answers 200 with the new state (the JSON of
// GET /admin/v1/state); errors answer {"error": "..."} with SPEC's status,
// and a malformed body, an unknown key or a bad value is 400 naming the field.
#include "acuctl/admin_api.hpp"

#include <nlohmann/json.hpp>

#include <optional>
#include <set>

#include "acuctl/error.hpp"
#include "acuctl/files.hpp"
#include "acuctl/oip.hpp"
#include "acuctl/runner.hpp"
#include "acuctl/sha256.hpp"

namespace acuctl::runner {
namespace {

using json = nlohmann::json;
constexpr std::string_view admin_prefix = "/admin/v1/";
constexpr std::string_view bundles_prefix = "/admin/v1/bundles/";
constexpr std::size_t max_admin_body = 64 * 1024;

std::string raw_sha256(std::string_view text) {
  std::string hex = sha256_hex(text);
  std::string raw(32, '\0');
  for (std::size_t i = 0; i < 32; ++i) raw[i] = static_cast<char>(std::stoi(hex.substr(2 * i, 2), nullptr, 16));
  return raw;
}

bool valid_token_name(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  for (char c : name)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.' || c == '@')) return false;
  return true;
}

[[noreturn]] void bad_request(const std::string& message) { throw AdminError(400, message); }

json parse_object(std::string_view body, bool empty_ok) {
  // SPEC 6: a body over the limit is 413, whichever limit it passes.
  if (body.size() > max_admin_body)
    throw AdminError(413, "request body is larger than the admin limit of " + std::to_string(max_admin_body) + " bytes");
  bool blank = body.find_first_not_of(" \t\r\n") == std::string_view::npos;
  if (blank) {
    if (empty_ok) return json::object();
    bad_request("request body is empty: expected a JSON object");
  }
  // A key given twice is refused, not resolved by "the last one wins":
  // {"weight":40,"weight":0} has no single meaning.
  std::set<std::string> seen;
  std::optional<std::string> duplicate;
  json::parser_callback_t check = [&](int depth, json::parse_event_t event, json& parsed) {
    if (event == json::parse_event_t::key && depth == 1 && !seen.insert(parsed.get<std::string>()).second && !duplicate)
      duplicate = parsed.get<std::string>();
    return true;
  };
  json j = json::parse(body, check, false);
  if (j.is_discarded()) bad_request("request body is not valid JSON");
  if (!j.is_object()) bad_request("request body must be a JSON object");
  if (duplicate) {
    std::string shown = duplicate->size() > 64 ? duplicate->substr(0, 64) + "…" : *duplicate;
    bad_request("key " + json(shown).dump(-1, ' ', false, json::error_handler_t::replace) +
                " appears twice in the request body");
  }
  return j;
}

void only_keys(const json& j, const std::set<std::string>& keys) {
  for (const auto& [k, v] : j.items())
    if (!keys.count(k)) {
      std::string shown = k.size() > 64 ? k.substr(0, 64) + "…" : k;
      bad_request("unknown key " + json(shown).dump(-1, ' ', false, json::error_handler_t::replace) +
                  " in request body");
    }
}

std::string ref_field(const json& j) {
  auto it = j.find("ref");
  if (it == j.end()) bad_request("'ref' is missing");
  if (!it->is_string()) bad_request("'ref' must be a string");
  auto ref = it->get<std::string>();
  if (ref.empty() || ref.size() > 4096) bad_request("'ref' must be 1 to 4096 characters");
  for (char c : ref)
    if (static_cast<unsigned char>(c) < 0x20) bad_request("'ref' contains a control character");
  return ref;
}

int weight_field(const json& j, bool required) {
  auto it = j.find("weight");
  if (it == j.end()) {
    if (required) bad_request("'weight' is missing");
    return 0;
  }
  if (!it->is_number_integer()) bad_request("'weight' must be an integer from 0 to 100");
  auto w = it->get<std::int64_t>();
  if (w < 0 || w > 100) bad_request("'weight' must be an integer from 0 to 100, not " + std::to_string(w));
  return static_cast<int>(w);
}

std::optional<std::int64_t> lease_field(const json& j) {
  auto it = j.find("lease_seconds");
  if (it == j.end() || it->is_null()) return std::nullopt;
  if (!it->is_number_integer()) bad_request("'lease_seconds' must be a positive integer");
  auto s = it->get<std::int64_t>();
  if (s <= 0 || s > 366LL * 24 * 3600) bad_request("'lease_seconds' must be from 1 to 31622400");
  return s;
}

void json_error(HttpResponse& res, unsigned status, const std::string& message) {
  res.status = status;
  res.body = oip::error_body(message);
  res.error = message;
}

void answer_state(HttpResponse& res, const ServingState& s) {
  res.status = 200;
  res.body = state_to_json(s).dump();
}

// The actor for this request, or an answer (401/403) and nullopt.
std::optional<std::string> authorize(const Runner& runner, const HttpRequest& req, HttpResponse& res) {
  const auto& tokens = runner.tokens();
  if (!tokens) {
    if (req.from_loopback) return std::string("loopback");
    json_error(res, 403, "the admin API is open only to loopback peers when the runner has no --admin-tokens");
    return std::nullopt;
  }
  auto auth = req.header("Authorization");
  if (auth.empty()) {
    res.headers.emplace_back("WWW-Authenticate", "Bearer");
    json_error(res, 401, "the admin API needs 'Authorization: Bearer TOKEN'");
    return std::nullopt;
  }
  auto actor = tokens->actor_for(auth);
  if (!actor) {
    res.headers.emplace_back("WWW-Authenticate", "Bearer error=\"invalid_token\"");
    json_error(res, 401, "the admin token is not valid");
  }
  return actor;
}

bool method_is(const HttpRequest& req, HttpResponse& res, std::string_view method) {
  if (req.method == method) return true;
  res.headers.emplace_back("Allow", std::string(method));
  json_error(res, 405, "method " + std::string(req.method) + " is not allowed here; use " + std::string(method));
  return false;
}

}  // namespace

AdminTokens AdminTokens::parse(std::string_view text, const std::string& source) {
  AdminTokens t;
  std::set<std::string> names;
  std::size_t line_no = 0, start = 0;
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(start, end - start);
    start = end + 1;
    ++line_no;
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t')) line.remove_suffix(1);
    while (!line.empty() && (line.front() == ' ' || line.front() == '\t')) line.remove_prefix(1);
    if (line.empty() || line.front() == '#') continue;
    std::string where = "'" + source + "' line " + std::to_string(line_no);
    auto colon = line.find(':');
    if (colon == std::string_view::npos) fail_usage("invalid admin tokens file " + where + ": expected name:token");
    std::string name(line.substr(0, colon));
    std::string_view token = line.substr(colon + 1);
    if (!valid_token_name(name))
      fail_usage("invalid admin tokens file " + where + ": the name must be 1 to 64 of [A-Za-z0-9._@-]");
    if (token.size() < 8) fail_usage("invalid admin tokens file " + where + ": the token of '" + name + "' is shorter than 8 characters");
    if (!names.insert(name).second) fail_usage("invalid admin tokens file " + where + ": '" + name + "' appears twice");
    t.entries_.push_back({name, raw_sha256(token)});
  }
  if (t.entries_.empty()) fail_usage("admin tokens file '" + source + "' holds no name:token line");
  return t;
}

AdminTokens AdminTokens::load(const std::filesystem::path& file) {
  try {
    return parse(read_file(file, 1 << 20), file.string());
  } catch (const Error& e) {
    if (e.exit() == Exit::usage) throw;
    rethrow_with_context("cannot read admin tokens '" + file.string() + "'");
  }
}

std::optional<std::string> AdminTokens::actor_for(std::string_view authorization) const {
  constexpr std::string_view scheme = "Bearer ";
  if (authorization.size() <= scheme.size()) return std::nullopt;
  for (std::size_t i = 0; i < scheme.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(authorization[i])) != std::tolower(static_cast<unsigned char>(scheme[i])))
      return std::nullopt;
  // Comparing digests (fixed length) of the offered token with every stored
  // one, without an early exit: the time does not depend on where they differ.
  std::string offered = raw_sha256(authorization.substr(scheme.size()));
  const Entry* match = nullptr;
  for (const auto& e : entries_) {
    unsigned char diff = 0;
    for (std::size_t i = 0; i < offered.size(); ++i)
      diff = static_cast<unsigned char>(diff | (offered[i] ^ e.digest[i]));
    volatile bool equal = diff == 0;
    if (equal && !match) match = &e;
  }
  if (!match) return std::nullopt;
  return match->name;
}

DeployRequest parse_deploy_request(std::string_view body) {
  json j = parse_object(body, false);
  only_keys(j, {"ref"});
  return {ref_field(j)};
}

CanaryRequest parse_canary_request(std::string_view body) {
  json j = parse_object(body, false);
  only_keys(j, {"ref", "weight", "lease_seconds", "owner", "force"});
  CanaryRequest r;
  r.ref = ref_field(j);
  r.weight = weight_field(j, true);
  r.lease_seconds = lease_field(j);
  if (auto it = j.find("owner"); it != j.end() && !it->is_null()) {
    if (!it->is_string() || it->get<std::string>().empty() || it->get<std::string>().size() > 256)
      bad_request("'owner' must be a string of 1 to 256 characters");
    r.owner = it->get<std::string>();
  }
  if (auto it = j.find("force"); it != j.end()) {
    if (!it->is_boolean()) bad_request("'force' must be true or false");
    r.force = it->get<bool>();
  }
  return r;
}

WeightRequest parse_weight_request(std::string_view body) {
  json j = parse_object(body, false);
  only_keys(j, {"weight", "lease_seconds"});
  return {weight_field(j, true), lease_field(j)};
}

RollbackRequest parse_rollback_request(std::string_view body) {
  json j = parse_object(body, true);
  only_keys(j, {"from"});
  RollbackRequest r;
  if (auto it = j.find("from"); it != j.end() && !it->is_null()) {
    if (!it->is_string() || it->get<std::string>().empty() || it->get<std::string>().size() > 64)
      bad_request("'from' must be a version string");
    r.from = it->get<std::string>();
  }
  return r;
}

void parse_empty_request(std::string_view body) {
  json j = parse_object(body, true);
  only_keys(j, {});
}

std::optional<std::uint64_t> parse_if_match(std::string_view header) {
  if (header.empty()) return std::nullopt;
  std::string_view v = header;
  while (!v.empty() && v.front() == ' ') v.remove_prefix(1);
  while (!v.empty() && v.back() == ' ') v.remove_suffix(1);
  // RFC 9110: "*" matches whatever the current state is, so it sets no condition.
  if (v == "*") return std::nullopt;
  if (v.substr(0, 2) == "W/") v.remove_prefix(2);
  if (v.size() >= 2 && v.front() == '"' && v.back() == '"') v = v.substr(1, v.size() - 2);
  if (v.empty() || v.size() > 20) throw AdminError(412, "If-Match must be \"<generation>\"");
  std::uint64_t n = 0;
  for (char c : v) {
    if (c < '0' || c > '9') throw AdminError(412, "If-Match must be \"<generation>\"");
    std::uint64_t next = n * 10 + static_cast<std::uint64_t>(c - '0');
    if (next / 10 != n) throw AdminError(412, "If-Match generation is out of range");
    n = next;
  }
  return n;
}

bool admin_upload_allowed(const Runner& runner, const HttpRequest& req) {
  if (req.method != "PUT" || req.target.substr(0, bundles_prefix.size()) != bundles_prefix) return false;
  HttpResponse ignored;
  return authorize(runner, req, ignored).has_value();
}

bool handle_admin_api(Runner& runner, const HttpRequest& req, HttpResponse& res) {
  std::string_view target = req.target;
  if (auto q = target.find('?'); q != std::string_view::npos) target = target.substr(0, q);
  if (target.substr(0, admin_prefix.size()) != admin_prefix) return false;
  std::string_view path = target.substr(admin_prefix.size());
  auto actor = authorize(runner, req, res);
  if (!actor) return true;
  try {
    if (path == "state") {
      if (method_is(req, res, "GET")) answer_state(res, runner.state());
      return true;
    }
    if (path == "audit") {
      if (method_is(req, res, "GET")) res.body = runner.audit().dump(-1, ' ', false, json::error_handler_t::replace);
      return true;
    }
    if (path.substr(0, 8) == "bundles/") {
      if (!method_is(req, res, "PUT")) return true;
      std::string_view digest = path.substr(8);
      if (!is_sha256_digest(digest)) throw AdminError(400, "the bundle path must be /admin/v1/bundles/sha256:HEX");
      runner.upload_bundle(digest, req.body, *actor);
      res.body = json{{"digest", std::string(digest)}, {"size", req.body.size()}}.dump();
      return true;
    }
    ChangeRequest who{*actor, std::nullopt};
    if (path == "deploy") {
      if (!method_is(req, res, "POST")) return true;
      auto body = parse_deploy_request(req.body);
      who.if_match = parse_if_match(req.header("If-Match"));
      answer_state(res, runner.deploy(body, who));
    } else if (path == "canary") {
      if (!method_is(req, res, "POST")) return true;
      auto body = parse_canary_request(req.body);
      who.if_match = parse_if_match(req.header("If-Match"));
      answer_state(res, runner.canary(body, who));
    } else if (path == "canary/weight") {
      if (!method_is(req, res, "PUT")) return true;
      auto body = parse_weight_request(req.body);
      who.if_match = parse_if_match(req.header("If-Match"));
      answer_state(res, runner.set_weight(body, who));
    } else if (path == "promote") {
      if (!method_is(req, res, "POST")) return true;
      parse_empty_request(req.body);
      who.if_match = parse_if_match(req.header("If-Match"));
      answer_state(res, runner.promote(who));
    } else if (path == "rollback") {
      if (!method_is(req, res, "POST")) return true;
      auto body = parse_rollback_request(req.body);
      who.if_match = parse_if_match(req.header("If-Match"));
      answer_state(res, runner.rollback(body, who));
    } else {
      json_error(res, 404, "no such admin endpoint: " + std::string(req.target.substr(0, 200)));
    }
  } catch (const AdminError& e) {
    json_error(res, e.status(), e.what());
    if (e.verification()) res.body.insert(res.body.size() - 1, ",\"verification\":true");
  } catch (const Error& e) {
    json_error(res, e.exit() == Exit::verification ? 403u : e.exit() == Exit::usage ? 400u : 500u, e.what());
  }
  return true;
}

}  // namespace acuctl::runner
