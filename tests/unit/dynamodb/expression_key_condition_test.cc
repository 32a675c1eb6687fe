#include <gtest/gtest.h>

#include <optional>
#include <string>

#include "dynamodb/key_condition.h"
#include "expression_test_util.h"

namespace wsgw::dynamodb {
namespace {

using testing::J;
using testing::Placeholders;

const char kValues[] = R"({
  ":id": {"S": "u1"}, ":t1": {"N": "10"}, ":t2": {"N": "20"}, ":p": {"S": "ab"},
  ":n": {"N": "1"}, ":b": {"B": "AQ=="}
})";
const KeySchemaNames kSchema{"id", "ts"};

std::optional<KeyCondition> Parse(const std::string& text, std::string* error,
                                  const KeySchemaNames& schema = kSchema,
                                  UsedPlaceholders* used = nullptr) {
  Placeholders placeholders(R"({"#id": "id", "#ts": "ts"})", kValues);
  return KeyCondition::Parse(text, schema, placeholders.inputs(), used, error);
}

KeyCondition MustParse(const std::string& text, const KeySchemaNames& schema = kSchema) {
  std::string error;
  std::optional<KeyCondition> condition = Parse(text, &error, schema);
  EXPECT_TRUE(condition.has_value()) << text << ": " << error;
  return condition.value_or(KeyCondition{});
}

std::string Error(const std::string& text, const KeySchemaNames& schema = kSchema) {
  std::string error;
  EXPECT_FALSE(Parse(text, &error, schema).has_value()) << text;
  return error;
}

TEST(KeyConditionExpression, HashEqualityAlone) {
  KeyCondition condition = MustParse("id = :id");
  EXPECT_EQ(condition.hash_value, J(R"({"S": "u1"})"));
  EXPECT_EQ(condition.range_op, KeyCondition::Op::kNone);
  EXPECT_EQ(MustParse(":id = #id", KeySchemaNames{"id", ""}).hash_value, J(R"({"S": "u1"})"));
}

TEST(KeyConditionExpression, EachRangeOperatorInEitherOrder) {
  struct Case {
    const char* text;
    KeyCondition::Op op;
  };
  for (const Case& c : {Case{"id = :id AND ts = :t1", KeyCondition::Op::kEq},
                        Case{"id = :id AND ts < :t1", KeyCondition::Op::kLt},
                        Case{"id = :id AND ts <= :t1", KeyCondition::Op::kLe},
                        Case{"ts > :t1 AND id = :id", KeyCondition::Op::kGt},
                        Case{"(#ts >= :t1) and (#id = :id)", KeyCondition::Op::kGe},
                        Case{"id = :id AND :t1 > ts", KeyCondition::Op::kLt},
                        Case{"id = :id AND :t1 <= ts", KeyCondition::Op::kGe}}) {
    KeyCondition condition = MustParse(c.text);
    EXPECT_EQ(condition.range_op, c.op) << c.text;
    EXPECT_EQ(condition.range_value1, J(R"({"N": "10"})")) << c.text;
  }
  KeyCondition between = MustParse("id = :id AND ts BETWEEN :t1 AND :t2");
  EXPECT_EQ(between.range_op, KeyCondition::Op::kBetween);
  EXPECT_EQ(between.range_value2, J(R"({"N": "20"})"));
  KeyCondition prefix = MustParse("begins_with(ts, :p) AND id = :id", KeySchemaNames{"id", "ts"});
  EXPECT_EQ(prefix.range_op, KeyCondition::Op::kBeginsWith);
  EXPECT_EQ(prefix.range_value1, J(R"({"S": "ab"})"));
}

TEST(KeyConditionExpression, RangeMatches) {
  KeyCondition between = MustParse("id = :id AND ts BETWEEN :t1 AND :t2");
  EXPECT_TRUE(between.RangeMatches(J(R"({"N": "10"})")));
  EXPECT_TRUE(between.RangeMatches(J(R"({"N": "15.5"})")));
  EXPECT_FALSE(between.RangeMatches(J(R"({"N": "20.1"})")));
  EXPECT_FALSE(between.RangeMatches(J(R"({"S": "15"})")));
  KeyCondition prefix = MustParse("id = :id AND begins_with(ts, :p)");
  EXPECT_TRUE(prefix.RangeMatches(J(R"({"S": "abc"})")));
  EXPECT_FALSE(prefix.RangeMatches(J(R"({"S": "b"})")));
  EXPECT_TRUE(MustParse("id = :id").RangeMatches(J(R"({"S": "anything"})")));
  EXPECT_TRUE(MustParse("id = :id AND ts < :t1").RangeMatches(J(R"({"N": "-3"})")));
}

TEST(KeyConditionExpression, RefusesWhatAKeyConditionCannotSay) {
  EXPECT_EQ(Error("id = :id OR ts = :t1"), "Invalid operator used in KeyConditionExpression: OR");
  EXPECT_EQ(Error("NOT id = :id"), "Invalid operator used in KeyConditionExpression: NOT");
  EXPECT_EQ(Error("id <> :id"), "Invalid operator used in KeyConditionExpression: <>");
  EXPECT_EQ(Error("id IN (:id)"), "Invalid operator used in KeyConditionExpression: IN");
  EXPECT_EQ(Error("id = :id AND attribute_exists(ts)"),
            "Invalid operator used in KeyConditionExpression: attribute_exists");
  EXPECT_EQ(Error("id = :id AND contains(ts, :p)"),
            "Invalid operator used in KeyConditionExpression: contains");
  EXPECT_EQ(Error("id = :id AND size(ts) > :n"),
            "Invalid operator used in KeyConditionExpression: size");
  EXPECT_EQ(Error("id = ts"),
            "Invalid condition in KeyConditionExpression: Multiple attribute names used in one "
            "condition");
  EXPECT_EQ(Error(":id = :id"),
            "Invalid condition in KeyConditionExpression: No key attribute specified");
  EXPECT_EQ(Error("id.x = :id"),
            "Invalid KeyConditionExpression: KeyConditionExpressions cannot have conditions on "
            "nested attributes");
  EXPECT_EQ(Error("id = :id AND begins_with(ts[0], :p)"),
            "Invalid KeyConditionExpression: KeyConditionExpressions cannot have conditions on "
            "nested attributes");
}

TEST(KeyConditionExpression, ChecksTheKeySchema) {
  EXPECT_EQ(Error("ts = :t1"), "Query condition missed key schema element: id");
  EXPECT_EQ(Error("extra = :id"), "Query condition missed key schema element: id");
  EXPECT_EQ(Error("id = :id AND extra = :t1"), "Query condition missed key schema element: ts");
  EXPECT_EQ(Error("id = :id AND ts = :t1", KeySchemaNames{"id", ""}),
            "Query key condition not supported");
  EXPECT_EQ(Error("id < :id"), "Query key condition not supported");
  EXPECT_EQ(Error("begins_with(id, :p)"), "Query key condition not supported");
  EXPECT_EQ(Error("id = :id AND id = :id"),
            "KeyConditionExpressions must only contain one condition per key");
  EXPECT_EQ(Error("id = :id AND ts > :t1 AND ts < :t2"),
            "KeyConditionExpressions must only contain one condition per key");
}

TEST(KeyConditionExpression, ParserErrorsCarryTheParameterName) {
  EXPECT_EQ(Error("a-b"),
            R"(Invalid KeyConditionExpression: Syntax error; token: "-", near: "a-b")");
  EXPECT_EQ(Error("id = :id AND begins_with(ts, :n)"),
            "Invalid KeyConditionExpression: Incorrect operand type for operator or function; "
            "operator or function: begins_with, operand type: N");
  EXPECT_EQ(Error("#nope = :id"),
            "Invalid KeyConditionExpression: An expression attribute name used in the document "
            "path is not defined; attribute name: #nope");
  EXPECT_EQ(Error(""), "Invalid KeyConditionExpression: The expression can not be empty;");
}

TEST(KeyConditionExpression, RecordsPlaceholdersOnlyOnSuccess) {
  UsedPlaceholders used;
  std::string error;
  ASSERT_TRUE(Parse("#id = :id AND #ts > :t1", &error, kSchema, &used)) << error;
  EXPECT_EQ(used.names, (std::set<std::string>{"#id", "#ts"}));
  EXPECT_EQ(used.values, (std::set<std::string>{":id", ":t1"}));
  UsedPlaceholders none;
  EXPECT_FALSE(Parse("#id = :id OR #ts > :t2", &error, kSchema, &none));
  EXPECT_TRUE(none.names.empty());
  EXPECT_TRUE(none.values.empty());
}

}  // namespace
}  // namespace wsgw::dynamodb
