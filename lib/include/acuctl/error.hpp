// The one error type of acuctl: a message that names the thing and the reason,
// and a category that maps to the exit codes of SPEC section 4.
#pragma once
#include <stdexcept>
#include <string>

namespace acuctl {

enum class Exit : int {
  ok = 0,
  failure = 1,        // I/O, network, server error
  usage = 2,          // bad command line
  verification = 3,   // digest, signature, untrusted key, schema incompatible
  rolled_back = 4,    // rollout rolled back because analysis failed
  not_completed = 5,  // rollout timed out, aborted or lost a runner; rolled back
  interrupted = 130,
};

class Error : public std::runtime_error {
 public:
  Error(Exit exit, const std::string& message, std::string hint = {})
      : std::runtime_error(message), exit_(exit), hint_(std::move(hint)) {}
  Exit exit() const noexcept { return exit_; }
  const std::string& hint() const noexcept { return hint_; }

 private:
  Exit exit_;
  std::string hint_;
};

[[noreturn]] inline void fail(const std::string& message, std::string hint = {}) {
  throw Error(Exit::failure, message, std::move(hint));
}
[[noreturn]] inline void fail_verification(const std::string& message, std::string hint = {}) {
  throw Error(Exit::verification, message, std::move(hint));
}
[[noreturn]] inline void fail_usage(const std::string& message, std::string hint = {}) {
  throw Error(Exit::usage, message, std::move(hint));
}

// Re-throws the current exception with `context: ` in front of its message,
// keeping its category (std exceptions become failures).
[[noreturn]] void rethrow_with_context(const std::string& context);

}  // namespace acuctl
