// The Lambda proxy events API Gateway sends for WebSocket APIs (AWS-NOTES §1): exactly AWS's
// field set per event type, in AWS's formats.
#pragma once

#include <json/json.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "base/ids.h"

namespace wsgw {

// What stays the same in every event of one connection.
struct ConnectionContext {
  std::string connectionId;
  int64_t connectedAtMs = 0;
  std::string sourceIp;
  std::optional<std::string> userAgent;  // absent when the client sent no User-Agent
  std::string domainName;                // "HOST:PORT"
  std::string stage;
  std::string apiId;
  // What the connection's Lambda authorizer answered: principalId and every key of its context,
  // values stringified. Every event carries it as requestContext.authorizer (AWS-NOTES §1.2).
  std::optional<std::map<std::string, std::string>> authorizer;
  // The authorizer's latency, which only the CONNECT event's authorizer object shows.
  int64_t authorizerLatencyMs = 0;
};

// One header line of the upgrade request as the client sent it (name case kept).
using HttpHeader = std::pair<std::string, std::string>;

struct ConnectRequest {
  std::vector<HttpHeader> headers;  // in arrival order, duplicates kept
  std::string rawQuery;             // after '?', still percent-encoded; empty: no query string
  bool hasQuery = false;            // the URL had a '?'
  int localPort = 0;                // for X-Forwarded-Port
  bool secure = false;              // came over TLS: X-Forwarded-Proto https
};

// Per-event ids: requestId == extendedRequestId in AWS's modern events.
struct EventIds {
  std::string requestId;
  std::string messageId;  // MESSAGE only
};

// CLF time as in requestTime: "11/Nov/2024:11:35:24 +0000" (UTC).
std::string FormatRequestTime(int64_t epoch_ms);

// $connect: the client's headers (minus Connection/Upgrade/Content-Length) plus
// X-Amzn-Trace-Id, X-Forwarded-For/Port/Proto; multiValueHeaders; the query string forms only
// when the URL had one.
Json::Value BuildConnectEvent(const ConnectionContext& connection, const ConnectRequest& request,
                              const EventIds& ids, int64_t now_ms);

// "arn:aws:execute-api:{region}:{account}:{apiId}/{stage}/$connect", an authorizer's methodArn.
std::string ConnectMethodArn(const std::string& region, const std::string& account,
                             const std::string& api_id, const std::string& stage);

// The first of `sources` ("route.request.header.X", "route.request.querystring.x") that the
// request lacks or has empty, or nothing when all are there. A header name matches whatever its
// case; a query parameter's name is exact.
std::optional<std::string> MissingIdentitySource(const std::vector<std::string>& sources,
                                                 const ConnectRequest& request);

// A REQUEST authorizer's input (AWS-NOTES §6): type, methodArn, the client's headers as sent
// (Connection and Upgrade kept, content-length: 0 added) plus X-Amzn-Trace-Id and X-Forwarded-*,
// both query string forms ({} when none), stageVariables {}, and the CONNECT event's
// requestContext.
Json::Value BuildAuthorizerEvent(const ConnectionContext& connection, const ConnectRequest& request,
                                 const std::string& method_arn, const EventIds& ids,
                                 int64_t now_ms);

// A message route: no headers; body verbatim; messageId.
Json::Value BuildMessageEvent(const ConnectionContext& connection, const std::string& route_key,
                              const std::string& body, const EventIds& ids, int64_t now_ms);

// SerializeEvent(BuildMessageEvent(...)), byte for byte, written directly as text: the hot path
// of every message, without building a Json::Value tree only to print it.
std::string SerializeMessageEvent(const ConnectionContext& connection, const std::string& route_key,
                                  const std::string& body, const EventIds& ids, int64_t now_ms);

// $disconnect: AWS's fixed odd header set, disconnectStatusCode and disconnectReason.
Json::Value BuildDisconnectEvent(const ConnectionContext& connection, int status_code,
                                 const std::string& reason, const EventIds& ids, int64_t now_ms);

// The JSON text sent to a function: compact, UTF-8 kept as is.
std::string SerializeEvent(const Json::Value& event);

}  // namespace wsgw
