// ApiError: a refused DynamoDB request as DynamoDB words it. Every operation throws one of these
// for bad input or a failed condition; Service turns it into the response with ErrorBody(), the
// one place that builds error bodies, so every refusal has AWS's exact shape:
//   {"__type":"com.amazon.coral.validate#ValidationException","message":"..."}
// plus, for some kinds, extra members (CancellationReasons, Item).
#pragma once

#include <json/json.h>

#include <stdexcept>
#include <string>

namespace wsgw::dynamodb {

class ApiError : public std::runtime_error {
 public:
  // `type` is the full __type, e.g. "com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException".
  ApiError(std::string type, const std::string& message, int status = 400);

  const std::string& type() const { return type_; }
  int status() const { return status_; }
  // Members beside __type and message, e.g. CancellationReasons; an object, maybe empty.
  Json::Value& extra() { return extra_; }
  const Json::Value& extra() const { return extra_; }
  // The member the message goes in: "message", except where DynamoDB writes "Message"
  // (TransactionCanceledException).
  const std::string& message_member() const { return message_member_; }
  void set_message_member(std::string member) { message_member_ = std::move(member); }

 private:
  std::string type_;
  int status_;
  Json::Value extra_{Json::objectValue};
  std::string message_member_ = "message";
};

// The body DynamoDB sends for this error.
Json::Value ErrorBody(const ApiError& error);

ApiError ValidationError(const std::string& message);
// "1 validation error detected: Value null at 'tableName' failed to satisfy constraint: Member
// must not be null": `member` is the lowerCamel wire name, as DynamoDB spells it.
ApiError MissingMemberError(const std::string& member);
ApiError ResourceNotFoundError(const std::string& message = "Requested resource not found");
ApiError ResourceInUseError(const std::string& message);
ApiError ConditionalCheckFailedError();
ApiError TransactionCanceledError(const Json::Value& cancellation_reasons);
ApiError IdempotentParameterMismatchError();
ApiError SerializationError(const std::string& message);
ApiError UnknownOperationError();
ApiError InternalServerError(const std::string& message);

}  // namespace wsgw::dynamodb
