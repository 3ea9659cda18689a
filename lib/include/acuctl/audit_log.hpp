// DIR/audit.jsonl: one JSON line per admin change and per refused change
// (time, actor, action, from, to, result, reason), on disk before the answer.
#pragma once
#include <filesystem>
#include <mutex>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "acuctl/files.hpp"

namespace acuctl::runner {

struct AuditEntry {
  std::string time;  // RFC 3339 UTC; filled in by append() when empty
  std::string actor;
  std::string action;
  std::optional<std::string> from;  // version before (null when none)
  std::optional<std::string> to;    // version after
  std::string result;               // "ok", "refused" or "unchanged"
  std::string reason;               // why it was refused (or what happened); may be empty
  unsigned status = 200;            // the HTTP status answered
};

nlohmann::json audit_to_json(const AuditEntry& e);

class AuditLog {
 public:
  // Opens (creating) DIR/audit.jsonl for appending.
  explicit AuditLog(const std::filesystem::path& state_dir);
  // Appends one line with a single write(2) and fdatasync: after a crash the
  // line is either complete or absent (a torn last line is skipped on read).
  void append(AuditEntry entry);
  // The whole log as a JSON array, oldest first; unreadable lines are skipped.
  nlohmann::json read_all() const;

 private:
  std::filesystem::path path_;
  UniqueFd fd_;
  mutable std::mutex mutex_;
};

}  // namespace acuctl::runner
