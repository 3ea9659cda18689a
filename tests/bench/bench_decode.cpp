// Micro benchmark of infer-request decoding, the runner's hot path: the SAX
// parser straight into typed buffers (what the runner uses) against parsing
// a nlohmann DOM and copying "data" out of it. Built and run by run_bench.sh.
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
    double sax = ns_per_op([&] { return acuctl::oip::parse_infer_request(body).inputs[0].data.size(); }, iterations);
    double dom = ns_per_op([&] { return dom_decode(body).data.size(); }, iterations);
    std::printf("decode %5d rows (%7zu bytes): SAX into typed buffer %10.0f ns  DOM then copy %10.0f ns  (DOM/SAX %.2fx)\n",
                rows, body.size(), sax, dom, dom / sax);
  }
}
