// Synthetic traffic for --load-rps: a few threads POSTing an infer request to
// the runners at a fixed total rate, bounded (no queue, 2 s per request).
#include <curl/curl.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "acuctl/rollout_engine.hpp"

namespace acuctl::rollout {

namespace {
using Clock = std::chrono::steady_clock;
constexpr long request_timeout_ms = 2000;
// Requests are synchronous per thread, so a slow model needs more threads to
// keep the rate: 20 requests/s each leaves 50 ms per request.
constexpr double rps_per_thread = 20;
constexpr int max_threads = 16;

size_t discard(char*, size_t size, size_t n, void*) { return size * n; }
}  // namespace

struct LoadGenerator::Impl {
  std::vector<std::string> urls;
  std::string body;
  std::atomic<std::uint64_t> sent{0}, failed{0}, next_runner{0};
  std::mutex mutex;
  std::condition_variable wake;
  bool stopping = false;
  std::vector<std::thread> threads;

  void work(double rps) {
    CURL* curl = curl_easy_init();
    if (!curl) return;
    curl_slist* headers = curl_slist_append(nullptr, "Content-Type: application/json");
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, request_timeout_ms);
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, request_timeout_ms);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, discard);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.c_str());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
    const auto period = std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(1.0 / rps));
    auto next = Clock::now();
    while (true) {
      {
        std::unique_lock lock(mutex);
        if (wake.wait_until(lock, next, [&] { return stopping; })) break;
      }
      const std::string& url = urls[next_runner.fetch_add(1) % urls.size()];
      curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
      CURLcode rc = curl_easy_perform(curl);
      long status = 0;
      curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
      sent.fetch_add(1);
      if (rc != CURLE_OK || status >= 500) failed.fetch_add(1);
      next += period;
      // Slots missed while requests were slow are skipped, never queued.
      if (auto now = Clock::now(); now > next + period) next = now;
    }
    curl_slist_free_all(headers);
    curl_easy_cleanup(curl);
  }
};

LoadGenerator::LoadGenerator(std::vector<std::string> runners, std::string model, nlohmann::json request, double rps)
    : impl_(std::make_unique<Impl>()) {
  for (auto& r : runners) impl_->urls.push_back(r + "/v2/models/" + model + "/infer");
  impl_->body = request.dump();
  if (impl_->urls.empty() || !(rps > 0)) return;
  int n = std::clamp(static_cast<int>(std::ceil(rps / rps_per_thread)), 1, max_threads);
  for (int i = 0; i < n; ++i) impl_->threads.emplace_back([this, rps, n] { impl_->work(rps / n); });
}

LoadGenerator::~LoadGenerator() {
  {
    std::lock_guard lock(impl_->mutex);
    impl_->stopping = true;
  }
  impl_->wake.notify_all();
  for (auto& t : impl_->threads) t.join();
}

std::uint64_t LoadGenerator::sent() const { return impl_->sent.load(); }
std::uint64_t LoadGenerator::failed() const { return impl_->failed.load(); }

}  // namespace acuctl::rollout
