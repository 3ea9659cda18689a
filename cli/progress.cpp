// Progress bars for push and pull.
#include "progress.hpp"

#include <unistd.h>

#include <cstdio>
#include <iostream>

namespace acuctl::cli {

std::string human_bytes(double bytes) {
  static const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  int u = 0;
  while (bytes >= 1024 && u < 4) {
    bytes /= 1024;
    ++u;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, u == 0 ? "%.0f %s" : "%.1f %s", bytes, units[u]);
  return buf;
}

ProgressBar::ProgressBar(std::string label, const Context& ctx)
    : label_(std::move(label)),
      enabled_(!ctx.json() && !ctx.quiet && ::isatty(STDERR_FILENO)),
      start_(std::chrono::steady_clock::now()) {}

ProgressBar::~ProgressBar() {
  if (drawn_) std::cerr << "\n" << std::flush;
}

ProgressFn ProgressBar::callback() {
  if (!enabled_) return nullptr;
  return [this](std::uint64_t done, std::uint64_t total) { update(done, total); };
}

void ProgressBar::update(std::uint64_t done, std::uint64_t total) {
  done_ = done;
  total_ = total;
  auto now = std::chrono::steady_clock::now();
  if (drawn_ && now - last_draw_ < std::chrono::milliseconds(100) && done != total) return;
  last_draw_ = now;
  draw(false);
}

void ProgressBar::finish() {
  if (!enabled_ || !drawn_) return;
  draw(true);
  std::cerr << "\n" << std::flush;
  drawn_ = false;
}

void ProgressBar::draw(bool final) {
  if (!enabled_) return;
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  double rate = seconds > 0.05 ? static_cast<double>(done_) / seconds : 0;
  constexpr int width = 30;
  std::string bar;
  if (total_ > 0) {
    int filled = static_cast<int>(static_cast<double>(width) * static_cast<double>(done_) / static_cast<double>(total_));
    if (filled > width) filled = width;
    bar = "[" + std::string(static_cast<std::size_t>(filled), '#') + std::string(static_cast<std::size_t>(width - filled), '.') + "] ";
  }
  std::string line = label_ + " " + bar + human_bytes(static_cast<double>(done_));
  if (total_ > 0) line += " / " + human_bytes(static_cast<double>(total_));
  if (rate > 0) line += "  " + human_bytes(rate) + "/s";
  if (!final && rate > 0 && total_ > done_) {
    auto eta = static_cast<long long>(static_cast<double>(total_ - done_) / rate);
    char buf[32];
    std::snprintf(buf, sizeof buf, "  ETA %lld:%02lld", eta / 60, eta % 60);
    line += buf;
  }
  std::cerr << "\r" << line << "\033[K" << std::flush;
  drawn_ = true;
}

}  // namespace acuctl::cli
