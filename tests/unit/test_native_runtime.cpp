// Tests for lib/runtime/native_runtime.cpp with the fixture model of
// tests/data/fixture_model.c, built here with cc.
#include <doctest/doctest.h>

#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <thread>

#include "acuctl/error.hpp"
#include "acuctl/runtime.hpp"

using namespace acuctl;
namespace fs = std::filesystem;

namespace {

struct Fixture {
  fs::path dir;
  explicit Fixture(const std::string& flags = "", const std::string& conf = "") {
    char tmpl[] = "/tmp/acuctl-native-test.XXXXXX";
    dir = ::mkdtemp(tmpl);
    std::string src = std::string(ACUCTL_SOURCE_DIR);
    std::string cmd = "cc -shared -fPIC -O1 " + flags + " -I " + src + "/lib/include " + src +
                      "/tests/data/fixture_model.c -o " + (dir / "model.so").string();
    REQUIRE(std::system(cmd.c_str()) == 0);
    if (!conf.empty()) std::ofstream(dir / "fixture.conf") << conf << "\n";
  }
  ~Fixture() { fs::remove_all(dir); }
};

Descriptor fixture_descriptor() {
  Descriptor d;
  d.name = "fixture";
  d.version = "1.0.0";
  d.runtime = "native";
  d.model = "model.so";
  d.inputs = {{"x", DataType::FP32, {-1, 4}}};
  d.outputs = {{"y", DataType::FP32, {-1, 4}}, {"sum", DataType::FP64, {-1}}};
  return d;
}

Tensor input(float base) {
  Tensor t{"x", DataType::FP32, {2, 4}, std::vector<std::byte>(32)};
  float x[8];
  for (int i = 0; i < 8; ++i) x[i] = base + static_cast<float>(i);
  std::memcpy(t.data.data(), x, 32);
  return t;
}

}  // namespace

TEST_CASE("native runtime: outputs are copied out of the model") {
  Fixture f;
  auto rt = load_runtime(fixture_descriptor(), f.dir);
  std::vector<Tensor> out;
  Tensor in = input(1);
  rt->infer(std::span<const Tensor>(&in, 1), out);
  REQUIRE(out.size() == 2);
  CHECK(out[0].name == "y");
  CHECK(out[0].shape == std::vector<std::int64_t>{2, 4});
  float y[8];
  std::memcpy(y, out[0].data.data(), 32);
  CHECK(y[7] == 16.0f);
  double sum[2];
  std::memcpy(sum, out[1].data.data(), 16);
  CHECK(sum[0] == 10.0);
  CHECK(sum[1] == 26.0);
}

TEST_CASE("native runtime: concurrent calls give each caller its own answer") {
  Fixture f;
  auto rt = load_runtime(fixture_descriptor(), f.dir);
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      std::vector<Tensor> out;
      for (int k = 0; k < 2000; ++k) {
        float base = static_cast<float>(t * 10000 + k);
        Tensor in = input(base);
        rt->infer(std::span<const Tensor>(&in, 1), out);
        float y0;
        std::memcpy(&y0, out[0].data.data(), 4);
        if (y0 != 2 * base) ++wrong;
      }
    });
  for (auto& t : threads) t.join();
  CHECK(wrong == 0);
}

TEST_CASE("native runtime: model failures, load failures and ABI mismatches") {
  Fixture faulty("", "fail_rate=0.5");
  auto rt = load_runtime(fixture_descriptor(), faulty.dir);
  std::vector<Tensor> out;
  Tensor in = input(0);
  int failures = 0;
  for (int i = 0; i < 10; ++i) {
    try {
      rt->infer(std::span<const Tensor>(&in, 1), out);
    } catch (const Error& e) {
      CHECK(std::string(e.what()).find("fixture failure") != std::string::npos);
      ++failures;
    }
  }
  CHECK(failures == 5);

  Fixture refuses("", "fail_load=1");
  CHECK_THROWS_WITH_AS(load_runtime(fixture_descriptor(), refuses.dir), doctest::Contains("told to fail loading"), Error);

  Fixture wrong_abi("-DFIXTURE_ABI=2");
  try {
    load_runtime(fixture_descriptor(), wrong_abi.dir);
    FAIL("ABI version 2 loaded");
  } catch (const Error& e) {
    CHECK(e.exit() == Exit::verification);
    CHECK(std::string(e.what()).find("ABI version 2") != std::string::npos);
  }

  Descriptor missing = fixture_descriptor();
  missing.model = "nope.so";
  CHECK_THROWS_AS(load_runtime(missing, wrong_abi.dir), Error);
}
