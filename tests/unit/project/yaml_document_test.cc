#include "project/yaml_document.h"

#include <gtest/gtest.h>

namespace wsgw {
namespace {

YamlDocument Parse(const std::string& text) {
  YamlError error;
  std::optional<YamlDocument> doc = ParseYamlDocument(text, &error);
  EXPECT_TRUE(doc.has_value()) << error.line << ": " << error.message;
  return doc.value_or(YamlDocument{});
}

TEST(YamlDocument, ShortFormTagsBecomeTheirLongForm) {
  YamlDocument doc = Parse(
      "a: !Ref Table\n"
      "b: !GetAtt Fn.Arn.Deep\n"
      "c: !Sub 'x-${AWS::Region}'\n"
      "d: !Join ['', [a, !Ref B]]\n"
      "e: !If [Cond, 1, 2]\n"
      "f: !Condition IsProd\n"
      "g: !GetAtt [Fn, Arn]\n");
  EXPECT_EQ(doc.root["a"]["Ref"].asString(), "Table");
  EXPECT_EQ(doc.root["b"]["Fn::GetAtt"][0].asString(), "Fn");
  EXPECT_EQ(doc.root["b"]["Fn::GetAtt"][1].asString(), "Arn.Deep");
  EXPECT_EQ(doc.root["c"]["Fn::Sub"].asString(), "x-${AWS::Region}");
  EXPECT_EQ(doc.root["d"]["Fn::Join"][1][1]["Ref"].asString(), "B");
  EXPECT_EQ(doc.root["e"]["Fn::If"][0].asString(), "Cond");
  EXPECT_EQ(doc.root["f"]["Condition"].asString(), "IsProd");
  EXPECT_EQ(doc.root["g"]["Fn::GetAtt"][1].asString(), "Arn");
}

TEST(YamlDocument, ScalarsAreStringsUnlessPlainlyNumbersOrBooleans) {
  YamlDocument doc = Parse(
      "country: no\nyes: on\nzip: 01234\nquoted: \"42\"\nn: 42\nf: 1.5\nb: true\nnothing: ~\n");
  EXPECT_EQ(doc.root["country"], Json::Value("no"));
  EXPECT_EQ(doc.root["yes"], Json::Value("on"));
  EXPECT_EQ(doc.root["zip"], Json::Value("01234"));
  EXPECT_EQ(doc.root["quoted"], Json::Value("42"));
  EXPECT_EQ(doc.root["n"], Json::Value(42));
  EXPECT_EQ(doc.root["f"], Json::Value(1.5));
  EXPECT_EQ(doc.root["b"], Json::Value(true));
  EXPECT_TRUE(doc.root["nothing"].isNull());
}

TEST(YamlDocument, AnchorsAliasesAndMergeKeys) {
  YamlDocument doc = Parse(
      "base: &base {Runtime: python3.11, Timeout: 3}\n"
      "fn:\n"
      "  <<: *base\n"
      "  Timeout: 10\n"
      "copy: *base\n");
  EXPECT_EQ(doc.root["fn"]["Runtime"].asString(), "python3.11");
  EXPECT_EQ(doc.root["fn"]["Timeout"].asInt(), 10);
  EXPECT_FALSE(doc.root["fn"].isMember("<<"));
  EXPECT_EQ(doc.root["copy"]["Timeout"].asInt(), 3);
}

TEST(YamlDocument, EveryValueKnowsItsLine) {
  YamlDocument doc = Parse(
      "Resources:\n"
      "  Chat:\n"
      "    Type: AWS::Serverless::Function\n"
      "    Properties:\n"
      "      Handler: app.handler\n"
      "      Layers:\n"
      "        - one\n"
      "        - two\n");
  EXPECT_EQ(doc.LineOf("Resources.Chat.Properties.Handler"), 5);
  EXPECT_EQ(doc.LineOf("Resources.Chat.Properties.Layers[1]"), 8);
  EXPECT_EQ(doc.LineOf("Resources.Chat.Properties.Missing"), 4);
  EXPECT_EQ(doc.LineOf("Resources.Chat"), 2);
}

TEST(YamlDocument, JsonParsesWithLines) {
  YamlDocument doc = Parse("{\n  \"Resources\": {\n    \"T\": {\"Type\": \"x\", \"N\": 5}\n  }\n}\n");
  EXPECT_EQ(doc.root["Resources"]["T"]["N"].asInt(), 5);
  EXPECT_EQ(doc.LineOf("Resources.T.Type"), 3);
}

TEST(YamlDocument, BadYamlIsAnErrorWithItsLine) {
  YamlError error;
  EXPECT_FALSE(ParseYamlDocument("a: 1\nb: [1, 2\nc: 3\n", &error).has_value());
  EXPECT_GT(error.line, 1);
  EXPECT_FALSE(error.message.empty());
}

TEST(YamlDocument, UnknownTagIsAnErrorWithItsLine) {
  YamlError error;
  EXPECT_FALSE(ParseYamlDocument("a: 1\nb: !Reff X\n", &error).has_value());
  EXPECT_EQ(error.line, 2);
  EXPECT_NE(error.message.find("!Reff"), std::string::npos);
}

TEST(YamlDocument, InvalidUtf8IsAnErrorWithItsLine) {
  YamlError error;
  EXPECT_FALSE(ParseYamlDocument("a: 1\n\n%  C: \xff\xff\n", &error).has_value());
  EXPECT_EQ(error.line, 3);
  EXPECT_EQ(error.message, "not UTF-8 text");
}

TEST(YamlDocument, AliasBombIsRefused) {
  std::string text = "a: &a [x, x, x, x, x, x, x, x, x, x]\n";
  char prev = 'a';
  for (char c = 'b'; c <= 'j'; ++c) {
    text += std::string(1, c) + ": &" + c + " [";
    for (int i = 0; i < 10; ++i) text += std::string(i ? ", *" : "*") + prev;
    text += "]\n";
    prev = c;
  }
  YamlError error;
  EXPECT_FALSE(ParseYamlDocument(text, &error).has_value());
  EXPECT_NE(error.message.find("too many"), std::string::npos);
}

}  // namespace
}  // namespace wsgw
