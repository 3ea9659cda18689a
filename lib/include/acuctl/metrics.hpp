// The runner's Prometheus metrics (SPEC section 6). Request counters and
// latency histograms are lock-free atomics that the request path reaches
// through its routing slot, so no lookup or lock happens per request.
#pragma once
#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace acuctl::runner {

// Upper bounds (seconds) of acu_request_duration_seconds: sub-millisecond to seconds.
inline constexpr std::array<double, 16> latency_buckets = {
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};

// The request metrics of one (model, version, slot).
class RequestSeries {
 public:
  RequestSeries(std::string model, std::string version, std::string slot)
      : model_(std::move(model)), version_(std::move(version)), slot_(std::move(slot)) {}
  void observe(unsigned status, double seconds) noexcept;

  const std::string& model() const { return model_; }
  const std::string& version() const { return version_; }
  const std::string& slot() const { return slot_; }
  std::uint64_t requests(unsigned status) const noexcept;

 private:
  friend class Metrics;
  static constexpr unsigned max_status = 600;
  std::string model_, version_, slot_;
  std::array<std::atomic<std::uint64_t>, max_status> by_status_{};
  std::array<std::atomic<std::uint64_t>, latency_buckets.size() + 1> buckets_{};  // not cumulative; last = +Inf
  std::atomic<std::uint64_t> sum_ns_{0};
  std::atomic<std::uint64_t> count_{0};
};

class Metrics {
 public:
  // The series for (model, version, slot), created on first use; kept for
  // the life of the process so counters never go back.
  std::shared_ptr<RequestSeries> series(const std::string& model, const std::string& version,
                                        const std::string& slot);
  void count_load(const std::string& model, std::string_view result);
  void count_swap(const std::string& model, std::string_view kind);
  // Text exposition format 0.0.4. `canary_weights` are (model, percent).
  std::string render(const std::vector<std::pair<std::string, int>>& canary_weights) const;

 private:
  mutable std::mutex mutex_;
  std::map<std::tuple<std::string, std::string, std::string>, std::shared_ptr<RequestSeries>> series_;
  std::map<std::pair<std::string, std::string>, std::uint64_t> loads_;
  std::map<std::pair<std::string, std::string>, std::uint64_t> swaps_;
};

// Escapes a Prometheus label value (backslash, quote, newline).
std::string escape_label(std::string_view value);

}  // namespace acuctl::runner
