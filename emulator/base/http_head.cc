#include "base/http_head.h"

#include <http_parser.h>

#include <cctype>

namespace wsgw {
namespace {

struct ParseState {
  HttpHead head;
  std::string field;
  bool in_value = false;
  bool complete = false;
};

ParseState* StateOf(http_parser* parser) { return static_cast<ParseState*>(parser->data); }

int OnUrl(http_parser* parser, const char* at, size_t length) {
  StateOf(parser)->head.target.append(at, length);
  return 0;
}

int OnHeaderField(http_parser* parser, const char* at, size_t length) {
  ParseState* state = StateOf(parser);
  if (state->in_value || state->head.headers.empty()) {
    state->head.headers.emplace_back();
    state->in_value = false;
  }
  state->head.headers.back().first.append(at, length);
  return 0;
}

int OnHeaderValue(http_parser* parser, const char* at, size_t length) {
  ParseState* state = StateOf(parser);
  state->in_value = true;
  if (!state->head.headers.empty()) state->head.headers.back().second.append(at, length);
  return 0;
}

int OnHeadersComplete(http_parser* parser) {
  StateOf(parser)->complete = true;
  StateOf(parser)->head.keepAlive = http_should_keep_alive(parser) != 0;
  return 1;  // the acceptor only reads heads: stop before any body
}

bool ContainsToken(std::string_view list, std::string_view token) {
  size_t start = 0;
  while (start <= list.size()) {
    size_t comma = list.find(',', start);
    if (comma == std::string_view::npos) comma = list.size();
    std::string_view item = list.substr(start, comma - start);
    while (!item.empty() && std::isspace(static_cast<unsigned char>(item.front()))) {
      item.remove_prefix(1);
    }
    while (!item.empty() && std::isspace(static_cast<unsigned char>(item.back()))) {
      item.remove_suffix(1);
    }
    if (EqualsIgnoreCase(item, token)) return true;
    start = comma + 1;
  }
  return false;
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

std::string_view TrimSpace(std::string_view text) {
  const char* kSpace = " \t\r\n";
  size_t first = text.find_first_not_of(kSpace);
  if (first == std::string_view::npos) return {};
  size_t last = text.find_last_not_of(kSpace);
  return text.substr(first, last - first + 1);
}

std::optional<std::string> HttpHead::Header(std::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (EqualsIgnoreCase(key, name)) return value;
  }
  return std::nullopt;
}

size_t FindHeadEnd(std::string_view bytes) {
  size_t end = bytes.find("\r\n\r\n");
  return end == std::string_view::npos ? 0 : end + 4;
}

std::optional<HttpHead> ParseHttpHead(std::string_view head, std::string* error) {
  http_parser_settings settings;
  http_parser_settings_init(&settings);
  settings.on_url = OnUrl;
  settings.on_header_field = OnHeaderField;
  settings.on_header_value = OnHeaderValue;
  settings.on_headers_complete = OnHeadersComplete;

  ParseState state;
  http_parser parser;
  http_parser_init(&parser, HTTP_REQUEST);
  parser.data = &state;
  http_parser_execute(&parser, &settings, head.data(), head.size());
  auto parse_error = HTTP_PARSER_ERRNO(&parser);
  if (!state.complete || (parse_error != HPE_OK && parse_error != HPE_CB_headers_complete)) {
    *error = std::string("malformed HTTP request head: ") + http_errno_description(parse_error);
    return std::nullopt;
  }

  HttpHead& result = state.head;
  result.method = http_method_str(static_cast<http_method>(parser.method));
  size_t question = result.target.find('?');
  result.path = result.target.substr(0, question);
  if (question != std::string::npos) {
    result.hasQuery = true;
    result.rawQuery = result.target.substr(question + 1);
  }
  std::optional<std::string> upgrade = result.Header("Upgrade");
  std::optional<std::string> connection = result.Header("Connection");
  result.upgradeWebSocket = upgrade && connection && ContainsToken(*upgrade, "websocket") &&
                            ContainsToken(*connection, "upgrade");
  return std::move(result);
}

std::string PercentDecode(std::string_view text, bool plus_as_space) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '%' && i + 2 < text.size()) {
      int high = HexValue(text[i + 1]);
      int low = HexValue(text[i + 2]);
      if (high >= 0 && low >= 0) {
        out += static_cast<char>(high * 16 + low);
        i += 2;
        continue;
      }
    }
    out += (plus_as_space && c == '+') ? ' ' : c;
  }
  return out;
}

}  // namespace wsgw
