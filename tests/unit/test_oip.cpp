// Tests for lib/runner/oip.cpp: infer request parsing (hostile input
// included), validation against the descriptor and response encoding.
#include <doctest/doctest.h>

#include <cstring>

#include <nlohmann/json.hpp>

#include "acuctl/error.hpp"
#include "acuctl/oip.hpp"

using namespace acuctl;
using oip::BadRequest;

namespace {

Descriptor iris() {
  Descriptor d;
  d.name = "iris";
  d.version = "1.0.0";
  d.runtime = "xgboost";
  d.inputs = {{"features", DataType::FP32, {-1, 4}}};
  d.outputs = {{"probabilities", DataType::FP32, {-1, 3}}};
  return d;
}

template <typename T>
std::vector<T> values(const Tensor& t) {
  std::vector<T> out(t.data.size() / sizeof(T));
  std::memcpy(out.data(), t.data.data(), t.data.size());
  return out;
}

std::string error_of(std::string_view body) {
  try {
    auto r = oip::parse_infer_request(body);
    oip::validate_infer_request(r, iris());
  } catch (const BadRequest& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("parses flat and nested data into typed buffers") {
  auto flat = oip::parse_infer_request(
      R"({"id":"7","inputs":[{"name":"features","datatype":"FP32","shape":[2,4],"data":[1,2,3,4,5.5,6,7,8]}]})");
  REQUIRE(flat.inputs.size() == 1);
  CHECK(flat.id == "7");
  CHECK(flat.inputs[0].shape == std::vector<std::int64_t>{2, 4});
  CHECK(values<float>(flat.inputs[0]) == std::vector<float>{1, 2, 3, 4, 5.5f, 6, 7, 8});
  auto nested = oip::parse_infer_request(
      R"({"inputs":[{"data":[[1,2,3,4],[5.5,6,7,8]],"shape":[2,4],"name":"features","datatype":"FP32"}]})");
  CHECK_FALSE(nested.id.has_value());
  CHECK(values<float>(nested.inputs[0]) == values<float>(flat.inputs[0]));
  CHECK_NOTHROW(oip::validate_infer_request(nested, iris()));
}

TEST_CASE("every datatype converts with range checks") {
  auto one = [](const char* type, const char* data) {
    return oip::parse_infer_request(std::string(R"({"inputs":[{"name":"t","datatype":")") + type +
                                    R"(","shape":[2],"data":)" + data + "}]}");
  };
  CHECK(values<std::int8_t>(one("INT8", "[-128,127]").inputs[0]) == std::vector<std::int8_t>{-128, 127});
  CHECK_THROWS_AS(one("INT8", "[-129,0]"), BadRequest);
  CHECK_THROWS_AS(one("UINT8", "[256,0]"), BadRequest);
  CHECK_THROWS_AS(one("UINT32", "[-1,0]"), BadRequest);
  CHECK(values<std::uint64_t>(one("UINT64", "[18446744073709551615,0]").inputs[0])[0] == UINT64_MAX);
  CHECK(values<std::int64_t>(one("INT64", "[-9223372036854775808,3.0]").inputs[0]) ==
        std::vector<std::int64_t>{INT64_MIN, 3});
  CHECK_THROWS_WITH_AS(one("INT32", "[2.5,1]"), doctest::Contains("is not a valid INT32"), BadRequest);
  CHECK(values<std::uint8_t>(one("BOOL", "[true,false]").inputs[0]) == std::vector<std::uint8_t>{1, 0});
  CHECK_THROWS_AS(one("BOOL", "[1,0]"), BadRequest);
  CHECK_THROWS_AS(one("FP32", "[1e39,0]"), BadRequest);
  CHECK_THROWS_AS(one("FP32", "[1e999,0]"), BadRequest);
  CHECK(values<double>(one("FP64", "[1e300,-0.5]").inputs[0]) == std::vector<double>{1e300, -0.5});
  auto half = values<std::uint16_t>(one("FP16", "[1.5,-2]").inputs[0]);
  CHECK(oip::half_to_float(half[0]) == 1.5f);
  CHECK(oip::half_to_float(half[1]) == -2.0f);
  CHECK_THROWS_AS(one("FP16", "[70000,0]"), BadRequest);
  CHECK_THROWS_WITH_AS(one("BYTES", R"(["a","b"])"), doctest::Contains("BYTES tensors are not supported"), BadRequest);
}

TEST_CASE("datatype after data still converts") {
  auto r = oip::parse_infer_request(R"({"inputs":[{"data":[1,2],"shape":[2],"name":"t","datatype":"INT16"}]})");
  CHECK(values<std::int16_t>(r.inputs[0]) == std::vector<std::int16_t>{1, 2});
  CHECK_THROWS_AS(oip::parse_infer_request(R"({"inputs":[{"data":[1,70000],"shape":[2],"name":"t","datatype":"INT16"}]})"),
                  BadRequest);
}

TEST_CASE("validation names the tensor and the problem") {
  CHECK(error_of(R"({"inputs":[{"name":"x","datatype":"FP32","shape":[1,4],"data":[1,2,3,4]}]})")
            .find("unknown input 'x'") != std::string::npos);
  CHECK(error_of(R"({"inputs":[{"name":"features","datatype":"FP64","shape":[1,4],"data":[1,2,3,4]}]})") ==
        "input 'features': datatype FP64, the model takes FP32");
  CHECK(error_of(R"({"inputs":[{"name":"features","datatype":"FP32","shape":[1,5],"data":[1,2,3,4,5]}]})") ==
        "input 'features': shape [1,5] does not match the model's [-1,4]");
  CHECK(error_of(R"({"inputs":[{"name":"features","datatype":"FP32","shape":[2,4],"data":[1,2,3,4]}]})") ==
        "input 'features': shape [2,4] holds 8 elements, data has 4");
  CHECK(error_of(R"({"inputs":[]})") == "missing input 'features'");
  CHECK(error_of(R"({"inputs":[{"name":"features","datatype":"FP32","shape":[1,4],"data":[1,2,3,4]},
                               {"name":"features","datatype":"FP32","shape":[1,4],"data":[1,2,3,4]}]})") ==
        "input 'features' is given twice");
  CHECK(error_of(R"({"inputs":[{"name":"features","datatype":"FP32","shape":[1,4],"data":[1,2,3,4]}],
                    "outputs":[{"name":"nope"}]})")
            .find("unknown output 'nope'") != std::string::npos);
  CHECK(error_of(R"({"inputs":[{"name":"features","datatype":"FP32","shape":[1,4],"data":[1,"2",3,4]}]})")
            .find("data holds a string") != std::string::npos);
}

TEST_CASE("hostile bodies are refused, never crash") {
  const char* bodies[] = {
      "", " ", "null", "[]", "\"x\"", "{", "{\"inputs\":", "{\"inputs\":{}}", "{\"inputs\":[1]}",
      "{\"inputs\":[[]]}", "{\"inputs\":[{}]}", "{\"id\":5,\"inputs\":[]}",
      "{\"inputs\":[{\"name\":\"features\",\"datatype\":\"FP32\",\"shape\":[1,4],\"data\":{}}]}",
      "{\"inputs\":[{\"name\":\"features\",\"datatype\":\"FP32\",\"shape\":[1,4],\"data\":4}]}",
      "{\"inputs\":[{\"name\":\"features\",\"datatype\":\"FP32\",\"shape\":[-1,4],\"data\":[1,2,3,4]}]}",
      "{\"inputs\":[{\"name\":\"features\",\"datatype\":\"FP32\",\"shape\":[4294967296,4294967296,4294967296],\"data\":[]}]}",
      "{\"inputs\":[{\"name\":\"features\",\"datatype\":\"FP32\",\"shape\":[1.5],\"data\":[1]}]}",
      "{\"inputs\":[{\"name\":\"features\",\"datatype\":\"FP32\",\"shape\":[1,4],\"data\":[1,2,3,4]}]} trailing",
      "{\"inputs\":[{\"name\":\"features\",\"name\":\"features\",\"datatype\":\"FP32\",\"shape\":[1,4],\"data\":[1,2,3,4]}]}",
      "{\"inputs\":[{\"name\":\"features\",\"datatype\":\"FP32\",\"shape\":[1,4],\"data\":[1,2,3,4],\"data\":[1]}]}",
      "{\"inputs\":[{\"name\":\"a\xff\xfe\",\"datatype\":\"FP32\",\"shape\":[1],\"data\":[1]}]}",
      "{\"outputs\":[{}],\"inputs\":[]}",
  };
  for (const char* body : bodies) {
    CAPTURE(body);
    std::string err = error_of(body);
    CHECK_FALSE(err.empty());
    // The error answer is valid JSON whatever the message quotes.
    CHECK(nlohmann::json::parse(oip::error_body(err))["error"] == nlohmann::json::parse(oip::error_body(err))["error"]);
  }
  std::string deep(100000, '[');
  CHECK_FALSE(error_of(deep).empty());
  std::string deep_data = R"({"inputs":[{"name":"features","datatype":"FP32","shape":[1,4],"data":)" + std::string(40, '[');
  CHECK(error_of(deep_data).find("nested too deeply") != std::string::npos);
}

TEST_CASE("error bodies are valid JSON even for invalid UTF-8") {
  std::string body = oip::error_body(std::string("bad \xff\xc3(\"\n\x01 \xe2\x82\xac"));
  auto j = nlohmann::json::parse(body);
  CHECK(j["error"] == "bad \xef\xbf\xbd\xef\xbf\xbd(\"\n\x01 \xe2\x82\xac");
}

TEST_CASE("responses carry model, version, id and only requested outputs") {
  Descriptor d = iris();
  d.outputs.push_back({"label", DataType::INT64, {-1}});
  oip::InferRequest req;
  req.id = "a\"b";
  Tensor p{"probabilities", DataType::FP32, {1, 3}, {}};
  float probs[3] = {0.25f, 0.5f, 0.125f};
  p.data.resize(sizeof probs);
  std::memcpy(p.data.data(), probs, sizeof probs);
  Tensor l{"label", DataType::INT64, {1}, {}};
  std::int64_t label = -3;
  l.data.resize(8);
  std::memcpy(l.data.data(), &label, 8);
  std::vector<Tensor> outs{p, l};
  CHECK_NOTHROW(oip::validate_outputs(outs, d));
  auto j = nlohmann::json::parse(oip::encode_infer_response(d, req, outs));
  CHECK(j["model_name"] == "iris");
  CHECK(j["model_version"] == "1.0.0");
  CHECK(j["id"] == "a\"b");
  CHECK(j["outputs"][0] == nlohmann::json{{"name", "probabilities"}, {"datatype", "FP32"}, {"shape", {1, 3}},
                                          {"data", {0.25, 0.5, 0.125}}});
  CHECK(j["outputs"][1]["data"] == nlohmann::json{-3});
  req.outputs = {"label"};
  j = nlohmann::json::parse(oip::encode_infer_response(d, req, outs));
  CHECK(j["outputs"].size() == 1);
  CHECK(j["outputs"][0]["name"] == "label");
}

TEST_CASE("outputs that do not match the descriptor are server errors") {
  Descriptor d = iris();
  Tensor wrong{"probabilities", DataType::FP64, {1, 3}, std::vector<std::byte>(24)};
  CHECK_THROWS_AS(oip::validate_outputs({wrong}, d), Error);
  Tensor short_data{"probabilities", DataType::FP32, {1, 3}, std::vector<std::byte>(8)};
  CHECK_THROWS_AS(oip::validate_outputs({short_data}, d), Error);
  Tensor undeclared{"other", DataType::FP32, {1}, std::vector<std::byte>(4)};
  CHECK_THROWS_AS(oip::validate_outputs({undeclared}, d), Error);
  Tensor bad_shape{"probabilities", DataType::FP32, {1, 4}, std::vector<std::byte>(16)};
  CHECK_THROWS_AS(oip::validate_outputs({bad_shape}, d), Error);
}

TEST_CASE("half precision round trips") {
  for (float f : {0.0f, 1.0f, -1.0f, 0.5f, 65504.0f, 6.1035156e-05f, 5.9604645e-08f, 1024.0f})
    CHECK(oip::half_to_float(oip::float_to_half(f)) == f);
  CHECK(oip::float_to_half(1e6f) == 0x7c00);
}

TEST_CASE("every prefix of a valid request is refused cleanly") {
  std::string body =
      R"({"id":"\u00e9\ud83d\ude00","parameters":{"a":[1,{"b":null}],"c":true},"inputs":[{"name":"features",)"
      R"("datatype":"FP32","shape":[1,4],"parameters":{},"data":[[1.5e0,-2,3E+1,4]]}],"outputs":[{"name":"probabilities"}]})";
  auto full = oip::parse_infer_request(body);
  CHECK(full.id == "\xc3\xa9\xf0\x9f\x98\x80");
  CHECK(values<float>(full.inputs[0]) == std::vector<float>{1.5f, -2, 30, 4});
  CHECK(full.outputs == std::vector<std::string>{"probabilities"});
  for (std::size_t n = 0; n < body.size(); ++n) {
    CAPTURE(n);
    // A copy, so that AddressSanitizer sees any read past the prefix.
    std::unique_ptr<char[]> prefix(new char[n ? n : 1]);
    std::memcpy(prefix.get(), body.data(), n);
    CHECK_THROWS_AS(oip::parse_infer_request(std::string_view(prefix.get(), n)), BadRequest);
  }
}

TEST_CASE("the JSON grammar is enforced") {
  auto data = [](const std::string& d) {
    return oip::parse_infer_request(R"({"inputs":[{"name":"t","datatype":"FP64","shape":[1],"data":[)" + d + "]}]}");
  };
  CHECK(values<double>(data("-0.25e-2").inputs[0])[0] == -0.0025);
  CHECK(values<double>(data(" \n\t 7 \r ").inputs[0])[0] == 7);
  CHECK(values<double>(data("1e-400").inputs[0])[0] == 0.0);
  for (const char* bad : {"01", "1.", ".5", "+1", "-", "1e", "1e+", "0x10", "NaN", "Infinity", "1 2", "tru", "nul", "1,"}) {
    CAPTURE(bad);
    CHECK_THROWS_AS(data(bad), BadRequest);
  }
  CHECK_THROWS_AS(oip::parse_infer_request(R"({"inputs":[]} x)"), BadRequest);
  CHECK_THROWS_AS(oip::parse_infer_request(R"({"inputs":[],})"), BadRequest);
  CHECK_THROWS_AS(oip::parse_infer_request(R"({"inputs" [],})"), BadRequest);
  CHECK_THROWS_AS(oip::parse_infer_request("{\"id\":\"a\x01\",\"inputs\":[]}"), BadRequest);
  CHECK_THROWS_AS(oip::parse_infer_request(R"({"id":"\x","inputs":[]})"), BadRequest);
  CHECK_THROWS_AS(oip::parse_infer_request(R"({"id":"\ud800","inputs":[]})"), BadRequest);
  CHECK_THROWS_AS(oip::parse_infer_request(R"({"id":"\udc00","inputs":[]})"), BadRequest);
  CHECK_THROWS_AS(oip::parse_infer_request(R"({"id":"\u12g4","inputs":[]})"), BadRequest);
  std::string deep_unknown = R"({"x":)" + std::string(200, '[') + std::string(200, ']') + R"(,"inputs":[]})";
  CHECK_THROWS_WITH_AS(oip::parse_infer_request(deep_unknown), doctest::Contains("nested too deeply"), BadRequest);
  CHECK_NOTHROW(oip::parse_infer_request(R"({"x":[[[{"y":[]}]]],"inputs":[]})"));
}

TEST_CASE("the error names the byte where JSON went wrong") {
  CHECK_THROWS_WITH_AS(oip::parse_infer_request(R"({"inputs":[{"name" "x"}]})"),
                       doctest::Contains("expected ':' (at byte 19)"), BadRequest);
}
