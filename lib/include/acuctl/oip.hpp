// Open Inference Protocol v2 (REST) bodies: an infer request parsed straight
// into typed tensor buffers and checked against the descriptor, and the
// infer response written without an intermediate JSON document.
#pragma once
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "acuctl/descriptor.hpp"
#include "acuctl/runtime.hpp"

namespace acuctl::oip {

// A request the client must fix: answered 400 with {"error": what()}.
class BadRequest : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct InferRequest {
  std::optional<std::string> id;
  std::vector<Tensor> inputs;
  std::vector<std::string> outputs;  // requested outputs; empty = all
};

// Parses an infer request body (flat or nested "data" arrays) into typed
// tensors. Throws BadRequest naming the tensor and the problem.
InferRequest parse_infer_request(std::string_view body);

// Checks names, datatypes, shapes and element counts against the model's
// inputs (and requested outputs against its outputs). Throws BadRequest.
void validate_infer_request(const InferRequest& request, const Descriptor& descriptor);

// Checks what the model returned against its descriptor; throws Error
// (a server-side failure) naming the output and the problem.
void validate_outputs(const std::vector<Tensor>& outputs, const Descriptor& descriptor);

// {"model_name", "model_version", "id"?, "outputs": [...]}; only the
// requested outputs when the request named some.
std::string encode_infer_response(const Descriptor& descriptor, const InferRequest& request,
                                  const std::vector<Tensor>& outputs);

// {"error": message}
std::string error_body(std::string_view message);

// Appends `s` as a JSON string literal (with quotes).
void append_json_string(std::string& out, std::string_view s);

// Float <-> IEEE half, for FP16 tensors.
std::uint16_t float_to_half(float f);
float half_to_float(std::uint16_t h);

}  // namespace acuctl::oip
