// Streaming SHA-256 (OpenSSL EVP underneath, which uses the CPU's SHA
// extensions) and the "sha256:<hex>" digest form used everywhere.
#pragma once
#include <array>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

namespace acuctl {

class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(Sha256&&) noexcept;
  Sha256& operator=(Sha256&&) noexcept;
  void update(const void* data, std::size_t size);
  void update(std::string_view data) { update(data.data(), data.size()); }
  std::array<std::uint8_t, 32> finish();
  std::string finish_hex();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

std::string to_hex(const std::uint8_t* data, std::size_t size);
std::string sha256_hex(std::string_view data);

struct FileDigest {
  std::string hex;
  std::uint64_t size = 0;
};
FileDigest sha256_file(const std::filesystem::path& path);

// True for "sha256:" followed by 64 lowercase hex digits.
bool is_sha256_digest(std::string_view digest);
bool is_sha256_hex(std::string_view hex);

}  // namespace acuctl
