#include "dynamodb/request_expressions.h"

#include "dynamodb/api_error.h"
#include "dynamodb/attribute_value.h"
#include "dynamodb/request_fields.h"

namespace wsgw::dynamodb {
namespace {

// ExpressionAttributeValues: a non-empty map of valid attribute values.
void CheckValues(const Json::Value& values) {
  if (values.isNull()) return;
  if (!values.isObject()) {
    throw SerializationError("Unexpected value type in payload for ExpressionAttributeValues");
  }
  if (values.empty()) throw ValidationError("ExpressionAttributeValues must not be empty");
  for (const std::string& name : values.getMemberNames()) {
    std::string error;
    if (!ValidateAttributeValue(values[name], &error)) {
      throw ValidationError("ExpressionAttributeValues contains invalid value: " + error +
                            " for key " + name);
    }
  }
}

void CheckNames(const Json::Value& names) {
  if (names.isNull()) return;
  if (!names.isObject()) {
    throw SerializationError("Unexpected value type in payload for ExpressionAttributeNames");
  }
  if (names.empty()) throw ValidationError("ExpressionAttributeNames must not be empty");
  for (const std::string& name : names.getMemberNames()) {
    if (!names[name].isString()) {
      throw SerializationError("Unexpected value type in payload for ExpressionAttributeNames");
    }
  }
}

}  // namespace

RequestExpressions RequestExpressions::Parse(const Json::Value& request,
                                             const KeySchemaNames* key_schema) {
  const Json::Value& names = request["ExpressionAttributeNames"];
  const Json::Value& values = request["ExpressionAttributeValues"];
  CheckNames(names);
  CheckValues(values);
  ExpressionInputs inputs{names.isNull() ? nullptr : &names, values.isNull() ? nullptr : &values};
  UsedPlaceholders used;
  std::string error;
  RequestExpressions parsed;
  bool any = false;
  auto parse = [&](const char* field, auto&& parse_text) {
    std::optional<std::string> text = OptionalStringField(request, field);
    if (!text) return;
    any = true;
    if (!parse_text(*text)) throw ValidationError(error);
  };
  parse("ConditionExpression", [&](const std::string& text) {
    parsed.condition = Condition::Parse(text, "ConditionExpression", inputs, &used, &error);
    return parsed.condition.has_value();
  });
  parse("FilterExpression", [&](const std::string& text) {
    parsed.filter = Condition::Parse(text, "FilterExpression", inputs, &used, &error);
    return parsed.filter.has_value();
  });
  parse("UpdateExpression", [&](const std::string& text) {
    parsed.update = Update::Parse(text, inputs, &used, &error);
    return parsed.update.has_value();
  });
  parse("ProjectionExpression", [&](const std::string& text) {
    parsed.projection = Projection::Parse(text, inputs, &used, &error);
    return parsed.projection.has_value();
  });
  if (key_schema) {
    parse("KeyConditionExpression", [&](const std::string& text) {
      parsed.key_condition = KeyCondition::Parse(text, *key_schema, inputs, &used, &error);
      return parsed.key_condition.has_value();
    });
  }
  if (!any && !names.isNull()) {
    throw ValidationError("ExpressionAttributeNames can only be specified when using expressions");
  }
  if (!any && !values.isNull()) {
    throw ValidationError("ExpressionAttributeValues can only be specified when using expressions");
  }
  std::string unused = UnusedPlaceholdersMessage(inputs, used);
  if (!unused.empty()) throw ValidationError(unused);

  const Json::Value& attributes_to_get = request["AttributesToGet"];
  if (!attributes_to_get.isNull()) {
    if (!attributes_to_get.isArray()) {
      throw SerializationError("Unexpected value type in payload for AttributesToGet");
    }
    if (parsed.projection) {
      throw ValidationError(
          "Can not use both expression and non-expression parameters in the same request: "
          "Non-expression parameters: {AttributesToGet} Expression parameters: "
          "{ProjectionExpression}");
    }
    parsed.attributes_to_get.emplace();
    for (const Json::Value& name : attributes_to_get) {
      parsed.attributes_to_get->push_back(name.asString());
    }
  }
  return parsed;
}

Json::Value RequestExpressions::Project(const Json::Value& item) const {
  if (projection) return projection->Apply(item);
  if (!attributes_to_get) return item;
  Json::Value out(Json::objectValue);
  for (const std::string& name : *attributes_to_get) {
    if (item.isMember(name)) out[name] = item[name];
  }
  return out;
}

}  // namespace wsgw::dynamodb
