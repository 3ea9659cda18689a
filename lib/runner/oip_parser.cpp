// The infer request parser: a small hand-written JSON reader that puts
// "data" straight into the tensor's typed buffer. This is the runner's hot
// path; tests/bench/bench_decode compares it with nlohmann's DOM parser (and
// it replaced nlohmann's SAX interface, which measured slower than the DOM
// for small requests). It is total: every byte sequence is either a request
// or a BadRequest naming the problem, and it never reads past the body.
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <optional>
#include <utility>

#include "acuctl/oip.hpp"

namespace acuctl::oip {
namespace {

constexpr int max_data_depth = 32;  // nesting of "data" arrays

struct Raw {
  enum Kind : std::uint8_t { i64, u64, f64, boolean } kind;
  union {
    std::int64_t i;
    std::uint64_t u;
    double f;
    bool b;
  };
};


template <typename T>
void put(std::vector<std::byte>& buffer, T value) {
  std::size_t n = buffer.size();
  buffer.resize(n + sizeof(T));
  std::memcpy(buffer.data() + n, &value, sizeof(T));
}

std::string number_text(const Raw& r) {
  switch (r.kind) {
    case Raw::i64: return std::to_string(r.i);
    case Raw::u64: return std::to_string(r.u);
    case Raw::f64: {
      char buf[32];
      auto res = std::to_chars(buf, buf + sizeof buf, r.f);
      return std::string(buf, res.ptr);
    }
    case Raw::boolean: return r.b ? "true" : "false";
  }
  return "?";
}

template <typename T>
bool put_integer(std::vector<std::byte>& buffer, const Raw& r) {
  switch (r.kind) {
    case Raw::i64:
      if (!std::in_range<T>(r.i)) return false;
      put(buffer, static_cast<T>(r.i));
      return true;
    case Raw::u64:
      if (!std::in_range<T>(r.u)) return false;
      put(buffer, static_cast<T>(r.u));
      return true;
    case Raw::f64: {
      // An integral float (3.0) is accepted; 2.5 is not an integer.
      if (!std::isfinite(r.f) || std::trunc(r.f) != r.f) return false;
      if (r.f < static_cast<double>(std::numeric_limits<T>::min()) ||
          r.f >= std::ldexp(1.0, std::numeric_limits<T>::digits))
        return false;
      put(buffer, static_cast<T>(r.f));
      return true;
    }
    case Raw::boolean: return false;
  }
  return false;
}

double as_double(const Raw& r) {
  switch (r.kind) {
    case Raw::i64: return static_cast<double>(r.i);
    case Raw::u64: return static_cast<double>(r.u);
    case Raw::f64: return r.f;
    case Raw::boolean: return r.b ? 1.0 : 0.0;
  }
  return 0;
}

// Appends one element; false when the value does not fit the datatype.
bool put_value(DataType type, std::vector<std::byte>& buffer, const Raw& r) {
  if (type == DataType::BOOL) {
    if (r.kind != Raw::boolean) return false;
    put(buffer, static_cast<std::uint8_t>(r.b ? 1 : 0));
    return true;
  }
  if (r.kind == Raw::boolean) return false;
  switch (type) {
    case DataType::FP32: {
      double d = as_double(r);
      if (!std::isfinite(d) || std::fabs(d) > static_cast<double>(std::numeric_limits<float>::max())) return false;
      put(buffer, static_cast<float>(d));
      return true;
    }
    case DataType::FP64: {
      double d = as_double(r);
      if (!std::isfinite(d)) return false;
      put(buffer, d);
      return true;
    }
    case DataType::FP16: {
      double d = as_double(r);
      if (!std::isfinite(d) || std::fabs(d) > 65504.0) return false;
      put(buffer, float_to_half(static_cast<float>(d)));
      return true;
    }
    case DataType::INT8: return put_integer<std::int8_t>(buffer, r);
    case DataType::INT16: return put_integer<std::int16_t>(buffer, r);
    case DataType::INT32: return put_integer<std::int32_t>(buffer, r);
    case DataType::INT64: return put_integer<std::int64_t>(buffer, r);
    case DataType::UINT8: return put_integer<std::uint8_t>(buffer, r);
    case DataType::UINT16: return put_integer<std::uint16_t>(buffer, r);
    case DataType::UINT32: return put_integer<std::uint32_t>(buffer, r);
    case DataType::UINT64: return put_integer<std::uint64_t>(buffer, r);
    default: return false;
  }
}


std::string shape_string(const std::vector<std::int64_t>& shape) {
  std::string s = "[";
  for (std::size_t i = 0; i < shape.size(); ++i) {
    if (i) s += ',';
    s += std::to_string(shape[i]);
  }
  return s + "]";
}

constexpr int max_skip_depth = 64;

class Reader {
 public:
  explicit Reader(std::string_view body) : begin_(body.data()), p_(body.data()), end_(body.data() + body.size()) {}

  InferRequest parse() {
    InferRequest out;
    ws();
    if (p_ == end_ || *p_ != '{') {
      const char* start = p_;
      bool json_value = false;
      try {
        skip_value(0);
        ws();
        json_value = p_ == end_;
      } catch (const BadRequest&) {
      }
      p_ = start;
      fail_here(std::string(json_value ? "" : "malformed JSON: ") + "the body must be a JSON object (an infer request)");
    }
    ++p_;
    bool saw_inputs = false;
    object_members([&](std::string_view key) {
      if (key == "id") {
        if (peek() != '"') throw BadRequest("'id' must be a string");
        out.id = string();
      } else if (key == "inputs") {
        if (saw_inputs) throw BadRequest("'inputs' given twice");
        saw_inputs = true;
        if (peek() != '[') throw BadRequest("'inputs' must be an array");
        ++p_;
        array_elements([&] { out.inputs.push_back(input(out.inputs.size())); });
      } else if (key == "outputs") {
        if (peek() != '[') throw BadRequest("'outputs' must be an array");
        ++p_;
        array_elements([&] { out.outputs.push_back(output()); });
      } else {
        skip_value(0);
      }
    });
    ws();
    if (p_ != end_) fail_here("malformed JSON: unexpected text after the request");
    if (!saw_inputs) throw BadRequest("the request has no 'inputs'");
    return out;
  }

 private:
  [[noreturn]] void fail_here(const std::string& what) const {
    throw BadRequest(what + " (at byte " + std::to_string(p_ - begin_) + ")");
  }
  [[noreturn]] void malformed(const char* expected) const {
    if (p_ == end_) fail_here(std::string("malformed JSON: the body ends where ") + expected + " should be");
    fail_here(std::string("malformed JSON: expected ") + expected);
  }

  void ws() {
    while (p_ != end_ && (*p_ == ' ' || *p_ == '\n' || *p_ == '\r' || *p_ == '\t')) ++p_;
  }
  char peek() {
    ws();
    return p_ == end_ ? '\0' : *p_;
  }
  void expect(char c, const char* what) {
    if (peek() != c) malformed(what);
    ++p_;
  }

  // After '{': calls member(key) with p_ at the value, for each member.
  template <typename F>
  void object_members(F&& member) {
    if (peek() == '}') {
      ++p_;
      return;
    }
    for (;;) {
      if (peek() != '"') malformed("a key string");
      std::string key = string();
      expect(':', "':'");
      if (peek() == '\0' && p_ == end_) malformed("a value");
      member(std::string_view(key));
      char c = peek();
      ++p_;
      if (c == '}') return;
      if (c != ',') {
        --p_;
        malformed("',' or '}'");
      }
    }
  }

  // After '[': calls element() with p_ at each element.
  template <typename F>
  void array_elements(F&& element) {
    if (peek() == ']') {
      ++p_;
      return;
    }
    for (;;) {
      if (peek() == '\0' && p_ == end_) malformed("a value or ']'");
      element();
      char c = peek();
      ++p_;
      if (c == ']') return;
      if (c != ',') {
        --p_;
        malformed("',' or ']'");
      }
    }
  }

  static int hex_digit(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  }

  unsigned hex4() {
    if (end_ - p_ < 4) malformed("four hex digits");
    unsigned v = 0;
    for (int i = 0; i < 4; ++i) {
      int d = hex_digit(*p_++);
      if (d < 0) malformed("four hex digits");
      v = v * 16 + static_cast<unsigned>(d);
    }
    return v;
  }

  static void append_utf8(std::string& out, unsigned cp) {
    if (cp < 0x80) {
      out += static_cast<char>(cp);
    } else if (cp < 0x800) {
      out += static_cast<char>(0xc0 | (cp >> 6));
      out += static_cast<char>(0x80 | (cp & 0x3f));
    } else if (cp < 0x10000) {
      out += static_cast<char>(0xe0 | (cp >> 12));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
      out += static_cast<char>(0x80 | (cp & 0x3f));
    } else {
      out += static_cast<char>(0xf0 | (cp >> 18));
      out += static_cast<char>(0x80 | ((cp >> 12) & 0x3f));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
      out += static_cast<char>(0x80 | (cp & 0x3f));
    }
  }

  // At '"': the decoded string.
  std::string string() {
    ++p_;
    std::string out;
    for (;;) {
      const char* run = p_;
      while (p_ != end_ && *p_ != '"' && *p_ != '\\' && static_cast<unsigned char>(*p_) >= 0x20) ++p_;
      out.append(run, p_);
      if (p_ == end_) malformed("the end of a string");
      char c = *p_++;
      if (c == '"') return out;
      if (c != '\\') {
        --p_;
        fail_here("malformed JSON: control character in a string");
      }
      if (p_ == end_) malformed("an escape");
      switch (*p_++) {
        case '"': out += '"'; break;
        case '\\': out += '\\'; break;
        case '/': out += '/'; break;
        case 'b': out += '\b'; break;
        case 'f': out += '\f'; break;
        case 'n': out += '\n'; break;
        case 'r': out += '\r'; break;
        case 't': out += '\t'; break;
        case 'u': {
          unsigned cp = hex4();
          if (cp >= 0xd800 && cp < 0xdc00) {
            if (end_ - p_ < 2 || p_[0] != '\\' || p_[1] != 'u') malformed("a low surrogate");
            p_ += 2;
            unsigned low = hex4();
            if (low < 0xdc00 || low > 0xdfff) malformed("a low surrogate");
            cp = 0x10000 + ((cp - 0xd800) << 10) + (low - 0xdc00);
          } else if (cp >= 0xdc00 && cp < 0xe000) {
            malformed("a high surrogate before a low one");
          }
          append_utf8(out, cp);
          break;
        }
        default: --p_; malformed("a valid escape");
      }
    }
  }

  // At a number (JSON grammar, strictly).
  Raw number() {
    const char* start = p_;
    bool negative = p_ != end_ && *p_ == '-';
    if (negative) ++p_;
    if (p_ == end_ || !(*p_ >= '0' && *p_ <= '9')) {
      p_ = start;
      malformed("a value");
    }
    if (*p_ == '0') {
      ++p_;
    } else {
      while (p_ != end_ && *p_ >= '0' && *p_ <= '9') ++p_;
    }
    bool integral = true;
    if (p_ != end_ && *p_ == '.') {
      integral = false;
      ++p_;
      if (p_ == end_ || !(*p_ >= '0' && *p_ <= '9')) malformed("a digit after '.'");
      while (p_ != end_ && *p_ >= '0' && *p_ <= '9') ++p_;
    }
    if (p_ != end_ && (*p_ == 'e' || *p_ == 'E')) {
      integral = false;
      ++p_;
      if (p_ != end_ && (*p_ == '+' || *p_ == '-')) ++p_;
      if (p_ == end_ || !(*p_ >= '0' && *p_ <= '9')) malformed("a digit in the exponent");
      while (p_ != end_ && *p_ >= '0' && *p_ <= '9') ++p_;
    }
    Raw r{};
    if (integral) {
      if (negative) {
        std::int64_t v = 0;
        if (std::from_chars(start, p_, v).ec == std::errc()) {
          r.kind = Raw::i64;
          r.i = v;
          return r;
        }
      } else {
        std::uint64_t v = 0;
        if (std::from_chars(start, p_, v).ec == std::errc()) {
          r.kind = Raw::u64;
          r.u = v;
          return r;
        }
      }
    }
    r.kind = Raw::f64;
    auto res = std::from_chars(start, p_, r.f);
    if (res.ec == std::errc::result_out_of_range) {
      // Overflow or underflow: strtod says which (inf or 0).
      std::string text(start, p_);
      r.f = std::strtod(text.c_str(), nullptr);
    }
    return r;
  }

  // Skips any value; depth-limited so hostile nesting cannot exhaust the stack.
  void skip_value(int depth) {
    if (depth > max_skip_depth) fail_here("malformed JSON: nested too deeply");
    switch (peek()) {
      case '{':
        ++p_;
        object_members([&](std::string_view) { skip_value(depth + 1); });
        return;
      case '[':
        ++p_;
        array_elements([&] { skip_value(depth + 1); });
        return;
      case '"': string(); return;
      case 't': literal("true"); return;
      case 'f': literal("false"); return;
      case 'n': literal("null"); return;
      default: number(); return;
    }
  }

  void literal(std::string_view word) {
    if (static_cast<std::size_t>(end_ - p_) < word.size() || std::string_view(p_, word.size()) != word)
      malformed("a value");
    p_ += word.size();
  }

  // One entry of "outputs": {"name": …, "parameters"?: …}.
  std::string output() {
    if (peek() != '{') throw BadRequest("outputs: each entry must be an object");
    ++p_;
    std::optional<std::string> name;
    object_members([&](std::string_view key) {
      if (key != "name") return skip_value(0);
      if (peek() != '"') throw BadRequest("outputs: 'name' must be a string");
      name = string();
    });
    if (!name) throw BadRequest("outputs: an entry has no name");
    return *name;
  }

  std::string name_of(const Tensor& t, bool has_name, std::size_t index) const {
    return has_name ? "input '" + t.name + "'" : "inputs[" + std::to_string(index) + "]";
  }

  Tensor input(std::size_t index) {
    if (peek() != '{') throw BadRequest("inputs: each entry must be an object");
    ++p_;
    Tensor t;
    bool has_name = false, has_datatype = false, has_shape = false, has_data = false;
    std::vector<Raw> raw;  // data that came before its datatype
    std::uint64_t count = 0;
    auto name = [&] { return name_of(t, has_name, index); };
    object_members([&](std::string_view key) {
      if (key == "name") {
        if (has_name) throw BadRequest(name() + ": name given twice");
        if (peek() != '"') throw BadRequest(name() + ": 'name' must be a string");
        t.name = string();
        has_name = true;
      } else if (key == "datatype") {
        if (has_datatype) throw BadRequest(name() + ": datatype given twice");
        if (peek() != '"') throw BadRequest(name() + ": 'datatype' must be a string");
        std::string text = string();
        auto type = parse_datatype(text);
        if (!type) throw BadRequest(name() + ": unknown datatype '" + text.substr(0, 40) + "'");
        if (*type == DataType::BYTES)
          throw BadRequest(name() + ": BYTES tensors are not supported by this runner's runtimes");
        t.datatype = *type;
        has_datatype = true;
      } else if (key == "shape") {
        if (has_shape) throw BadRequest(name() + ": shape given twice");
        has_shape = true;
        if (peek() != '[') throw BadRequest(name() + ": shape must be an array of integers");
        ++p_;
        array_elements([&] {
          char c = peek();
          if (!(c == '-' || (c >= '0' && c <= '9'))) throw BadRequest(name() + ": shape must hold non-negative integers");
          Raw r = number();
          if (r.kind != Raw::u64 || r.u > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
            throw BadRequest(name() + ": shape must hold non-negative integers");
          t.shape.push_back(static_cast<std::int64_t>(r.u));
        });
      } else if (key == "data") {
        if (has_data) throw BadRequest(name() + ": data given twice");
        has_data = true;
        if (peek() != '[') throw BadRequest(name() + ": data must be an array");
        bool typed = has_datatype;
        data(t, typed, raw, count, 0, name);
      } else {
        skip_value(0);
      }
    });
    if (!has_name) throw BadRequest(name() + ": no name");
    if (!has_datatype) throw BadRequest(name() + ": no datatype");
    if (!has_shape) throw BadRequest(name() + ": no shape");
    if (!has_data) throw BadRequest(name() + ": no data");
    if (!raw.empty()) {
      t.data.reserve(raw.size() * datatype_size(t.datatype));
      for (std::size_t i = 0; i < raw.size(); ++i)
        if (!put_value(t.datatype, t.data, raw[i])) bad_value(t, name(), i, raw[i]);
    }
    std::uint64_t want = 1;
    for (auto d : t.shape)
      if (__builtin_mul_overflow(want, static_cast<std::uint64_t>(d), &want))
        throw BadRequest(name() + ": shape " + shape_string(t.shape) + " is too large");
    if (want != count)
      throw BadRequest(name() + ": shape " + shape_string(t.shape) + " holds " + std::to_string(want) +
                       " elements, data has " + std::to_string(count));
    return t;
  }

  [[noreturn]] static void bad_value(const Tensor& t, const std::string& name, std::uint64_t i, const Raw& r) {
    throw BadRequest(name + ": element " + std::to_string(i) + " (" + number_text(r) + ") is not a valid " +
                     std::string(datatype_name(t.datatype)));
  }

  // At '[': the elements of a (possibly nested) data array, in order.
  template <typename Name>
  void data(Tensor& t, bool typed, std::vector<Raw>& raw, std::uint64_t& count, int depth, const Name& name) {
    if (depth >= max_data_depth) throw BadRequest(name() + ": data is nested too deeply");
    ++p_;
    array_elements([&] {
      char c = peek();
      Raw r{};
      if (c == '[') {
        data(t, typed, raw, count, depth + 1, name);
        return;
      }
      if (c == 't' || c == 'f') {
        literal(c == 't' ? "true" : "false");
        r.kind = Raw::boolean;
        r.b = c == 't';
      } else if (c == '"') {
        throw BadRequest(name() + ": data holds a string; expected numbers (BYTES tensors are not supported)");
      } else if (c == 'n') {
        throw BadRequest(name() + ": data holds null; expected numbers");
      } else if (c == '{') {
        throw BadRequest(name() + ": data holds an object; expected numbers");
      } else {
        r = number();
      }
      if (!typed) {
        raw.push_back(r);
      } else if (!put_value(t.datatype, t.data, r)) {
        bad_value(t, name(), count, r);
      }
      ++count;
    });
  }

  const char* begin_;
  const char* p_;
  const char* end_;
};

}  // namespace

InferRequest parse_infer_request(std::string_view body) { return Reader(body).parse(); }

}  // namespace acuctl::oip
