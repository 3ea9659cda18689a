// Whether a new version can take over from the stable one: it must accept
// every request the stable accepts.
#include <string>

#include "acuctl/runner.hpp"

namespace acuctl::runner {
namespace {

std::string shape_text(const std::vector<std::int64_t>& shape) {
  std::string out = "[";
  for (std::size_t i = 0; i < shape.size(); ++i) out += (i ? ", " : "") + std::to_string(shape[i]);
  return out + "]";
}

const TensorSpec* find_input(const Descriptor& d, const std::string& name) {
  for (const auto& t : d.inputs)
    if (t.name == name) return &t;
  return nullptr;
}

}  // namespace

std::optional<std::string> input_incompatibility(const Descriptor& stable, const Descriptor& next) {
  if (next.name != stable.name)
    return "its model name '" + next.name + "' differs from the stable's '" + stable.name + "'";
  for (const auto& old : stable.inputs) {
    const TensorSpec* now = find_input(next, old.name);
    if (!now) return "it has no input '" + old.name + "', which the stable version " + stable.version + " accepts";
    if (now->datatype != old.datatype)
      return "its input '" + old.name + "' is " + std::string(datatype_name(now->datatype)) + ", the stable's is " +
             std::string(datatype_name(old.datatype));
    bool fits = now->shape.size() == old.shape.size();
    for (std::size_t i = 0; fits && i < old.shape.size(); ++i)
      fits = now->shape[i] == -1 || now->shape[i] == old.shape[i];
    if (!fits)
      return "its input '" + old.name + "' has shape " + shape_text(now->shape) + ", which does not accept the stable's " +
             shape_text(old.shape);
  }
  for (const auto& add : next.inputs)
    if (!find_input(stable, add.name))
      return "it requires input '" + add.name + "', which requests to the stable version " + stable.version +
             " do not carry";
  return std::nullopt;
}

}  // namespace acuctl::runner
