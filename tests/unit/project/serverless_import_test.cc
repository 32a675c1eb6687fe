#include "project/serverless_import.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include <unistd.h>

#include "project/project_file.h"

namespace wsgw {
namespace {

namespace fs = std::filesystem;

const std::string kFixture = std::string(WSGW_FIXTURES_DIR) + "/projects/serverless-ts";

// In an empty folder: no .env, no files.
ProjectResult Parse(const std::string& text, ProjectOptions options = {}) {
  static const fs::path empty = [] {
    fs::path dir = fs::temp_directory_path() / ("wsgw-sls-empty-" + std::to_string(::getpid()));
    fs::create_directories(dir);
    return dir;
  }();
  return ParseServerless(text, "serverless.yml", empty.string(), options);
}

std::string AllProblems(const ProjectResult& result) {
  std::string all;
  for (const ConfigProblem& p : result.problems) all += p.ToString() + "\n";
  return all;
}

TEST(ServerlessImport, FixtureMapsRoutesFunctionsTablesAndTheAuthorizer) {
  ProjectOptions options;
  options.environment["HOME"] = "/nowhere";
  ProjectResult result = LoadProjectFile(kFixture + "/serverless.yml", options);
  ASSERT_TRUE(result.problems.empty()) << AllProblems(result);
  ASSERT_EQ(result.apis.size(), 1u);
  const ApiConfig& api = result.apis[0];
  EXPECT_EQ(api.name, "rooms-chat-ws-dev");
  EXPECT_EQ(api.stage, "dev");
  EXPECT_EQ(api.RouteKeys(),
            (std::vector<std::string>{"$connect", "$default", "$disconnect", "sendmessage"}));
  EXPECT_TRUE(api.FindRoute("sendmessage")->routeResponse);
  EXPECT_FALSE(api.FindRoute("$default")->routeResponse);

  const FunctionConfig* connect = api.FunctionFor("$connect");
  ASSERT_NE(connect, nullptr);
  EXPECT_EQ(connect->name, "rooms-chat-dev-connect");
  EXPECT_EQ(connect->runtime, "nodejs");
  EXPECT_EQ(connect->handler, "src/handlers/connect.handler");
  EXPECT_EQ(connect->codeDir, fs::path(kFixture).lexically_normal().string());
  EXPECT_EQ(connect->timeoutMs, 10000);  // provider.timeout
  EXPECT_EQ(connect->env.at("CONNECTIONS_TABLE"), "rooms-chat-connections-dev");
  EXPECT_EQ(connect->env.at("ROOMS_TABLE"), "rooms-chat-rooms-dev");  // !Ref RoomsTable
  EXPECT_EQ(connect->env.at("GREETING"), "hello from the dev config");
  EXPECT_EQ(connect->env.at("AUTH_SECRET"), "s3cret-from-dotenv");
  EXPECT_EQ(connect->env.at("REGION"), "eu-west-1");

  const std::optional<AuthorizerConfig>& authorizer = api.FindRoute("$connect")->authorizer;
  ASSERT_TRUE(authorizer.has_value());
  EXPECT_EQ(authorizer->function, "rooms-chat-dev-authorize");
  EXPECT_EQ(authorizer->identitySources,
            (std::vector<std::string>{"route.request.querystring.token"}));
  EXPECT_EQ(api.functions.count("rooms-chat-dev-authorize"), 1u);
  EXPECT_EQ(api.functions.count("rooms-chat-dev-health"), 0u);  // HTTP only

  ASSERT_EQ(api.tables.size(), 2u);
  EXPECT_EQ(api.tables[0].name, "rooms-chat-connections-dev");
  EXPECT_EQ(api.tables[0].ttlAttribute.value_or(""), "expiresAt");
  EXPECT_EQ(api.tables[1].name, "rooms-chat-rooms-dev");
  EXPECT_EQ(api.tables[1].rangeKey->name, "connectionId");
  ASSERT_EQ(api.tables[1].indexes.size(), 1u);
  EXPECT_EQ(api.tables[1].indexes[0].name, "byConnection");
  EXPECT_EQ(api.tables[1].indexes[0].projection, "KEYS_ONLY");

  // The plugin wsgw does not run and the HTTP-only function are warnings with their lines.
  ASSERT_EQ(result.warnings.size(), 2u);
  EXPECT_EQ(result.warnings[0].path, "plugins[2]");
  EXPECT_NE(result.warnings[0].file.find("serverless.yml:"), std::string::npos);
  EXPECT_NE(result.warnings[1].found.find("health has no websocket event"), std::string::npos);
}

TEST(ServerlessImport, ServerlessDefaultsApply) {
  ProjectResult result = Parse(
      "service: tiny\nprovider:\n  name: aws\nfunctions:\n  ws:\n    handler: app.handler\n"
      "    events:\n      - websocket: $default\n");
  ASSERT_TRUE(result.problems.empty()) << AllProblems(result);
  const ApiConfig& api = result.apis[0];
  EXPECT_EQ(api.name, "dev-tiny-websockets");
  EXPECT_EQ(api.stage, "dev");
  EXPECT_EQ(api.routeSelectionExpressionText, "$request.body.action");
  const FunctionConfig* ws = api.FunctionFor("$default");
  ASSERT_NE(ws, nullptr);
  EXPECT_EQ(ws->name, "tiny-dev-ws");
  EXPECT_EQ(ws->runtime, "nodejs");
  EXPECT_EQ(ws->timeoutMs, 6000);
  EXPECT_TRUE(result.warnings.empty());
}

TEST(ServerlessImport, FunctionSettingsOverrideTheProvidersAndStageOptionWins) {
  ProjectOptions options;
  options.stage = "qa";
  ProjectResult result = Parse(
      "service: svc\nprovider:\n  name: aws\n  runtime: nodejs18.x\n  stage: dev\n  timeout: 20\n"
      "  environment: {SHARED: p, OVERRIDE: p}\n"
      "  websocketsApiRouteSelectionExpression: $request.body.type\n"
      "functions:\n  py:\n    name: custom-name\n    handler: handler.main\n    runtime: python3.12\n"
      "    timeout: 3\n    environment: {OVERRIDE: f, STAGE: '${sls:stage}'}\n"
      "    events:\n      - websocket:\n          route: join\n",
      options);
  ASSERT_TRUE(result.problems.empty()) << AllProblems(result);
  const ApiConfig& api = result.apis[0];
  EXPECT_EQ(api.stage, "qa");
  EXPECT_EQ(api.routeSelectionExpressionText, "$request.body.type");
  const FunctionConfig* py = api.FunctionFor("join");
  ASSERT_NE(py, nullptr);
  EXPECT_EQ(py->name, "custom-name");
  EXPECT_EQ(py->runtime, "python");
  EXPECT_EQ(py->timeoutMs, 3000);
  EXPECT_EQ(py->env.at("SHARED"), "p");
  EXPECT_EQ(py->env.at("OVERRIDE"), "f");
  EXPECT_EQ(py->env.at("STAGE"), "qa");
}

TEST(ServerlessImport, ProblemsNameTheLineAndKeyTheUserWrote) {
  ProjectResult result = Parse(
      "service: svc\nprovider:\n  name: aws\n  runtime: ruby3.2\nfunctions:\n  a:\n"
      "    handler: app.handler\n    events:\n      - websocket:\n          route: $bogus\n"
      "  b:\n    handler: app.handler\n    events:\n      - websocket: $connect\n");
  ASSERT_EQ(result.problems.size(), 2u) << AllProblems(result);
  EXPECT_EQ(result.problems[0].file, "serverless.yml:10");
  EXPECT_EQ(result.problems[0].path, "functions.a.events[0].websocket.route");
  EXPECT_EQ(result.problems[1].file, "serverless.yml:4");
  EXPECT_EQ(result.problems[1].path, "provider.runtime");
}

TEST(ServerlessImport, AuthorizerMustBeAFunctionOfTheService) {
  ProjectResult arn = Parse(
      "service: svc\nfunctions:\n  c:\n    handler: app.handler\n    events:\n"
      "      - websocket:\n          route: $connect\n          authorizer:\n"
      "            arn: arn:aws:lambda:us-east-1:1:function:auth\n");
  ASSERT_EQ(arn.problems.size(), 1u) << AllProblems(arn);
  EXPECT_EQ(arn.problems[0].path, "functions.c.events[0].websocket.authorizer.arn");
  EXPECT_NE(arn.problems[0].expected.find("cannot call a deployed Lambda"), std::string::npos);

  ProjectResult unknown = Parse(
      "service: svc\nfunctions:\n  c:\n    handler: app.handler\n    events:\n"
      "      - websocket: {route: $connect, authorizer: auht}\n  auth:\n    handler: auth.handler\n");
  ASSERT_EQ(unknown.problems.size(), 1u) << AllProblems(unknown);
  EXPECT_EQ(unknown.problems[0].file, "serverless.yml:6");
  EXPECT_NE(unknown.problems[0].expected.find("(auth, c)"), std::string::npos);
}

TEST(ServerlessImport, NoWebsocketFunctionOrNotAServiceIsAProblem) {
  ProjectResult http = Parse(
      "service: svc\nfunctions:\n  api:\n    handler: app.handler\n    events:\n"
      "      - http: GET /\n");
  ASSERT_EQ(http.problems.size(), 1u);
  EXPECT_EQ(http.problems[0].path, "functions");
  EXPECT_EQ(http.problems[0].expected, "at least one function with a websocket event");
  EXPECT_EQ(http.warnings.size(), 1u);  // api has no websocket event

  ProjectResult list = Parse("- a\n- b\n");
  ASSERT_EQ(list.problems.size(), 1u);

  ProjectResult syntax = Parse("service: svc\nprovider: [\n");
  ASSERT_EQ(syntax.problems.size(), 1u);
  EXPECT_EQ(syntax.problems[0].file.rfind("serverless.yml:", 0), 0u);

  ProjectResult google = Parse(
      "service: svc\nprovider:\n  name: google\nfunctions:\n  a:\n    handler: h.x\n"
      "    events: [{websocket: $default}]\n");
  ASSERT_FALSE(google.problems.empty());
  EXPECT_EQ(google.problems[0].path, "provider.name");
}

TEST(ServerlessImport, ResourcesAsAListOfPartsMerge) {
  ProjectResult result = Parse(
      "service: svc\nfunctions:\n  a:\n    handler: app.handler\n    events: [{websocket: $default}]\n"
      "resources:\n  - Resources:\n      One:\n        Type: AWS::Serverless::SimpleTable\n"
      "  - Resources:\n      Two:\n        Type: AWS::Serverless::SimpleTable\n"
      "        Properties: {TableName: two}\n");
  ASSERT_TRUE(result.problems.empty()) << AllProblems(result);
  ASSERT_EQ(result.apis[0].tables.size(), 2u);
  EXPECT_EQ(result.apis[0].tables[0].name, "svc-dev-One");
  EXPECT_EQ(result.apis[0].tables[1].name, "two");
}

TEST(ServerlessImport, DiscoveryPrefersServerlessYmlOverATemplate) {
  const fs::path dir = fs::temp_directory_path() / ("wsgw-discover-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  std::ofstream(dir / "template.yaml") << "Resources: {}\n";
  std::ofstream(dir / "serverless.yml") << "service: x\n";
  EXPECT_EQ(FindProjectFile(dir.string()).path, (dir / "serverless.yml").string());
  fs::remove(dir / "serverless.yml");
  EXPECT_EQ(FindProjectFile(dir.string()).path, (dir / "template.yaml").string());
  fs::remove(dir / "template.yaml");
  std::ofstream(dir / "serverless.ts") << "export default {};\n";
  ProjectFileChoice ts = FindProjectFile(dir.string());
  EXPECT_TRUE(ts.path.empty());
  EXPECT_NE(ts.message.find("serverless print > serverless.yml"), std::string::npos) << ts.message;
  fs::remove(dir / "serverless.ts");
  std::ofstream(dir / "cdk.json") << "{}\n";
  EXPECT_NE(FindProjectFile(dir.string()).message.find("run `cdk synth` first"), std::string::npos);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace wsgw
