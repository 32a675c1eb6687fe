// An HTTP/1.1 request head (request line + headers) as the gateway's acceptor sees it before
// deciding whether a connection is a WebSocket upgrade. Parsed with Node's http-parser.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace wsgw {

struct HttpHead {
  std::string method;
  std::string target;    // as sent: "/dev?room=a"
  std::string path;      // before '?', still percent-encoded
  std::string rawQuery;  // after '?'
  bool hasQuery = false;
  std::vector<std::pair<std::string, std::string>> headers;  // name case as sent
  bool upgradeWebSocket = false;  // Upgrade: websocket and Connection includes "upgrade"
  bool keepAlive = true;  // HTTP/1.1 without "Connection: close", or 1.0 with keep-alive

  // First value of a header, matched case-insensitively.
  std::optional<std::string> Header(std::string_view name) const;
};

// Offset just past the "\r\n\r\n" that ends the head, or 0 when the head is not complete.
size_t FindHeadEnd(std::string_view bytes);

// Parses a complete head (bytes up to and including the blank line). On failure returns
// nullopt and sets *error.
std::optional<HttpHead> ParseHttpHead(std::string_view head, std::string* error);

// "%3D" -> "=", "%40" -> "@"; `plus_as_space` for query strings. Invalid escapes are kept.
std::string PercentDecode(std::string_view text, bool plus_as_space);

bool EqualsIgnoreCase(std::string_view a, std::string_view b);

// `text` without leading and trailing spaces, tabs, CRs and LFs (a header value's padding).
std::string_view TrimSpace(std::string_view text);

}  // namespace wsgw
