// What a function's answer means, decided here and nowhere else (AWS-NOTES §2): the transport
// reports what came back (HttpAnswer), ClassifyAnswer says what kind of outcome that is, and
// InterpretConnectResult / InterpretMessageResult say what API Gateway does with it. No I/O.
#pragma once

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace wsgw {

// Lambda refuses results over 6 MB; the Runtime Interface Emulator allows 100 bytes of slack
// (MaxPayloadSize = 6 MiB + 100), so anything bigger cannot be a genuine function result.
inline constexpr size_t kMaxFunctionResultBytes = 6 * 1024 * 1024 + 100;

// What came back from one Lambda Invoke call over HTTP, as the transport saw it.
struct HttpAnswer {
  enum class Failure {
    kNone,         // a complete response: status, body and the header below are set
    kUnreachable,  // no complete response: refused, closed or reset early, not HTTP...
    kTimeout,      // no complete response within the deadline
    kTooLarge,     // the body passed the size limit; the connection was dropped
  };
  Failure failure = Failure::kNone;
  std::string detail;  // why, in words, when failure != kNone
  long status = 0;
  std::string body;
  std::optional<std::string> function_error;  // X-Amz-Function-Error, trimmed
};

struct InvokeOutcome {
  enum class Kind {
    kOk,             // HTTP 200 and not a function error; body = the function's result
    kFunctionError,  // X-Amz-Function-Error, or a 200 error body (errorMessage/errorType, no statusCode)
    kUnreachable,    // connection refused, DNS, reset before a response...
    kTimeout,        // no complete response within timeoutMs
    kBadStatus,      // the invoke endpoint answered a status other than 200
  };
  Kind kind = Kind::kUnreachable;
  long httpStatus = 0;
  std::string body;
  std::string detail;  // human words for the log: "connection refused", "timed out after 29000 ms"
  double latencyMs = 0;
};

const char* ToString(InvokeOutcome::Kind kind);

// The kind of outcome `answer` is: a function error is X-Amz-Function-Error, a 200 body that is
// an error object (errorMessage/errorType without statusCode), or the Runtime Interface
// Emulator's plain-text timeout; `timeout_ms` only words a timeout.
InvokeOutcome ClassifyAnswer(HttpAnswer answer, int timeout_ms, double latency_ms);

// A function the gateway started (`command`, `runtime`) that cannot be reached is down or
// restarting: that fails like a Lambda that crashed (502 on $connect, the error frame on
// messages), not like a missing integration.
InvokeOutcome ForStartedFunction(InvokeOutcome outcome);

struct ConnectVerdict {
  int httpStatus = 200;                    // 2xx accepts; anything else is the handshake's status
  std::optional<std::string> subprotocol;  // only Sec-WebSocket-Protocol is taken from headers
  std::string reason;                      // for the log when not accepted: "function error: ..."
  bool accepted() const { return httpStatus >= 200 && httpStatus < 300; }
};

// $connect. statusCode passed through; function error or malformed result (no statusCode,
// not an object) 502; unreachable 500; timeout 504; invoke endpoint error status 500.
ConnectVerdict InterpretConnectResult(const InvokeOutcome& outcome);

struct AuthorizerVerdict {
  int httpStatus = 200;  // 200 lets $connect run; 401, 403 or 500 is the handshake's status
  // principalId and every key of the answer's context, numbers and booleans as their JSON text
  // ("1", "true"): requestContext.authorizer of the connection's events.
  std::map<std::string, std::string> authorizer;
  std::string reason;  // for the log when refused: "Deny policy for arn:..."
  bool allowed() const { return httpStatus == 200; }
};

// A Lambda REQUEST authorizer's answer for `method_arn` (AWS-NOTES §6): an IAM policy whose Allow
// statement covers execute-api:Invoke on method_arn (wildcards '*' and '?') and no Deny that does
// allows; a Deny, or no Allow that matches, is 403; a function error whose message is
// "Unauthorized" is 401; any other failure or a malformed answer (no principalId string, no
// policyDocument, a statement without Effect, Action or Resource, a context value that is an
// object, array or null) is 500.
AuthorizerVerdict InterpretAuthorizerResult(const InvokeOutcome& outcome,
                                            const std::string& method_arn);

// IAM's wildcard match: '*' is any run of characters (none too), '?' any one; the rest exact,
// or whatever the ASCII case when `ignore_case` (IAM actions).
bool MatchesIamPattern(std::string_view pattern, std::string_view text, bool ignore_case = false);

struct MessageVerdict {
  bool failed = false;               // send AWS's "Internal server error" frame
  std::optional<std::string> reply;  // two-way route: the result's "body" (string), if any
  std::string reason;                // for the log when failed
};

// A message route. statusCode ignored; `two_way` = routeResponse; a result body that is not a
// string is sent as its JSON text.
MessageVerdict InterpretMessageResult(const InvokeOutcome& outcome, bool two_way);

// AWS's gateway-generated frame, byte-exact (note the spacing):
// {"message": "Forbidden", "connectionId":"...", "requestId":"..."}
std::string GatewayErrorFrame(const std::string& message, const std::string& connection_id,
                              const std::string& request_id);

}  // namespace wsgw
