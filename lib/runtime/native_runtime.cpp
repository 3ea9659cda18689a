// The native runtime: a shared library implementing acuctl/model_abi.h,
// loaded with dlopen(RTLD_NOW | RTLD_LOCAL) so that two versions of a model
// can be loaded side by side without their symbols clashing.
#include <dlfcn.h>

#include <array>
#include <cstring>

#include "acuctl/error.hpp"
#include "acuctl/model_abi.h"
#include "acuctl/runtime.hpp"

namespace acuctl {
namespace {

namespace fs = std::filesystem;

struct DlCloser {
  void operator()(void* handle) const noexcept { ::dlclose(handle); }
};
using DlHandle = std::unique_ptr<void, DlCloser>;

using AbiVersionFn = int (*)();
using LoadFn = void* (*)(const char*, char*, size_t);
using InferFn = int (*)(void*, const acu_tensor*, size_t, acu_output_sink*, char*, size_t);
using UnloadFn = void (*)(void*);

constexpr std::size_t error_capacity = 512;

// What the output sink collects: outputs are copied while the model's
// buffers are still valid (the ABI promises nothing after add_output returns).
struct SinkContext {
  std::vector<Tensor>* outputs;
};

int add_output(void* ctx, const acu_tensor* out) noexcept {
  try {
    auto* sink = static_cast<SinkContext*>(ctx);
    if (!out || !out->name || (out->rank > 0 && !out->shape) || (out->size_bytes > 0 && !out->data)) return 1;
    if (out->datatype < ACU_BOOL || out->datatype > ACU_BYTES) return 1;
    Tensor t;
    t.name = out->name;
    t.datatype = static_cast<DataType>(out->datatype);
    t.shape.assign(out->shape, out->shape + out->rank);
    const auto* bytes = static_cast<const std::byte*>(out->data);
    t.data.assign(bytes, bytes + out->size_bytes);
    sink->outputs->push_back(std::move(t));
    return 0;
  } catch (...) {
    return 1;
  }
}

std::string message_from(const std::array<char, error_capacity>& err) {
  std::size_t n = strnlen(err.data(), err.size());
  return n ? std::string(err.data(), n) : std::string("no message");
}

class NativeRuntime final : public ModelRuntime {
 public:
  NativeRuntime(DlHandle library, InferFn infer_fn, UnloadFn unload_fn, void* model)
      : library_(std::move(library)), infer_(infer_fn), unload_(unload_fn), model_(model) {}
  ~NativeRuntime() override {
    if (model_) unload_(model_);
  }
  NativeRuntime(const NativeRuntime&) = delete;
  NativeRuntime& operator=(const NativeRuntime&) = delete;

  void infer(std::span<const Tensor> inputs, std::vector<Tensor>& outputs) const override {
    outputs.clear();
    std::array<acu_tensor, 16> small{};
    std::vector<acu_tensor> large;
    acu_tensor* abi = small.data();
    if (inputs.size() > small.size()) {
      large.resize(inputs.size());
      abi = large.data();
    }
    for (std::size_t i = 0; i < inputs.size(); ++i) {
      const Tensor& t = inputs[i];
      abi[i] = acu_tensor{t.name.c_str(), static_cast<int>(t.datatype), t.shape.data(), t.shape.size(),
                          t.data.data(), t.data.size()};
    }
    SinkContext ctx{&outputs};
    acu_output_sink sink{&ctx, &add_output};
    std::array<char, error_capacity> err{};
    int rc = infer_(model_, abi, inputs.size(), &sink, err.data(), err.size());
    if (rc != 0) fail("the model failed: " + message_from(err));
  }

 private:
  DlHandle library_;  // declared first: destroyed after the model is unloaded
  InferFn infer_;
  UnloadFn unload_;
  void* model_;
};

template <typename Fn>
Fn symbol(void* library, const char* name, const fs::path& path) {
  ::dlerror();
  void* sym = ::dlsym(library, name);
  if (!sym)
    throw Error(Exit::verification,
                "cannot load native model '" + path.string() + "': it does not export " + name,
                "a native model implements the four functions of acuctl/model_abi.h");
  return reinterpret_cast<Fn>(sym);
}

}  // namespace

std::unique_ptr<ModelRuntime> load_native_runtime(const Descriptor& descriptor, const fs::path& model_dir) {
  fs::path path = fs::absolute(model_dir / descriptor.model);
  DlHandle library(::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL));
  if (!library) {
    const char* why = ::dlerror();
    throw Error(Exit::verification, "cannot load native model '" + path.string() + "': " +
                                        (why ? why : "dlopen failed"));
  }
  auto version = symbol<AbiVersionFn>(library.get(), "acu_model_abi_version", path);
  auto load = symbol<LoadFn>(library.get(), "acu_model_load", path);
  auto infer = symbol<InferFn>(library.get(), "acu_model_infer", path);
  auto unload = symbol<UnloadFn>(library.get(), "acu_model_unload", path);
  if (int v = version(); v != 1)
    throw Error(Exit::verification, "cannot load native model '" + path.string() + "': it implements ABI version " +
                                        std::to_string(v) + ", this runner speaks version 1");
  std::array<char, error_capacity> err{};
  fs::path dir = fs::absolute(model_dir);
  void* model = load(dir.c_str(), err.data(), err.size());
  if (!model) fail("cannot load native model '" + path.string() + "': " + message_from(err));
  return std::make_unique<NativeRuntime>(std::move(library), infer, unload, model);
}

}  // namespace acuctl
