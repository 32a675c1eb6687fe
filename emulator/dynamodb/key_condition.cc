#include "dynamodb/key_condition.h"

#include <vector>

#include "dynamodb/attribute_value.h"
#include "dynamodb/expression_ast.h"
#include "dynamodb/expression_evaluator.h"
#include "dynamodb/expression_parser.h"

namespace wsgw::dynamodb {
namespace {

using expression::Comparator;
using expression::ConditionKind;
using expression::ConditionNode;
using expression::Operand;
using expression::OperandKind;

bool Fail(std::string* error, std::string text) {
  if (error != nullptr) *error = std::move(text);
  return false;
}

// One condition of the expression, on one attribute.
struct Term {
  std::string name;
  KeyCondition::Op op = KeyCondition::Op::kNone;
  Json::Value value1;
  Json::Value value2;
};

std::string OperatorName(const ConditionNode& node) {
  switch (node.kind) {
    case ConditionKind::kOr:
      return "OR";
    case ConditionKind::kNot:
      return "NOT";
    case ConditionKind::kIn:
      return "IN";
    case ConditionKind::kAttributeExists:
      return "attribute_exists";
    case ConditionKind::kAttributeNotExists:
      return "attribute_not_exists";
    case ConditionKind::kAttributeType:
      return "attribute_type";
    case ConditionKind::kContains:
      return "contains";
    case ConditionKind::kCompare:
      return node.comparator == Comparator::kNe ? "<>" : "";
    default:
      return "";
  }
}

KeyCondition::Op OpOf(Comparator comparator, bool flipped) {
  switch (comparator) {
    case Comparator::kLt:
      return flipped ? KeyCondition::Op::kGt : KeyCondition::Op::kLt;
    case Comparator::kLe:
      return flipped ? KeyCondition::Op::kGe : KeyCondition::Op::kLe;
    case Comparator::kGt:
      return flipped ? KeyCondition::Op::kLt : KeyCondition::Op::kGt;
    case Comparator::kGe:
      return flipped ? KeyCondition::Op::kLe : KeyCondition::Op::kGe;
    default:
      return KeyCondition::Op::kEq;
  }
}

// Splits the AND tree into terms, refusing what a key condition cannot express.
bool CollectTerms(const ConditionNode& node, std::vector<Term>* terms, std::string* error) {
  if (node.kind == ConditionKind::kAnd) {
    return CollectTerms(node.children[0], terms, error) &&
           CollectTerms(node.children[1], terms, error);
  }
  const std::string refused = OperatorName(node);
  if (!refused.empty()) {
    return Fail(error, "Invalid operator used in KeyConditionExpression: " + refused);
  }
  const std::vector<Operand>& operands = node.operands;
  for (const Operand& operand : operands) {
    if (operand.kind == OperandKind::kSize) {
      return Fail(error, "Invalid operator used in KeyConditionExpression: size");
    }
  }
  size_t paths = 0;
  for (const Operand& operand : operands) paths += operand.kind == OperandKind::kPath ? 1 : 0;
  if (paths > 1) {
    return Fail(error,
                "Invalid condition in KeyConditionExpression: Multiple attribute names used in one "
                "condition");
  }
  if (paths == 0) {
    return Fail(error, "Invalid condition in KeyConditionExpression: No key attribute specified");
  }
  Term term;
  const Operand* key = &operands[0];
  if (node.kind == ConditionKind::kCompare) {
    const bool flipped = operands[0].kind != OperandKind::kPath;
    key = &operands[flipped ? 1 : 0];
    term.op = OpOf(node.comparator, flipped);
    term.value1 = operands[flipped ? 0 : 1].value;
  } else if (node.kind == ConditionKind::kBetween || node.kind == ConditionKind::kBeginsWith) {
    if (operands[0].kind != OperandKind::kPath) {
      return Fail(error, "Invalid condition in KeyConditionExpression: No key attribute specified");
    }
    term.op = node.kind == ConditionKind::kBetween ? KeyCondition::Op::kBetween
                                                   : KeyCondition::Op::kBeginsWith;
    term.value1 = operands[1].value;
    if (node.kind == ConditionKind::kBetween) term.value2 = operands[2].value;
  }
  if (key->path.elements.size() != 1) {
    return Fail(error, InvalidExpressionMessage(
                           "KeyConditionExpression",
                           "KeyConditionExpressions cannot have conditions on nested attributes"));
  }
  term.name = key->path.elements[0].name;
  terms->push_back(std::move(term));
  return true;
}

}  // namespace

std::optional<KeyCondition> KeyCondition::Parse(std::string_view text, const KeySchemaNames& schema,
                                                const ExpressionInputs& inputs,
                                                UsedPlaceholders* used, std::string* error) {
  ConditionNode root;
  UsedPlaceholders mine;
  if (!expression::ParseConditionExpression(text, "KeyConditionExpression", inputs, &mine, &root,
                                            error)) {
    return std::nullopt;
  }
  std::vector<Term> terms;
  if (!CollectTerms(root, &terms, error)) return std::nullopt;
  KeyCondition condition;
  bool have_hash = false, have_range = false, other = false;
  for (Term& term : terms) {
    if (term.name == schema.hash) {
      if (have_hash) {
        Fail(error, "KeyConditionExpressions must only contain one condition per key");
        return std::nullopt;
      }
      if (term.op != Op::kEq) {
        Fail(error, "Query key condition not supported");
        return std::nullopt;
      }
      have_hash = true;
      condition.hash_value = std::move(term.value1);
    } else if (!schema.range.empty() && term.name == schema.range) {
      if (have_range) {
        Fail(error, "KeyConditionExpressions must only contain one condition per key");
        return std::nullopt;
      }
      have_range = true;
      condition.range_op = term.op;
      condition.range_value1 = std::move(term.value1);
      condition.range_value2 = std::move(term.value2);
    } else {
      other = true;
    }
  }
  if (!have_hash) {
    Fail(error, "Query condition missed key schema element: " + schema.hash);
    return std::nullopt;
  }
  if (other) {
    Fail(error, schema.range.empty()
                    ? std::string("Query key condition not supported")
                    : "Query condition missed key schema element: " + schema.range);
    return std::nullopt;
  }
  if (used != nullptr) {
    used->names.insert(mine.names.begin(), mine.names.end());
    used->values.insert(mine.values.begin(), mine.values.end());
  }
  return condition;
}

bool KeyCondition::RangeMatches(const Json::Value& range) const {
  if (range_op == Op::kNone) return true;
  if (range_op == Op::kBeginsWith) return expression::BeginsWith(range, range_value1);
  std::optional<int> order = expression::CompareOrdered(range, range_value1);
  if (!order) return false;
  switch (range_op) {
    case Op::kEq:
      return *order == 0;
    case Op::kLt:
      return *order < 0;
    case Op::kLe:
      return *order <= 0;
    case Op::kGt:
      return *order > 0;
    case Op::kGe:
      return *order >= 0;
    case Op::kBetween: {
      std::optional<int> upper = expression::CompareOrdered(range, range_value2);
      return *order >= 0 && upper && *upper <= 0;
    }
    default:
      return false;
  }
}

}  // namespace wsgw::dynamodb
