// Evaluation of parsed conditions against an item, and the value helpers the update, projection
// and key-condition code share (internal to the expression code).
#pragma once

#include <json/json.h>

#include <optional>

#include "dynamodb/expression_ast.h"

namespace wsgw::dynamodb::expression {

// The value at `path` in `item` (attribute name -> value), or null when the item has nothing
// there (a missing attribute, a missing map key, an index past a list's end, or a path through a
// value that is not a map or a list).
const Json::Value* Find(const Json::Value& item, const Path& path);

// The order of two values of the same ordered type: S by UTF-8 bytes, N numerically, B by
// decoded bytes. nullopt for other or different types.
std::optional<int> CompareOrdered(const Json::Value& a, const Json::Value& b);

// begins_with: an S prefix of an S, or a B prefix of a B.
bool BeginsWith(const Json::Value& value, const Json::Value& prefix);

bool EvaluateCondition(const ConditionNode& node, const Json::Value& item);

}  // namespace wsgw::dynamodb::expression
