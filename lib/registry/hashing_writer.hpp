// Writes a download to its pending file on the caller's (network) thread, as
// curl does, while a second thread reads the written bytes back from the page
// cache and hashes them a little behind. The network thread does no more per
// byte than curl, the SHA-256 runs on the other core, and no buffers change
// hands between threads (memory stays bounded: one read buffer).
#pragma once
#include <condition_variable>
#include <cstdint>
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
  // `out` must be open for reading too (PendingFile is).
  HashingWriter(PendingFile& out, bool writeback);
  ~HashingWriter();
  HashingWriter(const HashingWriter&) = delete;
  HashingWriter& operator=(const HashingWriter&) = delete;

  void append(const char* data, std::size_t size);
  // Waits for the hash to catch up, then empties the file and the hash.
  void restart();
  // Waits for the hash to catch up, returns "sha256:<hex>" of all bytes
  // appended since the last restart. Re-throws a read error of the worker.
  std::string finish();

 private:
  void catch_up();
  void worker();

  PendingFile& out_;
  Sha256 hash_;                 // touched by the worker only, or after catch_up()
  std::vector<char> buffer_;    // the worker's read buffer
  std::uint64_t written_ = 0;   // bytes in the file (guarded by mutex_)
  std::uint64_t hashed_ = 0;    // bytes hashed (guarded by mutex_)
  std::uint64_t announced_ = 0; // written_ as last signalled to the worker
  std::uint64_t flushed_ = 0;   // caller thread only
  bool writeback_ = false;
  bool worker_waiting_ = false;
  bool caller_waiting_ = false;
  bool stop_ = false;
  std::exception_ptr error_;
  std::mutex mutex_;
  std::condition_variable work_cv_;
  std::condition_variable done_cv_;
  std::thread thread_;
};

}  // namespace acuctl
