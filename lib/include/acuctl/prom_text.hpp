// A parser for the Prometheus text exposition format 0.0.4 (what every runner's
// /metrics serves): samples keyed by metric name and label set.
#pragma once
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace acuctl::prom {

// Label pairs sorted by name (a label set has each name once), so two series
// with the same labels in a different order compare equal.
using Labels = std::vector<std::pair<std::string, std::string>>;

struct SeriesKey {
  std::string name;
  Labels labels;
  auto operator<=>(const SeriesKey&) const = default;
  bool operator==(const SeriesKey&) const = default;
  // The label's value, or nullptr when the series has no such label.
  const std::string* label(std::string_view label_name) const;
  // name{a="1",b="2"} with values escaped as in the text format.
  std::string to_string() const;
};

struct Sample {
  double value = 0;
  std::optional<std::int64_t> timestamp_ms;
};

enum class MetricType { untyped, counter, gauge, histogram, summary };

struct Exposition {
  std::map<SeriesKey, Sample> samples;
  std::map<std::string, MetricType> types;  // from # TYPE lines, by metric family name
  std::map<std::string, std::string> help;  // from # HELP lines, unescaped
};

// Parses `text`; `source` names the document in errors. Errors (Exit::failure)
// name the line and the reason: "invalid metrics text from 'URL': line 3: …".
// A series that appears twice is an error, as in Prometheus. Never reads out of
// bounds, whatever the input.
Exposition parse_text(std::string_view text, std::string_view source);

// A value as the format writes it: Go float syntax plus NaN, +Inf, -Inf
// (case-insensitive). nullopt if `text` is not entirely a number.
std::optional<double> parse_value(std::string_view text);

}  // namespace acuctl::prom
