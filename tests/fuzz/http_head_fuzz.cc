// Fuzzes the acceptor's HTTP head parsing (FindHeadEnd + ParseHttpHead, on Node's http-parser):
// whatever a client sends, no crash, and a parsed head is self-consistent.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>

#include "base/http_head.h"

namespace {

void Check(bool condition) {
  if (!condition) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  size_t end = wsgw::FindHeadEnd(bytes);
  Check(end <= bytes.size());
  if (end > 0) Check(bytes.substr(end - 4, 4) == "\r\n\r\n");
  // The acceptor only parses complete heads, but the parser must survive anything.
  std::string_view head = end > 0 ? bytes.substr(0, end) : bytes;
  std::string error;
  std::optional<wsgw::HttpHead> parsed = wsgw::ParseHttpHead(head, &error);
  if (!parsed) {
    Check(!error.empty());
    return 0;
  }
  Check(!parsed->method.empty());
  Check(parsed->target == parsed->path + (parsed->hasQuery ? "?" + parsed->rawQuery : ""));
  if (parsed->upgradeWebSocket) {
    Check(parsed->Header("upgrade").has_value() && parsed->Header("CONNECTION").has_value());
  }
  for (const auto& [name, value] : parsed->headers) {
    std::optional<std::string> found = parsed->Header(name);
    Check(found.has_value());
    Check(wsgw::EqualsIgnoreCase(name, name));
  }
  return 0;
}
