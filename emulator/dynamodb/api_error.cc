#include "dynamodb/api_error.h"

#include <utility>

namespace wsgw::dynamodb {
namespace {

constexpr char kDynamoDbPrefix[] = "com.amazonaws.dynamodb.v20120810#";
constexpr char kCoralPrefix[] = "com.amazon.coral.service#";
constexpr char kCoralValidatePrefix[] = "com.amazon.coral.validate#";

ApiError DynamoDbError(const std::string& kind, const std::string& message) {
  return ApiError(kDynamoDbPrefix + kind, message);
}

}  // namespace

ApiError::ApiError(std::string type, const std::string& message, int status)
    : std::runtime_error(message), type_(std::move(type)), status_(status) {}

Json::Value ErrorBody(const ApiError& error) {
  Json::Value body = error.extra();
  body["__type"] = error.type();
  // UnknownOperationException carries no message, as DynamoDB sends it.
  if (*error.what()) body[error.message_member()] = error.what();
  return body;
}

// DynamoDB's ValidationException comes from AWS's service framework, whose __type names its own
// namespace (every other exception is DynamoDB's own).
ApiError ValidationError(const std::string& message) {
  return ApiError(kCoralValidatePrefix + std::string("ValidationException"), message);
}

ApiError MissingMemberError(const std::string& member) {
  return ValidationError("1 validation error detected: Value null at '" + member +
                         "' failed to satisfy constraint: Member must not be null");
}

ApiError ResourceNotFoundError(const std::string& message) {
  return DynamoDbError("ResourceNotFoundException", message);
}

ApiError ResourceInUseError(const std::string& message) {
  return DynamoDbError("ResourceInUseException", message);
}

ApiError ConditionalCheckFailedError() {
  return DynamoDbError("ConditionalCheckFailedException", "The conditional request failed");
}

ApiError TransactionCanceledError(const Json::Value& cancellation_reasons) {
  std::string codes;
  for (const Json::Value& reason : cancellation_reasons) {
    if (!codes.empty()) codes += ", ";
    codes += reason["Code"].asString();
  }
  ApiError error = DynamoDbError(
      "TransactionCanceledException",
      "Transaction cancelled, please refer cancellation reasons for specific reasons [" + codes +
          "]");
  error.extra()["CancellationReasons"] = cancellation_reasons;
  error.set_message_member("Message");
  return error;
}

ApiError IdempotentParameterMismatchError() {
  return DynamoDbError("IdempotentParameterMismatchException",
                       "DynamoDB rejected the request because you retried a request with a "
                       "different payload but with an idempotent token that was already used.");
}

ApiError SerializationError(const std::string& message) {
  return ApiError(std::string(kCoralPrefix) + "SerializationException", message);
}

ApiError UnknownOperationError() {
  return ApiError(std::string(kCoralPrefix) + "UnknownOperationException", "");
}

ApiError InternalServerError(const std::string& message) {
  return ApiError(std::string(kDynamoDbPrefix) + "InternalServerError", message, 500);
}

}  // namespace wsgw::dynamodb
