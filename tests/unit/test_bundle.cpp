// Bundles: packaging, verification, extraction, and hostile archives.
#include <archive.h>
#include <archive_entry.h>
#include <doctest/doctest.h>

#include <fstream>

#include "acuctl/bundle.hpp"
#include "acuctl/contract.hpp"
#include "acuctl/error.hpp"
#include "acuctl/files.hpp"
#include "acuctl/sha256.hpp"
#include "test_support.hpp"

using namespace acuctl;
namespace fs = std::filesystem;

namespace {

struct Entry {
  Entry(std::string p, std::string c, int t = AE_IFREG, std::string l = {}, bool h = false)
      : path(std::move(p)), content(std::move(c)), type(t), link(std::move(l)), hardlink(h) {}
  std::string path;
  std::string content;
  int type;
  std::string link;  // symlink target
  bool hardlink;     // `link` names a hard link target
};

void write_tar(const fs::path& out, const std::vector<Entry>& entries, bool zstd = true) {
  archive* a = archive_write_new();
  archive_write_set_format_pax_restricted(a);
  if (zstd) archive_write_add_filter_zstd(a);
  REQUIRE(archive_write_open_filename(a, out.c_str()) == ARCHIVE_OK);
  for (const auto& e : entries) {
    archive_entry* ae = archive_entry_new();
    archive_entry_set_pathname(ae, e.path.c_str());
    archive_entry_set_filetype(ae, static_cast<unsigned>(e.type));
    archive_entry_set_perm(ae, 0644);
    if (e.hardlink) archive_entry_set_hardlink(ae, e.link.c_str());
    else if (e.type == AE_IFLNK) archive_entry_set_symlink(ae, e.link.c_str());
    archive_entry_set_size(ae, e.type == AE_IFREG && !e.hardlink ? static_cast<la_int64_t>(e.content.size()) : 0);
    REQUIRE(archive_write_header(a, ae) == ARCHIVE_OK);
    if (e.type == AE_IFREG && !e.hardlink) archive_write_data(a, e.content.data(), e.content.size());
    archive_entry_free(ae);
  }
  archive_write_close(a);
  archive_write_free(a);
}

// A signed bundle's parts, so tests can rebuild it with one thing wrong.
struct Parts {
  test::TempDir dir;
  std::optional<PrivateKey> key;
  std::vector<PublicKey> trusted;
  std::string model = "model-bytes-0123456789";
  std::string example = R"({"inputs": []})";
  std::string descriptor;

  Parts() {
    generate_key_pair(dir.path() / "k", false);
    key = PrivateKey::load(dir.path() / "k");
    trusted.push_back(PublicKey::load(dir.path() / "k.pub"));
    descriptor = R"({"name": "m", "version": "1", "runtime": "native", "model": "m.so", "example": "ex.json",
      "inputs": [{"name": "x", "datatype": "FP32", "shape": [-1, 2]}],
      "outputs": [{"name": "y", "datatype": "FP32", "shape": [-1]}]})";
  }

  Manifest manifest() const {
    Manifest m;
    m.descriptor = parse_descriptor_text(descriptor, "t");
    m.schema = contract::bundle_schema;
    m.created = "2026-01-01T00:00:00Z";
    m.files = {{"model/ex.json", example.size(), sha256_hex(example)},
               {"model/m.so", model.size(), sha256_hex(model)},
               {"model/model.json", descriptor.size(), sha256_hex(descriptor)}};
    m.key_id = key->key_id();
    return m;
  }

  // The entries of a correct bundle.
  std::vector<Entry> entries() const {
    std::string mbytes = serialize_manifest(manifest());
    return {{"manifest.json", mbytes}, {"manifest.sig", key->sign(mbytes)}, {"model/ex.json", example},
            {"model/m.so", model}, {"model/model.json", descriptor}};
  }

  fs::path write(const std::vector<Entry>& e, const std::string& name = "b.acu") const {
    fs::path p = dir.path() / name;
    fs::remove(p);
    write_tar(p, e);
    return p;
  }

  std::string verify_error(const std::vector<Entry>& e, bool extract = false) const {
    fs::path p = write(e);
    ReadOptions ro;
    ro.trusted = &trusted;
    fs::path dest = dir.path() / "out";
    fs::remove_all(dest);
    if (extract) ro.extract_to = dest;
    try {
      verify_bundle(p, ro);
    } catch (const Error& err) {
      CHECK(err.exit() == Exit::verification);
      CHECK_FALSE(fs::exists(dest));
      return err.what();
    }
    return "";
  }
};

}  // namespace

TEST_CASE("a well-formed bundle verifies and extracts") {
  Parts p;
  CHECK(p.verify_error(p.entries()) == "");
  fs::path b = p.write(p.entries());
  ReadOptions ro;
  ro.trusted = &p.trusted;
  ro.extract_to = p.dir.path() / "unpacked";
  BundleInfo info = verify_bundle(b, ro);
  CHECK(info.trusted_key == p.key->key_id());
  CHECK(info.bundle.digest == "sha256:" + sha256_file(b).hex);
  CHECK(read_file(p.dir.path() / "unpacked" / "m.so") == p.model);
  CHECK(read_file(p.dir.path() / "unpacked" / "model.json") == p.descriptor);
}

TEST_CASE("hostile and damaged bundles are refused, naming the entry and reason") {
  Parts p;
  auto with = [&](auto change) {
    auto e = p.entries();
    change(e);
    return p.verify_error(e, true);
  };
  auto contains = [](const std::string& haystack, const std::string& needle) {
    CAPTURE(haystack);
    CHECK(haystack.find(needle) != std::string::npos);
  };
  contains(with([](auto& e) { e[3].content[0] ^= 1; }), "entry 'model/m.so' does not match its sha256 digest");
  contains(with([](auto& e) { e[3].content += "x"; }), "entry 'model/m.so' is 23 bytes, the manifest says 22");
  contains(with([](auto& e) { e.erase(e.begin() + 3); }), "entry 'model/m.so' is listed in the manifest but missing");
  contains(with([](auto& e) { e.push_back({"model/extra", "x"}); }), "entry 'model/extra' is not listed in the manifest");
  contains(with([](auto& e) { e.push_back(e[3]); }), "entry 'model/m.so' appears twice");
  contains(with([](auto& e) { e.push_back({"manifest.json", "{}"}); }), "entry 'manifest.json' appears twice");
  contains(with([](auto& e) { e.push_back({"../x", "x"}); }), "entry '../x' escapes the bundle");
  contains(with([](auto& e) { e.push_back({"model/../../x", "x"}); }), "escapes the bundle");
  contains(with([](auto& e) { e.push_back({"/x", "x"}); }), "entry '/x' is an absolute path");
  contains(with([](auto& e) { e.push_back({"model/./x", "x"}); }), "not a canonical relative path");
  contains(with([](auto& e) { e.push_back({"other/x", "x"}); }), "entry 'other/x' is outside model/");
  contains(with([](auto& e) { e.push_back({"model/link", "", AE_IFLNK, "/etc/passwd"}); }),
           "entry 'model/link' is a symbolic link");
  contains(with([](auto& e) { e.push_back({"model/hard", "", AE_IFREG, "model/m.so", true}); }),
           "entry 'model/hard' is a hard link");
  contains(with([](auto& e) { e.push_back({"model/dev", "", AE_IFCHR}); }), "entry 'model/dev' is a character device");
  contains(with([](auto& e) { e.push_back({"model/fifo", "", AE_IFIFO}); }), "entry 'model/fifo' is a FIFO");
  contains(with([](auto& e) { std::swap(e[0], e[2]); }), "the first entry is 'model/ex.json'");
  contains(with([](auto& e) { e[0].content.insert(1, " "); }), "does not verify with the trusted key");
  contains(with([](auto& e) { e.erase(e.begin() + 1); }), "it is not signed");
  contains(with([](auto& e) { e[0].content = "{\"name\": "; }), "manifest.json is not valid JSON");
  contains(with([](auto& e) { e.clear(); }), "the archive is empty");
}

TEST_CASE("a manifest signed by another key is refused") {
  Parts p, other;
  auto e = p.entries();
  e[1].content = other.key->sign(e[0].content);
  CHECK(p.verify_error(e).find("does not verify with the trusted key") != std::string::npos);
}

TEST_CASE("a manifest that lies about its files is refused before anything is written") {
  Parts p;
  Manifest m = p.manifest();
  m.files.push_back({"model/../escape", 1, std::string(64, 'a')});
  std::string bytes = serialize_manifest(m);
  auto e = p.entries();
  e[0].content = bytes;
  e[1].content = p.key->sign(bytes);
  CHECK(p.verify_error(e, true).find("is not a safe path under model/") != std::string::npos);
}

TEST_CASE("the unpack limit is enforced") {
  Parts p;
  fs::path b = p.write(p.entries());
  ReadOptions ro;
  ro.unpack_limit = 10;
  CHECK_THROWS_WITH_AS(verify_bundle(b, ro), doctest::Contains("over the limit of 10"), Error);
}

TEST_CASE("garbage and truncated files are refused") {
  Parts p;
  fs::path g = p.dir.path() / "garbage.acu";
  write_file_atomic(g, std::string(3000, 'z'));
  CHECK_THROWS_AS(verify_bundle(g, {}), Error);
  fs::path b = p.write(p.entries());
  std::string whole = read_file(b);
  write_file_atomic(b, whole.substr(0, whole.size() / 2));
  CHECK_THROWS_AS(verify_bundle(b, {}), Error);
}

TEST_CASE("package_project writes a bundle that verifies; failures leave no file") {
  test::TempDir dir;
  fs::path proj = dir.path() / "proj";
  fs::create_directories(proj / "sub");
  std::ofstream(proj / "model.json") << R"({"name": "m", "version": "1", "runtime": "native", "model": "sub/m.so",
      "inputs": [{"name": "x", "datatype": "FP32", "shape": [-1, 2]}],
      "outputs": [{"name": "y", "datatype": "FP32", "shape": [-1]}]})";
  std::ofstream(proj / "sub" / "m.so") << "binary";
  std::ofstream(proj / ".hidden") << "not packaged";
  generate_key_pair(dir.path() / "k", false);
  PrivateKey key = PrivateKey::load(dir.path() / "k");
  std::vector<PublicKey> trusted;
  trusted.push_back(PublicKey::load(dir.path() / "k.pub"));
  for (Compression c : {Compression::zstd, Compression::gzip, Compression::none}) {
    CAPTURE(compression_name(c));
    PackageOptions po;
    po.project = proj;
    po.output = proj / "out.acu";  // inside the project: must not package itself
    po.key = &key;
    po.compression = c;
    PackageResult r = package_project(po);
    CHECK(r.manifest.files.size() == 2);
    ReadOptions ro;
    ro.trusted = &trusted;
    BundleInfo info = verify_bundle(po.output, ro);
    CHECK(info.bundle.digest == r.bundle.digest);
    CHECK(info.manifest.files == r.manifest.files);
    fs::remove(po.output);
  }
  std::ofstream(proj / "model.json") << "{}";
  PackageOptions po;
  po.project = proj;
  po.output = dir.path() / "bad.acu";
  CHECK_THROWS_AS(package_project(po), Error);
  CHECK_FALSE(fs::exists(po.output));
  for (const auto& entry : fs::directory_iterator(dir.path()))
    CHECK(entry.path().filename().string().find(".tmp-") == std::string::npos);
}
