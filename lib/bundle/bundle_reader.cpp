// Reading bundles without trusting them: every entry is checked for layout,
// path, type, duplicates, size and digest while streaming; extraction writes
// only below a fresh directory that appears once everything has verified.
#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <map>
#include <random>
#include <set>

#include "acuctl/bundle.hpp"
#include "acuctl/contract.hpp"
#include "acuctl/error.hpp"
#include "acuctl/files.hpp"
#include "acuctl/sha256.hpp"
#include "acuctl/units.hpp"

namespace acuctl {
namespace fs = std::filesystem;

namespace {

constexpr std::size_t kManifestLimit = 16 << 20;
constexpr std::size_t kSignatureLimit = 4096;

struct ArchiveReadFree { void operator()(archive* a) const { archive_read_free(a); } };

// Feeds libarchive from a file descriptor and hashes every raw byte, so the
// bundle digest comes from the same single read.
struct RawInput {
  int fd;
  fs::path path;
  Sha256 hash;
  std::uint64_t size = 0;
  std::string buffer = std::string(1 << 20, '\0');
  std::exception_ptr error;

  void drain() {
    for (;;) {
      std::size_t n = read_some(fd, buffer.data(), buffer.size(), path);
      if (n == 0) return;
      hash.update(buffer.data(), n);
      size += n;
    }
  }
};

la_ssize_t read_callback(archive* a, void* ctx, const void** out) {
  auto* in = static_cast<RawInput*>(ctx);
  try {
    std::size_t n = read_some(in->fd, in->buffer.data(), in->buffer.size(), in->path);
    in->hash.update(in->buffer.data(), n);
    in->size += n;
    *out = in->buffer.data();
    return static_cast<la_ssize_t>(n);
  } catch (...) {
    in->error = std::current_exception();
    archive_set_error(a, EIO, "read failed");
    return -1;
  }
}

std::string type_problem(archive_entry* e) {
  if (archive_entry_hardlink(e)) return "is a hard link";
  switch (archive_entry_filetype(e)) {
    case AE_IFREG: return {};
    case AE_IFDIR: return {};
    case AE_IFLNK: return "is a symbolic link";
    case AE_IFCHR: return "is a character device";
    case AE_IFBLK: return "is a block device";
    case AE_IFIFO: return "is a FIFO";
    case AE_IFSOCK: return "is a socket";
    default: return "has an unsupported entry type";
  }
}

class Reader {
 public:
  Reader(const fs::path& path) : fd_(open_for_reading(path)), in_{fd_.get(), path, Sha256{}, 0, std::string(1 << 20, '\0'), nullptr} {
    name_ = path.string();
    a_.reset(archive_read_new());
    // Only what acuctl writes: tar, compressed with zstd or gzip or not at all.
    archive_read_support_filter_zstd(a_.get());
    archive_read_support_filter_gzip(a_.get());
    archive_read_support_filter_none(a_.get());
    archive_read_support_format_tar(a_.get());
    if (archive_read_open(a_.get(), &in_, nullptr, read_callback, nullptr) != ARCHIVE_OK) problem_from_archive();
  }

  [[noreturn]] void problem(const std::string& why) { fail_verification("cannot read bundle '" + name_ + "': " + why); }

  [[noreturn]] void problem_from_archive() {
    if (in_.error) std::rethrow_exception(in_.error);
    const char* msg = archive_error_string(a_.get());
    problem(std::string("not a valid bundle archive (") + (msg ? msg : "unknown archive error") + ")");
  }

  // Returns false at the end of the archive.
  bool next(archive_entry** e) {
    int rc = archive_read_next_header(a_.get(), e);
    if (rc == ARCHIVE_EOF) return false;
    if (rc < ARCHIVE_WARN) problem_from_archive();
    return true;
  }

  std::string entry_name(archive_entry* e) {
    const char* p = archive_entry_pathname(e);
    if (!p) problem("an entry has an unreadable name");
    return p;
  }

  std::string read_small(archive_entry* e, const std::string& name, std::size_t limit) {
    if (archive_entry_filetype(e) != AE_IFREG || archive_entry_hardlink(e)) problem("entry '" + name + "' " + type_problem(e));
    if (archive_entry_size(e) < 0 || static_cast<std::uint64_t>(archive_entry_size(e)) > limit)
      problem("entry '" + name + "' is larger than " + std::to_string(limit) + " bytes");
    std::string out(static_cast<std::size_t>(archive_entry_size(e)), '\0');
    std::size_t got = 0;
    while (got < out.size()) {
      la_ssize_t n = archive_read_data(a_.get(), out.data() + got, out.size() - got);
      if (n < 0) problem_from_archive();
      if (n == 0) problem("entry '" + name + "' is truncated");
      got += static_cast<std::size_t>(n);
    }
    return out;
  }

  // Streams the entry's data to `sink` block by block.
  template <class Sink>
  std::uint64_t stream(Sink&& sink) {
    const void* buf = nullptr;
    size_t len = 0;
    la_int64_t offset = 0;
    std::uint64_t total = 0;
    for (;;) {
      int rc = archive_read_data_block(a_.get(), &buf, &len, &offset);
      if (rc == ARCHIVE_EOF) return total;
      if (rc < ARCHIVE_WARN) problem_from_archive();
      if (static_cast<std::uint64_t>(offset) != total) problem("sparse entries are not allowed");
      sink(buf, len);
      total += len;
    }
  }

  void finish() {
    // Whatever follows the archive's end still belongs to the file's digest.
    in_.drain();
  }

  BundleDigest digest() { return {"sha256:" + in_.hash.finish_hex(), in_.size}; }
  const std::string& name() const { return name_; }

 private:
  UniqueFd fd_;
  RawInput in_;
  std::unique_ptr<archive, ArchiveReadFree> a_;
  std::string name_;
};

// A directory being filled next to its final path; removed unless committed.
class PendingDir {
 public:
  explicit PendingDir(fs::path final_path) : final_(std::move(final_path)) {
    std::error_code ec;
    if (fs::exists(fs::symlink_status(final_, ec)))
      fail("cannot unpack into '" + final_.string() + "': it already exists");
    std::mt19937_64 rng{std::random_device{}()};
    temp_ = final_.parent_path() / (std::string(".") + final_.filename().string() + ".partial-" + std::to_string(rng() % 1000000000));
    if (::mkdir(temp_.c_str(), 0755) != 0) fail("cannot create '" + temp_.string() + "': " + errno_text(errno));
  }
  ~PendingDir() {
    if (!committed_) {
      std::error_code ec;
      fs::remove_all(temp_, ec);
    }
  }
  const fs::path& path() const { return temp_; }
  void commit() {
    fsync_directory(temp_);
    if (::rename(temp_.c_str(), final_.c_str()) != 0)
      fail("cannot move unpacked bundle to '" + final_.string() + "': " + errno_text(errno));
    committed_ = true;
    fsync_directory(final_.parent_path().empty() ? fs::path(".") : final_.parent_path());
  }

 private:
  fs::path final_, temp_;
  bool committed_ = false;
};

// Creates the parent directories of `rel` (already checked to be a safe
// relative path) below `root`, never following a symlink.
void make_parents(const fs::path& root, const std::string& rel) {
  std::size_t pos = 0;
  while ((pos = rel.find('/', pos)) != std::string::npos) {
    fs::path dir = root / rel.substr(0, pos);
    if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST)
      fail("cannot create '" + dir.string() + "': " + errno_text(errno));
    struct stat st {};
    if (::lstat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) fail("cannot create '" + dir.string() + "': not a directory");
    ++pos;
  }
}

// The first entry must be manifest.json; reads and parses it into `info`.
void read_manifest_entry(Reader& r, BundleInfo& info) {
  archive_entry* e = nullptr;
  if (!r.next(&e)) r.problem("the archive is empty");
  std::string first = r.entry_name(e);
  if (first != contract::manifest_entry)
    r.problem("the first entry is '" + first + "', expected '" + std::string(contract::manifest_entry) + "'");
  info.manifest_bytes = r.read_small(e, first, kManifestLimit);
  info.manifest = parse_manifest(info.manifest_bytes, r.name());
}

}  // namespace

std::optional<std::string> find_signer(std::string_view manifest_bytes, std::string_view signature,
                                       const std::vector<PublicKey>& trusted) {
  for (const auto& key : trusted)
    if (key.verify(manifest_bytes, signature)) return key.key_id();
  return std::nullopt;
}

std::uint64_t configured_unpack_limit() {
  const char* text = std::getenv("ACUCTL_MAX_BUNDLE_SIZE");
  if (!text || !*text) return contract::default_unpack_limit;
  std::uint64_t limit = parse_size("ACUCTL_MAX_BUNDLE_SIZE", text);
  if (limit == 0) fail_usage("invalid ACUCTL_MAX_BUNDLE_SIZE '" + std::string(text) + "': must be positive");
  return limit;
}

BundleInfo verify_bundle(const fs::path& path, const ReadOptions& options) {
  Reader r(path);
  BundleInfo info;
  archive_entry* e = nullptr;
  read_manifest_entry(r, info);

  std::map<std::string, const FileEntry*> expected;
  std::uint64_t declared_total = 0;
  for (const auto& f : info.manifest.files) {
    expected[f.path] = &f;
    declared_total += f.size;
  }
  if (declared_total > options.unpack_limit)
    r.problem("it unpacks to " + std::to_string(declared_total) + " bytes, over the limit of " +
              std::to_string(options.unpack_limit));

  std::optional<PendingDir> dest;
  if (options.extract_to) dest.emplace(*options.extract_to);

  std::optional<std::string> signature;
  bool have_entry = r.next(&e);
  if (have_entry && r.entry_name(e) == contract::signature_entry) {
    signature = r.read_small(e, std::string(contract::signature_entry), kSignatureLimit);
    info.signed_ = true;
    have_entry = r.next(&e);
  }
  // The signature is checked before any file data is read or written.
  if (options.trusted && !options.trusted->empty()) {
    if (!signature) r.problem("it is not signed, and a signature by a trusted key is required");
    info.trusted_key = find_signer(info.manifest_bytes, *signature, *options.trusted);
    if (!info.trusted_key) {
      std::string keys;
      for (const auto& k : *options.trusted) keys += (keys.empty() ? "" : ", ") + k.source();
      r.problem("the signature does not verify with the trusted key(s) " + keys +
                (info.manifest.key_id ? " (the manifest names signer " + *info.manifest.key_id + ")" : ""));
    }
    if (info.manifest.key_id && *info.manifest.key_id != *info.trusted_key)
      r.problem("the manifest names signer " + *info.manifest.key_id + " but was signed by " + *info.trusted_key);
  }

  std::set<std::string> seen;
  std::uint64_t unpacked = 0;
  std::string buf;
  for (; have_entry; have_entry = r.next(&e)) {
    std::string name = r.entry_name(e);
    if (name.size() > 0 && name.front() == '/') r.problem("entry '" + name + "' is an absolute path");
    bool is_dir = archive_entry_filetype(e) == AE_IFDIR && !archive_entry_hardlink(e);
    std::string clean = name;
    if (is_dir && !clean.empty() && clean.back() == '/') clean.pop_back();
    if (clean == ".." || clean.rfind("../", 0) == 0 || clean.find("/../") != std::string::npos ||
        (clean.size() >= 3 && clean.compare(clean.size() - 3, 3, "/..") == 0))
      r.problem("entry '" + name + "' escapes the bundle");
    if (!is_safe_relative_path(clean)) r.problem("entry '" + name + "' is not a canonical relative path");
    if (std::string why = type_problem(e); !why.empty()) r.problem("entry '" + name + "' " + why);
    if (clean == contract::manifest_entry || clean == contract::signature_entry)
      r.problem("entry '" + name + "' appears twice");
    if (clean.rfind(contract::model_prefix, 0) != 0)
      r.problem("entry '" + name + "' is outside model/");
    if (!seen.insert(clean).second) r.problem("entry '" + name + "' appears twice");
    if (is_dir) {
      if (expected.count(clean)) r.problem("entry '" + name + "' is a directory but the manifest lists a file");
      continue;
    }
    auto it = expected.find(clean);
    if (it == expected.end()) r.problem("entry '" + name + "' is not listed in the manifest");
    const FileEntry& want = *it->second;
    if (archive_entry_size(e) < 0 || static_cast<std::uint64_t>(archive_entry_size(e)) != want.size)
      r.problem("entry '" + name + "' is " + std::to_string(archive_entry_size(e)) + " bytes, the manifest says " +
                std::to_string(want.size));
    unpacked += want.size;
    if (unpacked > options.unpack_limit) r.problem("it unpacks to more than the limit of " + std::to_string(options.unpack_limit) + " bytes");

    UniqueFd out;
    fs::path out_path;
    if (dest) {
      std::string rel = clean.substr(contract::model_prefix.size());
      make_parents(dest->path(), rel);
      out_path = dest->path() / rel;
      mode_t mode = (archive_entry_perm(e) & 0111) ? 0755 : 0644;
      int fd = ::open(out_path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
      if (fd < 0) fail("cannot create '" + out_path.string() + "': " + errno_text(errno));
      out = UniqueFd(fd);
    }
    Sha256 h;
    std::uint64_t got = r.stream([&](const void* data, std::size_t len) {
      h.update(data, len);
      if (out) write_all(out.get(), data, len, out_path);
    });
    if (got != want.size) r.problem("entry '" + name + "' is truncated");
    if (h.finish_hex() != want.sha256) r.problem("entry '" + name + "' does not match its sha256 digest in the manifest");
    if (out && ::fsync(out.get()) != 0) fail("cannot sync '" + out_path.string() + "': " + errno_text(errno));
  }
  for (const auto& f : info.manifest.files)
    if (!seen.count(f.path)) r.problem("entry '" + f.path + "' is listed in the manifest but missing");
  r.finish();
  info.bundle = r.digest();
  if (dest) dest->commit();
  return info;
}

BundleInfo read_bundle_manifest(const fs::path& path) {
  BundleInfo info;
  {
    Reader r(path);
    archive_entry* e = nullptr;
    read_manifest_entry(r, info);
    info.signed_ = r.next(&e) && r.entry_name(e) == contract::signature_entry;
  }
  FileDigest d = sha256_file(path);
  info.bundle = {"sha256:" + d.hex, d.size};
  return info;
}

}  // namespace acuctl
