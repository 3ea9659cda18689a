// The download writer (lib/registry/hashing_writer.cpp): what it writes and
// hashes, whatever the piece sizes; restart; abandoning a failed download.
#include <doctest/doctest.h>

#include <filesystem>
#include <random>
#include <string>

#include "acuctl/files.hpp"
#include "acuctl/sha256.hpp"
#include "registry/hashing_writer.hpp"

using namespace acuctl;
namespace fs = std::filesystem;

namespace {
std::string random_bytes(std::size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::string s(n, '\0');
  for (auto& c : s) c = static_cast<char>(rng());
  return s;
}
}  // namespace

TEST_CASE("bytes appended in any piece size are written and hashed in order") {
  fs::path out = fs::temp_directory_path() / "acuctl-test-hw.bin";
  std::string data = random_bytes(3'000'001, 7);
  // (byte-by-byte is covered below on a small input)
  for (std::size_t piece : {1000UL, 16384UL, 131072UL, 131073UL, 1UL << 20, 3'000'001UL}) {
    PendingFile file(out);
    {
      HashingWriter w(file, piece % 2 == 0);
      for (std::size_t at = 0; at < data.size(); at += piece) w.append(data.data() + at, std::min(piece, data.size() - at));
      CHECK(w.finish() == "sha256:" + sha256_hex(data));
    }
    file.commit(false);
    CHECK(read_file(out) == data);
  }
  std::string small = random_bytes(1000, 3);
  PendingFile file(out);
  {
    HashingWriter w(file, false);
    for (char c : small) w.append(&c, 1);
    CHECK(w.finish() == "sha256:" + sha256_hex(small));
  }
  file.commit();
  CHECK(read_file(out) == small);
  fs::remove(out);
}

TEST_CASE("restart empties the file and the hash") {
  fs::path out = fs::temp_directory_path() / "acuctl-test-hw2.bin";
  std::string first = random_bytes(500'000, 1), second = random_bytes(700'000, 2);
  PendingFile file(out);
  {
    HashingWriter w(file, true);
    w.append(first.data(), first.size());
    w.restart();
    w.append(second.data(), second.size());
    CHECK(w.finish() == "sha256:" + sha256_hex(second));
  }
  file.commit();
  CHECK(read_file(out) == second);
  fs::remove(out);
}

TEST_CASE("an abandoned download leaves no file") {
  fs::path out = fs::temp_directory_path() / "acuctl-test-hw3.bin";
  std::string data = random_bytes(2'000'000, 5);
  {
    PendingFile file(out);
    HashingWriter w(file, false);
    w.append(data.data(), data.size());
    // no finish(), no commit(): as when verification fails mid-stream
  }
  CHECK_FALSE(fs::exists(out));
}
