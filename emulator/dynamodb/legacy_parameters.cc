#include "dynamodb/legacy_parameters.h"

#include <string>
#include <vector>

#include "dynamodb/api_error.h"

namespace wsgw::dynamodb {
namespace {

constexpr char kInvalid[] = "One or more parameter values were invalid: ";

// Builds expression text, naming every attribute and value through a fresh placeholder.
class ExpressionWriter {
 public:
  std::string Name(const std::string& attribute) {
    std::string placeholder = "#legacy" + std::to_string(names_.size());
    names_[placeholder] = attribute;
    return placeholder;
  }
  std::string Value(const Json::Value& value) {
    std::string placeholder = ":legacy" + std::to_string(values_.size());
    values_[placeholder] = value;
    return placeholder;
  }
  void AddTo(Json::Value& request) const {
    if (!names_.empty()) request["ExpressionAttributeNames"] = names_;
    if (!values_.empty()) request["ExpressionAttributeValues"] = values_;
  }

 private:
  Json::Value names_{Json::objectValue};
  Json::Value values_{Json::objectValue};
};

const Json::Value& ObjectMember(const Json::Value& parent, const std::string& name) {
  const Json::Value& value = parent[name];
  if (!value.isObject()) {
    throw SerializationError("Unexpected value type in payload for member " + name);
  }
  return value;
}

// One condition of Expected, KeyConditions, QueryFilter or ScanFilter as expression text.
std::string Comparison(ExpressionWriter& writer, const std::string& attribute,
                       const Json::Value& condition) {
  if (!condition.isObject()) throw SerializationError("Unexpected value type in payload");
  std::string name = writer.Name(attribute);
  if (!condition.isMember("ComparisonOperator")) {
    // Expected's short form: {"Value": v} or {"Exists": false}.
    const Json::Value& exists = condition["Exists"];
    if (!exists.isNull() && !exists.isBool()) throw SerializationError("Unexpected value type");
    if (!exists.isNull() && !exists.asBool()) {
      if (condition.isMember("Value")) {
        throw ValidationError(
            std::string(kInvalid) +
            "Value cannot be used when Exists is false for Attribute: " + attribute);
      }
      return "attribute_not_exists(" + name + ")";
    }
    if (!condition.isMember("Value")) {
      throw ValidationError(
          std::string(kInvalid) +
          "Value must be provided when Exists is true for Attribute: " + attribute);
    }
    return name + " = " + writer.Value(condition["Value"]);
  }
  std::string op = condition["ComparisonOperator"].asString();
  const Json::Value& list = condition["AttributeValueList"];
  if (!list.isNull() && !list.isArray()) throw SerializationError("Unexpected value type");
  auto require = [&](Json::ArrayIndex count) {
    if (list.size() != count) {
      throw ValidationError(std::string(kInvalid) + "Invalid number of argument(s) for the " + op +
                            " ComparisonOperator");
    }
  };
  static const std::vector<std::pair<std::string, std::string>> kComparators = {
      {"EQ", " = "}, {"NE", " <> "}, {"LE", " <= "}, {"LT", " < "}, {"GE", " >= "}, {"GT", " > "}};
  for (const auto& [legacy, comparator] : kComparators) {
    if (op == legacy) {
      require(1);
      return name + comparator + writer.Value(list[0]);
    }
  }
  if (op == "NOT_NULL" || op == "NULL") {
    require(0);
    return std::string(op == "NULL" ? "attribute_not_exists(" : "attribute_exists(") + name + ")";
  }
  if (op == "CONTAINS" || op == "NOT_CONTAINS") {
    require(1);
    return std::string(op == "NOT_CONTAINS" ? "NOT " : "") + "contains(" + name + ", " +
           writer.Value(list[0]) + ")";
  }
  if (op == "BEGINS_WITH") {
    require(1);
    return "begins_with(" + name + ", " + writer.Value(list[0]) + ")";
  }
  if (op == "BETWEEN") {
    require(2);
    return name + " BETWEEN " + writer.Value(list[0]) + " AND " + writer.Value(list[1]);
  }
  if (op == "IN") {
    if (list.empty()) require(1);
    std::string values;
    for (const Json::Value& value : list) {
      values += (values.empty() ? "" : ", ") + writer.Value(value);
    }
    return name + " IN (" + values + ")";
  }
  throw ValidationError("1 validation error detected: Value '" + op +
                        "' at 'comparisonOperator' failed to satisfy constraint: Member must "
                        "satisfy enum value set: [IN, NULL, BETWEEN, LT, NOT_CONTAINS, EQ, GT, "
                        "NOT_NULL, NE, LE, BEGINS_WITH, GE, CONTAINS]");
}

// KeyConditionExpression's grammar takes no parentheses, so key conditions go in bare.
std::string Conditions(ExpressionWriter& writer, const Json::Value& conditions,
                       const std::string& joiner, bool parenthesize) {
  std::string text;
  for (const std::string& attribute : conditions.getMemberNames()) {
    if (!text.empty()) text += " " + joiner + " ";
    std::string condition = Comparison(writer, attribute, conditions[attribute]);
    text += parenthesize ? "(" + condition + ")" : condition;
  }
  return text;
}

std::string Updates(ExpressionWriter& writer, const Json::Value& updates) {
  std::vector<std::string> set, remove, add, del;
  for (const std::string& attribute : updates.getMemberNames()) {
    const Json::Value& update = ObjectMember(updates, attribute);
    std::string action = update.isMember("Action") ? update["Action"].asString() : "PUT";
    bool has_value = update.isMember("Value");
    std::string name = writer.Name(attribute);
    if (action == "PUT") {
      if (!has_value) {
        throw ValidationError(std::string(kInvalid) +
                              "Only DELETE action is allowed when no attribute value is "
                              "specified");
      }
      set.push_back(name + " = " + writer.Value(update["Value"]));
    } else if (action == "DELETE") {
      (has_value ? del : remove)
          .push_back(has_value ? name + " " + writer.Value(update["Value"]) : name);
    } else if (action == "ADD") {
      if (!has_value) {
        throw ValidationError(std::string(kInvalid) +
                              "Only DELETE action is allowed when no attribute value is "
                              "specified");
      }
      add.push_back(name + " " + writer.Value(update["Value"]));
    } else {
      throw ValidationError("1 validation error detected: Value '" + action +
                            "' at 'attributeUpdates." + attribute +
                            ".member.action' failed to satisfy constraint: Member must satisfy "
                            "enum value set: [ADD, PUT, DELETE]");
    }
  }
  std::string text;
  auto clause = [&](const char* keyword, const std::vector<std::string>& actions) {
    if (actions.empty()) return;
    std::string joined;
    for (const std::string& action : actions) joined += (joined.empty() ? "" : ", ") + action;
    text += (text.empty() ? "" : " ") + std::string(keyword) + " " + joined;
  };
  clause("SET", set);
  clause("REMOVE", remove);
  clause("ADD", add);
  clause("DELETE", del);
  return text;
}

}  // namespace

Json::Value WithExpressions(const Json::Value& request) {
  static const char* const kLegacy[] = {"Expected", "KeyConditions", "QueryFilter", "ScanFilter",
                                        "AttributeUpdates"};
  static const char* const kExpressions[] = {"ConditionExpression", "KeyConditionExpression",
                                             "FilterExpression", "UpdateExpression",
                                             "ProjectionExpression"};
  std::string legacy_used;
  std::string expressions_used;
  for (const char* name : kLegacy) {
    if (request.isMember(name))
      legacy_used += (legacy_used.empty() ? "" : ", ") + std::string(name);
  }
  if (legacy_used.empty()) return request;
  for (const char* name : kExpressions) {
    if (request.isMember(name)) {
      expressions_used += (expressions_used.empty() ? "" : ", ") + std::string(name);
    }
  }
  if (!expressions_used.empty() || request.isMember("ExpressionAttributeNames") ||
      request.isMember("ExpressionAttributeValues")) {
    throw ValidationError(
        "Can not use both expression and non-expression parameters in the same request: "
        "Non-expression parameters: {" +
        legacy_used + "} Expression parameters: {" + expressions_used + "}");
  }

  Json::Value rewritten = request;
  ExpressionWriter writer;
  std::string joiner = "AND";
  if (request.isMember("ConditionalOperator")) {
    joiner = request["ConditionalOperator"].asString();
    if (joiner != "AND" && joiner != "OR") {
      throw ValidationError("1 validation error detected: Value '" + joiner +
                            "' at 'conditionalOperator' failed to satisfy constraint: Member "
                            "must satisfy enum value set: [OR, AND]");
    }
    rewritten.removeMember("ConditionalOperator");
  }
  auto rewrite = [&](const char* legacy, const char* expression, const std::string& how) {
    if (!request.isMember(legacy)) return;
    const Json::Value& conditions = ObjectMember(request, legacy);
    std::string text = Conditions(writer, conditions, how, std::string(legacy) != "KeyConditions");
    rewritten.removeMember(legacy);
    if (!text.empty()) rewritten[expression] = text;
  };
  rewrite("Expected", "ConditionExpression", joiner);
  rewrite("KeyConditions", "KeyConditionExpression", "AND");
  rewrite("QueryFilter", "FilterExpression", joiner);
  rewrite("ScanFilter", "FilterExpression", joiner);
  if (request.isMember("AttributeUpdates")) {
    std::string text = Updates(writer, ObjectMember(request, "AttributeUpdates"));
    rewritten.removeMember("AttributeUpdates");
    if (!text.empty()) rewritten["UpdateExpression"] = text;
  }
  writer.AddTo(rewritten);
  return rewritten;
}

}  // namespace wsgw::dynamodb
