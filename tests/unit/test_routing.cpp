// Tests for lib/runner/routing.cpp: slot choice by target, route key and weight.
#include <doctest/doctest.h>

#include "acuctl/routing.hpp"

using namespace acuctl;
using namespace acuctl::runner;

namespace {

std::shared_ptr<const LoadedModel> model(const std::string& version) {
  auto m = std::make_shared<LoadedModel>();
  m->descriptor.name = "iris";
  m->descriptor.version = version;
  return m;
}

RoutingTable table(int weight, bool with_canary = true) {
  RoutingTable t;
  t.model_name = "iris";
  t.stable = Slot{SlotKind::stable, model("1"), nullptr};
  if (with_canary) t.canary = Slot{SlotKind::canary, model("2"), nullptr};
  t.canary_weight = weight;
  return t;
}

}  // namespace

TEST_CASE("no canary or weight 0: everything goes to stable") {
  for (unsigned draw = 0; draw < 100; ++draw) {
    CHECK(choose_slot(table(0), "", "", draw).slot->kind == SlotKind::stable);
    CHECK(choose_slot(table(50, false), "", "", draw).slot->kind == SlotKind::stable);
  }
}

TEST_CASE("weight is the percent of draws that go to the canary") {
  for (int weight : {1, 10, 50, 99, 100}) {
    int canary = 0;
    for (unsigned draw = 0; draw < 100; ++draw)
      canary += choose_slot(table(weight), "", "", draw).slot->kind == SlotKind::canary;
    CHECK(canary == weight);
  }
}

TEST_CASE("a route key always gets the same slot, and keys spread by weight") {
  RoutingTable t = table(30);
  int canary = 0;
  for (int i = 0; i < 10000; ++i) {
    std::string key = "user-" + std::to_string(i);
    const Slot* first = choose_slot(t, "", key, 0).slot;
    CHECK(choose_slot(t, "", key, 99).slot == first);
    canary += first->kind == SlotKind::canary;
  }
  CHECK(canary > 2700);
  CHECK(canary < 3300);
  CHECK(route_bucket("abc") == route_bucket("abc"));
  CHECK(route_bucket("") < 100);
}

TEST_CASE("X-Acu-Target forces a slot") {
  CHECK(choose_slot(table(0), "canary", "", 0).slot->kind == SlotKind::canary);
  CHECK(choose_slot(table(100), "stable", "", 0).slot->kind == SlotKind::stable);
  CHECK(choose_slot(table(0, false), "canary", "", 0).error == RouteError::no_canary);
  CHECK(choose_slot(table(0), "Canary", "", 0).error == RouteError::bad_target);
  CHECK(choose_slot(RoutingTable{}, "", "", 0).error == RouteError::no_model);
}

TEST_CASE("find_version looks at both slots") {
  RoutingTable t = table(10);
  CHECK(t.find_version("1")->kind == SlotKind::stable);
  CHECK(t.find_version("2")->kind == SlotKind::canary);
  CHECK(t.find_version("3") == nullptr);
}

TEST_CASE("a model is released when the last table holding it goes") {
  Router router;
  std::weak_ptr<const LoadedModel> old;
  {
    auto t = std::make_shared<RoutingTable>(table(0, false));
    old = t->stable->model;
    router.publish(t);
  }
  auto in_flight = router.current();  // a request that started before the swap
  auto next = std::make_shared<RoutingTable>(*in_flight);
  next->stable = Slot{SlotKind::stable, model("2"), nullptr};
  router.publish(next);
  CHECK_FALSE(old.expired());
  CHECK(router.current()->stable->model->descriptor.version == "2");
  in_flight.reset();
  CHECK(old.expired());
}
