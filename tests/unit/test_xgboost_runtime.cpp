// Tests for lib/runtime/xgboost_runtime.cpp: loading checks, and that
// concurrent predictions give exactly the single-threaded answers.
#include <doctest/doctest.h>

#include <cstring>
#include <random>
#include <thread>

#include "acuctl/error.hpp"
#include "acuctl/runtime.hpp"

using namespace acuctl;

namespace {

Descriptor iris_descriptor() {
  Descriptor d;
  d.name = "iris";
  d.version = "1.0.0";
  d.runtime = "xgboost";
  d.model = "iris.json";
  d.inputs = {{"features", DataType::FP32, {-1, 4}}};
  d.outputs = {{"probabilities", DataType::FP32, {-1, 3}}};
  return d;
}

const std::filesystem::path template_dir = std::filesystem::path(ACUCTL_SOURCE_DIR) / "templates" / "xgboost";

Tensor rows(const std::vector<float>& x) {
  Tensor t{"features", DataType::FP32, {static_cast<std::int64_t>(x.size() / 4), 4}, {}};
  t.data.resize(x.size() * sizeof(float));
  std::memcpy(t.data.data(), x.data(), t.data.size());
  return t;
}

std::vector<float> floats(const Tensor& t) {
  std::vector<float> out(t.data.size() / 4);
  std::memcpy(out.data(), t.data.data(), t.data.size());
  return out;
}

}  // namespace

TEST_CASE("xgboost runtime predicts probabilities that sum to one") {
  auto rt = load_runtime(iris_descriptor(), template_dir);
  std::vector<Tensor> out;
  Tensor in = rows({5.1f, 3.5f, 1.4f, 0.2f, 6.7f, 3.0f, 5.2f, 2.3f});
  rt->infer(std::span<const Tensor>(&in, 1), out);
  REQUIRE(out.size() == 1);
  CHECK(out[0].name == "probabilities");
  CHECK(out[0].shape == std::vector<std::int64_t>{2, 3});
  auto p = floats(out[0]);
  CHECK(p[0] + p[1] + p[2] == doctest::Approx(1.0));
  CHECK(p[0] > 0.9f);  // setosa-like
  CHECK(p[5] > 0.9f);  // virginica-like
}

TEST_CASE("xgboost runtime refuses mismatched descriptors and inputs") {
  Descriptor d = iris_descriptor();
  d.inputs[0].shape = {-1, 5};
  CHECK_THROWS_WITH_AS(load_runtime(d, template_dir), doctest::Contains("takes 4 features"), Error);
  d = iris_descriptor();
  d.model = "missing.json";
  CHECK_THROWS_AS(load_runtime(d, template_dir), Error);
  d = iris_descriptor();
  d.runtime = "onnx";
  CHECK_THROWS_WITH_AS(load_runtime(d, template_dir), doctest::Contains("unknown runtime"), Error);
  auto rt = load_runtime(iris_descriptor(), template_dir);
  Tensor bad{"features", DataType::FP32, {1, 3}, std::vector<std::byte>(12)};
  std::vector<Tensor> out;
  CHECK_THROWS_AS(rt->infer(std::span<const Tensor>(&bad, 1), out), Error);
}

TEST_CASE("concurrent predictions equal single-threaded ones") {
  auto rt = load_runtime(iris_descriptor(), template_dir);
  std::mt19937 rng(3);
  std::uniform_real_distribution<float> dist(0.0f, 8.0f);
  constexpr int n_inputs = 64;
  std::vector<Tensor> inputs;
  std::vector<std::vector<float>> expected;
  for (int i = 0; i < n_inputs; ++i) {
    std::vector<float> x(4 * static_cast<std::size_t>(1 + i % 5));
    for (auto& v : x) v = dist(rng);
    inputs.push_back(rows(x));
    std::vector<Tensor> out;
    rt->infer(std::span<const Tensor>(&inputs.back(), 1), out);
    expected.push_back(floats(out[0]));
  }
  std::atomic<int> mismatches{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      std::vector<Tensor> out;
      for (int k = 0; k < 3000; ++k) {
        int i = (k * 7 + t * 13) % n_inputs;
        rt->infer(std::span<const Tensor>(&inputs[i], 1), out);
        if (floats(out[0]) != expected[i]) ++mismatches;
      }
    });
  for (auto& t : threads) t.join();
  CHECK(mismatches == 0);
}
