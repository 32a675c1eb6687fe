#include "base/json_fast_path.h"

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <string_view>

namespace wsgw {
namespace {

std::string NestedIn(int depth) {
  return R"({"a":)" + std::string(depth, '[') + std::string(depth, ']') + "}";
}

std::optional<std::string> StringMember(std::string_view text, std::string_view key) {
  std::optional<simdjson::dom::object> root = ParseJsonObjectFast(text);
  if (!root) return std::nullopt;
  std::optional<simdjson::dom::element> member = LastMember(*root, key);
  std::string_view value;
  if (!member || member->get_string().get(value) != simdjson::SUCCESS) return std::nullopt;
  return std::string(value);
}

TEST(JsonFastPath, ReturnsTheRootObject) {
  EXPECT_EQ(StringMember(R"({"action":"join"})", "action"), "join");
  EXPECT_EQ(StringMember(R"( {"x":1, "action" : "join"} )", "action"), "join");
}

TEST(JsonFastPath, RefusesARootThatIsNotAnObject) {
  for (const char* text : {R"("join")", "42", "null", "true", R"([{"action":"join"}])"}) {
    EXPECT_FALSE(ParseJsonObjectFast(text).has_value()) << text;
  }
}

TEST(JsonFastPath, RefusesEmptyTextEvenWithoutAnyBytesBehindIt) {
  EXPECT_FALSE(ParseJsonObjectFast(std::string_view()).has_value());
  EXPECT_FALSE(ParseJsonObjectFast("").has_value());
}

TEST(JsonFastPath, RefusesWhatSimdjsonDoesNotParse) {
  for (const char* text : {"", "{", R"({"a":1,})", R"({"a":1} x)", "{\"a\":\"\xFF\"}",
                           R"({"a":1 /* c */})", R"({"a":01})"}) {
    EXPECT_FALSE(ParseJsonObjectFast(text).has_value()) << text;
  }
}

TEST(JsonFastPath, LastMemberIsTheLastOfRepeatedKeys) {
  EXPECT_EQ(StringMember(R"({"action":"a","action":"b","action":"c"})", "action"), "c");
  EXPECT_EQ(StringMember(R"({"action":"a","other":"x"})", "action"), "a");
  EXPECT_EQ(StringMember(R"({"other":"x"})", "action"), std::nullopt);
}

TEST(JsonFastPath, RefusesDocumentsNestedFarBelowJsoncppsLimit) {
  EXPECT_TRUE(ParseJsonObjectFast(NestedIn(kFastJsonMaxDepth / 2)).has_value());
  EXPECT_FALSE(ParseJsonObjectFast(NestedIn(kFastJsonMaxDepth)).has_value());
  EXPECT_FALSE(ParseJsonObjectFast(NestedIn(999)).has_value());
}

TEST(JsonFastPath, KeepsItsDepthLimitAfterGrowingForALongDocument) {
  const std::string long_text = R"({"pad":")" + std::string(20000, 'x') + "\"}";
  ASSERT_TRUE(ParseJsonObjectFast(long_text).has_value());
  EXPECT_FALSE(ParseJsonObjectFast(NestedIn(kFastJsonMaxDepth)).has_value());
}

TEST(JsonFastPath, RefusesDocumentsLongerThanItsLimit) {
  const std::string frame = R"({"pad":""})";
  const std::string longest =
      R"({"pad":")" + std::string(kFastJsonMaxBytes - frame.size(), 'x') + "\"}";
  ASSERT_EQ(longest.size(), kFastJsonMaxBytes);
  EXPECT_TRUE(ParseJsonObjectFast(longest).has_value());
  EXPECT_FALSE(ParseJsonObjectFast(longest + " ").has_value());
}

}  // namespace
}  // namespace wsgw
