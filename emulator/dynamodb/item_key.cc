#include "base/base64.h"
#include "dynamodb/item_key.h"

#include "dynamodb/api_error.h"
#include "dynamodb/attribute_value.h"
#include "dynamodb/number.h"

namespace wsgw::dynamodb {
namespace {

constexpr char kInvalid[] = "One or more parameter values were invalid: ";

constexpr char kKeyMismatch[] = "The provided key element does not match the schema";

// DynamoDB words a wrong type in a Key argument (GetItem, DeleteItem, UpdateItem) as a schema
// mismatch, and one in an item being put as a type mismatch.
enum class KeySource { kKeyArgument, kItem };

void CheckKeyValue(const KeyAttribute& attribute, const Json::Value& value, KeySource source) {
  std::string error;
  if (!ValidateAttributeValue(value, &error)) throw ValidationError(error);
  std::string actual = TypeOf(value);
  if (actual != attribute.type) {
    if (source == KeySource::kKeyArgument) throw ValidationError(kKeyMismatch);
    throw ValidationError(std::string(kInvalid) + "Type mismatch for key " + attribute.name +
                          " expected: " + attribute.type + " actual: " + actual);
  }
  const Json::Value& payload = value[actual];
  if ((actual == "S" || actual == "B") && payload.asString().empty()) {
    throw ValidationError(
        "One or more parameter values are not valid. The AttributeValue for a key attribute "
        "cannot contain an empty " +
        std::string(actual == "S" ? "string" : "binary") + " value. Key: " + attribute.name);
  }
}

}  // namespace

std::string EncodeKeyValue(const Json::Value& value, const std::string& type) {
  const Json::Value& payload = value[type];
  if (type == "N") {
    std::optional<Number> number = Number::Parse(payload.asString(), nullptr);
    return number ? number->OrderedKey() : std::string();
  }
  if (type == "B") return DecodeBase64(payload.asString()).value_or(std::string());
  return payload.asString();
}

ItemKey KeyFromRequest(const KeySchema& keys, const Json::Value& key) {
  if (!key.isObject()) throw ValidationError(kKeyMismatch);
  size_t expected = keys.range ? 2 : 1;
  if (key.size() != expected || !key.isMember(keys.hash.name) ||
      (keys.range && !key.isMember(keys.range->name))) {
    throw ValidationError(kKeyMismatch);
  }
  CheckKeyValue(keys.hash, key[keys.hash.name], KeySource::kKeyArgument);
  ItemKey encoded{EncodeKeyValue(key[keys.hash.name], keys.hash.type), ""};
  if (keys.range) {
    CheckKeyValue(*keys.range, key[keys.range->name], KeySource::kKeyArgument);
    encoded.range = EncodeKeyValue(key[keys.range->name], keys.range->type);
  }
  return encoded;
}

ItemKey KeyOfItem(const KeySchema& keys, const Json::Value& item) {
  auto part = [&](const KeyAttribute& attribute) {
    if (!item.isMember(attribute.name)) {
      throw ValidationError(std::string(kInvalid) + "Missing the key " + attribute.name +
                            " in the item");
    }
    CheckKeyValue(attribute, item[attribute.name], KeySource::kItem);
    return EncodeKeyValue(item[attribute.name], attribute.type);
  };
  ItemKey encoded{part(keys.hash), ""};
  if (keys.range) encoded.range = part(*keys.range);
  return encoded;
}

std::optional<ItemKey> IndexKeyOfItem(const SecondaryIndex& index, const Json::Value& item) {
  auto part = [&](const KeyAttribute& attribute) -> std::optional<std::string> {
    if (!item.isMember(attribute.name)) return std::nullopt;
    const Json::Value& value = item[attribute.name];
    std::string actual = TypeOf(value);
    if (actual != attribute.type) {
      throw ValidationError(std::string(kInvalid) + "Type mismatch for Index Key " +
                            attribute.name + " Expected: " + attribute.type + " Actual: " + actual +
                            " IndexName: " + index.name);
    }
    if ((actual == "S" || actual == "B") && value[actual].asString().empty()) {
      throw ValidationError(
          "One or more parameter values are not valid. A value specified for a secondary index "
          "key is not supported. The AttributeValue for a key attribute cannot contain an empty " +
          std::string(actual == "S" ? "string" : "binary") + " value. IndexName: " + index.name +
          ", IndexKey: " + attribute.name);
    }
    return EncodeKeyValue(value, attribute.type);
  };
  std::optional<std::string> hash = part(index.keys.hash);
  if (!hash) return std::nullopt;
  ItemKey encoded{*hash, ""};
  if (index.keys.range) {
    std::optional<std::string> range = part(*index.keys.range);
    if (!range) return std::nullopt;
    encoded.range = *range;
  }
  return encoded;
}

Json::Value KeyAttributes(const KeySchema& keys, const Json::Value& item) {
  Json::Value out(Json::objectValue);
  out[keys.hash.name] = item[keys.hash.name];
  if (keys.range) out[keys.range->name] = item[keys.range->name];
  return out;
}

}  // namespace wsgw::dynamodb
