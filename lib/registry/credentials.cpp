// Registry credentials (environment, docker config.json), WWW-Authenticate
// challenges and registry error bodies.
#include <cctype>
#include <cstdlib>

#include <nlohmann/json.hpp>

#include "acuctl/contract.hpp"
#include "acuctl/error.hpp"
#include "acuctl/files.hpp"
#include "registry/http.hpp"
#include "registry/internal.hpp"

namespace acuctl {
namespace fs = std::filesystem;

namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool is_token_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || std::string_view("!#$%&'*+-.^_`|~/:=").find(c) != std::string_view::npos;
}

// "https://host:5000/v2/" → "host:5000"; "host" → "host".
std::string host_of_key(std::string_view key) {
  if (std::size_t p = key.find("://"); p != std::string_view::npos) key = key.substr(p + 3);
  if (std::size_t p = key.find('/'); p != std::string_view::npos) key = key.substr(0, p);
  return lower(key);
}

std::string base64_decode(std::string_view in, const std::string& source) {
  auto value = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+' || c == '-') return 62;
    if (c == '/' || c == '_') return 63;
    return -1;
  };
  std::string out;
  unsigned buffer = 0;
  int bits = 0;
  for (char c : in) {
    if (c == '=') break;
    int v = value(c);
    if (v < 0) fail("cannot read " + source + ": an 'auth' value is not base64");
    buffer = (buffer << 6) | static_cast<unsigned>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((buffer >> bits) & 0xff);
    }
  }
  return out;
}

}  // namespace

std::vector<AuthChallenge> parse_www_authenticate(std::string_view h) {
  std::vector<AuthChallenge> out;
  std::size_t i = 0;
  auto skip_separators = [&] {
    while (i < h.size() && (h[i] == ' ' || h[i] == '\t' || h[i] == ',')) ++i;
  };
  auto skip_ws = [&] {
    while (i < h.size() && (h[i] == ' ' || h[i] == '\t')) ++i;
  };
  auto read_token = [&] {
    std::size_t start = i;
    while (i < h.size() && is_token_char(h[i]) && h[i] != '=') ++i;
    return std::string(h.substr(start, i - start));
  };
  while (true) {
    skip_separators();
    if (i >= h.size()) break;
    std::string scheme = read_token();
    if (scheme.empty()) {
      ++i;  // junk: skip it
      continue;
    }
    AuthChallenge c;
    c.scheme = lower(scheme);
    // name=value or name="quoted", until a token without '=' (the next scheme).
    while (true) {
      skip_separators();
      if (i >= h.size()) break;
      std::size_t name_start = i;
      std::string name = read_token();
      if (name.empty()) {
        ++i;
        continue;
      }
      skip_ws();
      if (i >= h.size() || h[i] != '=') {
        i = name_start;
        break;
      }
      ++i;
      skip_ws();
      std::string value;
      if (i < h.size() && h[i] == '"') {
        ++i;
        while (i < h.size() && h[i] != '"') {
          if (h[i] == '\\' && i + 1 < h.size()) ++i;
          value += h[i++];
        }
        if (i < h.size()) ++i;
      } else {
        std::size_t start = i;
        while (i < h.size() && h[i] != ',' && h[i] != ' ' && h[i] != '\t') ++i;
        value = std::string(h.substr(start, i - start));
      }
      c.params[lower(name)] = value;
    }
    out.push_back(std::move(c));
  }
  return out;
}

std::optional<Credentials> credentials_from_docker_config(std::string_view json_text, std::string_view host,
                                                          const std::string& source) {
  nlohmann::json j = nlohmann::json::parse(json_text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) fail("cannot read " + source + ": it is not a JSON object");
  auto auths = j.find("auths");
  if (auths == j.end() || !auths->is_object()) return std::nullopt;
  std::string want = lower(host);
  for (const auto& [key, entry] : auths->items()) {
    if (host_of_key(key) != want || !entry.is_object()) continue;
    if (auto a = entry.find("auth"); a != entry.end() && a->is_string() && !a->get<std::string>().empty()) {
      std::string decoded = base64_decode(a->get<std::string>(), source);
      std::size_t colon = decoded.find(':');
      if (colon == std::string::npos)
        fail("cannot read " + source + ": the 'auth' of '" + key + "' is not base64 of USER:PASSWORD");
      return Credentials{decoded.substr(0, colon), decoded.substr(colon + 1)};
    }
    auto u = entry.find("username");
    auto p = entry.find("password");
    if (u != entry.end() && p != entry.end() && u->is_string() && p->is_string())
      return Credentials{u->get<std::string>(), p->get<std::string>()};
  }
  return std::nullopt;
}

std::optional<Credentials> lookup_credentials(std::string_view registry_host) {
  const char* user = std::getenv(contract::env_registry_username);
  const char* pass = std::getenv(contract::env_registry_password);
  if (user && *user) return Credentials{user, pass ? pass : ""};
  fs::path dir;
  if (const char* dc = std::getenv(contract::env_docker_config); dc && *dc) {
    dir = dc;
  } else if (const char* home = std::getenv("HOME"); home && *home) {
    dir = fs::path(home) / ".docker";
  } else {
    return std::nullopt;
  }
  fs::path file = dir / "config.json";
  std::error_code ec;
  if (!fs::is_regular_file(file, ec)) return std::nullopt;
  return credentials_from_docker_config(read_file(file, 4 << 20), registry_host, std::string("'") + file.string() + "'");
}

std::string registry_error_text(std::string_view body) {
  nlohmann::json j = nlohmann::json::parse(body, nullptr, false);
  if (!j.is_discarded() && j.is_object()) {
    auto errors = j.find("errors");
    if (errors != j.end() && errors->is_array() && !errors->empty()) {
      std::string out;
      for (const auto& e : *errors) {
        if (!e.is_object()) continue;
        std::string code = e.value("code", std::string());
        std::string message = e.value("message", std::string());
        if (!out.empty()) out += "; ";
        out += code.empty() ? message : message.empty() ? code : code + ": " + message;
      }
      if (!out.empty()) return out;
    }
  }
  std::string excerpt;
  for (char c : body.substr(0, 200)) excerpt += (std::isprint(static_cast<unsigned char>(c)) ? c : ' ');
  while (!excerpt.empty() && excerpt.back() == ' ') excerpt.pop_back();
  return excerpt;
}

}  // namespace acuctl
