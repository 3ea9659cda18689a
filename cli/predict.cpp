// acuctl predict URL --model NAME --input FILE: one infer request, answer printed.
#include <iostream>
#include <iterator>
#include <sstream>

#include "acuctl/error.hpp"
#include "acuctl/files.hpp"
#include "acuctl/infer_client.hpp"
#include "acuctl/timefmt.hpp"
#include "command.hpp"

namespace acuctl::cli {
namespace {

struct Options {
  std::string url;
  std::string model;
  std::string version;
  std::string input;
  std::string timeout = "30s";
};

// One output, a row per line of its last dimension.
void print_output(const Context& ctx, const nlohmann::json& out) {
  std::string shape;
  std::size_t row = 0;
  if (out.contains("shape") && out["shape"].is_array()) {
    for (const auto& d : out["shape"]) shape += (shape.empty() ? "" : ",") + d.dump();
    if (!out["shape"].empty()) row = out["shape"].back().get<std::size_t>();
  }
  ctx.print(out.value("name", std::string("?")) + " (" + out.value("datatype", std::string("?")) + ", shape [" + shape + "]):");
  std::vector<nlohmann::json> flat;
  std::function<void(const nlohmann::json&)> flatten = [&](const nlohmann::json& j) {
    if (j.is_array()) for (const auto& e : j) flatten(e); else flat.push_back(j);
  };
  if (out.contains("data")) flatten(out["data"]);
  if (row == 0) row = flat.size() ? flat.size() : 1;
  for (std::size_t i = 0; i < flat.size(); i += row) {
    std::string line = "  ";
    for (std::size_t k = i; k < std::min(flat.size(), i + row); ++k) line += (k > i ? "  " : "") + flat[k].dump();
    ctx.print(line);
  }
}

void register_predict(CLI::App& app, Context& ctx) {
  auto opts = std::make_shared<Options>();
  auto* cmd = app.add_subcommand("predict", "Send one infer request to a runner and print the answer");
  cmd->add_option("URL", opts->url, "Runner address, e.g. http://127.0.0.1:8080")->required();
  cmd->add_option("--model", opts->model, "Model name")->required();
  cmd->add_option("--input", opts->input, "Infer request body (Open Inference Protocol JSON); - for stdin")->required();
  cmd->add_option("--model-version", opts->version, "Ask this version (stable or canary) instead of the routed one");
  cmd->add_option("--timeout", opts->timeout, "Give up after this long")->capture_default_str();
  cmd->callback([opts, &ctx] {
    ctx.action = [opts, &ctx] {
      std::string body;
      if (opts->input == "-") {
        body.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
      } else {
        body = read_file(opts->input);
      }
      std::string url = runner::infer_url(opts->url, opts->model, opts->version);
      runner::HttpResult r = runner::post_json(url, body, parse_duration(opts->timeout));
      nlohmann::json answer = nlohmann::json::parse(r.body, nullptr, false);
      if (r.status != 200) {
        std::string why = answer.is_object() && answer.contains("error") && answer["error"].is_string()
                              ? answer["error"].get<std::string>()
                              : r.body.substr(0, 500);
        fail("predict with '" + opts->model + "' failed: HTTP " + std::to_string(r.status) + ": " + why);
      }
      if (answer.is_discarded() || !answer.is_object())
        fail("predict with '" + opts->model + "' failed: the runner's answer is not JSON");
      if (ctx.json()) {
        ctx.print_json(answer);
        return 0;
      }
      ctx.print(answer.value("model_name", opts->model) + " " + answer.value("model_version", r.model_version) +
                (answer.contains("id") && answer["id"].is_string() ? " (id " + answer["id"].get<std::string>() + ")" : ""));
      if (answer.contains("outputs") && answer["outputs"].is_array())
        for (const auto& out : answer["outputs"]) print_output(ctx, out);
      return 0;
    };
  });
}

const RegisterCommand registered{140, register_predict};

}  // namespace
}  // namespace acuctl::cli
