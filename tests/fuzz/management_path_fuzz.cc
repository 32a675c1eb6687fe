// Fuzzes the @connections path parser and the percent decoder it uses: never a crash, and the
// shapes it promises (a target only for `[/STAGE]/@connections[/ID]` paths).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>

#include "base/http_head.h"
#include "api/management_path.h"

namespace {

void Check(bool condition) {
  if (!condition) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view path(reinterpret_cast<const char*>(data), size);
  std::string_view before_query = path.substr(0, path.find('?'));

  // As the gateway calls it: the path libwebsockets already decoded.
  std::optional<wsgw::ManagementTarget> raw = wsgw::ParseManagementPath(path, /*decode=*/false);
  if (raw) {
    Check(before_query.find("@connections") != std::string_view::npos);
    Check(raw->connectionId.find('/') == std::string::npos);
    Check(before_query.find(raw->connectionId) != std::string_view::npos);
    if (raw->stage) Check(!raw->stage->empty() && raw->stage->find('/') == std::string::npos);
  }

  // Decoding each segment: `%40connections` counts, `%2F` stays inside its segment.
  std::optional<wsgw::ManagementTarget> decoded = wsgw::ParseManagementPath(path);
  if (decoded) {
    Check(decoded->connectionId.size() <= before_query.size());
    if (decoded->stage) Check(!decoded->stage->empty());
  }
  if (raw) Check(decoded.has_value() || before_query.find('%') != std::string_view::npos);

  for (bool plus_as_space : {false, true}) {
    std::string text = wsgw::PercentDecode(path, plus_as_space);
    Check(text.size() <= path.size());
    if (path.find('%') == std::string_view::npos && !plus_as_space) Check(text == path);
  }
  return 0;
}
