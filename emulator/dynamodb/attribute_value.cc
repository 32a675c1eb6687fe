#include "base/base64.h"
#include "dynamodb/attribute_value.h"

#include <algorithm>
#include <array>
#include <set>
#include <vector>

#include "dynamodb/number.h"

namespace wsgw::dynamodb {
namespace {

constexpr char kInvalid[] = "One or more parameter values were invalid: ";
// DynamoDB accepts 31 levels of maps and lists around a value and refuses 32.
constexpr int kMaxNesting = 31;

bool Validate(const Json::Value& value, int depth, std::string* error);

bool Fail(std::string* error, std::string text) {
  if (error != nullptr) *error = std::move(text);
  return false;
}

bool IsKnownType(const std::string& name) {
  static const std::array<const char*, 10> kTypes = {"S", "N", "B",  "BOOL", "NULL",
                                                     "M", "L", "SS", "NS",   "BS"};
  return std::find_if(kTypes.begin(), kTypes.end(), [&](const char* t) { return name == t; }) !=
         kTypes.end();
}

// DynamoDB reports a JSON type mismatch as a SerializationException; these are its words.
std::string Mismatch(const Json::Value& found, const char* expected) {
  const char* token = found.isString()    ? "VALUE_STRING"
                      : found.isBool()    ? "VALUE_BOOLEAN"
                      : found.isNumeric() ? "VALUE_NUMBER"
                      : found.isArray()   ? "START_ARRAY"
                      : found.isObject()  ? "START_OBJECT"
                                          : "VALUE_NULL";
  return std::string("Unexpected value type in payload: ") + token + " where " + expected +
         " was expected";
}

std::string JoinForMessage(const Json::Value& members) {
  std::string out = "[";
  for (Json::ArrayIndex i = 0; i < members.size(); ++i) {
    if (i > 0) out += ", ";
    out += members[i].isString() ? members[i].asString() : members[i].toStyledString();
  }
  return out + "]";
}

bool ValidateSet(const std::string& type, const Json::Value& members, std::string* error) {
  if (!members.isArray()) return Fail(error, Mismatch(members, "a list"));
  if (members.empty()) {
    if (type == "SS") return Fail(error, std::string(kInvalid) + "An string set  may not be empty");
    if (type == "NS") return Fail(error, std::string(kInvalid) + "An number set  may not be empty");
    return Fail(error, std::string(kInvalid) + "Binary sets should not be empty");
  }
  std::set<std::string> seen;  // canonical members
  bool duplicate = false;
  for (const Json::Value& member : members) {
    if (!member.isString()) return Fail(error, Mismatch(member, "a string"));
    std::string canonical;
    if (type == "NS") {
      std::optional<Number> number = Number::Parse(member.asString(), error);
      if (!number) return false;
      canonical = number->ToString();
    } else if (type == "BS") {
      std::optional<std::string> bytes = DecodeBase64(member.asString());
      if (!bytes) return Fail(error, std::string(kInvalid) + "Invalid Base64 value in BS");
      canonical = *bytes;
    } else {
      canonical = member.asString();
    }
    if (!seen.insert(canonical).second) duplicate = true;
  }
  if (duplicate) {
    return Fail(error, std::string(kInvalid) + "Input collection " + JoinForMessage(members) +
                           " contains duplicates.");
  }
  return true;
}

// Canonical members of a validated set, for order-free comparison.
std::multiset<std::string> CanonicalMembers(const std::string& type, const Json::Value& members) {
  std::multiset<std::string> out;
  for (const Json::Value& member : members) {
    if (type == "NS") {
      std::optional<Number> number = Number::Parse(member.asString(), nullptr);
      out.insert(number ? number->OrderedKey() : member.asString());
    } else if (type == "BS") {
      out.insert(DecodeBase64(member.asString()).value_or(member.asString()));
    } else {
      out.insert(member.asString());
    }
  }
  return out;
}

int64_t NumberSize(const std::string& text) {
  std::optional<Number> number = Number::Parse(text, nullptr);
  int digits = number ? number->significant_digits() : static_cast<int>(text.size());
  return (digits + 1) / 2 + 1;
}

int64_t BinarySize(const std::string& text) {
  std::optional<std::string> bytes = DecodeBase64(text);
  return bytes ? static_cast<int64_t>(bytes->size()) : static_cast<int64_t>(text.size());
}


bool ValidateMembers(const Json::Value& map, int depth, std::string* error) {
  for (auto it = map.begin(); it != map.end(); ++it) {
    if (!Validate(*it, depth, error)) return false;
  }
  return true;
}

bool Validate(const Json::Value& value, int depth, std::string* error) {
  constexpr char kEmpty[] =
      "Supplied AttributeValue is empty, must contain exactly one of the supported datatypes";
  if (!value.isObject() || value.empty()) return Fail(error, kEmpty);
  if (value.size() > 1) {
    return Fail(error,
                "Supplied AttributeValue has more than one datatypes set, must contain exactly one "
                "of the supported datatypes");
  }
  const std::string type = value.getMemberNames().front();
  if (!IsKnownType(type)) return Fail(error, kEmpty);
  const Json::Value& content = value[type];
  if (type == "S") {
    if (!content.isString()) return Fail(error, Mismatch(content, "a string"));
    return true;
  }
  if (type == "N") {
    if (!content.isString()) return Fail(error, Mismatch(content, "a string"));
    return Number::Parse(content.asString(), error).has_value();
  }
  if (type == "B") {
    if (!content.isString()) return Fail(error, Mismatch(content, "a string"));
    if (!DecodeBase64(content.asString())) {
      return Fail(error, std::string(kInvalid) + "Invalid Base64 value in B");
    }
    return true;
  }
  if (type == "BOOL") {
    if (!content.isBool()) return Fail(error, Mismatch(content, "a boolean"));
    return true;
  }
  if (type == "NULL") {
    if (!content.isBool()) return Fail(error, Mismatch(content, "a boolean"));
    if (!content.asBool()) {
      return Fail(error,
                  std::string(kInvalid) + "Null attribute value types must have the value of true");
    }
    return true;
  }
  if (type == "M" || type == "L") {
    if (depth >= kMaxNesting) {
      return Fail(error,
                  "Nesting Levels have exceeded supported limits: Attributes in the item have "
                  "nested levels beyond supported limit");
    }
    if (type == "M") {
      if (!content.isObject()) return Fail(error, Mismatch(content, "a map"));
      return ValidateMembers(content, depth + 1, error);
    }
    if (!content.isArray()) return Fail(error, Mismatch(content, "a list"));
    for (const Json::Value& element : content) {
      if (!Validate(element, depth + 1, error)) return false;
    }
    return true;
  }
  return ValidateSet(type, content, error);
}

}  // namespace

bool ValidateAttributeValue(const Json::Value& value, std::string* error) {
  return Validate(value, 0, error);
}

bool ValidateItem(const Json::Value& item, std::string* error) {
  if (!item.isObject()) return Fail(error, Mismatch(item, "a map"));
  return ValidateMembers(item, 0, error);
}

std::string TypeOf(const Json::Value& value) {
  if (!value.isObject() || value.size() != 1) return "";
  return value.begin().name();
}

bool Equal(const Json::Value& a, const Json::Value& b) {
  const std::string type = TypeOf(a);
  if (type.empty() || type != TypeOf(b)) return false;
  const Json::Value& x = a[type];
  const Json::Value& y = b[type];
  if (type == "N") {
    std::optional<Number> m = Number::Parse(x.asString(), nullptr);
    std::optional<Number> n = Number::Parse(y.asString(), nullptr);
    return m && n && *m == *n;
  }
  if (type == "B") return DecodeBase64(x.asString()) == DecodeBase64(y.asString());
  if (type == "SS" || type == "NS" || type == "BS") {
    return CanonicalMembers(type, x) == CanonicalMembers(type, y);
  }
  if (type == "L") {
    if (x.size() != y.size()) return false;
    for (Json::ArrayIndex i = 0; i < x.size(); ++i) {
      if (!Equal(x[i], y[i])) return false;
    }
    return true;
  }
  if (type == "M") {
    if (x.size() != y.size()) return false;
    for (auto it = x.begin(); it != x.end(); ++it) {
      const std::string name = it.name();
      const Json::Value* other = y.find(name.data(), name.data() + name.size());
      if (other == nullptr || !Equal(*it, *other)) return false;
    }
    return true;
  }
  return x == y;  // S, BOOL, NULL
}

int64_t AttributeValueSizeBytes(const Json::Value& value) {
  const std::string type = TypeOf(value);
  const Json::Value& content = value[type];
  if (type == "S") return static_cast<int64_t>(content.asString().size());
  if (type == "N") return NumberSize(content.asString());
  if (type == "B") return BinarySize(content.asString());
  if (type == "BOOL" || type == "NULL") return 1;
  int64_t size = 0;
  if (type == "SS") {
    for (const Json::Value& member : content) size += member.asString().size();
  } else if (type == "NS") {
    for (const Json::Value& member : content) size += NumberSize(member.asString());
  } else if (type == "BS") {
    for (const Json::Value& member : content) size += BinarySize(member.asString());
  } else if (type == "L") {
    size = 3;
    for (const Json::Value& element : content) size += 1 + AttributeValueSizeBytes(element);
  } else if (type == "M") {
    size = 3;
    for (auto it = content.begin(); it != content.end(); ++it) {
      size += 1 + static_cast<int64_t>(it.name().size()) + AttributeValueSizeBytes(*it);
    }
  }
  return size;
}

int64_t ItemSizeBytes(const Json::Value& item) {
  int64_t size = 0;
  for (auto it = item.begin(); it != item.end(); ++it) {
    size += static_cast<int64_t>(it.name().size()) + AttributeValueSizeBytes(*it);
  }
  return size;
}


}  // namespace wsgw::dynamodb
