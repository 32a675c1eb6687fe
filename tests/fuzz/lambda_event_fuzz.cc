// Fuzzes the event builder with hostile client input: $connect headers and query strings,
// message bodies and close reasons, and a hostile authorizer answer whose context every event
// then carries. Every event must serialise to JSON that parses back, is
// valid UTF-8 (a function's JSON parser would reject anything else), and keeps AWS's shape.
#include <fuzzer/FuzzedDataProvider.h>
#include <json/json.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "api/function_answer.h"
#include "api/lambda_event.h"
#include "base/utf8.h"

namespace {

void Check(bool condition) {
  if (!condition) std::abort();
}

Json::Value ParseBack(const std::string& text) {
  Json::CharReaderBuilder builder;
  builder["failIfExtra"] = true;
  builder["rejectDupKeys"] = false;
  std::unique_ptr<Json::CharReader> reader(builder.newCharReader());
  Json::Value value;
  std::string errors;
  Check(reader->parse(text.data(), text.data() + text.size(), &value, &errors));
  Check(value.isObject());
  return value;
}

// Serialises, parses back and checks what every event shares.
Json::Value RoundTrip(const Json::Value& event, const wsgw::ConnectionContext& connection,
                      const char* event_type) {
  std::string text = wsgw::SerializeEvent(event);
  Check(wsgw::IsValidUtf8(text));
  Json::Value back = ParseBack(text);
  const Json::Value& context = back["requestContext"];
  Check(context.isObject());
  Check(context["eventType"].asString() == event_type);
  Check(context["connectionId"].asString() == connection.connectionId);
  Check(context["requestId"] == context["extendedRequestId"]);
  Check(back["isBase64Encoded"].isBool() && !back["isBase64Encoded"].asBool());
  return back;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider input(data, size);
  wsgw::ConnectionContext connection;
  connection.connectionId = wsgw::NewConnectionId();
  connection.connectedAtMs = input.ConsumeIntegral<int64_t>();
  connection.sourceIp = "127.0.0.1";
  if (input.ConsumeBool()) connection.userAgent = input.ConsumeRandomLengthString(256);
  connection.domainName = "127.0.0.1:3001";
  connection.stage = "dev";
  connection.apiId = "abcdefghij";
  int64_t now_ms = input.ConsumeIntegral<int64_t>();
  wsgw::EventIds ids{wsgw::NewRequestId(), wsgw::NewMessageId()};

  wsgw::ConnectRequest request;
  size_t header_count = input.ConsumeIntegralInRange<size_t>(0, 24);
  for (size_t i = 0; i < header_count; ++i) {
    std::string name = input.ConsumeRandomLengthString(64);
    std::string value = input.ConsumeRandomLengthString(256);
    request.headers.emplace_back(std::move(name), std::move(value));
  }
  request.hasQuery = input.ConsumeBool();
  request.rawQuery = input.ConsumeRandomLengthString(512);
  request.localPort = input.ConsumeIntegralInRange<int>(0, 65535);
  Json::Value connect = RoundTrip(wsgw::BuildConnectEvent(connection, request, ids, now_ms),
                                  connection, "CONNECT");
  Check(connect["headers"].isObject() && connect["multiValueHeaders"].isObject());
  for (const std::string& name : connect["headers"].getMemberNames()) {
    const Json::Value& values = connect["multiValueHeaders"][name];
    Check(values.isArray() && !values.empty());
    Check(values[values.size() - 1] == connect["headers"][name]);
  }
  if (connect.isMember("queryStringParameters")) {
    Check(request.hasQuery);
    Check(connect["multiValueQueryStringParameters"].isObject());
  }

  const std::string arn = wsgw::ConnectMethodArn("us-east-1", "123456789012", "abcdefghij", "dev");
  Json::Value authorizer_event = wsgw::BuildAuthorizerEvent(connection, request, arn, ids, now_ms);
  Check(wsgw::IsValidUtf8(wsgw::SerializeEvent(authorizer_event)));
  std::vector<std::string> sources = {
      "route.request.header." + input.ConsumeRandomLengthString(16),
      "route.request.querystring." + input.ConsumeRandomLengthString(16)};
  (void)wsgw::MissingIdentitySource(sources, request);

  wsgw::InvokeOutcome answer;
  answer.kind = input.ConsumeBool() ? wsgw::InvokeOutcome::Kind::kOk
                                    : wsgw::InvokeOutcome::Kind::kFunctionError;
  answer.body = input.ConsumeRandomLengthString(1024);
  wsgw::AuthorizerVerdict verdict = wsgw::InterpretAuthorizerResult(answer, arn);
  Check(verdict.httpStatus == 200 || verdict.httpStatus == 401 || verdict.httpStatus == 403 ||
        verdict.httpStatus == 500);
  if (verdict.allowed()) {
    Check(verdict.authorizer.count("principalId") == 1);
    connection.authorizer = verdict.authorizer;
    Json::Value authorized =
        RoundTrip(wsgw::BuildConnectEvent(connection, request, ids, now_ms), connection, "CONNECT");
    Check(authorized["requestContext"]["authorizer"]["principalId"].asString() ==
          verdict.authorizer["principalId"]);
  }

  int code = input.ConsumeIntegralInRange<int>(1000, 4999);
  std::string reason = input.ConsumeRandomLengthString(123);
  Json::Value disconnect = RoundTrip(
      wsgw::BuildDisconnectEvent(connection, code, reason, ids, now_ms), connection, "DISCONNECT");
  Check(disconnect["requestContext"]["disconnectStatusCode"].asInt() == code);
  if (wsgw::IsValidUtf8(reason)) {
    Check(disconnect["requestContext"]["disconnectReason"].asString() == reason);
  }

  std::string body = input.ConsumeRemainingBytesAsString();
  Json::Value message = RoundTrip(wsgw::BuildMessageEvent(connection, "$default", body, ids, now_ms),
                                  connection, "MESSAGE");
  Check(!message.isMember("headers"));
  // Two independent UTF-8 implementations must agree: a valid body passes through untouched.
  if (wsgw::IsValidUtf8(body)) Check(message["body"].asString() == body);
  // The hand-written message serialiser agrees with the tree, authorizer object included.
  Check(wsgw::SerializeMessageEvent(connection, "$default", body, ids, now_ms) ==
        wsgw::SerializeEvent(wsgw::BuildMessageEvent(connection, "$default", body, ids, now_ms)));
  return 0;
}
