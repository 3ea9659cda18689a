// Model runtimes behind one small interface (SPEC section 8): a loaded model
// takes typed input tensors and returns typed output tensors.
#pragma once
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "acuctl/descriptor.hpp"

namespace acuctl {

// A tensor's bytes, row-major and little-endian, as the ABI passes them.
struct Tensor {
  std::string name;
  DataType datatype = DataType::FP32;
  std::vector<std::int64_t> shape;
  std::vector<std::byte> data;
};

// One loaded model. infer() may be called from many threads at once.
class ModelRuntime {
 public:
  virtual ~ModelRuntime() = default;
  // Fills `outputs` (cleared first). Throws Error(failure) with the model's
  // message when the model reports a failure.
  virtual void infer(std::span<const Tensor> inputs, std::vector<Tensor>& outputs) const = 0;
};

// Loads the model described by `descriptor` from `model_dir` (the unpacked
// bundle) with the runtime the descriptor names. Throws Error naming the
// model file and the reason.
std::unique_ptr<ModelRuntime> load_runtime(const Descriptor& descriptor,
                                           const std::filesystem::path& model_dir);

// The individual runtimes (runtime.cpp dispatches on the descriptor).
std::unique_ptr<ModelRuntime> load_native_runtime(const Descriptor& descriptor,
                                                  const std::filesystem::path& model_dir);
std::unique_ptr<ModelRuntime> load_xgboost_runtime(const Descriptor& descriptor,
                                                   const std::filesystem::path& model_dir);

}  // namespace acuctl
