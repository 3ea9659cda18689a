// The Prometheus text-format parser: what runners serve, the format's corners,
// and hostile input (errors name the line; nothing crashes).
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <random>

#include "acuctl/error.hpp"
#include "acuctl/prom_text.hpp"

using namespace acuctl;
using namespace acuctl::prom;

namespace {
double value(const Exposition& e, const std::string& name, Labels labels = {}) {
  std::sort(labels.begin(), labels.end());
  auto it = e.samples.find(SeriesKey{name, labels});
  REQUIRE_MESSAGE(it != e.samples.end(), "missing series " << SeriesKey{name, labels}.to_string());
  return it->second.value;
}

std::string parse_error(std::string_view text) {
  try {
    parse_text(text, "http://r:1/metrics");
  } catch (const Error& e) {
    CHECK(e.exit() == Exit::failure);
    return e.what();
  }
  FAIL("expected an error for: " << text);
  return {};
}
}  // namespace

TEST_CASE("prom text: a runner's exposition with counters and a histogram") {
  const char* text = R"(# HELP acu_requests_total Inference requests by model, version, slot and status code.
# TYPE acu_requests_total counter
acu_requests_total{model="iris",version="1.0.0",slot="stable",code="200"} 1027
acu_requests_total{model="iris",version="1.1.0",slot="canary",code="500"} 3
# HELP acu_request_duration_seconds Request latency.
# TYPE acu_request_duration_seconds histogram
acu_request_duration_seconds_bucket{model="iris",version="1.0.0",slot="stable",le="0.005"} 1000
acu_request_duration_seconds_bucket{model="iris",version="1.0.0",slot="stable",le="+Inf"} 1027
acu_request_duration_seconds_sum{model="iris",version="1.0.0",slot="stable"} 2.5e-1
acu_request_duration_seconds_count{model="iris",version="1.0.0",slot="stable"} 1027
acu_canary_weight{model="iris"} 10
)";
  Exposition e = parse_text(text, "test");
  CHECK(e.samples.size() == 7);
  CHECK(value(e, "acu_requests_total", {{"model", "iris"}, {"version", "1.0.0"}, {"slot", "stable"}, {"code", "200"}}) == 1027);
  CHECK(value(e, "acu_request_duration_seconds_bucket",
              {{"le", "+Inf"}, {"model", "iris"}, {"version", "1.0.0"}, {"slot", "stable"}}) == 1027);
  CHECK(value(e, "acu_request_duration_seconds_sum", {{"model", "iris"}, {"version", "1.0.0"}, {"slot", "stable"}}) == 0.25);
  CHECK(e.types.at("acu_requests_total") == MetricType::counter);
  CHECK(e.types.at("acu_request_duration_seconds") == MetricType::histogram);
  CHECK(e.help.at("acu_requests_total") == "Inference requests by model, version, slot and status code.");
  auto key = e.samples.begin()->first;
  CHECK(key.label("model") != nullptr);
  CHECK(key.label("nope") == nullptr);
}

TEST_CASE("prom text: the format's corners") {
  const char* text =
      "\n"
      "   # a plain comment, then blank lines\n"
      "\t\n"
      "# HELP esc Backslash \\\\ and\\nnewline \\t kept\n"
      "# TYPE esc gauge\n"
      "esc{path=\"C:\\\\dir\",quote=\"say \\\"hi\\\"\",nl=\"a\\nb\"} -1.5e3 1700000000000\n"
      "  spaced_out { b = \"2\" , a = \"1\" , }   42   -17  \n"
      "no_labels +Inf\n"
      "neg_inf -Inf\n"
      "not_a_number NaN\n"
      "lower_nan nan\n"
      "empty_label{a=\"\",b=\"x\"} 1\n"
      "empty_braces{} 2\n"
      "colon:name_total 3\r\n"
      "utf8{v=\"\xc3\xa9t\xc3\xa9\"} 4\n"
      "huge 1e400\n"
      "tiny 1e-400\n"
      "# TYPE untyped_one untyped\n"
      "last_line_without_newline 5";
  Exposition e = parse_text(text, "test");
  CHECK(value(e, "esc", {{"path", "C:\\dir"}, {"quote", "say \"hi\""}, {"nl", "a\nb"}}) == -1500);
  CHECK(e.samples.at(SeriesKey{"esc", {{"nl", "a\nb"}, {"path", "C:\\dir"}, {"quote", "say \"hi\""}}}).timestamp_ms ==
        1700000000000);
  CHECK(e.help.at("esc") == "Backslash \\ and\nnewline \\t kept");
  // Label order does not matter; a trailing comma is allowed.
  CHECK(value(e, "spaced_out", {{"a", "1"}, {"b", "2"}}) == 42);
  CHECK(e.samples.at(SeriesKey{"spaced_out", {{"a", "1"}, {"b", "2"}}}).timestamp_ms == -17);
  CHECK(std::isinf(value(e, "no_labels")));
  CHECK(value(e, "neg_inf") < 0);
  CHECK(std::isnan(value(e, "not_a_number")));
  CHECK(std::isnan(value(e, "lower_nan")));
  // An empty label value is the same as no label (as in Prometheus).
  CHECK(value(e, "empty_label", {{"b", "x"}}) == 1);
  CHECK(value(e, "empty_braces") == 2);
  CHECK(value(e, "colon:name_total") == 3);
  CHECK(value(e, "utf8", {{"v", "\xc3\xa9t\xc3\xa9"}}) == 4);
  CHECK(std::isinf(value(e, "huge")));
  CHECK(value(e, "tiny") == 0);
  CHECK(value(e, "last_line_without_newline") == 5);
  CHECK(e.types.at("untyped_one") == MetricType::untyped);
  CHECK(SeriesKey{"m", {{"a", "q\"\\\n"}}}.to_string() == "m{a=\"q\\\"\\\\\\n\"}");
  CHECK(parse_text("", "empty").samples.empty());
}

TEST_CASE("prom text: values") {
  CHECK(parse_value("1") == 1.0);
  CHECK(parse_value("-0.5") == -0.5);
  CHECK(parse_value("+2") == 2.0);
  CHECK(parse_value("1E3") == 1000.0);
  CHECK(parse_value(".5") == 0.5);
  CHECK(std::isinf(*parse_value("+inf")));
  CHECK(std::isinf(*parse_value("Infinity")));
  for (const char* bad : {"", "+", "-", "1,5", "0x10", "nan(1)", "1e", "--1", "+-1", "1 ", "abc", "1e5e5", "Inff"}) {
    CAPTURE(bad);
    CHECK_FALSE(parse_value(bad).has_value());
  }
}

TEST_CASE("prom text: hostile input is an error naming the line and the reason") {
  struct Case {
    const char* text;
    const char* error;
  };
  const Case cases[] = {
      {"ok 1\n{a=\"1\"} 2", "line 2: expected a metric name in sample"},
      {"9lives 1", "line 1: expected a metric name"},
      {"m{a=\"1\" 2", "line 1: expected ',' or '}' after the value of label 'a'"},
      {"m{a=\"1", "line 1: unterminated value of label 'a'"},
      {"m{a=\"1\\", "line 1: unterminated value of label 'a'"},
      {"m{a=1} 2", "line 1: expected '\"' to start the value of label 'a'"},
      {"m{a} 2", "line 1: expected '=' after label name 'a'"},
      {"m{a=\"1\",a=\"2\"} 2", "line 1: label 'a' appears twice in 'm'"},
      {"m{a=\"\\x\"} 2", "line 1: invalid escape in the value of label 'a'"},
      {"m{1a=\"x\"} 2", "line 1: expected a label name in 'm'"},
      {"m{a=\"x\",", "line 1: unterminated label set of 'm'"},
      {"m{", "line 1: unterminated label set of 'm'"},
      {"m", "line 1: sample 'm' has no value"},
      {"m{a=\"1\"}", "line 1: sample 'm' has no value"},
      {"m abc", "line 1: invalid value 'abc' for 'm'"},
      {"m 1 12.5", "line 1: invalid timestamp '12.5' for 'm'"},
      {"m 1 99999999999999999999", "line 1: invalid timestamp"},
      {"m 1 2 3", "line 1: unexpected text after the timestamp: '3'"},
      {"m-x 1", "line 1: unexpected character '-' after 'm'"},
      {"m 1\nm 2", "line 2: duplicate series 'm'"},
      {"m{b=\"1\",a=\"2\"} 1\nm{a=\"2\",b=\"1\"} 1", "line 2: duplicate series 'm{a=\"2\",b=\"1\"}'"},
      {"# TYPE m", "line 1: TYPE line for 'm' has no type"},
      {"# TYPE m nonsense", "line 1: unknown metric type 'nonsense' for 'm'"},
      {"# TYPE m counter extra", "line 1: unexpected text after the type in TYPE line"},
      {"# TYPE m counter\n# TYPE m gauge", "line 2: second TYPE line for 'm'"},
      {"# HELP", "line 1: HELP line without a metric name"},
      {"# HELP m a\n# HELP m b", "line 2: second HELP line for 'm'"},
      {"# HELP 1m x", "line 1: expected a metric name in HELP line"},
      {"m\x01 1", "line 1: unexpected character '?' after 'm'"},
  };
  for (const auto& c : cases) {
    std::string msg = parse_error(c.text);
    CAPTURE(c.text);
    CAPTURE(msg);
    CHECK(msg.find("invalid metrics text from 'http://r:1/metrics': ") == 0);
    CHECK(msg.find(c.error) != std::string::npos);
  }
  // A flood of one token is cut short in the message.
  std::string long_name(100000, 'a');
  std::string msg = parse_error(long_name + " x");
  CHECK(msg.size() < 300);
}

TEST_CASE("prom text: random and mutated input never crashes") {
  const std::string seed_text =
      "# HELP acu_requests_total x\n# TYPE acu_requests_total counter\n"
      "acu_requests_total{model=\"iris\",version=\"1\",slot=\"canary\",code=\"500\"} 3 1700000000\n"
      "acu_request_duration_seconds_bucket{le=\"+Inf\",a=\"\\\"\\\\\\n\"} NaN\n";
  const std::string alphabet = "{}=\",\\ \t\n#aZ_:09.+-eEInfa\x01\xff";
  std::mt19937 rng(12345);
  int parsed = 0, refused = 0;
  for (int round = 0; round < 20000; ++round) {
    std::string text = seed_text;
    int edits = 1 + static_cast<int>(rng() % 8);
    for (int i = 0; i < edits; ++i) {
      std::size_t pos = rng() % (text.size() + 1);
      switch (rng() % 3) {
        case 0: text.insert(pos, 1, alphabet[rng() % alphabet.size()]); break;
        case 1: if (pos < text.size()) text.erase(pos, 1); break;
        default: if (pos < text.size()) text[pos] = alphabet[rng() % alphabet.size()]; break;
      }
    }
    try {
      parse_text(text, "fuzz");
      ++parsed;
    } catch (const Error& e) {
      ++refused;
      CHECK(std::string(e.what()).find("line ") != std::string::npos);
    }
  }
  CHECK(parsed > 0);
  CHECK(refused > 0);
}

TEST_CASE("prom text: deep or huge input stays bounded") {
  // A million-sample exposition parses; a megabyte of one line is one error.
  std::string big;
  for (int i = 0; i < 20000; ++i)
    big += "acu_requests_total{model=\"m\",version=\"" + std::to_string(i) + "\",slot=\"canary\",code=\"200\"} " +
           std::to_string(i) + "\n";
  CHECK(parse_text(big, "big").samples.size() == 20000);
  std::string one_line(1 << 20, '{');
  CHECK(parse_error("m" + one_line).find("line 1:") != std::string::npos);
}

// Not a test: parses the file named by ACUCTL_BENCH_METRICS once (see
// tests/bench/prom_text_bench.sh, which times it against promtool).
TEST_CASE("bench: parse one /metrics file" * doctest::skip(std::getenv("ACUCTL_BENCH_METRICS") == nullptr)) {
  std::string path = std::getenv("ACUCTL_BENCH_METRICS");
  std::string text;
  {
    FILE* f = std::fopen(path.c_str(), "rb");
    REQUIRE(f != nullptr);
    char buf[1 << 16];
    std::size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) text.append(buf, n);
    std::fclose(f);
  }
  CHECK(parse_text(text, path).samples.size() > 0);
}
