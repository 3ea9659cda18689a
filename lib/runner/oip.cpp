// Open Inference Protocol bodies: validation against the descriptor and the
// infer response (written directly, without a JSON document). The request
// parser is in oip_parser.cpp.
#include "acuctl/oip.hpp"

#include <bit>
#include <charconv>
#include <cmath>
#include <cstring>
#include <limits>
#include <utility>
#include <algorithm>

#include "acuctl/error.hpp"

namespace acuctl::oip {
namespace {

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
