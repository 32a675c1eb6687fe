#include "api/management_path.h"

#include <cctype>
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

namespace {

bool IsLabel(std::string_view text, bool allow_hyphen) {
  if (text.empty() || text.size() > 63) return false;
  for (char c : text) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || (allow_hyphen && c == '-');
    if (!ok) return false;
  }
  return true;
}

}  // namespace

std::optional<std::string> ExecuteApiIdFromHost(std::string_view host) {
  std::string name;
  for (char c : host) name += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  size_t colon = name.rfind(':');
  if (colon != std::string::npos) {
    std::string_view port = std::string_view(name).substr(colon + 1);
    for (char c : port) {
      if (c < '0' || c > '9') return std::nullopt;
    }
    name.resize(colon);
  }
  if (!name.empty() && name.back() == '.') name.pop_back();
  static constexpr std::string_view kMiddle = ".execute-api.";
  static constexpr std::string_view kSuffix = ".amazonaws.com";
  if (name.size() <= kSuffix.size() ||
      name.compare(name.size() - kSuffix.size(), kSuffix.size(), kSuffix) != 0) {
    return std::nullopt;
  }
  std::string_view rest = std::string_view(name).substr(0, name.size() - kSuffix.size());
  size_t middle = rest.find(kMiddle);
  if (middle == std::string_view::npos) return std::nullopt;
  std::string_view id = rest.substr(0, middle);
  std::string_view region = rest.substr(middle + kMiddle.size());
  if (!IsLabel(id, false) || !IsLabel(region, true)) return std::nullopt;
  return std::string(id);
}

}  // namespace wsgw
