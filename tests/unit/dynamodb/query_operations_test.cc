#include "dynamodb/query_operations.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "service_fixture.h"

namespace wsgw::dynamodb {
namespace {

class QueryOperationsTest : public ServiceTest {
 protected:
  void SetUp() override { CreateEventsTable(); }

  std::vector<std::string> SortKeys(const Json::Value& answer) {
    std::vector<std::string> keys;
    for (const Json::Value& item : answer["Items"]) keys.push_back(item["sk"]["N"].asString());
    return keys;
  }

  Json::Value QueryA(const std::string& extra) {
    return Ok("Query", R"j({"TableName":"events","KeyConditionExpression":"pk = :p)j" + extra);
  }
};

using Keys = std::vector<std::string>;

TEST_F(QueryOperationsTest, Query_ReturnsThePartitionInNumericRangeOrder) {
  for (int sk : {10, -5, 2, 100}) PutEvent("a", sk);
  PutEvent("b", 1);
  Json::Value answer = QueryA(R"j(","ExpressionAttributeValues":{":p":{"S":"a"}}})j");
  EXPECT_EQ(SortKeys(answer), (Keys{"-5", "2", "10", "100"}));
  EXPECT_EQ(answer["Count"], 4);
  EXPECT_EQ(answer["ScannedCount"], 4);
  EXPECT_FALSE(answer.isMember("LastEvaluatedKey"));

  Json::Value backwards = QueryA(R"j(","ExpressionAttributeValues":{":p":{"S":"a"}},
    "ScanIndexForward":false})j");
  EXPECT_EQ(SortKeys(backwards), (Keys{"100", "10", "2", "-5"}));
}

TEST_F(QueryOperationsTest, Query_AppliesEachRangeCondition) {
  for (int sk = 1; sk <= 5; ++sk) PutEvent("a", sk);
  auto query = [&](const std::string& condition, const std::string& values) {
    return SortKeys(QueryA(" AND " + condition +
                           R"j(","ExpressionAttributeValues":{":p":{"S":"a"},)j" + values + "}}"));
  };
  EXPECT_EQ(query("sk = :v", R"j(":v":{"N":"3"})j"), (Keys{"3"}));
  EXPECT_EQ(query("sk < :v", R"j(":v":{"N":"3"})j"), (Keys{"1", "2"}));
  EXPECT_EQ(query("sk <= :v", R"j(":v":{"N":"3"})j"), (Keys{"1", "2", "3"}));
  EXPECT_EQ(query("sk > :v", R"j(":v":{"N":"3"})j"), (Keys{"4", "5"}));
  EXPECT_EQ(query("sk >= :v", R"j(":v":{"N":"3"})j"), (Keys{"3", "4", "5"}));
  EXPECT_EQ(query("sk BETWEEN :lo AND :hi", R"j(":lo":{"N":"2"},":hi":{"N":"4"})j"),
            (Keys{"2", "3", "4"}));
}

TEST_F(QueryOperationsTest, Query_BeginsWithOnAStringRangeKey) {
  Ok("CreateTable", R"j({"TableName":"docs","BillingMode":"PAY_PER_REQUEST",
    "AttributeDefinitions":[{"AttributeName":"pk","AttributeType":"S"},{"AttributeName":"sk","AttributeType":"S"}],
    "KeySchema":[{"AttributeName":"pk","KeyType":"HASH"},{"AttributeName":"sk","KeyType":"RANGE"}]})j");
  for (const char* sk : {"order#1", "order#2", "orders", "profile", "order"}) {
    Ok("PutItem", std::string(R"j({"TableName":"docs","Item":{"pk":{"S":"u"},"sk":{"S":")j") + sk +
                      R"j("}}})j");
  }
  Json::Value answer = Ok("Query", R"j({"TableName":"docs",
    "KeyConditionExpression":"pk = :p AND begins_with(sk, :s)",
    "ExpressionAttributeValues":{":p":{"S":"u"},":s":{"S":"order#"}}})j");
  ASSERT_EQ(answer["Count"], 2);
  EXPECT_EQ(answer["Items"][0]["sk"]["S"], "order#1");
  EXPECT_EQ(answer["Items"][1]["sk"]["S"], "order#2");
}

TEST_F(QueryOperationsTest, Query_PagesWithLimitAndExclusiveStartKey) {
  for (int sk = 1; sk <= 5; ++sk) PutEvent("a", sk);
  Json::Value first = QueryA(R"j(","ExpressionAttributeValues":{":p":{"S":"a"}},"Limit":2})j");
  EXPECT_EQ(SortKeys(first), (Keys{"1", "2"}));
  ASSERT_TRUE(first.isMember("LastEvaluatedKey"));
  EXPECT_EQ(first["LastEvaluatedKey"]["pk"]["S"], "a");
  EXPECT_EQ(first["LastEvaluatedKey"]["sk"]["N"], "2");
  EXPECT_EQ(first["LastEvaluatedKey"].size(), 2u);

  Json::Value second = QueryA(R"j(","ExpressionAttributeValues":{":p":{"S":"a"}},"Limit":2,
    "ExclusiveStartKey":)j" + ItemTextOf(first["LastEvaluatedKey"]) +
                              "}");
  EXPECT_EQ(SortKeys(second), (Keys{"3", "4"}));
  Json::Value third = QueryA(R"j(","ExpressionAttributeValues":{":p":{"S":"a"}},"Limit":2,
    "ExclusiveStartKey":)j" + ItemTextOf(second["LastEvaluatedKey"]) +
                             "}");
  EXPECT_EQ(SortKeys(third), (Keys{"5"}));
  EXPECT_FALSE(third.isMember("LastEvaluatedKey"));
}

TEST_F(QueryOperationsTest, Query_StopsAPageAtOneMegabyte) {
  std::string blob(100 * 1024, 'x');
  for (int sk = 1; sk <= 15; ++sk) PutEvent("a", sk, R"j("d":{"S":")j" + blob + R"j("})j");
  Json::Value first =
      QueryA(R"j(","ExpressionAttributeValues":{":p":{"S":"a"}},"Select":"COUNT"})j");
  EXPECT_EQ(first["Count"], 11);  // the 11th item crosses 1 MB
  EXPECT_FALSE(first.isMember("Items"));
  EXPECT_EQ(first["LastEvaluatedKey"]["sk"]["N"], "11");
  Json::Value rest = QueryA(R"j(","ExpressionAttributeValues":{":p":{"S":"a"}},"Select":"COUNT",
    "ExclusiveStartKey":)j" +
                            ItemTextOf(first["LastEvaluatedKey"]) + "}");
  EXPECT_EQ(rest["Count"], 4);
  EXPECT_FALSE(rest.isMember("LastEvaluatedKey"));
}

TEST_F(QueryOperationsTest, Query_FiltersAfterLimitAndCountsBoth) {
  for (int sk = 1; sk <= 6; ++sk) {
    PutEvent("a", sk, R"j("even":{"BOOL":)j" + std::string(sk % 2 ? "false" : "true") + "}");
  }
  Json::Value answer = QueryA(R"j(","FilterExpression":"even = :t",
    "ExpressionAttributeValues":{":p":{"S":"a"},":t":{"BOOL":true}},"Limit":4})j");
  EXPECT_EQ(SortKeys(answer), (Keys{"2", "4"}));
  EXPECT_EQ(answer["Count"], 2);
  EXPECT_EQ(answer["ScannedCount"], 4);
  EXPECT_EQ(answer["LastEvaluatedKey"]["sk"]["N"], "4");
}

TEST_F(QueryOperationsTest, Query_ProjectsAttributes) {
  PutEvent("a", 1, R"j("x":{"S":"1"},"y":{"S":"2"})j");
  Json::Value answer = QueryA(R"j(","ExpressionAttributeValues":{":p":{"S":"a"}},
    "ProjectionExpression":"x"})j");
  ASSERT_EQ(answer["Items"].size(), 1u);
  EXPECT_EQ(answer["Items"][0].size(), 1u);
  EXPECT_EQ(answer["Items"][0]["x"]["S"], "1");
}

TEST_F(QueryOperationsTest, Query_RefusesBadRequests) {
  ExpectError("Query", R"j({"TableName":"events"})j", "ValidationException",
              "Either the KeyConditions or KeyConditionExpression parameter must be specified in "
              "the request.");
  ExpectError("Query", R"j({"TableName":"events","KeyConditionExpression":"pk = :p",
    "ExpressionAttributeValues":{":p":{"N":"1"}}})j",
              "ValidationException",
              "One or more parameter values were invalid: Condition parameter type does not "
              "match schema type");
  ExpectError("Query",
              R"j({"TableName":"events","IndexName":"nope","KeyConditionExpression":"pk = :p",
    "ExpressionAttributeValues":{":p":{"S":"a"}}})j",
              "ValidationException", "The table does not have the specified index: nope");
  ExpectError("Query", R"j({"TableName":"events","KeyConditionExpression":"pk = :p",
    "ExpressionAttributeValues":{":p":{"S":"a"}},"Limit":0})j",
              "ValidationException",
              "1 validation error detected: Value '0' at 'limit' failed to satisfy constraint: "
              "Member must have value greater than or equal to 1");
  ExpectError("Query", R"j({"TableName":"events","KeyConditionExpression":"pk = :p",
    "ExpressionAttributeValues":{":p":{"S":"a"}},"ExclusiveStartKey":{"pk":{"S":"a"}}})j",
              "ValidationException",
              "The provided starting key is invalid: The provided key element does not match the "
              "schema");
}

TEST_F(QueryOperationsTest, GlobalIndex_FollowsPutsUpdatesAndDeletes) {
  auto by_email = [&](const std::string& email) {
    Json::Value answer = Ok("Query", R"j({"TableName":"events","IndexName":"byEmail",
      "KeyConditionExpression":"email = :e","ExpressionAttributeValues":{":e":{"S":")j" +
                                         email + R"j("}}})j");
    return SortKeys(answer);
  };
  PutEvent("a", 1, R"j("email":{"S":"one@x"})j");
  PutEvent("b", 2, R"j("email":{"S":"one@x"})j");
  PutEvent("c", 3);  // no email: not in the index
  EXPECT_EQ(by_email("one@x"), (Keys{"1", "2"}));

  Ok("UpdateItem", R"j({"TableName":"events","Key":{"pk":{"S":"a"},"sk":{"N":"1"}},
    "UpdateExpression":"SET email = :e","ExpressionAttributeValues":{":e":{"S":"two@x"}}})j");
  EXPECT_EQ(by_email("one@x"), (Keys{"2"}));
  EXPECT_EQ(by_email("two@x"), (Keys{"1"}));

  PutEvent("b", 2);  // replaced without email
  EXPECT_EQ(by_email("one@x"), (Keys{}));

  Ok("DeleteItem", R"j({"TableName":"events","Key":{"pk":{"S":"a"},"sk":{"N":"1"}}})j");
  EXPECT_EQ(by_email("two@x"), (Keys{}));
}

TEST_F(QueryOperationsTest, GlobalIndex_PagesWithIndexKeysInLastEvaluatedKey) {
  for (int sk = 1; sk <= 3; ++sk) PutEvent("p" + std::to_string(sk), sk, R"j("email":{"S":"e"})j");
  Json::Value first = Ok("Query", R"j({"TableName":"events","IndexName":"byEmail",
    "KeyConditionExpression":"email = :e","ExpressionAttributeValues":{":e":{"S":"e"}},"Limit":2})j");
  ASSERT_EQ(first["Count"], 2);
  const Json::Value& last = first["LastEvaluatedKey"];
  EXPECT_EQ(last.size(), 3u);
  EXPECT_TRUE(last.isMember("email") && last.isMember("pk") && last.isMember("sk")) << last;
  Json::Value second = Ok("Query", R"j({"TableName":"events","IndexName":"byEmail",
    "KeyConditionExpression":"email = :e","ExpressionAttributeValues":{":e":{"S":"e"}},"Limit":2,
    "ExclusiveStartKey":)j" + ItemTextOf(last) +
                                       "}");
  EXPECT_EQ(second["Count"], 1);
  EXPECT_FALSE(second.isMember("LastEvaluatedKey"));
}

TEST_F(QueryOperationsTest, GlobalIndex_RefusesAnIndexKeyOfTheWrongType) {
  ExpectError("PutItem", R"j({"TableName":"events","Item":{"pk":{"S":"a"},"sk":{"N":"1"},
    "email":{"N":"5"}}})j",
              "ValidationException",
              "One or more parameter values were invalid: Type mismatch for Index Key email "
              "Expected: S Actual: N IndexName: byEmail");
}

TEST_F(QueryOperationsTest, LocalIndex_ReturnsOnlyProjectedAttributes) {
  PutEvent("a", 1, R"j("name":{"S":"zed"},"other":{"S":"o"})j");
  PutEvent("a", 2, R"j("name":{"S":"amy"},"other":{"S":"o"})j");
  Json::Value answer = Ok("Query", R"j({"TableName":"events","IndexName":"byName",
    "KeyConditionExpression":"pk = :p","ExpressionAttributeValues":{":p":{"S":"a"}}})j");
  ASSERT_EQ(answer["Count"], 2);
  EXPECT_EQ(answer["Items"][0]["name"]["S"], "amy");
  EXPECT_FALSE(answer["Items"][0].isMember("other"));
  EXPECT_EQ(answer["Items"][0].size(), 3u);  // pk, sk, name
}

TEST_F(QueryOperationsTest, Scan_ReadsEverythingAcrossSegmentsOnce) {
  for (int i = 0; i < 40; ++i) PutEvent("p" + std::to_string(i), i);
  EXPECT_EQ(Ok("Scan", R"j({"TableName":"events"})j")["Count"], 40);
  int total = 0;
  for (int segment = 0; segment < 4; ++segment) {
    total += Ok("Scan", R"j({"TableName":"events","TotalSegments":4,"Segment":)j" +
                            std::to_string(segment) + "}")["Count"]
                 .asInt();
  }
  EXPECT_EQ(total, 40);
  ExpectError("Scan", R"j({"TableName":"events","Segment":1})j", "ValidationException",
              "The TotalSegments parameter is required but was not present in the request when "
              "parameter Segment is present");
  ExpectError("Scan", R"j({"TableName":"events","Segment":4,"TotalSegments":4})j",
              "ValidationException",
              "The Segment parameter is zero-based and must be less than parameter "
              "TotalSegments: Segment: 4 is not less than TotalSegments: 4");
}

TEST_F(QueryOperationsTest, Scan_PagesAndFilters) {
  for (int i = 0; i < 7; ++i) PutEvent("p" + std::to_string(i), i);
  int seen = 0;
  int pages = 0;
  std::string start;
  do {
    Json::Value page = Ok("Scan", R"j({"TableName":"events","Limit":3,
      "FilterExpression":"sk >= :min","ExpressionAttributeValues":{":min":{"N":"2"}})j" +
                                      start + "}");
    seen += page["Count"].asInt();
    ++pages;
    start = page.isMember("LastEvaluatedKey")
                ? ",\"ExclusiveStartKey\":" + ItemTextOf(page["LastEvaluatedKey"])
                : "";
  } while (!start.empty());
  EXPECT_EQ(seen, 5);
  EXPECT_EQ(pages, 3);
}

TEST_F(QueryOperationsTest, IncludeIndex_ProjectsItsAttributesAndRefusesAllAttributes) {
  Ok("UpdateTable", R"j({"TableName":"events",
    "AttributeDefinitions":[{"AttributeName":"team","AttributeType":"S"}],
    "GlobalSecondaryIndexUpdates":[{"Create":{"IndexName":"byTeam",
      "KeySchema":[{"AttributeName":"team","KeyType":"HASH"},{"AttributeName":"sk","KeyType":"RANGE"}],
      "Projection":{"ProjectionType":"INCLUDE","NonKeyAttributes":["score"]}}}]})j");
  PutEvent("a", 2, R"j("team":{"S":"red"},"score":{"N":"7"},"secret":{"S":"s"})j");
  PutEvent("b", 1, R"j("team":{"S":"red"},"score":{"N":"9"})j");
  Json::Value answer = Ok("Query", R"j({"TableName":"events","IndexName":"byTeam",
    "KeyConditionExpression":"team = :t AND sk > :z",
    "ExpressionAttributeValues":{":t":{"S":"red"},":z":{"N":"0"}}})j");
  ASSERT_EQ(answer["Count"], 2);
  EXPECT_EQ(answer["Items"][0]["pk"]["S"], "b");
  EXPECT_EQ(answer["Items"][1]["score"]["N"], "7");
  EXPECT_FALSE(answer["Items"][1].isMember("secret"));
  ExpectError("Query", R"j({"TableName":"events","IndexName":"byTeam","Select":"ALL_ATTRIBUTES",
    "KeyConditionExpression":"team = :t","ExpressionAttributeValues":{":t":{"S":"red"}}})j",
              "ValidationException",
              "One or more parameter values were invalid: Select type ALL_ATTRIBUTES is not "
              "supported for global secondary index byTeam because its projection type is not ALL");
  Json::Value scanned = Ok("Scan", R"j({"TableName":"events","IndexName":"byTeam"})j");
  EXPECT_EQ(scanned["Count"], 2);
}

TEST_F(QueryOperationsTest, Query_RefusesAStartKeyFromAnotherPartition) {
  PutEvent("a", 1);
  ExpectError("Query", R"j({"TableName":"events","KeyConditionExpression":"pk = :p",
    "ExpressionAttributeValues":{":p":{"S":"a"}},
    "ExclusiveStartKey":{"pk":{"S":"b"},"sk":{"N":"1"}}})j",
              "ValidationException",
              "The provided starting key is outside query boundaries based on provided conditions");
}

TEST_F(QueryOperationsTest, ConsumedCapacity_CountsIndexWritesAndPageReads) {
  Json::Value put = Ok("PutItem", R"j({"TableName":"events","ReturnConsumedCapacity":"INDEXES",
    "Item":{"pk":{"S":"a"},"sk":{"N":"1"},"email":{"S":"e"}}})j");
  const Json::Value& capacity = put["ConsumedCapacity"];
  EXPECT_EQ(capacity["CapacityUnits"].asDouble(), 2);
  EXPECT_EQ(capacity["Table"]["CapacityUnits"].asDouble(), 1);
  EXPECT_EQ(capacity["GlobalSecondaryIndexes"]["byEmail"]["CapacityUnits"].asDouble(), 1);
  EXPECT_FALSE(capacity.isMember("LocalSecondaryIndexes"));  // no name: not in byName

  Json::Value query = QueryA(R"j(","ExpressionAttributeValues":{":p":{"S":"a"}},
    "ReturnConsumedCapacity":"TOTAL","ConsistentRead":true})j");
  EXPECT_EQ(query["ConsumedCapacity"]["CapacityUnits"].asDouble(), 1);
  EXPECT_EQ(query["ConsumedCapacity"]["TableName"], "events");
}

}  // namespace
}  // namespace wsgw::dynamodb
