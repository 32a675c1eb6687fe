#include "api/function_answer.h"

#include <gtest/gtest.h>

#include <map>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "api/function_answer_internal.h"
#include "base/json.h"

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

TEST(IntegrationResultTest, ConnectWithALineBreakInTheSubprotocolIs502) {
  ConnectVerdict verdict = InterpretConnectResult(
      Ok(R"({"statusCode":200,"headers":{"Sec-WebSocket-Protocol":"chat\r\nSet-Cookie: a=b"}})"));
  EXPECT_EQ(verdict.httpStatus, 502);
  EXPECT_FALSE(verdict.subprotocol.has_value());
  EXPECT_NE(verdict.reason.find("Sec-WebSocket-Protocol contains CR, LF or NUL"), std::string::npos);
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

// A two-way route's result is read by simdjson where it provably agrees with jsoncpp and by
// jsoncpp otherwise. Each row pins what the client gets (or the logged failure, byte for byte)
// and which reader gives it, and checks that where simdjson answers, jsoncpp answers the same.

std::string Observed(const MessageVerdict& verdict) {
  if (verdict.failed) return "failed: " + verdict.reason;
  if (!verdict.reply) return "no reply";
  return "reply: " + *verdict.reply;
}

enum class ReadBy { kSimdjson, kJsoncpp };

void PrintTo(ReadBy reader, std::ostream* out) {
  *out << (reader == ReadBy::kSimdjson ? "simdjson" : "jsoncpp");
}

struct ResultCase {
  std::string result;
  std::string observed;
  ReadBy read_by;
};

std::string Nested(int depth) { return std::string(depth, '[') + std::string(depth, ']'); }

TEST(IntegrationResultTest, MessageResultReadersAgreeWhereSimdjsonAnswers) {
  using enum ReadBy;
  const std::string echoed = R"({\"action\":\"echo\",\"seq\":14934})";
  const std::vector<ResultCase> table = {
      // What functions usually return.
      {R"({"body":")" + echoed + R"(","statusCode":200})",
       R"(reply: {"action":"echo","seq":14934})", kSimdjson},
      {R"({"statusCode":200,"body":"hello"})", "reply: hello", kSimdjson},
      {"{ \"statusCode\" : 200 ,\n  \"body\" : \"hello\" }\n", "reply: hello", kSimdjson},
      {R"({"statusCode":200})", "no reply", kSimdjson},
      {R"({"body":null})", "no reply", kSimdjson},
      {R"({"body":""})", "reply: ", kSimdjson},
      // statusCode and every other member but body and isBase64Encoded are ignored, whatever
      // they hold.
      {R"({"statusCode":"200","body":"x"})", "reply: x", kSimdjson},
      {R"({"statusCode":200.5,"body":"x"})", "reply: x", kSimdjson},
      {R"({"statusCode":-1,"body":"x"})", "reply: x", kSimdjson},
      {R"({"statusCode":99999999999999999999999,"body":"x"})", "reply: x", kJsoncpp},
      {R"({"statusCode":200,"headers":{"Content-Type":"text/plain"},"multiValueHeaders":{},)"
       R"("cookies":["a=b"],"unknown":{"deep":[1,2,null]},"body":"x"})",
       "reply: x", kSimdjson},
      // Repeated keys: jsoncpp keeps the last.
      {R"({"body":"a","body":"b"})", "reply: b", kSimdjson},
      {R"({"body":"a","body":null})", "no reply", kSimdjson},
      {R"({"body":{"x":1},"body":"b"})", "reply: b", kSimdjson},
      {R"({"body":"a","body":{"x":1}})", R"(reply: {"x":1})", kJsoncpp},
      {R"({"body":"aGk=","isBase64Encoded":true,"isBase64Encoded":false})",
       "reply: aGk=", kSimdjson},
      {R"({"body":"aGk=","isBase64Encoded":false,"isBase64Encoded":true})", "reply: hi", kSimdjson},
      // isBase64Encoded: only a boolean true decodes.
      {R"({"body":"aGk=","isBase64Encoded":true})", "reply: hi", kSimdjson},
      {R"({"body":"aGk=","isBase64Encoded":"true"})", "reply: aGk=", kSimdjson},
      {R"({"body":"aGk=","isBase64Encoded":1})", "reply: aGk=", kSimdjson},
      {R"({"body":"aGk=","isBase64Encoded":null})", "reply: aGk=", kSimdjson},
      {R"({"body":"a$","isBase64Encoded":true})",
       "failed: malformed result: isBase64Encoded is true but body is not base64", kSimdjson},
      // Escapes in the body.
      {R"({"body":"caf\u00e9 \ud83d\ude00 \"q\" \\ \/ \n\t"})",
       "reply: caf\xC3\xA9 \xF0\x9F\x98\x80 \"q\" \\ / \n\t", kSimdjson},
      {R"({"body":"a\u0000b"})", std::string("reply: a\0b", 10), kSimdjson},
      {R"({"b\u006fdy":"x"})", "reply: x", kSimdjson},
      // A body that is not a string is sent as the text the function wrote: only jsoncpp has it.
      {R"({"body":42})", "reply: 42", kJsoncpp},
      {R"({"body":-0.10})", "reply: -0.10", kJsoncpp},
      {R"({"body":true})", "reply: true", kJsoncpp},
      {R"({"body": [1, "a b"]})", R"(reply: [1,"a b"])", kJsoncpp},
      {R"({"body": {"b":1, "a":2}})", R"(reply: {"b":1,"a":2})", kJsoncpp},
      // A result that is not an object.
      {R"("hello")", "reply: hello", kJsoncpp},
      {"null", "no reply", kJsoncpp},
      {" 42 ", "reply: 42", kJsoncpp},
      {"[1, 2]", "reply: [1,2]", kJsoncpp},
      // What jsoncpp's reader takes and simdjson refuses: comments, a trailing comma, a byte
      // order mark, bytes that are not UTF-8, control characters, a lone low surrogate, a NUL
      // byte as the end of the text.
      {"// answer\n{\"body\":\"x\" /* why */}", "reply: x", kJsoncpp},
      {R"({"body":"x",})", "reply: x", kJsoncpp},
      {"\xEF\xBB\xBF{\"body\":\"x\"}", "reply: x", kJsoncpp},
      {"{\"body\":\"caf\xFF\"}", "reply: caf\xFF", kJsoncpp},
      {"{\"body\":\"x\",\"note\":\"\xED\xA0\x80\"}", "reply: x", kJsoncpp},
      {"{\"body\":\"a\tb\"}", "reply: a\tb", kJsoncpp},
      {R"({"body":"\udc00"})", "reply: \xED\xB0\x80", kJsoncpp},
      {std::string("{\"body\":\"x\"}\0junk", 17), "reply: x", kJsoncpp},
      // Not JSON to either: the same logged reason.
      {"hello", "failed: malformed result: not JSON: hello", kJsoncpp},
      {R"({"body":"x"} y)", R"(failed: malformed result: not JSON: {"body":"x"} y)", kJsoncpp},
      {R"({"body":"\ud83d"})", R"(failed: malformed result: not JSON: {"body":"\ud83d"})",
       kJsoncpp},
      {R"({"body":"x","n":tru})", R"(failed: malformed result: not JSON: {"body":"x","n":tru})",
       kJsoncpp},
      {R"({"body":"x","n":1e400})", R"(failed: malformed result: not JSON: {"body":"x","n":1e400})",
       kJsoncpp},
      // Nesting: simdjson stops far below jsoncpp's limit, which decides.
      {R"({"body":"x","d":)" + Nested(8) + "}", "reply: x", kSimdjson},
      {R"({"body":"x","d":)" + Nested(kFastJsonMaxDepth) + "}", "reply: x", kJsoncpp},
      {R"({"body":"x","d":)" + Nested(998) + "}", "reply: x", kJsoncpp},
      {R"({"body":"x","d":)" + Nested(1000) + "}",
       R"(failed: malformed result: not JSON: {"body":"x","d":)" + std::string(100 - 16, '[') +
           "...",
       kJsoncpp},
      // Past the size simdjson is given.
      {R"({"body":")" + std::string(kFastJsonMaxBytes, 'x') + "\"}",
       "reply: " + std::string(kFastJsonMaxBytes, 'x'), kJsoncpp},
  };
  for (const ResultCase& row : table) {
    SCOPED_TRACE(row.result.substr(0, 80));
    const std::optional<MessageVerdict> fast = internal::MessageResultWithSimdjson(row.result);
    const MessageVerdict reference = internal::MessageResultWithJsoncpp(row.result);
    EXPECT_EQ(Observed(InterpretMessageResult(Ok(row.result), true)), row.observed);
    EXPECT_EQ(Observed(reference), row.observed);
    EXPECT_EQ(fast.has_value() ? kSimdjson : kJsoncpp, row.read_by);
    if (fast) {
      EXPECT_EQ(Observed(*fast), Observed(reference));
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

// Lambda REQUEST authorizers

constexpr char kArn[] = "arn:aws:execute-api:us-east-1:123456789012:abcdef1234/dev/$connect";

std::string Policy(const std::string& effect, const std::string& resource,
                   const std::string& extra = "") {
  return R"({"principalId":"user-1","policyDocument":{"Version":"2012-10-17","Statement":[)"
         R"({"Action":"execute-api:Invoke","Effect":")" +
         effect + R"(","Resource":")" + resource + R"("}]})" + extra + "}";
}

InvokeOutcome FunctionError(std::string body) {
  InvokeOutcome outcome = Failed(Kind::kFunctionError, "Error: something");
  outcome.body = std::move(body);
  return outcome;
}

TEST(AuthorizerResultTest, AllowForTheMethodArnAllowsWithPrincipalAndContext) {
  AuthorizerVerdict verdict = InterpretAuthorizerResult(
      Ok(Policy("Allow", kArn,
                R"(,"context":{"tenant":"acme","level":3,"ratio":0.1,"admin":true,"off":false})")),
      kArn);
  EXPECT_TRUE(verdict.allowed());
  EXPECT_EQ(verdict.authorizer, (std::map<std::string, std::string>{{"principalId", "user-1"},
                                                                    {"tenant", "acme"},
                                                                    {"level", "3"},
                                                                    {"ratio", "0.1"},
                                                                    {"admin", "true"},
                                                                    {"off", "false"}}));
}

TEST(AuthorizerResultTest, TopLevelPrincipalIdWinsOverAContextKeyOfTheSameName) {
  AuthorizerVerdict verdict = InterpretAuthorizerResult(
      Ok(Policy("Allow", kArn, R"(,"context":{"principalId":"x"})")), kArn);
  EXPECT_EQ(verdict.authorizer.at("principalId"), "user-1");
}

TEST(AuthorizerResultTest, ResourceWildcardsMatchAsIamDoes) {
  for (const std::string& resource :
       {std::string("*"), std::string("arn:aws:execute-api:*"),
        std::string("arn:aws:execute-api:us-east-1:123456789012:abcdef1234/*"),
        std::string("arn:aws:execute-api:us-east-1:123456789012:abcdef1234/dev/$connect"),
        std::string("arn:aws:execute-api:us-east-1:123456789012:abcdef1234/d?v/$connect"),
        std::string("arn:aws:execute-api:*:*:abcdef1234/*/$connect")}) {
    EXPECT_TRUE(InterpretAuthorizerResult(Ok(Policy("Allow", resource)), kArn).allowed())
        << resource;
  }
}

TEST(AuthorizerResultTest, AllowThatDoesNotMatchIs403) {
  // A REST-style resource with a method segment does not cover $connect (AWS-NOTES section 6).
  for (const std::string& resource :
       {std::string("arn:aws:execute-api:us-east-1:123456789012:abcdef1234/dev/*/*"),
        std::string("arn:aws:execute-api:us-east-1:123456789012:abcdef1234/prod/$connect"),
        std::string("arn:aws:execute-api:us-east-1:123456789012:abcdef1234/d?/$connect"),
        std::string("ARN:aws:execute-api:us-east-1:123456789012:abcdef1234/dev/$connect")}) {
    AuthorizerVerdict verdict = InterpretAuthorizerResult(Ok(Policy("Allow", resource)), kArn);
    EXPECT_EQ(verdict.httpStatus, 403) << resource;
    EXPECT_EQ(verdict.reason, std::string("no Allow statement in the policy matches ") + kArn);
    EXPECT_TRUE(verdict.authorizer.empty());
  }
  AuthorizerVerdict other_action = InterpretAuthorizerResult(
      Ok(R"({"principalId":"u","policyDocument":{"Statement":[)"
         R"({"Action":"execute-api:ManageConnections","Effect":"Allow","Resource":"*"}]}})"),
      kArn);
  EXPECT_EQ(other_action.httpStatus, 403);
}

TEST(AuthorizerResultTest, DenyIs403EvenBesideAnAllow) {
  AuthorizerVerdict deny = InterpretAuthorizerResult(Ok(Policy("Deny", kArn)), kArn);
  EXPECT_EQ(deny.httpStatus, 403);
  EXPECT_EQ(deny.reason, std::string("Deny policy for ") + kArn);
  AuthorizerVerdict both = InterpretAuthorizerResult(
      Ok(R"({"principalId":"u","policyDocument":{"Statement":[)"
         R"({"Action":"execute-api:*","Effect":"Allow","Resource":"*"},)"
         R"({"Action":["s3:GetObject","execute-api:Invoke"],"Effect":"Deny","Resource":["x",")" +
         std::string(kArn) + R"("]}]}})"),
      kArn);
  EXPECT_EQ(both.httpStatus, 403);
  EXPECT_EQ(both.reason, std::string("Deny policy for ") + kArn);
}

TEST(AuthorizerResultTest, StatementMayBeOneObjectAndActionCaseIsIgnored) {
  EXPECT_TRUE(InterpretAuthorizerResult(
                  Ok(R"({"principalId":"u","policyDocument":{"Statement":)"
                     R"({"Action":"Execute-API:invoke","Effect":"Allow","Resource":"*"}}})"),
                  kArn)
                  .allowed());
}

TEST(AuthorizerResultTest, EmptyStatementListIs403) {
  EXPECT_EQ(InterpretAuthorizerResult(
                Ok(R"({"principalId":"u","policyDocument":{"Statement":[]}})"), kArn)
                .httpStatus,
            403);
}

TEST(AuthorizerResultTest, UnauthorizedErrorIs401) {
  // Node's throw new Error("Unauthorized") / callback("Unauthorized"), Python's raise.
  for (const std::string& body :
       {std::string(R"({"errorType":"Error","errorMessage":"Unauthorized"})"),
        std::string(R"({"errorMessage":"Unauthorized"})"),
        std::string(
            R"({"errorMessage":"Unauthorized","errorType":"Exception","stackTrace":[]})")}) {
    AuthorizerVerdict verdict = InterpretAuthorizerResult(FunctionError(body), kArn);
    EXPECT_EQ(verdict.httpStatus, 401) << body;
    EXPECT_EQ(verdict.reason, "the authorizer raised \"Unauthorized\"");
  }
}

TEST(AuthorizerResultTest, OtherFunctionErrorsAndFailuresAre500) {
  for (const std::string& body :
       {std::string(R"({"errorType":"Error","errorMessage":"unauthorized"})"),
        std::string(R"({"errorType":"Unauthorized","errorMessage":"boom"})"),
        std::string(R"({"errorMessage":"Unauthorized: bad token"})"), std::string("")}) {
    AuthorizerVerdict verdict = InterpretAuthorizerResult(FunctionError(body), kArn);
    EXPECT_EQ(verdict.httpStatus, 500) << body;
    EXPECT_EQ(verdict.reason, "function error: Error: something");
  }
  for (Kind kind : {Kind::kTimeout, Kind::kUnreachable, Kind::kBadStatus}) {
    AuthorizerVerdict verdict = InterpretAuthorizerResult(Failed(kind, "why"), kArn);
    EXPECT_EQ(verdict.httpStatus, 500);
    EXPECT_EQ(verdict.reason, std::string(ToString(kind)) + ": why");
  }
}

TEST(AuthorizerResultTest, MalformedAnswersAre500AndSayWhy) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"not json", "not JSON: not json"},
      {"null", "not a JSON object: null"},
      {R"({"statusCode":401})", "no principalId"},
      {R"({"principalId":7,"policyDocument":{"Statement":[]}})", "principalId is not a string"},
      {R"({"principalId":"u"})", "no policyDocument"},
      {R"({"principalId":"u","policyDocument":"Allow"})", "policyDocument is not an object"},
      {R"({"principalId":"u","policyDocument":{}})",
       "policyDocument.Statement is not an object or an array"},
      {R"({"principalId":"u","policyDocument":{"Statement":[1]}})",
       "policyDocument.Statement[0] is not an object"},
      {R"({"principalId":"u","policyDocument":{"Statement":[{"Effect":"allow","Action":"*","Resource":"*"}]}})",
       "policyDocument.Statement[0].Effect is not \"Allow\" or \"Deny\""},
      {R"({"principalId":"u","policyDocument":{"Statement":[{"Effect":"Allow","Resource":"*"}]}})",
       "policyDocument.Statement[0].Action is not a string or an array of strings"},
      {R"({"principalId":"u","policyDocument":{"Statement":[{"Effect":"Allow","Action":"*","Resource":[]}]}})",
       "policyDocument.Statement[0].Resource is not a string or an array of strings"},
      {Policy("Allow", "*", R"(,"context":[])"), "context is not an object"},
      {Policy("Allow", "*", R"(,"context":{"a":{"b":1}})"),
       "context.a is not a string, number or boolean"},
      {Policy("Allow", "*", R"(,"context":{"a":null})"),
       "context.a is not a string, number or boolean"},
  };
  for (const auto& [body, why] : cases) {
    AuthorizerVerdict verdict = InterpretAuthorizerResult(Ok(body), kArn);
    EXPECT_EQ(verdict.httpStatus, 500) << body;
    EXPECT_EQ(verdict.reason, "malformed authorizer answer: " + why) << body;
  }
}

TEST(AuthorizerResultTest, IamPatternMatching) {
  EXPECT_TRUE(MatchesIamPattern("", ""));
  EXPECT_FALSE(MatchesIamPattern("", "a"));
  EXPECT_TRUE(MatchesIamPattern("*", ""));
  EXPECT_TRUE(MatchesIamPattern("a*b*c", "aXXbYYc"));
  EXPECT_TRUE(MatchesIamPattern("a*b", "abab"));
  EXPECT_FALSE(MatchesIamPattern("a*b", "abac"));
  EXPECT_TRUE(MatchesIamPattern("?", "x"));
  EXPECT_FALSE(MatchesIamPattern("?", ""));
  EXPECT_FALSE(MatchesIamPattern("abc", "ABC"));
  EXPECT_TRUE(MatchesIamPattern("abc", "ABC", true));
  // Many stars against a long text that does not match: no exponential backtracking.
  EXPECT_FALSE(MatchesIamPattern(std::string(200, '*') + "b", std::string(100000, 'a')));
}

}  // namespace
}  // namespace wsgw
