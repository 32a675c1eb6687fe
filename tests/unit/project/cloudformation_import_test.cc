#include "project/cloudformation_import.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

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
  const RouteConfig* connect = api.FindRoute("$connect");
  ASSERT_TRUE(connect->authorizer.has_value());
  EXPECT_EQ(connect->authorizer->name, "token-authorizer");
  EXPECT_EQ(connect->authorizer->function, "AuthFunction");
  EXPECT_EQ(connect->authorizer->identitySources,
            std::vector<std::string>{"route.request.querystring.token"});
  EXPECT_EQ(api.functions.at("AuthFunction").handler, "app.authorize");
  EXPECT_FALSE(api.FindRoute("sendmessage")->authorizer.has_value());
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

// $connect (CUSTOM, the authorizer) and $default, each on one integration of one function.
const char kWithAuthorizer[] =
    "Resources:\n"
    "  Api:\n"
    "    Type: AWS::ApiGatewayV2::Api\n"
    "    Properties: {ProtocolType: WEBSOCKET}\n"
    "  Connect:\n"
    "    Type: AWS::ApiGatewayV2::Route\n"
    "    Properties:\n"
    "      ApiId: !Ref Api\n"
    "      RouteKey: $connect\n"
    "      AuthorizationType: CUSTOM\n"
    "      AuthorizerId: !Ref Auth\n"
    "      Target: !Sub integrations/${Integration}\n"
    "  Default:\n"
    "    Type: AWS::ApiGatewayV2::Route\n"
    "    Properties:\n"
    "      ApiId: !Ref Api\n"
    "      RouteKey: $default\n"
    "      Target: !Sub integrations/${Integration}\n"
    "  Auth:\n"
    "    Type: AWS::ApiGatewayV2::Authorizer\n"
    "    Properties:\n"
    "      ApiId: !Ref Api\n"
    "      AuthorizerType: REQUEST\n"
    "      AuthorizerUri: !Join ['', [arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/"
    "functions/, !GetAtt [AuthFn, Arn], /invocations]]\n"
    "      IdentitySource: [route.request.header.Authorization]\n"
    "  Integration:\n"
    "    Type: AWS::ApiGatewayV2::Integration\n"
    "    Properties:\n"
    "      ApiId: !Ref Api\n"
    "      IntegrationType: AWS_PROXY\n"
    "      IntegrationUri: !Sub arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/"
    "functions/${Fn.Arn}/invocations\n"
    "  Fn:\n"
    "    Type: AWS::Serverless::Function\n"
    "    Properties: {Runtime: nodejs20.x, Handler: index.handler, CodeUri: src/}\n"
    "  AuthFn:\n"
    "    Type: AWS::Serverless::Function\n"
    "    Properties: {Runtime: python3.12, Handler: app.authorize, CodeUri: src/}\n"
    "  OtherApi:\n"
    "    Type: AWS::ApiGatewayV2::Api\n"
    "    Properties: {ProtocolType: HTTP}\n";

std::string Replaced(std::string text, const std::string& from, const std::string& to) {
  const size_t at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  if (at != std::string::npos) text.replace(at, from.size(), to);
  return text;
}

std::vector<std::string> ProblemLines(const std::string& text) {
  ProjectResult result = ParseCloudFormation(text, "t.yaml", kSam, {});
  EXPECT_TRUE(result.apis.empty());
  std::vector<std::string> lines;
  for (const ConfigProblem& problem : result.problems) lines.push_back(problem.ToString());
  return lines;
}

TEST(CloudFormationImport, AuthorizerOnConnectMapsWithItsFunctionAndIdentitySource) {
  ProjectResult result = ParseCloudFormation(kWithAuthorizer, "t.yaml", kSam, {});
  ASSERT_TRUE(result.problems.empty()) << result.problems[0].ToString();
  const ApiConfig& api = result.apis[0];
  const AuthorizerConfig& authorizer = *api.FindRoute("$connect")->authorizer;
  EXPECT_EQ(authorizer.name, "Auth");  // no Name: the logical id
  EXPECT_EQ(authorizer.function, "AuthFn");
  EXPECT_EQ(authorizer.identitySources,
            std::vector<std::string>{"route.request.header.Authorization"});
  EXPECT_EQ(api.functions.at("AuthFn").runtime, "python");
  EXPECT_FALSE(api.FindRoute("$default")->authorizer.has_value());
}

TEST(CloudFormationImport, AuthorizerIdMustBeAnAuthorizerOfThisApi) {
  EXPECT_EQ(
      ProblemLines(Replaced(kWithAuthorizer, "AuthorizerId: !Ref Auth", "AuthorizerId: !Ref Fn")),
      std::vector<std::string>{
          "t.yaml:11: Resources.Connect.Properties.AuthorizerId: expected the Ref of an "
          "AWS::ApiGatewayV2::Authorizer of this API, found an object"});
  // The same authorizer under another API.
  EXPECT_EQ(ProblemLines(Replaced(kWithAuthorizer, "      ApiId: !Ref Api\n      AuthorizerType",
                                  "      ApiId: !Ref OtherApi\n      AuthorizerType")),
            std::vector<std::string>{
                "t.yaml:11: Resources.Connect.Properties.AuthorizerId: expected the Ref of an "
                "AWS::ApiGatewayV2::Authorizer of this API, found an object"});
}

TEST(CloudFormationImport, CustomAuthorizationNeedsAnAuthorizerId) {
  EXPECT_EQ(ProblemLines(Replaced(kWithAuthorizer, "      AuthorizerId: !Ref Auth\n", "")),
            std::vector<std::string>{
                "t.yaml:7: Resources.Connect.Properties.AuthorizerId: expected the Ref of an "
                "AWS::ApiGatewayV2::Authorizer of this API (AuthorizationType is CUSTOM), found "
                "nothing (the key is missing)"});
}

TEST(CloudFormationImport, AuthorizerTypeMustBeRequest) {
  EXPECT_EQ(
      ProblemLines(Replaced(kWithAuthorizer, "AuthorizerType: REQUEST", "AuthorizerType: JWT")),
      std::vector<std::string>{
          "t.yaml:23: Resources.Auth.Properties.AuthorizerType: expected \"REQUEST\" (the "
          "only authorizer type of WebSocket APIs), found \"JWT\""});
}

TEST(CloudFormationImport, CustomAuthorizationOnlyOnConnect) {
  std::string text = Replaced(kWithAuthorizer, "      RouteKey: $default\n",
                              "      RouteKey: $default\n      AuthorizationType: CUSTOM\n"
                              "      AuthorizerId: !Ref Auth\n");
  EXPECT_EQ(ProblemLines(text),
            std::vector<std::string>{
                "t.yaml:18: Resources.Default.Properties.AuthorizationType: expected "
                "AuthorizationType CUSTOM only on the $connect route (API Gateway runs authorizers "
                "only there), found \"CUSTOM\" on route $default"});
}

TEST(CloudFormationImport, AwsIamAuthorizationIsRefusedClearly) {
  std::vector<std::string> problems = ProblemLines(
      Replaced(Replaced(kWithAuthorizer, "AuthorizationType: CUSTOM", "AuthorizationType: AWS_IAM"),
               "      AuthorizerId: !Ref Auth\n", ""));
  EXPECT_EQ(problems,
            std::vector<std::string>{
                "t.yaml:10: Resources.Connect.Properties.AuthorizationType: expected "
                "\"NONE\" or \"CUSTOM\" (wsgw does not check SigV4 signatures, so it "
                "refuses AWS_IAM rather than let every connection in), found \"AWS_IAM\""});
  EXPECT_EQ(ProblemLines(
                Replaced(kWithAuthorizer, "AuthorizationType: CUSTOM", "AuthorizationType: JWT")),
            std::vector<std::string>{
                "t.yaml:10: Resources.Connect.Properties.AuthorizationType: expected \"NONE\", "
                "\"AWS_IAM\" or \"CUSTOM\", found \"JWT\""});
}

TEST(CloudFormationImport, AuthorizerNeedsSupportedIdentitySourcesAndAKnownFunction) {
  EXPECT_EQ(
      ProblemLines(Replaced(kWithAuthorizer, "IdentitySource: [route.request.header.Authorization]",
                            "IdentitySource: [stageVariables.key, route.request.header.Auth]")),
      std::vector<std::string>{
          "t.yaml:25: Resources.Auth.Properties.IdentitySource[0]: expected "
          "\"route.request.header.<Name>\" or \"route.request.querystring.<name>\" "
          "(stageVariables. and context. identity sources are not supported by wsgw), found "
          "\"stageVariables.key\""});
  EXPECT_EQ(
      ProblemLines(Replaced(kWithAuthorizer,
                            "      IdentitySource: [route.request.header.Authorization]\n", "")),
      std::vector<std::string>{
          "t.yaml:21: Resources.Auth.Properties.IdentitySource: expected a list of identity "
          "sources such as route.request.header.Authorization, found nothing (the key is "
          "missing)"});
  std::vector<std::string> unknown =
      ProblemLines(Replaced(kWithAuthorizer, "[AuthFn, Arn]", "[Nope, Arn]"));
  ASSERT_EQ(unknown.size(), 1u);
  EXPECT_EQ(unknown[0].rfind("t.yaml:24: Resources.Auth.Properties.AuthorizerUri", 0), 0u)
      << unknown[0];
  // A URI that names no function of the template.
  std::vector<std::string> foreign = ProblemLines(
      Replaced(kWithAuthorizer, "!GetAtt [AuthFn, Arn]", "arn:aws:lambda:us-east-1:1:function:x"));
  EXPECT_EQ(foreign,
            std::vector<std::string>{
                "t.yaml:24: Resources.Auth.Properties.AuthorizerUri: expected an "
                "AuthorizerUri naming a function of this template, such as !Sub "
                "arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/"
                "${Fn.Arn}/invocations, found \"arn:aws:apigateway:us-east-1:lambda:path/"
                "2015-03-31/functions/arn:aws:lambda:us-east-1:1:function:x/invocations\""});
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
