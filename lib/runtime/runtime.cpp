// Chooses the runtime a descriptor names.
#include "acuctl/runtime.hpp"

#include "acuctl/contract.hpp"
#include "acuctl/error.hpp"

namespace acuctl {

std::unique_ptr<ModelRuntime> load_runtime(const Descriptor& descriptor,
                                           const std::filesystem::path& model_dir) {
  if (descriptor.runtime == contract::runtime_native) return load_native_runtime(descriptor, model_dir);
  if (descriptor.runtime == contract::runtime_xgboost) return load_xgboost_runtime(descriptor, model_dir);
  throw Error(Exit::verification, "cannot load model '" + descriptor.name + "' " + descriptor.version +
                                      ": unknown runtime '" + descriptor.runtime + "'",
              "this runner knows the runtimes native and xgboost");
}

}  // namespace acuctl
