// Sizes on the command line (see acuctl/units.hpp).
#include "acuctl/units.hpp"

#include <string>

#include "acuctl/error.hpp"

namespace acuctl {

std::uint64_t parse_size(std::string_view what, std::string_view text) {
  auto bad = [&](const std::string& why) -> std::uint64_t {
    fail_usage("invalid " + std::string(what) + " '" + std::string(text) + "': " + why);
  };
  std::size_t i = 0;
  std::uint64_t value = 0;
  while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
    auto digit = static_cast<std::uint64_t>(text[i++] - '0');
    if (value > (UINT64_MAX - digit) / 10) return bad("too large");
    value = value * 10 + digit;
  }
  if (i == 0) return bad("expected a size like 16MiB");
  std::string_view unit = text.substr(i);
  int shift = -1;
  if (unit.empty() || unit == "B") shift = 0;
  else if (unit == "K" || unit == "k" || unit == "KiB") shift = 10;
  else if (unit == "M" || unit == "m" || unit == "MiB") shift = 20;
  else if (unit == "G" || unit == "g" || unit == "GiB") shift = 30;
  else if (unit == "T" || unit == "t" || unit == "TiB") shift = 40;
  if (shift < 0) return bad("unknown unit '" + std::string(unit) + "' (use B, KiB, MiB, GiB or TiB)");
  if (value > (UINT64_MAX >> shift)) return bad("too large");
  return value << shift;
}

}  // namespace acuctl
