// Micro benchmark of infer-request decoding, the runner's hot path: the
// runner's hand-written parser straight into typed buffers against parsing a
// nlohmann DOM and copying "data" out of it. Built and run by run_bench.sh.
// (nlohmann's SAX interface, tried first, was slower than its DOM for small
// requests: 5.7 us against 3.3 us for two rows.)
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>

#include <nlohmann/json.hpp>

#include "acuctl/oip.hpp"

using Clock = std::chrono::steady_clock;

static std::string body_with_rows(int rows) {
  std::string data;
  for (int i = 0; i < rows * 4; ++i) data += (i ? "," : "") + std::to_string(0.1 * (i % 97) + 1.25);
  return R"({"id":"b","inputs":[{"name":"features","datatype":"FP32","shape":[)" + std::to_string(rows) +
         R"(,4],"data":[)" + data + "]}]}";
}

static acuctl::Tensor dom_decode(const std::string& body) {
  auto j = nlohmann::json::parse(body);
  const auto& in = j.at("inputs").at(0);
  acuctl::Tensor t;
  t.name = in.at("name").get<std::string>();
  t.shape = in.at("shape").get<std::vector<std::int64_t>>();
  const auto& data = in.at("data");
  t.data.resize(data.size() * sizeof(float));
  std::size_t i = 0;
  for (const auto& v : data) {
    float f = v.get<float>();
    std::memcpy(t.data.data() + 4 * i++, &f, 4);
  }
  return t;
}

template <typename F>
static double ns_per_op(F&& f, int iterations) {
  auto start = Clock::now();
  std::size_t sink = 0;
  for (int i = 0; i < iterations; ++i) sink += f();
  auto ns = std::chrono::duration<double, std::nano>(Clock::now() - start).count();
  if (sink == 42) std::puts("");
  return ns / iterations;
}

int main() {
  for (int rows : {2, 100, 10000}) {
    std::string body = body_with_rows(rows);
    int iterations = std::max(20, 2000000 / (rows * 4 + 16));
    double runner = ns_per_op([&] { return acuctl::oip::parse_infer_request(body).inputs[0].data.size(); }, iterations);
    double dom = ns_per_op([&] { return dom_decode(body).data.size(); }, iterations);
    std::printf("decode %5d rows (%7zu bytes): runner parser, typed buffer %10.0f ns  nlohmann DOM then copy %10.0f ns  (DOM/runner %.2fx)\n",
                rows, body.size(), runner, dom, dom / runner);
  }
}
