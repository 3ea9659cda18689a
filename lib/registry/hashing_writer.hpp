// Writes a download to its pending file and hashes it on a second thread, so
// SHA-256 and disk writes overlap the network transfer (bounded memory: a few
// small buffers).
#pragma once
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <exception>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "acuctl/files.hpp"
#include "acuctl/sha256.hpp"

namespace acuctl {

class HashingWriter {
 public:
  // `writeback`: start writing dirty pages to disk as the download goes (for
  // outputs that are fsynced at the end, so the fsync has little left to do).
  HashingWriter(PendingFile& out, bool writeback);
  ~HashingWriter();
  HashingWriter(const HashingWriter&) = delete;
  HashingWriter& operator=(const HashingWriter&) = delete;

  void append(const char* data, std::size_t size);
  // Waits for everything written so far, then empties the file and the hash.
  void restart();
  // Waits for everything, returns "sha256:<hex>" of all bytes appended since
  // the last restart. Re-throws a write error of the worker.
  std::string finish();

 private:
  struct Buffer {
    std::vector<char> data;
    std::size_t used = 0;
  };
  void submit_current();
  void drain();
  void worker();

  PendingFile& out_;
  Sha256 hash_;
  std::uint64_t written_ = 0;
  std::uint64_t flushed_ = 0;
  bool writeback_ = false;
  std::vector<Buffer> buffers_;
  std::deque<Buffer*> free_;
  std::deque<Buffer*> full_;
  Buffer* current_ = nullptr;
  std::size_t in_flight_ = 0;
  bool stop_ = false;
  std::exception_ptr error_;
  std::mutex mutex_;
  std::condition_variable cv_;
  std::thread thread_;
};

}  // namespace acuctl
