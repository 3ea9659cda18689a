// Bundle cache and model loading for the runner.
#include "acuctl/bundle_cache.hpp"

#include <unistd.h>

#include <atomic>
#include <functional>

#include "acuctl/bundle.hpp"
#include "acuctl/error.hpp"
#include "acuctl/files.hpp"
#include "acuctl/registry.hpp"
#include "acuctl/sha256.hpp"
#include "acuctl/timefmt.hpp"

namespace acuctl::runner {
namespace {

namespace fs = std::filesystem;
constexpr std::string_view sha256_prefix = "sha256:";

fs::path temp_name(const fs::path& dir) {
  static std::atomic<unsigned> counter{0};
  return dir / (".incoming-" + std::to_string(::getpid()) + "-" + std::to_string(counter.fetch_add(1)));
}

}  // namespace

BundleCache::BundleCache(fs::path state_dir) : root_(std::move(state_dir)) {
  std::error_code ec;
  fs::create_directories(root_ / "bundles" / "sha256", ec);
  if (!ec) fs::create_directories(root_ / "models", ec);
  if (ec) fail("cannot create the state directory '" + root_.string() + "': " + ec.message());
}

fs::path BundleCache::bundle_path(std::string_view hex) const {
  return root_ / "bundles" / "sha256" / (std::string(hex) + ".acu");
}

fs::path BundleCache::model_dir(std::string_view hex) const { return root_ / "models" / std::string(hex); }

std::string BundleCache::add_file(const fs::path& file) {
  fs::path dir = root_ / "bundles" / "sha256";
  fs::path temp = temp_name(dir);
  std::error_code ec;
  fs::copy_file(file, temp, fs::copy_options::overwrite_existing, ec);
  if (ec) fail("cannot copy bundle '" + file.string() + "' into the cache: " + ec.message());
  try {
    // Hash the copy, not the original: the original may change meanwhile.
    FileDigest d = sha256_file(temp);
    fs::rename(temp, bundle_path(d.hex));
    return std::string(sha256_prefix) + d.hex;
  } catch (...) {
    fs::remove(temp, ec);
    rethrow_with_context("cannot add bundle '" + file.string() + "' to the cache");
  }
}

void BundleCache::add_bytes(std::string_view digest, std::string_view bytes) {
  if (!is_sha256_digest(digest)) fail_usage("'" + std::string(digest) + "' is not a sha256:HEX digest");
  std::string got = std::string(sha256_prefix) + sha256_hex(bytes);
  if (got != digest)
    fail_verification("uploaded bundle does not match its digest: expected " + std::string(digest) + ", got " + got);
  write_file_atomic(bundle_path(digest.substr(sha256_prefix.size())), bytes);
}

namespace {

bool is_oci_layout_ref(const std::string& ref) { return ref.rfind("oci:", 0) == 0; }

// HOST[:PORT]/REPO[:TAG][@sha256:HEX]: a host part before the first '/'.
bool looks_like_registry_ref(const std::string& ref) {
  auto slash = ref.find('/');
  if (slash == std::string::npos || slash == 0) return false;
  std::string host = ref.substr(0, slash);
  return host.find('.') != std::string::npos || host.find(':') != std::string::npos || host == "localhost";
}

// The one place where `oci:DIR[:TAG|@sha256:HEX]` and registry references
// are resolved: pulled (digest-verified while streaming, fsynced) into a
// temporary file inside the state directory, then added to the cache by
// digest like an uploaded bundle.
std::string fetch_remote_bundle(const std::string& ref, BundleCache& cache, bool plain_http) {
  Reference parsed = parse_reference(ref);
  RegistryOptions options;
  options.plain_http = plain_http;
  fs::path temp = cache.state_dir() / (".pull-" + std::to_string(::getpid()) + "-" +
                                       std::to_string(std::hash<std::string>{}(ref)) + ".acu");
  std::error_code ec;
  fs::remove(temp, ec);
  try {
    pull_bundle(parsed, temp, options);
    std::string digest = cache.add_file(temp);
    fs::remove(temp, ec);
    return digest;
  } catch (...) {
    fs::remove(temp, ec);
    rethrow_with_context("cannot resolve '" + ref + "'");
  }
}

}  // namespace

ResolvedBundle resolve_bundle(const std::string& ref, BundleCache& cache, bool plain_http) {
  if (ref.empty()) fail_usage("empty bundle reference");
  if (ref.rfind(sha256_prefix, 0) == 0) {
    if (!is_sha256_digest(ref)) fail_usage("cannot resolve '" + ref + "': not a sha256:HEX digest (64 hex digits)");
    fs::path path = cache.bundle_path(ref.substr(sha256_prefix.size()));
    std::error_code ec;
    if (!fs::is_regular_file(path, ec))
      fail("cannot resolve '" + ref + "': no such bundle in the cache of '" + cache.state_dir().string() + "'",
           "upload it first (PUT /admin/v1/bundles/" + ref + ") or pass the path of a .acu file");
    return {ref, path};
  }
  std::error_code ec;
  // A local path must name a .acu file (SPEC 4): an admin request cannot
  // make the runner read any other file of its host into the cache.
  bool acu_path = fs::path(ref).extension() == ".acu";
  if (!acu_path && fs::exists(ref, ec))
    fail_usage("cannot resolve '" + ref + "': a local bundle must be a .acu file",
               "pass the path of a .acu file, a cached sha256:HEX digest, oci:DIR[:TAG] or a registry reference");
  if (acu_path && fs::is_regular_file(ref, ec)) {
    std::string digest = cache.add_file(ref);
    return {digest, cache.bundle_path(digest.substr(sha256_prefix.size()))};
  }
  if (is_oci_layout_ref(ref) || looks_like_registry_ref(ref)) {
    std::string digest = fetch_remote_bundle(ref, cache, plain_http);
    return {digest, cache.bundle_path(digest.substr(sha256_prefix.size()))};
  }
  fail("cannot resolve '" + ref + "': no such file", "pass the path of a .acu file or a cached sha256:HEX digest");
}

VerifiedBundle verify_and_unpack(const std::string& ref, const ResolvedBundle& bundle, BundleCache& cache,
                                 const TrustPolicy& trust, const Warn& warn) {
  std::string hex = bundle.digest.substr(sha256_prefix.size());
  fs::path dir = cache.model_dir(hex);
  if (trust.keys.empty() && !trust.allow_unsigned)
    throw Error(Exit::verification, "refusing to load '" + ref + "': no trusted key (--trust) to check its signature",
                "pass --trust KEY.pub, or --allow-unsigned for development");
  BundleInfo info;
  {
    std::lock_guard lock(cache.unpack_mutex());
    std::error_code ec;
    ReadOptions options;
    if (!fs::exists(dir, ec)) options.extract_to = dir;
    options.trusted = trust.keys.empty() ? nullptr : &trust.keys;
    try {
      info = verify_bundle(bundle.path, options);
    } catch (const Error& e) {
      if (!(trust.allow_unsigned && options.trusted && e.exit() == Exit::verification)) throw;
      options.trusted = nullptr;  // --allow-unsigned: digests still have to match
      info = verify_bundle(bundle.path, options);
    }
    if (info.bundle.digest != bundle.digest)
      fail_verification("cached bundle '" + bundle.path.string() + "' does not match its digest " + bundle.digest);
  }
  const Descriptor& d = info.manifest.descriptor;
  if (!info.trusted_key && warn)
    warn("serving " + d.name + " " + d.version + " (" + bundle.digest + ") without a trusted signature (" +
         (info.signed_ ? "signed by " + info.manifest.key_id.value_or("an unknown key") : std::string("unsigned")) +
         "): --allow-unsigned is for development only");
  return {bundle.digest, dir, d};
}

std::shared_ptr<const LoadedModel> load_verified(const std::string& ref, const VerifiedBundle& bundle) {
  auto model = std::make_shared<LoadedModel>();
  model->descriptor = bundle.descriptor;
  model->digest = bundle.digest;
  model->ref = ref;
  model->loaded_at = now_rfc3339();
  model->dir = bundle.dir;
  model->runtime = load_runtime(bundle.descriptor, bundle.dir);
  return model;
}

std::shared_ptr<const LoadedModel> load_model(const std::string& ref, BundleCache& cache, const TrustPolicy& trust,
                                              const Warn& warn) {
  try {
    return load_verified(ref, verify_and_unpack(ref, resolve_bundle(ref, cache), cache, trust, warn));
  } catch (...) {
    rethrow_with_context("cannot load '" + ref + "'");
  }
}

}  // namespace acuctl::runner
