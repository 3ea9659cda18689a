// Packaging a model project into a bundle: validate, hash every file, then
// stream the archive (manifest.json first) through libarchive's compressor.
#include <archive.h>
#include <archive_entry.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <atomic>
#include <chrono>
#include <thread>

#include "acuctl/bundle.hpp"
#include "acuctl/contract.hpp"
#include "acuctl/error.hpp"
#include "acuctl/files.hpp"
#include "acuctl/sha256.hpp"
#include "acuctl/timefmt.hpp"

namespace acuctl {
namespace fs = std::filesystem;

std::optional<Compression> parse_compression(std::string_view name) {
  if (name == "zstd") return Compression::zstd;
  if (name == "gzip") return Compression::gzip;
  if (name == "none") return Compression::none;
  return std::nullopt;
}

std::string_view compression_name(Compression c) {
  switch (c) {
    case Compression::zstd: return "zstd";
    case Compression::gzip: return "gzip";
    case Compression::none: return "none";
  }
  return "none";
}

namespace {

struct ProjectFile {
  std::string rel;  // relative to the project, '/'-separated
  fs::path path;
  std::uint64_t size = 0;
  std::int64_t mtime_ns = 0;
  bool executable = false;
  std::string sha256;
};

std::int64_t mtime_ns(const struct stat& st) {
  return static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
}

// Every file in the project except dot-files (and dot-directories) and the
// bundle being written, sorted so that bundles are laid out reproducibly.
std::vector<ProjectFile> list_project(const fs::path& dir, const fs::path& output) {
  std::vector<ProjectFile> files;
  std::error_code ec;
  fs::path out_abs = fs::weakly_canonical(output, ec);
  fs::path root = fs::weakly_canonical(dir, ec);
  fs::recursive_directory_iterator it(dir, fs::directory_options::none, ec), end;
  if (ec) fail("cannot read model project '" + dir.string() + "': " + ec.message());
  for (; it != end; it.increment(ec)) {
    if (ec) fail("cannot read model project '" + dir.string() + "': " + ec.message());
    const fs::path& p = it->path();
    std::string name = p.filename().string();
    if (!name.empty() && name[0] == '.') {
      if (it->is_directory(ec)) it.disable_recursion_pending();
      continue;
    }
    struct stat st {};
    if (::stat(p.c_str(), &st) != 0) fail("cannot read '" + p.string() + "': " + errno_text(errno));
    if (S_ISDIR(st.st_mode)) {
      if (it->is_symlink(ec)) fail("cannot package '" + p.string() + "': symlinks to directories are not supported");
      continue;
    }
    if (!S_ISREG(st.st_mode)) fail("cannot package '" + p.string() + "': not a regular file");
    // A symlink is packaged as the file it names, which must be inside the
    // project: a link to /etc/passwd must not end up in a published bundle.
    if (it->is_symlink(ec)) {
      fs::path target = fs::weakly_canonical(p, ec);
      fs::path inside = target.lexically_relative(root);
      if (ec || inside.empty() || *inside.begin() == "..")
        fail("cannot package '" + p.string() + "': it links to '" + target.string() + "', outside the project",
             "copy the file into the project instead of linking to it");
    }
    if (fs::weakly_canonical(p, ec) == out_abs) continue;
    ProjectFile f;
    f.rel = p.lexically_relative(dir).generic_string();
    if (!is_safe_relative_path(f.rel)) fail("cannot package '" + p.string() + "': unusable path");
    f.path = p;
    f.size = static_cast<std::uint64_t>(st.st_size);
    f.mtime_ns = mtime_ns(st);
    f.executable = (st.st_mode & 0111) != 0;
    files.push_back(std::move(f));
  }
  std::sort(files.begin(), files.end(), [](const auto& a, const auto& b) { return a.rel < b.rel; });
  return files;
}

// Hashes the files on up to two threads (one per core here): many small files
// go twice as fast; one large file is bounded by SHA-256 itself (~1.8 GB/s).
void hash_files(std::vector<ProjectFile>& files) {
  std::atomic<std::size_t> next{0};
  std::exception_ptr error;
  std::atomic<bool> failed{false};
  auto worker = [&] {
    for (std::size_t i = next++; i < files.size() && !failed; i = next++) {
      try {
        FileDigest d = sha256_file(files[i].path);
        if (d.size != files[i].size) fail("'" + files[i].path.string() + "' changed while being packaged");
        files[i].sha256 = d.hex;
      } catch (...) {
        if (!failed.exchange(true)) error = std::current_exception();
      }
    }
  };
  unsigned n = files.size() > 1 ? std::min(2u, std::max(1u, std::thread::hardware_concurrency())) : 1;
  std::vector<std::thread> threads;
  for (unsigned t = 1; t < n; ++t) threads.emplace_back(worker);
  worker();
  for (auto& t : threads) t.join();
  if (error) std::rethrow_exception(error);
}

struct ArchiveWriteFree { void operator()(archive* a) const { archive_write_free(a); } };
struct EntryFree { void operator()(archive_entry* e) const { archive_entry_free(e); } };

struct OutputSink {
  PendingFile* file;
  Sha256 hash;
  std::uint64_t size = 0;
  std::exception_ptr error;  // exceptions must not cross libarchive's C frames
};

la_ssize_t write_callback(archive* a, void* ctx, const void* buf, size_t len) {
  auto* sink = static_cast<OutputSink*>(ctx);
  try {
    sink->file->write(buf, len);
    sink->hash.update(buf, len);
    sink->size += len;
    return static_cast<la_ssize_t>(len);
  } catch (...) {
    sink->error = std::current_exception();
    archive_set_error(a, EIO, "output failed");
    return -1;
  }
}

class ArchiveOut {
 public:
  ArchiveOut(OutputSink& sink, Compression c, int level, const std::string& what) : sink_(sink), what_(what) {
    a_.reset(archive_write_new());
    check(archive_write_set_format_pax_restricted(a_.get()));
    switch (c) {
      case Compression::zstd:
        check(archive_write_add_filter_zstd(a_.get()));
        check(archive_write_set_filter_option(a_.get(), "zstd", "compression-level", std::to_string(level).c_str()));
        // zstd compresses on a worker thread, so reading, hashing and
        // compressing overlap on two cores.
        check(archive_write_set_filter_option(a_.get(), "zstd", "threads", "2"));
        break;
      case Compression::gzip: check(archive_write_add_filter_gzip(a_.get())); break;
      case Compression::none: check(archive_write_add_filter_none(a_.get())); break;
    }
    check(archive_write_set_bytes_in_last_block(a_.get(), 1));
    check(archive_write_open2(a_.get(), &sink, nullptr, write_callback, nullptr, nullptr));
  }

  void add(const std::string& path, std::uint64_t size, bool executable, std::int64_t mtime,
           const std::function<void(archive*)>& body) {
    std::unique_ptr<archive_entry, EntryFree> e(archive_entry_new());
    archive_entry_set_pathname(e.get(), path.c_str());
    archive_entry_set_size(e.get(), static_cast<la_int64_t>(size));
    archive_entry_set_filetype(e.get(), AE_IFREG);
    archive_entry_set_perm(e.get(), executable ? 0755 : 0644);
    archive_entry_set_mtime(e.get(), mtime, 0);
    archive_entry_set_uid(e.get(), 0);
    archive_entry_set_gid(e.get(), 0);
    check(archive_write_header(a_.get(), e.get()));
    body(a_.get());
    check(archive_write_finish_entry(a_.get()));
  }

  void close() { check(archive_write_close(a_.get())); }

  void check(int rc) {
    if (sink_.error) std::rethrow_exception(sink_.error);
    if (rc < ARCHIVE_WARN)
      fail("cannot write bundle '" + what_ + "': " + (archive_error_string(a_.get()) ? archive_error_string(a_.get()) : "archive error"));
  }

  void write_data(const void* data, std::size_t size) {
    la_ssize_t n = archive_write_data(a_.get(), data, size);
    if (n < 0 || static_cast<std::size_t>(n) != size) check(ARCHIVE_FATAL);
  }

 private:
  std::unique_ptr<archive, ArchiveWriteFree> a_;
  OutputSink& sink_;
  std::string what_;
};

}  // namespace

PackageResult package_project(const PackageOptions& options) {
  Descriptor descriptor = load_project(options.project);
  std::vector<ProjectFile> files = list_project(options.project, options.output);
  hash_files(files);

  auto now = std::chrono::system_clock::now();
  Manifest m;
  m.descriptor = descriptor;
  m.schema = contract::bundle_schema;
  m.created = rfc3339_utc(now);
  for (const auto& f : files)
    m.files.push_back({std::string(contract::model_prefix) + f.rel, f.size, f.sha256});
  if (options.key) m.key_id = options.key->key_id();
  std::string manifest_bytes = serialize_manifest(m);

  std::error_code ec;
  fs::path out_dir = options.output.parent_path();
  if (!out_dir.empty() && !fs::is_directory(out_dir, ec))
    fail("cannot write bundle '" + options.output.string() + "': directory '" + out_dir.string() + "' does not exist");
  PendingFile pending(options.output, 0644);
  OutputSink sink{&pending, Sha256{}, 0, nullptr};
  std::int64_t mtime = std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
  {
    ArchiveOut out(sink, options.compression, options.zstd_level, options.output.string());
    out.add(std::string(contract::manifest_entry), manifest_bytes.size(), false, mtime,
            [&](archive*) { out.write_data(manifest_bytes.data(), manifest_bytes.size()); });
    if (options.key) {
      std::string sig = options.key->sign(manifest_bytes);
      out.add(std::string(contract::signature_entry), sig.size(), false, mtime,
              [&](archive*) { out.write_data(sig.data(), sig.size()); });
    }
    std::string buf(1 << 20, '\0');
    for (const auto& f : files) {
      // The digest in the manifest was taken in the first pass; a file that
      // changes in between (size or mtime) is refused rather than mislabelled.
      UniqueFd fd = open_for_reading(f.path);
      struct stat st {};
      if (::fstat(fd.get(), &st) != 0 || static_cast<std::uint64_t>(st.st_size) != f.size || mtime_ns(st) != f.mtime_ns)
        fail("'" + f.path.string() + "' changed while being packaged");
      out.add(std::string(contract::model_prefix) + f.rel, f.size, f.executable, mtime, [&](archive*) {
        std::uint64_t left = f.size;
        while (left > 0) {
          std::size_t n = read_some(fd.get(), buf.data(), std::min<std::uint64_t>(buf.size(), left), f.path);
          if (n == 0) fail("'" + f.path.string() + "' changed while being packaged");
          out.write_data(buf.data(), n);
          left -= n;
        }
      });
    }
    out.close();
  }
  PackageResult result;
  result.bundle.digest = "sha256:" + sink.hash.finish_hex();
  result.bundle.size = sink.size;
  pending.commit();
  result.manifest = std::move(m);
  return result;
}

}  // namespace acuctl
