#include "dynamodb/transaction_operations.h"

#include <gtest/gtest.h>

#include <string>

#include "service_fixture.h"

namespace wsgw::dynamodb {
namespace {

class TransactionOperationsTest : public ServiceTest {
 protected:
  void SetUp() override {
    CreateUsersTable();
    Ok("PutItem", R"j({"TableName":"users","Item":{"id":{"S":"alice"},"balance":{"N":"10"}}})j");
    Ok("PutItem", R"j({"TableName":"users","Item":{"id":{"S":"bob"},"balance":{"N":"0"}}})j");
  }

  std::string Balance(const std::string& id) {
    return Ok("GetItem", R"j({"TableName":"users","Key":{"id":{"S":")j" + id +
                             R"j("}}})j")["Item"]["balance"]["N"]
        .asString();
  }

  std::string Transfer(int amount) {
    std::string value = std::to_string(amount);
    return R"j({"ClientRequestToken":"token-1","TransactItems":[
      {"Update":{"TableName":"users","Key":{"id":{"S":"alice"}},
        "UpdateExpression":"SET balance = balance - :a","ConditionExpression":"balance >= :a",
        "ExpressionAttributeValues":{":a":{"N":")j" +
           value + R"j("}},"ReturnValuesOnConditionCheckFailure":"ALL_OLD"}},
      {"Update":{"TableName":"users","Key":{"id":{"S":"bob"}},
        "UpdateExpression":"SET balance = balance + :a",
        "ExpressionAttributeValues":{":a":{"N":")j" +
           value + R"j("}}}},
      {"Put":{"TableName":"users","Item":{"id":{"S":"log"},"last":{"N":")j" +
           value + R"j("}}}}]})j";
  }
};

TEST_F(TransactionOperationsTest, TransactWriteItems_AppliesEveryItem) {
  Json::Value answer = Ok("TransactWriteItems", Transfer(4));
  EXPECT_TRUE(answer.isObject());
  EXPECT_EQ(Balance("alice"), "6");
  EXPECT_EQ(Balance("bob"), "4");
  EXPECT_TRUE(
      Ok("GetItem", R"j({"TableName":"users","Key":{"id":{"S":"log"}}})j").isMember("Item"));
}

TEST_F(TransactionOperationsTest, TransactWriteItems_TokenMakesARetryHarmless) {
  Ok("TransactWriteItems", Transfer(4));
  Ok("TransactWriteItems", Transfer(4));  // the same token and items: not applied again
  EXPECT_EQ(Balance("alice"), "6");
  ExpectError("TransactWriteItems", Transfer(3), "IdempotentParameterMismatchException");
  now_ += 601;  // tokens last 10 minutes
  Ok("TransactWriteItems", Transfer(4));
  EXPECT_EQ(Balance("alice"), "2");
}

TEST_F(TransactionOperationsTest, TransactWriteItems_FailedConditionCancelsEverything) {
  Json::Value error =
      ExpectError("TransactWriteItems", Transfer(50), "TransactionCanceledException",
                  "Transaction cancelled, please refer cancellation reasons for specific reasons "
                  "[ConditionalCheckFailed, None, None]");
  const Json::Value& reasons = error["CancellationReasons"];
  ASSERT_EQ(reasons.size(), 3u);
  EXPECT_EQ(reasons[0]["Code"], "ConditionalCheckFailed");
  EXPECT_EQ(reasons[0]["Message"], "The conditional request failed");
  EXPECT_EQ(reasons[0]["Item"]["balance"]["N"], "10");
  EXPECT_EQ(reasons[1]["Code"], "None");
  EXPECT_FALSE(reasons[1].isMember("Message"));
  EXPECT_EQ(Balance("alice"), "10");
  EXPECT_EQ(Balance("bob"), "0");
  EXPECT_FALSE(
      Ok("GetItem", R"j({"TableName":"users","Key":{"id":{"S":"log"}}})j").isMember("Item"));
}

TEST_F(TransactionOperationsTest, TransactWriteItems_ConditionCheckAndDelete) {
  ExpectError("TransactWriteItems", R"j({"TransactItems":[
    {"ConditionCheck":{"TableName":"users","Key":{"id":{"S":"bob"}},
      "ConditionExpression":"balance > :z","ExpressionAttributeValues":{":z":{"N":"0"}}}},
    {"Delete":{"TableName":"users","Key":{"id":{"S":"alice"}}}}]})j",
              "TransactionCanceledException");
  EXPECT_EQ(Balance("alice"), "10");
  Ok("TransactWriteItems", R"j({"TransactItems":[
    {"ConditionCheck":{"TableName":"users","Key":{"id":{"S":"alice"}},
      "ConditionExpression":"balance > :z","ExpressionAttributeValues":{":z":{"N":"0"}}}},
    {"Delete":{"TableName":"users","Key":{"id":{"S":"bob"}}}}]})j");
  EXPECT_FALSE(
      Ok("GetItem", R"j({"TableName":"users","Key":{"id":{"S":"bob"}}})j").isMember("Item"));
}

TEST_F(TransactionOperationsTest, TransactWriteItems_RefusesTwoActionsOnOneItem) {
  ExpectError("TransactWriteItems", R"j({"TransactItems":[
    {"Delete":{"TableName":"users","Key":{"id":{"S":"bob"}}}},
    {"Put":{"TableName":"users","Item":{"id":{"S":"bob"}}}}]})j",
              "ValidationException",
              "Transaction request cannot include multiple operations on one item");
  EXPECT_EQ(Balance("bob"), "0");
}

TEST_F(TransactionOperationsTest, TransactWriteItems_ValidationErrorAppliesNothing) {
  ExpectError("TransactWriteItems", R"j({"TransactItems":[
    {"Delete":{"TableName":"users","Key":{"id":{"S":"bob"}}}},
    {"Put":{"TableName":"users","Item":{"id":{"N":"1"}}}}]})j",
              "ValidationException");
  EXPECT_EQ(Balance("bob"), "0");
}

TEST_F(TransactionOperationsTest, TransactWriteItems_UpdateTheItemRefusesIsAValidationErrorReason) {
  Json::Value error = ExpectError("TransactWriteItems", R"j({"TransactItems":[
    {"Put":{"TableName":"users","Item":{"id":{"S":"carol"}}}},
    {"Update":{"TableName":"users","Key":{"id":{"S":"bob"}},"UpdateExpression":"SET nothere = nothere + :one",
      "ExpressionAttributeValues":{":one":{"N":"1"}}}}]})j",
                                  "TransactionCanceledException",
                                  "Transaction cancelled, please refer cancellation reasons for "
                                  "specific reasons [None, ValidationError]");
  EXPECT_EQ(error["CancellationReasons"][1]["Code"], "ValidationError");
  EXPECT_FALSE(error["CancellationReasons"][1]["Message"].asString().empty());
  EXPECT_FALSE(
      Ok("GetItem", R"j({"TableName":"users","Key":{"id":{"S":"carol"}}})j").isMember("Item"));
}

TEST_F(TransactionOperationsTest, TransactGetItems_ReturnsOneResponsePerItem) {
  Json::Value answer = Ok("TransactGetItems", R"j({"TransactItems":[
    {"Get":{"TableName":"users","Key":{"id":{"S":"alice"}}}},
    {"Get":{"TableName":"users","Key":{"id":{"S":"nobody"}}}},
    {"Get":{"TableName":"users","Key":{"id":{"S":"bob"}},"ProjectionExpression":"balance"}}]})j");
  const Json::Value& responses = answer["Responses"];
  ASSERT_EQ(responses.size(), 3u);
  EXPECT_EQ(responses[0]["Item"]["balance"]["N"], "10");
  EXPECT_FALSE(responses[1].isMember("Item"));
  EXPECT_EQ(responses[2]["Item"].size(), 1u);
}

}  // namespace
}  // namespace wsgw::dynamodb
