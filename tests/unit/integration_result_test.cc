#include "integration_result.h"

#include <gtest/gtest.h>

#include <string>

namespace wsgw {
namespace {

using Kind = InvokeOutcome::Kind;

InvokeOutcome Ok(std::string body) {
  InvokeOutcome outcome;
  outcome.kind = Kind::kOk;
  outcome.httpStatus = 200;
  outcome.body = std::move(body);
  return outcome;
}

InvokeOutcome Failed(Kind kind, std::string detail) {
  InvokeOutcome outcome;
  outcome.kind = kind;
  outcome.detail = std::move(detail);
  return outcome;
}

// $connect

TEST(IntegrationResultTest, ConnectAcceptsStatusCode200) {
  ConnectVerdict verdict = InterpretConnectResult(Ok(R"({"statusCode":200})"));
  EXPECT_TRUE(verdict.accepted());
  EXPECT_EQ(verdict.httpStatus, 200);
  EXPECT_FALSE(verdict.subprotocol.has_value());
}

TEST(IntegrationResultTest, ConnectAcceptsAny2xxAndIgnoresBody) {
  ConnectVerdict verdict =
      InterpretConnectResult(Ok(R"({"statusCode":201,"body":"welcome","headers":{"X-A":"b"}})"));
  EXPECT_TRUE(verdict.accepted());
  EXPECT_EQ(verdict.httpStatus, 201);
  EXPECT_FALSE(verdict.subprotocol.has_value());
}

TEST(IntegrationResultTest, ConnectPassesNon2xxStatusThrough) {
  for (int status : {301, 400, 401, 403, 501}) {
    ConnectVerdict verdict =
        InterpretConnectResult(Ok(R"({"statusCode":)" + std::to_string(status) + "}"));
    EXPECT_FALSE(verdict.accepted()) << status;
    EXPECT_EQ(verdict.httpStatus, status);
    EXPECT_FALSE(verdict.reason.empty());
  }
}

TEST(IntegrationResultTest, ConnectTakesSubprotocolFromHeadersCaseInsensitively) {
  ConnectVerdict verdict = InterpretConnectResult(
      Ok(R"({"statusCode":200,"headers":{"sec-websocket-protocol":"graphql-ws"}})"));
  ASSERT_TRUE(verdict.subprotocol.has_value());
  EXPECT_EQ(*verdict.subprotocol, "graphql-ws");
}

TEST(IntegrationResultTest, ConnectTakesSubprotocolFromMultiValueHeadersWhenHeadersLackIt) {
  ConnectVerdict verdict = InterpretConnectResult(
      Ok(R"({"statusCode":200,"headers":{"X-Other":"1"},)"
         R"("multiValueHeaders":{"Sec-WebSocket-Protocol":["chat.v2","chat.v1"]}})"));
  ASSERT_TRUE(verdict.subprotocol.has_value());
  EXPECT_EQ(*verdict.subprotocol, "chat.v2");
}

TEST(IntegrationResultTest, ConnectPrefersHeadersOverMultiValueHeaders) {
  ConnectVerdict verdict =
      InterpretConnectResult(Ok(R"({"statusCode":200,"headers":{"Sec-WebSocket-Protocol":"a"},)"
                                R"("multiValueHeaders":{"Sec-WebSocket-Protocol":["b"]}})"));
  ASSERT_TRUE(verdict.subprotocol.has_value());
  EXPECT_EQ(*verdict.subprotocol, "a");
}

TEST(IntegrationResultTest, ConnectIgnoresSubprotocolWhenRejecting) {
  ConnectVerdict verdict = InterpretConnectResult(
      Ok(R"({"statusCode":400,"headers":{"Sec-WebSocket-Protocol":"graphql-ws"}})"));
  EXPECT_EQ(verdict.httpStatus, 400);
  EXPECT_FALSE(verdict.subprotocol.has_value());
}

TEST(IntegrationResultTest, ConnectWithoutStatusCodeIs502) {
  ConnectVerdict verdict = InterpretConnectResult(Ok(R"({"body":"hi"})"));
  EXPECT_EQ(verdict.httpStatus, 502);
  EXPECT_EQ(verdict.reason, "malformed result: no statusCode");
}

TEST(IntegrationResultTest, ConnectNullOrEmptyResultIs502) {
  for (const char* body : {"null", "", "  "}) {
    ConnectVerdict verdict = InterpretConnectResult(Ok(body));
    EXPECT_EQ(verdict.httpStatus, 502) << body;
    EXPECT_TRUE(verdict.reason.starts_with("malformed result: ")) << verdict.reason;
  }
}

TEST(IntegrationResultTest, ConnectNonObjectResultIs502) {
  for (const char* body : {R"("ok")", "200", "[200]", "true"}) {
    ConnectVerdict verdict = InterpretConnectResult(Ok(body));
    EXPECT_EQ(verdict.httpStatus, 502) << body;
    EXPECT_TRUE(verdict.reason.starts_with("malformed result: not a JSON object")) << body;
  }
}

TEST(IntegrationResultTest, ConnectNonJsonResultIs502) {
  ConnectVerdict verdict = InterpretConnectResult(Ok("Connected"));
  EXPECT_EQ(verdict.httpStatus, 502);
  EXPECT_EQ(verdict.reason, "malformed result: not JSON: Connected");
}

TEST(IntegrationResultTest, ConnectStatusCodeMustBeANumber) {
  for (const char* body : {R"({"statusCode":"200"})", R"({"statusCode":true})",
                           R"({"statusCode":null})", R"({"statusCode":200.5})"}) {
    ConnectVerdict verdict = InterpretConnectResult(Ok(body));
    EXPECT_EQ(verdict.httpStatus, 502) << body;
    EXPECT_TRUE(verdict.reason.starts_with("malformed result: statusCode")) << verdict.reason;
  }
}

TEST(IntegrationResultTest, ConnectAcceptsIntegralFloatStatusCode) {
  EXPECT_EQ(InterpretConnectResult(Ok(R"({"statusCode":200.0})")).httpStatus, 200);
}

TEST(IntegrationResultTest, ConnectStatusCodeOutOfRangeIs502) {
  for (const char* body : {R"({"statusCode":0})", R"({"statusCode":42})", R"({"statusCode":101})",
                           R"({"statusCode":600})", R"({"statusCode":-200})",
                           R"({"statusCode":1e300})", R"({"statusCode":99999999999999999999})"}) {
    ConnectVerdict verdict = InterpretConnectResult(Ok(body));
    EXPECT_EQ(verdict.httpStatus, 502) << body;
    EXPECT_TRUE(verdict.reason.starts_with("malformed result: statusCode")) << verdict.reason;
  }
  EXPECT_EQ(InterpretConnectResult(Ok(R"({"statusCode":599})")).httpStatus, 599);
}

TEST(IntegrationResultTest, ConnectFunctionErrorIs502) {
  ConnectVerdict verdict =
      InterpretConnectResult(Failed(Kind::kFunctionError, "Error: database is locked"));
  EXPECT_EQ(verdict.httpStatus, 502);
  EXPECT_FALSE(verdict.accepted());
  EXPECT_EQ(verdict.reason, "function error: Error: database is locked");
}

TEST(IntegrationResultTest, ConnectUnreachableIs500) {
  ConnectVerdict verdict = InterpretConnectResult(
      Failed(Kind::kUnreachable, "Couldn't connect to server: Failed to connect"));
  EXPECT_EQ(verdict.httpStatus, 500);
  EXPECT_EQ(verdict.reason, "unreachable: Couldn't connect to server: Failed to connect");
}

TEST(IntegrationResultTest, ConnectTimeoutIs504) {
  ConnectVerdict verdict =
      InterpretConnectResult(Failed(Kind::kTimeout, "timed out after 29000 ms"));
  EXPECT_EQ(verdict.httpStatus, 504);
  EXPECT_EQ(verdict.reason, "timeout: timed out after 29000 ms");
}

TEST(IntegrationResultTest, ConnectInvokeEndpointErrorStatusIs500) {
  ConnectVerdict verdict = InterpretConnectResult(
      Failed(Kind::kBadStatus, "invoke endpoint answered 404: Function not found"));
  EXPECT_EQ(verdict.httpStatus, 500);
  EXPECT_EQ(verdict.reason, "bad status: invoke endpoint answered 404: Function not found");
}

// Message routes

TEST(IntegrationResultTest, MessageOneWayRouteSendsNothing) {
  MessageVerdict verdict =
      InterpretMessageResult(Ok(R"({"statusCode":200,"body":"hello"})"), /*two_way=*/false);
  EXPECT_FALSE(verdict.failed);
  EXPECT_FALSE(verdict.reply.has_value());
}

TEST(IntegrationResultTest, MessageOneWayRouteIgnoresNonJsonResult) {
  MessageVerdict verdict = InterpretMessageResult(Ok("not json"), /*two_way=*/false);
  EXPECT_FALSE(verdict.failed);
  EXPECT_FALSE(verdict.reply.has_value());
}

TEST(IntegrationResultTest, MessageTwoWayRouteSendsStringBody) {
  MessageVerdict verdict =
      InterpretMessageResult(Ok(R"({"statusCode":200,"body":"hello \"you\""})"), true);
  EXPECT_FALSE(verdict.failed);
  ASSERT_TRUE(verdict.reply.has_value());
  EXPECT_EQ(*verdict.reply, "hello \"you\"");
}

TEST(IntegrationResultTest, MessageTwoWayRouteIgnoresStatusCode) {
  for (int status : {201, 301, 401, 501}) {
    MessageVerdict verdict = InterpretMessageResult(
        Ok(R"({"statusCode":)" + std::to_string(status) + R"(,"body":"x"})"), true);
    EXPECT_FALSE(verdict.failed) << status;
    ASSERT_TRUE(verdict.reply.has_value());
    EXPECT_EQ(*verdict.reply, "x");
  }
}

TEST(IntegrationResultTest, MessageTwoWayRouteWithoutBodySendsNothing) {
  for (const char* body : {R"({"statusCode":200})", R"({"body":null})", "null", "", "\n"}) {
    MessageVerdict verdict = InterpretMessageResult(Ok(body), true);
    EXPECT_FALSE(verdict.failed) << body;
    EXPECT_FALSE(verdict.reply.has_value()) << body;
  }
}

TEST(IntegrationResultTest, MessageTwoWayRouteSendsEmptyStringBody) {
  MessageVerdict verdict = InterpretMessageResult(Ok(R"({"body":""})"), true);
  ASSERT_TRUE(verdict.reply.has_value());
  EXPECT_EQ(*verdict.reply, "");
}

TEST(IntegrationResultTest, MessageNonStringBodyIsSentAsCompactJsonInOriginalOrder) {
  MessageVerdict verdict = InterpretMessageResult(
      Ok("{\"statusCode\": 200, \"body\": { \"type\" : \"counter-update\",\n \"value\": 7,"
         " \"ratio\": 0.1, \"note\": \"a  b\", \"list\": [1, 2] }}"),
      true);
  EXPECT_FALSE(verdict.failed);
  ASSERT_TRUE(verdict.reply.has_value());
  EXPECT_EQ(*verdict.reply,
            R"({"type":"counter-update","value":7,"ratio":0.1,"note":"a  b","list":[1,2]})");
}

TEST(IntegrationResultTest, MessageNumericBodyIsSentAsItsText) {
  MessageVerdict verdict = InterpretMessageResult(Ok(R"({"body": 42})"), true);
  ASSERT_TRUE(verdict.reply.has_value());
  EXPECT_EQ(*verdict.reply, "42");
}

TEST(IntegrationResultTest, MessagePlainStringResultIsSent) {
  MessageVerdict verdict = InterpretMessageResult(Ok(R"("hello")"), true);
  EXPECT_FALSE(verdict.failed);
  ASSERT_TRUE(verdict.reply.has_value());
  EXPECT_EQ(*verdict.reply, "hello");
}

TEST(IntegrationResultTest, MessageOtherNonObjectResultIsSentAsJsonText) {
  MessageVerdict number = InterpretMessageResult(Ok(" 42 "), true);
  ASSERT_TRUE(number.reply.has_value());
  EXPECT_EQ(*number.reply, "42");
  MessageVerdict array = InterpretMessageResult(Ok("[1, \"a b\"]"), true);
  ASSERT_TRUE(array.reply.has_value());
  EXPECT_EQ(*array.reply, R"([1,"a b"])");
}

TEST(IntegrationResultTest, MessageNonJsonResultOnTwoWayRouteFails) {
  MessageVerdict verdict = InterpretMessageResult(Ok("hello"), true);
  EXPECT_TRUE(verdict.failed);
  EXPECT_FALSE(verdict.reply.has_value());
  EXPECT_EQ(verdict.reason, "malformed result: not JSON: hello");
}

TEST(IntegrationResultTest, MessageBase64BodyIsDecoded) {
  MessageVerdict verdict =
      InterpretMessageResult(Ok(R"({"body":"AAEC/w==","isBase64Encoded":true})"), true);
  EXPECT_FALSE(verdict.failed);
  ASSERT_TRUE(verdict.reply.has_value());
  EXPECT_EQ(*verdict.reply, std::string("\x00\x01\x02\xff", 4));
}

TEST(IntegrationResultTest, MessageBase64BodyWithoutPaddingIsDecoded) {
  MessageVerdict verdict =
      InterpretMessageResult(Ok(R"({"body":"aGVsbG8","isBase64Encoded":true})"), true);
  ASSERT_TRUE(verdict.reply.has_value());
  EXPECT_EQ(*verdict.reply, "hello");
}

TEST(IntegrationResultTest, MessageBase64FlagFalseKeepsBodyAsIs) {
  MessageVerdict verdict =
      InterpretMessageResult(Ok(R"({"body":"aGVsbG8=","isBase64Encoded":false})"), true);
  ASSERT_TRUE(verdict.reply.has_value());
  EXPECT_EQ(*verdict.reply, "aGVsbG8=");
}

TEST(IntegrationResultTest, MessageInvalidBase64BodyFails) {
  for (const char* body : {"a$GVsbG8=", "aGVsbG8=x", "a===", "a", "aGVsbG8=="}) {
    MessageVerdict verdict = InterpretMessageResult(
        Ok(std::string(R"({"isBase64Encoded":true,"body":")") + body + "\"}"), true);
    EXPECT_TRUE(verdict.failed) << body;
    EXPECT_TRUE(verdict.reason.starts_with("malformed result: ")) << verdict.reason;
  }
}

TEST(IntegrationResultTest, MessageAnyIntegrationFailureFailsEvenOnOneWayRoutes) {
  for (Kind kind : {Kind::kFunctionError, Kind::kUnreachable, Kind::kTimeout, Kind::kBadStatus}) {
    for (bool two_way : {false, true}) {
      MessageVerdict verdict = InterpretMessageResult(Failed(kind, "why"), two_way);
      EXPECT_TRUE(verdict.failed) << ToString(kind);
      EXPECT_FALSE(verdict.reply.has_value());
      EXPECT_EQ(verdict.reason, std::string(ToString(kind)) + ": why");
    }
  }
}

// Gateway frames

TEST(IntegrationResultTest, GatewayErrorFrameMatchesAwsBytes) {
  EXPECT_EQ(
      GatewayErrorFrame("Forbidden", "XDmENcnwIE0CFEQ=", "XDmGEE2RoE0FRdQ="),
      R"({"message": "Forbidden", "connectionId":"XDmENcnwIE0CFEQ=", "requestId":"XDmGEE2RoE0FRdQ="})");
  EXPECT_EQ(
      GatewayErrorFrame("Internal server error", "Qyi07eCbtjMCJKw=", "Qyi3UG41tjMFlUg="),
      R"({"message": "Internal server error", "connectionId":"Qyi07eCbtjMCJKw=", "requestId":"Qyi3UG41tjMFlUg="})");
}

}  // namespace
}  // namespace wsgw
