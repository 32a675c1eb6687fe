#include "api/management_path.h"

#include <vector>

#include "base/http_head.h"

namespace wsgw {

std::optional<ManagementTarget> ParseManagementPath(std::string_view path, bool decode) {
  size_t query = path.find('?');
  if (query != std::string_view::npos) path = path.substr(0, query);
  std::vector<std::string> segments;
  size_t start = 0;
  while (start <= path.size()) {
    size_t slash = path.find('/', start);
    if (slash == std::string_view::npos) slash = path.size();
    // Each segment is decoded on its own, so an encoded '/' (%2F) stays inside its segment.
    if (slash > start) {
      std::string_view segment = path.substr(start, slash - start);
      segments.push_back(decode ? PercentDecode(segment, false) : std::string(segment));
    }
    start = slash + 1;
  }
  ManagementTarget target;
  size_t at = 0;
  if (!segments.empty() && segments[0] == "@connections") {
    at = 0;
  } else if (segments.size() >= 2 && segments[1] == "@connections") {
    target.stage = segments[0];
    at = 1;
  } else {
    return std::nullopt;
  }
  if (segments.size() > at + 2) return std::nullopt;  // `/@connections/a/b` is no operation
  if (segments.size() == at + 2) target.connectionId = segments[at + 1];
  return target;
}

}  // namespace wsgw
