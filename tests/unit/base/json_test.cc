#include "base/json.h"

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

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

std::string Quoted(std::string_view text, ShortEscapes short_escapes = ShortEscapes::kAll) {
  std::string out;
  AppendJsonString(out, text, short_escapes);
  return out;
}

TEST(Json, AppendJsonStringPrintsEveryCharacterAsCompactJsonDoes) {
  // Every ASCII byte alone and between others, and UTF-8 of every length: the events' text is
  // compared with golden AWS events, so it must stay jsoncpp's to the byte.
  std::vector<std::string> texts = {
      "", "plain", "caf\xC3\xA9", "\xE2\x82\xAC", "\xF0\x9F\x98\x80", std::string("a\0b", 3)};
  for (int c = 0; c < 0x80; ++c) {
    texts.push_back(std::string(1, static_cast<char>(c)));
    texts.push_back("x" + std::string(1, static_cast<char>(c)) + "y\xC3\xA9");
  }
  for (const std::string& text : texts) {
    EXPECT_EQ(Quoted(text), CompactJson(Json::Value(text))) << text;
  }
}

TEST(Json, AppendJsonStringWithNewlineOnlyWritesOtherControlsInHex) {
  EXPECT_EQ(Quoted("a\tb\nc\rd\be\ff\x01\"\\", ShortEscapes::kNewlineOnly),
            R"("a\u0009b\nc\u000dd\u0008e\u000cf\u0001\"\\")");
  EXPECT_EQ(Quoted("a\tb\nc\rd\be\ff\x01\"\\"), R"("a\tb\nc\rd\be\ff\u0001\"\\")");
}

TEST(Json, AppendJsonStringCopiesBytesThatAreNotUtf8) {
  EXPECT_EQ(Quoted("a\xFF\xC3"), "\"a\xFF\xC3\"");
}

TEST(Json, ParseJsonTakesOneValueAndCommentsUnlessTheyAreRejected) {
  EXPECT_EQ(ParseJson(R"({"a":/* c */1})")->get("a", 0).asInt(), 1);
  EXPECT_FALSE(ParseJson(R"({"a":/* c */1})", JsonComments::kRejected));
  EXPECT_EQ(ParseJson("[1,]", JsonComments::kRejected)->size(), 1u);
  EXPECT_EQ(ParseJson("\"text\"")->asString(), "text");
  EXPECT_FALSE(ParseJson("{} {}"));
  EXPECT_FALSE(ParseJson(""));
  EXPECT_FALSE(ParseJson(std::string(2000, '[') + std::string(2000, ']')));
}

TEST(JsonStrict, ReportsWhyATextIsNotStrictJson) {
  std::string error;
  EXPECT_FALSE(ParseStrictJson(R"({"a":1,"a":2})", DuplicateKeys::kRejected, &error));
  EXPECT_NE(error.find("Duplicate key: 'a'"), std::string::npos) << error;
  EXPECT_EQ((*ParseStrictJson(R"({"a":1,"a":2})", DuplicateKeys::kLastWins))["a"].asInt(), 2);
  for (const char* text : {R"({"a":/* c */1})", "\"text\"", "{} x", "[1,]"}) {
    error.clear();
    EXPECT_FALSE(ParseStrictJson(text, DuplicateKeys::kLastWins, &error)) << text;
    EXPECT_FALSE(error.empty()) << text;
  }
  error.clear();
  EXPECT_FALSE(ParseStrictJson(std::string(2000, '[') + std::string(2000, ']'),
                               DuplicateKeys::kRejected, &error));
  EXPECT_NE(error.find("stackLimit"), std::string::npos) << error;
}

TEST(Json, CompactJsonRoundedRoundsRealsOnly) {
  Json::Value value(Json::objectValue);
  value["ms"] = 2.71875;
  value["n"] = 7;
  value["s"] = "caf\xC3\xA9";
  EXPECT_EQ(CompactJsonRounded(value, 3), "{\"ms\":2.719,\"n\":7,\"s\":\"caf\xC3\xA9\"}");
  EXPECT_EQ(CompactJson(value), "{\"ms\":2.71875,\"n\":7,\"s\":\"caf\xC3\xA9\"}");
}

}  // namespace
}  // namespace wsgw
