#include "dynamodb/request_fields.h"

#include "dynamodb/api_error.h"
#include "dynamodb/attribute_value.h"

namespace wsgw::dynamodb {
namespace {

[[noreturn]] void WrongType(const char* field) {
  throw SerializationError("Unexpected value type in payload for member " + std::string(field));
}

}  // namespace

std::string RequireStringField(const Json::Value& request, const char* field, const char* member) {
  std::optional<std::string> value = OptionalStringField(request, field);
  if (!value) throw MissingMemberError(member);
  return *value;
}

std::optional<std::string> OptionalStringField(const Json::Value& request, const char* field) {
  const Json::Value& value = request[field];
  if (value.isNull()) return std::nullopt;
  if (!value.isString()) WrongType(field);
  return value.asString();
}

std::string EnumField(const Json::Value& request, const char* field, const char* member,
                      std::initializer_list<const char*> allowed, const char* fallback) {
  std::optional<std::string> value = OptionalStringField(request, field);
  if (!value) return fallback;
  std::string set;
  for (const char* option : allowed) {
    if (*value == option) return *value;
    set += (set.empty() ? "" : ", ") + std::string(option);
  }
  throw ValidationError("1 validation error detected: Value '" + *value + "' at '" + member +
                        "' failed to satisfy constraint: Member must satisfy enum value set: [" +
                        set + "]");
}

const Json::Value& RequireObjectField(const Json::Value& request, const char* field,
                                      const char* member) {
  const Json::Value& value = request[field];
  if (value.isNull()) throw MissingMemberError(member);
  if (!value.isObject()) WrongType(field);
  return value;
}

const Json::Value& OptionalObjectField(const Json::Value& request, const char* field) {
  const Json::Value& value = request[field];
  if (!value.isNull() && !value.isObject()) WrongType(field);
  return value;
}

const Json::Value& RequireArrayField(const Json::Value& request, const char* field,
                                     const char* member) {
  const Json::Value& value = request[field];
  if (value.isNull()) throw MissingMemberError(member);
  if (!value.isArray()) WrongType(field);
  return value;
}

std::optional<bool> OptionalBoolField(const Json::Value& request, const char* field) {
  const Json::Value& value = request[field];
  if (value.isNull()) return std::nullopt;
  if (!value.isBool()) WrongType(field);
  return value.asBool();
}

std::optional<int64_t> OptionalIntegerField(const Json::Value& request, const char* field,
                                            const char* member, int64_t minimum) {
  const Json::Value& value = request[field];
  if (value.isNull()) return std::nullopt;
  if (!value.isIntegral()) WrongType(field);
  int64_t number = value.asInt64();
  if (number < minimum) {
    throw ValidationError("1 validation error detected: Value '" + std::to_string(number) +
                          "' at '" + member +
                          "' failed to satisfy constraint: Member must have value greater than "
                          "or equal to " +
                          std::to_string(minimum));
  }
  return number;
}

void ValidateItemField(const Json::Value& item) {
  std::string error;
  if (!ValidateItem(item, &error)) throw ValidationError(error);
}

}  // namespace wsgw::dynamodb
