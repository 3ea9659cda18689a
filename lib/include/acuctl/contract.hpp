// Every user-visible name of the contract (../shared/SPEC.md) defined once:
// schema ids, media types, annotations, metric names, header names, runtimes.
#pragma once
#include <cstdint>
#include <string_view>

namespace acuctl::contract {

inline constexpr std::string_view bundle_schema = "acuctl.bundle/v1";
inline constexpr std::string_view manifest_entry = "manifest.json";
inline constexpr std::string_view signature_entry = "manifest.sig";
inline constexpr std::string_view model_prefix = "model/";
inline constexpr std::string_view descriptor_file = "model.json";
inline constexpr std::uint64_t default_unpack_limit = 16ULL << 30;  // 16 GiB

inline constexpr std::string_view runtime_native = "native";
inline constexpr std::string_view runtime_xgboost = "xgboost";

// OCI (SPEC section 5)
inline constexpr std::string_view oci_manifest_media_type = "application/vnd.oci.image.manifest.v1+json";
inline constexpr std::string_view oci_index_media_type = "application/vnd.oci.image.index.v1+json";
inline constexpr std::string_view artifact_type = "application/vnd.acuctl.model.v1";
inline constexpr std::string_view config_media_type = "application/vnd.acuctl.model.manifest.v1+json";
inline constexpr std::string_view layer_media_type_zstd = "application/vnd.acuctl.model.bundle.v1.tar+zstd";
inline constexpr std::string_view layer_media_type_gzip = "application/vnd.acuctl.model.bundle.v1.tar+gzip";
inline constexpr std::string_view layer_media_type_tar = "application/vnd.acuctl.model.bundle.v1.tar";
inline constexpr std::string_view annotation_title = "org.opencontainers.image.title";
inline constexpr std::string_view annotation_version = "org.opencontainers.image.version";
inline constexpr std::string_view annotation_created = "org.opencontainers.image.created";
inline constexpr std::string_view annotation_ref_name = "org.opencontainers.image.ref.name";

// Environment variables
inline constexpr const char* env_registry_username = "ACUCTL_REGISTRY_USERNAME";
inline constexpr const char* env_registry_password = "ACUCTL_REGISTRY_PASSWORD";
inline constexpr const char* env_docker_config = "DOCKER_CONFIG";  // directory of docker's config.json
inline constexpr const char* env_runners = "ACUCTL_RUNNERS";
inline constexpr const char* env_token = "ACUCTL_TOKEN";
inline constexpr const char* env_no_color = "NO_COLOR";

// Runner HTTP headers (SPEC section 6)
inline constexpr std::string_view header_route_key = "X-Acu-Route-Key";
inline constexpr std::string_view header_target = "X-Acu-Target";
inline constexpr std::string_view header_version = "X-Acu-Version";

// Metrics (SPEC section 6)
inline constexpr std::string_view metric_requests = "acu_requests_total";
inline constexpr std::string_view metric_duration = "acu_request_duration_seconds";
inline constexpr std::string_view metric_canary_weight = "acu_canary_weight";
inline constexpr std::string_view metric_loads = "acu_model_loads_total";
inline constexpr std::string_view metric_swaps = "acu_model_swaps_total";

}  // namespace acuctl::contract

namespace acuctl::contract {

// Runner slots and metric label values (SPEC section 6)
inline constexpr std::string_view slot_stable = "stable";
inline constexpr std::string_view slot_canary = "canary";
inline constexpr std::string_view load_result_success = "success";
inline constexpr std::string_view load_result_failure = "failure";
inline constexpr std::string_view swap_deploy = "deploy";
inline constexpr std::string_view swap_promote = "promote";
inline constexpr std::string_view swap_rollback = "rollback";
inline constexpr std::string_view header_request_id = "X-Request-Id";
inline constexpr std::string_view server_name = "acuctl";

}  // namespace acuctl::contract
