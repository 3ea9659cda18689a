// acuctl init DIR --template T: scaffold a model project that packages as it is.
#include "acuctl/templates.hpp"
#include "command.hpp"

namespace acuctl::cli {
namespace {

struct Options {
  std::string dir;
  std::string template_name;
  std::string name;
};

void register_init(CLI::App& app, Context& ctx) {
  auto opts = std::make_shared<Options>();
  auto* cmd = app.add_subcommand("init", "Create a model project from a template");
  cmd->add_option("DIR", opts->dir, "Directory to create (absent or empty)")->required();
  cmd->add_option("-t,--template", opts->template_name, "Template: xgboost or native")->required();
  cmd->add_option("--name", opts->name, "Model name to put in model.json (default: the template's)");
  cmd->callback([opts, &ctx] {
    ctx.action = [opts, &ctx] {
      auto files = scaffold_project(opts->template_name, opts->dir, opts->name);
      if (ctx.json()) {
        ctx.print_json({{"project", opts->dir}, {"template", opts->template_name}, {"files", files}});
      } else {
        ctx.print("created " + opts->dir + " from template '" + opts->template_name + "':");
        for (const auto& f : files) ctx.print("  " + f);
        ctx.note("next: acuctl package " + opts->dir + " -o model.acu --key KEY");
      }
      return 0;
    };
  });
}

const RegisterCommand registered{20, register_init};

}  // namespace
}  // namespace acuctl::cli
