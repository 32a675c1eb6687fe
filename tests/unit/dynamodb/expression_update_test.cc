#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "dynamodb/expression.h"
#include "expression_test_util.h"

namespace wsgw::dynamodb {
namespace {

using testing::J;
using testing::Placeholders;
using testing::Text;

const char kValues[] = R"({
  ":one": {"N": "1"}, ":two": {"N": "2"}, ":x": {"S": "x"}, ":y": {"S": "y"},
  ":l": {"L": [{"S": "c"}]}, ":empty": {"L": []}, ":ss": {"SS": ["b", "c"]},
  ":ns": {"NS": ["1", "3"]}, ":bs": {"BS": ["AQ=="]}, ":m": {"M": {"k": {"S": "v"}}},
  ":t": {"BOOL": true}, ":big": {"N": "9.9999999999999999999999999999999999999E+125"}
})";

std::optional<Update> Parse(const std::string& text, std::string* error,
                            UsedPlaceholders* used = nullptr,
                            const std::string& names = R"({"#a": "a", "#st": "status"})") {
  Placeholders placeholders(names, kValues);
  return Update::Parse(text, placeholders.inputs(), used, error);
}

// The item after applying `text` to `item`, as compact JSON, or "error: <message>".
std::string Apply(const std::string& text, const std::string& item) {
  std::string error;
  std::optional<Update> update = Parse(text, &error);
  EXPECT_TRUE(update.has_value()) << text << ": " << error;
  if (!update) return "parse error: " + error;
  Json::Value value = J(item);
  const Json::Value before = value;
  if (!update->Apply(&value, &error)) {
    EXPECT_EQ(value, before) << "a failed update must leave the item unchanged";
    return "error: " + error;
  }
  return Text(value);
}

std::string Error(const std::string& text) {
  std::string error;
  EXPECT_FALSE(Parse(text, &error).has_value()) << text;
  return error;
}

TEST(UpdateExpression, SetsTopLevelAndNestedAttributes) {
  EXPECT_EQ(Apply("SET a = :one", "{}"), R"({"a":{"N":"1"}})");
  EXPECT_EQ(Apply("SET a = :one, b = :x", R"({"a":{"S":"old"}})"),
            R"({"a":{"N":"1"},"b":{"S":"x"}})");
  EXPECT_EQ(Apply("SET m.k = :x", R"({"m":{"M":{}}})"), R"({"m":{"M":{"k":{"S":"x"}}}})");
  EXPECT_EQ(Apply("SET m.n.k = :x", R"({"m":{"M":{"n":{"M":{"k":{"S":"o"}}}}}})"),
            R"({"m":{"M":{"n":{"M":{"k":{"S":"x"}}}}}})");
  EXPECT_EQ(Apply("SET #a = :one, #st = :x", "{}"), R"({"a":{"N":"1"},"status":{"S":"x"}})");
  EXPECT_EQ(Apply("set a = :one", "{}"), R"({"a":{"N":"1"}})");
}

TEST(UpdateExpression, SetsListElementsAndAppendsPastTheEnd) {
  const char list[] = R"({"l":{"L":[{"S":"a"},{"S":"b"}]}})";
  EXPECT_EQ(Apply("SET l[0] = :x", list), R"({"l":{"L":[{"S":"x"},{"S":"b"}]}})");
  EXPECT_EQ(Apply("SET l[2] = :x", list), R"({"l":{"L":[{"S":"a"},{"S":"b"},{"S":"x"}]}})");
  EXPECT_EQ(Apply("SET l[99] = :x", list), R"({"l":{"L":[{"S":"a"},{"S":"b"},{"S":"x"}]}})");
  EXPECT_EQ(Apply("SET l[1].k = :x", R"({"l":{"L":[{"S":"a"},{"M":{}}]}})"),
            R"({"l":{"L":[{"S":"a"},{"M":{"k":{"S":"x"}}}]}})");
}

TEST(UpdateExpression, RefusesPathsThroughMissingOrWrongValues) {
  const std::string invalid =
      "error: The document path provided in the update expression is invalid for update";
  EXPECT_EQ(Apply("SET m.k = :x", "{}"), invalid);
  EXPECT_EQ(Apply("SET m.k = :x", R"({"m":{"S":"not a map"}})"), invalid);
  EXPECT_EQ(Apply("SET l[0] = :x", "{}"), invalid);
  EXPECT_EQ(Apply("SET l[0] = :x", R"({"l":{"M":{}}})"), invalid);
  EXPECT_EQ(Apply("SET m.a.b = :x", R"({"m":{"M":{}}})"), invalid);
  EXPECT_EQ(Apply("REMOVE m.k", "{}"), invalid);
}

TEST(UpdateExpression, ArithmeticOnNumbers) {
  EXPECT_EQ(Apply("SET n = n + :one", R"({"n":{"N":"41"}})"), R"({"n":{"N":"42"}})");
  EXPECT_EQ(Apply("SET n = n - :two", R"({"n":{"N":"1.5"}})"), R"({"n":{"N":"-0.5"}})");
  EXPECT_EQ(Apply("SET n = :two - n", R"({"n":{"N":"0.5"}})"), R"({"n":{"N":"1.5"}})");
  EXPECT_EQ(Apply("SET n = :one+:two", "{}"), R"({"n":{"N":"3"}})");
  EXPECT_EQ(Apply("SET n = n + :one", "{}"),
            "error: The provided expression refers to an attribute that does not exist in the "
            "item");
  EXPECT_EQ(Apply("SET n = n + :one", R"({"n":{"S":"5"}})"),
            "error: An operand in the update expression has an incorrect data type");
  EXPECT_EQ(Apply("SET n = n + :big", R"({"n":{"N":"9E+125"}})"),
            "error: Number overflow. Attempting to store a number with magnitude larger than "
            "supported range");
}

TEST(UpdateExpression, ValuesMayBeParenthesized) {
  EXPECT_EQ(Apply("SET n = (n + :one)", R"({"n":{"N":"1"}})"), R"({"n":{"N":"2"}})");
  EXPECT_EQ(Apply("SET n = (n) - (:two)", R"({"n":{"N":"1"}})"), R"({"n":{"N":"-1"}})");
  EXPECT_EQ(Apply("SET n = (:one)", "{}"), R"({"n":{"N":"1"}})");
  EXPECT_EQ(Apply("SET n = list_append((:l), :l)", "{}"), R"({"n":{"L":[{"S":"c"},{"S":"c"}]}})");
  EXPECT_EQ(Error("SET n = (((:one)))"),
            R"(Invalid UpdateExpression: Syntax error; token: "(", near: "((:one")");
}

TEST(UpdateExpression, IfNotExistsAndListAppend) {
  EXPECT_EQ(Apply("SET n = if_not_exists(n, :one)", "{}"), R"({"n":{"N":"1"}})");
  EXPECT_EQ(Apply("SET n = if_not_exists(n, :one)", R"({"n":{"N":"7"}})"), R"({"n":{"N":"7"}})");
  EXPECT_EQ(Apply("SET c = if_not_exists(c, :one) + :two", "{}"), R"({"c":{"N":"3"}})");
  EXPECT_EQ(Apply("SET l = list_append(l, :l)", R"({"l":{"L":[{"S":"a"}]}})"),
            R"({"l":{"L":[{"S":"a"},{"S":"c"}]}})");
  EXPECT_EQ(Apply("SET l = list_append(:l, l)", R"({"l":{"L":[{"S":"a"}]}})"),
            R"({"l":{"L":[{"S":"c"},{"S":"a"}]}})");
  EXPECT_EQ(Apply("SET l = list_append(if_not_exists(l, :empty), :l)", "{}"),
            R"({"l":{"L":[{"S":"c"}]}})");
  EXPECT_EQ(Apply("SET l = list_append(l, :l)", R"({"l":{"S":"a"}})"),
            "error: An operand in the update expression has an incorrect data type");
  EXPECT_EQ(Apply("SET l = list_append(l, :l)", "{}"),
            "error: The provided expression refers to an attribute that does not exist in the "
            "item");
}

TEST(UpdateExpression, RefusesToNestDeeperThanDynamoDbStores) {
  std::string item = R"({"S":"x"})";
  for (int i = 0; i < 31; ++i) item = R"({"M":{"k":)" + item + "}}";
  std::string deepest = "a";
  for (int i = 0; i < 31; ++i) deepest += ".k";
  EXPECT_EQ(Apply("SET " + deepest + " = :x", R"({"a":)" + item + "}").substr(0, 6), R"({"a":{)");
  EXPECT_EQ(Apply("SET " + deepest + " = :m", R"({"a":)" + item + "}"),
            "error: Nesting Levels have exceeded supported limits: Attributes in the item have "
            "nested levels beyond supported limit");
  EXPECT_EQ(Apply("SET b = a.k", R"({"a":)" + item + "}").substr(0, 6), R"({"a":{)");
}

TEST(UpdateExpression, OperandsSeeTheItemBeforeTheUpdate) {
  EXPECT_EQ(Apply("SET a = b, b = a", R"({"a":{"S":"x"},"b":{"S":"y"}})"),
            R"({"a":{"S":"y"},"b":{"S":"x"}})");
}

TEST(UpdateExpression, RemovesAttributesAndListElements) {
  EXPECT_EQ(Apply("REMOVE a, b", R"({"a":{"S":"x"},"b":{"S":"y"},"c":{"S":"z"}})"),
            R"({"c":{"S":"z"}})");
  EXPECT_EQ(Apply("REMOVE absent", R"({"c":{"S":"z"}})"), R"({"c":{"S":"z"}})");
  EXPECT_EQ(Apply("REMOVE m.k", R"({"m":{"M":{"k":{"S":"v"},"j":{"S":"w"}}}})"),
            R"({"m":{"M":{"j":{"S":"w"}}}})");
  EXPECT_EQ(Apply("REMOVE m.absent", R"({"m":{"M":{}}})"), R"({"m":{"M":{}}})");
  const char list[] = R"({"l":{"L":[{"S":"a"},{"S":"b"},{"S":"c"},{"S":"d"}]}})";
  EXPECT_EQ(Apply("REMOVE l[1]", list), R"({"l":{"L":[{"S":"a"},{"S":"c"},{"S":"d"}]}})");
  // Both indexes name elements of the list as it was: b and d go.
  EXPECT_EQ(Apply("REMOVE l[1], l[3]", list), R"({"l":{"L":[{"S":"a"},{"S":"c"}]}})");
  EXPECT_EQ(Apply("REMOVE l[9]", list), list);
}

TEST(UpdateExpression, AddsNumbersAndSetMembers) {
  EXPECT_EQ(Apply("ADD n :two", "{}"), R"({"n":{"N":"2"}})");
  EXPECT_EQ(Apply("ADD n :two", R"({"n":{"N":"-2"}})"), R"({"n":{"N":"0"}})");
  EXPECT_EQ(Apply("ADD s :ss", "{}"), R"({"s":{"SS":["b","c"]}})");
  EXPECT_EQ(Apply("ADD s :ss", R"({"s":{"SS":["a","b"]}})"), R"({"s":{"SS":["a","b","c"]}})");
  EXPECT_EQ(Apply("ADD s :ns", R"({"s":{"NS":["1.0","2"]}})"), R"({"s":{"NS":["1.0","2","3"]}})");
  EXPECT_EQ(Apply("ADD m.n :one", R"({"m":{"M":{}}})"), R"({"m":{"M":{"n":{"N":"1"}}}})");
  EXPECT_EQ(Apply("ADD s :ss", R"({"s":{"NS":["1"]}})"),
            "error: An operand in the update expression has an incorrect data type");
  EXPECT_EQ(Apply("ADD n :one", R"({"n":{"S":"1"}})"),
            "error: An operand in the update expression has an incorrect data type");
}

TEST(UpdateExpression, DeletesSetMembersAndTheEmptySet) {
  EXPECT_EQ(Apply("DELETE s :ss", R"({"s":{"SS":["a","b"]}})"), R"({"s":{"SS":["a"]}})");
  EXPECT_EQ(Apply("DELETE s :ss", R"({"s":{"SS":["b","c"]},"k":{"S":"v"}})"), R"({"k":{"S":"v"}})");
  EXPECT_EQ(Apply("DELETE s :ns", R"({"s":{"NS":["1.00","2"]}})"), R"({"s":{"NS":["2"]}})");
  EXPECT_EQ(Apply("DELETE s :bs", R"({"s":{"BS":["AQ","Ag=="]}})"), R"({"s":{"BS":["Ag=="]}})");
  EXPECT_EQ(Apply("DELETE s :ss", "{}"), "{}");
  EXPECT_EQ(Apply("DELETE s :ss", R"({"s":{"S":"b"}})"),
            "error: An operand in the update expression has an incorrect data type");
}

TEST(UpdateExpression, ClausesComeInAnyOrderOnceEach) {
  EXPECT_EQ(
      Apply("REMOVE r ADD n :one SET s = :x DELETE d :ss", R"({"r":{"S":"x"},"d":{"SS":["b"]}})"),
      R"({"n":{"N":"1"},"s":{"S":"x"}})");
  EXPECT_EQ(Error("SET a = :one SET b = :two"),
            "Invalid UpdateExpression: The \"SET\" section can only be used once in an update "
            "expression;");
  EXPECT_EQ(Error("remove a REMOVE b"),
            "Invalid UpdateExpression: The \"REMOVE\" section can only be used once in an update "
            "expression;");
}

TEST(UpdateExpression, SyntaxErrors) {
  EXPECT_EQ(Error("a = :one"),
            R"(Invalid UpdateExpression: Syntax error; token: "a", near: "a =")");
  EXPECT_EQ(Error("INVALID SYNTAX HERE"),
            R"(Invalid UpdateExpression: Syntax error; token: "INVALID", near: "INVALID SYNTAX")");
  EXPECT_EQ(Error("ADD hits : incr"),
            R"(Invalid UpdateExpression: Syntax error; token: ":", near: "hits : incr")");
  EXPECT_EQ(Error("SET a = :one,"),
            R"(Invalid UpdateExpression: Syntax error; token: "<EOF>", near: ",")");
  EXPECT_EQ(Error("SET a :one"),
            R"(Invalid UpdateExpression: Syntax error; token: ":one", near: "a :one")");
  EXPECT_EQ(Error("SET a = :one + :two + :one"),
            R"(Invalid UpdateExpression: Syntax error; token: "+", near: ":two + :one")");
  EXPECT_EQ(Error("ADD a b"), R"(Invalid UpdateExpression: Syntax error; token: "b", near: "a b")");
  EXPECT_EQ(Error("REMOVE"),
            R"(Invalid UpdateExpression: Syntax error; token: "<EOF>", near: "REMOVE")");
  EXPECT_EQ(Error(""), "Invalid UpdateExpression: The expression can not be empty;");
}

TEST(UpdateExpression, RefusesOverlappingAndConflictingPaths) {
  EXPECT_EQ(Error("SET a = :one REMOVE a.b"),
            "Invalid UpdateExpression: Two document paths overlap with each other; must remove or "
            "rewrite one of these paths; path one: [a], path two: [a, b]");
  EXPECT_EQ(Error("SET #a = :one, a = :two"),
            "Invalid UpdateExpression: Two document paths overlap with each other; must remove or "
            "rewrite one of these paths; path one: [a], path two: [a]");
  EXPECT_EQ(Error("SET l[1].x = :one ADD l[1] :two"),
            "Invalid UpdateExpression: Two document paths overlap with each other; must remove or "
            "rewrite one of these paths; path one: [l, [1], x], path two: [l, [1]]");
  EXPECT_EQ(Error("SET a.b = :one, a[0] = :two"),
            "Invalid UpdateExpression: Two document paths conflict with each other; must remove or "
            "rewrite one of these paths; path one: [a, b], path two: [a, [0]]");
  // Siblings are fine.
  std::string error;
  EXPECT_TRUE(Parse("SET a.b = :one, a.c = :two REMOVE l[0], l[1]", &error)) << error;
}

TEST(UpdateExpression, ChecksOperandsItCanSeeWithoutTheItem) {
  EXPECT_EQ(Error("ADD a :x"),
            "Invalid UpdateExpression: Incorrect operand type for operator or function; operator: "
            "ADD, operand type: STRING");
  EXPECT_EQ(Error("ADD a :l"),
            "Invalid UpdateExpression: Incorrect operand type for operator or function; operator: "
            "ADD, operand type: LIST");
  EXPECT_EQ(Error("DELETE a :one"),
            "Invalid UpdateExpression: Incorrect operand type for operator or function; operator: "
            "DELETE, operand type: NUMBER");
  EXPECT_EQ(Error("SET a = list_append(a, :m)"),
            "Invalid UpdateExpression: Incorrect operand type for operator or function; operator "
            "or function: list_append, operand type: M");
  EXPECT_EQ(Error("SET a = a + :x"),
            "Invalid UpdateExpression: Incorrect operand type for operator or function; operator "
            "or function: +, operand type: S");
  EXPECT_EQ(Error("SET a = if_not_exists(:one, :two)"),
            "Invalid UpdateExpression: Operator or function requires a document path; operator or "
            "function: if_not_exists");
  EXPECT_EQ(Error("SET a = if_not_exists(a)"),
            "Invalid UpdateExpression: Incorrect number of operands for operator or function; "
            "operator or function: if_not_exists, number of operands: 1");
  EXPECT_EQ(Error("SET a = size(a)"),
            "Invalid UpdateExpression: Invalid function name; function: size");
  EXPECT_EQ(Error("SET status = :one"),
            "Invalid UpdateExpression: Attribute name is a reserved keyword; reserved keyword: "
            "status");
  EXPECT_EQ(Error("SET a = :nope"),
            "Invalid UpdateExpression: An expression attribute value used in expression is not "
            "defined; attribute value: :nope");
}

TEST(UpdateExpression, ReportsErrorsInDynamoDbsOrderForUpdates) {
  // A reserved word comes before an undefined name, which comes before overlapping paths,
  // which come before operand types.
  EXPECT_EQ(Error("SET #nope = :one, a = :x ADD a :x REMOVE status"),
            "Invalid UpdateExpression: Attribute name is a reserved keyword; reserved keyword: "
            "status");
  EXPECT_EQ(Error("ADD a :x SET a = :nope"),
            "Invalid UpdateExpression: An expression attribute value used in expression is not "
            "defined; attribute value: :nope");
  EXPECT_EQ(Error("ADD a :x SET a = :one"),
            "Invalid UpdateExpression: Two document paths overlap with each other; must remove or "
            "rewrite one of these paths; path one: [a], path two: [a]");
  EXPECT_EQ(Error("SET b = list_append(:one, b) ADD a :x"),
            "Invalid UpdateExpression: Incorrect operand type for operator or function; operator: "
            "ADD, operand type: STRING");
}

TEST(UpdateExpression, ReportsTopLevelNamesAndPlaceholders) {
  std::string error;
  UsedPlaceholders used;
  std::optional<Update> update =
      Parse("SET #a.b = :one, c[0] = :x REMOVE #a.d ADD e :two", &error, &used);
  ASSERT_TRUE(update) << error;
  EXPECT_EQ(update->TopLevelNames(), (std::vector<std::string>{"a", "c", "e"}));
  EXPECT_EQ(used.names, (std::set<std::string>{"#a"}));
  EXPECT_EQ(used.values, (std::set<std::string>{":one", ":x", ":two"}));
}

}  // namespace
}  // namespace wsgw::dynamodb
