// OCI image layout directories (oci-layout, index.json, blobs/sha256/…):
// blobs land via temp + rename, index.json is updated under flock of the
// layout directory, so two writers at once cannot lose each other's tags.
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <vector>

#include <nlohmann/json.hpp>

#include "acuctl/contract.hpp"
#include "acuctl/error.hpp"
#include "acuctl/files.hpp"
#include "acuctl/sha256.hpp"
#include "registry/internal.hpp"

namespace acuctl::oci_layout {
namespace fs = std::filesystem;
namespace {

constexpr std::string_view kLayoutHeader = R"({"imageLayoutVersion":"1.0.0"})";

void ensure_directory(const fs::path& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) fail("cannot create OCI layout directory '" + dir.string() + "': " + ec.message());
}

// An exclusive flock on the layout directory itself (no lock file left behind).
class DirectoryLock {
 public:
  explicit DirectoryLock(const fs::path& dir) {
    fd_ = UniqueFd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!fd_) fail("cannot open OCI layout '" + dir.string() + "': " + errno_text(errno));
    while (::flock(fd_.get(), LOCK_EX) != 0) {
      if (errno != EINTR) fail("cannot lock OCI layout '" + dir.string() + "': " + errno_text(errno));
    }
  }
  ~DirectoryLock() { ::flock(fd_.get(), LOCK_UN); }
  DirectoryLock(const DirectoryLock&) = delete;
  DirectoryLock& operator=(const DirectoryLock&) = delete;

 private:
  UniqueFd fd_;
};

std::uint64_t file_size_or_max(const fs::path& p) {
  struct stat st {};
  if (::stat(p.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return UINT64_MAX;
  return static_cast<std::uint64_t>(st.st_size);
}

nlohmann::json read_index(const fs::path& dir) {
  fs::path index = dir / "index.json";
  std::error_code ec;
  if (!fs::exists(index, ec)) return nullptr;
  std::string text = read_file(index, kManifestLimit * 4);
  nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object())
    fail("cannot read OCI layout '" + dir.string() + "': index.json is not a JSON object");
  if (j.contains("manifests") && !j["manifests"].is_array())
    fail("cannot read OCI layout '" + dir.string() + "': index.json 'manifests' is not an array");
  return j;
}

std::string ref_name(const nlohmann::json& d) {
  if (!d.is_object()) return {};
  auto a = d.find("annotations");
  if (a == d.end() || !a->is_object()) return {};
  auto r = a->find(contract::annotation_ref_name);
  return r != a->end() && r->is_string() ? r->get<std::string>() : std::string();
}

}  // namespace

fs::path blob_path(const fs::path& dir, const std::string& digest) {
  return dir / "blobs" / "sha256" / digest.substr(7);
}

bool put_blob_file(const fs::path& dir, const fs::path& source, const std::string& digest, std::uint64_t size,
                   const ProgressFn& progress) {
  fs::path target = blob_path(dir, digest);
  ensure_directory(target.parent_path());
  if (file_size_or_max(target) == size) {
    if (progress) progress(size, size);
    return false;
  }
  PendingFile out(target, 0644);
  HashedCopy copy = copy_hashing(source, out, size, progress, size);
  if (copy.digest != digest || copy.size != size)
    fail("cannot copy '" + source.string() + "' into OCI layout '" + dir.string() + "': the file changed while it was copied");
  out.commit();
  return true;
}

bool put_blob_bytes(const fs::path& dir, std::string_view bytes, const std::string& digest) {
  fs::path target = blob_path(dir, digest);
  ensure_directory(target.parent_path());
  if (file_size_or_max(target) == bytes.size()) return false;
  write_file_atomic(target, bytes);
  return true;
}

void tag_manifest(const fs::path& dir, const std::string& manifest_digest, std::uint64_t size, const std::string& tag) {
  ensure_directory(dir / "blobs" / "sha256");
  DirectoryLock lock(dir);
  std::error_code ec;
  if (!fs::exists(dir / "oci-layout", ec)) write_file_atomic(dir / "oci-layout", kLayoutHeader);
  nlohmann::json index = read_index(dir);
  if (index.is_null())
    index = {{"schemaVersion", 2}, {"mediaType", contract::oci_index_media_type}, {"manifests", nlohmann::json::array()}};
  nlohmann::json kept = nlohmann::json::array();
  for (const auto& d : index.value("manifests", nlohmann::json::array())) {
    // The tag moves to the new manifest; untagged entries of the same digest merge.
    std::string name = ref_name(d);
    if (name == tag) continue;
    if (name.empty() && d.is_object() && d.value("digest", std::string()) == manifest_digest) continue;
    kept.push_back(d);
  }
  nlohmann::json entry = {{"mediaType", contract::oci_manifest_media_type},
                          {"digest", manifest_digest},
                          {"size", size},
                          {"artifactType", contract::artifact_type}};
  if (!tag.empty()) entry["annotations"] = {{contract::annotation_ref_name, tag}};
  kept.push_back(entry);
  index["manifests"] = kept;
  write_file_atomic(dir / "index.json", index.dump());
}

std::string read_blob(const fs::path& dir, const std::string& digest, std::uint64_t size) {
  fs::path p = blob_path(dir, digest);
  std::error_code ec;
  if (!fs::is_regular_file(p, ec))
    fail("cannot read OCI layout '" + dir.string() + "': blob " + digest + " is missing");
  std::string bytes = read_file(p, std::max<std::uint64_t>(size, 1) + 1);
  if (bytes.size() != size || "sha256:" + sha256_hex(bytes) != digest)
    fail_verification("blob " + digest + " in OCI layout '" + dir.string() + "' does not match its digest");
  return bytes;
}

Resolved resolve(const Reference& ref) {
  const fs::path& dir = ref.path;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) fail("cannot read '" + ref.str() + "': no OCI layout directory '" + dir.string() + "'");
  if (!fs::exists(dir / "oci-layout", ec))
    fail("cannot read '" + ref.str() + "': '" + dir.string() + "' is not an OCI layout (no oci-layout file)");
  Resolved r;
  std::uint64_t size = 0;
  nlohmann::json index = read_index(dir);
  nlohmann::json manifests = index.is_object() ? index.value("manifests", nlohmann::json::array()) : nlohmann::json::array();
  if (!ref.digest.empty()) {
    r.digest = ref.digest;
    size = file_size_or_max(blob_path(dir, r.digest));
    if (size == UINT64_MAX) fail("cannot read '" + ref.str() + "': no manifest " + r.digest + " in the layout");
  } else {
    std::string want = ref.tag;
    const nlohmann::json* found = nullptr;
    if (want.empty() && manifests.size() == 1) {
      found = &manifests[0];
    } else {
      if (want.empty()) want = "latest";
      for (const auto& d : manifests)
        if (ref_name(d) == want) found = &d;
    }
    if (!found) {
      std::string tags;
      for (const auto& d : manifests)
        if (std::string n = ref_name(d); !n.empty()) tags += (tags.empty() ? "" : ", ") + n;
      fail("cannot read '" + ref.str() + "': no tag '" + want + "' in OCI layout '" + dir.string() + "'",
           tags.empty() ? "the layout has no tags" : "tags there: " + tags);
    }
    r.digest = found->value("digest", std::string());
    if (!is_sha256_digest(r.digest))
      fail("cannot read '" + ref.str() + "': index.json has a malformed digest for tag '" + want + "'");
    if (!found->contains("size") || !(*found)["size"].is_number_unsigned())
      fail("cannot read '" + ref.str() + "': index.json has no size for tag '" + want + "'");
    size = (*found)["size"].get<std::uint64_t>();
  }
  if (size > kManifestLimit) fail("cannot read '" + ref.str() + "': the manifest is larger than 4 MiB");
  r.bytes = read_blob(dir, r.digest, size);
  return r;
}

}  // namespace acuctl::oci_layout
