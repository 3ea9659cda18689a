// Files done safely: bounded reads, atomic replacement (write, fsync, rename,
// fsync of the directory) and output files that appear only when complete.
#pragma once
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

namespace acuctl {

// Reads a whole (small) file; refuses files larger than `limit` bytes.
std::string read_file(const std::filesystem::path& path, std::uint64_t limit = 64ULL << 20);

// Replaces `path` with `data` so that a crash leaves either the old or the new
// content, never a mix: temp file in the same directory, fsync, rename, fsync dir.
void write_file_atomic(const std::filesystem::path& path, std::string_view data,
                       unsigned mode = 0644);

void fsync_directory(const std::filesystem::path& dir);

// A file being written next to its final path under a hidden temporary name.
// commit() fsyncs and renames it into place; destruction without commit()
// removes it, so a failed write leaves nothing behind. commit(false) skips the
// fsyncs (the file still appears only when complete, but a power loss may
// leave it empty): for large downloads that are verified on use anyway.
class PendingFile {
 public:
  explicit PendingFile(std::filesystem::path final_path, unsigned mode = 0644);
  ~PendingFile();
  PendingFile(const PendingFile&) = delete;
  PendingFile& operator=(const PendingFile&) = delete;

  void write(const void* data, std::size_t size);
  void commit(bool sync = true);
  int fd() const noexcept { return fd_; }  // open for reading too (a download is hashed back from it)
  const std::filesystem::path& temp_path() const noexcept { return temp_; }
  const std::filesystem::path& final_path() const noexcept { return final_; }

 private:
  std::filesystem::path final_;
  std::filesystem::path temp_;
  int fd_ = -1;
  bool committed_ = false;
};

// A file descriptor closed on destruction.
class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  ~UniqueFd();
  UniqueFd(UniqueFd&& other) noexcept : fd_(other.release()) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept;
  int get() const noexcept { return fd_; }
  int release() noexcept { int fd = fd_; fd_ = -1; return fd; }
  explicit operator bool() const noexcept { return fd_ >= 0; }

 private:
  int fd_ = -1;
};

UniqueFd open_for_reading(const std::filesystem::path& path);

// Reads up to `size` bytes, retrying on EINTR; returns 0 at end of file.
std::size_t read_some(int fd, void* buffer, std::size_t size, const std::filesystem::path& name);
void write_all(int fd, const void* data, std::size_t size, const std::filesystem::path& name);

// "strerror(errno)" as a std::string.
std::string errno_text(int err);

}  // namespace acuctl
