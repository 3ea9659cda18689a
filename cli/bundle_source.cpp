// Resolving a bundle argument (file, oci: layout, registry reference) to
// something readable.
#include "bundle_source.hpp"

#include <cerrno>
#include <cstdlib>

#include "acuctl/bundle.hpp"
#include "acuctl/error.hpp"
#include "acuctl/files.hpp"
#include "acuctl/sha256.hpp"
#include "acuctl/timefmt.hpp"
#include "progress.hpp"

namespace acuctl::cli {
namespace fs = std::filesystem;

void add_registry_flags(CLI::App* cmd, RegistryFlags& flags) {
  cmd->add_flag("--plain-http", flags.plain_http, "Talk plain HTTP to the registry (no TLS)");
  cmd->add_option("--connect-timeout", flags.connect_timeout, "Give up connecting to the registry after this long (default 10s)");
}

RegistryOptions registry_options(const RegistryFlags& flags) {
  RegistryOptions o;
  o.plain_http = flags.plain_http;
  // Like curl, oras and skopeo, the CLI does not fsync what it pulls: the file
  // still appears only complete and digest-verified, and a 1 GiB pull is not
  // held to the disk's write-back speed.
  o.sync_output = false;
  o.connect_timeout = parse_duration(flags.connect_timeout);
  if (o.connect_timeout.count() <= 0) fail_usage("--connect-timeout must be positive");
  return o;
}

LocalBundle::LocalBundle(LocalBundle&& other) noexcept
    : path(std::move(other.path)), temp_dir(std::move(other.temp_dir)), source(std::move(other.source)) {
  other.temp_dir.reset();
}

BundleInfo LocalBundle::verify(const ReadOptions& options) const {
  try {
    return verify_bundle(path, options);
  } catch (const Error& e) {
    if (!temp_dir) throw;
    std::string message = e.what();
    const std::string temp = path.string();
    for (std::size_t at; (at = message.find(temp)) != std::string::npos;) message.replace(at, temp.size(), source);
    throw Error(e.exit(), message, e.hint());
  }
}

LocalBundle::~LocalBundle() {
  if (temp_dir) {
    std::error_code ec;
    fs::remove_all(*temp_dir, ec);
  }
}

namespace {

fs::path make_temp_dir() {
  const char* tmp = std::getenv("TMPDIR");
  std::string pattern = std::string(tmp && *tmp ? tmp : "/tmp") + "/acuctl-pull.XXXXXX";
  if (!::mkdtemp(pattern.data())) fail("cannot create a temporary directory in '" + pattern + "': " + errno_text(errno));
  return pattern;
}

}  // namespace

LocalBundle fetch_bundle(const std::string& source, const Context& ctx, const RegistryFlags& flags) {
  Reference ref = parse_reference(source);
  LocalBundle b;
  b.source = source;
  if (ref.kind == ReferenceKind::local_file) {
    std::error_code ec;
    if (!fs::is_regular_file(ref.path, ec))
      fail("cannot read bundle '" + source + "': no such file", "pass the path of a .acu file, oci:DIR[:TAG] or HOST/REPO[:TAG]");
    b.path = ref.path;
    return b;
  }
  RegistryOptions options = registry_options(flags);
  b.temp_dir = make_temp_dir();
  b.path = *b.temp_dir / "bundle.acu";
  ProgressBar bar("pulling " + ref.str(), ctx);
  options.progress = bar.callback();
  PullResult r = pull_bundle(ref, b.path, options);
  bar.finish();
  ctx.debug("pulled " + r.reference + " (" + r.digest + ") to " + b.path.string());
  return b;
}

InspectedBundle inspect_bundle(const std::string& source, const Context& ctx, const RegistryFlags& flags) {
  Reference ref = parse_reference(source);
  if (ref.kind == ReferenceKind::local_file) {
    LocalBundle local = fetch_bundle(source, ctx, flags);
    BundleInfo info = read_bundle_manifest(local.path);
    return {info.manifest, info.bundle.digest, info.bundle.size, info.signed_};
  }
  RemoteManifest remote = fetch_bundle_manifest(ref, registry_options(flags));
  Manifest m = parse_manifest(remote.config_bytes, ref.str());
  bool is_signed = m.key_id.has_value();
  return {std::move(m), remote.digest, remote.layer.size, is_signed};
}

std::string stage_on_runners(const std::string& source, const FleetOptions& fleet, const Context& ctx) {
  Reference ref = parse_reference(source);
  if (ref.kind == ReferenceKind::registry) return source;  // the runners pull it themselves
  // Local files and OCI layouts are read here: the runners need no access to them.
  LocalBundle local = fetch_bundle(source, ctx);
  std::string digest = "sha256:" + sha256_file(local.path).hex;
  ctx.debug("uploading " + source + " (" + digest + ") to " + std::to_string(fleet.runners.size()) + " runner(s)");
  auto replies = fleet_upload(fleet, local.path, digest);
  std::string failed;
  for (const auto& r : replies)
    if (!r.ok()) failed += (failed.empty() ? "" : "; ") + r.describe();
  if (!failed.empty()) fail("cannot upload '" + source + "': " + failed);
  return digest;
}

}  // namespace acuctl::cli
