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

const char kItem[] = R"({
  "id": {"S": "u1"}, "n": {"N": "5"},
  "m": {"M": {"x": {"N": "1"}, "y": {"L": [{"S": "a"}, {"N": "2"}]}, "z": {"S": "z"}}},
  "l": {"L": [{"S": "l0"}, {"M": {"k": {"S": "v"}, "j": {"S": "w"}}}, {"N": "3"}]}
})";

std::string Project(const std::string& text) {
  Placeholders placeholders(R"({"#m": "m", "#st": "status"})");
  std::string error;
  std::optional<Projection> projection =
      Projection::Parse(text, placeholders.inputs(), nullptr, &error);
  EXPECT_TRUE(projection.has_value()) << text << ": " << error;
  if (!projection) return "error: " + error;
  return Text(projection->Apply(J(kItem)));
}

std::string Error(const std::string& text) {
  Placeholders placeholders(R"({"#m": "m"})", R"({":v": {"S": "x"}})");
  std::string error;
  EXPECT_FALSE(Projection::Parse(text, placeholders.inputs(), nullptr, &error)) << text;
  return error;
}

TEST(ProjectionExpression, SelectsTopLevelAttributes) {
  EXPECT_EQ(Project("id"), R"({"id":{"S":"u1"}})");
  EXPECT_EQ(Project("id, n, absent"), R"({"id":{"S":"u1"},"n":{"N":"5"}})");
  EXPECT_EQ(Project("#m"), Text(J(R"({"m":)" + Text(J(kItem)["m"]) + "}")));
}

TEST(ProjectionExpression, KeepsNestedMapsInShape) {
  EXPECT_EQ(Project("m.x"), R"({"m":{"M":{"x":{"N":"1"}}}})");
  EXPECT_EQ(Project("m.x, #m.z"), R"({"m":{"M":{"x":{"N":"1"},"z":{"S":"z"}}}})");
  EXPECT_EQ(Project("m.absent"), "{}");
  EXPECT_EQ(Project("n.x"), "{}");
}

TEST(ProjectionExpression, KeepsOnlyTheSelectedListElementsInIndexOrder) {
  EXPECT_EQ(Project("l[2], l[0]"), R"({"l":{"L":[{"S":"l0"},{"N":"3"}]}})");
  EXPECT_EQ(Project("l[1].j"), R"({"l":{"L":[{"M":{"j":{"S":"w"}}}]}})");
  EXPECT_EQ(Project("m.y[1], id"), R"({"id":{"S":"u1"},"m":{"M":{"y":{"L":[{"N":"2"}]}}}})");
  EXPECT_EQ(Project("l[7]"), "{}");
}

TEST(ProjectionExpression, Errors) {
  EXPECT_EQ(Error("id,"),
            R"(Invalid ProjectionExpression: Syntax error; token: "<EOF>", near: ",")");
  EXPECT_EQ(Error("!!"), R"(Invalid ProjectionExpression: Syntax error; token: "!", near: "!!")");
  EXPECT_EQ(Error(":v"), R"(Invalid ProjectionExpression: Syntax error; token: ":v", near: ":v")");
  EXPECT_EQ(Error("a b"), R"(Invalid ProjectionExpression: Syntax error; token: "b", near: "a b")");
  EXPECT_EQ(Error("name"),
            "Invalid ProjectionExpression: Attribute name is a reserved keyword; reserved keyword: "
            "name");
  EXPECT_EQ(Error("#x"),
            "Invalid ProjectionExpression: An expression attribute name used in the document path "
            "is not defined; attribute name: #x");
  EXPECT_EQ(Error("m, #m.x"),
            "Invalid ProjectionExpression: Two document paths overlap with each other; must remove "
            "or rewrite one of these paths; path one: [m], path two: [m, x]");
  EXPECT_EQ(Error("l[0].a, l.a"),
            "Invalid ProjectionExpression: Two document paths conflict with each other; must "
            "remove or rewrite one of these paths; path one: [l, [0], a], path two: [l, a]");
  EXPECT_EQ(Error(""), "Invalid ProjectionExpression: The expression can not be empty;");
}

TEST(ProjectionExpression, ReportsTopLevelNames) {
  Placeholders placeholders(R"({"#m": "m"})");
  UsedPlaceholders used;
  std::string error;
  std::optional<Projection> projection =
      Projection::Parse("#m.x, id, m.y", placeholders.inputs(), &used, &error);
  ASSERT_TRUE(projection) << error;
  EXPECT_EQ(projection->TopLevelNames(), (std::vector<std::string>{"m", "id"}));
  EXPECT_EQ(used.names, (std::set<std::string>{"#m"}));
}

}  // namespace
}  // namespace wsgw::dynamodb
