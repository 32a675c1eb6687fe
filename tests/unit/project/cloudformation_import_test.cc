#include "project/cloudformation_import.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "project/project_file.h"

namespace wsgw {
namespace {

const std::string kSam = std::string(WSGW_FIXTURES_DIR) + "/projects/sam-python";

TEST(CloudFormationImport, SamFixtureMapsToOneApi) {
  ProjectResult result = LoadProjectFile(kSam + "/template.yaml", {});
  ASSERT_TRUE(result.problems.empty()) << result.problems[0].ToString();
  ASSERT_EQ(result.apis.size(), 1u);
  const ApiConfig& api = result.apis[0];
  EXPECT_EQ(api.name, "sam-chat");
  EXPECT_EQ(api.stage, "dev");
  EXPECT_EQ(api.routeSelectionExpressionText, "$request.body.action");
  EXPECT_EQ(api.RouteKeys(), (std::vector<std::string>{"$connect", "$disconnect", "sendmessage"}));
  EXPECT_TRUE(api.FindRoute("sendmessage")->routeResponse);
  const FunctionConfig* send = api.FunctionFor("sendmessage");
  ASSERT_NE(send, nullptr);
  EXPECT_EQ(send->name, "SendMessageFunction");
  EXPECT_EQ(send->runtime, "python");
  EXPECT_EQ(send->handler, "app.on_send");
  EXPECT_EQ(send->codeDir, std::filesystem::path(kSam + "/src").lexically_normal().string());
  EXPECT_EQ(send->timeoutMs, 10000);
  EXPECT_EQ(send->env.at("TABLE_NAME"), "chat-connections");
  EXPECT_EQ(send->env.at("ROOM_INDEX"), "by-room");
  EXPECT_EQ(api.FunctionFor("$connect")->handler, "app.on_connect");
  ASSERT_EQ(api.tables.size(), 1u);
  const TableConfig& table = api.tables[0];
  EXPECT_EQ(table.name, "chat-connections");
  EXPECT_EQ(table.hashKey.name, "connectionId");
  ASSERT_EQ(table.indexes.size(), 1u);
  EXPECT_EQ(table.indexes[0].name, "by-room");
  EXPECT_EQ(table.indexes[0].projection, "KEYS_ONLY");
  EXPECT_EQ(table.ttlAttribute, std::optional<std::string>("expiresAt"));
}

TEST(CloudFormationImport, ParametersOverrideDefaults) {
  ProjectOptions options;
  options.parameters["StageName"] = "prod";
  options.parameters["ConnectionsTableName"] = "other";
  ProjectResult result = LoadProjectFile(kSam + "/template.yaml", options);
  ASSERT_EQ(result.apis.size(), 1u);
  EXPECT_EQ(result.apis[0].stage, "prod");
  EXPECT_EQ(result.apis[0].tables[0].name, "other");
  EXPECT_EQ(result.apis[0].FunctionFor("$connect")->env.at("TABLE_NAME"), "other");
}

const char kMinimal[] =
    "Resources:\n"
    "  Api:\n"
    "    Type: AWS::ApiGatewayV2::Api\n"
    "    Properties: {ProtocolType: WEBSOCKET, RouteSelectionExpression: $request.body.type}\n"
    "  Route:\n"
    "    Type: AWS::ApiGatewayV2::Route\n"
    "    Properties:\n"
    "      ApiId: !Ref Api\n"
    "      RouteKey: $default\n"
    "      Target: !Join [/, [integrations, !Ref Integration]]\n"
    "  Integration:\n"
    "    Type: AWS::ApiGatewayV2::Integration\n"
    "    Properties:\n"
    "      ApiId: !Ref Api\n"
    "      IntegrationType: AWS_PROXY\n"
    "      IntegrationUri: !Join ['', [arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/"
    "functions/, !GetAtt [Fn, Arn], /invocations]]\n"
    "  Fn:\n"
    "    Type: AWS::Lambda::Function\n"
    "    Properties:\n"
    "      Runtime: RUNTIME\n"
    "      Handler: index.handler\n"
    "      Code: CODE\n";

std::string Minimal(const std::string& runtime, const std::string& code) {
  std::string text = kMinimal;
  text.replace(text.find("RUNTIME"), 7, runtime);
  text.replace(text.find("CODE"), 4, code);
  return text;
}

TEST(CloudFormationImport, LambdaFunctionWithInlineCodeIsAProblemWithItsLine) {
  ProjectResult result =
      ParseCloudFormation(Minimal("nodejs20.x", "{ZipFile: 'exports.handler=1'}"),
                          "template.yaml", kSam, {});
  ASSERT_EQ(result.problems.size(), 1u);
  EXPECT_EQ(result.problems[0].file, "template.yaml:22");
  EXPECT_EQ(result.problems[0].path, "Resources.Fn.Properties.Code");
  EXPECT_NE(result.problems[0].found.find("ZipFile"), std::string::npos);
}

TEST(CloudFormationImport, UnsupportedRuntimeIsNamed) {
  ProjectResult result = ParseCloudFormation(Minimal("java21", "{S3Key: x}"), "t.yaml", kSam, {});
  ASSERT_GE(result.problems.size(), 1u);
  EXPECT_EQ(result.problems[0].ToString().rfind("t.yaml:20: Resources.Fn.Properties.Runtime:", 0),
            0u)
      << result.problems[0].ToString();
  EXPECT_NE(result.problems[0].found.find("java21"), std::string::npos);
}

TEST(CloudFormationImport, NonProxyIntegrationIsAProblem) {
  std::string text = Minimal("nodejs20.x", "{S3Key: x}");
  text.replace(text.find("AWS_PROXY"), 9, "MOCK");
  ProjectResult result = ParseCloudFormation(text, "t.yaml", kSam, {});
  ASSERT_GE(result.problems.size(), 1u);
  EXPECT_EQ(result.problems[0].file, "t.yaml:15");
  EXPECT_EQ(result.problems[0].path, "Resources.Integration.Properties.IntegrationType");
}

TEST(CloudFormationImport, NoWebSocketApiIsAProblem) {
  ProjectResult result = ParseCloudFormation(
      "Resources:\n  T:\n    Type: AWS::SNS::Topic\n", "t.yaml", kSam, {});
  ASSERT_EQ(result.problems.size(), 1u);
  EXPECT_NE(result.problems[0].expected.find("WEBSOCKET"), std::string::npos);
}

TEST(CloudFormationImport, BadYamlNamesTheLine) {
  ProjectResult result = ParseCloudFormation("Resources:\n  A: [\n", "t.yaml", kSam, {});
  ASSERT_EQ(result.problems.size(), 1u);
  EXPECT_EQ(result.problems[0].file.rfind("t.yaml:", 0), 0u);
  EXPECT_NE(result.problems[0].file, "t.yaml");
}

TEST(ProjectFile, FindsTheTemplateInAFolder) {
  EXPECT_EQ(FindProjectFile(kSam).path, kSam + "/template.yaml");
  ProjectFileChoice none = FindProjectFile(kSam + "/src");
  EXPECT_TRUE(none.path.empty());
  EXPECT_NE(none.message.find("template.yaml"), std::string::npos);
}

}  // namespace
}  // namespace wsgw
