// Fuzzes the @connections path parser and the percent decoder it uses: never a crash, and the
// shapes it promises (a target only for `[/STAGE]/@connections[/ID]` paths).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>

#include "http_head.h"
#include "management_path.h"

namespace {

void Check(bool condition) {
  if (!condition) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view path(reinterpret_cast<const char*>(data), size);
  std::optional<wsgw::ManagementTarget> target = wsgw::ParseManagementPath(path);
  if (target) {
    Check(path.find("@connections") != std::string_view::npos ||
          path.find("%40connections") != std::string_view::npos ||
          path.find("%40") != std::string_view::npos || path.find('%') != std::string_view::npos);
    if (target->stage) Check(!target->stage->empty());
    Check(target->connectionId.size() <= path.size());
  }
  for (bool plus_as_space : {false, true}) {
    std::string decoded = wsgw::PercentDecode(path, plus_as_space);
    Check(decoded.size() <= path.size());
    if (path.find('%') == std::string_view::npos && !plus_as_space) Check(decoded == path);
  }
  return 0;
}
