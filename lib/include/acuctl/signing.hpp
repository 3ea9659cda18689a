// ECDSA P-256 keys and signatures in the formats openssl and cosign use:
// PKCS#8 PEM private keys, SPKI PEM public keys, DER signatures over SHA-256.
#pragma once
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

namespace acuctl {

// Writes `path` (PKCS#8 PEM, mode 0600) and `path`.pub (SPKI PEM). Refuses to
// replace either unless `force`. Returns the key id.
std::string generate_key_pair(const std::filesystem::path& path, bool force);

class PrivateKey {
 public:
  static PrivateKey load(const std::filesystem::path& path);
  ~PrivateKey();
  PrivateKey(PrivateKey&&) noexcept;
  PrivateKey& operator=(PrivateKey&&) noexcept;
  std::string sign(std::string_view message) const;  // DER ECDSA over SHA-256
  const std::string& key_id() const noexcept { return key_id_; }

 private:
  struct Impl;
  PrivateKey(std::unique_ptr<Impl> impl, std::string key_id);
  std::unique_ptr<Impl> impl_;
  std::string key_id_;
};

class PublicKey {
 public:
  static PublicKey load(const std::filesystem::path& path);
  static PublicKey from_pem(std::string_view pem, const std::string& source);
  ~PublicKey();
  PublicKey(PublicKey&&) noexcept;
  PublicKey& operator=(PublicKey&&) noexcept;
  bool verify(std::string_view message, std::string_view der_signature) const;
  const std::string& key_id() const noexcept { return key_id_; }
  const std::string& source() const noexcept { return source_; }

 private:
  struct Impl;
  PublicKey(std::unique_ptr<Impl> impl, std::string key_id, std::string source);
  std::unique_ptr<Impl> impl_;
  std::string key_id_;
  std::string source_;
};

}  // namespace acuctl
