// ECDSA P-256 keys and signatures with OpenSSL 3.
#include "acuctl/signing.hpp"

#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <sys/stat.h>

#include <cstring>

#include "acuctl/error.hpp"
#include "acuctl/files.hpp"
#include "acuctl/sha256.hpp"

namespace acuctl {
namespace fs = std::filesystem;

namespace {
struct PkeyFree { void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); } };
struct BioFree { void operator()(BIO* b) const { BIO_free(b); } };
struct MdCtxFree { void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); } };
using Pkey = std::unique_ptr<EVP_PKEY, PkeyFree>;
using Bio = std::unique_ptr<BIO, BioFree>;
using MdCtx = std::unique_ptr<EVP_MD_CTX, MdCtxFree>;

std::string openssl_error() {
  unsigned long code = ERR_get_error();
  ERR_clear_error();
  if (code == 0) return "unknown OpenSSL error";
  char buf[256];
  ERR_error_string_n(code, buf, sizeof buf);
  return buf;
}

std::string bio_string(BIO* bio) {
  char* data = nullptr;
  long len = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<std::size_t>(len));
}

std::string key_id_of(EVP_PKEY* pkey) {
  unsigned char* der = nullptr;
  int len = i2d_PUBKEY(pkey, &der);
  if (len <= 0) fail("cannot encode public key: " + openssl_error());
  std::string id = "sha256:" + sha256_hex(std::string_view(reinterpret_cast<char*>(der), static_cast<std::size_t>(len)));
  OPENSSL_free(der);
  return id;
}

void require_p256(EVP_PKEY* pkey, const std::string& source) {
  char group[64] = {0};
  std::size_t len = 0;
  if (!EVP_PKEY_is_a(pkey, "EC") ||
      EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group, &len) != 1 ||
      (std::strcmp(group, "prime256v1") != 0 && std::strcmp(group, "P-256") != 0))
    fail_usage("key '" + source + "' is not an ECDSA P-256 key", "create one with 'acuctl keygen -o KEY'");
}
}  // namespace

std::string generate_key_pair(const fs::path& path, bool force) {
  fs::path pub = path;
  pub += ".pub";
  std::error_code ec;
  if (!force) {
    for (const auto& p : {path, pub})
      if (fs::exists(fs::symlink_status(p, ec)))
        fail("refusing to overwrite existing key '" + p.string() + "'", "pass --force to replace it");
  }
  Pkey pkey(EVP_EC_gen("P-256"));
  if (!pkey) fail("cannot generate key: " + openssl_error());
  Bio priv(BIO_new(BIO_s_mem())), pubbio(BIO_new(BIO_s_mem()));
  // PEM_write_bio_PrivateKey writes PKCS#8 ("BEGIN PRIVATE KEY") in OpenSSL 3.
  if (PEM_write_bio_PrivateKey(priv.get(), pkey.get(), nullptr, nullptr, 0, nullptr, nullptr) != 1 ||
      PEM_write_bio_PUBKEY(pubbio.get(), pkey.get()) != 1)
    fail("cannot encode key: " + openssl_error());
  std::string priv_pem = bio_string(priv.get());
  write_file_atomic(path, priv_pem, 0600);
  ::chmod(path.c_str(), 0600);  // umask may have narrowed it further; never wider
  write_file_atomic(pub, bio_string(pubbio.get()), 0644);
  return key_id_of(pkey.get());
}

struct PrivateKey::Impl { Pkey pkey; };
PrivateKey::PrivateKey(std::unique_ptr<Impl> impl, std::string key_id)
    : impl_(std::move(impl)), key_id_(std::move(key_id)) {}
PrivateKey::~PrivateKey() = default;
PrivateKey::PrivateKey(PrivateKey&&) noexcept = default;
PrivateKey& PrivateKey::operator=(PrivateKey&&) noexcept = default;

PrivateKey PrivateKey::load(const fs::path& path) {
  std::string pem = read_file(path, 1 << 20);
  Bio bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  Pkey pkey(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
  if (!pkey) fail_usage("cannot read private key '" + path.string() + "': not a PEM private key (" + openssl_error() + ")");
  require_p256(pkey.get(), path.string());
  auto impl = std::make_unique<Impl>();
  std::string id = key_id_of(pkey.get());
  impl->pkey = std::move(pkey);
  return PrivateKey(std::move(impl), std::move(id));
}

std::string PrivateKey::sign(std::string_view message) const {
  MdCtx ctx(EVP_MD_CTX_new());
  std::size_t len = 0;
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, impl_->pkey.get()) != 1 ||
      EVP_DigestSign(ctx.get(), nullptr, &len, reinterpret_cast<const unsigned char*>(message.data()), message.size()) != 1)
    fail("cannot sign: " + openssl_error());
  std::string sig(len, '\0');
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &len,
                     reinterpret_cast<const unsigned char*>(message.data()), message.size()) != 1)
    fail("cannot sign: " + openssl_error());
  sig.resize(len);
  return sig;
}

struct PublicKey::Impl { Pkey pkey; };
PublicKey::PublicKey(std::unique_ptr<Impl> impl, std::string key_id, std::string source)
    : impl_(std::move(impl)), key_id_(std::move(key_id)), source_(std::move(source)) {}
PublicKey::~PublicKey() = default;
PublicKey::PublicKey(PublicKey&&) noexcept = default;
PublicKey& PublicKey::operator=(PublicKey&&) noexcept = default;

PublicKey PublicKey::from_pem(std::string_view pem, const std::string& source) {
  Bio bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  Pkey pkey(PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr));
  if (!pkey) fail_usage("cannot read public key '" + source + "': not a PEM public key (" + openssl_error() + ")",
                        "pass the .pub file written by 'acuctl keygen'");
  require_p256(pkey.get(), source);
  auto impl = std::make_unique<Impl>();
  std::string id = key_id_of(pkey.get());
  impl->pkey = std::move(pkey);
  return PublicKey(std::move(impl), std::move(id), source);
}

PublicKey PublicKey::load(const fs::path& path) { return from_pem(read_file(path, 1 << 20), path.string()); }

bool PublicKey::verify(std::string_view message, std::string_view sig) const {
  MdCtx ctx(EVP_MD_CTX_new());
  if (!ctx || EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha256(), nullptr, impl_->pkey.get()) != 1) {
    ERR_clear_error();
    return false;
  }
  int rc = EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(sig.data()), sig.size(),
                            reinterpret_cast<const unsigned char*>(message.data()), message.size());
  ERR_clear_error();
  return rc == 1;
}

}  // namespace acuctl
