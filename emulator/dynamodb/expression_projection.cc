// Projection::Apply: which parts of an item a ProjectionExpression keeps.
#include <map>
#include <optional>
#include <string>

#include "dynamodb/attribute_value.h"
#include "dynamodb/expression.h"
#include "dynamodb/expression_ast.h"

namespace wsgw::dynamodb {
namespace {

// The selected parts below one value: the whole value, or some map keys, or some list elements
// (never both: the parser refuses such paths as conflicting).
struct Selection {
  bool whole = false;
  std::map<std::string, Selection> keys;
  std::map<uint32_t, Selection> elements;
};

std::optional<Json::Value> Select(const Json::Value& value, const Selection& selection) {
  if (selection.whole) return value;
  const std::string type = TypeOf(value);
  if (!selection.keys.empty()) {
    if (type != "M") return std::nullopt;
    Json::Value map(Json::objectValue);
    for (const auto& [key, below] : selection.keys) {
      const Json::Value* member = value["M"].find(key.data(), key.data() + key.size());
      if (member == nullptr) continue;
      std::optional<Json::Value> selected = Select(*member, below);
      if (selected) map[key] = std::move(*selected);
    }
    if (map.empty()) return std::nullopt;
    Json::Value result(Json::objectValue);
    result["M"] = std::move(map);
    return result;
  }
  if (type != "L") return std::nullopt;
  const Json::Value& list = value["L"];
  Json::Value elements(Json::arrayValue);
  for (const auto& [index, below] : selection.elements) {
    if (index >= list.size()) break;
    std::optional<Json::Value> selected = Select(list[index], below);
    if (selected) elements.append(std::move(*selected));
  }
  if (elements.empty()) return std::nullopt;
  Json::Value result(Json::objectValue);
  result["L"] = std::move(elements);
  return result;
}

}  // namespace

Json::Value Projection::Apply(const Json::Value& item) const {
  Selection root;
  for (const expression::Path& path : *paths_) {
    Selection* node = &root;
    for (const expression::PathElement& element : path.elements) {
      node = element.is_index ? &node->elements[element.index] : &node->keys[element.name];
    }
    node->whole = true;
  }
  Json::Value projected(Json::objectValue);
  if (!item.isObject()) return projected;
  for (const auto& [name, below] : root.keys) {
    const Json::Value* value = item.find(name.data(), name.data() + name.size());
    if (value == nullptr) continue;
    std::optional<Json::Value> selected = Select(*value, below);
    if (selected) projected[name] = std::move(*selected);
  }
  return projected;
}

}  // namespace wsgw::dynamodb
