// A one-line progress bar (bytes, rate, ETA) on standard error, drawn only
// when standard error is a terminal and the output format is text.
#pragma once
#include <chrono>
#include <cstdint>
#include <string>

#include "acuctl/registry.hpp"
#include "command.hpp"

namespace acuctl::cli {

class ProgressBar {
 public:
  ProgressBar(std::string label, const Context& ctx);
  ~ProgressBar();
  ProgressBar(const ProgressBar&) = delete;
  ProgressBar& operator=(const ProgressBar&) = delete;

  void update(std::uint64_t done, std::uint64_t total);
  // Ends the line (if one was drawn).
  void finish();
  // A callback for RegistryOptions::progress (nullptr-like when disabled).
  ProgressFn callback();
  bool enabled() const { return enabled_; }

 private:
  void draw(bool final);
  std::string label_;
  bool enabled_ = false;
  bool drawn_ = false;
  std::uint64_t done_ = 0;
  std::uint64_t total_ = 0;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_draw_;
};

// "1.5 GiB", "12.0 MiB", "512 B".
std::string human_bytes(double bytes);

}  // namespace acuctl::cli
