// Tests for lib/runner/bundle_cache.cpp: reference resolution, the cache
// layout and the trust policy.
#include <doctest/doctest.h>

#include <filesystem>

#include "acuctl/bundle.hpp"
#include "acuctl/bundle_cache.hpp"
#include "acuctl/error.hpp"
#include "acuctl/files.hpp"

using namespace acuctl;
using namespace acuctl::runner;
namespace fs = std::filesystem;

namespace {

struct TempDir {
  fs::path path;
  TempDir() {
    char tmpl[] = "/tmp/acuctl-cache-test.XXXXXX";
    path = ::mkdtemp(tmpl);
  }
  ~TempDir() { fs::remove_all(path); }
};

// An xgboost project from the template, packaged (signed with `key` if given).
fs::path package(const fs::path& dir, const PrivateKey* key) {
  fs::path project = dir / "proj";
  fs::create_directories(project);
  fs::path src = fs::path(ACUCTL_SOURCE_DIR) / "templates" / "xgboost";
  for (const char* f : {"model.json", "iris.json", "example.json"}) fs::copy_file(src / f, project / f);
  PackageOptions o;
  o.project = project;
  o.output = dir / (key ? "signed.acu" : "unsigned.acu");
  o.key = key;
  package_project(o);
  fs::remove_all(project);
  return o.output;
}

}  // namespace

TEST_CASE("references resolve to the cache by digest") {
  TempDir tmp;
  BundleCache cache(tmp.path / "state");
  fs::path bundle = package(tmp.path, nullptr);
  auto r = resolve_bundle(bundle.string(), cache);
  CHECK(r.digest.rfind("sha256:", 0) == 0);
  CHECK(r.path == cache.bundle_path(r.digest.substr(7)));
  CHECK(fs::exists(r.path));
  auto again = resolve_bundle(r.digest, cache);
  CHECK(again.path == r.path);
  CHECK_THROWS_WITH_AS(resolve_bundle("sha256:" + std::string(64, 'a'), cache),
                       doctest::Contains("no such bundle in the cache"), Error);
  CHECK_THROWS_AS(resolve_bundle("sha256:abc", cache), Error);
  CHECK_THROWS_WITH_AS(resolve_bundle((tmp.path / "nope.acu").string(), cache), doctest::Contains("no such file"), Error);
  CHECK_THROWS_AS(resolve_bundle("oci:/tmp/layout:1", cache), Error);
  // Any other file of the host is refused before it is read or copied.
  fs::path other = tmp.path / "passwd";
  fs::copy_file(bundle, other);
  CHECK_THROWS_WITH_AS(resolve_bundle(other.string(), cache), doctest::Contains("must be a .acu file"), Error);
  std::size_t cached = 0;
  for ([[maybe_unused]] const auto& e : fs::directory_iterator(cache.bundle_path("x").parent_path())) ++cached;
  CHECK(cached == 1);
}

TEST_CASE("uploaded bytes must match their digest") {
  TempDir tmp;
  BundleCache cache(tmp.path / "state");
  CHECK_THROWS_AS(cache.add_bytes("sha256:" + std::string(64, '0'), "abc"), Error);
  std::string abc = "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
  cache.add_bytes(abc, "abc");
  CHECK(read_file(cache.bundle_path(abc.substr(7))) == "abc");
}

TEST_CASE("only bundles signed by a trusted key load, unless unsigned is allowed") {
  TempDir tmp;
  generate_key_pair(tmp.path / "good.key", false);
  generate_key_pair(tmp.path / "other.key", false);
  PrivateKey good = PrivateKey::load(tmp.path / "good.key");
  fs::path signed_bundle = package(tmp.path, &good);
  fs::path unsigned_bundle = package(tmp.path, nullptr);
  BundleCache cache(tmp.path / "state");
  std::vector<std::string> warnings;
  Warn warn = [&](const std::string& w) { warnings.push_back(w); };

  TrustPolicy none;
  CHECK_THROWS_WITH_AS(load_model(signed_bundle.string(), cache, none, warn), doctest::Contains("no trusted key"), Error);

  TrustPolicy other;
  other.keys.push_back(PublicKey::load(tmp.path / "other.key.pub"));
  try {
    load_model(signed_bundle.string(), cache, other, warn);
    FAIL("an untrusted signature loaded");
  } catch (const Error& e) {
    CHECK(e.exit() == Exit::verification);
  }

  TrustPolicy trusted;
  trusted.keys.push_back(PublicKey::load(tmp.path / "good.key.pub"));
  auto model = load_model(signed_bundle.string(), cache, trusted, warn);
  CHECK(model->descriptor.name == "iris");
  CHECK(fs::exists(model->dir / "iris.json"));
  CHECK(warnings.empty());
  CHECK_THROWS_AS(load_model(unsigned_bundle.string(), cache, trusted, warn), Error);

  trusted.allow_unsigned = true;
  auto dev = load_model(unsigned_bundle.string(), cache, trusted, warn);
  CHECK(dev->runtime != nullptr);
  REQUIRE(warnings.size() == 1);
  CHECK(warnings[0].find("without a trusted signature") != std::string::npos);
}
