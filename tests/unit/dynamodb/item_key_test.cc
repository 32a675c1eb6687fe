#include "dynamodb/item_key.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "dynamodb/api_error.h"
#include "service_fixture.h"

namespace wsgw::dynamodb {
namespace {

Json::Value Value(const std::string& type, const std::string& text) {
  Json::Value value;
  value[type] = text;
  return value;
}

// The values, sorted by their key bytes, as texts.
std::vector<std::string> SortedByKey(const std::string& type, std::vector<std::string> texts) {
  std::sort(texts.begin(), texts.end(), [&](const std::string& a, const std::string& b) {
    return EncodeKeyValue(Value(type, a), type) < EncodeKeyValue(Value(type, b), type);
  });
  return texts;
}

KeySchema HashRange() {
  KeySchema keys;
  keys.hash = {"pk", "S"};
  keys.range = KeyAttribute{"sk", "N"};
  return keys;
}

TEST(ItemKey, NumberKeysSortNumerically) {
  EXPECT_EQ(SortedByKey("N", {"10", "-1", "2", "0", "-10.5", "1e3", "0.001", "-0.002"}),
            (std::vector<std::string>{"-10.5", "-1", "-0.002", "0", "0.001", "2", "10", "1e3"}));
  EXPECT_EQ(EncodeKeyValue(Value("N", "1.50"), "N"), EncodeKeyValue(Value("N", "1.5"), "N"));
}

TEST(ItemKey, StringKeysSortByUtf8Bytes) {
  EXPECT_EQ(SortedByKey("S", {"b", "a", "ab", "B", "\xc3\xa9", "z"}),
            (std::vector<std::string>{"B", "a", "ab", "b", "z", "\xc3\xa9"}));
}

TEST(ItemKey, BinaryKeysSortByDecodedBytes) {
  // AAE= is 00 01, /w== is ff, AQ== is 01.
  EXPECT_EQ(SortedByKey("B", {"/w==", "AQ==", "AAE="}),
            (std::vector<std::string>{"AAE=", "AQ==", "/w=="}));
  EXPECT_EQ(EncodeKeyValue(Value("B", "AAE="), "B"), std::string("\x00\x01", 2));
}

TEST(ItemKey, KeyFromRequestNeedsExactlyTheKeyAttributes) {
  KeySchema keys = HashRange();
  Json::Value key;
  key["pk"] = Value("S", "a");
  key["sk"] = Value("N", "2");
  ItemKey encoded = KeyFromRequest(keys, key);
  EXPECT_EQ(encoded.hash, "a");
  EXPECT_EQ(encoded.range, EncodeKeyValue(Value("N", "2"), "N"));

  Json::Value extra = key;
  extra["other"] = Value("S", "x");
  EXPECT_THROW(KeyFromRequest(keys, extra), ApiError);
  Json::Value missing;
  missing["pk"] = Value("S", "a");
  EXPECT_THROW(KeyFromRequest(keys, missing), ApiError);
}

TEST(ItemKey, KeyOfItemIgnoresOtherAttributes) {
  Json::Value item;
  item["pk"] = Value("S", "a");
  item["sk"] = Value("N", "-3");
  item["data"] = Value("S", "");
  EXPECT_EQ(KeyOfItem(HashRange(), item).hash, "a");
  Json::Value keys_only = KeyAttributes(HashRange(), item);
  EXPECT_EQ(keys_only.size(), 2u);
  EXPECT_FALSE(keys_only.isMember("data"));
}

TEST(ItemKey, IndexKeyIsAbsentWhenTheItemLacksAnIndexAttribute) {
  SecondaryIndex index;
  index.name = "byEmail";
  index.keys.hash = {"email", "S"};
  Json::Value item;
  item["pk"] = Value("S", "a");
  EXPECT_FALSE(IndexKeyOfItem(index, item));
  item["email"] = Value("S", "e@x");
  ASSERT_TRUE(IndexKeyOfItem(index, item));
  EXPECT_EQ(IndexKeyOfItem(index, item)->hash, "e@x");
  item["email"] = Value("S", "");
  EXPECT_THROW(IndexKeyOfItem(index, item), ApiError);
}

}  // namespace
}  // namespace wsgw::dynamodb
