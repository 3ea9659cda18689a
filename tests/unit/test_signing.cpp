// Key generation, signing and verification (ECDSA P-256, PEM, DER).
#include <doctest/doctest.h>
#include <sys/stat.h>

#include "acuctl/error.hpp"
#include "acuctl/files.hpp"
#include "acuctl/signing.hpp"
#include "test_support.hpp"

using namespace acuctl;

TEST_CASE("keygen writes PKCS#8 and SPKI PEM with a private mode and refuses to overwrite") {
  test::TempDir dir;
  auto key = dir.path() / "k";
  std::string id = generate_key_pair(key, false);
  CHECK(id.rfind("sha256:", 0) == 0);
  CHECK(read_file(key).rfind("-----BEGIN PRIVATE KEY-----", 0) == 0);
  CHECK(read_file(dir.path() / "k.pub").rfind("-----BEGIN PUBLIC KEY-----", 0) == 0);
  struct stat st {};
  REQUIRE(::stat(key.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  CHECK_THROWS_WITH_AS(generate_key_pair(key, false), doctest::Contains("refusing to overwrite"), Error);
  std::string id2 = generate_key_pair(key, true);
  CHECK(id2 != id);
}

TEST_CASE("signatures verify with the matching public key only") {
  test::TempDir dir;
  generate_key_pair(dir.path() / "a", false);
  generate_key_pair(dir.path() / "b", false);
  PrivateKey a = PrivateKey::load(dir.path() / "a");
  PublicKey a_pub = PublicKey::load(dir.path() / "a.pub");
  PublicKey b_pub = PublicKey::load(dir.path() / "b.pub");
  CHECK(a.key_id() == a_pub.key_id());
  CHECK(a.key_id() != b_pub.key_id());
  std::string sig = a.sign("hello");
  CHECK(sig.size() >= 8);
  CHECK(static_cast<unsigned char>(sig[0]) == 0x30);  // DER SEQUENCE
  CHECK(a_pub.verify("hello", sig));
  CHECK_FALSE(a_pub.verify("hellp", sig));
  CHECK_FALSE(b_pub.verify("hello", sig));
  CHECK_FALSE(a_pub.verify("hello", ""));
  CHECK_FALSE(a_pub.verify("hello", std::string(72, '\x30')));
}

TEST_CASE("non-keys and other key types are refused with a clear error") {
  test::TempDir dir;
  write_file_atomic(dir.path() / "junk", "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n");
  CHECK_THROWS_WITH_AS(PublicKey::load(dir.path() / "junk"), doctest::Contains("not a PEM public key"), Error);
  CHECK_THROWS_WITH_AS(PrivateKey::load(dir.path() / "junk"), doctest::Contains("not a PEM private key"), Error);
  // An Ed25519 key (from openssl genpkey) is not P-256.
  const char* ed25519 =
      "-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEAw1DQ0j8D77T3ujRhIh7IllZ3kGlQFWWdug4k3IGhlSQ=\n-----END PUBLIC KEY-----\n";
  CHECK_THROWS_WITH_AS(PublicKey::from_pem(ed25519, "ed"), doctest::Contains("not an ECDSA P-256 key"), Error);
  CHECK_THROWS_AS(PublicKey::load(dir.path() / "missing"), Error);
}
