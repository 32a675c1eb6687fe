#include "api/lambda_event.h"

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstddef>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <initializer_list>
#include <random>
#include <stdexcept>
#include <string_view>
#include <utility>

#include "base/http_head.h"
#include "base/ids.h"
#include "base/json.h"
#include "base/utf8.h"

namespace wsgw {
namespace {

int64_t FloorDiv(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

// X-Ray's format: "Root=1-" + 8 hex digits of the epoch second + "-" + 96 random bits in hex.
std::string NewTraceId(int64_t now_ms) {
  char epoch_hex[17];
  std::snprintf(epoch_hex, sizeof epoch_hex, "%08llx",
                static_cast<unsigned long long>(FloorDiv(now_ms, 1000)) & 0xffffffffULL);
  std::array<unsigned char, 12> random;
  FillRandom(random.data(), random.size());
  return std::string("Root=1-") + epoch_hex + "-" + LowerHex(random.data(), random.size());
}

bool IsOneOf(std::string_view name, std::initializer_list<std::string_view> names) {
  for (std::string_view candidate : names) {
    if (EqualsIgnoreCase(name, candidate)) return true;
  }
  return false;
}

// application/x-www-form-urlencoded decoding: '+' is a space, %XX a byte; a '%' not followed by
// two hex digits is kept literally.
std::string FormDecode(std::string_view in) { return ToValidUtf8(PercentDecode(in, true)); }

// Fills `single` (last value wins) and `multi` (every value, in order) from name/value pairs.
template <typename Pairs>
void AddPairs(const Pairs& pairs, Json::Value& single, Json::Value& multi) {
  single = Json::Value(Json::objectValue);
  multi = Json::Value(Json::objectValue);
  for (const auto& [name, value] : pairs) {
    single[name] = value;
    multi[name].append(value);
  }
}

Json::Value Identity(const ConnectionContext& connection) {
  Json::Value identity(Json::objectValue);
  identity["sourceIp"] = connection.sourceIp;
  if (connection.userAgent) identity["userAgent"] = ToValidUtf8(*connection.userAgent);
  return identity;
}

Json::Value AuthorizerObject(const std::map<std::string, std::string>& values) {
  Json::Value object(Json::objectValue);
  for (const auto& [key, value] : values) object[key] = value;
  return object;
}

// The requestContext fields every event type shares.
Json::Value CommonRequestContext(const ConnectionContext& connection, const std::string& route_key,
                                 const char* event_type, const EventIds& ids, int64_t now_ms) {
  Json::Value context(Json::objectValue);
  context["routeKey"] = route_key;
  context["eventType"] = event_type;
  context["extendedRequestId"] = ids.requestId;
  context["requestTime"] = FormatRequestTime(now_ms);
  context["messageDirection"] = "IN";
  context["stage"] = connection.stage;
  context["connectedAt"] = Json::Int64{connection.connectedAtMs};
  context["requestTimeEpoch"] = Json::Int64{now_ms};
  context["identity"] = Identity(connection);
  context["requestId"] = ids.requestId;
  context["domainName"] = connection.domainName;
  context["connectionId"] = connection.connectionId;
  context["apiId"] = connection.apiId;
  if (connection.authorizer) context["authorizer"] = AuthorizerObject(*connection.authorizer);
  return context;
}

std::string FormatSecond(int64_t second) {
  static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  const std::time_t seconds = static_cast<std::time_t>(second);
  std::tm utc{};
  if (gmtime_r(&seconds, &utc) == nullptr) return "01/Jan/1970:00:00:00 +0000";
  char out[64];
  std::snprintf(out, sizeof out, "%02d/%s/%04d:%02d:%02d:%02d +0000", utc.tm_mday,
                kMonths[utc.tm_mon], utc.tm_year + 1900, utc.tm_hour, utc.tm_min, utc.tm_sec);
  return out;
}

}  // namespace

std::string FormatRequestTime(int64_t epoch_ms) {
  const int64_t second = FloorDiv(epoch_ms, 1000);
  // Every event of the same second has the same text.
  thread_local int64_t cached_second = 0;
  thread_local std::string cached;
  if (!cached.empty() && second == cached_second) return cached;
  cached_second = second;
  cached = FormatSecond(second);
  return cached;
}

namespace {

// The client's headers plus X-Amzn-Trace-Id and X-Forwarded-For/Port/Proto. `integration`: the
// $connect integration event, from which API Gateway strips Connection, Upgrade and
// Content-Length although it passes them to an authorizer (AWS-NOTES §1.1).
std::vector<HttpHeader> EventHeaders(const ConnectionContext& connection,
                                     const ConnectRequest& request, bool integration,
                                     int64_t now_ms) {
  std::vector<HttpHeader> headers;
  headers.reserve(request.headers.size() + 4);
  for (const auto& [name, value] : request.headers) {
    if (integration && IsOneOf(name, {"Connection", "Upgrade", "Content-Length"})) continue;
    // AWS appends the client's address to an X-Forwarded-For the client sent; the emulator keeps
    // it simple and replaces these four with its own values.
    if (IsOneOf(name,
                {"X-Amzn-Trace-Id", "X-Forwarded-For", "X-Forwarded-Port", "X-Forwarded-Proto"})) {
      continue;
    }
    headers.emplace_back(ToValidUtf8(name), ToValidUtf8(value));
  }
  // An authorizer sees the handshake's (empty) body length, which clients do not send [PT-AUTH].
  if (!integration &&
      std::none_of(request.headers.begin(), request.headers.end(), [](const HttpHeader& header) {
        return EqualsIgnoreCase(header.first, "Content-Length");
      })) {
    headers.emplace_back("content-length", "0");
  }
  headers.emplace_back("X-Amzn-Trace-Id", NewTraceId(now_ms));
  headers.emplace_back("X-Forwarded-For", connection.sourceIp);
  headers.emplace_back("X-Forwarded-Port", std::to_string(request.localPort));
  headers.emplace_back("X-Forwarded-Proto", request.secure ? "https" : "http");
  return headers;
}

// The query string's name/value pairs, decoded, in order.
std::vector<std::pair<std::string, std::string>> QueryParameters(const ConnectRequest& request) {
  std::vector<std::pair<std::string, std::string>> params;
  if (!request.hasQuery) return params;
  std::string_view rest = request.rawQuery;
  while (true) {
    const size_t amp = rest.find('&');
    const std::string_view part = rest.substr(0, amp);
    if (!part.empty()) {
      const size_t eq = part.find('=');
      std::string name = FormDecode(part.substr(0, eq));
      std::string value = eq == std::string_view::npos ? "" : FormDecode(part.substr(eq + 1));
      // "?=x" names nothing a handler could look up; dropped like an empty "&&" segment.
      if (!name.empty()) params.emplace_back(std::move(name), std::move(value));
    }
    if (amp == std::string_view::npos) break;
    rest.remove_prefix(amp + 1);
  }
  return params;
}

}  // namespace

Json::Value BuildConnectEvent(const ConnectionContext& connection, const ConnectRequest& request,
                              const EventIds& ids, int64_t now_ms) {
  Json::Value event(Json::objectValue);
  AddPairs(EventHeaders(connection, request, true, now_ms), event["headers"],
           event["multiValueHeaders"]);
  std::vector<std::pair<std::string, std::string>> params = QueryParameters(request);
  if (!params.empty()) {
    AddPairs(params, event["queryStringParameters"], event["multiValueQueryStringParameters"]);
  }
  Json::Value context = CommonRequestContext(connection, "$connect", "CONNECT", ids, now_ms);
  if (connection.authorizer) {
    context["authorizer"]["integrationLatency"] = Json::Int64{connection.authorizerLatencyMs};
  }
  event["requestContext"] = std::move(context);
  event["isBase64Encoded"] = false;
  return event;
}

std::string ConnectMethodArn(const std::string& region, const std::string& account,
                             const std::string& api_id, const std::string& stage) {
  return "arn:aws:execute-api:" + region + ":" + account + ":" + api_id + "/" + stage + "/$connect";
}

std::optional<std::string> MissingIdentitySource(const std::vector<std::string>& sources,
                                                 const ConnectRequest& request) {
  constexpr std::string_view kHeader = "route.request.header.";
  constexpr std::string_view kQuery = "route.request.querystring.";
  std::vector<std::pair<std::string, std::string>> params;
  bool params_read = false;
  for (const std::string& source : sources) {
    bool present = false;
    if (std::string_view(source).starts_with(kHeader)) {
      const std::string_view name = std::string_view(source).substr(kHeader.size());
      for (const auto& [header, value] : request.headers) {
        if (EqualsIgnoreCase(header, name) && !TrimSpace(value).empty()) present = true;
      }
    } else if (std::string_view(source).starts_with(kQuery)) {
      const std::string_view name = std::string_view(source).substr(kQuery.size());
      if (!params_read) {
        params = QueryParameters(request);
        params_read = true;
      }
      for (const auto& [param, value] : params) {
        if (param == name && !value.empty()) present = true;
      }
    }
    if (!present) return source;
  }
  return std::nullopt;
}

Json::Value BuildAuthorizerEvent(const ConnectionContext& connection, const ConnectRequest& request,
                                 const std::string& method_arn, const EventIds& ids,
                                 int64_t now_ms) {
  Json::Value event(Json::objectValue);
  event["type"] = "REQUEST";
  event["methodArn"] = method_arn;
  AddPairs(EventHeaders(connection, request, false, now_ms), event["headers"],
           event["multiValueHeaders"]);
  AddPairs(QueryParameters(request), event["queryStringParameters"],
           event["multiValueQueryStringParameters"]);
  event["stageVariables"] = Json::Value(Json::objectValue);
  event["requestContext"] = CommonRequestContext(connection, "$connect", "CONNECT", ids, now_ms);
  return event;
}

Json::Value BuildMessageEvent(const ConnectionContext& connection, const std::string& route_key,
                              const std::string& body, const EventIds& ids, int64_t now_ms) {
  Json::Value event(Json::objectValue);
  Json::Value context = CommonRequestContext(connection, route_key, "MESSAGE", ids, now_ms);
  context["messageId"] = ids.messageId;
  event["requestContext"] = std::move(context);
  event["body"] = ToValidUtf8(body);
  event["isBase64Encoded"] = false;
  return event;
}

namespace {

void AppendUtf8JsonString(std::string& out, std::string_view text) {
  if (IsValidUtf8(text)) {
    AppendJsonString(out, text);
  } else {
    AppendJsonString(out, ToValidUtf8(text));
  }
}

}  // namespace

std::string SerializeMessageEvent(const ConnectionContext& connection, const std::string& route_key,
                                  const std::string& body, const EventIds& ids, int64_t now_ms) {
  // jsoncpp prints object members in key order; the same order here.
  std::string out;
  out.reserve(body.size() + 640);
  out.append("{\"body\":");
  AppendUtf8JsonString(out, body);
  out.append(",\"isBase64Encoded\":false,\"requestContext\":{\"apiId\":");
  AppendJsonString(out, connection.apiId);
  if (connection.authorizer) {
    out.append(",\"authorizer\":{");
    bool first = true;
    for (const auto& [key, value] : *connection.authorizer) {
      if (!first) out.push_back(',');
      first = false;
      // Read from the authorizer's JSON answer, so valid UTF-8 already.
      AppendJsonString(out, key);
      out.push_back(':');
      AppendJsonString(out, value);
    }
    out.push_back('}');
  }
  out.append(",\"connectedAt\":");
  out.append(std::to_string(connection.connectedAtMs));
  out.append(",\"connectionId\":");
  AppendJsonString(out, connection.connectionId);
  out.append(",\"domainName\":");
  AppendJsonString(out, connection.domainName);
  out.append(",\"eventType\":\"MESSAGE\",\"extendedRequestId\":");
  AppendJsonString(out, ids.requestId);
  out.append(",\"identity\":{\"sourceIp\":");
  AppendJsonString(out, connection.sourceIp);
  if (connection.userAgent) {
    out.append(",\"userAgent\":");
    AppendUtf8JsonString(out, *connection.userAgent);
  }
  out.append("},\"messageDirection\":\"IN\",\"messageId\":");
  AppendJsonString(out, ids.messageId);
  out.append(",\"requestId\":");
  AppendJsonString(out, ids.requestId);
  out.append(",\"requestTime\":");
  AppendJsonString(out, FormatRequestTime(now_ms));
  out.append(",\"requestTimeEpoch\":");
  out.append(std::to_string(now_ms));
  out.append(",\"routeKey\":");
  AppendJsonString(out, route_key);
  out.append(",\"stage\":");
  AppendJsonString(out, connection.stage);
  out.append("}}");
  return out;
}

Json::Value BuildDisconnectEvent(const ConnectionContext& connection, int status_code,
                                 const std::string& reason, const EventIds& ids, int64_t now_ms) {
  // The fixed set API Gateway sends on every $disconnect, whatever the client sent at connect.
  const std::vector<HttpHeader> headers = {
      {"Host", connection.domainName},
      {"x-api-key", ""},
      {"X-Forwarded-For", ""},
      {"x-restapi", ""},
  };
  Json::Value event(Json::objectValue);
  AddPairs(headers, event["headers"], event["multiValueHeaders"]);
  Json::Value context = CommonRequestContext(connection, "$disconnect", "DISCONNECT", ids, now_ms);
  context["disconnectStatusCode"] = status_code;
  context["disconnectReason"] = ToValidUtf8(reason);
  event["requestContext"] = std::move(context);
  event["isBase64Encoded"] = false;
  return event;
}

std::string SerializeEvent(const Json::Value& event) { return CompactJson(event); }

}  // namespace wsgw
