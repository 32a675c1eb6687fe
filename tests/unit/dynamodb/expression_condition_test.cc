#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "dynamodb/expression.h"
#include "expression_test_util.h"

namespace wsgw::dynamodb {
namespace {

using testing::J;
using testing::Placeholders;

const char kItem[] = R"({
  "id": {"S": "u1"}, "n": {"N": "5"}, "s": {"S": "hello"}, "b": {"B": "AQID"},
  "t": {"BOOL": true}, "z": {"NULL": true},
  "m": {"M": {"x": {"N": "1"}, "y": {"L": [{"S": "a"}, {"N": "2"}]}}},
  "l": {"L": [{"S": "first"}, {"M": {"k": {"S": "v"}}}, {"N": "3"}]},
  "ss": {"SS": ["a", "b"]}, "ns": {"NS": ["1", "2.0"]}, "bs": {"BS": ["AQ=="]},
  "u": {"S": "\u00e9\ud834\udd1e"}, "status": {"S": "on"}
})";

const char kValues[] = R"({
  ":five": {"N": "5"}, ":six": {"N": "6"}, ":four": {"N": "4.0"}, ":two": {"N": "2"},
  ":three": {"N": "3"}, ":one": {"N": "1"}, ":hello": {"S": "hello"}, ":he": {"S": "he"},
  ":ell": {"S": "ell"}, ":a": {"S": "a"}, ":c": {"S": "c"}, ":v": {"S": "v"},
  ":first": {"S": "first"}, ":S": {"S": "S"}, ":N": {"N": "5"}, ":typeN": {"S": "N"},
  ":typeM": {"S": "M"}, ":typeSS": {"S": "SS"}, ":true": {"BOOL": true}, ":b01": {"B": "AQ=="},
  ":b0102": {"B": "AQI="}, ":b02": {"B": "Ag=="}, ":fivestr": {"S": "5"}, ":on": {"S": "on"},
  ":null": {"NULL": true}, ":list": {"L": [{"S": "a"}]}, ":ss": {"SS": ["a"]}, ":m": {"M": {}},
  ":bogus": {"S": "X"}
})";

std::optional<Condition> ParseWith(const std::string& text, const Placeholders& placeholders,
                                   std::string* error, UsedPlaceholders* used = nullptr) {
  return Condition::Parse(text, "ConditionExpression", placeholders.inputs(), used, error);
}

bool Eval(const std::string& text, const std::string& names = R"({"#n": "n", "#st": "status",
                                                                  "#dot": "a.b"})") {
  Placeholders placeholders(names, kValues);
  std::string error;
  std::optional<Condition> condition = ParseWith(text, placeholders, &error);
  EXPECT_TRUE(condition.has_value()) << text << ": " << error;
  return condition && condition->Evaluate(J(kItem));
}

std::string Error(const std::string& text, const std::string& names = R"({"#n": "n"})",
                  const std::string& values = kValues) {
  Placeholders placeholders(names, values);
  std::string error;
  EXPECT_FALSE(ParseWith(text, placeholders, &error).has_value()) << text;
  return error;
}

TEST(ConditionExpression, ComparesNumbersNumerically) {
  EXPECT_TRUE(Eval("n = :five"));
  EXPECT_TRUE(Eval("n < :six"));
  EXPECT_TRUE(Eval("n <= :five"));
  EXPECT_TRUE(Eval("n > :four"));
  EXPECT_TRUE(Eval("n >= :five"));
  EXPECT_TRUE(Eval("n <> :six"));
  EXPECT_FALSE(Eval("n <> :five"));
  EXPECT_FALSE(Eval("n > :five"));
  EXPECT_TRUE(Eval(":six > n"));
}

TEST(ConditionExpression, ComparesStringsAndBinariesByBytes) {
  EXPECT_TRUE(Eval("s = :hello"));
  EXPECT_TRUE(Eval("s > :he"));
  EXPECT_TRUE(Eval("s < :c") == false);
  EXPECT_TRUE(Eval(":a < s"));
  EXPECT_TRUE(Eval("u > s"));  // non-ASCII bytes sort after ASCII
  EXPECT_TRUE(Eval("b > :b0102"));
  EXPECT_TRUE(Eval("b < :b02"));
}

TEST(ConditionExpression, ComparisonsAcrossTypesAreFalseAndNotEqualIsTrue) {
  EXPECT_FALSE(Eval("n = :fivestr"));
  EXPECT_FALSE(Eval("n < :hello"));
  EXPECT_FALSE(Eval("n >= :fivestr"));
  EXPECT_TRUE(Eval("n <> :fivestr"));
  EXPECT_FALSE(Eval("absent = :five"));
  EXPECT_FALSE(Eval("absent < :five"));
  EXPECT_TRUE(Eval("absent <> :five"));
  EXPECT_FALSE(Eval("t < m"));
}

TEST(ConditionExpression, ComparesDocumentsByValue) {
  EXPECT_TRUE(Eval("ns = ns[0]") == false);
  EXPECT_TRUE(Eval("m.y[0] = :a"));
  EXPECT_TRUE(Eval("z = :null"));
  EXPECT_TRUE(Eval("t = :true"));
  EXPECT_FALSE(Eval("l = :list"));
  EXPECT_TRUE(Eval("m.y[0] = ss[0]") == false);  // a set has no elements to index
}

TEST(ConditionExpression, FollowsDocumentPaths) {
  EXPECT_TRUE(Eval("m.x = :one"));
  EXPECT_TRUE(Eval("m.y[1] = :two"));
  EXPECT_TRUE(Eval("l[1].k = :v"));
  EXPECT_TRUE(Eval("l[0] = :first"));
  EXPECT_FALSE(Eval("l[3] = :first"));
  EXPECT_FALSE(Eval("l.k = :v"));
  EXPECT_FALSE(Eval("m[0] = :one"));
  EXPECT_TRUE(Eval("#n = :five"));
  EXPECT_TRUE(Eval("#st = :on"));
  EXPECT_FALSE(Eval("attribute_exists(#dot)"));  // a placeholder is one name, dots included
}

TEST(ConditionExpression, Between) {
  EXPECT_TRUE(Eval("n BETWEEN :four AND :six"));
  EXPECT_TRUE(Eval("n BETWEEN :five AND :five"));
  EXPECT_FALSE(Eval("n BETWEEN :one AND :four"));
  EXPECT_TRUE(Eval("s BETWEEN :he AND :hello"));
  EXPECT_FALSE(Eval("s BETWEEN :one AND :six"));
  EXPECT_FALSE(Eval("absent BETWEEN :one AND :six"));
  EXPECT_TRUE(Eval("n between :four and :six"));  // keywords are case-insensitive
}

TEST(ConditionExpression, In) {
  EXPECT_TRUE(Eval("n IN (:one, :five)"));
  EXPECT_TRUE(Eval("n IN (:five)"));
  EXPECT_FALSE(Eval("n IN (:one, :six, :fivestr)"));
  EXPECT_TRUE(Eval("s IN (:hello, :five)"));
  EXPECT_FALSE(Eval("absent IN (:one)"));
  EXPECT_TRUE(Eval("m.x in (absent, :one)"));
}

TEST(ConditionExpression, AttributeExistsAndType) {
  EXPECT_TRUE(Eval("attribute_exists(id)"));
  EXPECT_TRUE(Eval("attribute_exists(m.y[1])"));
  EXPECT_FALSE(Eval("attribute_exists(m.y[2])"));
  EXPECT_TRUE(Eval("attribute_not_exists(nope)"));
  EXPECT_FALSE(Eval("attribute_not_exists(#n)"));
  EXPECT_TRUE(Eval("attribute_type(n, :typeN)"));
  EXPECT_TRUE(Eval("attribute_type(m, :typeM)"));
  EXPECT_TRUE(Eval("attribute_type(ss, :typeSS)"));
  EXPECT_FALSE(Eval("attribute_type(s, :typeN)"));
  EXPECT_FALSE(Eval("attribute_type(nope, :typeN)"));
}

TEST(ConditionExpression, BeginsWith) {
  EXPECT_TRUE(Eval("begins_with(s, :he)"));
  EXPECT_TRUE(Eval("begins_with(s, :hello)"));
  EXPECT_FALSE(Eval("begins_with(s, :ell)"));
  EXPECT_TRUE(Eval("begins_with(b, :b0102)"));
  EXPECT_FALSE(Eval("begins_with(b, :b02)"));
  EXPECT_FALSE(Eval("begins_with(b, :he)"));
  EXPECT_FALSE(Eval("begins_with(nope, :he)"));
}

TEST(ConditionExpression, Contains) {
  EXPECT_TRUE(Eval("contains(s, :ell)"));
  EXPECT_FALSE(Eval("contains(s, :c)"));
  EXPECT_TRUE(Eval("contains(ss, :a)"));
  EXPECT_FALSE(Eval("contains(ss, :c)"));
  EXPECT_TRUE(Eval("contains(ns, :two)"));  // "2.0" is the number 2
  EXPECT_FALSE(Eval("contains(ns, :a)"));
  EXPECT_TRUE(Eval("contains(bs, :b01)"));
  EXPECT_TRUE(Eval("contains(l, :first)"));
  EXPECT_TRUE(Eval("contains(m.y, :two)"));
  EXPECT_FALSE(Eval("contains(n, :five)"));
}

TEST(ConditionExpression, Size) {
  EXPECT_TRUE(Eval("size(s) = :five"));
  EXPECT_TRUE(Eval("size(b) = :three"));
  EXPECT_TRUE(Eval("size(l) = :three"));
  EXPECT_TRUE(Eval("size(m) = :two"));
  EXPECT_TRUE(Eval("size(ss) = :two"));
  EXPECT_TRUE(Eval("size(u) = :three"));  // UTF-16 code units: é is 1, 𝄞 is 2
  EXPECT_TRUE(Eval("size(m.y) < size(l)"));
  EXPECT_FALSE(Eval("size(n) = :one"));  // a number has no size
  EXPECT_FALSE(Eval("size(nope) > :one"));
  EXPECT_TRUE(Eval("size(s) BETWEEN :four AND :six"));
}

TEST(ConditionExpression, AndOrNotWithDynamoDbPrecedence) {
  EXPECT_TRUE(Eval("n = :five AND s = :hello"));
  EXPECT_FALSE(Eval("n = :five AND s = :he"));
  EXPECT_TRUE(Eval("n = :six OR s = :hello"));
  // AND binds tighter than OR.
  EXPECT_TRUE(Eval("n = :five OR n = :six AND s = :he"));
  EXPECT_FALSE(Eval("(n = :five OR n = :six) AND s = :he"));
  // NOT binds tighter than AND.
  EXPECT_FALSE(Eval("NOT n = :five AND s = :he"));
  EXPECT_TRUE(Eval("NOT (n = :five AND s = :he)"));
  EXPECT_TRUE(Eval("NOT (NOT attribute_exists(nope))") == false);
  EXPECT_TRUE(Eval("not attribute_exists(nope) and ((n = :five) and (s = :hello))"));
  EXPECT_EQ(Error("NOT NOT attribute_exists(id)"),
            "Invalid ConditionExpression: Syntax error; token: \"NOT\", near: \"NOT NOT "
            "attribute_exists\"");
}

TEST(ConditionExpression, EvaluatesAMissingItemAsEmpty) {
  Placeholders placeholders("", kValues);
  std::string error;
  std::optional<Condition> condition =
      ParseWith("attribute_not_exists(id) AND n <> :five", placeholders, &error);
  ASSERT_TRUE(condition) << error;
  EXPECT_TRUE(condition->Evaluate(J("{}")));
}

TEST(ConditionExpression, RecordsThePlaceholdersItUses) {
  Placeholders placeholders(R"({"#n": "n", "#unused": "x"})", kValues);
  UsedPlaceholders used;
  std::string error;
  ASSERT_TRUE(ParseWith("#n BETWEEN :one AND :six OR contains(s, :a)", placeholders, &error, &used))
      << error;
  EXPECT_EQ(used.names, (std::set<std::string>{"#n"}));
  EXPECT_EQ(used.values, (std::set<std::string>{":one", ":six", ":a"}));
}

TEST(ConditionExpression, SyntaxErrorsNameTheTokenAndItsNeighbours) {
  EXPECT_EQ(Error("a-b"), R"(Invalid ConditionExpression: Syntax error; token: "-", near: "a-b")");
  EXPECT_EQ(Error("n = :five AND"),
            R"(Invalid ConditionExpression: Syntax error; token: "<EOF>", near: "AND")");
  EXPECT_EQ(Error("n = = :five"),
            R"(Invalid ConditionExpression: Syntax error; token: "=", near: "= = :five")");
  EXPECT_EQ(Error("!!"), R"(Invalid ConditionExpression: Syntax error; token: "!", near: "!!")");
  EXPECT_EQ(Error("n = :five)"),
            R"x(Invalid ConditionExpression: Syntax error; token: ")", near: ":five)")x");
  EXPECT_EQ(Error("(n = :five"),
            R"(Invalid ConditionExpression: Syntax error; token: "<EOF>", near: ":five")");
  EXPECT_EQ(Error("n"), R"(Invalid ConditionExpression: Syntax error; token: "<EOF>", near: "n")");
  EXPECT_EQ(Error("n BETWEEN :one OR :six"),
            R"(Invalid ConditionExpression: Syntax error; token: "OR", near: ":one OR :six")");
  EXPECT_EQ(Error("n IN :one"),
            R"(Invalid ConditionExpression: Syntax error; token: ":one", near: "IN :one")");
  EXPECT_EQ(Error("n = AND"),
            R"(Invalid ConditionExpression: Syntax error; token: "AND", near: "= AND")");
  EXPECT_EQ(Error("a[x] = :one"),
            R"(Invalid ConditionExpression: Syntax error; token: "x", near: "[x]")");
  EXPECT_EQ(Error("a. = :one"),
            R"(Invalid ConditionExpression: Syntax error; token: "=", near: ". = :one")");
  EXPECT_EQ(Error("# = :one"),
            R"(Invalid ConditionExpression: Syntax error; token: "#", near: "# =")");
  EXPECT_EQ(Error("attribute_exists(id) :one"),
            R"x(Invalid ConditionExpression: Syntax error; token: ":one", near: ") :one")x");
}

TEST(ConditionExpression, TheParameterNameIsThePrefix) {
  Placeholders placeholders;
  std::string error;
  EXPECT_FALSE(Condition::Parse("a-b", "FilterExpression", placeholders.inputs(), nullptr, &error));
  EXPECT_EQ(error, R"(Invalid FilterExpression: Syntax error; token: "-", near: "a-b")");
}

TEST(ConditionExpression, RefusesReservedWordsWrittenBare) {
  EXPECT_EQ(Error("status = :on"),
            "Invalid ConditionExpression: Attribute name is a reserved keyword; reserved keyword: "
            "status");
  EXPECT_EQ(Error("m.Size = :one"),
            "Invalid ConditionExpression: Attribute name is a reserved keyword; reserved keyword: "
            "Size");
  EXPECT_EQ(Error("attribute_exists(data)"),
            "Invalid ConditionExpression: Attribute name is a reserved keyword; reserved keyword: "
            "data");
}

TEST(ConditionExpression, ASyntaxErrorWinsOverEveryOtherError) {
  EXPECT_EQ(Error("status = :undefined AND"),
            R"(Invalid ConditionExpression: Syntax error; token: "<EOF>", near: "AND")");
}

TEST(ConditionExpression, RefusesUndefinedPlaceholders) {
  EXPECT_EQ(Error("#nope = :one"),
            "Invalid ConditionExpression: An expression attribute name used in the document path "
            "is not defined; attribute name: #nope");
  EXPECT_EQ(Error("n = :nope"),
            "Invalid ConditionExpression: An expression attribute value used in expression is not "
            "defined; attribute value: :nope");
  EXPECT_EQ(Error("#n = :one", "", ""),
            "Invalid ConditionExpression: An expression attribute name used in the document path "
            "is not defined; attribute name: #n");
  EXPECT_EQ(Error("n = :x", "", R"({":x": {"SS": []}})"),
            "ExpressionAttributeValues contains invalid value: One or more parameter values were "
            "invalid: An string set  may not be empty for key :x");
}

TEST(ConditionExpression, ChecksFunctions) {
  EXPECT_EQ(Error("frobnicate(n)"),
            "Invalid ConditionExpression: Invalid function name; function: frobnicate");
  EXPECT_EQ(Error("n = if_not_exists(n, :one)"),
            "Invalid ConditionExpression: Invalid function name; function: if_not_exists");
  EXPECT_EQ(Error("size(n)"),
            "Invalid ConditionExpression: The function is not allowed to be used this way in an "
            "expression; function: size");
  EXPECT_EQ(Error("frobnicate(n) = :one"),
            "Invalid ConditionExpression: Invalid function name; function: frobnicate");
  EXPECT_EQ(Error("attribute_exists(id) = :one"),
            "Invalid ConditionExpression: The function is not allowed to be used this way in an "
            "expression; function: attribute_exists");
  EXPECT_EQ(Error("n = attribute_exists(n)"),
            "Invalid ConditionExpression: The function is not allowed to be used this way in an "
            "expression; function: attribute_exists");
  EXPECT_EQ(Error("attribute_exists(n, s)"),
            "Invalid ConditionExpression: Incorrect number of operands for operator or function; "
            "operator or function: attribute_exists, number of operands: 2");
  EXPECT_EQ(Error("begins_with(s)"),
            "Invalid ConditionExpression: Incorrect number of operands for operator or function; "
            "operator or function: begins_with, number of operands: 1");
  EXPECT_EQ(Error("size(s, n) > :one"),
            "Invalid ConditionExpression: Incorrect number of operands for operator or function; "
            "operator or function: size, number of operands: 2");
  EXPECT_EQ(Error("attribute_exists(:one)"),
            "Invalid ConditionExpression: Operator or function requires a document path; operator "
            "or function: attribute_exists");
}

TEST(ConditionExpression, ChecksTheTypesOfLiteralOperands) {
  EXPECT_EQ(Error("begins_with(s, :five)"),
            "Invalid ConditionExpression: Incorrect operand type for operator or function; "
            "operator or function: begins_with, operand type: N");
  EXPECT_EQ(Error("attribute_type(s, :five)"),
            "Invalid ConditionExpression: Incorrect operand type for operator or function; "
            "operator or function: attribute_type, operand type: N");
  EXPECT_EQ(Error("attribute_type(s, :bogus)"),
            "Invalid ConditionExpression: Invalid attribute type name found; type: X, valid "
            "types: {B,NULL,SS,BOOL,L,BS,N,NS,S,M}");
  EXPECT_EQ(Error("attribute_type(s, n)"),
            "Invalid ConditionExpression: Incorrect operand type for operator or function; "
            "operator or function: attribute_type, operand type: {NS,SS,L,BS,N,M,B,BOOL,NULL,S}");
  EXPECT_EQ(Error("size(:five) > :one"),
            "Invalid ConditionExpression: Incorrect operand type for operator or function; "
            "operator or function: size, operand type: N");
  EXPECT_EQ(Error("n < :true"),
            "Invalid ConditionExpression: Incorrect operand type for operator or function; "
            "operator or function: <, operand type: BOOL");
  EXPECT_EQ(Error("n >= :ss"),
            "Invalid ConditionExpression: Incorrect operand type for operator or function; "
            "operator or function: >=, operand type: SS");
  EXPECT_EQ(Error("n BETWEEN :one AND :m"),
            "Invalid ConditionExpression: Incorrect operand type for operator or function; "
            "operator or function: BETWEEN, operand type: M");
  EXPECT_EQ(Error("n BETWEEN :six AND :one"),
            "Invalid ConditionExpression: The BETWEEN operator requires upper bound to be greater "
            "than or equal to lower bound; lower bound operand: AttributeValue: {N:6}, upper bound "
            "operand: AttributeValue: {N:1}");
  EXPECT_EQ(Error("n BETWEEN :one AND :a"),
            "Invalid ConditionExpression: The BETWEEN operator requires same data type for lower "
            "and upper bounds; lower bound operand: AttributeValue: {N:1}, upper bound operand: "
            "AttributeValue: {S:a}");
  // Equality takes any type.
  EXPECT_TRUE(Eval("t = :true"));
}

TEST(ConditionExpression, RefusesEmptyLongAndDeeplyNestedText) {
  EXPECT_EQ(Error(""), "Invalid ConditionExpression: The expression can not be empty;");
  EXPECT_EQ(Error("   "), "Invalid ConditionExpression: The expression can not be empty;");
  std::string long_text = "n = :one";
  while (long_text.size() <= 4096) long_text += " OR n = :one";
  EXPECT_EQ(Error(long_text),
            "Invalid ConditionExpression: Expression size has exceeded the maximum allowed size; "
            "expression size: " +
                std::to_string(long_text.size()));
  std::string deep = std::string(150, '(') + "n = :one" + std::string(150, ')');
  EXPECT_NE(Error(deep).find("levels of nested"), std::string::npos);
  std::string fine = "n = :five";
  for (int i = 0; i < 50; ++i) fine = "(n = :five AND " + fine + ")";
  EXPECT_TRUE(Eval(fine));
}

TEST(ConditionExpression, OperandsMayBeParenthesized) {
  EXPECT_TRUE(Eval("(n) = :five"));
  EXPECT_TRUE(Eval("(size(s)) = (:five)"));
  EXPECT_TRUE(Eval("(n) BETWEEN (:four) AND :six"));
  EXPECT_TRUE(Eval("((n) = :five)"));
  EXPECT_TRUE(Eval("(n) IN ((:five), :one)"));
}

TEST(ConditionExpression, RefusesRedundantParentheses) {
  const std::string redundant =
      "Invalid ConditionExpression: The expression has redundant parentheses;";
  EXPECT_EQ(Error("((n = :five))"), redundant);
  EXPECT_EQ(Error("NOT ((n = :five))"), redundant);
  EXPECT_EQ(Error("((n)) = :five"), redundant);
  EXPECT_EQ(Error("n = ((:five))"), redundant);
  EXPECT_TRUE(Eval("((n = :five) AND (s = :hello))"));
}

TEST(ConditionExpression, AGroupIsNotAnOperand) {
  EXPECT_EQ(Error("(n = :five) = :one"),
            R"x(Invalid ConditionExpression: Syntax error; token: "=", near: ") = :one")x");
  EXPECT_EQ(Error("(n = :five"),
            R"x(Invalid ConditionExpression: Syntax error; token: "<EOF>", near: ":five")x");
  EXPECT_EQ(Error("(n) :five"),
            R"x(Invalid ConditionExpression: Syntax error; token: ":five", near: ") :five")x");
}

TEST(ConditionExpression, RefusesTheSamePathOnBothSides) {
  EXPECT_EQ(Error("n = n"),
            "Invalid ConditionExpression: The first operand must be distinct from the remaining "
            "operands for this operator or function; operator: =, first operand: [n]");
  EXPECT_EQ(Error("contains(m.y[0], m.y[0])"),
            "Invalid ConditionExpression: The first operand must be distinct from the remaining "
            "operands for this operator or function; operator: contains, first operand: [m, y, "
            "[0]]");
  EXPECT_EQ(Error("begins_with(#n, n)"),
            "Invalid ConditionExpression: The first operand must be distinct from the remaining "
            "operands for this operator or function; operator: begins_with, first operand: [n]");
  EXPECT_TRUE(Eval("m.x <> m.y"));
}

TEST(ConditionExpression, EnforcesDynamoDbsOperatorAndInLimits) {
  std::string in = "n IN (:one";
  for (int i = 0; i < 100; ++i) in += ", :one";
  EXPECT_EQ(Error(in + ")"),
            "Invalid ConditionExpression: The IN operator is provided with too many operands; "
            "number of operands: 101");
  std::string hundred = "n IN (:one";
  for (int i = 0; i < 98; ++i) hundred += ", :one";
  EXPECT_TRUE(Eval(hundred + ", :five)"));
  std::string many = "n = :one";
  for (int i = 0; i < 150; ++i) many += " OR n = :one";  // 151 comparisons + 150 ORs
  EXPECT_EQ(Error(many),
            "Invalid ConditionExpression: The expression contains too many operators; operator "
            "count: 301");
  EXPECT_FALSE(Eval(many.substr(0, many.size() - 12)));
}

TEST(ConditionExpression, ReportsTheFirstErrorOfTheFirstKind) {
  // An undefined value is reported after a reserved word, and a reserved word after an
  // unknown function, wherever they are in the text.
  EXPECT_EQ(Error("n = :nope AND status = :one"),
            "Invalid ConditionExpression: Attribute name is a reserved keyword; reserved keyword: "
            "status");
  EXPECT_EQ(Error("status = :one AND frob(n)"),
            "Invalid ConditionExpression: Invalid function name; function: frob");
  EXPECT_EQ(Error("((n = :nope))"),
            "Invalid ConditionExpression: The expression has redundant parentheses;");
}

TEST(UnusedPlaceholders, NamesWhatNoExpressionUsed) {
  Placeholders placeholders(R"({"#a": "a", "#b": "b"})", R"({":x": {"S": "1"}, ":y": {"S": "2"}})");
  UsedPlaceholders used;
  used.names = {"#a"};
  used.values = {":x", ":y"};
  EXPECT_EQ(UnusedPlaceholdersMessage(placeholders.inputs(), used),
            "Value provided in ExpressionAttributeNames unused in expressions: keys: {#b}");
  used.names.insert("#b");
  EXPECT_EQ(UnusedPlaceholdersMessage(placeholders.inputs(), used), "");
  used.values = {};
  EXPECT_EQ(UnusedPlaceholdersMessage(placeholders.inputs(), used),
            "Value provided in ExpressionAttributeValues unused in expressions: keys: {:x, :y}");
}

}  // namespace
}  // namespace wsgw::dynamodb
