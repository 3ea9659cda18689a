// The xgboost runtime: libxgboost's C API. Predictions use the in-place call
// XGBoosterPredictFromDense, which XGBoost documents as thread-safe (since
// 1.4); its result buffer belongs to the calling thread until its next call,
// so it is copied at once. nthread is 1: the runner already runs a thread
// per core, and XGBoost would otherwise fan every prediction out to all cores.
#include <xgboost/c_api.h>

#include <cstdio>
#include <cstring>

#include "acuctl/error.hpp"
#include "acuctl/runtime.hpp"

namespace acuctl {
namespace {

namespace fs = std::filesystem;

// Prediction settings, as XGBoost's Python inplace_predict sends them.
constexpr const char* predict_config =
    R"({"type": 0, "training": false, "iteration_begin": 0, "iteration_end": 0, "strict_shape": false, "missing": NaN, "cache_id": 0})";

std::string last_error() {
  const char* e = XGBGetLastError();
  if (!e || !*e) return "unknown XGBoost error";
  std::string s(e);
  // XGBoost appends a stack trace after the first line.
  if (auto nl = s.find('\n'); nl != std::string::npos) s.resize(nl);
  return s;
}

// A proxy DMatrix per thread for in-place prediction. Without one, XGBoost
// makes a new proxy in every call, and each new proxy reads the cgroup CPU
// quota files (a handful of syscalls per prediction). The proxy holds no data
// between calls and belongs to no booster, so every model shares the
// calling thread's proxy.
DMatrixHandle thread_proxy() {
  struct Proxy {
    DMatrixHandle handle = nullptr;
    Proxy() {
      if (XGProxyDMatrixCreate(&handle) != 0) handle = nullptr;
    }
    ~Proxy() {
      if (handle) XGDMatrixFree(handle);
    }
    Proxy(const Proxy&) = delete;
    Proxy& operator=(const Proxy&) = delete;
  };
  thread_local Proxy proxy;
  return proxy.handle;
}

class XgboostRuntime final : public ModelRuntime {
 public:
  XgboostRuntime(BoosterHandle booster, TensorSpec input, TensorSpec output, std::uint64_t features)
      : booster_(booster), input_(std::move(input)), output_(std::move(output)), features_(features) {}
  ~XgboostRuntime() override { XGBoosterFree(booster_); }
  XgboostRuntime(const XgboostRuntime&) = delete;
  XgboostRuntime& operator=(const XgboostRuntime&) = delete;

  void infer(std::span<const Tensor> inputs, std::vector<Tensor>& outputs) const override {
    outputs.clear();
    if (inputs.size() != 1 || inputs[0].datatype != DataType::FP32 || inputs[0].shape.size() != 2)
      fail("the xgboost runtime takes one FP32 input of shape [rows, features]");
    const Tensor& in = inputs[0];
    auto rows = static_cast<std::uint64_t>(in.shape[0]);
    auto cols = static_cast<std::uint64_t>(in.shape[1]);
    if (cols != features_)
      fail("the model takes " + std::to_string(features_) + " features, the input has " + std::to_string(cols));
    if (rows == 0) {
      outputs.push_back(Tensor{output_.name, DataType::FP32, output_shape(0, {}), {}});
      return;
    }
    char array_interface[160];
    std::snprintf(array_interface, sizeof array_interface,
                  R"({"data": [%llu, true], "shape": [%llu, %llu], "typestr": "<f4", "version": 3})",
                  static_cast<unsigned long long>(reinterpret_cast<std::uintptr_t>(in.data.data())),
                  static_cast<unsigned long long>(rows), static_cast<unsigned long long>(cols));
    const bst_ulong* shape = nullptr;
    bst_ulong dim = 0;
    const float* result = nullptr;
    if (XGBoosterPredictFromDense(booster_, array_interface, predict_config, thread_proxy(), &shape, &dim, &result) != 0)
      fail("XGBoost prediction failed: " + last_error());
    std::vector<std::int64_t> got(shape, shape + dim);
    std::uint64_t count = 1;
    for (auto d : got) count *= static_cast<std::uint64_t>(d);
    Tensor out{output_.name, DataType::FP32, output_shape(count, got), {}};
    const auto* bytes = reinterpret_cast<const std::byte*>(result);
    out.data.assign(bytes, bytes + count * sizeof(float));  // copy before this thread predicts again
    outputs.push_back(std::move(out));
  }

 private:
  // XGBoost drops trailing 1-dims ([rows] for a binary model); answer in the
  // rank the descriptor declares when the element count allows it.
  std::vector<std::int64_t> output_shape(std::uint64_t count, std::vector<std::int64_t> got) const {
    const auto& want = output_.shape;
    if (got.size() == want.size() && !got.empty()) return got;
    std::int64_t fixed = 1;
    int variable = 0;
    for (auto d : want) {
      if (d < 0) ++variable; else fixed *= d;
    }
    if (variable > 1 || fixed == 0) return got;
    std::vector<std::int64_t> shape = want;
    for (auto& d : shape)
      if (d < 0) d = static_cast<std::int64_t>(count) / fixed;
    if (got.empty() && count == 0) return shape;
    std::uint64_t total = 1;
    for (auto d : shape) total *= static_cast<std::uint64_t>(d);
    return total == count ? shape : got;
  }

  BoosterHandle booster_;
  TensorSpec input_;
  TensorSpec output_;
  std::uint64_t features_;
};

}  // namespace

std::unique_ptr<ModelRuntime> load_xgboost_runtime(const Descriptor& d, const fs::path& model_dir) {
  fs::path path = model_dir / d.model;
  std::string what = "cannot load XGBoost model '" + path.string() + "'";
  if (d.inputs.size() != 1 || d.inputs[0].datatype != DataType::FP32 || d.inputs[0].shape.size() != 2 ||
      d.outputs.size() != 1 || d.outputs[0].datatype != DataType::FP32)
    throw Error(Exit::verification, what + ": the xgboost runtime needs one FP32 input of shape [-1, n_features] "
                                           "and one FP32 output");
  BoosterHandle booster = nullptr;
  if (XGBoosterCreate(nullptr, 0, &booster) != 0) fail(what + ": " + last_error());
  std::unique_ptr<void, int (*)(BoosterHandle)> guard(booster, &XGBoosterFree);
  if (XGBoosterLoadModel(booster, path.c_str()) != 0) fail(what + ": " + last_error());
  if (XGBoosterSetParam(booster, "nthread", "1") != 0) fail(what + ": " + last_error());
  bst_ulong features = 0;
  if (XGBoosterGetNumFeature(booster, &features) != 0) fail(what + ": " + last_error());
  std::int64_t declared = d.inputs[0].shape[1];
  if (declared >= 0 && static_cast<bst_ulong>(declared) != features)
    throw Error(Exit::verification, what + ": the model takes " + std::to_string(features) +
                                        " features, the descriptor declares " + std::to_string(declared));
  guard.release();
  auto runtime = std::make_unique<XgboostRuntime>(booster, d.inputs[0], d.outputs[0], features);
  // One prediction now, so that XGBoost's lazy configuration happens here and
  // not in concurrent first requests.
  Tensor probe{d.inputs[0].name, DataType::FP32, {1, static_cast<std::int64_t>(features)}, {}};
  probe.data.resize(features * sizeof(float));
  std::vector<Tensor> out;
  try {
    runtime->infer(std::span<const Tensor>(&probe, 1), out);
  } catch (const Error& e) {
    fail(what + ": " + e.what());
  }
  return runtime;
}

}  // namespace acuctl
