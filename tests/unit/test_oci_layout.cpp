// OCI image layout writing and reading (lib/registry/oci_layout.cpp): tags,
// verification of what is read, hostile index.json, two writers at once.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "acuctl/error.hpp"
#include "acuctl/files.hpp"
#include "acuctl/sha256.hpp"
#include "registry/internal.hpp"

using namespace acuctl;
namespace fs = std::filesystem;

namespace {

struct TempDir {
  fs::path path;
  TempDir() {
    std::string p = (fs::temp_directory_path() / "acuctl-test-oci.XXXXXX").string();
    REQUIRE(::mkdtemp(p.data()));
    path = p;
  }
  ~TempDir() { fs::remove_all(path); }
};

std::string digest_of(std::string_view s) { return "sha256:" + sha256_hex(s); }

Reference layout_ref(const fs::path& dir, const std::string& tag, const std::string& digest = {}) {
  Reference r;
  r.kind = ReferenceKind::oci_layout;
  r.path = dir;
  r.tag = tag;
  r.digest = digest;
  r.text = "oci:" + dir.string();
  return r;
}

std::vector<std::string> tags_of(const fs::path& dir) {
  auto j = nlohmann::json::parse(read_file(dir / "index.json"));
  std::vector<std::string> out;
  for (const auto& d : j["manifests"]) out.push_back(d["annotations"]["org.opencontainers.image.ref.name"]);
  return out;
}

}  // namespace

TEST_CASE("a tagged manifest is written as a valid layout and read back verified") {
  TempDir t;
  fs::path dir = t.path / "layout";
  std::string manifest = R"({"schemaVersion":2})";
  std::string d = digest_of(manifest);
  CHECK(oci_layout::put_blob_bytes(dir, manifest, d));
  CHECK_FALSE(oci_layout::put_blob_bytes(dir, manifest, d));  // already there
  oci_layout::tag_manifest(dir, d, manifest.size(), "v1");
  CHECK(read_file(dir / "oci-layout") == R"({"imageLayoutVersion":"1.0.0"})");
  CHECK(fs::is_directory(dir / "blobs" / "sha256"));
  auto index = nlohmann::json::parse(read_file(dir / "index.json"));
  CHECK(index["schemaVersion"] == 2);
  CHECK(index["manifests"].size() == 1);
  CHECK(index["manifests"][0]["digest"] == d);
  CHECK(index["manifests"][0]["size"] == manifest.size());

  auto r = oci_layout::resolve(layout_ref(dir, "v1"));
  CHECK(r.digest == d);
  CHECK(r.bytes == manifest);
  r = oci_layout::resolve(layout_ref(dir, ""));  // the only manifest
  CHECK(r.digest == d);
  r = oci_layout::resolve(layout_ref(dir, "", d));
  CHECK(r.bytes == manifest);
  CHECK_THROWS_AS(oci_layout::resolve(layout_ref(dir, "v2")), Error);
  CHECK_THROWS_AS(oci_layout::resolve(layout_ref(dir, "", digest_of("other"))), Error);
}

TEST_CASE("re-tagging moves the tag; other tags stay") {
  TempDir t;
  std::string a = "{\"a\":1}", b = "{\"b\":2}";
  oci_layout::put_blob_bytes(t.path, a, digest_of(a));
  oci_layout::put_blob_bytes(t.path, b, digest_of(b));
  oci_layout::tag_manifest(t.path, digest_of(a), a.size(), "v1");
  oci_layout::tag_manifest(t.path, digest_of(a), a.size(), "stable");
  oci_layout::tag_manifest(t.path, digest_of(b), b.size(), "v1");
  auto tags = tags_of(t.path);
  CHECK(tags.size() == 2);
  CHECK(oci_layout::resolve(layout_ref(t.path, "v1")).bytes == b);
  CHECK(oci_layout::resolve(layout_ref(t.path, "stable")).bytes == a);
}

TEST_CASE("a damaged blob or index is refused") {
  TempDir t;
  std::string m = "{\"m\":1}";
  std::string d = digest_of(m);
  oci_layout::put_blob_bytes(t.path, m, d);
  oci_layout::tag_manifest(t.path, d, m.size(), "v1");
  {
    std::ofstream(oci_layout::blob_path(t.path, d), std::ios::trunc) << "{\"m\":2}";
  }
  try {
    oci_layout::resolve(layout_ref(t.path, "v1"));
    FAIL("a tampered manifest was accepted");
  } catch (const Error& e) {
    CHECK(e.exit() == Exit::verification);
  }
  for (const char* bad : {"not json", "[]", R"({"manifests":{}})",
                          R"({"manifests":[{"digest":"sha256:zz","size":1,"annotations":{"org.opencontainers.image.ref.name":"v1"}}]})",
                          R"({"manifests":[{"digest":"sha256:0000000000000000000000000000000000000000000000000000000000000000","size":-1,"annotations":{"org.opencontainers.image.ref.name":"v1"}}]})",
                          R"({"manifests":[{"digest":"sha256:0000000000000000000000000000000000000000000000000000000000000000","size":99999999999,"annotations":{"org.opencontainers.image.ref.name":"v1"}}]})"}) {
    write_file_atomic(t.path / "index.json", bad);
    CHECK_THROWS_AS(oci_layout::resolve(layout_ref(t.path, "v1")), Error);
  }
  fs::remove(t.path / "oci-layout");
  CHECK_THROWS_AS(oci_layout::resolve(layout_ref(t.path, "v1")), Error);
  CHECK_THROWS_AS(oci_layout::resolve(layout_ref(t.path / "missing", "v1")), Error);
}

TEST_CASE("two writers at once lose no tag") {
  TempDir t;
  constexpr int kPerWriter = 40;
  auto writer = [&](int id) {
    for (int i = 0; i < kPerWriter; ++i) {
      std::string m = "{\"writer\":" + std::to_string(id) + ",\"i\":" + std::to_string(i) + "}";
      std::string d = digest_of(m);
      oci_layout::put_blob_bytes(t.path, m, d);
      oci_layout::tag_manifest(t.path, d, m.size(), "w" + std::to_string(id) + "-" + std::to_string(i));
    }
  };
  std::thread a(writer, 1), b(writer, 2);
  a.join();
  b.join();
  CHECK(tags_of(t.path).size() == 2 * kPerWriter);
  for (int id : {1, 2})
    for (int i = 0; i < kPerWriter; ++i)
      CHECK_NOTHROW(oci_layout::resolve(layout_ref(t.path, "w" + std::to_string(id) + "-" + std::to_string(i))));
  // No temporary files are left among the blobs.
  for (const auto& e : fs::directory_iterator(t.path / "blobs" / "sha256"))
    CHECK(e.path().filename().string().front() != '.');
}

TEST_CASE("blob files are copied verified") {
  TempDir t;
  fs::path src = t.path / "src.bin";
  std::string content(300000, 'x');
  write_file_atomic(src, content);
  std::string d = digest_of(content);
  std::uint64_t last = 0;
  CHECK(oci_layout::put_blob_file(t.path / "l", src, d, content.size(), [&](std::uint64_t done, std::uint64_t) { last = done; }));
  CHECK(last == content.size());
  CHECK(read_file(oci_layout::blob_path(t.path / "l", d)) == content);
  CHECK_FALSE(oci_layout::put_blob_file(t.path / "l", src, d, content.size(), nullptr));
  // A source that does not match the digest it is stored under is refused and leaves nothing.
  std::string wrong = digest_of("other");
  CHECK_THROWS_AS(oci_layout::put_blob_file(t.path / "l", src, wrong, content.size(), nullptr), Error);
  CHECK_FALSE(fs::exists(oci_layout::blob_path(t.path / "l", wrong)));
}
