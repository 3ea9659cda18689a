// SHA-256 through OpenSSL's EVP interface (uses the CPU's SHA extensions).
#include "acuctl/sha256.hpp"

#include <openssl/evp.h>

#include "acuctl/error.hpp"
#include "acuctl/files.hpp"

namespace acuctl {

struct Sha256::Impl {
  EVP_MD_CTX* ctx = nullptr;
  ~Impl() { EVP_MD_CTX_free(ctx); }
};

Sha256::Sha256() : impl_(std::make_unique<Impl>()) {
  impl_->ctx = EVP_MD_CTX_new();
  if (!impl_->ctx || EVP_DigestInit_ex(impl_->ctx, EVP_sha256(), nullptr) != 1)
    fail("cannot initialise SHA-256");
}
Sha256::~Sha256() = default;
Sha256::Sha256(Sha256&&) noexcept = default;
Sha256& Sha256::operator=(Sha256&&) noexcept = default;

void Sha256::update(const void* data, std::size_t size) {
  if (size > 0 && EVP_DigestUpdate(impl_->ctx, data, size) != 1) fail("SHA-256 update failed");
}

std::array<std::uint8_t, 32> Sha256::finish() {
  std::array<std::uint8_t, 32> out{};
  unsigned int len = 0;
  if (EVP_DigestFinal_ex(impl_->ctx, out.data(), &len) != 1 || len != 32) fail("SHA-256 final failed");
  return out;
}

std::string Sha256::finish_hex() {
  auto d = finish();
  return to_hex(d.data(), d.size());
}

std::string to_hex(const std::uint8_t* data, std::size_t size) {
  static const char digits[] = "0123456789abcdef";
  std::string out(size * 2, '0');
  for (std::size_t i = 0; i < size; ++i) {
    out[2 * i] = digits[data[i] >> 4];
    out[2 * i + 1] = digits[data[i] & 15];
  }
  return out;
}

std::string sha256_hex(std::string_view data) {
  Sha256 h;
  h.update(data);
  return h.finish_hex();
}

FileDigest sha256_file(const std::filesystem::path& path) {
  UniqueFd fd = open_for_reading(path);
  Sha256 h;
  FileDigest out;
  std::string buf(1 << 20, '\0');
  for (;;) {
    std::size_t n = read_some(fd.get(), buf.data(), buf.size(), path);
    if (n == 0) break;
    h.update(buf.data(), n);
    out.size += n;
  }
  out.hex = h.finish_hex();
  return out;
}

bool is_sha256_hex(std::string_view hex) {
  if (hex.size() != 64) return false;
  for (char c : hex)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

bool is_sha256_digest(std::string_view digest) {
  return digest.size() == 71 && digest.substr(0, 7) == "sha256:" && is_sha256_hex(digest.substr(7));
}

}  // namespace acuctl
