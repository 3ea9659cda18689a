// Reference parsing: registry, OCI layout, local file and cache-digest forms,
// with errors that say which part of the reference is wrong.
#include <cctype>

#include "acuctl/error.hpp"
#include "acuctl/registry.hpp"
#include "acuctl/sha256.hpp"

namespace acuctl {
namespace {
namespace fs = std::filesystem;

constexpr std::size_t kMaxNameLength = 255;  // host[:port]/name, as most clients cap it

[[noreturn]] void malformed(std::string_view text, const std::string& why) {
  fail_usage("invalid reference '" + std::string(text) + "': " + why,
             "write HOST[:PORT]/REPO[:TAG][@sha256:HEX], oci:DIR[:TAG|@sha256:HEX] or a path to a .acu file");
}

bool is_lower_alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }

// One path component of a repository name:
// [a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*
bool is_valid_component(std::string_view s) {
  if (s.empty() || !is_lower_alnum(s.front()) || !is_lower_alnum(s.back())) return false;
  std::size_t i = 0;
  while (i < s.size()) {
    if (is_lower_alnum(s[i])) { ++i; continue; }
    // A separator run: ".", "_", "__" or one or more "-".
    std::size_t start = i;
    if (s[i] == '.') {
      ++i;
    } else if (s[i] == '_') {
      ++i;
      if (i < s.size() && s[i] == '_') ++i;
    } else if (s[i] == '-') {
      while (i < s.size() && s[i] == '-') ++i;
    } else {
      return false;
    }
    if (i == start || i >= s.size() || !is_lower_alnum(s[i])) return false;
  }
  return true;
}

}  // namespace

bool is_valid_repository(std::string_view name) {
  if (name.empty()) return false;
  std::size_t start = 0;
  while (true) {
    std::size_t slash = name.find('/', start);
    std::string_view part = name.substr(start, slash == std::string_view::npos ? std::string_view::npos : slash - start);
    if (!is_valid_component(part)) return false;
    if (slash == std::string_view::npos) return true;
    start = slash + 1;
  }
}

// [a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}
bool is_valid_tag(std::string_view tag) {
  if (tag.empty() || tag.size() > 128) return false;
  auto word = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; };
  if (!word(tag[0])) return false;
  for (char c : tag)
    if (!word(c) && c != '.' && c != '-') return false;
  return true;
}

namespace {

bool is_valid_port(std::string_view port) {
  if (port.empty() || port.size() > 5) return false;
  unsigned value = 0;
  for (char c : port) {
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
    value = value * 10 + static_cast<unsigned>(c - '0');
  }
  return value > 0 && value <= 65535;
}

// Dot-separated labels of letters, digits and inner '-'.
bool is_valid_hostname(std::string_view name) {
  if (name.empty() || name.size() > 253) return false;
  std::size_t start = 0;
  for (;;) {
    std::size_t dot = name.find('.', start);
    std::string_view label = name.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
    if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-') return false;
    for (char c : label)
      if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-') return false;
    if (dot == std::string_view::npos) return true;
    start = dot + 1;
  }
}

}  // namespace

// host, host:port, [v6] or [v6]:port.
bool is_valid_host(std::string_view host) {
  if (host.empty()) return false;
  if (host.front() == '[') {
    std::size_t close = host.find(']');
    if (close == std::string_view::npos || close < 3) return false;
    for (char c : host.substr(1, close - 1))
      if (!std::isxdigit(static_cast<unsigned char>(c)) && c != ':' && c != '.') return false;
    std::string_view rest = host.substr(close + 1);
    return rest.empty() || (rest.front() == ':' && is_valid_port(rest.substr(1)));
  }
  std::size_t colon = host.find(':');
  if (colon == std::string_view::npos) return is_valid_hostname(host);
  return is_valid_hostname(host.substr(0, colon)) && is_valid_port(host.substr(colon + 1));
}

// Whether the first component of "a/b/c" names a registry rather than a
// directory: it has a dot, a port, or is localhost (docker's rule).
bool looks_like_host(std::string_view first) {
  if (first.empty() || first.front() == '.') return false;
  return first.find('.') != std::string_view::npos || first.find(':') != std::string_view::npos ||
         first == "localhost" || (!first.empty() && first.front() == '[');
}

namespace {

void check_digest(std::string_view text, std::string_view digest) {
  if (is_sha256_digest(digest)) return;
  if (digest.substr(0, 7) != "sha256:") {
    std::size_t colon = digest.find(':');
    malformed(text, "unsupported digest algorithm '" + std::string(digest.substr(0, colon)) + "' (only sha256)");
  }
  std::string_view hex = digest.substr(7);
  for (char c : hex)
    if (c >= 'A' && c <= 'F') malformed(text, "the digest must be lower-case hex");
  malformed(text, "the digest must be sha256: followed by 64 hex digits");
}

Reference parse_registry(std::string_view text) {
  Reference r;
  r.kind = ReferenceKind::registry;
  r.text = std::string(text);
  std::string_view rest = text;
  if (std::size_t at = rest.find('@'); at != std::string_view::npos) {
    std::string_view digest = rest.substr(at + 1);
    check_digest(text, digest);
    r.digest = std::string(digest);
    rest = rest.substr(0, at);
  }
  std::size_t slash = rest.find('/');
  if (slash == std::string_view::npos) malformed(text, "no repository after the registry host");
  std::string_view host = rest.substr(0, slash);
  if (!is_valid_host(host)) malformed(text, "'" + std::string(host) + "' is not a valid registry host[:port]");
  r.registry = std::string(host);
  std::string_view name = rest.substr(slash + 1);
  std::size_t last_slash = name.rfind('/');
  std::size_t colon = name.rfind(':');
  if (colon != std::string_view::npos && (last_slash == std::string_view::npos || colon > last_slash)) {
    std::string_view tag = name.substr(colon + 1);
    if (!is_valid_tag(tag))
      malformed(text, "'" + std::string(tag) + "' is not a valid tag ([A-Za-z0-9_][A-Za-z0-9._-]{0,127})");
    r.tag = std::string(tag);
    name = name.substr(0, colon);
  }
  if (name.empty()) malformed(text, "the repository name is empty");
  if (!is_valid_repository(name))
    malformed(text, "'" + std::string(name) +
                        "' is not a valid repository name (lower-case letters, digits and . _ - separators, '/' between parts)");
  if (host.size() + 1 + name.size() > kMaxNameLength)
    malformed(text, "host and repository are longer than 255 characters");
  r.repository = std::string(name);
  return r;
}

Reference parse_oci(std::string_view text) {
  Reference r;
  r.kind = ReferenceKind::oci_layout;
  r.text = std::string(text);
  std::string_view rest = text.substr(4);
  if (std::size_t at = rest.rfind('@'); at != std::string_view::npos) {
    std::string_view digest = rest.substr(at + 1);
    check_digest(text, digest);
    r.digest = std::string(digest);
    rest = rest.substr(0, at);
    std::size_t colon = rest.rfind(':');
    std::size_t slash = rest.rfind('/');
    if (colon != std::string_view::npos && (slash == std::string_view::npos || colon > slash) &&
        is_valid_tag(rest.substr(colon + 1)))
      malformed(text, "give either a tag or a digest for an OCI layout, not both");
  } else if (std::size_t colon = rest.rfind(':'); colon != std::string_view::npos) {
    std::size_t slash = rest.rfind('/');
    if (slash == std::string_view::npos || colon > slash) {
      std::string_view tag = rest.substr(colon + 1);
      if (!is_valid_tag(tag))
        malformed(text, "'" + std::string(tag) + "' is not a valid tag ([A-Za-z0-9_][A-Za-z0-9._-]{0,127})");
      r.tag = std::string(tag);
      rest = rest.substr(0, colon);
    }
  }
  if (rest.empty()) malformed(text, "no directory after 'oci:'");
  if (rest.find('\0') != std::string_view::npos) malformed(text, "the directory contains a NUL byte");
  r.path = fs::path(std::string(rest));
  return r;
}

}  // namespace

Reference parse_reference(std::string_view text) {
  if (text.empty()) malformed(text, "it is empty");
  for (char c : text)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) malformed(text, "it contains a control character");
  if (text.substr(0, 4) == "oci:") return parse_oci(text);
  if (text.substr(0, 7) == "sha256:") {
    check_digest(text, text);
    Reference r;
    r.kind = ReferenceKind::cache_digest;
    r.digest = std::string(text);
    r.text = std::string(text);
    return r;
  }
  std::error_code ec;
  bool exists = fs::is_regular_file(fs::path(std::string(text)), ec);
  std::size_t slash = text.find('/');
  bool hostlike = slash != std::string_view::npos && looks_like_host(text.substr(0, slash));
  bool explicit_path = text.front() == '/' || text.substr(0, 2) == "./" || text.substr(0, 3) == "../" || text.front() == '~';
  bool pathlike = explicit_path || text.find('/') == std::string_view::npos ||
                  (text.size() > 4 && text.substr(text.size() - 4) == ".acu");
  if (exists || explicit_path || (!hostlike && pathlike)) {
    Reference r;
    r.kind = ReferenceKind::local_file;
    r.path = fs::path(std::string(text));
    r.text = std::string(text);
    return r;
  }
  if (!hostlike) {
    std::string first(text.substr(0, slash));
    malformed(text, "'" + first + "' is not a registry host (write HOST[:PORT]/REPO, e.g. localhost:5000/" +
                        std::string(text) + ") and no such file exists");
  }
  return parse_registry(text);
}

std::string Reference::str() const {
  switch (kind) {
    case ReferenceKind::registry: {
      std::string s = registry + "/" + repository;
      if (!tag.empty()) s += ":" + tag;
      if (!digest.empty()) s += "@" + digest;
      return s;
    }
    case ReferenceKind::oci_layout: {
      std::string s = "oci:" + path.string();
      if (!tag.empty()) s += ":" + tag;
      if (!digest.empty()) s += "@" + digest;
      return s;
    }
    case ReferenceKind::local_file: return path.string();
    case ReferenceKind::cache_digest: return digest;
  }
  return text;
}

std::string Reference::target() const {
  if (!digest.empty()) return digest;
  if (!tag.empty()) return tag;
  return "latest";
}

}  // namespace acuctl
