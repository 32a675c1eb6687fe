// A parsed KeyConditionExpression: an equality on the hash key and at most one condition on the
// range key, joined by AND in either order:
//   hash = :v [AND range (= | < | <= | > | >=) :w | range BETWEEN :w AND :x | begins_with(range,
//   :w)]
// Placeholders, `used` and `error` work as in expression.h. The operation still checks that the
// values' types match the key schema's attribute types.
#pragma once

#include <json/json.h>

#include <optional>
#include <string>
#include <string_view>

#include "dynamodb/expression.h"

namespace wsgw::dynamodb {

struct KeySchemaNames {
  std::string hash;
  std::string range;  // empty when the table (or index) has no range key
};

struct KeyCondition {
  enum class Op { kNone, kEq, kLt, kLe, kGt, kGe, kBetween, kBeginsWith };

  Json::Value hash_value;    // e.g. {"S": "user1"}
  Op range_op = Op::kNone;   // kNone: no condition on the range key
  Json::Value range_value1;  // the operand; BETWEEN's lower bound
  Json::Value range_value2;  // BETWEEN's upper bound

  // Errors are DynamoDB's, e.g. "Query condition missed key schema element: id",
  // "Query key condition not supported", "KeyConditionExpressions must only contain one condition
  // per key", "Invalid operator used in KeyConditionExpression: OR", or the parser's
  // "Invalid KeyConditionExpression: ..." messages.
  static std::optional<KeyCondition> Parse(std::string_view text, const KeySchemaNames& schema,
                                           const ExpressionInputs& inputs, UsedPlaceholders* used,
                                           std::string* error);

  // Whether `range` (a range key value) satisfies the range condition; true for kNone. Values of
  // another type never match.
  bool RangeMatches(const Json::Value& range) const;
};

}  // namespace wsgw::dynamodb
