#include "dynamodb/service.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "service_fixture.h"

namespace wsgw::dynamodb {
namespace {

namespace fs = std::filesystem;

using ServiceErrorsTest = ServiceTest;

TEST_F(ServiceErrorsTest, UnknownOperation_HasCoralsType) {
  ExpectError("FlyToTheMoon", "{}", "UnknownOperationException");
  Json::Value answer = Call("FlyToTheMoon", "{}");
  EXPECT_EQ(answer["__type"], "com.amazon.coral.service#UnknownOperationException");
}

TEST_F(ServiceErrorsTest, OperationMayCarryTheTargetPrefix) {
  EXPECT_TRUE(Ok("DynamoDB_20120810.ListTables", "{}")["TableNames"].isArray());
}

TEST_F(ServiceErrorsTest, MalformedJson_IsASerializationException) {
  for (const char* body : {"{", "[1,2]", "{\"TableName\":", "nonsense", "{} trailing"}) {
    Json::Value answer = Call("ListTables", body);
    EXPECT_EQ(last_status_, 400) << body;
    EXPECT_EQ(answer["__type"], "com.amazon.coral.service#SerializationException") << body;
  }
}

TEST_F(ServiceErrorsTest, WrongMemberTypes_AreRefusedWithoutACrash) {
  CreateUsersTable();
  for (const char* body :
       {R"j({"TableName":5})j", R"j({"TableName":"users","Key":"id"})j",
        R"j({"TableName":"users","Key":{"id":"u1"}})j",
        R"j({"TableName":"users","Key":{"id":{"S":5}}})j",
        R"j({"TableName":"users","Key":{"id":{"S":"u1"}},"ProjectionExpression":7})j",
        R"j({"TableName":"users","Key":{"id":{"S":"u1"}},"ConsistentRead":"yes"})j",
        R"j({"TableName":["users"]})j"}) {
    Json::Value answer = Call("GetItem", body);
    EXPECT_EQ(last_status_, 400) << body << " -> " << answer;
    EXPECT_TRUE(answer["__type"].isString()) << body;
  }
  // Every operation that reads more than TableName, given members of the wrong JSON type.
  for (const char* operation :
       {"PutItem", "UpdateItem", "DeleteItem", "Query", "Scan", "BatchWriteItem", "BatchGetItem",
        "TransactWriteItems", "TransactGetItems", "CreateTable", "UpdateTimeToLive"}) {
    for (const char* body : {"{}", R"j({"TableName":"users","Item":[],"Key":[],"RequestItems":[],
        "TransactItems":{},"KeyConditionExpression":1,"Limit":"x","TimeToLiveSpecification":[],
        "AttributeDefinitions":{}})j"}) {
      Json::Value answer = Call(operation, body);
      EXPECT_EQ(last_status_, 400) << operation << " " << body << " -> " << answer;
    }
  }
  Json::Value scan = Ok("Scan", R"j({"TableName":"users"})j");
  EXPECT_EQ(scan["Count"], 0);
}

TEST_F(ServiceErrorsTest, OversizedBody_IsRefused) {
  ServiceOptions options = Options();
  options.max_body_bytes = 100;
  Service small(options);
  Response response = small.Handle("ListTables", std::string(200, ' '));
  EXPECT_EQ(response.status, 400);
  EXPECT_NE(response.body.find("ValidationException"), std::string::npos);
}

TEST_F(ServiceErrorsTest, MissingTableName_UsesDynamoDbsWording) {
  ExpectError("GetItem", R"j({"Key":{"id":{"S":"x"}}})j", "ValidationException",
              "1 validation error detected: Value null at 'tableName' failed to satisfy "
              "constraint: Member must not be null");
}

TEST_F(ServiceErrorsTest, ParallelAdds_EndAtExactlyTheirCount) {
  CreateUsersTable();
  std::vector<std::thread> threads;
  for (int i = 0; i < 20; ++i) {
    threads.emplace_back([this] {
      Response response = service_.Handle("UpdateItem", R"j({"TableName":"users",
        "Key":{"id":{"S":"counter"}},"UpdateExpression":"ADD #c :one",
        "ExpressionAttributeNames":{"#c":"count"},"ExpressionAttributeValues":{":one":{"N":"1"}}})j");
      EXPECT_EQ(response.status, 200) << response.body;
    });
  }
  for (std::thread& thread : threads) thread.join();
  Json::Value item =
      Ok("GetItem", R"j({"TableName":"users","Key":{"id":{"S":"counter"}}})j")["Item"];
  EXPECT_EQ(item["count"]["N"], "20");
}

class TimeToLiveTest : public ServiceTest {
 protected:
  void SetUp() override {
    CreateUsersTable();
    Ok("UpdateTimeToLive", R"j({"TableName":"users",
      "TimeToLiveSpecification":{"Enabled":true,"AttributeName":"ttl"}})j");
    Ok("PutItem", R"j({"TableName":"users","Item":{"id":{"S":"soon"},"ttl":{"N":"1700000100"}}})j");
    Ok("PutItem",
       R"j({"TableName":"users","Item":{"id":{"S":"later"},"ttl":{"N":"1800000000"}}})j");
    Ok("PutItem",
       R"j({"TableName":"users","Item":{"id":{"S":"never"},"ttl":{"S":"not a number"}}})j");
  }
};

TEST_F(TimeToLiveTest, ExpiredItems_AreInvisibleToReads) {
  EXPECT_TRUE(
      Ok("GetItem", R"j({"TableName":"users","Key":{"id":{"S":"soon"}}})j").isMember("Item"));
  now_ = 1700000101;
  EXPECT_FALSE(
      Ok("GetItem", R"j({"TableName":"users","Key":{"id":{"S":"soon"}}})j").isMember("Item"));
  EXPECT_EQ(Ok("Scan", R"j({"TableName":"users"})j")["Count"], 2);
  EXPECT_EQ(
      Ok("BatchGetItem",
         R"j({"RequestItems":{"users":{"Keys":[{"id":{"S":"soon"}}]}}})j")["Responses"]["users"]
          .size(),
      0u);
  // A conditional write sees the expired item as absent.
  Ok("PutItem", R"j({"TableName":"users","Item":{"id":{"S":"soon"}},
    "ConditionExpression":"attribute_not_exists(id)"})j");
}

TEST_F(TimeToLiveTest, SweepExpired_DeletesOnlyExpiredItems) {
  EXPECT_EQ(service_.SweepExpired(1700000000), 0);
  EXPECT_EQ(service_.SweepExpired(1700000101), 1);
  EXPECT_EQ(Ok("DescribeTable", R"j({"TableName":"users"})j")["Table"]["ItemCount"], 2);
  now_ = 1900000000;
  EXPECT_EQ(service_.SweepExpired(), 1);
  EXPECT_EQ(Ok("Scan", R"j({"TableName":"users"})j")["Count"], 1);
}

TEST_F(TimeToLiveTest, DisablingTtl_KeepsItemsVisible) {
  Ok("UpdateTimeToLive", R"j({"TableName":"users",
    "TimeToLiveSpecification":{"Enabled":false,"AttributeName":"ttl"}})j");
  now_ = 1900000000;
  EXPECT_EQ(Ok("Scan", R"j({"TableName":"users"})j")["Count"], 3);
  EXPECT_EQ(service_.SweepExpired(), 0);
}

TEST(ServicePersistenceTest, TablesAndItemsSurviveAReopen) {
  std::string pattern = (fs::temp_directory_path() / "wsgw-dynamodb-XXXXXX").string();
  ASSERT_NE(mkdtemp(pattern.data()), nullptr);
  fs::path dir = pattern;
  ServiceOptions options;
  options.database_path = (dir / "db.sqlite").string();
  {
    Service service(options);
    Response created = service.Handle("CreateTable", R"j({"TableName":"users",
      "BillingMode":"PAY_PER_REQUEST",
      "AttributeDefinitions":[{"AttributeName":"id","AttributeType":"S"},
        {"AttributeName":"team","AttributeType":"S"}],
      "KeySchema":[{"AttributeName":"id","KeyType":"HASH"}],
      "GlobalSecondaryIndexes":[{"IndexName":"byTeam",
        "KeySchema":[{"AttributeName":"team","KeyType":"HASH"}],"Projection":{"ProjectionType":"ALL"}}]})j");
    ASSERT_EQ(created.status, 200) << created.body;
    ASSERT_EQ(service
                  .Handle("PutItem", R"j({"TableName":"users",
      "Item":{"id":{"S":"u1"},"team":{"S":"red"}}})j")
                  .status,
              200);
  }
  {
    Service service(options);
    Response got = service.Handle("GetItem", R"j({"TableName":"users","Key":{"id":{"S":"u1"}}})j");
    EXPECT_NE(got.body.find("\"red\""), std::string::npos) << got.body;
    Response queried = service.Handle("Query", R"j({"TableName":"users","IndexName":"byTeam",
      "KeyConditionExpression":"team = :t","ExpressionAttributeValues":{":t":{"S":"red"}}})j");
    EXPECT_NE(queried.body.find("\"Count\":1"), std::string::npos) << queried.body;
  }
  fs::remove_all(dir);
}

TEST(ServicePersistenceTest, TwoServicesOnOneFileSeeEachOthersTables) {
  std::string pattern = (fs::temp_directory_path() / "wsgw-dynamodb-XXXXXX").string();
  ASSERT_NE(mkdtemp(pattern.data()), nullptr);
  fs::path dir = pattern;
  ServiceOptions options;
  options.database_path = (dir / "db.sqlite").string();
  Service first(options);
  Service second(options);
  ASSERT_EQ(second.Handle("ListTables", "{}").body, R"j({"TableNames":[]})j");
  Response created = first.Handle("CreateTable", R"j({"TableName":"users",
    "BillingMode":"PAY_PER_REQUEST","AttributeDefinitions":[{"AttributeName":"id","AttributeType":"S"}],
    "KeySchema":[{"AttributeName":"id","KeyType":"HASH"}]})j");
  ASSERT_EQ(created.status, 200) << created.body;
  EXPECT_EQ(second.Handle("PutItem", R"j({"TableName":"users","Item":{"id":{"S":"u1"}}})j").status,
            200);
  EXPECT_EQ(first.Handle("DeleteTable", R"j({"TableName":"users"})j").status, 200);
  EXPECT_EQ(second.Handle("GetItem", R"j({"TableName":"users","Key":{"id":{"S":"u1"}}})j").status,
            400);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace wsgw::dynamodb
