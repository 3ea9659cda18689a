// Sizes as the command line writes them: "0", "1048576", "512KiB", "64M", "16GiB".
#pragma once
#include <cstdint>
#include <string_view>

namespace acuctl {

// Bytes of a size: digits, then an optional unit B, K/KiB, M/MiB, G/GiB or
// T/TiB (powers of 1024; k, m, g, t also accepted). Throws Error(usage)
// naming `what` (a flag or variable) and the text when it is not a size or
// does not fit in 64 bits.
std::uint64_t parse_size(std::string_view what, std::string_view text);

}  // namespace acuctl
