#include "dynamodb/legacy_parameters.h"

#include <gtest/gtest.h>

#include "service_fixture.h"

namespace wsgw::dynamodb {
namespace {

class LegacyParametersTest : public ServiceTest {
 protected:
  void SetUp() override {
    CreateEventsTable();
    for (int sk = 1; sk <= 4; ++sk)
      PutEvent("a", sk, R"j("kind":{"S":"k)j" + std::to_string(sk % 2) + "\"}");
  }
};

TEST_F(LegacyParametersTest, Expected_GuardsAWrite) {
  ExpectError("PutItem", R"j({"TableName":"events","Item":{"pk":{"S":"a"},"sk":{"N":"1"}},
    "Expected":{"pk":{"Exists":false}}})j",
              "ConditionalCheckFailedException", "The conditional request failed");
  Ok("PutItem",
     R"j({"TableName":"events","Item":{"pk":{"S":"a"},"sk":{"N":"1"},"v":{"N":"2"},"kind":{"S":"k1"}},
    "Expected":{"kind":{"Value":{"S":"k1"}},"sk":{"ComparisonOperator":"LE","AttributeValueList":[{"N":"3"}]}}})j");
  ExpectError("DeleteItem", R"j({"TableName":"events","Key":{"pk":{"S":"a"},"sk":{"N":"1"}},
    "Expected":{"v":{"ComparisonOperator":"GT","AttributeValueList":[{"N":"5"}]},
      "kind":{"ComparisonOperator":"NULL"}},"ConditionalOperator":"OR"})j",
              "ConditionalCheckFailedException");
}

TEST_F(LegacyParametersTest, KeyConditionsAndQueryFilter_Query) {
  Json::Value answer = Ok("Query", R"j({"TableName":"events","KeyConditions":{
    "pk":{"ComparisonOperator":"EQ","AttributeValueList":[{"S":"a"}]},
    "sk":{"ComparisonOperator":"BETWEEN","AttributeValueList":[{"N":"2"},{"N":"4"}]}},
    "QueryFilter":{"kind":{"ComparisonOperator":"EQ","AttributeValueList":[{"S":"k0"}]}}})j");
  EXPECT_EQ(answer["Count"], 2);
  EXPECT_EQ(answer["ScannedCount"], 3);
}

TEST_F(LegacyParametersTest, ScanFilter_Scans) {
  Json::Value answer = Ok("Scan", R"j({"TableName":"events","ScanFilter":{
    "kind":{"ComparisonOperator":"IN","AttributeValueList":[{"S":"k1"},{"S":"zz"}]}}})j");
  EXPECT_EQ(answer["Count"], 2);
}

TEST_F(LegacyParametersTest, AttributeUpdates_UpdateAnItem) {
  Ok("UpdateItem", R"j({"TableName":"events","Key":{"pk":{"S":"a"},"sk":{"N":"1"}},
    "AttributeUpdates":{"n":{"Action":"ADD","Value":{"N":"5"}},"kind":{"Action":"DELETE"},
      "label":{"Action":"PUT","Value":{"S":"x"}}}})j");
  Json::Value item =
      Ok("GetItem", R"j({"TableName":"events","Key":{"pk":{"S":"a"},"sk":{"N":"1"}}})j")["Item"];
  EXPECT_EQ(item["n"]["N"], "5");
  EXPECT_EQ(item["label"]["S"], "x");
  EXPECT_FALSE(item.isMember("kind"));
}

TEST_F(LegacyParametersTest, MixingBothForms_IsRefused) {
  ExpectError("PutItem", R"j({"TableName":"events","Item":{"pk":{"S":"a"},"sk":{"N":"9"}},
    "Expected":{"pk":{"Exists":false}},"ConditionExpression":"attribute_not_exists(pk)"})j",
              "ValidationException",
              "Can not use both expression and non-expression parameters in the same request: "
              "Non-expression parameters: {Expected} Expression parameters: "
              "{ConditionExpression}");
}

}  // namespace
}  // namespace wsgw::dynamodb
