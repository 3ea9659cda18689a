// The download writer: hashing and writing on a worker thread.
#include "registry/hashing_writer.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "acuctl/error.hpp"

namespace acuctl {
namespace {
// Small buffers stay in the CPU caches between the copy on the network thread
// and the hash and write on the worker; 1 MiB ones cost measurably more.
constexpr std::size_t kBufferSize = 128 << 10;
constexpr std::size_t kBuffers = 8;
constexpr std::uint64_t kWriteback = 8 << 20;
}  // namespace

HashingWriter::HashingWriter(PendingFile& out, bool writeback) : out_(out), writeback_(writeback), buffers_(kBuffers) {
  for (auto& b : buffers_) {
    b.data.resize(kBufferSize);
    free_.push_back(&b);
  }
  thread_ = std::thread([this] { worker(); });
}

HashingWriter::~HashingWriter() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

void HashingWriter::worker() {
  std::unique_lock lock(mutex_);
  for (;;) {
    cv_.wait(lock, [this] { return stop_ || !full_.empty(); });
    // Stopping without finish() means the download failed: drop the rest.
    if (stop_) return;
    Buffer* b = full_.front();
    full_.pop_front();
    bool failed = error_ != nullptr;
    lock.unlock();
    if (!failed) {
      try {
        hash_.update(b->data.data(), b->used);
        out_.write(b->data.data(), b->used);
        written_ += b->used;
        // Start writeback as we go, so the fsync before the rename has little
        // left to do instead of stalling on the whole file at the end.
        if (writeback_ && written_ - flushed_ >= kWriteback) {
          ::sync_file_range(out_.fd(), static_cast<off_t>(flushed_), static_cast<off_t>(written_ - flushed_),
                            SYNC_FILE_RANGE_WRITE);
          flushed_ = written_;
        }
      } catch (...) {
        lock.lock();
        error_ = std::current_exception();
        lock.unlock();
      }
    }
    lock.lock();
    b->used = 0;
    free_.push_back(b);
    --in_flight_;
    cv_.notify_all();
  }
}

void HashingWriter::submit_current() {
  if (!current_) return;
  std::lock_guard lock(mutex_);
  full_.push_back(current_);
  ++in_flight_;
  current_ = nullptr;
  cv_.notify_all();
}

void HashingWriter::append(const char* data, std::size_t size) {
  while (size > 0) {
    if (!current_) {
      std::unique_lock lock(mutex_);
      cv_.wait(lock, [this] { return !free_.empty() || error_; });
      if (error_) std::rethrow_exception(error_);
      current_ = free_.front();
      free_.pop_front();
    }
    std::size_t n = std::min(size, current_->data.size() - current_->used);
    std::memcpy(current_->data.data() + current_->used, data, n);
    current_->used += n;
    data += n;
    size -= n;
    if (current_->used == current_->data.size()) submit_current();
  }
}

void HashingWriter::drain() {
  submit_current();
  std::unique_lock lock(mutex_);
  cv_.wait(lock, [this] { return in_flight_ == 0; });
  if (error_) std::rethrow_exception(error_);
}

void HashingWriter::restart() {
  drain();
  if (::ftruncate(out_.fd(), 0) != 0 || ::lseek(out_.fd(), 0, SEEK_SET) != 0)
    fail("cannot rewind '" + out_.final_path().string() + "': " + errno_text(errno));
  hash_ = Sha256();
  written_ = flushed_ = 0;
}

std::string HashingWriter::finish() {
  drain();
  return "sha256:" + hash_.finish_hex();
}

}  // namespace acuctl
