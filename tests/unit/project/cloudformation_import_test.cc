#include "project/cloudformation_import.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
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

TEST(CloudFormationImport, UnknownAuthorizationTypeIsAProblem) {
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
  // Without IdentitySource (optional for REQUEST authorizers in the ApiGatewayV2 reference) the
  // authorizer runs on every connect with nothing checked first.
  ProjectResult without = ParseCloudFormation(
      Replaced(kWithAuthorizer, "      IdentitySource: [route.request.header.Authorization]\n", ""),
      "t.yaml", kSam, {});
  ASSERT_TRUE(without.problems.empty()) << without.problems[0].ToString();
  ASSERT_TRUE(without.apis[0].FindRoute("$connect")->authorizer.has_value());
  EXPECT_TRUE(without.apis[0].FindRoute("$connect")->authorizer->identitySources.empty());
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

const std::string kCdk = std::string(WSGW_FIXTURES_DIR) + "/projects/cdk-node";
const std::string kCdkTemplate = kCdk + "/cdk.out/ChatStack.template.json";

TEST(CloudFormationImport, CdkSynthesizedStackMapsToOneApi) {
  ProjectResult result = LoadProjectFile(kCdkTemplate, {});
  ASSERT_TRUE(result.problems.empty()) << result.problems[0].ToString();
  ASSERT_EQ(result.apis.size(), 1u);
  const ApiConfig& api = result.apis[0];
  EXPECT_EQ(api.name, "cdk-chat");
  EXPECT_EQ(api.stage, "prod");
  EXPECT_EQ(api.RouteKeys(), (std::vector<std::string>{"$connect", "$disconnect", "sendmessage"}));
  EXPECT_TRUE(api.FindRoute("sendmessage")->routeResponse);
  EXPECT_FALSE(api.FindRoute("$connect")->routeResponse);
  const FunctionConfig* connect = api.FunctionFor("$connect");
  ASSERT_NE(connect, nullptr);
  EXPECT_EQ(connect->name, "ConnectHandler2FFD52D8");
  EXPECT_EQ(connect->runtime, "nodejs");
  EXPECT_EQ(connect->handler, "index.handler");
  EXPECT_EQ(connect->codeDir,
            kCdk + "/cdk.out/asset.8283ac49ff97016d1d7ee7a582c3373bb9f629975a1596bded7f2386053de06e");
  EXPECT_EQ(connect->timeoutMs, 10000);
  EXPECT_EQ(connect->env.at("TABLE_NAME"), "ChatStack-ConnectionsTable8000B8A1");
  EXPECT_EQ(connect->env.at("ROOM_INDEX"), "byRoom");
  EXPECT_EQ(api.FunctionFor("sendmessage")->name, "SendMessageHandlerDCEABF13");
  EXPECT_EQ(api.FunctionFor("$disconnect")->name, "DisconnectHandlerCB7ED6F7");
  EXPECT_EQ(api.functions.size(), 3u);
  ASSERT_EQ(api.tables.size(), 1u);
  const TableConfig& table = api.tables[0];
  EXPECT_EQ(table.name, "ChatStack-ConnectionsTable8000B8A1");
  EXPECT_EQ(table.hashKey.name, "connectionId");
  ASSERT_EQ(table.indexes.size(), 1u);
  EXPECT_EQ(table.indexes[0].name, "byRoom");
  EXPECT_EQ(table.indexes[0].hashKey.name, "roomId");
  EXPECT_EQ(table.indexes[0].projection, "KEYS_ONLY");
  EXPECT_EQ(table.ttlAttribute, std::optional<std::string>("expiresAt"));
}

TEST(CloudFormationImport, CdkMetadataConditionFollowsTheRegion) {
  // CDKMetadata exists only where its Condition holds; either way it is ignored.
  ProjectOptions options;
  options.parameters["AWS::Region"] = "xx-nowhere-1";
  ProjectResult result = LoadProjectFile(kCdkTemplate, options);
  ASSERT_TRUE(result.problems.empty()) << result.problems[0].ToString();
  EXPECT_EQ(result.apis.size(), 1u);
}

const char kCdkTableV2[] = R"({
 "Resources": {
  "Api": {"Type": "AWS::ApiGatewayV2::Api", "Properties": {"ProtocolType": "WEBSOCKET"}},
  "Route": {"Type": "AWS::ApiGatewayV2::Route", "Properties": {"ApiId": {"Ref": "Api"},
    "RouteKey": "$default", "Target": {"Fn::Join": ["", ["integrations/", {"Ref": "Int"}]]}}},
  "Int": {"Type": "AWS::ApiGatewayV2::Integration", "Properties": {"ApiId": {"Ref": "Api"},
    "IntegrationType": "AWS_PROXY", "IntegrationUri": {"Fn::Join": ["", ["arn:",
    {"Ref": "AWS::Partition"}, ":apigateway:", {"Ref": "AWS::Region"},
    ":lambda:path/2015-03-31/functions/", {"Fn::GetAtt": ["Fn", "Arn"]}, "/invocations"]]}}},
  "Fn": {"Type": "AWS::Lambda::Function", "Properties": {"Runtime": "python3.12",
    "Handler": "app.handler", "Code": {"S3Key": "x.zip"}}, "Metadata": {"aws:asset:path": "ASSET"}},
  "Key": {"Type": "AWS::KMS::Key", "Properties": {}},
  "TableCD117FA1": {"Type": "AWS::DynamoDB::GlobalTable", "Properties": {
    "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"},
                             {"AttributeName": "sk", "AttributeType": "N"}],
    "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
    "BillingMode": "PAY_PER_REQUEST",
    "Replicas": [{"Region": {"Ref": "AWS::Region"}}],
    "SSESpecification": {"SSEEnabled": true, "SSEType": "KMS"},
    "StreamSpecification": {"StreamViewType": "NEW_AND_OLD_IMAGES"},
    "TimeToLiveSpecification": {"AttributeName": "ttl", "Enabled": true}}},
  "Table2": {"Type": "AWS::DynamoDB::Table", "Properties": {
    "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}],
    "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
    "SSESpecification": {"SSEEnabled": true, "KMSMasterKeyId": {"Fn::GetAtt": ["Key", "Arn"]}},
    "KinesisStreamSpecification": {"StreamArn": {"Fn::GetAtt": ["Stream", "Arn"]}}}},
  "Stream": {"Type": "AWS::Kinesis::Stream", "Properties": {"ShardCount": 1}}
 }
})";

std::string WithAsset(std::string text, const std::string& asset) {
  text.replace(text.find("ASSET"), 5, asset);
  return text;
}

TEST(CloudFormationImport, CdkTableV2IsAGlobalTableAndUnmodeledTablePropertiesAreIgnored) {
  ProjectResult result =
      ParseCloudFormation(WithAsset(kCdkTableV2, "src"), "Stack.template.json", kSam, {});
  ASSERT_TRUE(result.problems.empty()) << result.problems[0].ToString();
  ASSERT_EQ(result.apis.size(), 1u);
  ASSERT_EQ(result.apis[0].tables.size(), 2u);
  const TableConfig& global = result.apis[0].tables[1];  // tables are in name order
  EXPECT_EQ(global.name, "Stack-TableCD117FA1");
  EXPECT_EQ(global.hashKey.name, "pk");
  ASSERT_TRUE(global.rangeKey.has_value());
  EXPECT_EQ(global.rangeKey->type, "N");
  EXPECT_EQ(global.ttlAttribute, std::optional<std::string>("ttl"));
  EXPECT_EQ(result.apis[0].tables[0].name, "Stack-Table2");
}

TEST(CloudFormationImport, CdkAssetFolderMissingSaysToSynthAgain) {
  ProjectResult result = ParseCloudFormation(WithAsset(kCdkTableV2, "asset.0123abcd"),
                                             "Stack.template.json", kSam, {});
  ASSERT_EQ(result.problems.size(), 1u);
  EXPECT_EQ(result.problems[0].path, "Resources.Fn.Metadata.aws:asset:path");
  EXPECT_NE(result.problems[0].found.find("cdk synth"), std::string::npos)
      << result.problems[0].ToString();
}

TEST(CloudFormationImport, CdkAssetThatIsAFileIsAProblem) {
  ProjectResult result =
      ParseCloudFormation(WithAsset(kCdkTableV2, "template.yaml"), "Stack.template.json", kSam, {});
  ASSERT_EQ(result.problems.size(), 1u);
  EXPECT_NE(result.problems[0].found.find("a file"), std::string::npos)
      << result.problems[0].ToString();
}

// CDK's WebSocketLambdaAuthorizer on $connect, and an integration through fn.addAlias('live').
const char kCdkAuthorizer[] = R"({
 "Resources": {
  "Api": {"Type": "AWS::ApiGatewayV2::Api", "Properties": {"ProtocolType": "WEBSOCKET"}},
  "ConnectRoute": {"Type": "AWS::ApiGatewayV2::Route", "Properties": {"ApiId": {"Ref": "Api"},
    "RouteKey": "$connect", "AuthorizationType": "AUTHORIZATION", "AuthorizerId": {"Ref": "Auth"},
    "Target": {"Fn::Join": ["", ["integrations/", {"Ref": "Int"}]]}}},
  "Int": {"Type": "AWS::ApiGatewayV2::Integration", "Properties": {"ApiId": {"Ref": "Api"},
    "IntegrationType": "AWS_PROXY", "IntegrationUri": {"Fn::Join": ["", ["arn:",
    {"Ref": "AWS::Partition"}, ":apigateway:", {"Ref": "AWS::Region"},
    ":lambda:path/2015-03-31/functions/", {"Ref": "FnAliaslive1234ABCD"}, "/invocations"]]}}},
  "Auth": {"Type": "AWS::ApiGatewayV2::Authorizer", "Properties": {"ApiId": {"Ref": "Api"},
    "AuthorizerType": "REQUEST", "Name": "TokenAuthorizer",
    "IdentitySource": ["route.request.header.Authorization", "route.request.querystring.token"],
    "AuthorizerUri": {"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":apigateway:",
    {"Ref": "AWS::Region"}, ":lambda:path/2015-03-31/functions/",
    {"Fn::GetAtt": ["AuthFn5C3D2E1F", "Arn"]}, "/invocations"]]}}},
  "Fn": {"Type": "AWS::Lambda::Function", "Properties": {"Runtime": "nodejs20.x",
    "Handler": "index.handler", "Code": {"S3Key": "x.zip"}}, "Metadata": {"aws:asset:path": "src"}},
  "FnCurrentVersion0123ABCD": {"Type": "AWS::Lambda::Version",
    "Properties": {"FunctionName": {"Ref": "Fn"}}},
  "FnAliaslive1234ABCD": {"Type": "AWS::Lambda::Alias", "Properties": {
    "FunctionName": {"Ref": "Fn"}, "Name": "live",
    "FunctionVersion": {"Fn::GetAtt": ["FnCurrentVersion0123ABCD", "Version"]}}},
  "AuthFn5C3D2E1F": {"Type": "AWS::Lambda::Function", "Properties": {"Runtime": "python3.12",
    "Handler": "app.authorize", "Code": {"S3Key": "y.zip"}}, "Metadata": {"aws:asset:path": "src"}}
 }
})";

std::string WithAuthorization(const std::string& type) {
  std::string text = kCdkAuthorizer;
  text.replace(text.find("AUTHORIZATION"), 13, type);
  return text;
}

TEST(CloudFormationImport, CdkLambdaAuthorizerOnConnectAndAnAliasIntegrationMap) {
  ProjectResult result =
      ParseCloudFormation(WithAuthorization("CUSTOM"), "Stack.template.json", kSam, {});
  ASSERT_TRUE(result.problems.empty()) << result.problems[0].ToString();
  ASSERT_EQ(result.apis.size(), 1u);
  const ApiConfig& api = result.apis[0];
  EXPECT_EQ(api.FunctionFor("$connect")->name, "Fn");
  const RouteConfig* connect = api.FindRoute("$connect");
  ASSERT_TRUE(connect->authorizer.has_value());
  EXPECT_EQ(connect->authorizer->name, "TokenAuthorizer");
  EXPECT_EQ(connect->authorizer->function, "AuthFn5C3D2E1F");
  EXPECT_EQ(connect->authorizer->identitySources,
            (std::vector<std::string>{"route.request.header.Authorization",
                                      "route.request.querystring.token"}));
  ASSERT_EQ(api.functions.count("AuthFn5C3D2E1F"), 1u);
  EXPECT_EQ(api.functions.at("AuthFn5C3D2E1F").handler, "app.authorize");
  EXPECT_TRUE(result.warnings.empty());
}

TEST(CloudFormationImport, CdkIamAuthorizationRunsWithAWarning) {
  ProjectResult result =
      ParseCloudFormation(WithAuthorization("AWS_IAM"), "Stack.template.json", kSam, {});
  ASSERT_TRUE(result.problems.empty()) << result.problems[0].ToString();
  EXPECT_FALSE(result.apis[0].FindRoute("$connect")->authorizer.has_value());
  ASSERT_EQ(result.warnings.size(), 1u);
  EXPECT_EQ(result.warnings[0].file, "Stack.template.json:5");
  EXPECT_EQ(result.warnings[0].path, "Resources.ConnectRoute.Properties.AuthorizationType");
  EXPECT_NE(result.warnings[0].found.find("every client"), std::string::npos);
}

TEST(CloudFormationImport, AuthorizerIdentitySourceWsgwCannotReadIsAProblem) {
  std::string text = WithAuthorization("CUSTOM");
  text.replace(text.find("route.request.querystring.token"), 31, "stageVariables.secret");
  ProjectResult result = ParseCloudFormation(text, "Stack.template.json", kSam, {});
  ASSERT_EQ(result.problems.size(), 1u);
  EXPECT_EQ(result.problems[0].path, "Resources.Auth.Properties.IdentitySource[1]");
  EXPECT_NE(result.problems[0].found.find("stageVariables.secret"), std::string::npos);
}

TEST(CloudFormationImport, CdkEnvironmentFromQueuesTopicsBucketsAndRolesResolves) {
  std::string text = kCdkTableV2;
  const std::string fn_props = R"("Handler": "app.handler", "Code": {"S3Key": "x.zip"}})";
  text.replace(text.find(fn_props), fn_props.size(),
               R"("Handler": "app.handler", "Code": {"S3Key": "x.zip"},
    "Role": {"Fn::GetAtt": ["FnServiceRole1A2B3C4D", "Arn"]},
    "Environment": {"Variables": {
      "QUEUE_ARN": {"Fn::GetAtt": ["Queue4A7E3555", "Arn"]}, "QUEUE_URL": {"Ref": "Queue4A7E3555"},
      "TOPIC": {"Ref": "TopicBFC7AF6E"}, "BUCKET": {"Ref": "UploadsBucket5E5E9B64"},
      "BUCKET_ARN": {"Fn::GetAtt": ["UploadsBucket5E5E9B64", "Arn"]},
      "KEY": {"Fn::GetAtt": ["Key", "Arn"]}}}})");
  text.replace(text.find(R"("Key": {)"), 0, R"(
  "Queue4A7E3555": {"Type": "AWS::SQS::Queue"},
  "TopicBFC7AF6E": {"Type": "AWS::SNS::Topic"},
  "UploadsBucket5E5E9B64": {"Type": "AWS::S3::Bucket"},
  "FnServiceRole1A2B3C4D": {"Type": "AWS::IAM::Role"},
  )");
  ProjectResult result =
      ParseCloudFormation(WithAsset(text, "src"), "Stack.template.json", kSam, {});
  ASSERT_TRUE(result.problems.empty()) << result.problems[0].ToString();
  const std::map<std::string, std::string>& env = result.apis[0].FunctionFor("$default")->env;
  EXPECT_EQ(env.at("QUEUE_ARN"), "arn:aws:sqs:us-east-1:123456789012:Stack-Queue4A7E3555");
  EXPECT_EQ(env.at("QUEUE_URL"),
            "https://sqs.us-east-1.amazonaws.com/123456789012/Stack-Queue4A7E3555");
  EXPECT_EQ(env.at("TOPIC"), "arn:aws:sns:us-east-1:123456789012:Stack-TopicBFC7AF6E");
  EXPECT_EQ(env.at("BUCKET"), "stack-uploadsbucket5e5e9b64");
  EXPECT_EQ(env.at("BUCKET_ARN"), "arn:aws:s3:::stack-uploadsbucket5e5e9b64");
  EXPECT_EQ(env.at("KEY"), "arn:aws:kms:us-east-1:123456789012:key/Key");
}

TEST(ProjectFile, FindsTheCdkStackWithTheWebSocketApiAndSkipsNestedStacks) {
  EXPECT_EQ(FindProjectFile(kCdk).path, kCdkTemplate);
  EXPECT_TRUE(FindProjectFile(kCdk).others.empty());

  const std::filesystem::path dir =
      std::filesystem::path(::testing::TempDir()) / "wsgw-cdk-discovery";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir / "cdk.out");
  auto write = [&](const std::string& name, const std::string& text) {
    std::ofstream(dir / "cdk.out" / name) << text;
  };
  write("AaaDataStack.template.json", R"({"Resources": {}})");
  write("AaaChatStackNested1234ABCD.nested.template.json",
        R"({"Resources": {"A": {"Properties": {"ProtocolType": "WEBSOCKET"}}}})");
  write("ChatStack.template.json",
        R"({"Resources": {"A": {"Properties": {"ProtocolType": "WEBSOCKET"}}}})");
  write("ZzzChatStack.template.json",
        R"({"Resources": {"A": {"Properties": {"ProtocolType": "WEBSOCKET"}}}})");
  ProjectFileChoice choice = FindProjectFile(dir.string());
  EXPECT_EQ(choice.path, (dir / "cdk.out" / "ChatStack.template.json").string());
  EXPECT_EQ(choice.others,
            (std::vector<std::string>{(dir / "cdk.out" / "ZzzChatStack.template.json").string()}));
  std::filesystem::remove_all(dir);
}

TEST(ProjectFile, FindsTheTemplateInAFolder) {
  EXPECT_EQ(FindProjectFile(kSam).path, kSam + "/template.yaml");
  ProjectFileChoice none = FindProjectFile(kSam + "/src");
  EXPECT_TRUE(none.path.empty());
  EXPECT_NE(none.message.find("template.yaml"), std::string::npos);
}

}  // namespace
}  // namespace wsgw

namespace wsgw {
namespace {

constexpr char kSamWebSocketApi[] = R"(Transform: AWS::Serverless-2016-10-31
Resources:
  ChatApi:
    Type: AWS::Serverless::WebSocketApi
    Properties:
      Name: sam-native-chat
      RouteSelectionExpression: $request.body.action
      StageName: live
      Auth:
        AuthType: CUSTOM
        AuthArn: !GetAtt AuthFunction.Arn
        IdentitySource: [route.request.querystring.token]
      Routes:
        $connect:
          FunctionArn: !GetAtt ConnectFunction.Arn
        sendmessage:
          FunctionArn: !GetAtt SendFunction.Arn
          RouteResponseSelectionExpression: $default
  ConnectFunction:
    Type: AWS::Serverless::Function
    Properties: {Runtime: python3.12, Handler: app.on_connect, CodeUri: src/}
  SendFunction:
    Type: AWS::Serverless::Function
    Properties: {Runtime: python3.12, Handler: app.on_send, CodeUri: src/}
  AuthFunction:
    Type: AWS::Serverless::Function
    Properties: {Runtime: python3.12, Handler: app.authorize, CodeUri: src/}
)";

TEST(CloudFormationImport, SamWebSocketApiExpandsAsTheSamTransformDoes) {
  ProjectResult result = ParseCloudFormation(kSamWebSocketApi, "template.yaml", kSam, {});
  ASSERT_TRUE(result.problems.empty()) << result.problems[0].ToString();
  ASSERT_EQ(result.apis.size(), 1u);
  const ApiConfig& api = result.apis[0];
  EXPECT_EQ(api.name, "sam-native-chat");
  EXPECT_EQ(api.stage, "live");
  EXPECT_EQ(api.RouteKeys(), (std::vector<std::string>{"$connect", "sendmessage"}));
  EXPECT_EQ(api.FunctionFor("sendmessage")->handler, "app.on_send");
  const std::optional<AuthorizerConfig>& authorizer = api.FindRoute("$connect")->authorizer;
  ASSERT_TRUE(authorizer.has_value());
  EXPECT_EQ(authorizer->function, "AuthFunction");
  EXPECT_EQ(authorizer->identitySources,
            (std::vector<std::string>{"route.request.querystring.token"}));
  // SAM passes RouteResponseSelectionExpression to the Route and makes no RouteResponse, so
  // API Gateway sends no route response either.
  EXPECT_FALSE(api.FindRoute("sendmessage")->routeResponse);
}

TEST(CloudFormationImport, SamWebSocketApiProblemsNameItsOwnProperties) {
  std::string text = kSamWebSocketApi;
  text.replace(text.find("!GetAtt SendFunction.Arn"), 24, "arn:aws:lambda:us-east-1:1:function:x");
  ProjectResult result = ParseCloudFormation(text, "template.yaml", kSam, {});
  ASSERT_EQ(result.problems.size(), 1u);
  EXPECT_EQ(result.problems[0].path, "Resources.ChatApi.Properties.Routes.sendmessage.FunctionArn");
  EXPECT_EQ(result.problems[0].file, "template.yaml:17");

  std::string no_stage = kSamWebSocketApi;
  no_stage.erase(no_stage.find("      StageName: live\n"), 22);
  ProjectResult defaulted = ParseCloudFormation(no_stage, "template.yaml", kSam, {});
  ASSERT_TRUE(defaulted.problems.empty()) << defaulted.problems[0].ToString();
  EXPECT_EQ(defaulted.apis[0].stage, "default");
}

}  // namespace
}  // namespace wsgw
