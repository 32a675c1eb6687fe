// RequestExpressions: the expression parameters of one request (or of one transaction item),
// parsed together against its ExpressionAttributeNames/Values so that a placeholder none of them
// uses is refused as DynamoDB refuses it. Parse errors become ValidationException.
// Also carries the legacy AttributesToGet list, the pre-expression form of a projection.
#pragma once

#include <json/json.h>

#include <optional>
#include <string>
#include <vector>

#include "dynamodb/expression.h"
#include "dynamodb/key_condition.h"

namespace wsgw::dynamodb {

struct RequestExpressions {
  std::optional<Condition> condition;                         // ConditionExpression
  std::optional<Condition> filter;                            // FilterExpression
  std::optional<Update> update;                               // UpdateExpression
  std::optional<Projection> projection;                       // ProjectionExpression
  std::optional<KeyCondition> key_condition;                  // KeyConditionExpression
  std::optional<std::vector<std::string>> attributes_to_get;  // AttributesToGet

  // Parses whichever of the parameters `request` has. `key_schema` is needed for a
  // KeyConditionExpression (Query); null elsewhere.
  static RequestExpressions Parse(const Json::Value& request, const KeySchemaNames* key_schema);

  // The item as the request's ProjectionExpression or AttributesToGet selects it (whole without).
  Json::Value Project(const Json::Value& item) const;
  bool HasProjection() const { return projection || attributes_to_get; }
};

}  // namespace wsgw::dynamodb
