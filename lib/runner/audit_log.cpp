// The admin audit log (audit.jsonl), appended with one write per line.
#include "acuctl/audit_log.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "acuctl/error.hpp"
#include "acuctl/timefmt.hpp"

namespace acuctl::runner {

nlohmann::json audit_to_json(const AuditEntry& e) {
  nlohmann::json j;
  j["time"] = e.time;
  j["actor"] = e.actor;
  j["action"] = e.action;
  j["from"] = e.from ? nlohmann::json(*e.from) : nlohmann::json(nullptr);
  j["to"] = e.to ? nlohmann::json(*e.to) : nlohmann::json(nullptr);
  j["result"] = e.result;
  j["reason"] = e.reason;
  j["status"] = e.status;
  return j;
}

AuditLog::AuditLog(const std::filesystem::path& state_dir) : path_(state_dir / "audit.jsonl") {
  int fd = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (fd < 0) fail("cannot open the audit log '" + path_.string() + "': " + errno_text(errno));
  fd_ = UniqueFd(fd);
  // A line torn by a crash would glue onto the next one: start on a fresh line.
  struct stat st {};
  if (::fstat(fd, &st) == 0 && st.st_size > 0) {
    UniqueFd in(::open(path_.c_str(), O_RDONLY | O_CLOEXEC));
    char last = '\n';
    if (in && ::pread(in.get(), &last, 1, st.st_size - 1) == 1 && last != '\n') write_all(fd, "\n", 1, path_);
  }
}

void AuditLog::append(AuditEntry entry) {
  if (entry.time.empty()) entry.time = now_rfc3339();
  // dump() with replace: actor names or reasons are not always valid UTF-8.
  std::string line = audit_to_json(entry).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  std::lock_guard lock(mutex_);
  write_all(fd_.get(), line.data(), line.size(), path_);
  if (::fdatasync(fd_.get()) != 0) fail("cannot flush the audit log '" + path_.string() + "': " + errno_text(errno));
}

nlohmann::json AuditLog::read_all() const {
  std::lock_guard lock(mutex_);
  nlohmann::json out = nlohmann::json::array();
  std::string text = read_file(path_, 1ULL << 30);
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    auto j = nlohmann::json::parse(text.begin() + static_cast<std::ptrdiff_t>(start),
                                   text.begin() + static_cast<std::ptrdiff_t>(end), nullptr, false);
    if (!j.is_discarded() && j.is_object()) out.push_back(std::move(j));
    start = end + 1;
  }
  return out;
}

}  // namespace acuctl::runner
