// Model slots and the routing table the request path reads. The table is
// immutable and swapped atomically as a whole; a request holds the table it
// started with, so a model is released when its last request finishes.
#pragma once
#include <atomic>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "acuctl/descriptor.hpp"
#include "acuctl/metrics.hpp"
#include "acuctl/runtime.hpp"

namespace acuctl::runner {

// A model ready to serve: immutable once loaded.
struct LoadedModel {
  Descriptor descriptor;
  std::string digest;     // "sha256:<hex>" of the bundle
  std::string ref;        // the reference it was loaded from
  std::string loaded_at;  // RFC 3339 UTC
  std::filesystem::path dir;  // the unpacked bundle
  std::unique_ptr<ModelRuntime> runtime;
};

enum class SlotKind { stable, canary };
std::string_view slot_name(SlotKind kind);

struct Slot {
  SlotKind kind = SlotKind::stable;
  std::shared_ptr<const LoadedModel> model;
  std::shared_ptr<RequestSeries> series;  // this slot's request metrics
};

struct RoutingTable {
  std::string model_name;  // the name /v2/models/{name} answers to
  std::optional<Slot> stable;
  std::optional<Slot> canary;
  int canary_weight = 0;  // percent of requests for the canary, 0..100
  std::uint64_t generation = 0;

  // The slot serving `version`, or null.
  const Slot* find_version(std::string_view version) const;
};

// Why choose_slot found nothing.
enum class RouteError { none, no_model, no_canary, bad_target };

struct RouteChoice {
  const Slot* slot = nullptr;
  RouteError error = RouteError::none;
};

// Picks the slot for one request. `target` is X-Acu-Target ("stable" or
// "canary" forces that slot; empty = by weight); `route_key` is
// X-Acu-Route-Key (when non-empty, its hash decides, so one key always gets
// the same slot); otherwise `draw` (uniform in [0, 100)) decides.
RouteChoice choose_slot(const RoutingTable& table, std::string_view target, std::string_view route_key,
                        unsigned draw);

// Hash of a route key into [0, 100): FNV-1a, stable across runs and hosts.
unsigned route_bucket(std::string_view route_key);

// Holds the current routing table; readers never block writers or each other.
class Router {
 public:
  Router() : table_(std::make_shared<const RoutingTable>()) {}
  std::shared_ptr<const RoutingTable> current() const { return table_.load(std::memory_order_acquire); }
  void publish(std::shared_ptr<const RoutingTable> table) { table_.store(std::move(table), std::memory_order_release); }

 private:
  std::atomic<std::shared_ptr<const RoutingTable>> table_;
};

}  // namespace acuctl::runner
