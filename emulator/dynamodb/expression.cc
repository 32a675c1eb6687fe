#include "dynamodb/expression.h"

#include <utility>

#include "dynamodb/expression_ast.h"
#include "dynamodb/expression_evaluator.h"
#include "dynamodb/expression_parser.h"

namespace wsgw::dynamodb {
namespace {

std::string UnusedKeys(const Json::Value* given, const std::set<std::string>& used) {
  if (given == nullptr || !given->isObject()) return "";
  std::string keys;
  for (const std::string& key : given->getMemberNames()) {
    if (used.count(key) != 0) continue;
    if (!keys.empty()) keys += ", ";
    keys += key;
  }
  return keys;
}

void AddTopLevelName(const expression::Path& path, std::vector<std::string>* names) {
  const std::string& name = path.elements[0].name;
  for (const std::string& seen : *names) {
    if (seen == name) return;
  }
  names->push_back(name);
}

}  // namespace

std::string InvalidExpressionMessage(std::string_view parameter, std::string_view message) {
  return "Invalid " + std::string(parameter) + ": " + std::string(message);
}

std::string UnusedPlaceholdersMessage(const ExpressionInputs& inputs,
                                      const UsedPlaceholders& used) {
  std::string names = UnusedKeys(inputs.names, used.names);
  if (!names.empty()) {
    return "Value provided in ExpressionAttributeNames unused in expressions: keys: {" + names +
           "}";
  }
  std::string values = UnusedKeys(inputs.values, used.values);
  if (!values.empty()) {
    return "Value provided in ExpressionAttributeValues unused in expressions: keys: {" + values +
           "}";
  }
  return "";
}

std::optional<Condition> Condition::Parse(std::string_view text, std::string_view parameter,
                                          const ExpressionInputs& inputs, UsedPlaceholders* used,
                                          std::string* error) {
  auto root = std::make_shared<expression::ConditionNode>();
  if (!expression::ParseConditionExpression(text, parameter, inputs, used, root.get(), error)) {
    return std::nullopt;
  }
  Condition condition;
  condition.root_ = std::move(root);
  return condition;
}

bool Condition::Evaluate(const Json::Value& item) const {
  return expression::EvaluateCondition(*root_, item);
}

std::optional<Update> Update::Parse(std::string_view text, const ExpressionInputs& inputs,
                                    UsedPlaceholders* used, std::string* error) {
  auto actions = std::make_shared<std::vector<expression::UpdateAction>>();
  if (!expression::ParseUpdateExpression(text, inputs, used, actions.get(), error)) {
    return std::nullopt;
  }
  Update update;
  update.actions_ = std::move(actions);
  return update;
}

std::vector<std::string> Update::TopLevelNames() const {
  std::vector<std::string> names;
  for (const expression::UpdateAction& action : *actions_) AddTopLevelName(action.path, &names);
  return names;
}

Projection Update::WrittenPaths() const {
  auto paths = std::make_shared<std::vector<expression::Path>>();
  for (const expression::UpdateAction& action : *actions_) paths->push_back(action.path);
  Projection projection;
  projection.paths_ = std::move(paths);
  return projection;
}

std::optional<Projection> Projection::Parse(std::string_view text, const ExpressionInputs& inputs,
                                            UsedPlaceholders* used, std::string* error) {
  auto paths = std::make_shared<std::vector<expression::Path>>();
  if (!expression::ParseProjectionExpression(text, inputs, used, paths.get(), error)) {
    return std::nullopt;
  }
  Projection projection;
  projection.paths_ = std::move(paths);
  return projection;
}

std::vector<std::string> Projection::TopLevelNames() const {
  std::vector<std::string> names;
  for (const expression::Path& path : *paths_) AddTopLevelName(path, &names);
  return names;
}

}  // namespace wsgw::dynamodb
