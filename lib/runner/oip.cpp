// Open Inference Protocol bodies. Requests are parsed with nlohmann's SAX
// interface so that "data" goes straight into the tensor's typed buffer: no
// JSON document is built on the hot path (tests/bench/bench_decode measures it).
#include "acuctl/oip.hpp"

#include <bit>
#include <charconv>
#include <cmath>
#include <cstring>
#include <limits>
#include <utility>
#include <variant>
#include <algorithm>

#include <nlohmann/json.hpp>

#include "acuctl/error.hpp"

namespace acuctl::oip {
namespace {

constexpr int max_data_depth = 32;

struct Raw {
  enum Kind : std::uint8_t { i64, u64, f64, boolean } kind;
  union {
    std::int64_t i;
    std::uint64_t u;
    double f;
    bool b;
  };
};

Raw raw_bool(bool v) { Raw r{}; r.kind = Raw::boolean; r.b = v; return r; }
Raw raw_i64(std::int64_t v) { Raw r{}; r.kind = Raw::i64; r.i = v; return r; }
Raw raw_u64(std::uint64_t v) { Raw r{}; r.kind = Raw::u64; r.u = v; return r; }
Raw raw_f64(double v) { Raw r{}; r.kind = Raw::f64; r.f = v; return r; }

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

std::string shape_text(const std::vector<std::int64_t>& shape) {
  std::string s = "[";
  for (std::size_t i = 0; i < shape.size(); ++i) {
    if (i) s += ',';
    s += std::to_string(shape[i]);
  }
  return s + "]";
}

// Element count of a request shape; nullopt on overflow.
std::optional<std::uint64_t> element_count(const std::vector<std::int64_t>& shape) {
  std::uint64_t n = 1;
  for (auto d : shape)
    if (__builtin_mul_overflow(n, static_cast<std::uint64_t>(d), &n)) return std::nullopt;
  return n;
}

struct PendingInput {
  Tensor tensor;
  bool has_name = false, has_datatype = false, has_shape = false, has_data = false;
  bool typed = false;  // data written straight into tensor.data
  std::vector<Raw> raw;  // data seen before the datatype
  std::uint64_t count = 0;
  std::size_t index = 0;
};

class RequestParser {
 public:
  using json = nlohmann::json;

  enum class Ctx : std::uint8_t { top, inputs, input, shape, data, outputs, output };
  enum class Key : std::uint8_t { other, id, inputs, outputs, name, datatype, shape, data };
  using Scalar = std::variant<std::nullptr_t, Raw, json::string_t*>;

  explicit RequestParser(InferRequest& out) : out_(out) {}
  const std::string& error() const { return error_; }

  bool null() { return scalar_value(nullptr); }
  bool boolean(bool v) { return scalar_value(raw_bool(v)); }
  bool number_integer(json::number_integer_t v) { return scalar_value(raw_i64(v)); }
  bool number_unsigned(json::number_unsigned_t v) { return scalar_value(raw_u64(v)); }
  bool number_float(json::number_float_t v, const json::string_t&) {
    return scalar_value(raw_f64(v));
  }
  bool string(json::string_t& s) { return scalar_value(&s); }
  bool binary(json::binary_t&) { return fail_with("binary values are not JSON"); }

  bool start_object(std::size_t) {
    if (skip_) return ++skip_, true;
    if (stack_.empty()) return stack_.push_back(Ctx::top), true;
    switch (stack_.back()) {
      case Ctx::top: return start_skip_or(key_ == Key::inputs || key_ == Key::outputs, "'" + key_text_ + "' must be an array");
      case Ctx::inputs:
        pending_ = PendingInput{};
        pending_.index = out_.inputs.size();
        stack_.push_back(Ctx::input);
        return true;
      case Ctx::outputs: stack_.push_back(Ctx::output); return true;
      case Ctx::input:
        if (key_ == Key::data) return fail_with(input_name() + ": data holds an object; expected numbers");
        if (key_ == Key::shape) return fail_with(input_name() + ": shape must be an array of integers");
        if (key_ == Key::name || key_ == Key::datatype) return fail_with(input_name() + ": '" + key_text_ + "' must be a string");
        skip_ = 1;
        return true;
      case Ctx::output:
        if (key_ == Key::name) return fail_with("outputs: 'name' must be a string");
        skip_ = 1;
        return true;
      case Ctx::shape: return fail_with(input_name() + ": shape must be an array of integers");
      case Ctx::data: return fail_with(input_name() + ": data holds an object; expected numbers");
    }
    return true;
  }

  bool key(json::string_t& k) {
    if (skip_) return true;
    key_text_ = k;
    Ctx c = stack_.back();
    if (c == Ctx::top) {
      key_ = k == "id" ? Key::id : k == "inputs" ? Key::inputs : k == "outputs" ? Key::outputs : Key::other;
    } else if (c == Ctx::input) {
      key_ = k == "name" ? Key::name : k == "datatype" ? Key::datatype : k == "shape" ? Key::shape
           : k == "data" ? Key::data : Key::other;
    } else {
      key_ = k == "name" ? Key::name : Key::other;
    }
    return true;
  }

  bool end_object() {
    if (skip_) return --skip_, true;
    Ctx c = stack_.back();
    stack_.pop_back();
    if (c == Ctx::input) return finish_input();
    if (c == Ctx::output && !output_named_) return fail_with("outputs: an entry has no name");
    output_named_ = false;
    if (c == Ctx::top) {
      if (!saw_inputs_) return fail_with("the request has no 'inputs'");
    }
    return true;
  }

  bool start_array(std::size_t) {
    if (skip_) return ++skip_, true;
    if (stack_.empty()) return fail_with("the body must be a JSON object (an infer request)");
    switch (stack_.back()) {
      case Ctx::top:
        if (key_ == Key::inputs) return saw_inputs_ = true, stack_.push_back(Ctx::inputs), true;
        if (key_ == Key::outputs) return stack_.push_back(Ctx::outputs), true;
        if (key_ == Key::id) return fail_with("'id' must be a string");
        skip_ = 1;
        return true;
      case Ctx::input:
        if (key_ == Key::shape) {
          if (pending_.has_shape) return fail_with(input_name() + ": shape given twice");
          pending_.has_shape = true;
          return stack_.push_back(Ctx::shape), true;
        }
        if (key_ == Key::data) {
          if (pending_.has_data) return fail_with(input_name() + ": data given twice");
          pending_.has_data = true;
          pending_.typed = pending_.has_datatype;
          data_depth_ = 1;
          return stack_.push_back(Ctx::data), true;
        }
        if (key_ == Key::name || key_ == Key::datatype) return fail_with(input_name() + ": '" + key_text_ + "' must be a string");
        skip_ = 1;
        return true;
      case Ctx::output:
        if (key_ == Key::name) return fail_with("outputs: 'name' must be a string");
        skip_ = 1;
        return true;
      case Ctx::data:
        if (++data_depth_ > max_data_depth) return fail_with(input_name() + ": data is nested too deeply");
        return true;
      case Ctx::shape: return fail_with(input_name() + ": shape must be a flat array of integers");
      case Ctx::inputs: return fail_with("inputs: each entry must be an object");
      case Ctx::outputs: return fail_with("outputs: each entry must be an object");
    }
    return true;
  }

  bool end_array() {
    if (skip_) return --skip_, true;
    if (stack_.back() == Ctx::data && --data_depth_ > 0) return true;
    stack_.pop_back();
    return true;
  }

  bool parse_error(std::size_t position, const std::string&, const nlohmann::detail::exception& ex) {
    if (error_.empty()) {
      std::string what = ex.what();
      // nlohmann's message: "[json.exception.parse_error.101] parse error at line 1, column 5: ..."
      auto colon = what.find("parse error");
      error_ = "malformed JSON at byte " + std::to_string(position) + ": " +
               (colon == std::string::npos ? what : what.substr(colon));
    }
    return false;
  }

 private:
  bool fail_with(std::string message) {
    if (error_.empty()) error_ = std::move(message);
    return false;
  }

  bool start_skip_or(bool is_error, const std::string& message) {
    if (is_error) return fail_with(message);
    skip_ = 1;
    return true;
  }

  std::string input_name() const {
    if (pending_.has_name) return "input '" + pending_.tensor.name + "'";
    return "inputs[" + std::to_string(pending_.index) + "]";
  }

  bool scalar_value(Scalar v) {
    if (skip_) return true;
    if (stack_.empty()) return fail_with("the body must be a JSON object (an infer request)");
    switch (stack_.back()) {
      case Ctx::top:
        if (key_ == Key::id) {
          if (auto* s = std::get_if<json::string_t*>(&v)) return out_.id = std::move(**s), true;
          return fail_with("'id' must be a string");
        }
        if (key_ == Key::inputs || key_ == Key::outputs) return fail_with("'" + key_text_ + "' must be an array");
        return true;
      case Ctx::input: return input_field(v);
      case Ctx::shape: {
        const Raw* r = std::get_if<Raw>(&v);
        if (!r || r->kind == Raw::f64 || r->kind == Raw::boolean || (r->kind == Raw::i64 && r->i < 0) ||
            (r->kind == Raw::u64 && r->u > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())))
          return fail_with(input_name() + ": shape must hold non-negative integers");
        pending_.tensor.shape.push_back(r->kind == Raw::i64 ? r->i : static_cast<std::int64_t>(r->u));
        return true;
      }
      case Ctx::data: return data_value(v);
      case Ctx::output:
        if (key_ == Key::name) {
          if (auto* s = std::get_if<json::string_t*>(&v)) {
            out_.outputs.push_back(std::move(**s));
            output_named_ = true;
            return true;
          }
          return fail_with("outputs: 'name' must be a string");
        }
        return true;
      case Ctx::inputs: return fail_with("inputs: each entry must be an object");
      case Ctx::outputs: return fail_with("outputs: each entry must be an object");
    }
    return true;
  }

  bool input_field(Scalar& v) {
    auto* s = std::get_if<json::string_t*>(&v);
    switch (key_) {
      case Key::name:
        if (!s) return fail_with(input_name() + ": 'name' must be a string");
        if (pending_.has_name) return fail_with(input_name() + ": name given twice");
        pending_.tensor.name = std::move(**s);
        pending_.has_name = true;
        return true;
      case Key::datatype: {
        if (!s) return fail_with(input_name() + ": 'datatype' must be a string");
        if (pending_.has_datatype) return fail_with(input_name() + ": datatype given twice");
        auto type = parse_datatype(**s);
        if (!type) return fail_with(input_name() + ": unknown datatype '" + **s + "'");
        if (*type == DataType::BYTES)
          return fail_with(input_name() + ": BYTES tensors are not supported by this runner's runtimes");
        pending_.tensor.datatype = *type;
        pending_.has_datatype = true;
        return true;
      }
      case Key::shape: return fail_with(input_name() + ": shape must be an array of integers");
      case Key::data: return fail_with(input_name() + ": data must be an array");
      default: return true;
    }
  }

  bool data_value(Scalar& v) {
    const Raw* r = std::get_if<Raw>(&v);
    if (!r) {
      if (std::holds_alternative<std::nullptr_t>(v)) return fail_with(input_name() + ": data holds null; expected numbers");
      return fail_with(input_name() + ": data holds a string; expected numbers (BYTES tensors are not supported)");
    }
    ++pending_.count;
    if (!pending_.typed) return pending_.raw.push_back(*r), true;
    if (!put_value(pending_.tensor.datatype, pending_.tensor.data, *r)) return bad_value(*r);
    return true;
  }

  bool bad_value(const Raw& r) {
    return fail_with(input_name() + ": element " + std::to_string(pending_.count - 1) + " (" + number_text(r) +
                     ") is not a valid " + std::string(datatype_name(pending_.tensor.datatype)));
  }

  bool finish_input() {
    if (!pending_.has_name) return fail_with(input_name() + ": no name");
    if (!pending_.has_datatype) return fail_with(input_name() + ": no datatype");
    if (!pending_.has_shape) return fail_with(input_name() + ": no shape");
    if (!pending_.has_data) return fail_with(input_name() + ": no data");
    if (!pending_.typed) {
      pending_.tensor.data.reserve(pending_.raw.size() * datatype_size(pending_.tensor.datatype));
      std::uint64_t n = pending_.count;
      pending_.count = 0;
      for (const Raw& r : pending_.raw) {
        ++pending_.count;
        if (!put_value(pending_.tensor.datatype, pending_.tensor.data, r)) return bad_value(r);
      }
      pending_.count = n;
    }
    auto want = element_count(pending_.tensor.shape);
    if (!want) return fail_with(input_name() + ": shape " + shape_text(pending_.tensor.shape) + " is too large");
    if (*want != pending_.count)
      return fail_with(input_name() + ": shape " + shape_text(pending_.tensor.shape) + " holds " +
                       std::to_string(*want) + " elements, data has " + std::to_string(pending_.count));
    out_.inputs.push_back(std::move(pending_.tensor));
    return true;
  }

  InferRequest& out_;
  std::string error_;
  std::vector<Ctx> stack_;
  Key key_ = Key::other;
  std::string key_text_;
  int skip_ = 0;
  int data_depth_ = 0;
  bool saw_inputs_ = false;
  bool output_named_ = false;
  PendingInput pending_;
};

const TensorSpec* find_spec(const std::vector<TensorSpec>& specs, std::string_view name) {
  for (const auto& s : specs)
    if (s.name == name) return &s;
  return nullptr;
}

std::string names_of(const std::vector<TensorSpec>& specs) {
  std::string s;
  for (const auto& t : specs) {
    if (!s.empty()) s += ", ";
    s += t.name;
  }
  return s;
}

bool shape_matches(const std::vector<std::int64_t>& shape, const std::vector<std::int64_t>& spec) {
  if (shape.size() != spec.size()) return false;
  for (std::size_t i = 0; i < shape.size(); ++i)
    if (spec[i] >= 0 && shape[i] != spec[i]) return false;
  return true;
}

template <typename T>
void append_number(std::string& out, T v) {
  char buf[40];
  auto res = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, res.ptr);
}

template <typename T>
void append_floats(std::string& out, const std::byte* data, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) {
    if (i) out += ',';
    T v;
    std::memcpy(&v, data + i * sizeof(T), sizeof(T));
    if (std::isfinite(v)) append_number(out, v); else out += "null";  // JSON has no NaN or Infinity
  }
}

template <typename T>
void append_integers(std::string& out, const std::byte* data, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) {
    if (i) out += ',';
    T v;
    std::memcpy(&v, data + i * sizeof(T), sizeof(T));
    append_number(out, v);
  }
}

void append_data(std::string& out, const Tensor& t) {
  std::size_t n = t.data.size() / std::max<std::size_t>(1, datatype_size(t.datatype));
  const std::byte* p = t.data.data();
  switch (t.datatype) {
    case DataType::FP32: return append_floats<float>(out, p, n);
    case DataType::FP64: return append_floats<double>(out, p, n);
    case DataType::FP16:
      for (std::size_t i = 0; i < n; ++i) {
        if (i) out += ',';
        std::uint16_t h;
        std::memcpy(&h, p + i * 2, 2);
        float f = half_to_float(h);
        if (std::isfinite(f)) append_number(out, f); else out += "null";
      }
      return;
    case DataType::BOOL:
      for (std::size_t i = 0; i < n; ++i) {
        if (i) out += ',';
        out += std::to_integer<int>(p[i]) ? "true" : "false";
      }
      return;
    case DataType::INT8: return append_integers<std::int8_t>(out, p, n);
    case DataType::INT16: return append_integers<std::int16_t>(out, p, n);
    case DataType::INT32: return append_integers<std::int32_t>(out, p, n);
    case DataType::INT64: return append_integers<std::int64_t>(out, p, n);
    case DataType::UINT8: return append_integers<std::uint8_t>(out, p, n);
    case DataType::UINT16: return append_integers<std::uint16_t>(out, p, n);
    case DataType::UINT32: return append_integers<std::uint32_t>(out, p, n);
    case DataType::UINT64: return append_integers<std::uint64_t>(out, p, n);
    case DataType::BYTES: return;
  }
}

}  // namespace

InferRequest parse_infer_request(std::string_view body) {
  InferRequest request;
  RequestParser parser(request);
  bool ok = nlohmann::json::sax_parse(body.begin(), body.end(), &parser);
  if (!ok) throw BadRequest(parser.error().empty() ? "malformed infer request" : parser.error());
  return request;
}

void validate_infer_request(const InferRequest& request, const Descriptor& d) {
  std::vector<bool> seen(d.inputs.size());
  for (const Tensor& t : request.inputs) {
    const TensorSpec* spec = find_spec(d.inputs, t.name);
    if (!spec)
      throw BadRequest("unknown input '" + t.name + "': model '" + d.name + "' takes " + names_of(d.inputs));
    auto index = static_cast<std::size_t>(spec - d.inputs.data());
    if (seen[index]) throw BadRequest("input '" + t.name + "' is given twice");
    seen[index] = true;
    if (t.datatype != spec->datatype)
      throw BadRequest("input '" + t.name + "': datatype " + std::string(datatype_name(t.datatype)) +
                       ", the model takes " + std::string(datatype_name(spec->datatype)));
    if (!shape_matches(t.shape, spec->shape))
      throw BadRequest("input '" + t.name + "': shape " + shape_text(t.shape) + " does not match the model's " +
                       shape_text(spec->shape));
  }
  for (std::size_t i = 0; i < d.inputs.size(); ++i)
    if (!seen[i]) throw BadRequest("missing input '" + d.inputs[i].name + "'");
  for (std::size_t i = 0; i < request.outputs.size(); ++i) {
    const std::string& name = request.outputs[i];
    if (!find_spec(d.outputs, name))
      throw BadRequest("unknown output '" + name + "': model '" + d.name + "' has " + names_of(d.outputs));
    for (std::size_t j = 0; j < i; ++j)
      if (request.outputs[j] == name) throw BadRequest("output '" + name + "' is requested twice");
  }
}

void validate_outputs(const std::vector<Tensor>& outputs, const Descriptor& d) {
  for (const Tensor& t : outputs) {
    const TensorSpec* spec = find_spec(d.outputs, t.name);
    if (!spec) fail("the model returned an undeclared output '" + t.name + "'");
    if (t.datatype != spec->datatype)
      fail("the model returned output '" + t.name + "' as " + std::string(datatype_name(t.datatype)) +
           ", its descriptor declares " + std::string(datatype_name(spec->datatype)));
    if (t.datatype == DataType::BYTES) fail("the model returned BYTES output '" + t.name + "', which is not supported");
    if (!shape_matches(t.shape, spec->shape))
      fail("the model returned output '" + t.name + "' of shape " + shape_text(t.shape) +
           ", its descriptor declares " + shape_text(spec->shape));
    auto count = element_count(t.shape);
    if (!count || *count * datatype_size(t.datatype) != t.data.size())
      fail("the model returned output '" + t.name + "' with " + std::to_string(t.data.size()) +
           " bytes for shape " + shape_text(t.shape));
  }
}

namespace {

// Length of the valid UTF-8 sequence at s[i], or 0.
std::size_t utf8_length(std::string_view s, std::size_t i) {
  auto b = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  unsigned char c = b(i);
  std::size_t n = c < 0xc2 ? 0 : c < 0xe0 ? 2 : c < 0xf0 ? 3 : c < 0xf5 ? 4 : 0;
  if (n == 0 || i + n > s.size()) return 0;
  for (std::size_t k = 1; k < n; ++k)
    if ((b(i + k) & 0xc0) != 0x80) return 0;
  if (c == 0xe0 && b(i + 1) < 0xa0) return 0;   // overlong
  if (c == 0xed && b(i + 1) >= 0xa0) return 0;  // surrogate
  if (c == 0xf0 && b(i + 1) < 0x90) return 0;   // overlong
  if (c == 0xf4 && b(i + 1) >= 0x90) return 0;  // above U+10FFFF
  return n;
}

}  // namespace

// Messages may quote client bytes: invalid UTF-8 becomes U+FFFD so that the
// answer is always valid JSON.
void append_json_string(std::string& out, std::string_view s) {
  static const char hex[] = "0123456789abcdef";
  out += '"';
  for (std::size_t i = 0; i < s.size();) {
    char c = s[i];
    auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (u < 0x20 || u == 0x7f) {
      out += "\\u00";
      out += hex[u >> 4];
      out += hex[u & 15];
    } else if (u >= 0x80) {
      std::size_t n = utf8_length(s, i);
      if (n == 0) {
        out += "\\ufffd";
        ++i;
      } else {
        out.append(s.substr(i, n));
        i += n;
      }
      continue;
    } else {
      out += c;
    }
    ++i;
  }
  out += '"';
}

std::string encode_infer_response(const Descriptor& d, const InferRequest& request,
                                  const std::vector<Tensor>& outputs) {
  std::size_t estimate = 96 + d.name.size() + d.version.size();
  for (const Tensor& t : outputs) estimate += 64 + t.name.size() + t.data.size() * 3;
  std::string out;
  out.reserve(estimate);
  out += "{\"model_name\":";
  append_json_string(out, d.name);
  out += ",\"model_version\":";
  append_json_string(out, d.version);
  if (request.id) {
    out += ",\"id\":";
    append_json_string(out, *request.id);
  }
  out += ",\"outputs\":[";
  bool first = true;
  for (const Tensor& t : outputs) {
    if (!request.outputs.empty() &&
        std::find(request.outputs.begin(), request.outputs.end(), t.name) == request.outputs.end())
      continue;
    if (!first) out += ',';
    first = false;
    out += "{\"name\":";
    append_json_string(out, t.name);
    out += ",\"datatype\":\"";
    out += datatype_name(t.datatype);
    out += "\",\"shape\":[";
    for (std::size_t i = 0; i < t.shape.size(); ++i) {
      if (i) out += ',';
      append_number(out, t.shape[i]);
    }
    out += "],\"data\":[";
    append_data(out, t);
    out += "]}";
  }
  out += "]}";
  return out;
}

std::string error_body(std::string_view message) {
  std::string out = "{\"error\":";
  append_json_string(out, message);
  out += '}';
  return out;
}

std::uint16_t float_to_half(float f) {
  auto x = std::bit_cast<std::uint32_t>(f);
  std::uint32_t sign = (x >> 16) & 0x8000u;
  std::uint32_t exp = (x >> 23) & 0xffu;
  std::uint32_t mant = x & 0x7fffffu;
  if (exp == 0xff) return static_cast<std::uint16_t>(sign | 0x7c00u | (mant ? 0x200u : 0));
  int e = static_cast<int>(exp) - 127 + 15;
  if (e >= 31) return static_cast<std::uint16_t>(sign | 0x7c00u);
  if (e <= 0) {
    if (e < -10) return static_cast<std::uint16_t>(sign);
    mant |= 0x800000u;
    auto shift = static_cast<std::uint32_t>(14 - e);
    std::uint32_t half = mant >> shift;
    std::uint32_t rest = mant & ((1u << shift) - 1);
    std::uint32_t halfway = 1u << (shift - 1);
    if (rest > halfway || (rest == halfway && (half & 1u))) ++half;
    return static_cast<std::uint16_t>(sign | half);
  }
  std::uint32_t half = sign | (static_cast<std::uint32_t>(e) << 10) | (mant >> 13);
  std::uint32_t rest = mant & 0x1fffu;
  if (rest > 0x1000u || (rest == 0x1000u && (half & 1u))) ++half;  // round to nearest even
  return static_cast<std::uint16_t>(half);
}

float half_to_float(std::uint16_t h) {
  std::uint32_t sign = static_cast<std::uint32_t>(h & 0x8000u) << 16;
  std::uint32_t exp = (h >> 10) & 0x1fu;
  std::uint32_t mant = h & 0x3ffu;
  if (exp == 0) {
    float v = std::ldexp(static_cast<float>(mant), -24);
    return sign ? -v : v;
  }
  if (exp == 31) return std::bit_cast<float>(sign | 0x7f800000u | (mant << 13));
  return std::bit_cast<float>(sign | ((exp - 15 + 127) << 23) | (mant << 13));
}

}  // namespace acuctl::oip
