// Fuzzes the routes.json loader (ParseRoutes) with arbitrary text: it must never crash, hang or
// leak, and must keep its contract: a config exactly when there are no problems, every problem
// printable and located, every route pointing at a configured function, every limit positive.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "api/routes_config.h"

namespace {

void Check(bool condition) {
  if (!condition) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  wsgw::LoadResult result = wsgw::ParseRoutes(text, "fuzz/routes.json", "/nonexistent/fuzz");
  Check(result.api.has_value() == result.problems.empty());
  for (const wsgw::ConfigProblem& problem : result.problems) {
    Check(!problem.path.empty() && problem.path[0] == '$');
    Check(!problem.ToString().empty());
  }
  if (!result.api) return 0;
  const wsgw::ApiConfig& api = *result.api;
  Check(api.routeSelection.has_value());
  // Derived ids have 10 characters; a routes.json "apiId" 1 to 63 lowercase letters and digits.
  Check(!api.apiId.empty() && api.apiId.size() <= 63 &&
        api.apiId.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789") == std::string::npos);
  Check(!api.stage.empty());
  for (const auto& [key, route] : api.routes) {
    Check(api.functions.count(route.function) == 1);
    Check(api.FindRoute(key) != nullptr);
    Check(api.FunctionFor(key) != nullptr);
  }
  Check(api.limits.maxFrameBytes > 0 && api.limits.maxMessageBytes > 0);
  Check(api.limits.idleTimeoutSeconds > 0 && api.limits.maxConnectionSeconds > 0);
  Check(api.limits.integrationTimeoutMs > 0);
  for (const auto& [name, function] : api.functions) Check(function.timeoutMs > 0);
  // The configured expression must evaluate against any body without trouble.
  (void)api.routeSelection->Evaluate(text);
  return 0;
}
