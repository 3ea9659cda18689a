// The download writer: writes on the caller's thread, hashes behind it on a
// worker that reads the bytes back from the page cache.
//
// Why this shape (measured with tests/bench/registry.sh on 2 cores, where the
// registry itself keeps most of one core busy): hashing inline makes the
// network thread do recv + SHA-256 + write serially (~0.6 of curl's rate);
// handing 128 KiB buffers to a hash-and-write thread cost futex ping-pong and
// cross-core copies (~0.7). Writing inline leaves the network thread exactly
// curl's work, and the worker's read-back is from the page cache, in L2/L3
// (0.74-0.81 of curl, medians of 5 rounds). Hashing straight from an mmap of
// the file instead of pread measured no faster.
#include "registry/hashing_writer.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

#include "acuctl/error.hpp"

namespace acuctl {
namespace {
// The worker reads and hashes in slices that stay in L2 between the read and
// the hash.
constexpr std::size_t kReadSize = 256 << 10;
// Wake the worker when this much is waiting, not on every small write.
constexpr std::uint64_t kSignalEvery = 512 << 10;
constexpr std::uint64_t kWriteback = 8 << 20;
}  // namespace

HashingWriter::HashingWriter(PendingFile& out, bool writeback)
    : out_(out), buffer_(kReadSize), writeback_(writeback) {
  thread_ = std::thread([this] { worker(); });
}

HashingWriter::~HashingWriter() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  work_cv_.notify_all();
  thread_.join();
}

void HashingWriter::worker() {
  std::unique_lock lock(mutex_);
  for (;;) {
    worker_waiting_ = true;
    work_cv_.wait(lock, [this] { return stop_ || (!error_ && written_ > hashed_); });
    worker_waiting_ = false;
    if (stop_) return;
    const std::uint64_t from = hashed_;
    const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(written_ - from, buffer_.size()));
    lock.unlock();
    ssize_t got;
    do {
      got = ::pread(out_.fd(), buffer_.data(), n, static_cast<off_t>(from));
    } while (got < 0 && errno == EINTR);
    int err = errno;
    if (got > 0) hash_.update(buffer_.data(), static_cast<std::size_t>(got));
    lock.lock();
    if (got > 0) {
      hashed_ += static_cast<std::uint64_t>(got);
    } else {
      try {
        fail("cannot read back '" + out_.final_path().string() + "' to verify it: " +
             (got == 0 ? std::string("the file is shorter than what was written") : errno_text(err)));
      } catch (...) {
        error_ = std::current_exception();
      }
    }
    if (caller_waiting_) done_cv_.notify_all();
  }
}

void HashingWriter::append(const char* data, std::size_t size) {
  if (size == 0) return;
  out_.write(data, size);
  std::uint64_t written;
  bool wake = false;
  {
    std::lock_guard lock(mutex_);
    if (error_) std::rethrow_exception(error_);
    written_ += size;
    written = written_;
    if (worker_waiting_ && written_ - announced_ >= kSignalEvery) {
      announced_ = written_;
      wake = true;
    }
  }
  if (wake) work_cv_.notify_one();
  // Start writeback as we go, so the fsync before the rename has little left
  // to do instead of stalling on the whole file at the end.
  if (writeback_ && written - flushed_ >= kWriteback) {
    ::sync_file_range(out_.fd(), static_cast<off_t>(flushed_), static_cast<off_t>(written - flushed_),
                      SYNC_FILE_RANGE_WRITE);
    flushed_ = written;
  }
}

void HashingWriter::catch_up() {
  std::unique_lock lock(mutex_);
  announced_ = written_;
  caller_waiting_ = true;
  work_cv_.notify_one();
  done_cv_.wait(lock, [this] { return error_ || hashed_ == written_; });
  caller_waiting_ = false;
  if (error_) std::rethrow_exception(error_);
}

void HashingWriter::restart() {
  catch_up();
  if (::ftruncate(out_.fd(), 0) != 0 || ::lseek(out_.fd(), 0, SEEK_SET) != 0)
    fail("cannot rewind '" + out_.final_path().string() + "': " + errno_text(errno));
  std::lock_guard lock(mutex_);
  hash_ = Sha256();
  written_ = hashed_ = announced_ = flushed_ = 0;
}

std::string HashingWriter::finish() {
  catch_up();
  return "sha256:" + hash_.finish_hex();
}

}  // namespace acuctl
