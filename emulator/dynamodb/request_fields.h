// Reading members of a DynamoDB request: each helper returns the member or throws the ApiError
// DynamoDB sends for it missing ("Value null at 'tableName' ...") or of the wrong JSON type
// (SerializationException), so operations read their input in one line per member.
#pragma once

#include <json/json.h>

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>

namespace wsgw::dynamodb {

// `field` is the wire name ("TableName"), `member` DynamoDB's name in messages ("tableName").
std::string RequireStringField(const Json::Value& request, const char* field, const char* member);
std::optional<std::string> OptionalStringField(const Json::Value& request, const char* field);
// An optional enum member: `fallback` when absent, else one of `allowed`, else DynamoDB's
// "Member must satisfy enum value set: [...]".
std::string EnumField(const Json::Value& request, const char* field, const char* member,
                      std::initializer_list<const char*> allowed, const char* fallback);
const Json::Value& RequireObjectField(const Json::Value& request, const char* field,
                                      const char* member);
// An optional object member: null when absent.
const Json::Value& OptionalObjectField(const Json::Value& request, const char* field);
const Json::Value& RequireArrayField(const Json::Value& request, const char* field,
                                     const char* member);
std::optional<bool> OptionalBoolField(const Json::Value& request, const char* field);
// An optional integer member >= `minimum`.
std::optional<int64_t> OptionalIntegerField(const Json::Value& request, const char* field,
                                            const char* member, int64_t minimum);

// Validates every value of an item or key map with attribute_value's checks.
void ValidateItemField(const Json::Value& item);

}  // namespace wsgw::dynamodb
