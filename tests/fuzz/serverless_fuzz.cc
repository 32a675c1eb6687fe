// Fuzzes serverless.yml import: YAML text through the variable resolver (${self:}, ${opt:},
// ${sls:}, ${env:}, ${param:}, ${file()} with nested variables and fallbacks) and the compiled
// CloudFormation into ApiConfigs (ParseServerless). It must never crash or hang (self references
// are cycle-checked, nesting is bounded), and keep its contract: either APIs or problems, every
// problem and warning naming a file and a path.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "project/serverless_import.h"

namespace {

void Check(bool condition) {
  if (!condition) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 65536) return 0;
  std::string text(reinterpret_cast<const char*>(data), size);
  wsgw::ProjectOptions options;
  options.environment["HOME"] = "/home/fuzz";
  options.parameters["domain"] = "example.com";
  // A folder that does not exist: file(...) finds nothing, .env is not read.
  wsgw::ProjectResult result =
      wsgw::ParseServerless(text, "serverless.yml", "/nonexistent/wsgw-fuzz", options);
  Check(result.apis.empty() != result.problems.empty());
  for (const wsgw::ConfigProblem& p : result.problems) {
    Check(!p.file.empty() && !p.path.empty() && !p.expected.empty());
  }
  for (const wsgw::ConfigProblem& w : result.warnings) Check(!w.file.empty() && !w.found.empty());
  for (const wsgw::ApiConfig& api : result.apis) Check(!api.routes.empty() && api.routeSelection);
  return 0;
}
