// Prometheus text exposition of the runner's counters and histograms.
#include "acuctl/metrics.hpp"

#include <charconv>
#include <cmath>

#include "acuctl/contract.hpp"

namespace acuctl::runner {
namespace {

void append_double(std::string& out, double v) {
  char buf[32];
  auto res = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, res.ptr);
}

// Bucket bounds in plain decimal ("0.0001", not "1e-04"), as Prometheus clients write them.
void append_bound(std::string& out, double v) {
  char buf[32];
  auto res = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::fixed);
  out.append(buf, res.ptr);
}

void append_series_labels(std::string& out, const RequestSeries& s) {
  out += "model=\"" + escape_label(s.model()) + "\",version=\"" + escape_label(s.version()) + "\",slot=\"" +
         escape_label(s.slot()) + "\"";
}

}  // namespace

void RequestSeries::observe(unsigned status, double seconds) noexcept {
  if (status < max_status) by_status_[status].fetch_add(1, std::memory_order_relaxed);
  std::size_t b = 0;
  while (b < latency_buckets.size() && seconds > latency_buckets[b]) ++b;
  buckets_[b].fetch_add(1, std::memory_order_relaxed);
  double ns = seconds > 0 ? seconds * 1e9 : 0.0;
  sum_ns_.fetch_add(static_cast<std::uint64_t>(ns), std::memory_order_relaxed);
  count_.fetch_add(1, std::memory_order_relaxed);
}

std::uint64_t RequestSeries::requests(unsigned status) const noexcept {
  return status < max_status ? by_status_[status].load(std::memory_order_relaxed) : 0;
}

std::shared_ptr<RequestSeries> Metrics::series(const std::string& model, const std::string& version,
                                               const std::string& slot) {
  std::lock_guard lock(mutex_);
  auto& entry = series_[{model, version, slot}];
  if (!entry) entry = std::make_shared<RequestSeries>(model, version, slot);
  return entry;
}

void Metrics::count_load(const std::string& model, std::string_view result) {
  std::lock_guard lock(mutex_);
  ++loads_[{model, std::string(result)}];
}

void Metrics::count_swap(const std::string& model, std::string_view kind) {
  std::lock_guard lock(mutex_);
  ++swaps_[{model, std::string(kind)}];
}

std::string escape_label(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (c == '\\') out += "\\\\";
    else if (c == '"') out += "\\\"";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
  return out;
}

std::string Metrics::render(const std::vector<std::pair<std::string, int>>& canary_weights) const {
  std::lock_guard lock(mutex_);
  std::string out;
  out.reserve(4096 + series_.size() * 2048);
  const std::string requests(contract::metric_requests);
  const std::string duration(contract::metric_duration);

  out += "# HELP " + requests + " Inference requests answered, by model version, slot and HTTP status.\n";
  out += "# TYPE " + requests + " counter\n";
  for (const auto& [key, s] : series_) {
    for (unsigned code = 100; code < RequestSeries::max_status; ++code) {
      std::uint64_t n = s->by_status_[code].load(std::memory_order_relaxed);
      if (n == 0) continue;
      out += requests + "{";
      append_series_labels(out, *s);
      out += ",code=\"" + std::to_string(code) + "\"} " + std::to_string(n) + "\n";
    }
  }

  out += "# HELP " + duration + " Time from a request's arrival to its answer, by model version and slot.\n";
  out += "# TYPE " + duration + " histogram\n";
  for (const auto& [key, s] : series_) {
    // _count is the sum of the buckets as read, so that +Inf and _count agree
    // even when requests land during the scrape.
    std::uint64_t cumulative = 0;
    for (std::size_t b = 0; b <= latency_buckets.size(); ++b) {
      cumulative += s->buckets_[b].load(std::memory_order_relaxed);
      out += duration + "_bucket{";
      append_series_labels(out, *s);
      out += ",le=\"";
      if (b < latency_buckets.size()) append_bound(out, latency_buckets[b]); else out += "+Inf";
      out += "\"} " + std::to_string(cumulative) + "\n";
    }
    out += duration + "_sum{";
    append_series_labels(out, *s);
    out += "} ";
    append_double(out, static_cast<double>(s->sum_ns_.load(std::memory_order_relaxed)) / 1e9);
    out += "\n" + duration + "_count{";
    append_series_labels(out, *s);
    out += "} " + std::to_string(cumulative) + "\n";
  }

  out += "# HELP " + std::string(contract::metric_canary_weight) + " Percent of requests routed to the canary.\n";
  out += "# TYPE " + std::string(contract::metric_canary_weight) + " gauge\n";
  for (const auto& [model, weight] : canary_weights)
    out += std::string(contract::metric_canary_weight) + "{model=\"" + escape_label(model) + "\"} " +
           std::to_string(weight) + "\n";

  out += "# HELP " + std::string(contract::metric_loads) + " Model loads, by result.\n";
  out += "# TYPE " + std::string(contract::metric_loads) + " counter\n";
  for (const auto& [key, n] : loads_)
    out += std::string(contract::metric_loads) + "{model=\"" + escape_label(key.first) + "\",result=\"" +
           escape_label(key.second) + "\"} " + std::to_string(n) + "\n";

  out += "# HELP " + std::string(contract::metric_swaps) + " Serving swaps, by kind (deploy, promote, rollback).\n";
  out += "# TYPE " + std::string(contract::metric_swaps) + " counter\n";
  for (const auto& [key, n] : swaps_)
    out += std::string(contract::metric_swaps) + "{model=\"" + escape_label(key.first) + "\",kind=\"" +
           escape_label(key.second) + "\"} " + std::to_string(n) + "\n";
  return out;
}

}  // namespace acuctl::runner
