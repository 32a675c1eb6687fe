#include "api/function_answer.h"

#include <json/json.h>
#include <simdjson.h>

#include <cctype>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api/function_answer_internal.h"
#include "base/base64.h"
#include "base/http_head.h"
#include "base/json.h"
#include "base/utf8.h"

namespace wsgw {
namespace {

// How much of a result a log line quotes: of a malformed result, and of a failed invoke's body.
constexpr size_t kExcerptChars = 100;
constexpr size_t kStatusExcerptChars = 200;

std::string Excerpt(std::string_view text, size_t max_chars = kExcerptChars) {
  if (text.size() <= max_chars) return std::string(text);
  return std::string(text.substr(0, max_chars)) + "...";
}

std::string JsonScalarText(const Json::Value& value) {
  return value.isString() ? value.asString() : CompactJson(value);
}

// "errorType: errorMessage" from a runtime's error object, or "" when it has neither.
std::string ErrorObjectDetail(const Json::Value& object) {
  std::string type = object.isMember("errorType") ? JsonScalarText(object["errorType"]) : "";
  std::string message =
      object.isMember("errorMessage") ? JsonScalarText(object["errorMessage"]) : "";
  std::string detail;
  if (!type.empty() && !message.empty()) {
    detail = type + ": " + message;
  } else {
    detail = type.empty() ? message : type;
  }
  return Excerpt(detail, 500);
}

std::optional<Json::Value> ParseJsonObject(const std::string& text) {
  std::optional<Json::Value> value = ParseJson(text);
  if (!value || !value->isObject()) return std::nullopt;
  return value;
}

// The RIE (which never sets X-Amz-Function-Error) answers a function timeout with a plain-text
// 200: "Task timed out after 3.00 seconds".
bool IsRieTimeoutText(std::string_view body) {
  body = TrimSpace(body);
  constexpr std::string_view kPrefix = "Task timed out after ";
  constexpr std::string_view kSuffix = " seconds";
  return body.size() > kPrefix.size() + kSuffix.size() && body.starts_with(kPrefix) &&
         body.ends_with(kSuffix);
}


using Kind = InvokeOutcome::Kind;


bool IsBlank(std::string_view text) {
  return text.find_first_not_of(" \t\r\n") == std::string_view::npos;
}

// JSON text with the whitespace between tokens removed; strings are copied untouched.
std::string Minify(std::string_view json) {
  std::string out;
  out.reserve(json.size());
  bool in_string = false;
  bool escaped = false;
  for (char c : json) {
    if (in_string) {
      out.push_back(c);
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
      out.push_back(c);
    } else if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
      out.push_back(c);
    }
  }
  return out;
}

// The compact text of `value` as the function wrote it, cut from `document`: re-serialising
// through jsoncpp would sort object keys and print 0.1 as 0.10000000000000001.
std::string OriginalCompactText(const Json::Value& value, const std::string& document) {
  ptrdiff_t start = value.getOffsetStart();
  ptrdiff_t limit = value.getOffsetLimit();
  if (start < 0 || limit <= start || static_cast<size_t>(limit) > document.size()) {
    return CompactJson(value);
  }
  return Minify(std::string_view(document).substr(start, limit - start));
}

std::string FailureReason(const InvokeOutcome& outcome) {
  return std::string(ToString(outcome.kind)) + ": " + outcome.detail;
}

int ConnectFailureStatus(Kind kind) {
  switch (kind) {
    case Kind::kFunctionError:
      return 502;  // AWS: function errors and malformed results are Bad Gateway
    case Kind::kTimeout:
      return 504;  // UNCONFIRMED for WebSocket (REST analogy): AWS-NOTES §2.1
    case Kind::kUnreachable:
    case Kind::kBadStatus:
    case Kind::kOk:
      break;
  }
  return 500;  // the Lambda invoke itself failed (AWS-NOTES §2.1, UNCONFIRMED for WebSocket)
}

ConnectVerdict Malformed(const std::string& why) {
  ConnectVerdict verdict;
  verdict.httpStatus = 502;
  verdict.reason = "malformed result: " + why;
  return verdict;
}

// A header's string value, by case-insensitive name, from "headers" or else the first value in
// "multiValueHeaders".
std::optional<std::string> ResultHeader(const Json::Value& result, std::string_view name) {
  const Json::Value& headers = result["headers"];
  if (headers.isObject()) {
    for (const std::string& key : headers.getMemberNames()) {
      if (EqualsIgnoreCase(key, name) && headers[key].isString()) return headers[key].asString();
    }
  }
  const Json::Value& multi = result["multiValueHeaders"];
  if (multi.isObject()) {
    for (const std::string& key : multi.getMemberNames()) {
      const Json::Value& values = multi[key];
      if (EqualsIgnoreCase(key, name) && values.isArray() && !values.empty() &&
          values[0].isString()) {
        return values[0].asString();
      }
    }
  }
  return std::nullopt;
}

// A two-way route's reply when the result's body is a string.
MessageVerdict StringBodyVerdict(std::string_view body, bool base64) {
  MessageVerdict verdict;
  if (base64) {
    std::optional<std::string> bytes = DecodeBase64(body);
    if (!bytes) {
      verdict.failed = true;
      verdict.reason = "malformed result: isBase64Encoded is true but body is not base64";
      return verdict;
    }
    verdict.reply = std::move(*bytes);
    return verdict;
  }
  verdict.reply = std::string(body);
  return verdict;
}

}  // namespace

ConnectVerdict InterpretConnectResult(const InvokeOutcome& outcome) {
  if (outcome.kind != Kind::kOk) {
    ConnectVerdict verdict;
    verdict.httpStatus = ConnectFailureStatus(outcome.kind);
    verdict.reason = FailureReason(outcome);
    return verdict;
  }
  std::optional<Json::Value> result = ParseJson(outcome.body);
  if (!result) return Malformed("not JSON: " + Excerpt(outcome.body));
  // AWS's behaviour for a result without statusCode is UNCONFIRMED (AWS-NOTES §2.1); REST APIs
  // answer 502 "Malformed Lambda proxy response", and so do we.
  const Json::Value& root = *result;
  if (root.isNull()) return Malformed("the function returned null");
  if (!root.isObject()) return Malformed("not a JSON object: " + Excerpt(outcome.body));
  if (!root.isMember("statusCode")) return Malformed("no statusCode");
  const Json::Value& code = root["statusCode"];
  if (!code.isNumeric() || !code.isIntegral()) {
    return Malformed("statusCode is not an integer: " + Excerpt(CompactJson(code)));
  }
  // 1xx is refused too: it cannot be the final answer to a handshake.
  double status = code.asDouble();
  if (status < 200 || status > 599) {
    return Malformed("statusCode " + CompactJson(code) + " is outside 200..599");
  }

  ConnectVerdict verdict;
  verdict.httpStatus = static_cast<int>(status);
  if (verdict.accepted()) {
    std::optional<std::string> protocol = ResultHeader(root, "Sec-WebSocket-Protocol");
    if (protocol && protocol->find_first_of(std::string_view("\r\n\0", 3)) != std::string::npos) {
      // It goes into the 101's head: a line break would let the answer write headers of its own.
      return Malformed("Sec-WebSocket-Protocol contains CR, LF or NUL: " + Excerpt(*protocol));
    }
    if (protocol && !protocol->empty()) verdict.subprotocol = std::move(protocol);
  } else {
    verdict.reason = "$connect answered " + std::to_string(verdict.httpStatus);
  }
  return verdict;
}

MessageVerdict InterpretMessageResult(const InvokeOutcome& outcome, bool two_way) {
  MessageVerdict verdict;
  if (outcome.kind != Kind::kOk) {
    verdict.failed = true;
    verdict.reason = FailureReason(outcome);
    return verdict;
  }
  // A one-way route discards whatever came back, even text that is not JSON.
  if (!two_way) return verdict;
  // A handler that returns nothing: some hosts send an empty body rather than "null".
  if (IsBlank(outcome.body)) return verdict;
  // Every two-way message's result is read here: simdjson answers the usual one (an object with a
  // string body) in a fraction of jsoncpp's time, and jsoncpp every other.
  std::optional<MessageVerdict> fast = internal::MessageResultWithSimdjson(outcome.body);
  if (fast) return std::move(*fast);
  return internal::MessageResultWithJsoncpp(outcome.body);
}

namespace internal {

MessageVerdict MessageResultWithJsoncpp(const std::string& result_text) {
  MessageVerdict verdict;
  std::optional<Json::Value> result = ParseJson(result_text);
  if (!result) {
    verdict.failed = true;
    verdict.reason = "malformed result: not JSON: " + Excerpt(result_text);
    return verdict;
  }
  const Json::Value& root = *result;
  if (root.isNull()) return verdict;
  if (root.isString()) {
    // UNCONFIRMED (AWS-NOTES §2.3): AWS's handling of a bare string result is undocumented. We
    // send the string, as HTTP APIs do when they infer a response from a non-object result.
    verdict.reply = root.asString();
    return verdict;
  }
  if (!root.isObject()) {
    // UNCONFIRMED, same inference: a number, boolean or array is sent as its JSON text.
    verdict.reply = OriginalCompactText(root, result_text);
    return verdict;
  }

  // statusCode is ignored on message routes (AWS-NOTES §2.3); only "body" reaches the client.
  const Json::Value& body = root["body"];
  if (body.isNull()) return verdict;
  if (!body.isString()) {
    verdict.reply = OriginalCompactText(body, result_text);
    return verdict;
  }
  const Json::Value& base64 = root["isBase64Encoded"];
  return StringBodyVerdict(body.asString(), base64.isBool() && base64.asBool());
}

std::optional<MessageVerdict> MessageResultWithSimdjson(const std::string& result_text) {
  std::optional<simdjson::dom::object> root = ParseJsonObjectFast(result_text);
  if (!root) return std::nullopt;
  // As in MessageResultWithJsoncpp, every other member (statusCode, headers...) is ignored.
  std::optional<simdjson::dom::element> body = LastMember(*root, "body");
  if (!body || body->is_null()) return MessageVerdict{};
  std::string_view text;
  // A body that is not a string is sent as its text, which only jsoncpp's offsets give.
  if (body->get_string().get(text) != simdjson::SUCCESS) return std::nullopt;
  std::optional<simdjson::dom::element> base64 = LastMember(*root, "isBase64Encoded");
  // Only a boolean true asks for decoding, as in MessageResultWithJsoncpp.
  bool decode = false;
  if (base64 && base64->get_bool().get(decode) != simdjson::SUCCESS) decode = false;
  return StringBodyVerdict(text, decode);
}

}  // namespace internal

std::string GatewayErrorFrame(const std::string& message, const std::string& connection_id,
                              const std::string& request_id) {
  return "{\"message\": \"" + message + "\", \"connectionId\":\"" + connection_id +
         "\", \"requestId\":\"" + request_id + "\"}";
}

bool MatchesIamPattern(std::string_view pattern, std::string_view text, bool ignore_case) {
  auto same = [ignore_case](char a, char b) {
    if (!ignore_case) return a == b;
    return std::tolower(static_cast<unsigned char>(a)) ==
           std::tolower(static_cast<unsigned char>(b));
  };
  // Greedy with backtracking to the last '*': linear in practice, no recursion on hostile input.
  size_t p = 0;
  size_t t = 0;
  size_t star = std::string_view::npos;
  size_t star_text = 0;
  while (t < text.size()) {
    if (p < pattern.size() &&
        (pattern[p] == '?' || (pattern[p] != '*' && same(pattern[p], text[t])))) {
      ++p;
      ++t;
    } else if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      star_text = t;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      t = ++star_text;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

namespace {

AuthorizerVerdict RefusedBy(int status, std::string reason) {
  AuthorizerVerdict verdict;
  verdict.httpStatus = status;
  verdict.reason = std::move(reason);
  return verdict;
}

AuthorizerVerdict MalformedAuthorizerAnswer(const std::string& why) {
  return RefusedBy(500, "malformed authorizer answer: " + why);
}

// A policy element that is a string or an array of strings ("Action", "Resource").
std::optional<std::vector<std::string>> StringOrStrings(const Json::Value& value) {
  std::vector<std::string> out;
  if (value.isString()) {
    out.push_back(value.asString());
    return out;
  }
  if (!value.isArray() || value.empty()) return std::nullopt;
  for (const Json::Value& item : value) {
    if (!item.isString()) return std::nullopt;
    out.push_back(item.asString());
  }
  return out;
}

bool AnyMatches(const std::vector<std::string>& patterns, std::string_view text, bool ignore_case) {
  for (const std::string& pattern : patterns) {
    if (MatchesIamPattern(pattern, text, ignore_case)) return true;
  }
  return false;
}

}  // namespace

AuthorizerVerdict InterpretAuthorizerResult(const InvokeOutcome& outcome,
                                            const std::string& method_arn) {
  if (outcome.kind == Kind::kFunctionError) {
    // Lambda's error object for `throw new Error("Unauthorized")`, `callback("Unauthorized")` or
    // `raise Exception("Unauthorized")`: API Gateway's cue for 401.
    std::optional<Json::Value> error = ParseJsonObject(outcome.body);
    if (error && (*error)["errorMessage"].isString() &&
        (*error)["errorMessage"].asString() == "Unauthorized") {
      return RefusedBy(401, "the authorizer raised \"Unauthorized\"");
    }
    return RefusedBy(500, FailureReason(outcome));
  }
  if (outcome.kind != Kind::kOk) return RefusedBy(500, FailureReason(outcome));

  std::optional<Json::Value> result = ParseJson(outcome.body);
  if (!result) return MalformedAuthorizerAnswer("not JSON: " + Excerpt(outcome.body));
  const Json::Value& root = *result;
  if (!root.isObject()) {
    return MalformedAuthorizerAnswer("not a JSON object: " + Excerpt(outcome.body));
  }
  const Json::Value& principal = root["principalId"];
  if (!principal.isString()) {
    return MalformedAuthorizerAnswer(root.isMember("principalId") ? "principalId is not a string"
                                                                  : "no principalId");
  }
  const Json::Value& policy = root["policyDocument"];
  if (!policy.isObject()) {
    return MalformedAuthorizerAnswer(
        root.isMember("policyDocument") ? "policyDocument is not an object" : "no policyDocument");
  }
  Json::Value statements = policy["Statement"];
  if (statements.isObject()) {
    Json::Value one = statements;
    statements = Json::Value(Json::arrayValue);
    statements.append(one);
  }
  if (!statements.isArray()) {
    return MalformedAuthorizerAnswer("policyDocument.Statement is not an object or an array");
  }
  bool allowed = false;
  for (Json::ArrayIndex i = 0; i < statements.size(); ++i) {
    const Json::Value& statement = statements[i];
    const std::string where = "policyDocument.Statement[" + std::to_string(i) + "]";
    if (!statement.isObject()) return MalformedAuthorizerAnswer(where + " is not an object");
    const Json::Value& effect = statement["Effect"];
    if (!effect.isString() || (effect.asString() != "Allow" && effect.asString() != "Deny")) {
      return MalformedAuthorizerAnswer(where + ".Effect is not \"Allow\" or \"Deny\"");
    }
    std::optional<std::vector<std::string>> actions = StringOrStrings(statement["Action"]);
    if (!actions) {
      return MalformedAuthorizerAnswer(where + ".Action is not a string or an array of strings");
    }
    std::optional<std::vector<std::string>> resources = StringOrStrings(statement["Resource"]);
    if (!resources) {
      return MalformedAuthorizerAnswer(where + ".Resource is not a string or an array of strings");
    }
    if (!AnyMatches(*actions, "execute-api:Invoke", true) ||
        !AnyMatches(*resources, method_arn, false)) {
      continue;
    }
    // An explicit Deny wins over every Allow, as in IAM.
    if (effect.asString() == "Deny") return RefusedBy(403, "Deny policy for " + method_arn);
    allowed = true;
  }
  if (!allowed) return RefusedBy(403, "no Allow statement in the policy matches " + method_arn);

  AuthorizerVerdict verdict;
  const Json::Value& context = root["context"];
  if (!context.isNull()) {
    if (!context.isObject()) return MalformedAuthorizerAnswer("context is not an object");
    // jsoncpp leaves bytes that are not UTF-8 in strings as they were; events must be UTF-8.
    for (const std::string& key : context.getMemberNames()) {
      const Json::Value& value = context[key];
      if (value.isString()) {
        verdict.authorizer[ToValidUtf8(key)] = ToValidUtf8(value.asString());
      } else if (value.isBool()) {
        verdict.authorizer[ToValidUtf8(key)] = value.asBool() ? "true" : "false";
      } else if (value.isNumeric()) {
        verdict.authorizer[ToValidUtf8(key)] = OriginalCompactText(value, outcome.body);
      } else {
        return MalformedAuthorizerAnswer("context." + key + " is not a string, number or boolean");
      }
    }
  }
  verdict.authorizer["principalId"] = ToValidUtf8(principal.asString());
  return verdict;
}

const char* ToString(InvokeOutcome::Kind kind) {
  switch (kind) {
    case InvokeOutcome::Kind::kOk:
      return "ok";
    case InvokeOutcome::Kind::kFunctionError:
      return "function error";
    case InvokeOutcome::Kind::kUnreachable:
      return "unreachable";
    case InvokeOutcome::Kind::kTimeout:
      return "timeout";
    case InvokeOutcome::Kind::kBadStatus:
      return "bad status";
  }
  return "unknown";
}


InvokeOutcome ClassifyAnswer(HttpAnswer answer, int timeout_ms, double latency_ms) {
  using Kind = InvokeOutcome::Kind;
  InvokeOutcome outcome;
  outcome.latencyMs = latency_ms;
  outcome.httpStatus = answer.status;
  switch (answer.failure) {
    case HttpAnswer::Failure::kNone:
      break;
    case HttpAnswer::Failure::kTooLarge:
      outcome.kind = Kind::kFunctionError;
      outcome.detail = "response larger than 6 MB";
      return outcome;
    case HttpAnswer::Failure::kTimeout:
      outcome.kind = Kind::kTimeout;
      outcome.detail = "timed out after " + std::to_string(timeout_ms) + " ms";
      return outcome;
    case HttpAnswer::Failure::kUnreachable:
      outcome.kind = Kind::kUnreachable;
      outcome.detail = std::move(answer.detail);
      return outcome;
  }

  outcome.body = std::move(answer.body);
  if (outcome.httpStatus != 200) {
    outcome.kind = Kind::kBadStatus;
    outcome.detail = "invoke endpoint answered " + std::to_string(outcome.httpStatus);
    if (!outcome.body.empty()) outcome.detail += ": " + Excerpt(outcome.body, kStatusExcerptChars);
    return outcome;
  }

  // Only parse bodies that could be an error object; results can be megabytes.
  std::optional<Json::Value> error_object;
  if (outcome.body.find("\"error") != std::string::npos) {
    error_object = ParseJsonObject(outcome.body);
  }
  if (answer.function_error) {
    outcome.kind = Kind::kFunctionError;
    std::string words = error_object ? ErrorObjectDetail(*error_object) : "";
    outcome.detail = words.empty() ? "X-Amz-Function-Error: " + *answer.function_error : words;
    return outcome;
  }
  if (error_object && !error_object->isMember("statusCode") &&
      (error_object->isMember("errorMessage") || error_object->isMember("errorType"))) {
    outcome.kind = Kind::kFunctionError;
    outcome.detail = ErrorObjectDetail(*error_object);
    return outcome;
  }
  if (IsRieTimeoutText(outcome.body)) {
    outcome.kind = Kind::kFunctionError;
    outcome.detail = std::string(TrimSpace(outcome.body));
    return outcome;
  }
  outcome.kind = Kind::kOk;
  return outcome;
}

InvokeOutcome ForStartedFunction(InvokeOutcome outcome) {
  if (outcome.kind == InvokeOutcome::Kind::kUnreachable) {
    outcome.kind = InvokeOutcome::Kind::kFunctionError;
    outcome.detail = "the function's process is not running (" + outcome.detail + ")";
  }
  return outcome;
}

}  // namespace wsgw
