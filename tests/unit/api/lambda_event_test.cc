#include "api/lambda_event.h"

#include <gtest/gtest.h>
#include <json/json.h>

#include <fstream>
#include <functional>
#include <map>
#include <optional>
#include <random>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace wsgw {
namespace {

const std::regex kIdPattern("^[A-Za-z0-9_-]{15}=$");
const std::regex kRequestTimePattern(
    "^[0-3][0-9]/(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)/[0-9]{4}:[0-2][0-9]:[0-5][0-9]:"
    "[0-6][0-9] \\+0000$");
const std::regex kTraceIdPattern("^Root=1-[0-9a-f]{8}-[0-9a-f]{24}$");

Json::Value LoadFixture(const std::string& name) {
  const std::string path = std::string(WSGW_FIXTURES_DIR) + "/events/" + name;
  std::ifstream in(path);
  EXPECT_TRUE(in.good()) << "cannot open " << path;
  Json::Value value;
  Json::CharReaderBuilder builder;
  std::string errors;
  EXPECT_TRUE(Json::parseFromStream(builder, in, &value, &errors)) << path << ": " << errors;
  return value;
}

// What a function receives: the serialized text, parsed back.
Json::Value RoundTrip(const Json::Value& event) {
  const std::string text = SerializeEvent(event);
  Json::Value parsed;
  Json::CharReaderBuilder builder;
  std::string errors;
  std::istringstream in(text);
  EXPECT_TRUE(Json::parseFromStream(builder, in, &parsed, &errors)) << errors << "\n" << text;
  return parsed;
}

std::set<std::string> Keys(const Json::Value& object) {
  const auto names = object.getMemberNames();
  return {names.begin(), names.end()};
}

// Values that may legitimately differ from the golden event, checked by format instead; keyed by
// path ("headers.X-Amzn-Trace-Id", "multiValueHeaders.X-Forwarded-Proto[0]").
using FormatChecks =
    std::map<std::string, std::function<void(const Json::Value& golden, const Json::Value& ours)>>;

// Same set of keys at every level, same types and values, except at the paths in `checks`.
void ExpectMatchesGolden(const Json::Value& golden, const Json::Value& ours,
                         const FormatChecks& checks, const std::string& path = "") {
  if (auto check = checks.find(path); check != checks.end()) {
    SCOPED_TRACE(path);
    check->second(golden, ours);
    return;
  }
  ASSERT_EQ(golden.type(), ours.type()) << "at " << (path.empty() ? "<root>" : path);
  if (golden.isObject()) {
    EXPECT_EQ(Keys(golden), Keys(ours)) << "keys at " << (path.empty() ? "<root>" : path);
    for (const auto& name : golden.getMemberNames()) {
      if (!ours.isMember(name)) continue;
      ExpectMatchesGolden(golden[name], ours[name], checks,
                          path.empty() ? name : path + "." + name);
    }
  } else if (golden.isArray()) {
    ASSERT_EQ(golden.size(), ours.size()) << "array size at " << path;
    for (Json::ArrayIndex i = 0; i < golden.size(); ++i) {
      ExpectMatchesGolden(golden[i], ours[i], checks, path + "[" + std::to_string(i) + "]");
    }
  } else {
    EXPECT_EQ(golden, ours) << "at " << path;
  }
}

void ExpectIdFormat(const Json::Value& /*golden*/, const Json::Value& ours) {
  ASSERT_TRUE(ours.isString());
  EXPECT_TRUE(std::regex_match(ours.asString(), kIdPattern)) << ours.asString();
}

// Our trace id: the right format, and the same epoch-second part as AWS's for the same time.
void ExpectTraceId(const Json::Value& golden, const Json::Value& ours) {
  ASSERT_TRUE(ours.isString());
  EXPECT_TRUE(std::regex_match(ours.asString(), kTraceIdPattern)) << ours.asString();
  EXPECT_EQ(golden.asString().substr(0, 16), ours.asString().substr(0, 16));
  EXPECT_NE(golden.asString(), ours.asString());
}

void ExpectIdsFormatted(FormatChecks& checks) {
  checks["requestContext.connectionId"] = ExpectIdFormat;
  checks["requestContext.requestId"] = ExpectIdFormat;
  checks["requestContext.extendedRequestId"] = ExpectIdFormat;
}

// The connection as the captures describe it, with a fresh connection id.
ConnectionContext CaptureConnection(const Json::Value& golden) {
  const Json::Value& context = golden["requestContext"];
  ConnectionContext connection;
  connection.connectionId = NewConnectionId();
  connection.connectedAtMs = context["connectedAt"].asInt64();
  connection.sourceIp = context["identity"]["sourceIp"].asString();
  connection.domainName = context["domainName"].asString();
  connection.stage = context["stage"].asString();
  connection.apiId = context["apiId"].asString();
  return connection;
}

ConnectionContext LocalConnection() {
  ConnectionContext connection;
  connection.connectionId = NewConnectionId();
  connection.connectedAtMs = 1731324924553;
  connection.sourceIp = "127.0.0.1";
  connection.domainName = "127.0.0.1:3001";
  connection.stage = "dev";
  connection.apiId = "chatapi001";
  return connection;
}

ConnectRequest RequestWithHeaders(std::vector<HttpHeader> headers) {
  ConnectRequest request;
  request.headers = std::move(headers);
  request.localPort = 3001;
  return request;
}

ConnectRequest RequestWithQuery(const std::string& raw_query) {
  ConnectRequest request = RequestWithHeaders({{"Host", "127.0.0.1:3001"}});
  request.hasQuery = true;
  request.rawQuery = raw_query;
  return request;
}

TEST(LambdaEvent, ConnectMatchesAwsCapture) {
  const Json::Value golden = LoadFixture("connect.json");
  const ConnectionContext connection = CaptureConnection(golden);
  ConnectRequest request;
  // What the client sent: the capture's headers minus the four API Gateway adds, plus the
  // handshake headers API Gateway strips.
  request.headers = {
      {"Host", golden["headers"]["Host"].asString()},
      {"Connection", "Upgrade"},
      {"Upgrade", "websocket"},
      {"Sec-WebSocket-Extensions", golden["headers"]["Sec-WebSocket-Extensions"].asString()},
      {"Sec-WebSocket-Key", golden["headers"]["Sec-WebSocket-Key"].asString()},
      {"Sec-WebSocket-Version", golden["headers"]["Sec-WebSocket-Version"].asString()},
  };
  request.localPort = 443;
  const EventIds ids{NewRequestId(), ""};
  const int64_t now_ms = golden["requestContext"]["requestTimeEpoch"].asInt64();

  const Json::Value ours = RoundTrip(BuildConnectEvent(connection, request, ids, now_ms));

  FormatChecks checks;
  ExpectIdsFormatted(checks);
  checks["headers.X-Amzn-Trace-Id"] = ExpectTraceId;
  checks["multiValueHeaders.X-Amzn-Trace-Id[0]"] = ExpectTraceId;
  // The emulator serves ws://, AWS only wss://.
  const auto expect_http = [](const Json::Value& golden_value, const Json::Value& ours_value) {
    EXPECT_EQ(golden_value, "https");
    EXPECT_EQ(ours_value, "http");
  };
  checks["headers.X-Forwarded-Proto"] = expect_http;
  checks["multiValueHeaders.X-Forwarded-Proto[0]"] = expect_http;
  ExpectMatchesGolden(golden, ours, checks);

  EXPECT_EQ(ours["requestContext"]["connectionId"], connection.connectionId);
  EXPECT_EQ(ours["requestContext"]["requestId"], ids.requestId);
  EXPECT_EQ(ours["requestContext"]["requestId"], ours["requestContext"]["extendedRequestId"]);
  EXPECT_EQ(ours["headers"]["X-Amzn-Trace-Id"], ours["multiValueHeaders"]["X-Amzn-Trace-Id"][0]);
}

TEST(LambdaEvent, MessageMatchesAwsCapture) {
  const Json::Value golden = LoadFixture("message.json");
  const ConnectionContext connection = CaptureConnection(golden);
  const EventIds ids{NewRequestId(), NewMessageId()};
  const Json::Value ours = RoundTrip(BuildMessageEvent(
      connection, golden["requestContext"]["routeKey"].asString(), golden["body"].asString(), ids,
      golden["requestContext"]["requestTimeEpoch"].asInt64()));

  FormatChecks checks;
  ExpectIdsFormatted(checks);
  checks["requestContext.messageId"] = ExpectIdFormat;
  ExpectMatchesGolden(golden, ours, checks);

  EXPECT_EQ(ours["requestContext"]["messageId"], ids.messageId);
  EXPECT_EQ(ours["requestContext"]["requestId"], ours["requestContext"]["extendedRequestId"]);
}

TEST(LambdaEvent, DisconnectMatchesAwsCapture) {
  const Json::Value golden = LoadFixture("disconnect.json");
  const ConnectionContext connection = CaptureConnection(golden);
  const EventIds ids{NewRequestId(), ""};
  const Json::Value ours = RoundTrip(
      BuildDisconnectEvent(connection, golden["requestContext"]["disconnectStatusCode"].asInt(),
                           golden["requestContext"]["disconnectReason"].asString(), ids,
                           golden["requestContext"]["requestTimeEpoch"].asInt64()));

  FormatChecks checks;
  ExpectIdsFormatted(checks);
  ExpectMatchesGolden(golden, ours, checks);

  EXPECT_EQ(ours["requestContext"]["requestId"], ours["requestContext"]["extendedRequestId"]);
}

TEST(LambdaEvent, AuthorizerEventMatchesAwsCapture) {
  Json::Value golden = LoadFixture("authorizer.json");
  // The capture lists Sec-WebSocket-Key in multiValueHeaders only; every other header is in both.
  golden["headers"]["Sec-WebSocket-Key"] = golden["multiValueHeaders"]["Sec-WebSocket-Key"][0];
  const ConnectionContext connection = CaptureConnection(golden);
  ConnectRequest request;
  request.headers = {
      {"Authorization", "Leo"},
      {"Connection", "upgrade"},
      {"Host", golden["headers"]["Host"].asString()},
      {"Sec-WebSocket-Extensions", golden["headers"]["Sec-WebSocket-Extensions"].asString()},
      {"Sec-WebSocket-Key", golden["headers"]["Sec-WebSocket-Key"].asString()},
      {"Sec-WebSocket-Version", "13"},
      {"Upgrade", "websocket"},
  };
  request.localPort = 443;
  const EventIds ids{NewRequestId(), ""};
  const std::string arn =
      ConnectMethodArn("us-east-1", "533568316194", connection.apiId, connection.stage);
  const Json::Value ours = RoundTrip(BuildAuthorizerEvent(
      connection, request, arn, ids, golden["requestContext"]["requestTimeEpoch"].asInt64()));

  FormatChecks checks;
  ExpectIdsFormatted(checks);
  checks["headers.X-Amzn-Trace-Id"] = ExpectTraceId;
  checks["multiValueHeaders.X-Amzn-Trace-Id[0]"] = ExpectTraceId;
  const auto expect_http = [](const Json::Value& golden_value, const Json::Value& ours_value) {
    EXPECT_EQ(golden_value, "https");
    EXPECT_EQ(ours_value, "http");
  };
  checks["headers.X-Forwarded-Proto"] = expect_http;
  checks["multiValueHeaders.X-Forwarded-Proto[0]"] = expect_http;
  ExpectMatchesGolden(golden, ours, checks);
  EXPECT_EQ(ours["requestContext"]["connectionId"], connection.connectionId);
}

TEST(LambdaEvent, ConnectFromBrowserWithQueryMatchesExpected) {
  const Json::Value golden = LoadFixture("connect_browser_query.json");
  const Json::Value& context = golden["requestContext"];
  ConnectionContext connection;
  connection.connectionId = context["connectionId"].asString();
  connection.connectedAtMs = context["connectedAt"].asInt64();
  connection.sourceIp = "127.0.0.1";
  connection.userAgent = golden["headers"]["User-Agent"].asString();
  connection.domainName = "127.0.0.1:3001";
  connection.stage = "dev";
  connection.apiId = context["apiId"].asString();
  ConnectRequest request;
  request.headers = {
      {"Host", "127.0.0.1:3001"},
      {"Connection", "Upgrade"},
      {"Pragma", "no-cache"},
      {"Cache-Control", "no-cache"},
      {"User-Agent", *connection.userAgent},
      {"Upgrade", "websocket"},
      {"Origin", "http://127.0.0.1:3001"},
      {"Sec-WebSocket-Version", "13"},
      {"Accept-Encoding", "gzip, deflate, br, zstd"},
      {"Accept-Language", "en-US,en;q=0.9"},
      {"Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="},
      {"Sec-WebSocket-Extensions", "permessage-deflate; client_max_window_bits"},
  };
  request.rawQuery = "room=a&x=1&x=2";
  request.hasQuery = true;
  request.localPort = 3001;
  const EventIds ids{context["requestId"].asString(), ""};

  const Json::Value ours =
      RoundTrip(BuildConnectEvent(connection, request, ids, context["requestTimeEpoch"].asInt64()));

  FormatChecks checks;
  checks["headers.X-Amzn-Trace-Id"] = ExpectTraceId;
  checks["multiValueHeaders.X-Amzn-Trace-Id[0]"] = ExpectTraceId;
  ExpectMatchesGolden(golden, ours, checks);
}

TEST(LambdaEvent, RequestIdEqualsExtendedRequestIdInEveryEventType) {
  const ConnectionContext connection = LocalConnection();
  const EventIds ids{NewRequestId(), NewMessageId()};
  const int64_t now = connection.connectedAtMs + 5;
  for (const Json::Value& event :
       {BuildConnectEvent(connection, RequestWithHeaders({}), ids, now),
        BuildMessageEvent(connection, "$default", "hi", ids, now),
        BuildDisconnectEvent(connection, 1000, "Connection Closed Normally", ids, now)}) {
    EXPECT_EQ(event["requestContext"]["requestId"], ids.requestId);
    EXPECT_EQ(event["requestContext"]["extendedRequestId"], ids.requestId);
  }
}

TEST(LambdaEvent, ConnectWithoutQueryHasNoQueryStringKeys) {
  const ConnectionContext connection = LocalConnection();
  const EventIds ids{NewRequestId(), ""};
  const Json::Value no_question_mark =
      BuildConnectEvent(connection, RequestWithHeaders({{"Host", "h"}}), ids, 1);
  EXPECT_FALSE(no_question_mark.isMember("queryStringParameters"));
  EXPECT_FALSE(no_question_mark.isMember("multiValueQueryStringParameters"));

  for (const std::string raw : {"", "&", "&&"}) {
    const Json::Value event = BuildConnectEvent(connection, RequestWithQuery(raw), ids, 1);
    EXPECT_FALSE(event.isMember("queryStringParameters")) << "?" << raw;
    EXPECT_FALSE(event.isMember("multiValueQueryStringParameters")) << "?" << raw;
  }
}

TEST(LambdaEvent, ConnectQueryKeepsLastValueAndAllValuesInOrder) {
  const Json::Value event = BuildConnectEvent(
      LocalConnection(), RequestWithQuery("a=1&b=x&a=2&a=3"), EventIds{NewRequestId(), ""}, 1);
  EXPECT_EQ(event["queryStringParameters"]["a"], "3");
  EXPECT_EQ(event["queryStringParameters"]["b"], "x");
  Json::Value all_a(Json::arrayValue);
  all_a.append("1");
  all_a.append("2");
  all_a.append("3");
  EXPECT_EQ(event["multiValueQueryStringParameters"]["a"], all_a);
  EXPECT_EQ(Keys(event["queryStringParameters"]), (std::set<std::string>{"a", "b"}));
  EXPECT_EQ(Keys(event["multiValueQueryStringParameters"]), (std::set<std::string>{"a", "b"}));
}

TEST(LambdaEvent, ConnectQueryIsPercentDecoded) {
  const Json::Value event = BuildConnectEvent(
      LocalConnection(),
      RequestWithQuery("na%6De=J%C3%BCrgen+M&flag&eq=a=b&pct=100%&bad=%zz&%26k=%3D&bytes=%FF"),
      EventIds{NewRequestId(), ""}, 1);
  const Json::Value& query = event["queryStringParameters"];
  EXPECT_EQ(query["name"], "J\xC3\xBCrgen M");
  EXPECT_EQ(query["flag"], "");
  EXPECT_EQ(query["eq"], "a=b");
  EXPECT_EQ(query["pct"], "100%");
  EXPECT_EQ(query["bad"], "%zz");
  EXPECT_EQ(query["&k"], "=");
  EXPECT_EQ(query["bytes"], "\xEF\xBF\xBD") << "invalid UTF-8 becomes U+FFFD";
  EXPECT_EQ(event["multiValueQueryStringParameters"]["flag"][0], "");
}

TEST(LambdaEvent, UserAgentOnlyWhenTheClientSentOne) {
  ConnectionContext connection = LocalConnection();
  const EventIds ids{NewRequestId(), NewMessageId()};
  const auto events = [&] {
    return std::vector<Json::Value>{BuildConnectEvent(connection, RequestWithHeaders({}), ids, 1),
                                    BuildMessageEvent(connection, "$default", "x", ids, 1),
                                    BuildDisconnectEvent(connection, 1001, "", ids, 1)};
  };
  for (const Json::Value& event : events()) {
    EXPECT_EQ(Keys(event["requestContext"]["identity"]), (std::set<std::string>{"sourceIp"}));
    EXPECT_EQ(event["requestContext"]["identity"]["sourceIp"], "127.0.0.1");
  }
  connection.userAgent = "Mozilla/5.0";
  for (const Json::Value& event : events()) {
    EXPECT_EQ(Keys(event["requestContext"]["identity"]),
              (std::set<std::string>{"sourceIp", "userAgent"}));
    EXPECT_EQ(event["requestContext"]["identity"]["userAgent"], "Mozilla/5.0");
  }
}

TEST(LambdaEvent, ConnectDuplicateHeadersKeepLastValueAndAllValuesInOrder) {
  const Json::Value event = BuildConnectEvent(
      LocalConnection(),
      RequestWithHeaders({{"Host", "h"}, {"X-Custom", "1"}, {"Cookie", "a=b"}, {"X-Custom", "2"}}),
      EventIds{NewRequestId(), ""}, 1);
  EXPECT_EQ(event["headers"]["X-Custom"], "2");
  ASSERT_EQ(event["multiValueHeaders"]["X-Custom"].size(), 2u);
  EXPECT_EQ(event["multiValueHeaders"]["X-Custom"][0], "1");
  EXPECT_EQ(event["multiValueHeaders"]["X-Custom"][1], "2");
  EXPECT_EQ(Keys(event["headers"]), Keys(event["multiValueHeaders"]));
}

TEST(LambdaEvent, ConnectDropsConnectionUpgradeAndContentLengthInAnyCase) {
  const Json::Value event = BuildConnectEvent(LocalConnection(),
                                              RequestWithHeaders({{"Host", "h"},
                                                                  {"Connection", "Upgrade"},
                                                                  {"upgrade", "websocket"},
                                                                  {"CONTENT-LENGTH", "0"},
                                                                  {"Origin", "http://h"}}),
                                              EventIds{NewRequestId(), ""}, 1);
  const std::set<std::string> expected = {"Host",
                                          "Origin",
                                          "X-Amzn-Trace-Id",
                                          "X-Forwarded-For",
                                          "X-Forwarded-Port",
                                          "X-Forwarded-Proto"};
  EXPECT_EQ(Keys(event["headers"]), expected);
  EXPECT_EQ(Keys(event["multiValueHeaders"]), expected);
}

TEST(LambdaEvent, ConnectReplacesForwardingHeadersTheClientSent) {
  const ConnectionContext connection = LocalConnection();
  const Json::Value event = BuildConnectEvent(
      connection,
      RequestWithHeaders({{"x-forwarded-for", "10.9.9.9"},
                          {"X-Forwarded-Port", "1"},
                          {"X-Forwarded-Proto", "https"},
                          {"X-Amzn-Trace-Id", "Root=1-00000000-000000000000000000000000"}}),
      EventIds{NewRequestId(), ""}, 1731324924561);
  EXPECT_FALSE(event["headers"].isMember("x-forwarded-for"));
  EXPECT_EQ(event["headers"]["X-Forwarded-For"], connection.sourceIp);
  EXPECT_EQ(event["multiValueHeaders"]["X-Forwarded-For"].size(), 1u);
  EXPECT_EQ(event["headers"]["X-Forwarded-Port"], "3001");
  EXPECT_EQ(event["headers"]["X-Forwarded-Proto"], "http");
  const std::string trace = event["headers"]["X-Amzn-Trace-Id"].asString();
  EXPECT_TRUE(std::regex_match(trace, kTraceIdPattern)) << trace;
  EXPECT_EQ(trace.substr(0, 16), "Root=1-6731ebfc-");  // 1731324924 in hex
}

TEST(LambdaEvent, MessageHasNoHeadersAndKeepsBodyVerbatim) {
  const std::string body = "{\"action\":\"chat\",\"text\":\"h\xC3\xA9llo \xE2\x9C\x93\\n\"}";
  const Json::Value event = RoundTrip(BuildMessageEvent(
      LocalConnection(), "chat", body, EventIds{NewRequestId(), NewMessageId()}, 1));
  EXPECT_EQ(Keys(event), (std::set<std::string>{"requestContext", "body", "isBase64Encoded"}));
  EXPECT_EQ(event["body"], body);
  EXPECT_EQ(event["requestContext"]["routeKey"], "chat");
  EXPECT_EQ(event["isBase64Encoded"], false);
}

TEST(LambdaEvent, DisconnectHasAwsFixedHeadersWithTheDomainAsHost) {
  const ConnectionContext connection = LocalConnection();
  const Json::Value event =
      BuildDisconnectEvent(connection, 1001, "Going away", EventIds{NewRequestId(), ""}, 1);
  EXPECT_EQ(event["headers"]["Host"], connection.domainName);
  EXPECT_EQ(event["multiValueHeaders"]["Host"][0], connection.domainName);
  EXPECT_EQ(event["requestContext"]["disconnectStatusCode"], 1001);
  EXPECT_TRUE(event["requestContext"]["disconnectStatusCode"].isInt());
  EXPECT_EQ(event["requestContext"]["disconnectReason"], "Going away");
  EXPECT_FALSE(event["requestContext"].isMember("messageId"));
}

TEST(LambdaEvent, FormatRequestTimeUsesClfInUtc) {
  EXPECT_EQ(FormatRequestTime(1731324924561), "11/Nov/2024:11:35:24 +0000");
  EXPECT_EQ(FormatRequestTime(1731333109875), "11/Nov/2024:13:51:49 +0000");
  EXPECT_EQ(FormatRequestTime(0), "01/Jan/1970:00:00:00 +0000");
  EXPECT_EQ(FormatRequestTime(951782400000), "29/Feb/2000:00:00:00 +0000");
  EXPECT_EQ(FormatRequestTime(1709251199999), "29/Feb/2024:23:59:59 +0000");
  EXPECT_TRUE(std::regex_match(FormatRequestTime(1736942706789), kRequestTimePattern));
}

TEST(LambdaEvent, IdsHaveAwsShapeAndAreDistinct) {
  for (const auto& make : {NewConnectionId, NewRequestId, NewMessageId}) {
    std::set<std::string> seen;
    for (int i = 0; i < 1000; ++i) {
      const std::string id = make();
      ASSERT_TRUE(std::regex_match(id, kIdPattern)) << id;
      seen.insert(id);
    }
    EXPECT_EQ(seen.size(), 1000u);
  }
}

// SerializeMessageEvent is the gateway's fast path for SerializeEvent(BuildMessageEvent(...)):
// the same bytes, whatever the strings hold.
std::string SlowMessageEvent(const ConnectionContext& connection, const std::string& route_key,
                             const std::string& body, const EventIds& ids, int64_t now_ms) {
  return SerializeEvent(BuildMessageEvent(connection, route_key, body, ids, now_ms));
}

ConnectionContext SampleConnection() {
  ConnectionContext connection;
  connection.connectionId = "BFHPhfCWIAMCKlQ=";
  connection.connectedAtMs = 1731325324123;
  connection.sourceIp = "127.0.0.1";
  connection.userAgent = "Mozilla/5.0 (X11; Linux x86_64)";
  connection.domainName = "localhost:3001";
  connection.stage = "dev";
  connection.apiId = "abcdef1234";
  return connection;
}

TEST(LambdaEvent, SerializeMessageEventMatchesTheJsonTreeForSpecialText) {
  std::string every_byte;
  for (int c = 0; c < 256; ++c) every_byte.push_back(static_cast<char>(c));
  const std::vector<std::string> texts = {
      "",
      "{\"action\":\"echo\",\"seq\":1}",
      "quote \" backslash \\ slash / </script>",
      "\b\f\n\r\t\v\x01\x1f\x7f",
      std::string("nul \0 inside", 12),
      "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 \xe4\xb8\xad\xe6\x96\x87",
      "\xef\xbb\xbf BOM, U+2028 \xe2\x80\xa8 U+2029 \xe2\x80\xa9, U+FFFD \xef\xbf\xbd",
      "\xc3 truncated, \xff\xfe bad bytes, \xed\xa0\x80 surrogate, \xc0\xaf overlong",
      "\xf4\x90\x80\x80 above U+10FFFF, \xf0\x9f\x98 cut short",
      every_byte,
      std::string(70000, 'x') + "\n" + std::string(3, '"'),
  };
  const int64_t times[] = {0, -1, 1731325324123, 253402300799999, -62135596800000};
  for (const std::string& text : texts) {
    for (int64_t now : times) {
      ConnectionContext connection = SampleConnection();
      connection.connectedAtMs = now - 5;
      EventIds ids{"req" + text.substr(0, 40), "msg" + text.substr(0, 20)};
      EXPECT_EQ(SerializeMessageEvent(connection, "$default", text, ids, now),
                SlowMessageEvent(connection, "$default", text, ids, now));
      // Every string field, and no User-Agent.
      connection.userAgent = text;
      connection.apiId = text;
      connection.stage = text;
      connection.domainName = text;
      connection.sourceIp = text;
      connection.connectionId = text;
      EXPECT_EQ(SerializeMessageEvent(connection, text, text, ids, now),
                SlowMessageEvent(connection, text, text, ids, now));
      connection.userAgent.reset();
      EXPECT_EQ(SerializeMessageEvent(connection, text, text, ids, now),
                SlowMessageEvent(connection, text, text, ids, now));
      connection.authorizer = std::map<std::string, std::string>{
          {"principalId", text}, {text, text}, {"a", "1"}, {"zz", "true"}};
      EXPECT_EQ(SerializeMessageEvent(connection, text, text, ids, now),
                SlowMessageEvent(connection, text, text, ids, now));
    }
  }
}

TEST(LambdaEvent, ConnectMethodArnHasNoHttpMethodSegment) {
  EXPECT_EQ(ConnectMethodArn("eu-west-1", "123456789012", "abcdef1234", "dev"),
            "arn:aws:execute-api:eu-west-1:123456789012:abcdef1234/dev/$connect");
}

TEST(LambdaEvent, AuthorizerEventHasAwsRequestAuthorizerFields) {
  const ConnectionContext connection = LocalConnection();
  ConnectRequest request = RequestWithHeaders({{"Host", "127.0.0.1:3001"},
                                               {"Connection", "Upgrade"},
                                               {"Upgrade", "websocket"},
                                               {"Authorization", "Bearer abc"},
                                               {"X-Forwarded-For", "6.6.6.6"}});
  const EventIds ids{NewRequestId(), ""};
  const int64_t now = connection.connectedAtMs + 3;
  const std::string arn = ConnectMethodArn("us-east-1", "123456789012", "chatapi001", "dev");
  const Json::Value event = RoundTrip(BuildAuthorizerEvent(connection, request, arn, ids, now));

  EXPECT_EQ(event["headers"]["content-length"], "0");
  EXPECT_EQ(Keys(event),
            (std::set<std::string>{"type", "methodArn", "headers", "multiValueHeaders",
                                   "queryStringParameters", "multiValueQueryStringParameters",
                                   "stageVariables", "requestContext"}));
  EXPECT_EQ(event["type"], "REQUEST");
  EXPECT_EQ(event["methodArn"], arn);
  // Unlike the $connect integration event, the authorizer sees the handshake headers.
  EXPECT_EQ(event["headers"]["Connection"], "Upgrade");
  EXPECT_EQ(event["headers"]["Upgrade"], "websocket");
  EXPECT_EQ(event["headers"]["Authorization"], "Bearer abc");
  EXPECT_EQ(event["multiValueHeaders"]["Authorization"][0], "Bearer abc");
  EXPECT_EQ(event["headers"]["X-Forwarded-For"], "127.0.0.1");
  EXPECT_TRUE(std::regex_match(event["headers"]["X-Amzn-Trace-Id"].asString(), kTraceIdPattern));
  EXPECT_EQ(event["queryStringParameters"], Json::Value(Json::objectValue));
  EXPECT_EQ(event["multiValueQueryStringParameters"], Json::Value(Json::objectValue));
  EXPECT_EQ(event["stageVariables"], Json::Value(Json::objectValue));

  // The same requestContext as the CONNECT event of the same request.
  const Json::Value connect = RoundTrip(BuildConnectEvent(connection, request, ids, now));
  EXPECT_EQ(event["requestContext"], connect["requestContext"]);
  EXPECT_EQ(event["requestContext"]["eventType"], "CONNECT");
  EXPECT_EQ(event["requestContext"]["connectionId"], connection.connectionId);
  EXPECT_FALSE(event["requestContext"].isMember("authorizer"));

  const Json::Value with_query = RoundTrip(
      BuildAuthorizerEvent(connection, RequestWithQuery("token=t%201&x=1&x=2"), arn, ids, now));
  EXPECT_EQ(with_query["queryStringParameters"]["token"], "t 1");
  EXPECT_EQ(with_query["queryStringParameters"]["x"], "2");
  EXPECT_EQ(with_query["multiValueQueryStringParameters"]["x"].size(), 2u);
}

TEST(LambdaEvent, EveryEventOfAnAuthorizedConnectionCarriesTheAuthorizerObject) {
  ConnectionContext connection = LocalConnection();
  connection.authorizer = std::map<std::string, std::string>{
      {"principalId", "user-123"}, {"tenant", "acme"}, {"level", "3"}};
  connection.authorizerLatencyMs = 212;
  const EventIds ids{NewRequestId(), NewMessageId()};
  const int64_t now = connection.connectedAtMs + 5;

  const Json::Value connect =
      RoundTrip(BuildConnectEvent(connection, RequestWithHeaders({}), ids, now));
  Json::Value expected(Json::objectValue);
  expected["principalId"] = "user-123";
  expected["tenant"] = "acme";
  expected["level"] = "3";
  Json::Value with_latency = expected;
  with_latency["integrationLatency"] = 212;
  EXPECT_EQ(connect["requestContext"]["authorizer"], with_latency);

  // Only the CONNECT event shows integrationLatency (AWS-NOTES §1.2).
  const Json::Value message = RoundTrip(BuildMessageEvent(connection, "$default", "hi", ids, now));
  EXPECT_EQ(message["requestContext"]["authorizer"], expected);
  const Json::Value disconnect = RoundTrip(BuildDisconnectEvent(connection, 1000, "bye", ids, now));
  EXPECT_EQ(disconnect["requestContext"]["authorizer"], expected);
  EXPECT_EQ(SerializeMessageEvent(connection, "$default", "hi", ids, now),
            SerializeEvent(BuildMessageEvent(connection, "$default", "hi", ids, now)));

  connection.authorizer.reset();
  EXPECT_FALSE(
      RoundTrip(BuildConnectEvent(connection, RequestWithHeaders({}), ids, now))["requestContext"]
          .isMember("authorizer"));
}

TEST(LambdaEvent, MissingIdentitySourceNamesTheFirstAbsentOrEmptyOne) {
  const std::vector<std::string> sources = {"route.request.header.Authorization",
                                            "route.request.querystring.token"};
  ConnectRequest request = RequestWithQuery("token=abc");
  request.headers.emplace_back("authorization", "Bearer x");  // any case
  EXPECT_EQ(MissingIdentitySource(sources, request), std::nullopt);

  ConnectRequest no_header = RequestWithQuery("token=abc");
  EXPECT_EQ(MissingIdentitySource(sources, no_header), "route.request.header.Authorization");

  ConnectRequest blank_header = RequestWithQuery("token=abc");
  blank_header.headers.emplace_back("Authorization", "  ");
  EXPECT_EQ(MissingIdentitySource(sources, blank_header), "route.request.header.Authorization");

  for (const char* query : {"", "tok=abc", "token=", "token", "Token=abc"}) {
    ConnectRequest bad_query = RequestWithQuery(query);
    bad_query.headers.emplace_back("Authorization", "Bearer x");
    EXPECT_EQ(MissingIdentitySource(sources, bad_query), "route.request.querystring.token")
        << query;
  }
  ConnectRequest no_query = RequestWithHeaders({{"Authorization", "Bearer x"}});
  EXPECT_EQ(MissingIdentitySource(sources, no_query), "route.request.querystring.token");
}

TEST(LambdaEvent, SerializeMessageEventMatchesTheJsonTreeForRandomText) {
  std::mt19937 random(20261121);
  // Mostly ASCII with escapes, some multi-byte UTF-8, some stray bytes.
  const std::vector<std::string> pieces = {
      "a", "Z", " ", "\"", "\\", "/", "\n", "\t", "\x01", "\x1f", "\x7f", "\xc3\xa9",
      "\xe2\x82\xac", "\xf0\x9f\x98\x80", "\x80", "\xc3", "\xe2\x82", "\xff", "\xed\xa0\x80",
      std::string(1, '\0')};
  std::uniform_int_distribution<size_t> piece(0, pieces.size() - 1);
  std::uniform_int_distribution<int> length(0, 40);
  auto text = [&] {
    std::string out;
    for (int n = length(random); n > 0; --n) out += pieces[piece(random)];
    return out;
  };
  for (int round = 0; round < 2000; ++round) {
    ConnectionContext connection = SampleConnection();
    connection.userAgent = round % 3 == 0 ? std::optional<std::string>() : text();
    connection.stage = text();
    connection.sourceIp = text();
    EventIds ids{NewRequestId(), NewMessageId()};
    const std::string route_key = text();
    const std::string body = text();
    const int64_t now = static_cast<int64_t>(random()) * 1000 + round;
    ASSERT_EQ(SerializeMessageEvent(connection, route_key, body, ids, now),
              SlowMessageEvent(connection, route_key, body, ids, now))
        << "round " << round;
  }
}

TEST(LambdaEvent, AmznRequestIdsAreDistinctVersion4Uuids) {
  const std::regex uuid_v4("^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$");
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    std::string id = NewAmznRequestId();
    EXPECT_TRUE(std::regex_match(id, uuid_v4)) << id;
    seen.insert(id);
  }
  EXPECT_EQ(seen.size(), 1000u);
}

TEST(LambdaEvent, SerializeEventIsOneCompactLineWithRawUtf8) {
  const Json::Value event =
      BuildMessageEvent(LocalConnection(), "$default", "caf\xC3\xA9\nline2",
                        EventIds{NewRequestId(), NewMessageId()}, 1731324924561);
  const std::string text = SerializeEvent(event);
  EXPECT_EQ(text.find('\n'), std::string::npos);
  EXPECT_EQ(text.find(": "), std::string::npos);
  EXPECT_NE(text.find("caf\xC3\xA9\\nline2"), std::string::npos) << text;
  EXPECT_NE(text.find("\"requestTimeEpoch\":1731324924561"), std::string::npos) << text;
  EXPECT_NE(text.find("\"isBase64Encoded\":false"), std::string::npos) << text;
}

}  // namespace
}  // namespace wsgw
