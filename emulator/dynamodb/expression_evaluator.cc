#include "base/base64.h"
#include "dynamodb/expression_evaluator.h"

#include <string>

#include "dynamodb/attribute_value.h"
#include "dynamodb/number.h"

namespace wsgw::dynamodb::expression {
namespace {

const Json::Value* Member(const Json::Value& object, const std::string& name) {
  if (!object.isObject()) return nullptr;
  return object.find(name.data(), name.data() + name.size());
}

// The decoded bytes of a B value (its text when it is not base64, which validation prevents).
std::string Bytes(const Json::Value& value) {
  const std::string text = value["B"].asString();
  return DecodeBase64(text).value_or(text);
}

// The length DynamoDB's size() gives a string: UTF-16 code units.
int64_t Utf16Length(const std::string& text) {
  int64_t units = 0;
  for (unsigned char c : text) {
    if ((c & 0xc0) == 0x80) continue;  // continuation byte
    units += c >= 0xf0 ? 2 : 1;
  }
  return units;
}

// size(): defined for S, B, sets, L and M.
std::optional<int64_t> SizeOf(const Json::Value& value) {
  const std::string type = TypeOf(value);
  if (type.empty()) return std::nullopt;
  const Json::Value& content = value[type];
  if (type == "S") return Utf16Length(content.asString());
  if (type == "B") return static_cast<int64_t>(Bytes(value).size());
  if (type == "SS" || type == "NS" || type == "BS" || type == "L" || type == "M") {
    return static_cast<int64_t>(content.size());
  }
  return std::nullopt;
}

// The value of a condition operand for one item: a reference into the item or the expression,
// or a value size() computed; empty when the operand has no value for this item.
class OperandValue {
 public:
  OperandValue() = default;
  static OperandValue Reference(const Json::Value* value) {
    OperandValue result;
    result.reference_ = value;
    return result;
  }
  static OperandValue Owning(Json::Value value) {
    OperandValue result;
    result.owned_ = std::move(value);
    result.owns_ = true;
    return result;
  }

  explicit operator bool() const { return owns_ || reference_ != nullptr; }
  const Json::Value& operator*() const { return owns_ ? owned_ : *reference_; }

 private:
  const Json::Value* reference_ = nullptr;
  Json::Value owned_;
  bool owns_ = false;
};

OperandValue Evaluate(const Operand& operand, const Json::Value& item) {
  switch (operand.kind) {
    case OperandKind::kPath:
      return OperandValue::Reference(Find(item, operand.path));
    case OperandKind::kValue:
      return OperandValue::Reference(&operand.value);
    case OperandKind::kSize: {
      OperandValue inner = Evaluate(operand.args[0], item);
      if (!inner) return OperandValue();
      std::optional<int64_t> size = SizeOf(*inner);
      if (!size) return OperandValue();
      Json::Value number(Json::objectValue);
      number["N"] = std::to_string(*size);
      return OperandValue::Owning(std::move(number));
    }
    default:
      return OperandValue();  // update-only operands never reach a condition
  }
}

bool Compare(Comparator comparator, const OperandValue& a, const OperandValue& b) {
  // `<>` is "not equal": true when either side is missing or the types differ.
  if (comparator == Comparator::kNe) return !(a && b && Equal(*a, *b));
  if (!a || !b) return false;
  if (comparator == Comparator::kEq) return Equal(*a, *b);
  std::optional<int> order = CompareOrdered(*a, *b);
  if (!order) return false;
  switch (comparator) {
    case Comparator::kLt:
      return *order < 0;
    case Comparator::kLe:
      return *order <= 0;
    case Comparator::kGt:
      return *order > 0;
    case Comparator::kGe:
      return *order >= 0;
    default:
      return false;
  }
}

bool Contains(const Json::Value& container, const Json::Value& operand) {
  const std::string type = TypeOf(container);
  const std::string operand_type = TypeOf(operand);
  const Json::Value& content = container[type];
  if (type == "S") {
    return operand_type == "S" &&
           content.asString().find(operand["S"].asString()) != std::string::npos;
  }
  if (type == "SS" || type == "NS" || type == "BS") {
    const std::string member_type = type.substr(0, 1);
    if (operand_type != member_type) return false;
    for (const Json::Value& member : content) {
      Json::Value wrapped(Json::objectValue);
      wrapped[member_type] = member;
      if (Equal(wrapped, operand)) return true;
    }
    return false;
  }
  if (type == "L") {
    for (const Json::Value& element : content) {
      if (Equal(element, operand)) return true;
    }
  }
  return false;
}

}  // namespace

const Json::Value* Find(const Json::Value& item, const Path& path) {
  if (path.elements.empty()) return nullptr;
  const Json::Value* current = Member(item, path.elements[0].name);
  for (size_t i = 1; i < path.elements.size() && current != nullptr; ++i) {
    const PathElement& element = path.elements[i];
    if (element.is_index) {
      const Json::Value* list = Member(*current, "L");
      if (list == nullptr || !list->isArray() || element.index >= list->size()) return nullptr;
      current = &(*list)[element.index];
    } else {
      const Json::Value* map = Member(*current, "M");
      current = map == nullptr ? nullptr : Member(*map, element.name);
    }
  }
  return current;
}

std::optional<int> CompareOrdered(const Json::Value& a, const Json::Value& b) {
  const std::string type = TypeOf(a);
  if (type != TypeOf(b)) return std::nullopt;
  if (type == "N") {
    std::optional<Number> x = Number::Parse(a["N"].asString(), nullptr);
    std::optional<Number> y = Number::Parse(b["N"].asString(), nullptr);
    if (!x || !y) return std::nullopt;
    return x->Compare(*y);
  }
  int order;
  if (type == "S") {
    order = a["S"].asString().compare(b["S"].asString());
  } else if (type == "B") {
    order = Bytes(a).compare(Bytes(b));
  } else {
    return std::nullopt;
  }
  return order < 0 ? -1 : (order > 0 ? 1 : 0);
}

bool BeginsWith(const Json::Value& value, const Json::Value& prefix) {
  const std::string type = TypeOf(value);
  if (type != TypeOf(prefix)) return false;
  std::string text, start;
  if (type == "S") {
    text = value["S"].asString();
    start = prefix["S"].asString();
  } else if (type == "B") {
    text = Bytes(value);
    start = Bytes(prefix);
  } else {
    return false;
  }
  return text.compare(0, start.size(), start) == 0 && text.size() >= start.size();
}

bool EvaluateCondition(const ConditionNode& node, const Json::Value& item) {
  switch (node.kind) {
    case ConditionKind::kAnd:
      return EvaluateCondition(node.children[0], item) && EvaluateCondition(node.children[1], item);
    case ConditionKind::kOr:
      return EvaluateCondition(node.children[0], item) || EvaluateCondition(node.children[1], item);
    case ConditionKind::kNot:
      return !EvaluateCondition(node.children[0], item);
    case ConditionKind::kCompare:
      return Compare(node.comparator, Evaluate(node.operands[0], item),
                     Evaluate(node.operands[1], item));
    case ConditionKind::kBetween: {
      OperandValue value = Evaluate(node.operands[0], item);
      OperandValue low = Evaluate(node.operands[1], item);
      OperandValue high = Evaluate(node.operands[2], item);
      if (!value || !low || !high) return false;
      std::optional<int> above = CompareOrdered(*value, *low);
      std::optional<int> below = CompareOrdered(*value, *high);
      return above && below && *above >= 0 && *below <= 0;
    }
    case ConditionKind::kIn: {
      OperandValue value = Evaluate(node.operands[0], item);
      if (!value) return false;
      for (size_t i = 1; i < node.operands.size(); ++i) {
        OperandValue candidate = Evaluate(node.operands[i], item);
        if (candidate && Equal(*value, *candidate)) return true;
      }
      return false;
    }
    case ConditionKind::kAttributeExists:
      return Find(item, node.operands[0].path) != nullptr;
    case ConditionKind::kAttributeNotExists:
      return Find(item, node.operands[0].path) == nullptr;
    case ConditionKind::kAttributeType: {
      OperandValue value = Evaluate(node.operands[0], item);
      OperandValue type = Evaluate(node.operands[1], item);
      return value && type && TypeOf(*type) == "S" && TypeOf(*value) == (*type)["S"].asString();
    }
    case ConditionKind::kBeginsWith: {
      OperandValue value = Evaluate(node.operands[0], item);
      OperandValue prefix = Evaluate(node.operands[1], item);
      return value && prefix && BeginsWith(*value, *prefix);
    }
    case ConditionKind::kContains: {
      OperandValue container = Evaluate(node.operands[0], item);
      OperandValue operand = Evaluate(node.operands[1], item);
      return container && operand && Contains(*container, *operand);
    }
  }
  return false;
}

}  // namespace wsgw::dynamodb::expression
