#include "project/intrinsics.h"

#include <gtest/gtest.h>

#include "project/yaml_document.h"

namespace wsgw {
namespace {

class IntrinsicsTest : public ::testing::Test {
 protected:
  IntrinsicsTest() {
    context_.parameters["AWS::Region"] = "eu-west-1";
    context_.parameters["Stage"] = "dev";
    context_.parameters["Names"] = Json::Value(Json::arrayValue);
    context_.parameters["Names"].append("a");
    context_.parameters["Names"].append("b");
    context_.resources["Table"].ref = "chat-table";
    context_.resources["Table"].attributes["Arn"] = "arn:aws:dynamodb:eu-west-1:1:table/chat";
    context_.resources["Fn"].ref = "Fn";
    context_.resources["Fn"].attributes["Arn"] = "arn:aws:lambda:eu-west-1:1:function:Fn";
    context_.conditions = Yaml(
        "IsDev: !Equals [!Ref Stage, dev]\n"
        "IsProd: !Not [!Condition IsDev]\n"
        "Both: !And [!Condition IsDev, !Not [!Condition IsProd]]\n"
        "Either: !Or [!Condition IsProd, !Equals [a, b]]\n"
        "Loop: !Condition Loop\n");
    context_.mappings = Yaml("Sizes: {dev: {Memory: 128}}\n");
  }

  static Json::Value Yaml(const std::string& text) {
    YamlError error;
    std::optional<YamlDocument> doc = ParseYamlDocument(text, &error);
    EXPECT_TRUE(doc) << error.message;
    return doc ? doc->root : Json::Value();
  }

  Json::Value Eval(const std::string& yaml) {
    IntrinsicError error;
    std::optional<Json::Value> v = ResolveIntrinsics(Yaml("v: " + yaml)["v"], "v", context_,
                                                     &error);
    EXPECT_TRUE(v) << error.path << ": " << error.message;
    return v.value_or(Json::Value("<error>"));
  }

  IntrinsicError Error(const std::string& yaml) {
    IntrinsicError error;
    EXPECT_FALSE(ResolveIntrinsics(Yaml("v: " + yaml)["v"], "v", context_, &error));
    return error;
  }

  IntrinsicContext context_;
};

TEST_F(IntrinsicsTest, RefGivesParametersPseudoParametersAndResourceNames) {
  EXPECT_EQ(Eval("!Ref Stage"), Json::Value("dev"));
  EXPECT_EQ(Eval("!Ref AWS::Region"), Json::Value("eu-west-1"));
  EXPECT_EQ(Eval("!Ref Table"), Json::Value("chat-table"));
  EXPECT_EQ(Error("!Ref Tabel").message, "Ref: no parameter or resource \"Tabel\" in the template");
}

TEST_F(IntrinsicsTest, RefNoValueRemovesTheKey) {
  Json::Value v = Eval("{a: 1, b: !Ref AWS::NoValue, c: [1, !Ref AWS::NoValue]}");
  EXPECT_FALSE(v.isMember("b"));
  EXPECT_EQ(v["c"].size(), 1u);
}

TEST_F(IntrinsicsTest, GetAttGivesKnownAttributesOnly) {
  EXPECT_EQ(Eval("!GetAtt Table.Arn"), Json::Value("arn:aws:dynamodb:eu-west-1:1:table/chat"));
  EXPECT_EQ(Eval("{\"Fn::GetAtt\": [Fn, Arn]}"),
            Json::Value("arn:aws:lambda:eu-west-1:1:function:Fn"));
  IntrinsicError error = Error("!GetAtt Table.StreamLabel");
  EXPECT_EQ(error.path, "v.Fn::GetAtt");
  EXPECT_NE(error.message.find("StreamLabel"), std::string::npos);
}

TEST_F(IntrinsicsTest, SubBothFormsWithAttributesAndLiterals) {
  EXPECT_EQ(Eval("!Sub 'arn:${AWS::Region}:${Fn.Arn}/${Stage}/${!Literal}'"),
            Json::Value("arn:eu-west-1:arn:aws:lambda:eu-west-1:1:function:Fn/dev/${Literal}"));
  EXPECT_EQ(Eval("!Sub ['${X}-${Table}', {X: !Ref Stage}]"), Json::Value("dev-chat-table"));
  EXPECT_NE(Error("!Sub '${Nope}'").message.find("Nope"), std::string::npos);
  EXPECT_NE(Error("!Sub 'a ${b'").message.find("without"), std::string::npos);
}

TEST_F(IntrinsicsTest, JoinSelectSplit) {
  EXPECT_EQ(Eval("!Join ['/', [integrations, !Ref Table]]"), Json::Value("integrations/chat-table"));
  EXPECT_EQ(Eval("!Join [',', !Ref Names]"), Json::Value("a,b"));
  EXPECT_EQ(Eval("!Select [1, !Split ['/', a/b/c]]"), Json::Value("b"));
  EXPECT_NE(Error("!Select [5, [a]]").message.find("index below 1"), std::string::npos);
}

TEST_F(IntrinsicsTest, IfWithConditions) {
  EXPECT_EQ(Eval("!If [IsDev, small, big]"), Json::Value("small"));
  EXPECT_EQ(Eval("!If [IsProd, small, big]"), Json::Value("big"));
  EXPECT_EQ(Eval("!If [Both, yes-both, no]"), Json::Value("yes-both"));
  EXPECT_EQ(Eval("!If [Either, yes, no-either]"), Json::Value("no-either"));
  EXPECT_NE(Error("!If [Loop, a, b]").message.find("depends on itself"), std::string::npos);
  EXPECT_NE(Error("!If [Missing, a, b]").message.find("no condition"), std::string::npos);
  IntrinsicError error;
  EXPECT_EQ(EvaluateCondition("IsDev", context_, &error), std::optional<bool>(true));
}

TEST_F(IntrinsicsTest, FindInMapBase64GetAZs) {
  EXPECT_EQ(Eval("!FindInMap [Sizes, !Ref Stage, Memory]"), Json::Value(128));
  EXPECT_EQ(Eval("!Base64 hi"), Json::Value("aGk="));
  EXPECT_EQ(Eval("!Select [0, !GetAZs '']"), Json::Value("eu-west-1a"));
}

TEST_F(IntrinsicsTest, ImportValueIsAnErrorNamingIt) {
  IntrinsicError error = Error("{a: [!ImportValue Shared]}");
  EXPECT_EQ(error.path, "v.a[0].Fn::ImportValue");
  EXPECT_NE(error.message.find("Fn::ImportValue"), std::string::npos);
}

}  // namespace
}  // namespace wsgw
