#include "dynamodb/item_operations.h"

#include <gtest/gtest.h>

#include <string>

#include "service_fixture.h"

namespace wsgw::dynamodb {
namespace {

class ItemOperationsTest : public ServiceTest {
 protected:
  void SetUp() override { CreateUsersTable(); }

  Json::Value GetUser(const std::string& id) {
    return Ok("GetItem", R"j({"TableName":"users","Key":{"id":{"S":")j" + id + R"j("}}})j");
  }
};

TEST_F(ItemOperationsTest, PutThenGet_ReturnsTheItemWithNumbersInCanonicalForm) {
  Ok("PutItem", R"j({"TableName":"users","Item":{"id":{"S":"u1"},"n":{"N":"1.50"},
    "tags":{"SS":["a","b"]},"m":{"M":{"x":{"L":[{"BOOL":true},{"NULL":true}]}}},"b":{"B":"AAE="},
    "ns":{"NS":["1e2"]},"deep":{"L":[{"M":{"n":{"N":"-0.0"}}}]}}})j");
  Json::Value item = GetUser("u1")["Item"];
  EXPECT_EQ(item["id"]["S"], "u1");
  EXPECT_EQ(item["n"]["N"], "1.5");
  EXPECT_EQ(item["ns"]["NS"][0], "100");
  EXPECT_EQ(item["deep"]["L"][0]["M"]["n"]["N"], "0");
  EXPECT_EQ(item["tags"]["SS"].size(), 2u);
  EXPECT_EQ(item["m"]["M"]["x"]["L"][0]["BOOL"], true);
  EXPECT_EQ(item["b"]["B"], "AAE=");
}

TEST_F(ItemOperationsTest, GetItem_OfAMissingItemHasNoItemMember) {
  Json::Value answer = GetUser("nobody");
  EXPECT_TRUE(answer.isObject());
  EXPECT_FALSE(answer.isMember("Item"));
}

TEST_F(ItemOperationsTest, GetItem_ProjectsAttributes) {
  Ok("PutItem", R"j({"TableName":"users","Item":{"id":{"S":"u1"},"a":{"S":"1"},"b":{"S":"2"}}})j");
  Json::Value item = Ok("GetItem", R"j({"TableName":"users","Key":{"id":{"S":"u1"}},
    "ProjectionExpression":"#a","ExpressionAttributeNames":{"#a":"a"}})j")["Item"];
  EXPECT_EQ(item.size(), 1u);
  EXPECT_EQ(item["a"]["S"], "1");
  Json::Value legacy = Ok("GetItem", R"j({"TableName":"users","Key":{"id":{"S":"u1"}},
    "AttributesToGet":["b"]})j")["Item"];
  EXPECT_EQ(legacy.size(), 1u);
  EXPECT_EQ(legacy["b"]["S"], "2");
}

TEST_F(ItemOperationsTest, PutItem_ReturnsTheOldItemWhenAsked) {
  EXPECT_FALSE(Ok("PutItem", R"j({"TableName":"users","Item":{"id":{"S":"u1"},"v":{"N":"1"}},
    "ReturnValues":"ALL_OLD"})j")
                   .isMember("Attributes"));
  Json::Value answer =
      Ok("PutItem", R"j({"TableName":"users","Item":{"id":{"S":"u1"},"v":{"N":"2"}},
    "ReturnValues":"ALL_OLD"})j");
  EXPECT_EQ(answer["Attributes"]["v"]["N"], "1");
  ExpectError("PutItem",
              R"j({"TableName":"users","Item":{"id":{"S":"u1"}},"ReturnValues":"ALL_NEW"})j",
              "ValidationException", "ReturnValues can only be ALL_OLD or NONE");
}

TEST_F(ItemOperationsTest, PutItem_WithAFailedConditionChangesNothing) {
  Ok("PutItem", R"j({"TableName":"users","Item":{"id":{"S":"u1"},"v":{"N":"1"}}})j");
  Json::Value error =
      ExpectError("PutItem", R"j({"TableName":"users",
    "Item":{"id":{"S":"u1"},"v":{"N":"2"}},"ConditionExpression":"attribute_not_exists(id)"})j",
                  "ConditionalCheckFailedException", "The conditional request failed");
  EXPECT_FALSE(error.isMember("Item"));
  EXPECT_EQ(GetUser("u1")["Item"]["v"]["N"], "1");

  Json::Value with_item = ExpectError("PutItem", R"j({"TableName":"users",
    "Item":{"id":{"S":"u1"}},"ConditionExpression":"attribute_not_exists(id)",
    "ReturnValuesOnConditionCheckFailure":"ALL_OLD"})j",
                                      "ConditionalCheckFailedException");
  EXPECT_EQ(with_item["Item"]["v"]["N"], "1");
  EXPECT_EQ(with_item["__type"],
            "com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException");
}

TEST_F(ItemOperationsTest, PutItem_RefusesBadKeys) {
  ExpectError("PutItem", R"j({"TableName":"users","Item":{"id":{"N":"1"}}})j",
              "ValidationException",
              "One or more parameter values were invalid: Type mismatch for key id expected: S "
              "actual: N");
  ExpectError("PutItem", R"j({"TableName":"users","Item":{"other":{"S":"1"}}})j",
              "ValidationException",
              "One or more parameter values were invalid: Missing the key id in the item");
  ExpectError("PutItem", R"j({"TableName":"users","Item":{"id":{"S":""}}})j", "ValidationException",
              "One or more parameter values are not valid. The AttributeValue for a key attribute "
              "cannot contain an empty string value. Key: id");
  ExpectError("PutItem", R"j({"TableName":"users"})j", "ValidationException",
              "1 validation error detected: Value null at 'item' failed to satisfy constraint: "
              "Member must not be null");
  ExpectError("PutItem", R"j({"TableName":"nope","Item":{"id":{"S":"1"}}})j",
              "ResourceNotFoundException", "Requested resource not found");
}

TEST_F(ItemOperationsTest, GetItem_RefusesAKeyThatDoesNotMatchTheSchema) {
  ExpectError("GetItem", R"j({"TableName":"users","Key":{"id":{"S":"u1"},"x":{"S":"y"}}})j",
              "ValidationException", "The provided key element does not match the schema");
  ExpectError("GetItem", R"j({"TableName":"users","Key":{"name":{"S":"u1"}}})j",
              "ValidationException", "The provided key element does not match the schema");
  ExpectError("GetItem", R"j({"TableName":"users","Key":{"id":{"N":"1"}}})j", "ValidationException",
              "The provided key element does not match the schema");
  ExpectError("DeleteItem", R"j({"TableName":"users","Key":{"id":{"S":""}}})j",
              "ValidationException",
              "One or more parameter values are not valid. The AttributeValue for a key attribute "
              "cannot contain an empty string value. Key: id");
}

TEST_F(ItemOperationsTest, PutItem_RefusesItemsOver400KB) {
  std::string big(400 * 1024, 'x');
  ExpectError("PutItem",
              R"j({"TableName":"users","Item":{"id":{"S":"u1"},"data":{"S":")j" + big + R"j("}}})j",
              "ValidationException", "Item size has exceeded the maximum allowed size");
  EXPECT_FALSE(GetUser("u1").isMember("Item"));
  std::string fits(400 * 1024 - 20, 'x');
  Ok("PutItem",
     R"j({"TableName":"users","Item":{"id":{"S":"u1"},"data":{"S":")j" + fits + R"j("}}})j");
}

TEST_F(ItemOperationsTest, DeleteItem_RemovesAndReturnsTheOldItem) {
  Ok("PutItem", R"j({"TableName":"users","Item":{"id":{"S":"u1"},"v":{"N":"7"}}})j");
  ExpectError("DeleteItem", R"j({"TableName":"users","Key":{"id":{"S":"u1"}},
    "ConditionExpression":"v = :v","ExpressionAttributeValues":{":v":{"N":"8"}}})j",
              "ConditionalCheckFailedException");
  Json::Value answer = Ok("DeleteItem", R"j({"TableName":"users","Key":{"id":{"S":"u1"}},
    "ReturnValues":"ALL_OLD"})j");
  EXPECT_EQ(answer["Attributes"]["v"]["N"], "7");
  EXPECT_FALSE(GetUser("u1").isMember("Item"));
  EXPECT_FALSE(Ok("DeleteItem", R"j({"TableName":"users","Key":{"id":{"S":"u1"}},
    "ReturnValues":"ALL_OLD"})j")
                   .isMember("Attributes"));
}

TEST_F(ItemOperationsTest, UpdateItem_UpdatedValuesAreOnlyTheWrittenNestedParts) {
  Ok("PutItem", R"j({"TableName":"users","Item":{"id":{"S":"u1"},
    "profile":{"M":{"name":{"S":"Ann"},"city":{"S":"Oslo"}}},"tags":{"L":[{"S":"a"},{"S":"b"}]}}})j");
  Json::Value updated_old = Ok("UpdateItem", R"j({"TableName":"users","Key":{"id":{"S":"u1"}},
    "UpdateExpression":"SET profile.city = :c, tags[1] = :t","ExpressionAttributeValues":{":c":{"S":"Rome"},":t":{"S":"z"}},
    "ReturnValues":"UPDATED_OLD"})j");
  Json::Value expected_old;
  expected_old["profile"]["M"]["city"]["S"] = "Oslo";
  expected_old["tags"]["L"][0]["S"] = "b";
  EXPECT_EQ(updated_old["Attributes"], expected_old) << updated_old;

  Json::Value updated_new = Ok("UpdateItem", R"j({"TableName":"users","Key":{"id":{"S":"u1"}},
    "UpdateExpression":"SET profile.city = :c","ExpressionAttributeValues":{":c":{"S":"Pisa"}},
    "ReturnValues":"UPDATED_NEW"})j");
  Json::Value expected_new;
  expected_new["profile"]["M"]["city"]["S"] = "Pisa";
  EXPECT_EQ(updated_new["Attributes"], expected_new) << updated_new;
}

TEST_F(ItemOperationsTest, UpdateItem_CreatesTheItemAndReturnsEachKindOfValues) {
  Json::Value created = Ok("UpdateItem", R"j({"TableName":"users","Key":{"id":{"S":"u1"}},
    "UpdateExpression":"SET a = :a, b = :b","ExpressionAttributeValues":{":a":{"S":"1"},":b":{"S":"2"}},
    "ReturnValues":"ALL_NEW"})j");
  EXPECT_EQ(created["Attributes"]["id"]["S"], "u1");
  EXPECT_EQ(created["Attributes"]["a"]["S"], "1");

  Json::Value updated_old = Ok("UpdateItem", R"j({"TableName":"users","Key":{"id":{"S":"u1"}},
    "UpdateExpression":"SET a = :a","ExpressionAttributeValues":{":a":{"S":"3"}},
    "ReturnValues":"UPDATED_OLD"})j");
  EXPECT_EQ(updated_old["Attributes"].size(), 1u);
  EXPECT_EQ(updated_old["Attributes"]["a"]["S"], "1");

  Json::Value updated_new = Ok("UpdateItem", R"j({"TableName":"users","Key":{"id":{"S":"u1"}},
    "UpdateExpression":"SET a = :a REMOVE b","ExpressionAttributeValues":{":a":{"S":"4"}},
    "ReturnValues":"UPDATED_NEW"})j");
  EXPECT_EQ(updated_new["Attributes"].size(), 1u);
  EXPECT_EQ(updated_new["Attributes"]["a"]["S"], "4");

  Json::Value all_old = Ok("UpdateItem", R"j({"TableName":"users","Key":{"id":{"S":"u1"}},
    "UpdateExpression":"SET c = :c","ExpressionAttributeValues":{":c":{"S":"5"}},
    "ReturnValues":"ALL_OLD"})j");
  EXPECT_EQ(all_old["Attributes"]["a"]["S"], "4");
  EXPECT_FALSE(all_old["Attributes"].isMember("c"));

  Json::Value item = GetUser("u1")["Item"];
  EXPECT_EQ(item.size(), 3u);  // id, a, c
}

TEST_F(ItemOperationsTest, UpdateItem_AddCountsExactly) {
  for (int i = 0; i < 3; ++i) {
    Ok("UpdateItem", R"j({"TableName":"users","Key":{"id":{"S":"c"}},
      "UpdateExpression":"ADD #n :one","ExpressionAttributeNames":{"#n":"count"},
      "ExpressionAttributeValues":{":one":{"N":"1"}}})j");
  }
  EXPECT_EQ(GetUser("c")["Item"]["count"]["N"], "3");
}

TEST_F(ItemOperationsTest, UpdateItem_ThatCannotApplyChangesNothing) {
  Ok("PutItem",
     R"j({"TableName":"users","Item":{"id":{"S":"u1"},"name":{"S":"x"},"n":{"N":"1"}}})j");
  ExpectError("UpdateItem", R"j({"TableName":"users","Key":{"id":{"S":"u1"}},
    "UpdateExpression":"SET n = :two ADD #name :one",
    "ExpressionAttributeNames":{"#name":"name"},
    "ExpressionAttributeValues":{":one":{"N":"1"},":two":{"N":"2"}}})j",
              "ValidationException");
  EXPECT_EQ(GetUser("u1")["Item"]["n"]["N"], "1");
}

TEST_F(ItemOperationsTest, UpdateItem_ConditionOnAMissingItemFails) {
  ExpectError("UpdateItem", R"j({"TableName":"users","Key":{"id":{"S":"u1"}},
    "UpdateExpression":"SET a = :a","ConditionExpression":"attribute_exists(id)",
    "ExpressionAttributeValues":{":a":{"S":"1"}}})j",
              "ConditionalCheckFailedException", "The conditional request failed");
  EXPECT_FALSE(GetUser("u1").isMember("Item"));
}

TEST_F(ItemOperationsTest, UpdateItem_RefusesUpdatesToKeyAttributes) {
  ExpectError("UpdateItem", R"j({"TableName":"users","Key":{"id":{"S":"u1"}},
    "UpdateExpression":"SET id = :v","ExpressionAttributeValues":{":v":{"S":"u2"}}})j",
              "ValidationException",
              "One or more parameter values were invalid: Cannot update attribute id. This "
              "attribute is part of the key");
  EXPECT_FALSE(GetUser("u1").isMember("Item"));
  // Refused as invalid before the condition is looked at.
  ExpectError("UpdateItem", R"j({"TableName":"users","Key":{"id":{"S":"u1"}},
    "UpdateExpression":"SET id = :v","ConditionExpression":"attribute_exists(id)",
    "ExpressionAttributeValues":{":v":{"S":"u2"}}})j",
              "ValidationException");
}

TEST_F(ItemOperationsTest, UpdateItem_RefusesUnusedAndMalformedExpressions) {
  ExpectError("UpdateItem", R"j({"TableName":"users","Key":{"id":{"S":"u1"}},
    "UpdateExpression":"SET a = :a","ExpressionAttributeValues":{":a":{"S":"1"},":b":{"S":"2"}}})j",
              "ValidationException",
              "Value provided in ExpressionAttributeValues unused in expressions: keys: {:b}");
  Json::Value error = ExpectError("UpdateItem", R"j({"TableName":"users","Key":{"id":{"S":"u1"}},
    "UpdateExpression":"SET = :a","ExpressionAttributeValues":{":a":{"S":"1"}}})j",
                                  "ValidationException");
  EXPECT_EQ(error["message"].asString().rfind("Invalid UpdateExpression: ", 0), 0u) << error;
  EXPECT_FALSE(GetUser("u1").isMember("Item"));
}

TEST_F(ItemOperationsTest, ConsumedCapacity_IsReportedFromItemSize) {
  std::string two_kb(2000, 'x');
  Json::Value put = Ok("PutItem", R"j({"TableName":"users","Item":{"id":{"S":"u1"},"d":{"S":")j" +
                                      two_kb + R"j("}},"ReturnConsumedCapacity":"TOTAL"})j");
  EXPECT_EQ(put["ConsumedCapacity"]["TableName"], "users");
  EXPECT_EQ(put["ConsumedCapacity"]["CapacityUnits"].asDouble(), 2);
  Json::Value get = Ok("GetItem", R"j({"TableName":"users","Key":{"id":{"S":"u1"}},
    "ReturnConsumedCapacity":"INDEXES","ConsistentRead":true})j");
  EXPECT_EQ(get["ConsumedCapacity"]["CapacityUnits"].asDouble(), 1);
  EXPECT_EQ(get["ConsumedCapacity"]["Table"]["CapacityUnits"].asDouble(), 1);
  Json::Value eventual = Ok("GetItem", R"j({"TableName":"users","Key":{"id":{"S":"u1"}},
    "ReturnConsumedCapacity":"TOTAL"})j");
  EXPECT_EQ(eventual["ConsumedCapacity"]["CapacityUnits"].asDouble(), 0.5);
  EXPECT_FALSE(Ok("GetItem", R"j({"TableName":"users","Key":{"id":{"S":"u1"}}})j")
                   .isMember("ConsumedCapacity"));
}

TEST_F(ItemOperationsTest, BatchWriteThenBatchGet) {
  Json::Value written = Ok("BatchWriteItem", R"j({"RequestItems":{"users":[
    {"PutRequest":{"Item":{"id":{"S":"a"}}}},{"PutRequest":{"Item":{"id":{"S":"b"}}}},
    {"PutRequest":{"Item":{"id":{"S":"c"}}}}]}})j");
  EXPECT_EQ(written["UnprocessedItems"].size(), 0u);
  Ok("BatchWriteItem",
     R"j({"RequestItems":{"users":[{"DeleteRequest":{"Key":{"id":{"S":"c"}}}}]}})j");
  Json::Value read = Ok("BatchGetItem", R"j({"RequestItems":{"users":{"Keys":[
    {"id":{"S":"a"}},{"id":{"S":"b"}},{"id":{"S":"c"}}]}}})j");
  EXPECT_EQ(read["Responses"]["users"].size(), 2u);
  EXPECT_EQ(read["UnprocessedKeys"].size(), 0u);
}

TEST_F(ItemOperationsTest, BatchWriteItem_RefusesDuplicatesWithoutWritingAnything) {
  ExpectError("BatchWriteItem", R"j({"RequestItems":{"users":[
    {"PutRequest":{"Item":{"id":{"S":"a"}}}},{"PutRequest":{"Item":{"id":{"S":"a"}}}}]}})j",
              "ValidationException", "Provided list of item keys contains duplicates");
  EXPECT_FALSE(GetUser("a").isMember("Item"));
  ExpectError("BatchWriteItem", R"j({"RequestItems":{"users":[
    {"PutRequest":{"Item":{"id":{"S":"a"}}}},{"PutRequest":{"Item":{"id":{"N":"1"}}}}]}})j",
              "ValidationException");
  EXPECT_FALSE(GetUser("a").isMember("Item"));
}

}  // namespace
}  // namespace wsgw::dynamodb
