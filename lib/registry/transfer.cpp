// push_bundle, pull_bundle and fetch_bundle_manifest: the same artifact to
// and from a registry or an OCI layout, chosen by the reference's kind.
#include <vector>

#include "acuctl/bundle.hpp"
#include "acuctl/error.hpp"
#include "acuctl/files.hpp"
#include "acuctl/registry.hpp"
#include "acuctl/sha256.hpp"
#include "registry/distribution.hpp"
#include "registry/internal.hpp"

namespace acuctl {
namespace fs = std::filesystem;

HashedCopy copy_hashing(const fs::path& source, PendingFile& out, std::uint64_t total, const ProgressFn& progress,
                        std::uint64_t limit) {
  UniqueFd in = open_for_reading(source);
  Sha256 hash;
  std::vector<char> buffer(1 << 20);
  HashedCopy copy;
  for (;;) {
    std::size_t n = read_some(in.get(), buffer.data(), buffer.size(), source);
    if (n == 0) break;
    copy.size += n;
    if (copy.size > limit) break;
    hash.update(buffer.data(), n);
    out.write(buffer.data(), n);
    if (progress) progress(copy.size, total);
  }
  copy.digest = "sha256:" + hash.finish_hex();
  return copy;
}

namespace {

[[noreturn]] void cannot_use_cache_digest(const Reference& ref) {
  fail_usage("cannot use '" + ref.text + "' here: a bare sha256 digest names a bundle in a runner's cache",
             "give a registry reference, oci:DIR[:TAG], or a .acu file");
}

// Copies `source` to `out`, hashing on the way; with `expect`, a mismatch in
// size or digest is a verification failure and `out` is never committed.
std::string copy_verified(const fs::path& source, PendingFile& out, const std::string& expect_digest,
                          std::uint64_t expect_size, const ProgressFn& progress, const std::string& context) {
  if (expect_digest.empty()) return copy_hashing(source, out, expect_size, progress).digest;
  HashedCopy copy = copy_hashing(source, out, expect_size, progress, expect_size);
  if (copy.size > expect_size)
    fail_verification(context + ": blob " + expect_digest + " is larger than its descriptor's " +
                      std::to_string(expect_size) + " bytes");
  if (copy.digest != expect_digest || copy.size != expect_size)
    fail_verification(context + ": blob " + expect_digest + " failed verification: the content's digest is " +
                          copy.digest,
                      "the layout's copy is damaged or was tampered with; nothing was written");
  return copy.digest;
}

ArtifactParts artifact_parts(const fs::path& bundle, const BundleInfo& info) {
  ArtifactParts p;
  p.config_bytes = info.manifest_bytes;
  p.layer_media_type = std::string(bundle_layer_media_type(bundle));
  p.layer_digest = info.bundle.digest;
  p.layer_size = info.bundle.size;
  p.layer_title = bundle.filename().string();
  p.name = info.manifest.descriptor.name;
  p.version = info.manifest.descriptor.version;
  p.created = info.manifest.created;
  return p;
}

}  // namespace

PushResult push_bundle(const fs::path& bundle, const Reference& ref, const RegistryOptions& options) {
  if (ref.kind != ReferenceKind::registry && ref.kind != ReferenceKind::oci_layout)
    fail_usage("cannot push to '" + ref.text + "': the destination must be HOST[:PORT]/REPO[:TAG] or oci:DIR[:TAG]");
  if (!ref.digest.empty())
    fail_usage("cannot push to '" + ref.text + "': a digest reference cannot be pushed to; give a tag",
               "the manifest digest is computed from the bundle and printed by push");
  Reference target = ref;
  if (target.tag.empty()) target.tag = "latest";
  std::string context = "cannot push '" + bundle.string() + "' to '" + target.str() + "'";

  BundleInfo info;
  try {
    info = read_bundle_manifest(bundle);
  } catch (...) {
    rethrow_with_context(context);
  }
  ArtifactParts parts = artifact_parts(bundle, info);
  std::string manifest = build_artifact_manifest(parts);
  std::string manifest_digest = "sha256:" + sha256_hex(manifest);
  std::string config_digest = "sha256:" + sha256_hex(parts.config_bytes);

  PushResult result;
  result.reference = target.str();
  result.digest = manifest_digest;
  result.size = manifest.size();
  result.bundle_digest = parts.layer_digest;
  result.bundle_size = parts.layer_size;

  if (target.kind == ReferenceKind::registry) {
    DistributionClient client(target, options, true, context);
    client.ping();
    if (client.blob_exists(config_digest, parts.config_bytes.size())) {
      ++result.blobs_existing;
    } else {
      client.upload_blob(config_digest, parts.config_bytes);
    }
    if (client.blob_exists(parts.layer_digest, parts.layer_size)) {
      ++result.blobs_existing;
      if (options.progress) options.progress(parts.layer_size, parts.layer_size);
    } else {
      client.upload_blob_file(parts.layer_digest, bundle, parts.layer_size);
    }
    result.blobs_uploaded = client.uploads();
    client.put_manifest(target.tag, manifest, manifest_digest);
    return result;
  }

  try {
    const fs::path& dir = target.path;
    auto count = [&](bool wrote) { ++(wrote ? result.blobs_uploaded : result.blobs_existing); };
    count(oci_layout::put_blob_bytes(dir, parts.config_bytes, config_digest));
    count(oci_layout::put_blob_file(dir, bundle, parts.layer_digest, parts.layer_size, options.progress));
    oci_layout::put_blob_bytes(dir, manifest, manifest_digest);
    oci_layout::tag_manifest(dir, manifest_digest, manifest.size(), target.tag);
  } catch (...) {
    rethrow_with_context(context);
  }
  return result;
}

PullResult pull_bundle(const Reference& ref, const fs::path& out, const RegistryOptions& options) {
  if (ref.kind == ReferenceKind::cache_digest) cannot_use_cache_digest(ref);
  std::string context = "cannot pull '" + ref.str() + "'";
  PullResult result;
  result.reference = ref.str();
  result.path = out;

  if (ref.kind == ReferenceKind::local_file) {
    std::error_code ec;
    if (!fs::is_regular_file(ref.path, ec)) fail(context + ": no such file");
    PendingFile file(out);
    std::string digest = copy_verified(ref.path, file, {}, 0, options.progress, context);
    file.commit(options.sync_output);
    result.digest = result.bundle_digest = digest;
    result.size = fs::file_size(out);
    return result;
  }

  if (ref.kind == ReferenceKind::registry) {
    DistributionClient client(ref, options, false, context);
    DistributionClient::Manifest m = client.get_manifest(ref.target());
    ParsedArtifact a = parse_artifact_manifest(m.bytes, ref.str());
    PendingFile file(out);
    client.download_blob(a.layer.digest, a.layer.size, file);
    file.commit(options.sync_output);
    result.digest = m.digest;
    result.bundle_digest = a.layer.digest;
    result.size = a.layer.size;
    return result;
  }

  oci_layout::Resolved m = oci_layout::resolve(ref);
  ParsedArtifact a = parse_artifact_manifest(m.bytes, ref.str());
  fs::path blob = oci_layout::blob_path(ref.path, a.layer.digest);
  std::error_code ec;
  if (!fs::is_regular_file(blob, ec)) fail(context + ": the layout lacks the bundle blob " + a.layer.digest);
  PendingFile file(out);
  copy_verified(blob, file, a.layer.digest, a.layer.size, options.progress, context);
  file.commit(options.sync_output);
  result.digest = m.digest;
  result.bundle_digest = a.layer.digest;
  result.size = a.layer.size;
  return result;
}

RemoteManifest fetch_bundle_manifest(const Reference& ref, const RegistryOptions& options) {
  if (ref.kind == ReferenceKind::cache_digest) cannot_use_cache_digest(ref);
  RemoteManifest out;
  out.reference = ref.str();
  if (ref.kind == ReferenceKind::local_file) {
    BundleInfo info = read_bundle_manifest(ref.path);
    out.digest = info.bundle.digest;
    out.config_bytes = info.manifest_bytes;
    out.layer = {std::string(bundle_layer_media_type(ref.path)), info.bundle.digest, info.bundle.size,
                 ref.path.filename().string()};
    return out;
  }
  ParsedArtifact a;
  if (ref.kind == ReferenceKind::registry) {
    DistributionClient client(ref, options, false, "cannot inspect '" + ref.str() + "'");
    DistributionClient::Manifest m = client.get_manifest(ref.target());
    a = parse_artifact_manifest(m.bytes, ref.str());
    out.digest = m.digest;
    out.manifest_bytes = std::move(m.bytes);
    out.config_bytes = client.get_blob(a.config_digest, a.config_size);
  } else {
    oci_layout::Resolved m = oci_layout::resolve(ref);
    a = parse_artifact_manifest(m.bytes, ref.str());
    out.digest = m.digest;
    out.manifest_bytes = std::move(m.bytes);
    out.config_bytes = oci_layout::read_blob(ref.path, a.config_digest, a.config_size);
  }
  out.layer = a.layer;
  out.annotations = a.annotations;
  return out;
}

}  // namespace acuctl
