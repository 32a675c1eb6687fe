// Update::Apply: how an UpdateExpression changes an item.
#include <algorithm>
#include <set>
#include <utility>

#include "base/base64.h"
#include "dynamodb/attribute_value.h"
#include "dynamodb/expression.h"
#include "dynamodb/expression_ast.h"
#include "dynamodb/expression_evaluator.h"
#include "dynamodb/number.h"

namespace wsgw::dynamodb {
namespace {

using expression::Operand;
using expression::OperandKind;
using expression::Path;
using expression::PathElement;
using expression::UpdateAction;
using expression::UpdateActionKind;

constexpr char kInvalidPath[] =
    "The document path provided in the update expression is invalid for update";
constexpr char kWrongType[] = "An operand in the update expression has an incorrect data type";
constexpr char kMissing[] =
    "The provided expression refers to an attribute that does not exist in the item";

bool Fail(std::string* error, std::string text) {
  if (error != nullptr) *error = std::move(text);
  return false;
}

// The container holding the path's last element: the item (an object) or the content of an M
// (an object) or an L (an array) inside it. Null when an intermediate value is missing or is not
// the map or list the next element needs.
Json::Value* Parent(Json::Value* item, const Path& path) {
  Json::Value* container = item;
  for (size_t i = 0; i + 1 < path.elements.size(); ++i) {
    const PathElement& element = path.elements[i];
    Json::Value* value = nullptr;
    if (element.is_index) {
      if (!container->isArray() || element.index >= container->size()) return nullptr;
      value = &(*container)[element.index];
    } else {
      if (!container->isObject() || !container->isMember(element.name)) return nullptr;
      value = &(*container)[element.name];
    }
    const char* needed = path.elements[i + 1].is_index ? "L" : "M";
    if (!value->isObject() || value->size() != 1 || !value->isMember(needed)) return nullptr;
    container = &(*value)[needed];
  }
  return container;
}

bool SetAt(Json::Value* item, const Path& path, Json::Value value, std::string* error) {
  Json::Value* container = Parent(item, path);
  if (container == nullptr) return Fail(error, kInvalidPath);
  const PathElement& last = path.elements.back();
  if (last.is_index) {
    if (!container->isArray()) return Fail(error, kInvalidPath);
    if (last.index < container->size()) {
      (*container)[last.index] = std::move(value);
    } else {
      container->append(std::move(value));  // DynamoDB appends past the end
    }
  } else {
    if (!container->isObject()) return Fail(error, kInvalidPath);
    (*container)[last.name] = std::move(value);
  }
  return true;
}

bool RemoveAt(Json::Value* item, const Path& path, std::string* error) {
  Json::Value* container = Parent(item, path);
  if (container == nullptr) return Fail(error, kInvalidPath);
  const PathElement& last = path.elements.back();
  if (last.is_index) {
    if (container->isArray() && last.index < container->size()) {
      Json::Value removed;
      container->removeIndex(last.index, &removed);
    }
  } else if (container->isObject()) {
    container->removeMember(last.name);
  }
  return true;
}

// The value of a SET operand against the item before the update.
std::optional<Json::Value> Evaluate(const Operand& operand, const Json::Value& item,
                                    std::string* error) {
  switch (operand.kind) {
    case OperandKind::kValue:
      return operand.value;
    case OperandKind::kPath: {
      const Json::Value* found = expression::Find(item, operand.path);
      if (found == nullptr) {
        Fail(error, kMissing);
        return std::nullopt;
      }
      return *found;
    }
    case OperandKind::kIfNotExists: {
      const Json::Value* found = expression::Find(item, operand.args[0].path);
      if (found != nullptr) return *found;
      return Evaluate(operand.args[1], item, error);
    }
    case OperandKind::kListAppend: {
      std::optional<Json::Value> first = Evaluate(operand.args[0], item, error);
      if (!first) return std::nullopt;
      std::optional<Json::Value> second = Evaluate(operand.args[1], item, error);
      if (!second) return std::nullopt;
      if (TypeOf(*first) != "L" || TypeOf(*second) != "L") {
        Fail(error, kWrongType);
        return std::nullopt;
      }
      for (const Json::Value& element : (*second)["L"]) (*first)["L"].append(element);
      return first;
    }
    case OperandKind::kPlus:
    case OperandKind::kMinus: {
      std::optional<Json::Value> first = Evaluate(operand.args[0], item, error);
      if (!first) return std::nullopt;
      std::optional<Json::Value> second = Evaluate(operand.args[1], item, error);
      if (!second) return std::nullopt;
      if (TypeOf(*first) != "N" || TypeOf(*second) != "N") {
        Fail(error, kWrongType);
        return std::nullopt;
      }
      std::optional<Number> a = Number::Parse((*first)["N"].asString(), error);
      std::optional<Number> b = Number::Parse((*second)["N"].asString(), error);
      if (!a || !b) return std::nullopt;
      std::optional<Number> result =
          operand.kind == OperandKind::kPlus ? a->Add(*b, error) : a->Subtract(*b, error);
      if (!result) return std::nullopt;
      Json::Value number(Json::objectValue);
      number["N"] = result->ToString();
      return number;
    }
    case OperandKind::kSize:
      break;  // conditions only
  }
  Fail(error, kWrongType);
  return std::nullopt;
}

// A set member's identity: numbers by value, binaries by decoded bytes.
std::string MemberKey(const std::string& set_type, const Json::Value& member) {
  const std::string text = member.asString();
  if (set_type == "NS") {
    std::optional<Number> number = Number::Parse(text, nullptr);
    return number ? number->OrderedKey() : text;
  }
  if (set_type == "BS") return DecodeBase64(text).value_or(text);
  return text;
}

bool Add(Json::Value* item, const Path& path, const Json::Value& value, std::string* error) {
  if (Parent(item, path) == nullptr) return Fail(error, kInvalidPath);
  const Json::Value* existing = expression::Find(*item, path);
  if (existing == nullptr) return SetAt(item, path, value, error);
  const std::string type = TypeOf(*existing);
  if (type != TypeOf(value)) return Fail(error, kWrongType);
  Json::Value result = *existing;
  if (type == "N") {
    std::optional<Number> a = Number::Parse((*existing)["N"].asString(), error);
    std::optional<Number> b = Number::Parse(value["N"].asString(), error);
    if (!a || !b) return false;
    std::optional<Number> sum = a->Add(*b, error);
    if (!sum) return false;
    result["N"] = sum->ToString();
  } else if (type == "SS" || type == "NS" || type == "BS") {
    std::set<std::string> present;
    for (const Json::Value& member : (*existing)[type]) present.insert(MemberKey(type, member));
    for (const Json::Value& member : value[type]) {
      if (present.insert(MemberKey(type, member)).second) result[type].append(member);
    }
  } else {
    return Fail(error, kWrongType);
  }
  return SetAt(item, path, std::move(result), error);
}

bool Delete(Json::Value* item, const Path& path, const Json::Value& value, std::string* error) {
  if (Parent(item, path) == nullptr) return Fail(error, kInvalidPath);
  const Json::Value* existing = expression::Find(*item, path);
  if (existing == nullptr) return true;
  const std::string type = TypeOf(*existing);
  if (type != TypeOf(value) || (type != "SS" && type != "NS" && type != "BS")) {
    return Fail(error, kWrongType);
  }
  std::set<std::string> removed;
  for (const Json::Value& member : value[type]) removed.insert(MemberKey(type, member));
  Json::Value remaining(Json::arrayValue);
  for (const Json::Value& member : (*existing)[type]) {
    if (removed.count(MemberKey(type, member)) == 0) remaining.append(member);
  }
  if (remaining.empty()) return RemoveAt(item, path, error);
  Json::Value result(Json::objectValue);
  result[type] = std::move(remaining);
  return SetAt(item, path, std::move(result), error);
}

// Orders REMOVE paths so that, within one list, higher indexes go first and the lower indexes
// the expression named still point at the elements it meant.
bool RemovesFirst(const Path* a, const Path* b) {
  const size_t common = std::min(a->elements.size(), b->elements.size());
  for (size_t i = 0; i < common; ++i) {
    const PathElement& x = a->elements[i];
    const PathElement& y = b->elements[i];
    if (x.is_index && y.is_index && x.index != y.index) return x.index > y.index;
    if (!x.is_index && !y.is_index && x.name != y.name) return x.name > y.name;
  }
  return a->elements.size() > b->elements.size();
}

}  // namespace

bool Update::Apply(Json::Value* item, std::string* error) const {
  const Json::Value& before = *item;
  std::vector<std::pair<const Path*, Json::Value>> sets;
  for (const UpdateAction& action : *actions_) {
    if (action.kind != UpdateActionKind::kSet) continue;
    std::optional<Json::Value> value = Evaluate(action.value, before, error);
    if (!value) return false;
    sets.emplace_back(&action.path, std::move(*value));
  }
  Json::Value after = before.isObject() ? before : Json::Value(Json::objectValue);
  for (auto& [path, value] : sets) {
    if (!SetAt(&after, *path, std::move(value), error)) return false;
  }
  std::vector<const Path*> removes;
  for (const UpdateAction& action : *actions_) {
    if (action.kind == UpdateActionKind::kRemove) removes.push_back(&action.path);
  }
  std::sort(removes.begin(), removes.end(), RemovesFirst);
  for (const Path* path : removes) {
    if (!RemoveAt(&after, *path, error)) return false;
  }
  for (const UpdateAction& action : *actions_) {
    if (action.kind == UpdateActionKind::kAdd &&
        !Add(&after, action.path, action.value.value, error)) {
      return false;
    }
  }
  for (const UpdateAction& action : *actions_) {
    if (action.kind == UpdateActionKind::kDelete &&
        !Delete(&after, action.path, action.value.value, error)) {
      return false;
    }
  }
  // A SET can wrap a value in more levels than DynamoDB stores; the written attributes are
  // checked the way a PutItem's would be.
  for (const std::string& name : TopLevelNames()) {
    const Json::Value* written = after.find(name.data(), name.data() + name.size());
    if (written != nullptr && !ValidateAttributeValue(*written, error)) return false;
  }
  *item = std::move(after);
  return true;
}

}  // namespace wsgw::dynamodb
