// The trees the expression parser builds (internal to the expression code). Placeholders are
// already resolved: a Path holds attribute names, an Operand of kind kValue the attribute value.
#pragma once

#include <json/json.h>

#include <cstdint>
#include <string>
#include <vector>

namespace wsgw::dynamodb::expression {

struct PathElement {
  bool is_index = false;
  std::string name;    // when !is_index
  uint32_t index = 0;  // when is_index
};

struct Path {
  std::vector<PathElement> elements;  // elements[0] is a name
  // DynamoDB's rendering in messages: "[a, b, [2]]".
  std::string ToString() const;
};

enum class OperandKind {
  kPath,
  kValue,
  kSize,         // size(args[0])
  kIfNotExists,  // if_not_exists(args[0] (a path), args[1])
  kListAppend,   // list_append(args[0], args[1])
  kPlus,         // args[0] + args[1]
  kMinus,        // args[0] - args[1]
};

struct Operand {
  OperandKind kind = OperandKind::kValue;
  Path path;          // kPath
  Json::Value value;  // kValue
  std::vector<Operand> args;
};

enum class Comparator { kEq, kNe, kLt, kLe, kGt, kGe };

enum class ConditionKind {
  kCompare,             // operands[0] comparator operands[1]
  kBetween,             // operands[0] BETWEEN operands[1] AND operands[2]
  kIn,                  // operands[0] IN (operands[1..])
  kAttributeExists,     // operands[0] is a path
  kAttributeNotExists,  // operands[0] is a path
  kAttributeType,       // operands[0] path, operands[1] an S value naming the type
  kBeginsWith,
  kContains,
  kAnd,  // children[0], children[1]
  kOr,
  kNot,  // children[0]
};

struct ConditionNode {
  ConditionKind kind = ConditionKind::kAnd;
  Comparator comparator = Comparator::kEq;
  std::vector<Operand> operands;
  std::vector<ConditionNode> children;
};

enum class UpdateActionKind { kSet, kRemove, kAdd, kDelete };

struct UpdateAction {
  UpdateActionKind kind = UpdateActionKind::kSet;
  Path path;
  Operand value;  // kSet: the new value; kAdd/kDelete: a kValue operand; unused for kRemove
};

}  // namespace wsgw::dynamodb::expression
