// The recursive-descent parser for DynamoDB's expression parameters (internal; the public API is
// expression.h and key_condition.h). Each function tokenizes `text`, builds the tree, resolves
// placeholders, runs DynamoDB's static checks (reserved words, function names and arities,
// operand types of literal values, overlapping paths) and on failure sets *error to the complete
// message. Placeholders are added to *used only on success.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "dynamodb/expression.h"
#include "dynamodb/expression_ast.h"

namespace wsgw::dynamodb::expression {

bool ParseConditionExpression(std::string_view text, std::string_view parameter,
                              const ExpressionInputs& inputs, UsedPlaceholders* used,
                              ConditionNode* out, std::string* error);

bool ParseUpdateExpression(std::string_view text, const ExpressionInputs& inputs,
                           UsedPlaceholders* used, std::vector<UpdateAction>* out,
                           std::string* error);

bool ParseProjectionExpression(std::string_view text, const ExpressionInputs& inputs,
                               UsedPlaceholders* used, std::vector<Path>* out, std::string* error);

// DynamoDB's rendering of a value in messages: "AttributeValue: {N:3}".
std::string DescribeValue(const Json::Value& value);

}  // namespace wsgw::dynamodb::expression
