// Slot choice for one request: forced target, route-key hash or weighted draw.
#include "acuctl/routing.hpp"

#include "acuctl/contract.hpp"

namespace acuctl::runner {

std::string_view slot_name(SlotKind kind) {
  return kind == SlotKind::canary ? contract::slot_canary : contract::slot_stable;
}

const Slot* RoutingTable::find_version(std::string_view version) const {
  if (stable && stable->model->descriptor.version == version) return &*stable;
  if (canary && canary->model->descriptor.version == version) return &*canary;
  return nullptr;
}

unsigned route_bucket(std::string_view route_key) {
  std::uint64_t h = 14695981039346656037ULL;
  for (char c : route_key) {
    h ^= static_cast<unsigned char>(c);
    h *= 1099511628211ULL;
  }
  return static_cast<unsigned>(h % 100);
}

RouteChoice choose_slot(const RoutingTable& table, std::string_view target, std::string_view route_key,
                        unsigned draw) {
  if (!target.empty()) {
    if (target == contract::slot_stable)
      return table.stable ? RouteChoice{&*table.stable, RouteError::none} : RouteChoice{nullptr, RouteError::no_model};
    if (target == contract::slot_canary)
      return table.canary ? RouteChoice{&*table.canary, RouteError::none} : RouteChoice{nullptr, RouteError::no_canary};
    return {nullptr, RouteError::bad_target};
  }
  if (!table.stable) return {nullptr, RouteError::no_model};
  if (table.canary && table.canary_weight > 0) {
    unsigned bucket = route_key.empty() ? draw % 100 : route_bucket(route_key);
    if (bucket < static_cast<unsigned>(table.canary_weight)) return {&*table.canary, RouteError::none};
  }
  return {&*table.stable, RouteError::none};
}

}  // namespace acuctl::runner
