// The Open Inference Protocol v2 REST endpoints and /metrics.
#pragma once
#include "acuctl/http_server.hpp"
#include "acuctl/metrics.hpp"
#include "acuctl/routing.hpp"

namespace acuctl::runner {

// Answers /v2/… and /metrics; returns false for any other path.
bool handle_inference_api(const Router& router, Metrics& metrics, const HttpRequest& request,
                          HttpResponse& response);

}  // namespace acuctl::runner
