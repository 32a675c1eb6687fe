// ItemKey: an item's primary key (or a secondary index key) as the bytes the store sorts by.
// S is its UTF-8 bytes, B its decoded bytes, N Number::OrderedKey(), so memcmp order (SQLite's
// BLOB order) is DynamoDB's order. A key without a range part has an empty range.
// The functions that read keys from requests and items check them with DynamoDB's texts.
#pragma once

#include <json/json.h>

#include <optional>
#include <string>

#include "dynamodb/table_schema.h"

namespace wsgw::dynamodb {

struct ItemKey {
  std::string hash;
  std::string range;

  bool operator==(const ItemKey& other) const = default;
  auto operator<=>(const ItemKey& other) const = default;
};

// The sort bytes of one key value of type "S", "N" or "B"; the value must have that type.
std::string EncodeKeyValue(const Json::Value& value, const std::string& type);

// A request's Key member: exactly the schema's key attributes with the schema's types, else
// "The provided key element does not match the schema" (or the empty-string refusal).
ItemKey KeyFromRequest(const KeySchema& keys, const Json::Value& key);

// The key of an item to be written: "Missing the key id in the item", type mismatch, or empty
// string.
ItemKey KeyOfItem(const KeySchema& keys, const Json::Value& item);

// The key of `item` in a secondary index, or nullopt when the item lacks an index key attribute
// (the index is sparse). A present attribute of the wrong type or an empty string is refused with
// DynamoDB's index texts.
std::optional<ItemKey> IndexKeyOfItem(const SecondaryIndex& index, const Json::Value& item);

// Only the key attributes of `item` (for LastEvaluatedKey, KEYS_ONLY projections).
Json::Value KeyAttributes(const KeySchema& keys, const Json::Value& item);

}  // namespace wsgw::dynamodb
