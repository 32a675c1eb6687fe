// DynamoDB's expression parameters: ConditionExpression and FilterExpression (Condition),
// UpdateExpression (Update) and ProjectionExpression (Projection). KeyConditionExpression is in
// key_condition.h.
//
// Every Parse works the same way:
//  - `inputs` holds the request's ExpressionAttributeNames and ExpressionAttributeValues (either
//    may be null when the request has none); #name and :value placeholders are resolved against
//    them while parsing, so the parsed expression needs nothing else later.
//  - the placeholders the expression used are added to *used (may be null). The operation
//    unions them over all expressions of a request and reports what is left over with
//    UnusedPlaceholdersMessage.
//  - on failure it returns nullopt and sets *error (may be null) to DynamoDB's ValidationException
//    message, e.g. `Invalid UpdateExpression: Syntax error; token: "x", near: "a x"` or
//    `Invalid ConditionExpression: Attribute name is a reserved keyword; reserved keyword: status`.
//    A syntax error anywhere wins over any other error; otherwise the first error in text order.
//
// Evaluation never fails for conditions (a comparison across types, or on a missing attribute,
// is false). Update::Apply can fail on the item's data (DynamoDB's messages, no prefix).
//
// Items and values are in wire shape (see attribute_value.h) and must be valid.
#pragma once

#include <json/json.h>

#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace wsgw::dynamodb {

namespace expression {
struct ConditionNode;  // expression_ast.h
struct UpdateAction;
struct Path;
}  // namespace expression

struct ExpressionInputs {
  const Json::Value* names = nullptr;   // ExpressionAttributeNames: {"#n": "name", ...}
  const Json::Value* values = nullptr;  // ExpressionAttributeValues: {":v": {"S": "x"}, ...}
};

struct UsedPlaceholders {
  std::set<std::string> names;   // "#n"
  std::set<std::string> values;  // ":v"
};

// "Invalid <parameter>: <message>": the one place that prefixes expression errors.
std::string InvalidExpressionMessage(std::string_view parameter, std::string_view message);

// DynamoDB's error for placeholders given in the request but used by none of its expressions, or
// "" when all were used: "Value provided in ExpressionAttributeNames unused in expressions: keys:
// {#a, #b}" (names are checked before values).
std::string UnusedPlaceholdersMessage(const ExpressionInputs& inputs, const UsedPlaceholders& used);

// ConditionExpression / FilterExpression:
//   condition := operand comparator operand          comparator: = <> < <= > >=
//              | operand BETWEEN operand AND operand
//              | operand IN ( operand, ... )
//              | function ( operand, ... )   attribute_exists attribute_not_exists attribute_type
//                                            begins_with contains
//              | condition AND condition | condition OR condition | NOT primary | ( condition )
//   operand   := path | :value | size(path) | ( operand )
//   path      := name ( .name | [index] )*     name: an identifier or a #placeholder
// Precedence, tightest first: comparisons, IN, BETWEEN, functions, NOT, AND, OR. NOT takes one
// condition or group ("NOT NOT a" is a syntax error), "((a = :v))" is refused as redundant, and
// DynamoDB's limits hold: 4 KB of text, 300 operators and functions, 100 IN operands.
class Condition {
 public:
  // `parameter` names the request parameter for messages: "ConditionExpression",
  // "FilterExpression" (KeyCondition uses "KeyConditionExpression").
  static std::optional<Condition> Parse(std::string_view text, std::string_view parameter,
                                        const ExpressionInputs& inputs, UsedPlaceholders* used,
                                        std::string* error);

  // True when `item` (attribute name -> value; an empty object for a missing item) satisfies it.
  bool Evaluate(const Json::Value& item) const;

 private:
  std::shared_ptr<const expression::ConditionNode> root_;
};

class Projection;

// UpdateExpression: clauses in any order, each at most once, actions separated by commas:
//   SET path = value [, ...]      value := operand [ (+|-) operand ]
//                                 operand := path | :value | if_not_exists(path, operand)
//                                          | list_append(operand, operand)
//   REMOVE path [, ...]
//   ADD path :value [, ...]       number addition or set union; creates a missing attribute
//   DELETE path :value [, ...]    set difference; removing the last member removes the attribute
// Apply evaluates every operand against the item as it was before the update, then applies SET,
// REMOVE (list elements shift down), ADD and DELETE.
class Update {
 public:
  static std::optional<Update> Parse(std::string_view text, const ExpressionInputs& inputs,
                                     UsedPlaceholders* used, std::string* error);

  // Applies the update to *item (an empty object for a new item). On failure leaves *item
  // unchanged and sets *error, e.g. "The document path provided in the update expression is
  // invalid for update", "An operand in the update expression has an incorrect data type",
  // "The provided expression refers to an attribute that does not exist in the item".
  bool Apply(Json::Value* item, std::string* error) const;

  // The top-level attribute names the update writes (each once, in text order), e.g. for the
  // "Cannot update attribute id. This attribute is part of the key" check.
  std::vector<std::string> TopLevelNames() const;

  // The document paths the update writes, as a projection: UpdateItem's UPDATED_OLD and
  // UPDATED_NEW return exactly these parts of the item (`SET a.b = :v` returns {a: {b: ...}}).
  Projection WrittenPaths() const;

 private:
  std::shared_ptr<const std::vector<expression::UpdateAction>> actions_;
};

// ProjectionExpression: path [, path ...]. Overlapping paths are an error.
class Projection {
 public:
  static std::optional<Projection> Parse(std::string_view text, const ExpressionInputs& inputs,
                                         UsedPlaceholders* used, std::string* error);

  // The projected item: the selected attributes only, nested maps and lists kept in shape; of a
  // list only the selected elements remain, in index order. Paths that do not exist are left out.
  Json::Value Apply(const Json::Value& item) const;

  // The top-level attribute names the projection selects (each once, in text order).
  std::vector<std::string> TopLevelNames() const;

 private:
  friend class Update;
  std::shared_ptr<const std::vector<expression::Path>> paths_;
};

}  // namespace wsgw::dynamodb
