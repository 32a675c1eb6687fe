#include "api/selection_expression.h"

#include <gtest/gtest.h>

#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "base/json.h"
#include "api/selection_expression_internal.h"

namespace wsgw {
namespace {

// The body of AWS-NOTES §3.1's table.
constexpr char kDocBody[] = R"({"service":"chat","action":"join","data":{"room":"room1234"}})";

SelectionExpression MustParse(const std::string& text) {
  std::string error;
  std::optional<SelectionExpression> expression = SelectionExpression::Parse(text, &error);
  EXPECT_TRUE(expression.has_value()) << text << ": " << error;
  return expression.value_or(SelectionExpression{});
}

std::optional<std::string> Eval(const std::string& text, const std::string& body) {
  return MustParse(text).Evaluate(body);
}

std::string ParseError(const std::string& text) {
  std::string error;
  EXPECT_FALSE(SelectionExpression::Parse(text, &error).has_value()) << text;
  return error;
}

TEST(SelectionExpression, EvaluatesTheAwsDocumentationTable) {
  const std::vector<std::pair<std::string, std::string>> table = {
      {"$request.body.action", "join"},
      {"${request.body.action}", "join"},
      {"${request.body.service}/${request.body.action}", "chat/join"},
      {"${request.body.action}-${request.body.invalidPath}", "join-"},
      {"action", "action"},
      {"\\$default", "$default"},
      {"$request.body.data.room", "room1234"},
  };
  for (const auto& [expression, expected] : table) {
    EXPECT_EQ(Eval(expression, kDocBody), expected) << expression;
  }
}

TEST(SelectionExpression, KeepsTheTextAsWritten) {
  EXPECT_EQ(MustParse("\\$default").text(), "\\$default");
  EXPECT_EQ(MustParse("${request.body.a}-x").text(), "${request.body.a}-x");
}

TEST(SelectionExpression, BackslashOnlyEscapesADollar) {
  EXPECT_EQ(Eval("a\\$b", kDocBody), "a$b");
  EXPECT_EQ(Eval("a\\b", kDocBody), "a\\b");
  EXPECT_EQ(Eval("trailing\\", kDocBody), "trailing\\");
  EXPECT_EQ(Eval("\\${request.body.action}", kDocBody), "${request.body.action}");
}

TEST(SelectionExpression, ConstantExpressionIgnoresTheBody) {
  EXPECT_EQ(Eval("action", "this is not JSON"), "action");
  EXPECT_EQ(Eval("\\$default", ""), "$default");
}

TEST(SelectionExpression, CannotEvaluateABodyThatIsNotAJsonObject) {
  const std::vector<std::string> bodies = {
      "",
      "hello",
      "{\"action\":\"join\"",
      "{\"action\":\"join\"} trailing",
      "{\"action\":\"join\"}{}",
      "{'action':'join'}",
      "{\"action\":\"join\",}",
      "{\"action\":\"join\"} // comment",
      "[{\"action\":\"join\"}]",
      "\"join\"",
      "42",
      "null",
      std::string(5000, '[') + std::string(5000, ']'),
  };
  for (const std::string& body : bodies) {
    EXPECT_EQ(Eval("$request.body.action", body), std::nullopt) << body.substr(0, 40);
  }
}

TEST(SelectionExpression, MissingPathEvaluatesToEmptyString) {
  EXPECT_EQ(Eval("$request.body.nope", kDocBody), "");
  EXPECT_EQ(Eval("$request.body.data.nope", kDocBody), "");
  EXPECT_EQ(Eval("$request.body.action.deeper", kDocBody), "");
  EXPECT_EQ(Eval("$request.body.list.0", R"({"list":["a"]})"), "");
  EXPECT_EQ(Eval("$request.body.action", "{}"), "");
}

TEST(SelectionExpression, PathKeysAreCaseSensitive) {
  EXPECT_EQ(Eval("$request.body.Action", kDocBody), "");
}

TEST(SelectionExpression, StringifiesNumbersBooleansAndNullAsJsonText) {
  const std::string body =
      R"({"i":1,"neg":-3,"f":1.5,"tenth":0.1,"exp":1e3,"big":18446744073709551615,)"
      R"("t":true,"fl":false,"n":null})";
  EXPECT_EQ(Eval("$request.body.i", body), "1");
  EXPECT_EQ(Eval("$request.body.neg", body), "-3");
  EXPECT_EQ(Eval("$request.body.f", body), "1.5");
  EXPECT_EQ(Eval("$request.body.tenth", body), "0.1");
  EXPECT_EQ(Eval("$request.body.exp", body), "1000");
  EXPECT_EQ(Eval("$request.body.big", body), "18446744073709551615");
  EXPECT_EQ(Eval("$request.body.t", body), "true");
  EXPECT_EQ(Eval("$request.body.fl", body), "false");
  EXPECT_EQ(Eval("$request.body.n", body), "null");
}

TEST(SelectionExpression, RendersArraysAsBracketedCommaSpaceLists) {
  const std::string body =
      R"({"items":["item1","item2"],"mixed":[1,"a",true,null,[2,"b"]],"empty":[]})";
  EXPECT_EQ(Eval("$request.body.items", body), "[item1, item2]");
  EXPECT_EQ(Eval("$request.body.mixed", body), "[1, a, true, null, [2, b]]");
  EXPECT_EQ(Eval("$request.body.empty", body), "[]");
}

TEST(SelectionExpression, RendersObjectsAsCompactJsonWithSortedKeys) {
  EXPECT_EQ(Eval("$request.body.data", kDocBody), R"({"room":"room1234"})");
  EXPECT_EQ(Eval("$request.body.o", R"({"o":{"b":[1,"x\"y"],"a":{"c":null},"d":0.5}})"),
            R"({"a":{"c":null},"b":[1,"x\"y"],"d":0.5})");
  EXPECT_EQ(Eval("$request.body.list", R"({"list":[{"k":"v"}]})"), R"([{"k":"v"}])");
}

TEST(SelectionExpression, KeepsUnicodeAndEscapedCharactersOfStrings) {
  EXPECT_EQ(Eval("$request.body.a", R"({"a":"caf\u00e9 \"x\"\n"})"), "caf\xC3\xA9 \"x\"\n");
}

TEST(SelectionExpression, LastOfRepeatedBodyKeysWins) {
  EXPECT_EQ(Eval("$request.body.action", R"({"action":"a","action":"b"})"), "b");
}

TEST(SelectionExpression, UnbracedVariableRunsThroughHyphensAndUnderscores) {
  const std::string body = R"({"action":"join","action-beta":"beta","my_key":"k"})";
  EXPECT_EQ(Eval("$request.body.action-beta", body), "beta");
  EXPECT_EQ(Eval("$request.body.my_key", body), "k");
  EXPECT_EQ(Eval("${request.body.action}-beta", body), "join-beta");
  EXPECT_EQ(Eval("$request.body.action/x", body), "join/x");
  EXPECT_EQ(Eval("v1:$request.body.action $request.body.my_key", body), "v1:join k");
}

TEST(SelectionExpression, RejectsMalformedExpressionsSayingWhatAndWhere) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"", "the expression is empty"},
      {"${request.body.action", "unterminated '${' at offset 0"},
      {"a-${request.body.action", "unterminated '${' at offset 2"},
      {"${}", "empty variable '${}' at offset 0"},
      {"$", "'$' at offset 0 does not start a variable (write '\\$' for a literal '$')"},
      {"cost $ 5", "'$' at offset 5 does not start a variable (write '\\$' for a literal '$')"},
      {"$context.routeKey",
       "unsupported variable '$context.routeKey' at offset 0: route selection can only use "
       "$request.body.<path> (write '\\$' for a literal '$')"},
      {"x${request.header.x}",
       "unsupported variable '${request.header.x}' at offset 1: route selection can only use "
       "$request.body.<path> (write '\\$' for a literal '$')"},
      {"$default",
       "unsupported variable '$default' at offset 0: route selection can only use "
       "$request.body.<path> (write '\\$' for a literal '$')"},
      {"$request.bodyx.a",
       "unsupported variable '$request.bodyx.a' at offset 0: route selection can only use "
       "$request.body.<path> (write '\\$' for a literal '$')"},
      {"$request.body",
       "variable '$request.body' at offset 0 needs a path below request.body, e.g. "
       "$request.body.action"},
      {"$request.body.",
       "empty path segment after the '.' at offset 13 in variable '$request.body.' (use ${...} "
       "to put literal text right after a variable)"},
      {"${request.body.}",
       "empty path segment after the '.' at offset 14 in variable '${request.body.}' (use ${...} "
       "to put literal text right after a variable)"},
      {"$request.body.a..b",
       "empty path segment after the '.' at offset 15 in variable '$request.body.a..b' (use "
       "${...} to put literal text right after a variable)"},
      {"${request.body.a b}",
       "invalid character ' ' in variable '${request.body.a b}' at offset 16 (a path segment is "
       "made of letters, digits, '_' and '-')"},
      {"${request.body.a[0]}",
       "invalid character '[' in variable '${request.body.a[0]}' at offset 16 (a path segment "
       "is made of letters, digits, '_' and '-')"},
  };
  for (const auto& [expression, message] : cases) {
    EXPECT_EQ(ParseError(expression), message) << expression;
  }
}

TEST(SelectionExpression, ReportsTheOffsetOfTheFaultyVariableAmongSeveral) {
  EXPECT_EQ(ParseError("${request.body.a}-${context.b}"),
            "unsupported variable '${context.b}' at offset 18: route selection can only use "
            "$request.body.<path> (write '\\$' for a literal '$')");
}

TEST(SelectionExpression, ParseAcceptsANullErrorPointer) {
  EXPECT_FALSE(SelectionExpression::Parse("${", nullptr).has_value());
  EXPECT_TRUE(SelectionExpression::Parse("$request.body.a", nullptr).has_value());
}

const std::vector<std::string> kRouteKeys = {"$connect", "$disconnect", "$default", "join",
                                             "sendMessage"};

std::optional<std::string> Select(const std::string& expression, const std::string& body,
                                  const std::vector<std::string>& keys = kRouteKeys) {
  return SelectRoute(MustParse(expression), keys, body);
}

TEST(SelectionRoute, PicksTheCustomRouteTheBodyNames) {
  EXPECT_EQ(Select("$request.body.action", kDocBody), "join");
  EXPECT_EQ(Select("$request.body.action", R"({"action":"sendMessage"})"), "sendMessage");
}

TEST(SelectionRoute, FallsBackToDefaultWhenNoRouteMatches) {
  EXPECT_EQ(Select("$request.body.action", R"({"action":"leave"})"), "$default");
  EXPECT_EQ(Select("$request.body.action", R"({"action":"JOIN"})"), "$default");
  EXPECT_EQ(Select("$request.body.action", R"({"other":1})"), "$default");
  EXPECT_EQ(Select("$request.body.action", R"({"action":["join"]})"), "$default");
}

TEST(SelectionRoute, FallsBackToDefaultForANonJsonBody) {
  EXPECT_EQ(Select("$request.body.action", "join"), "$default");
  EXPECT_EQ(Select("$request.body.action", ""), "$default");
}

TEST(SelectionRoute, NeverSelectsConnectOrDisconnectForAMessage) {
  EXPECT_EQ(Select("$request.body.action", R"({"action":"$connect"})"), "$default");
  EXPECT_EQ(Select("$request.body.action", R"({"action":"$disconnect"})"), "$default");
  EXPECT_EQ(Select("\\$connect", "{}", {"$connect", "join"}), std::nullopt);
}

TEST(SelectionRoute, ABodyNamingDefaultSelectsDefault) {
  EXPECT_EQ(Select("$request.body.action", R"({"action":"$default"})"), "$default");
  EXPECT_EQ(Select("\\$default", "not json"), "$default");
}

TEST(SelectionRoute, NothingMatchesWithoutADefaultRoute) {
  const std::vector<std::string> keys = {"$connect", "join"};
  EXPECT_EQ(Select("$request.body.action", kDocBody, keys), "join");
  EXPECT_EQ(Select("$request.body.action", R"({"action":"leave"})", keys), std::nullopt);
  EXPECT_EQ(Select("$request.body.action", "not json", keys), std::nullopt);
  EXPECT_EQ(Select("$request.body.action", R"({"action":"$default"})", keys), std::nullopt);
}

TEST(SelectionRoute, CompositeExpressionsMatchCompositeKeys) {
  EXPECT_EQ(
      Select("${request.body.service}/${request.body.action}", kDocBody, {"$default", "chat/join"}),
      "chat/join");
  EXPECT_EQ(Select("${request.body.action}-beta", kDocBody, {"join", "join-beta"}), "join-beta");
}

// Evaluate answers from simdjson where it provably agrees with jsoncpp and asks jsoncpp
// otherwise. Each row pins the answer a client observes and which evaluator gives it, and checks
// that where simdjson answers, jsoncpp answers the same.
enum class AnsweredBy { kSimdjson, kJsoncpp };

void PrintTo(AnsweredBy reader, std::ostream* out) {
  *out << (reader == AnsweredBy::kSimdjson ? "simdjson" : "jsoncpp");
}

struct EvaluatorCase {
  std::string expression;
  std::string body;
  std::optional<std::string> expected;
  AnsweredBy answered_by;
};

std::string Nested(const std::string& inside, int depth) {
  return std::string(depth, '[') + inside + std::string(depth, ']');
}

TEST(SelectionEvaluators, SimdjsonAnswersOnlyWhereItAgreesWithJsoncpp) {
  using enum AnsweredBy;
  const std::string action = "$request.body.action";
  const std::vector<EvaluatorCase> table = {
      // What clients usually send.
      {action, R"({"action":"echo","seq":14934,"pad":"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"})", "echo",
       kSimdjson},
      {action, " \t\r\n{ \"action\" : \"join\" } \n", "join", kSimdjson},
      {"$request.body.data.room", kDocBody, "room1234", kSimdjson},
      {"${request.body.service}/${request.body.action}", kDocBody, "chat/join", kSimdjson},
      {action, "{}", "", kSimdjson},
      {"$request.body.data.room", R"({"data":"room"})", "", kSimdjson},
      {"$request.body.data.room", R"({"data":[{"room":"r"}]})", "", kSimdjson},
      // Repeated keys: jsoncpp keeps the last, at every level of the path.
      {action, R"({"action":"a","action":"b"})", "b", kSimdjson},
      {action, R"({"action":{"x":1},"action":"b"})", "b", kSimdjson},
      {"$request.body.data.room", R"({"data":{"room":"r1"},"data":{"other":1}})", "", kSimdjson},
      {"$request.body.data.room", R"({"data":{"room":"r1","room":"r2"}})", "r2", kSimdjson},
      {action, R"({"action":"a","action":{"x":1}})", R"({"x":1})", kJsoncpp},
      // Escapes, in values and in keys.
      {action, R"({"action":"caf\u00e9"})", "caf\xC3\xA9", kSimdjson},
      {action, R"({"action":"\ud83d\ude00"})", "\xF0\x9F\x98\x80", kSimdjson},
      {action, R"({"action":"say \"hi\" \\ \/ \b\f\n\r\t"})", "say \"hi\" \\ / \b\f\n\r\t",
       kSimdjson},
      {action, R"({"action":"a\u0000b"})", std::string("a\0b", 3), kSimdjson},
      {action, R"({"act\u0069on":"join"})", "join", kSimdjson},
      {action, "{\"action\":\"a\x7F\"}", "a\x7F", kSimdjson},
      // Booleans and null print the same from either; numbers, arrays and objects only jsoncpp
      // prints.
      {action, R"({"action":true})", "true", kSimdjson},
      {action, R"({"action":false})", "false", kSimdjson},
      {action, R"({"action":null})", "null", kSimdjson},
      {action, R"({"action":7})", "7", kJsoncpp},
      {action, R"({"action":-0})", "0", kJsoncpp},
      {action, R"({"action":1.0})", "1", kJsoncpp},
      {action, R"({"action":0.1})", "0.1", kJsoncpp},
      {action, R"({"action":-9223372036854775808})", "-9223372036854775808", kJsoncpp},
      {action, R"({"action":18446744073709551616})", "18446744073709551616", kJsoncpp},
      {action, R"({"action":1e21})", "1e+21", kJsoncpp},
      {action, R"({"action":["join",1]})", "[join, 1]", kJsoncpp},
      {action, R"({"action":{"b":1,"a":"x"}})", R"({"a":"x","b":1})", kJsoncpp},
      {"${request.body.action}/${request.body.seq}", R"({"action":"join","seq":3})", "join/3",
       kJsoncpp},
      // simdjson validates the whole body: a number it cannot read, even in a member nobody
      // selects, leaves the body to jsoncpp.
      {action, R"({"action":"join","n":123456789012345678901234567890})", "join", kJsoncpp},
      {action, R"({"action":"join","n":1e400})", std::nullopt, kJsoncpp},
      {action, R"({"action":"join","n":1e-400})", "join", kSimdjson},
      {action, R"({"action":"join","n":tru})", std::nullopt, kJsoncpp},
      // Bytes simdjson refuses and jsoncpp's strict reader takes as they are.
      {action, "{\"action\":\"caf\xFF\"}", "caf\xFF", kJsoncpp},
      {action, "{\"action\":\"join\",\"x\":\"\xED\xA0\x80\"}", "join", kJsoncpp},
      {action, "{\"action\":\"a\tb\"}", "a\tb", kJsoncpp},
      {action, R"({"action":"\udc00"})", "\xED\xB0\x80", kJsoncpp},
      {action, R"({"action":"\ud83d"})", std::nullopt, kJsoncpp},
      // Not one JSON object, to either; the route is then $default.
      {action, "", std::nullopt, kJsoncpp},
      {action, R"({"action":"join"} x)", std::nullopt, kJsoncpp},
      {action, R"({"action":"join"}{})", std::nullopt, kJsoncpp},
      {action, R"({"action":"join",})", std::nullopt, kJsoncpp},
      {action, "{\"action\":\"join\"} // comment", std::nullopt, kJsoncpp},
      {action, R"({"action":/* comment */"join"})", std::nullopt, kJsoncpp},
      {action, R"("join")", std::nullopt, kJsoncpp},
      {action, "42", std::nullopt, kJsoncpp},
      {action, "null", std::nullopt, kJsoncpp},
      {action, R"([{"action":"join"}])", std::nullopt, kJsoncpp},
      // What jsoncpp's strict reader still takes: a comment around a member (not before a value),
      // a byte order mark, and a NUL byte as the end of the text.
      {action, R"({"action":"join" /* comment */})", "join", kJsoncpp},
      {action, R"({/* comment */"action":"join"})", "join", kJsoncpp},
      {action, "{\"action\":\"join\" // comment\n}", "join", kJsoncpp},
      {action, "\xEF\xBB\xBF{\"action\":\"join\"}", "join", kJsoncpp},
      {action, std::string("{\"action\":\"join\"}\0garbage", 25), "join", kJsoncpp},
      // Nesting: simdjson stops far below jsoncpp's limit, which decides.
      {action, R"({"action":"join","d":)" + Nested("", 8) + "}", "join", kSimdjson},
      {action, R"({"action":"join","d":)" + Nested("", kFastJsonMaxDepth) + "}", "join", kJsoncpp},
      {action, R"({"action":"join","d":)" + Nested("", 998) + "}", "join", kJsoncpp},
      {action, R"({"action":"join","d":)" + Nested("", 1000) + "}", std::nullopt, kJsoncpp},
      // Past the size simdjson is given.
      {action, R"({"action":"join","pad":")" + std::string(kFastJsonMaxBytes, 'x') + "\"}", "join",
       kJsoncpp},
      // A constant expression never reads the body.
      {"\\$default", "not JSON", "$default", kSimdjson},
  };
  using Evaluators = internal::SelectionEvaluators;
  for (const EvaluatorCase& row : table) {
    SCOPED_TRACE(row.expression + " on " + row.body.substr(0, 80));
    const SelectionExpression expression = MustParse(row.expression);
    const std::optional<std::string> fast = Evaluators::Simdjson(expression, row.body);
    const std::optional<std::string> reference = Evaluators::Jsoncpp(expression, row.body);
    EXPECT_EQ(expression.Evaluate(row.body), row.expected);
    EXPECT_EQ(reference, row.expected);
    EXPECT_EQ(fast.has_value() ? kSimdjson : kJsoncpp, row.answered_by);
    if (fast) {
      EXPECT_EQ(fast, reference);
    }
  }
}

}  // namespace
}  // namespace wsgw
