// DynamoDB attribute values in their wire shape: a JSON object with exactly one member naming
// the type, {"S":"x"}, {"N":"1.5"}, {"B":"<base64>"}, {"BOOL":true}, {"NULL":true},
// {"M":{"name":<value>,...}}, {"L":[<value>,...]}, {"SS":["a"]}, {"NS":["1"]}, {"BS":["<base64>"]}.
// An item is a JSON object of attribute name -> attribute value.
//
// Every function but ValidateAttributeValue assumes its arguments have been validated.
// Error texts are DynamoDB's ValidationException messages, complete (callers add nothing).
#pragma once

#include <json/json.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace wsgw::dynamodb {

// Checks one attribute value, recursively. On failure sets *error (when not null), e.g.
// "Supplied AttributeValue is empty, must contain exactly one of the supported datatypes",
// "One or more parameter values were invalid: An string set  may not be empty" (DynamoDB's
// double space), "One or more parameter values were invalid: Input collection [a, a] contains
// duplicates.", "Nesting Levels have exceeded supported limits: ..." (more than 31 levels of maps
// and lists), or a Number::Parse message for a bad N/NS member. A value of the wrong JSON type
// ({"S": 5}) gets a SerializationException-style text. Empty strings and empty binaries are valid
// here; key attributes are the caller's concern.
bool ValidateAttributeValue(const Json::Value& value, std::string* error);

// Checks every value of an item (a JSON object); same messages.
bool ValidateItem(const Json::Value& item, std::string* error);

// The type descriptor: "S", "N", "B", "BOOL", "NULL", "M", "L", "SS", "NS" or "BS"; "" when
// `value` is not a one-member object.
std::string TypeOf(const Json::Value& value);

// DynamoDB equality: same type and same value. N compares numerically ("1.0" equals "1"), B by
// decoded bytes, sets ignore order, L element by element, M member by member.
bool Equal(const Json::Value& a, const Json::Value& b);

// The size DynamoDB counts against the 400 KB item limit (AWS "Item sizes and formats"): per
// attribute, the UTF-8 length of its name plus the size of its value.
int64_t ItemSizeBytes(const Json::Value& item);
// The size of one value: S its UTF-8 length, N 1 + one byte per two significant digits, B its
// raw length, BOOL and NULL 1, sets the sum of their members, L and M 3 plus, per element,
// 1 + (for M the name's length) + the element's size.
int64_t AttributeValueSizeBytes(const Json::Value& value);

}  // namespace wsgw::dynamodb
