#include "dynamodb/table_operations.h"

#include <gtest/gtest.h>

#include "service_fixture.h"

namespace wsgw::dynamodb {
namespace {

using TableOperationsTest = ServiceTest;

TEST_F(TableOperationsTest, CreateTable_AnswersCreatingThenDescribesActiveWithArnAndCreationTime) {
  Json::Value created = Ok("CreateTable", R"j({"TableName":"users",
    "AttributeDefinitions":[{"AttributeName":"id","AttributeType":"S"}],
    "KeySchema":[{"AttributeName":"id","KeyType":"HASH"}],
    "ProvisionedThroughput":{"ReadCapacityUnits":5,"WriteCapacityUnits":3}})j");
  const Json::Value& table = created["TableDescription"];
  EXPECT_EQ(table["TableName"], "users");
  EXPECT_EQ(table["TableStatus"], "CREATING");  // as CreateTable answers; DescribeTable: ACTIVE
  EXPECT_EQ(table["TableArn"], "arn:aws:dynamodb:eu-west-1:000000000000:table/users");
  EXPECT_EQ(table["CreationDateTime"].asDouble(), 1700000000);
  EXPECT_EQ(table["ItemCount"], 0);
  EXPECT_EQ(table["ProvisionedThroughput"]["ReadCapacityUnits"], 5);
  EXPECT_EQ(table["ProvisionedThroughput"]["WriteCapacityUnits"], 3);
  EXPECT_EQ(table["KeySchema"][0]["AttributeName"], "id");
  EXPECT_EQ(table["KeySchema"][0]["KeyType"], "HASH");

  Json::Value described = Ok("DescribeTable", R"j({"TableName":"users"})j");
  EXPECT_EQ(described["Table"]["TableStatus"], "ACTIVE");
  EXPECT_EQ(described["Table"]["TableId"], table["TableId"]);
}

TEST_F(TableOperationsTest, CreateTable_DescribesGlobalAndLocalIndexes) {
  CreateEventsTable();
  PutEvent("a", 1, R"j("email":{"S":"a@x"})j");
  PutEvent("a", 2);
  Json::Value table = Ok("DescribeTable", R"j({"TableName":"events"})j")["Table"];
  EXPECT_EQ(table["ItemCount"], 2);
  EXPECT_EQ(table["BillingModeSummary"]["BillingMode"], "PAY_PER_REQUEST");
  ASSERT_EQ(table["GlobalSecondaryIndexes"].size(), 1u);
  const Json::Value& gsi = table["GlobalSecondaryIndexes"][0];
  EXPECT_EQ(gsi["IndexName"], "byEmail");
  EXPECT_EQ(gsi["IndexStatus"], "ACTIVE");
  EXPECT_EQ(gsi["ItemCount"], 1);
  EXPECT_EQ(gsi["Projection"]["ProjectionType"], "ALL");
  EXPECT_EQ(gsi["IndexArn"], "arn:aws:dynamodb:eu-west-1:000000000000:table/events/index/byEmail");
  ASSERT_EQ(table["LocalSecondaryIndexes"].size(), 1u);
  EXPECT_EQ(table["LocalSecondaryIndexes"][0]["Projection"]["ProjectionType"], "KEYS_ONLY");
}

TEST_F(TableOperationsTest, CreateTable_RefusesAnExistingTable) {
  CreateUsersTable();
  ExpectError("CreateTable", R"j({"TableName":"users","BillingMode":"PAY_PER_REQUEST",
      "AttributeDefinitions":[{"AttributeName":"id","AttributeType":"S"}],
      "KeySchema":[{"AttributeName":"id","KeyType":"HASH"}]})j",
              "ResourceInUseException", "Table already exists: users");
}

TEST_F(TableOperationsTest, CreateTable_ValidatesItsMembers) {
  ExpectError("CreateTable", R"j({})j", "ValidationException",
              "The parameter 'TableName' is required but was not present in the request");
  ExpectError("CreateTable", R"j({"TableName":"ab"})j", "ValidationException",
              "1 validation error detected: Value 'ab' at 'tableName' failed to satisfy "
              "constraint: Member must have length greater than or equal to 3");
  ExpectError("CreateTable", R"j({"TableName":"users","BillingMode":"PAY_PER_REQUEST",
      "AttributeDefinitions":[{"AttributeName":"other","AttributeType":"S"}],
      "KeySchema":[{"AttributeName":"id","KeyType":"HASH"}]})j",
              "ValidationException",
              "One or more parameter values were invalid: Some index key attributes are not "
              "defined in AttributeDefinitions. Keys: [id], AttributeDefinitions: [other]");
  ExpectError("CreateTable", R"j({"TableName":"users","BillingMode":"PAY_PER_REQUEST",
      "AttributeDefinitions":[{"AttributeName":"id","AttributeType":"S"},
        {"AttributeName":"extra","AttributeType":"S"}],
      "KeySchema":[{"AttributeName":"id","KeyType":"HASH"}]})j",
              "ValidationException",
              "One or more parameter values were invalid: Number of attributes in KeySchema does "
              "not exactly match number of attributes defined in AttributeDefinitions");
  ExpectError("CreateTable", R"j({"TableName":"users",
      "AttributeDefinitions":[{"AttributeName":"id","AttributeType":"S"}],
      "KeySchema":[{"AttributeName":"id","KeyType":"HASH"}]})j",
              "ValidationException",
              "One or more parameter values were invalid: ReadCapacityUnits and "
              "WriteCapacityUnits must both be specified when BillingMode is PROVISIONED");
  ExpectError("CreateTable", R"j({"TableName":"users","BillingMode":"PAY_PER_REQUEST",
      "AttributeDefinitions":[{"AttributeName":"id","AttributeType":"X"}],
      "KeySchema":[{"AttributeName":"id","KeyType":"HASH"}]})j",
              "ValidationException",
              "1 validation error detected: Value 'X' at "
              "'attributeDefinitions.1.member.attributeType' failed to satisfy constraint: "
              "Member must satisfy enum value set: [B, N, S]");
  ExpectError("CreateTable", R"j({"TableName":"users","BillingMode":"PAY_PER_REQUEST",
      "AttributeDefinitions":[{"AttributeName":"id","AttributeType":"S"}],
      "KeySchema":[{"AttributeName":"id","KeyType":"RANGE"}]})j",
              "ValidationException",
              "Invalid KeySchema: The first KeySchemaElement is not a HASH key type");
  ExpectError("CreateTable", R"j({"TableName":"users","BillingMode":"PAY_PER_REQUEST",
      "AttributeDefinitions":[{"AttributeName":"id","AttributeType":"S"}],
      "KeySchema":[{"AttributeName":"id","KeyType":"HASH"}],
      "LocalSecondaryIndexes":[{"IndexName":"lsi1",
        "KeySchema":[{"AttributeName":"id","KeyType":"HASH"}],
        "Projection":{"ProjectionType":"ALL"}}]})j",
              "ValidationException",
              "One or more parameter values were invalid: Table KeySchema does not have a range "
              "key, which is required when specifying a LocalSecondaryIndex");
  EXPECT_EQ(Ok("ListTables", "{}")["TableNames"].size(), 0u);
}

TEST_F(TableOperationsTest, DescribeAndDeleteTable_RefuseAMissingTable) {
  ExpectError("DescribeTable", R"j({"TableName":"nope"})j", "ResourceNotFoundException",
              "Requested resource not found: Table: nope not found");
  ExpectError("DeleteTable", R"j({"TableName":"nope"})j", "ResourceNotFoundException",
              "Requested resource not found: Table: nope not found");
}

TEST_F(TableOperationsTest, DeleteTable_RemovesTheTableAndItsItems) {
  CreateUsersTable();
  Ok("PutItem", R"j({"TableName":"users","Item":{"id":{"S":"u1"}}})j");
  Json::Value deleted = Ok("DeleteTable", R"j({"TableName":"users"})j");
  EXPECT_EQ(deleted["TableDescription"]["TableStatus"], "DELETING");
  ExpectError("GetItem", R"j({"TableName":"users","Key":{"id":{"S":"u1"}}})j",
              "ResourceNotFoundException", "Requested resource not found");
  CreateUsersTable();
  EXPECT_FALSE(
      Ok("GetItem", R"j({"TableName":"users","Key":{"id":{"S":"u1"}}})j").isMember("Item"));
}

TEST_F(TableOperationsTest, ListTables_PagesInNameOrder) {
  for (const char* name : {"gamma", "alpha", "beta"}) {
    Ok("CreateTable",
       std::string(R"j({"TableName":")j") + name + R"j(","BillingMode":"PAY_PER_REQUEST",
      "AttributeDefinitions":[{"AttributeName":"id","AttributeType":"S"}],
      "KeySchema":[{"AttributeName":"id","KeyType":"HASH"}]})j");
  }
  Json::Value first = Ok("ListTables", R"j({"Limit":2})j");
  ASSERT_EQ(first["TableNames"].size(), 2u);
  EXPECT_EQ(first["TableNames"][0], "alpha");
  EXPECT_EQ(first["TableNames"][1], "beta");
  EXPECT_EQ(first["LastEvaluatedTableName"], "beta");
  Json::Value second = Ok("ListTables", R"j({"Limit":2,"ExclusiveStartTableName":"beta"})j");
  ASSERT_EQ(second["TableNames"].size(), 1u);
  EXPECT_EQ(second["TableNames"][0], "gamma");
  EXPECT_FALSE(second.isMember("LastEvaluatedTableName"));
}

TEST_F(TableOperationsTest, UpdateTable_CreatesAGlobalIndexFilledFromExistingItems) {
  CreateUsersTable();
  Ok("PutItem", R"j({"TableName":"users","Item":{"id":{"S":"u1"},"team":{"S":"red"}}})j");
  Ok("PutItem", R"j({"TableName":"users","Item":{"id":{"S":"u2"},"team":{"S":"blue"}}})j");
  Ok("PutItem", R"j({"TableName":"users","Item":{"id":{"S":"u3"}}})j");
  Json::Value updated = Ok("UpdateTable", R"j({"TableName":"users",
    "AttributeDefinitions":[{"AttributeName":"team","AttributeType":"S"}],
    "GlobalSecondaryIndexUpdates":[{"Create":{"IndexName":"byTeam",
      "KeySchema":[{"AttributeName":"team","KeyType":"HASH"}],
      "Projection":{"ProjectionType":"KEYS_ONLY"}}}]})j");
  EXPECT_EQ(updated["TableDescription"]["GlobalSecondaryIndexes"][0]["ItemCount"], 2);

  Json::Value red = Ok("Query", R"j({"TableName":"users","IndexName":"byTeam",
    "KeyConditionExpression":"team = :t","ExpressionAttributeValues":{":t":{"S":"red"}}})j");
  ASSERT_EQ(red["Count"], 1);
  EXPECT_EQ(red["Items"][0]["id"]["S"], "u1");

  Ok("UpdateTable", R"j({"TableName":"users",
    "GlobalSecondaryIndexUpdates":[{"Delete":{"IndexName":"byTeam"}}]})j");
  ExpectError("Query", R"j({"TableName":"users","IndexName":"byTeam",
    "KeyConditionExpression":"team = :t","ExpressionAttributeValues":{":t":{"S":"red"}}})j",
              "ValidationException", "The table does not have the specified index: byTeam");
}

TEST_F(TableOperationsTest, TimeToLive_IsDescribedAfterUpdate) {
  CreateUsersTable();
  EXPECT_EQ(Ok("DescribeTimeToLive",
               R"j({"TableName":"users"})j")["TimeToLiveDescription"]["TimeToLiveStatus"],
            "DISABLED");
  Json::Value updated = Ok("UpdateTimeToLive", R"j({"TableName":"users",
    "TimeToLiveSpecification":{"Enabled":true,"AttributeName":"expiresAt"}})j");
  EXPECT_EQ(updated["TimeToLiveSpecification"]["AttributeName"], "expiresAt");
  EXPECT_EQ(updated["TimeToLiveSpecification"]["Enabled"], true);
  Json::Value described = Ok("DescribeTimeToLive", R"j({"TableName":"users"})j");
  EXPECT_EQ(described["TimeToLiveDescription"]["TimeToLiveStatus"], "ENABLED");
  EXPECT_EQ(described["TimeToLiveDescription"]["AttributeName"], "expiresAt");
  ExpectError("UpdateTimeToLive", R"j({"TableName":"users",
    "TimeToLiveSpecification":{"Enabled":true,"AttributeName":"expiresAt"}})j",
              "ValidationException", "TimeToLive is already enabled");
}

TEST_F(TableOperationsTest, EnsureTable_CreatesADeclaredTableOnceWithItsIndexesAndTtl) {
  TableDeclaration declaration;
  declaration.name = "connections";
  declaration.hash_key = {"connectionId", "S"};
  declaration.ttl_attribute = "expiresAt";
  DeclaredIndex by_user;
  by_user.name = "byUser";
  by_user.hash_key = {"userId", "S"};
  by_user.range_key = DeclaredKey{"connectedAt", "N"};
  declaration.indexes.push_back(by_user);
  service_.EnsureTable(declaration);
  Ok("PutItem", R"j({"TableName":"connections","Item":{"connectionId":{"S":"c1"}}})j");
  service_.EnsureTable(declaration);  // already there: left alone

  Json::Value table = Ok("DescribeTable", R"j({"TableName":"connections"})j")["Table"];
  EXPECT_EQ(table["ItemCount"], 1);
  EXPECT_EQ(table["GlobalSecondaryIndexes"][0]["IndexName"], "byUser");
  EXPECT_EQ(table["AttributeDefinitions"].size(), 3u);
  EXPECT_EQ(Ok("DescribeTimeToLive",
               R"j({"TableName":"connections"})j")["TimeToLiveDescription"]["AttributeName"],
            "expiresAt");

  TableDeclaration invalid;
  invalid.name = "x";
  invalid.hash_key = {"id", "S"};
  EXPECT_THROW(service_.EnsureTable(invalid), std::runtime_error);
}

}  // namespace
}  // namespace wsgw::dynamodb
