// Bounded reads, atomic replacement and pending output files.
#include "acuctl/files.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <random>

#include "acuctl/error.hpp"

namespace acuctl {
namespace fs = std::filesystem;

std::string errno_text(int err) { return std::strerror(err); }

UniqueFd::~UniqueFd() {
  if (fd_ >= 0) ::close(fd_);
}

UniqueFd& UniqueFd::operator=(UniqueFd&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = other.release();
  }
  return *this;
}

UniqueFd open_for_reading(const fs::path& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) fail("cannot open '" + path.string() + "': " + errno_text(errno));
  return UniqueFd(fd);
}

std::size_t read_some(int fd, void* buffer, std::size_t size, const fs::path& name) {
  for (;;) {
    ssize_t n = ::read(fd, buffer, size);
    if (n >= 0) return static_cast<std::size_t>(n);
    if (errno != EINTR) fail("cannot read '" + name.string() + "': " + errno_text(errno));
  }
}

void write_all(int fd, const void* data, std::size_t size, const fs::path& name) {
  const char* p = static_cast<const char*>(data);
  while (size > 0) {
    ssize_t n = ::write(fd, p, size);
    if (n < 0) {
      if (errno == EINTR) continue;
      fail("cannot write '" + name.string() + "': " + errno_text(errno));
    }
    p += n;
    size -= static_cast<std::size_t>(n);
  }
}

std::string read_file(const fs::path& path, std::uint64_t limit) {
  UniqueFd fd = open_for_reading(path);
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) fail("cannot stat '" + path.string() + "': " + errno_text(errno));
  if (S_ISDIR(st.st_mode)) fail("cannot read '" + path.string() + "': it is a directory");
  if (static_cast<std::uint64_t>(st.st_size) > limit)
    fail("cannot read '" + path.string() + "': larger than " + std::to_string(limit) + " bytes");
  std::string out;
  char buf[65536];
  for (;;) {
    std::size_t n = read_some(fd.get(), buf, sizeof buf, path);
    if (n == 0) break;
    if (out.size() + n > limit)
      fail("cannot read '" + path.string() + "': larger than " + std::to_string(limit) + " bytes");
    out.append(buf, n);
  }
  return out;
}

void fsync_directory(const fs::path& dir) {
  int fd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) fail("cannot open directory '" + dir.string() + "': " + errno_text(errno));
  int rc = ::fsync(fd);
  int err = errno;
  ::close(fd);
  if (rc != 0) fail("cannot sync directory '" + dir.string() + "': " + errno_text(err));
}

static fs::path temp_name_for(const fs::path& final_path) {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  char suffix[17];
  std::snprintf(suffix, sizeof suffix, "%016llx", static_cast<unsigned long long>(rng()));
  fs::path dir = final_path.parent_path();
  return dir / (std::string(".") + final_path.filename().string() + ".tmp-" + suffix);
}

PendingFile::PendingFile(fs::path final_path, unsigned mode)
    : final_(std::move(final_path)), temp_(temp_name_for(final_)) {
  fd_ = ::open(temp_.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  if (fd_ < 0) fail("cannot create '" + final_.string() + "': " + errno_text(errno));
}

PendingFile::~PendingFile() {
  if (fd_ >= 0) ::close(fd_);
  if (!committed_) ::unlink(temp_.c_str());
}

void PendingFile::write(const void* data, std::size_t size) { write_all(fd_, data, size, final_); }

void PendingFile::commit(bool sync) {
  if (sync && ::fsync(fd_) != 0) fail("cannot sync '" + final_.string() + "': " + errno_text(errno));
  if (::close(fd_) != 0) {
    fd_ = -1;
    fail("cannot close '" + final_.string() + "': " + errno_text(errno));
  }
  fd_ = -1;
  if (::rename(temp_.c_str(), final_.c_str()) != 0)
    fail("cannot rename into '" + final_.string() + "': " + errno_text(errno));
  committed_ = true;
  if (sync) fsync_directory(final_.parent_path());
}

void write_file_atomic(const fs::path& path, std::string_view data, unsigned mode) {
  PendingFile file(path, mode);
  file.write(data.data(), data.size());
  file.commit();
}

}  // namespace acuctl
