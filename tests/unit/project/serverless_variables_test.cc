#include "project/serverless_variables.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include <unistd.h>

namespace wsgw {
namespace {

namespace fs = std::filesystem;

YamlDocument Parse(const std::string& text) {
  YamlError error;
  std::optional<YamlDocument> doc = ParseYamlDocument(text, &error);
  EXPECT_TRUE(doc.has_value()) << error.message;
  return doc.value_or(YamlDocument{});
}

// Resolves the top-level `key` of `text`.
struct Resolved {
  std::optional<Json::Value> value;
  std::vector<ConfigProblem> problems;
  std::vector<ConfigProblem> warnings;
};

Resolved ResolveKey(const std::string& text, const std::string& key, VariableSources sources = {}) {
  YamlDocument doc = Parse(text);
  VariableResolver resolver(doc, "serverless.yml", std::move(sources));
  Resolved out;
  out.value = resolver.Resolve(doc.root[key], key);
  out.problems = resolver.problems();
  out.warnings = resolver.warnings();
  return out;
}

TEST(ServerlessVariables, SelfReferencesKeepTheirTypeWholeAndStringifyInsideText) {
  Resolved r = ResolveKey(
      "custom:\n  port: 8080\n  names: [a, b]\n  base: api\n"
      "out:\n  port: ${self:custom.port}\n  names: ${self:custom.names}\n"
      "  url: http://${self:custom.base}:${self:custom.port}/x\n  second: ${self:custom.names.1}\n",
      "out");
  ASSERT_TRUE(r.value) << r.problems[0].ToString();
  EXPECT_EQ((*r.value)["port"], Json::Value(Json::Int64{8080}));
  EXPECT_TRUE((*r.value)["names"].isArray());
  EXPECT_EQ((*r.value)["url"].asString(), "http://api:8080/x");
  EXPECT_EQ((*r.value)["second"].asString(), "b");
}

TEST(ServerlessVariables, StageComesFromTheOptionElseProviderStageElseDev) {
  const std::string text =
      "provider:\n  stage: ${opt:stage, 'qa'}\nout: ${self:service}-${sls:stage}\nservice: svc\n";
  EXPECT_EQ(ResolveKey(text, "out").value->asString(), "svc-qa");
  VariableSources prod;
  prod.options["stage"] = "prod";
  EXPECT_EQ(ResolveKey(text, "out", prod).value->asString(), "svc-prod");
  EXPECT_EQ(ResolveKey("out: ${sls:stage}\n", "out").value->asString(), "dev");
}

TEST(ServerlessVariables, FallbacksAreTriedInOrder) {
  VariableSources sources;
  sources.environment["SET"] = "from-env";
  sources.options["level"] = "debug";
  Resolved r = ResolveKey(
      "custom:\n  fallback: from-self\n"
      "out:\n  a: ${env:UNSET, 'quoted'}\n  b: ${env:UNSET, self:custom.fallback}\n"
      "  c: ${env:UNSET, ${env:SET}}\n  d: ${env:UNSET, 42}\n  e: ${opt:level, 'info'}\n"
      "  f: ${env:UNSET, env:ALSO_UNSET, \"double, with comma\"}\n  g: ${env:UNSET, true}\n",
      "out", sources);
  ASSERT_TRUE(r.value) << r.problems[0].ToString();
  EXPECT_EQ((*r.value)["a"].asString(), "quoted");
  EXPECT_EQ((*r.value)["b"].asString(), "from-self");
  EXPECT_EQ((*r.value)["c"].asString(), "from-env");
  EXPECT_EQ((*r.value)["d"].asInt(), 42);
  EXPECT_EQ((*r.value)["e"].asString(), "debug");
  EXPECT_EQ((*r.value)["f"].asString(), "double, with comma");
  EXPECT_TRUE((*r.value)["g"].asBool());
}

TEST(ServerlessVariables, NestedVariablesInAnAddressResolveFirst) {
  Resolved r = ResolveKey(
      "provider:\n  stage: prod\ncustom:\n  tables:\n    prod: rooms-live\n    dev: rooms-dev\n"
      "out: ${self:custom.tables.${sls:stage}}\n",
      "out");
  ASSERT_TRUE(r.value);
  EXPECT_EQ(r.value->asString(), "rooms-live");
}

TEST(ServerlessVariables, CloudFormationSubstitutionsAreLeftForTheIntrinsics) {
  Resolved r = ResolveKey(
      "out: !Sub 'arn:aws:dynamodb:${AWS::Region}:${AWS::AccountId}:table/${Table}/${Fn.Arn}'\n",
      "out");
  ASSERT_TRUE(r.value);
  EXPECT_EQ((*r.value)["Fn::Sub"].asString(),
            "arn:aws:dynamodb:${AWS::Region}:${AWS::AccountId}:table/${Table}/${Fn.Arn}");
}

TEST(ServerlessVariables, ParamsComeFromOptionsThenTheStageThenDefault) {
  const std::string text =
      "provider:\n  stage: prod\nparams:\n  default:\n    size: small\n    color: grey\n"
      "  prod:\n    size: large\nout: ${param:size}-${param:color}-${param:domain, 'none'}\n";
  EXPECT_EQ(ResolveKey(text, "out").value->asString(), "large-grey-none");
  VariableSources given;
  given.options["color"] = "red";
  EXPECT_EQ(ResolveKey(text, "out", given).value->asString(), "large-red-none");
}

TEST(ServerlessVariables, AwsRegionAndAccountAndStrToBool) {
  VariableSources sources;
  sources.region = "eu-west-3";
  Resolved r = ResolveKey(
      "out: [\"${aws:region}\", \"${aws:accountId}\", \"${strToBool(true)}\"]\n", "out", sources);
  ASSERT_TRUE(r.value);
  EXPECT_EQ((*r.value)[0].asString(), "eu-west-3");
  EXPECT_EQ((*r.value)[1].asString(), "123456789012");
  EXPECT_TRUE((*r.value)[2].asBool());
}

class ServerlessFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("wsgw-sls-" + std::to_string(::getpid()));
    fs::create_directories(dir_ / "config");
    std::ofstream(dir_ / "config" / "dev.yml")
        << "table: rooms-dev\nnested:\n  name: ${self:service}-x\nlimits: {max: 5}\n";
    std::ofstream(dir_ / "config" / "broken.yml") << "a: [1, 2\n";
  }
  void TearDown() override { fs::remove_all(dir_); }
  VariableSources Sources() const {
    VariableSources sources;
    sources.dir = dir_.string();
    return sources;
  }
  fs::path dir_;
};

TEST_F(ServerlessFiles, FileWithAndWithoutAnAddress) {
  Resolved r = ResolveKey(
      "service: svc\nout:\n  all: ${file(./config/${sls:stage}.yml)}\n"
      "  table: ${file(./config/dev.yml):table}\n  name: ${file(config/dev.yml):nested.name}\n"
      "  missing: ${file(./config/none.yml):table, 'fallback'}\n",
      "out", Sources());
  ASSERT_TRUE(r.value) << r.problems[0].ToString();
  EXPECT_EQ((*r.value)["all"]["limits"]["max"].asInt(), 5);
  EXPECT_EQ((*r.value)["table"].asString(), "rooms-dev");
  EXPECT_EQ((*r.value)["name"].asString(), "svc-x");  // self: is the service file
  EXPECT_EQ((*r.value)["missing"].asString(), "fallback");
}

TEST_F(ServerlessFiles, BrokenIncludedFileNamesItsLine) {
  Resolved r = ResolveKey("out: ${file(./config/broken.yml)}\n", "out", Sources());
  EXPECT_FALSE(r.value);
  ASSERT_EQ(r.problems.size(), 1u);
  EXPECT_NE(r.problems[0].found.find("broken.yml:"), std::string::npos) << r.problems[0].found;
}

TEST_F(ServerlessFiles, JavaScriptFileIsAWarningAndUsesTheFallback) {
  Resolved r = ResolveKey("out: ${file(./config.js):x, 'local'}\n", "out", Sources());
  ASSERT_TRUE(r.value);
  EXPECT_EQ(r.value->asString(), "local");
  ASSERT_EQ(r.warnings.size(), 1u);
  EXPECT_EQ(r.warnings[0].file, "serverless.yml:1");
}

TEST(ServerlessVariables, MissingValueIsAProblemAtItsLineSayingHowToGiveIt) {
  Resolved r = ResolveKey("provider:\n  environment:\n    TOKEN: ${env:WSGW_UNSET}\n",
                          "provider");
  EXPECT_FALSE(r.value);
  ASSERT_EQ(r.problems.size(), 1u);
  EXPECT_EQ(r.problems[0].file, "serverless.yml:3");
  EXPECT_EQ(r.problems[0].path, "provider.environment.TOKEN");
  EXPECT_NE(r.problems[0].expected.find("set WSGW_UNSET in the environment"), std::string::npos);
  EXPECT_NE(r.problems[0].expected.find("${env:WSGW_UNSET, 'value'}"), std::string::npos);

  Resolved opt = ResolveKey("out: ${opt:domain}\n", "out");
  ASSERT_EQ(opt.problems.size(), 1u);
  EXPECT_NE(opt.problems[0].expected.find("--parameter domain=VALUE"), std::string::npos);
}

TEST(ServerlessVariables, UnsupportedSourceWarnsOnceWithItsLineAndUsesTheFallbackElseEmpty) {
  Resolved r = ResolveKey(
      "out:\n  a: ${ssm:/app/key, 'local-key'}\n  b: ${cf:other-stack.Url}\n  c: ${weird:thing}\n",
      "out");
  ASSERT_TRUE(r.value);
  EXPECT_EQ((*r.value)["a"].asString(), "local-key");
  EXPECT_EQ((*r.value)["b"].asString(), "");
  EXPECT_EQ((*r.value)["c"].asString(), "");
  ASSERT_EQ(r.warnings.size(), 3u);
  EXPECT_EQ(r.warnings[0].file, "serverless.yml:2");
  EXPECT_NE(r.warnings[0].found.find("ssm source reads deployed AWS resources"),
            std::string::npos);
  EXPECT_NE(r.warnings[2].found.find("does not know the weird variable source"),
            std::string::npos);
}

TEST(ServerlessVariables, CyclesAndUnclosedVariablesAreProblemsNotHangs) {
  Resolved cycle = ResolveKey("custom:\n  a: ${self:custom.b}\n  b: ${self:custom.a}\nout: ${self:custom.a}\n",
                              "out");
  EXPECT_FALSE(cycle.value);
  ASSERT_FALSE(cycle.problems.empty());
  EXPECT_NE(cycle.problems[0].found.find("depends on itself"), std::string::npos);

  Resolved unclosed = ResolveKey("out: ${env:HOME\n", "out");
  EXPECT_FALSE(unclosed.value);
  ASSERT_EQ(unclosed.problems.size(), 1u);
  EXPECT_EQ(unclosed.problems[0].expected, "a variable closed by '}'");

  Resolved object = ResolveKey("custom:\n  o: {a: 1}\nout: x-${self:custom.o}\n", "out");
  EXPECT_FALSE(object.value);
  ASSERT_EQ(object.problems.size(), 1u);
}

TEST(ServerlessVariables, DeepNestingIsBounded) {
  std::string text = "out: ";
  for (int i = 0; i < 60; ++i) text += "${env:U, ";
  text += "'x'";
  for (int i = 0; i < 60; ++i) text += "}";
  Resolved r = ResolveKey(text + "\n", "out");
  EXPECT_FALSE(r.value);
  ASSERT_FALSE(r.problems.empty());
  EXPECT_NE(r.problems[0].expected.find("nested at most"), std::string::npos);
}

TEST(Dotenv, ParsesQuotesCommentsExportAndExpansion) {
  std::map<std::string, std::string> env = {{"HOME", "/home/me"}};
  auto vars = ParseDotenv(
      "# comment\nexport A=1\nB = two words # trailing\nC='single $A'\nD=\"line\\nnext $A\"\n"
      "E=${A}-$B\nF=$HOME/x\nG=${NOPE:-dflt}\nnot a line\n\r\n",
      env);
  EXPECT_EQ(vars.at("A"), "1");
  EXPECT_EQ(vars.at("B"), "two words");
  EXPECT_EQ(vars.at("C"), "single $A");
  EXPECT_EQ(vars.at("D"), "line\nnext 1");
  EXPECT_EQ(vars.at("E"), "1-two words");
  EXPECT_EQ(vars.at("F"), "/home/me/x");
  EXPECT_EQ(vars.at("G"), "dflt");
  EXPECT_EQ(vars.count("not a line"), 0u);
}

}  // namespace
}  // namespace wsgw
