// Prometheus text exposition format 0.0.4: a strict, bounds-checked line parser.
#include "acuctl/prom_text.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>

#include "acuctl/error.hpp"

namespace acuctl::prom {
namespace {

bool is_blank(char c) { return c == ' ' || c == '\t'; }
bool name_start(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':'; }
bool name_char(char c) { return name_start(c) || (c >= '0' && c <= '9'); }
bool label_start(char c) { return name_start(c) && c != ':'; }
bool label_char(char c) { return name_char(c) && c != ':'; }

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

// Quotes a token for an error message without letting hostile input flood it.
std::string shown(std::string_view token) {
  constexpr std::size_t max = 40;
  std::string out = "'";
  for (std::size_t i = 0; i < token.size() && i < max; ++i) {
    unsigned char c = static_cast<unsigned char>(token[i]);
    out += (c < 0x20 || c == 0x7f) ? '?' : static_cast<char>(c);
  }
  if (token.size() > max) out += "…";
  return out + "'";
}

// One line being read; every accessor checks bounds.
class Cursor {
 public:
  explicit Cursor(std::string_view line) : s_(line) {}
  bool done() const { return i_ >= s_.size(); }
  char peek() const { return done() ? '\0' : s_[i_]; }
  void advance() { ++i_; }
  std::size_t skip_blanks() {
    std::size_t start = i_;
    while (!done() && is_blank(s_[i_])) ++i_;
    return i_ - start;
  }
  template <class Pred>
  std::string_view take_while(Pred pred) {
    std::size_t start = i_;
    while (!done() && pred(s_[i_])) ++i_;
    return s_.substr(start, i_ - start);
  }
  std::string_view rest() const { return done() ? std::string_view{} : s_.substr(i_); }

 private:
  std::string_view s_;
  std::size_t i_ = 0;
};

class Parser {
 public:
  Parser(std::string_view source) : source_(source) {}

  [[noreturn]] void bad(const std::string& why) const {
    fail("invalid metrics text from '" + std::string(source_) + "': line " + std::to_string(line_no_) + ": " + why);
  }

  void line(std::string_view text, std::size_t number) {
    line_no_ = number;
    if (!text.empty() && text.back() == '\r') text.remove_suffix(1);
    Cursor c(text);
    c.skip_blanks();
    if (c.done()) return;
    if (c.peek() == '#') {
      c.advance();
      comment(c);
    } else {
      sample(c);
    }
  }

  Exposition result() { return std::move(out_); }

 private:
  void comment(Cursor& c) {
    c.skip_blanks();
    std::string_view keyword = c.take_while([](char ch) { return !is_blank(ch); });
    if (keyword != "HELP" && keyword != "TYPE") return;  // an ordinary comment
    if (c.skip_blanks() == 0) bad(std::string(keyword) + " line without a metric name");
    std::string_view name = metric_name(c, std::string(keyword) + " line");
    if (keyword == "HELP") {
      if (!c.done() && c.skip_blanks() == 0) bad("invalid metric name in HELP line");
      if (out_.help.count(std::string(name))) bad("second HELP line for " + shown(name));
      out_.help[std::string(name)] = unescape_help(c.rest());
      return;
    }
    if (c.skip_blanks() == 0 && !c.done()) bad("invalid metric name in TYPE line");
    std::string_view type = c.take_while([](char ch) { return !is_blank(ch); });
    if (type.empty()) bad("TYPE line for " + shown(name) + " has no type");
    c.skip_blanks();
    if (!c.done()) bad("unexpected text after the type in TYPE line for " + shown(name));
    MetricType t;
    if (type == "counter") t = MetricType::counter;
    else if (type == "gauge") t = MetricType::gauge;
    else if (type == "histogram") t = MetricType::histogram;
    else if (type == "summary") t = MetricType::summary;
    else if (type == "untyped") t = MetricType::untyped;
    else bad("unknown metric type " + shown(type) + " for " + shown(name));
    if (!out_.types.emplace(std::string(name), t).second) bad("second TYPE line for " + shown(name));
  }

  std::string_view metric_name(Cursor& c, const std::string& where) {
    if (!name_start(c.peek())) bad("expected a metric name in " + where + ", found " + shown(c.rest()));
    return c.take_while(name_char);
  }

  static std::string unescape_help(std::string_view s) {
    std::string out;
    for (std::size_t i = 0; i < s.size(); ++i) {
      if (s[i] == '\\' && i + 1 < s.size() && (s[i + 1] == '\\' || s[i + 1] == 'n')) {
        out += s[i + 1] == 'n' ? '\n' : '\\';
        ++i;
      } else {
        out += s[i];
      }
    }
    return out;
  }

  void sample(Cursor& c) {
    SeriesKey key;
    key.name = std::string(metric_name(c, "sample"));
    std::size_t blanks = c.skip_blanks();
    if (c.peek() == '{') {
      c.advance();
      labels(c, key);
      blanks = c.skip_blanks();
    }
    if (blanks == 0) {
      if (c.done()) bad("sample " + shown(key.name) + " has no value");
      bad("unexpected character " + shown(c.rest().substr(0, 1)) + " after " + shown(key.name));
    }
    std::string_view value_text = c.take_while([](char ch) { return !is_blank(ch); });
    auto value = parse_value(value_text);
    if (!value) bad("invalid value " + shown(value_text) + " for " + shown(key.name));
    Sample s;
    s.value = *value;
    c.skip_blanks();
    if (!c.done()) {
      std::string_view ts_text = c.take_while([](char ch) { return !is_blank(ch); });
      std::int64_t ts = 0;
      auto [end, ec] = std::from_chars(ts_text.data(), ts_text.data() + ts_text.size(), ts);
      if (ec != std::errc{} || end != ts_text.data() + ts_text.size())
        bad("invalid timestamp " + shown(ts_text) + " for " + shown(key.name));
      s.timestamp_ms = ts;
      c.skip_blanks();
      if (!c.done()) bad("unexpected text after the timestamp: " + shown(c.rest()));
    }
    std::sort(key.labels.begin(), key.labels.end());
    auto [it, inserted] = out_.samples.emplace(std::move(key), s);
    if (!inserted) bad("duplicate series " + shown(it->first.to_string()));
  }

  void labels(Cursor& c, SeriesKey& key) {
    std::vector<std::string> seen;
    for (;;) {
      c.skip_blanks();
      if (c.peek() == '}') {
        c.advance();
        return;
      }
      if (!label_start(c.peek())) {
        if (c.done()) bad("unterminated label set of " + shown(key.name));
        bad("expected a label name in " + shown(key.name) + ", found " + shown(c.rest()));
      }
      std::string name(c.take_while(label_char));
      if (std::find(seen.begin(), seen.end(), name) != seen.end())
        bad("label " + shown(name) + " appears twice in " + shown(key.name));
      seen.push_back(name);
      c.skip_blanks();
      if (c.peek() != '=') bad("expected '=' after label name " + shown(name));
      c.advance();
      c.skip_blanks();
      if (c.peek() != '"') bad("expected '\"' to start the value of label " + shown(name));
      c.advance();
      std::string value;
      for (;;) {
        if (c.done()) bad("unterminated value of label " + shown(name));
        char ch = c.peek();
        c.advance();
        if (ch == '"') break;
        if (ch == '\\') {
          if (c.done()) bad("unterminated value of label " + shown(name));
          char e = c.peek();
          if (e == '\\' || e == '"') value += e;
          else if (e == 'n') value += '\n';
          else bad("invalid escape in the value of label " + shown(name) + " (only \\\\, \\\" and \\n)");
          c.advance();
        } else {
          value += ch;
        }
      }
      c.skip_blanks();
      char next = c.peek();
      if (next != ',' && next != '}') {
        if (c.done()) bad("unterminated label set of " + shown(key.name));
        bad("expected ',' or '}' after the value of label " + shown(name));
      }
      if (next == ',') c.advance();
      // Prometheus treats a label with an empty value as absent.
      if (!value.empty()) key.labels.emplace_back(std::move(name), std::move(value));
    }
  }

  std::string_view source_;
  std::size_t line_no_ = 0;
  Exposition out_;
};

}  // namespace

const std::string* SeriesKey::label(std::string_view label_name) const {
  for (const auto& l : labels)
    if (l.first == label_name) return &l.second;
  return nullptr;
}

std::string SeriesKey::to_string() const {
  std::string out = name;
  if (labels.empty()) return out;
  out += '{';
  bool first = true;
  for (const auto& [k, v] : labels) {
    if (!first) out += ',';
    first = false;
    out += k;
    out += "=\"";
    for (char ch : v) {
      if (ch == '\\') out += "\\\\";
      else if (ch == '"') out += "\\\"";
      else if (ch == '\n') out += "\\n";
      else out += ch;
    }
    out += '"';
  }
  return out + '}';
}

std::optional<double> parse_value(std::string_view text) {
  if (text.empty()) return std::nullopt;
  bool negative = false;
  std::string_view body = text;
  if (body.front() == '+' || body.front() == '-') {
    negative = body.front() == '-';
    body.remove_prefix(1);
  }
  if (iequals(body, "inf") || iequals(body, "infinity"))
    return negative ? -std::numeric_limits<double>::infinity() : std::numeric_limits<double>::infinity();
  if (iequals(body, "nan")) return std::numeric_limits<double>::quiet_NaN();
  if (!body.empty() && (body.front() == '+' || body.front() == '-')) return std::nullopt;
  // Digits, '.', exponent only: from_chars alone would also take "nan(…)" and hex.
  if (body.empty() || !std::all_of(body.begin(), body.end(), [](char ch) {
        return (ch >= '0' && ch <= '9') || ch == '.' || ch == 'e' || ch == 'E' || ch == '+' || ch == '-';
      }))
    return std::nullopt;
  double v = 0;
  auto [end, ec] = std::from_chars(body.data(), body.data() + body.size(), v);
  if (end != body.data() + body.size()) return std::nullopt;
  if (ec == std::errc::result_out_of_range) {
    // Go's ParseFloat returns ±Inf for overflow and 0 for underflow; so do we.
    std::string_view exp = body.substr(std::min(body.find_first_of("eE"), body.size()));
    v = exp.size() > 1 && exp[1] == '-' ? 0.0 : std::numeric_limits<double>::infinity();
  } else if (ec != std::errc{}) {
    return std::nullopt;
  }
  return negative ? -v : v;
}

Exposition parse_text(std::string_view text, std::string_view source) {
  Parser p(source);
  std::size_t number = 0;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    p.line(text.substr(start, end - start), ++number);
    start = end + 1;
  }
  return p.result();
}

}  // namespace acuctl::prom
