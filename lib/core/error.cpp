// Adding context to errors while keeping their exit category.
#include "acuctl/error.hpp"

#include <filesystem>

namespace acuctl {

void rethrow_with_context(const std::string& context) {
  try {
    throw;
  } catch (const Error& e) {
    throw Error(e.exit(), context + ": " + e.what(), e.hint());
  } catch (const std::filesystem::filesystem_error& e) {
    throw Error(Exit::failure, context + ": " + e.code().message());
  } catch (const std::exception& e) {
    throw Error(Exit::failure, context + ": " + e.what());
  }
}

}  // namespace acuctl
