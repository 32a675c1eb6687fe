#include "api/routes_config.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

namespace wsgw {
namespace {

namespace fs = std::filesystem;

const std::string kRoutesDir = std::string(WSGW_FIXTURES_DIR) + "/routes";

std::vector<std::string> Strings(const LoadResult& result) {
  std::vector<std::string> lines;
  for (const ConfigProblem& problem : result.problems) lines.push_back(problem.ToString());
  return lines;
}

LoadResult Parse(const std::string& json) { return ParseRoutes(json, "routes.json", "/srv/app"); }

std::vector<std::string> Problems(const std::string& json) {
  LoadResult result = Parse(json);
  EXPECT_FALSE(result.api.has_value()) << json;
  return Strings(result);
}

// A valid file with `functions` and `routes` replaced, for tests about one of them.
std::string WithFunctions(const std::string& functions,
                          const std::string& routes = R"({"$default": {"function": "f"}})") {
  return R"({"functions": )" + functions + R"(, "routes": )" + routes + "}";
}

constexpr char kUrl[] = R"({"url": "http://127.0.0.1:9000/"})";

std::string WithRoutes(const std::string& routes) {
  return WithFunctions(std::string(R"({"f": )") + kUrl + R"(, "g": )" + kUrl + "}", routes);
}

TEST(RoutesConfig, LoadsTheSpecExample) {
  const LoadResult result = LoadRoutesFile(kRoutesDir + "/chat.json");
  ASSERT_TRUE(result.api.has_value()) << testing::PrintToString(Strings(result));
  EXPECT_TRUE(result.problems.empty());
  const ApiConfig& api = *result.api;

  EXPECT_EQ(api.file, kRoutesDir + "/chat.json");
  EXPECT_EQ(api.dir, fs::path(kRoutesDir).lexically_normal().string());
  EXPECT_EQ(api.name, "chat");
  EXPECT_EQ(api.stage, "dev");
  EXPECT_EQ(api.routeSelectionExpressionText, "$request.body.action");
  ASSERT_TRUE(api.routeSelection.has_value());
  EXPECT_EQ(api.routeSelection->Evaluate(R"({"action":"sendPublic"})"), "sendPublic");

  ASSERT_EQ(api.functions.size(), 4u);
  const FunctionConfig& chat = api.functions.at("chat");
  EXPECT_EQ(chat.name, "chat");
  EXPECT_EQ(chat.kind, FunctionConfig::Kind::kCommand);
  EXPECT_EQ(chat.command, (std::vector<std::string>{api.dir + "/build/chat-handler", "--verbose"}));
  EXPECT_EQ(chat.env, (std::map<std::string, std::string>{{"TABLE_DB", "chat.sqlite"}}));
  EXPECT_EQ(chat.timeoutMs, 29000);

  const FunctionConfig& node = api.functions.at("node");
  EXPECT_EQ(node.kind, FunctionConfig::Kind::kRuntime);
  EXPECT_EQ(node.runtime, "nodejs");
  EXPECT_EQ(node.handler, "src/handlers/message.handler");
  EXPECT_EQ(node.timeoutMs, 5000);

  const FunctionConfig& python = api.functions.at("python");
  EXPECT_EQ(python.kind, FunctionConfig::Kind::kRuntime);
  EXPECT_EQ(python.runtime, "python");
  EXPECT_EQ(python.handler, "app.lambda_handler");

  const FunctionConfig& remote = api.functions.at("remote");
  EXPECT_EQ(remote.kind, FunctionConfig::Kind::kUrl);
  EXPECT_EQ(remote.url, "http://127.0.0.1:9000/2015-03-31/functions/function/invocations");

  EXPECT_EQ(api.RouteKeys(), (std::vector<std::string>{"$connect", "$default", "$disconnect",
                                                       "echo", "proxy", "sendPublic"}));
  ASSERT_NE(api.FindRoute("$default"), nullptr);
  EXPECT_EQ(api.FindRoute("$default")->key, "$default");
  EXPECT_TRUE(api.FindRoute("$default")->routeResponse);
  EXPECT_FALSE(api.FindRoute("echo")->routeResponse);
  EXPECT_FALSE(api.FindRoute("$connect")->routeResponse);
  EXPECT_EQ(api.FindRoute("nope"), nullptr);
  EXPECT_EQ(api.FunctionFor("sendPublic"), &node);
  EXPECT_EQ(api.FunctionFor("$disconnect"), &chat);
  EXPECT_EQ(api.FunctionFor("nope"), nullptr);

  EXPECT_EQ(api.limits.maxMessageBytes, 131072);
  EXPECT_EQ(api.limits.maxFrameBytes, 32768);
  EXPECT_EQ(api.limits.idleTimeoutSeconds, 600);
  EXPECT_EQ(api.limits.maxConnectionSeconds, 7200);
  EXPECT_EQ(api.limits.integrationTimeoutMs, 29000);
}

TEST(RoutesConfig, FillsDefaultsForOptionalKeys) {
  const LoadResult result = LoadRoutesFile(kRoutesDir + "/minimal.json");
  ASSERT_TRUE(result.api.has_value()) << testing::PrintToString(Strings(result));
  const ApiConfig& api = *result.api;
  EXPECT_EQ(api.name, "minimal");
  EXPECT_EQ(api.stage, "local");
  EXPECT_EQ(api.routeSelectionExpressionText, "$request.body.action");
  ASSERT_TRUE(api.routeSelection.has_value());
  EXPECT_EQ(api.routeSelection->text(), "$request.body.action");
  const Limits defaults;
  EXPECT_EQ(api.limits.maxMessageBytes, defaults.maxMessageBytes);
  EXPECT_EQ(api.limits.maxFrameBytes, defaults.maxFrameBytes);
  EXPECT_EQ(api.limits.idleTimeoutSeconds, defaults.idleTimeoutSeconds);
  EXPECT_EQ(api.limits.maxConnectionSeconds, defaults.maxConnectionSeconds);
  EXPECT_EQ(api.limits.integrationTimeoutMs, defaults.integrationTimeoutMs);
  EXPECT_EQ(api.functions.at("echo").timeoutMs, 29000);
  EXPECT_FALSE(api.FindRoute("$default")->routeResponse);
}

TEST(RoutesConfig, NameDefaultsToTheFileNameWithoutExtension) {
  const std::string json = WithFunctions(std::string(R"({"f": )") + kUrl + "}");
  EXPECT_EQ(ParseRoutes(json, "/x/my-api.routes.json", "/x").api->name, "my-api.routes");
  EXPECT_EQ(ParseRoutes(json, "chat.json", "/x").api->name, "chat");
}

TEST(RoutesConfig, FunctionTimeoutDefaultsToTheIntegrationTimeoutLimit) {
  const LoadResult result = Parse(R"({
    "functions": {
      "inherits": {"url": "http://127.0.0.1:9000/"},
      "own": {"url": "http://127.0.0.1:9000/", "timeoutMs": 900000}
    },
    "routes": {"$default": {"function": "inherits"}},
    "limits": {"integrationTimeoutMs": 5000}
  })");
  ASSERT_TRUE(result.api.has_value()) << testing::PrintToString(Strings(result));
  EXPECT_EQ(result.api->functions.at("inherits").timeoutMs, 5000);
  EXPECT_EQ(result.api->functions.at("own").timeoutMs, 900000);
}

TEST(RoutesConfig, RuntimeFunctionsTakeAConcurrencyAndAQueueBound) {
  const LoadResult result = Parse(R"({
    "functions": {
      "limited": {"runtime": "nodejs", "handler": "a.handler", "concurrency": 3, "maxQueued": 0},
      "defaults": {"runtime": "nodejs", "handler": "a.handler"}
    },
    "routes": {"$default": {"function": "limited"}, "x": {"function": "defaults"}}
  })");
  ASSERT_TRUE(result.api.has_value()) << testing::PrintToString(Strings(result));
  const FunctionConfig& limited = result.api->functions.at("limited");
  EXPECT_EQ(ConcurrencyOf(limited), 3);
  EXPECT_EQ(MaxQueuedOf(limited), 0);
  const FunctionConfig& defaults = result.api->functions.at("defaults");
  EXPECT_EQ(ConcurrencyOf(defaults), DefaultConcurrency());
  EXPECT_GE(DefaultConcurrency(), 2);
  EXPECT_LE(DefaultConcurrency(), 16);
  EXPECT_EQ(MaxQueuedOf(defaults), kQueuedPerEnvironment * DefaultConcurrency());

  FunctionConfig legacy;
  legacy.env["WSGW_HOST_MAX_WORKERS"] = "1";
  EXPECT_EQ(ConcurrencyOf(legacy), 1);
  legacy.env["WSGW_HOST_MAX_WORKERS"] = "x1";
  EXPECT_EQ(ConcurrencyOf(legacy), DefaultConcurrency());
  legacy.concurrency = 5;
  EXPECT_EQ(ConcurrencyOf(legacy), 5);
}

TEST(RoutesConfig, RefusesABadConcurrencyOrQueueBound) {
  const LoadResult result = Parse(R"({
    "functions": {
      "zero": {"runtime": "nodejs", "handler": "a.handler", "concurrency": 0},
      "big": {"runtime": "nodejs", "handler": "a.handler", "concurrency": 65},
      "text": {"runtime": "python", "handler": "a.handler", "concurrency": "2"},
      "real": {"runtime": "nodejs", "handler": "a.handler", "concurrency": 1.5},
      "negative": {"runtime": "nodejs", "handler": "a.handler", "maxQueued": -1},
      "url": {"url": "http://127.0.0.1:9000/", "concurrency": 2}
    },
    "routes": {"$default": {"function": "zero"}}
  })");
  EXPECT_FALSE(result.api.has_value());
  const std::vector<std::string> problems = Strings(result);
  auto has = [&](const std::string& text) {
    for (const std::string& p : problems) {
      if (p.find(text) != std::string::npos) return true;
    }
    return false;
  };
  EXPECT_TRUE(has("$.functions.zero.concurrency: expected an integer from 1 to 64, found a number (0)"))
      << testing::PrintToString(problems);
  EXPECT_TRUE(has("$.functions.big.concurrency: expected an integer from 1 to 64"));
  EXPECT_TRUE(has("$.functions.text.concurrency: expected an integer from 1 to 64, found \"2\""));
  EXPECT_TRUE(has("$.functions.real.concurrency: expected an integer from 1 to 64"));
  EXPECT_TRUE(has("$.functions.negative.maxQueued: expected an integer from 0 to 100000"));
  EXPECT_TRUE(has("$.functions.url.concurrency: expected \"concurrency\" only on a \"runtime\" function"));
}

TEST(RoutesConfig, ResolvesRelativeProgramPathsAgainstTheRoutesFolder) {
  const LoadResult result = Parse(R"({
    "functions": {
      "dotSlash": {"command": ["./bin/handler", "./arg"]},
      "subdir": {"command": ["bin/handler"]},
      "parent": {"command": ["../tools/handler"]},
      "absolute": {"command": ["/usr/local/bin/handler"]},
      "onPath": {"command": ["node", "server.js"]}
    },
    "routes": {"$default": {"function": "onPath"}}
  })");
  ASSERT_TRUE(result.api.has_value()) << testing::PrintToString(Strings(result));
  const auto& f = result.api->functions;
  EXPECT_EQ(f.at("dotSlash").command, (std::vector<std::string>{"/srv/app/bin/handler", "./arg"}));
  EXPECT_EQ(f.at("subdir").command[0], "/srv/app/bin/handler");
  EXPECT_EQ(f.at("parent").command[0], "/srv/tools/handler");
  EXPECT_EQ(f.at("absolute").command[0], "/usr/local/bin/handler");
  EXPECT_EQ(f.at("onPath").command, (std::vector<std::string>{"node", "server.js"}));
}

TEST(RoutesConfig, MakesTheFolderAbsolute) {
  const std::string json = WithFunctions(R"({"f": {"command": ["./h"]}})");
  const LoadResult relative = ParseRoutes(json, "routes.json", "some/dir/");
  ASSERT_TRUE(relative.api.has_value());
  const std::string expected = (fs::current_path() / "some/dir").lexically_normal().string();
  EXPECT_EQ(relative.api->dir, expected);
  EXPECT_EQ(relative.api->functions.at("f").command[0], expected + "/h");

  const LoadResult empty = ParseRoutes(json, "routes.json", "");
  ASSERT_TRUE(empty.api.has_value());
  EXPECT_EQ(empty.api->dir, fs::current_path().lexically_normal().string());
}

TEST(RoutesConfig, ApiIdIsTenLowercaseAlphanumericsStableForNameAndStage) {
  auto id = [](const std::string& name, const std::string& stage) {
    const std::string json = R"({"name": ")" + name + R"(", "stage": ")" + stage +
                             R"(", "functions": {"f": {"url": "http://h/"}},)"
                             R"( "routes": {"$default": {"function": "f"}}})";
    return Parse(json).api->apiId;
  };
  const std::string chat_dev = id("chat", "dev");
  ASSERT_EQ(chat_dev.size(), 10u);
  for (char c : chat_dev) EXPECT_TRUE((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) << c;
  EXPECT_EQ(chat_dev, id("chat", "dev"));
  EXPECT_NE(chat_dev, id("chat", "prod"));
  EXPECT_NE(chat_dev, id("chats", "dev"));
  EXPECT_NE(id("ab", "c"), id("a", "bc"));
}

TEST(RoutesConfig, ApiIdMayBeSetToTheDeployedApisId) {
  auto with_id = [](const std::string& id) {
    return Parse(R"({"apiId": )" + id +
                 R"(, "functions": {"f": {"url": "http://h/"}},)"
                 R"( "routes": {"$default": {"function": "f"}}})");
  };
  const LoadResult deployed = with_id(R"("a1b2c3d4e5")");
  ASSERT_TRUE(deployed.api.has_value());
  EXPECT_EQ(deployed.api->apiId, "a1b2c3d4e5");
  EXPECT_TRUE(deployed.api->apiIdConfigured);
  const LoadResult short_id = with_id(R"("abc123")");
  ASSERT_TRUE(short_id.api.has_value());
  EXPECT_EQ(short_id.api->apiId, "abc123");

  const std::string expected =
      "routes.json: $.apiId: expected an API id of 1 to 63 lowercase letters and digits, as in "
      "https://{apiId}.execute-api.{region}.amazonaws.com, found ";
  EXPECT_EQ(Strings(with_id(R"("ABC123")")), std::vector<std::string>{expected + "\"ABC123\""});
  EXPECT_EQ(Strings(with_id(R"("")")), std::vector<std::string>{expected + "\"\""});
  EXPECT_EQ(Strings(with_id(R"("abc.def")")), std::vector<std::string>{expected + "\"abc.def\""});
  EXPECT_EQ(Strings(with_id(R"("a-b")")), std::vector<std::string>{expected + "\"a-b\""});
  EXPECT_EQ(
      Strings(with_id("12")),
      std::vector<std::string>{"routes.json: $.apiId: expected a string, found a number (12)"});
  EXPECT_EQ(Strings(with_id(R"(")" + std::string(64, 'a') + R"(")")).size(), 1u);
}

TEST(RoutesConfig, ProblemReadsFileThenPathThenExpectedThenFound) {
  const ConfigProblem problem{"routes.json", "$.routes.sendPublic.function",
                              "the name of a function in $.functions", "\"nodee\""};
  EXPECT_EQ(problem.ToString(),
            "routes.json: $.routes.sendPublic.function: expected the name of a function in "
            "$.functions, found \"nodee\"");
}

TEST(RoutesConfig, ReportsEveryProblemAtOnce) {
  const std::string file = kRoutesDir + "/bad/every-problem.json";
  const LoadResult result = LoadRoutesFile(file);
  EXPECT_FALSE(result.api.has_value());
  const std::vector<std::string> expected = {
      file +
          ": $.fuctions: expected one of the keys \"name\", \"stage\", \"apiId\", "
          "\"routeSelectionExpression\", \"functions\", \"routes\", \"limits\" or \"tables\", "
          "found an "
          "unknown key \"fuctions\" (did you mean \"functions\"?)",
      file + ": $.name: expected a string, found a number (42)",
      file +
          ": $.stage: expected a stage name made of letters, digits, '_' and '-', found "
          "\"@connections\"",
      file +
          ": $.routeSelectionExpression: expected a selection expression such as "
          "\"$request.body.action\", found \"${request.body.action\" (unterminated '${' at "
          "offset 0)",
      file + ": $.limits.idleTimeoutSeconds: expected a positive integer, found a number (-1)",
      file +
          ": $.limits.maxFrameBytes: expected at most maxMessageBytes (1000), found a number "
          "(2000)",
      file +
          ": $.functions: expected an object of function definitions, found nothing (the key "
          "is missing)",
      file +
          ": $.routes.$connect.function: expected the name of a function in $.functions, "
          "found \"chat\"",
      file +
          ": $.routes.$connect.routeResponse: expected no route response on $connect (API "
          "Gateway sends route responses only for message routes), found a boolean (true)",
      file +
          ": $.routes.$other: expected \"$connect\", \"$disconnect\", \"$default\" or a "
          "custom route key that does not start with '$', found \"$other\"",
      file +
          ": $.routes.$other.function: expected the name of a function in $.functions, found "
          "\"nodee\"",
      file +
          ": $.routes.sendPublic.reponse: expected one of the keys \"function\", "
          "\"routeResponse\" or \"authorizer\", found an unknown key \"reponse\"",
      file +
          ": $.routes.sendPublic.function: expected the name of a function in $.functions, "
          "found \"nodee\"",
  };
  EXPECT_EQ(Strings(result), expected);
}

TEST(RoutesConfig, ReportsEveryBadFunction) {
  const std::string file = kRoutesDir + "/bad/functions.json";
  const LoadResult result = LoadRoutesFile(file);
  EXPECT_FALSE(result.api.has_value());
  const std::vector<std::string> expected = {
      file +
          ": $.functions[\"bad name\"]: expected a function name of 1 to 64 letters, digits, "
          "'_' and '-', found \"bad name\"",
      file +
          ": $.functions.badHandler.handler: expected a handler such as \"src/app.handler\" "
          "(file.export), found \"src/app\"",
      file +
          ": $.functions.badRuntime.runtime: expected \"nodejs\" or \"python\", or a Lambda "
          "runtime name such as \"nodejs20.x\" (nodejs18.x to nodejs24.x) or \"python3.12\", "
          "found \"ruby\"",
      file +
          ": $.functions.badUrl.url: expected an http:// or https:// URL, found "
          "\"ftp://example.com/\"",
      file +
          ": $.functions.both: expected exactly one of \"url\", \"command\" or \"runtime\" "
          "(with \"handler\"), found both \"url\" and \"command\"",
      file +
          ": $.functions.emptyCmd.command: expected a non-empty array of strings (the program "
          "and its arguments), found an empty array",
      file + ": $.functions.envValue.env.PORT: expected a string, found a number (8080)",
      file +
          ": $.functions.neither: expected exactly one of \"url\", \"command\" or \"runtime\" "
          "(with \"handler\"), found none of them",
      file +
          ": $.functions.noHandler.handler: expected a handler such as \"src/app.handler\" "
          "(file.export), found nothing (the key is missing)",
      file + ": $.functions.notStrings.command[1]: expected a string, found a number (7)",
      file +
          ": $.functions.slow.timeoutMs: expected an integer from 1 to 900000, found a number "
          "(900001)",
      file +
          ": $.functions.strayHandler.handler: expected \"handler\" only together with "
          "\"runtime\", found \"app.handler\"",
      file +
          ": $.functions.typo.timeout: expected one of the keys \"url\", \"command\", "
          "\"runtime\", \"handler\", \"timeoutMs\", \"env\", \"concurrency\" or \"maxQueued\", found "
          "an unknown key \"timeout\" (did you mean \"timeoutMs\"?)",
      file +
          ": $.functions.urlEnv.env: expected no \"env\" on a \"url\" function (the gateway "
          "does not start it), found an object",
  };
  EXPECT_EQ(Strings(result), expected);
}

TEST(RoutesConfig, ReportsAFileThatIsNotJsonWithJsoncppsLocation) {
  const std::string file = kRoutesDir + "/bad/not-json.json";
  EXPECT_EQ(Strings(LoadRoutesFile(file)),
            std::vector<std::string>{file + ": $: expected a JSON object, found Line 5, Column 3: "
                                            "Missing ',' or '}' in object declaration"});
}

TEST(RoutesConfig, ReportsAnEmptyFile) {
  const std::string file = kRoutesDir + "/bad/empty.json";
  EXPECT_EQ(Strings(LoadRoutesFile(file)),
            std::vector<std::string>{file + ": $: expected a JSON object, found Line 1, Column 1: "
                                            "Syntax error: value, object or array expected."});
}

TEST(RoutesConfig, ReportsARootThatIsNotAnObject) {
  const std::string file = kRoutesDir + "/bad/root-array.json";
  EXPECT_EQ(Strings(LoadRoutesFile(file)),
            std::vector<std::string>{file + ": $: expected a JSON object, found an array"});
  EXPECT_EQ(Problems("[]"), std::vector<std::string>{
                                "routes.json: $: expected a JSON object, found an empty array"});
}

TEST(RoutesConfig, RejectsRepeatedKeysInsteadOfKeepingOne) {
  const std::string file = kRoutesDir + "/bad/duplicate-route.json";
  EXPECT_EQ(Strings(LoadRoutesFile(file)),
            std::vector<std::string>{file + ": $: expected a JSON object, found Line 5, Column 5: "
                                            "Duplicate key: 'send'"});
}

TEST(RoutesConfig, RejectsCommentsAndTrailingCommas) {
  const std::string valid = WithFunctions(std::string(R"({"f": )") + kUrl + "}");
  ASSERT_TRUE(Parse(valid).api.has_value());
  EXPECT_EQ(Problems("// routes\n" + valid).size(), 1u);
  EXPECT_EQ(Problems(valid.substr(0, valid.size() - 1) + ",}").size(), 1u);
  EXPECT_EQ(Problems(valid + " {}").size(), 1u);
}

TEST(RoutesConfig, ReportsAFileThatCannotBeRead) {
  const std::string missing = kRoutesDir + "/does-not-exist.json";
  EXPECT_EQ(Strings(LoadRoutesFile(missing)),
            std::vector<std::string>{missing +
                                     ": $: expected a readable routes file, found No such file or "
                                     "directory"});
  EXPECT_EQ(Strings(LoadRoutesFile(kRoutesDir)),
            std::vector<std::string>{kRoutesDir +
                                     ": $: expected a readable routes file, found a directory"});
}

TEST(RoutesConfig, EveryBadFixtureIsRejectedWithAtLeastOneProblem) {
  int files = 0;
  for (const auto& entry : fs::directory_iterator(kRoutesDir + "/bad")) {
    const LoadResult result = LoadRoutesFile(entry.path().string());
    EXPECT_FALSE(result.api.has_value()) << entry.path();
    EXPECT_FALSE(result.problems.empty()) << entry.path();
    for (const ConfigProblem& problem : result.problems) {
      EXPECT_EQ(problem.file, entry.path().string());
      EXPECT_EQ(problem.path.rfind("$", 0), 0u) << problem.ToString();
      EXPECT_FALSE(problem.expected.empty()) << problem.ToString();
      EXPECT_FALSE(problem.found.empty()) << problem.ToString();
    }
    ++files;
  }
  EXPECT_GE(files, 6);
}

TEST(RoutesConfig, RequiresNonEmptyFunctionsAndRoutesObjects) {
  EXPECT_EQ(Problems("{}"),
            (std::vector<std::string>{
                "routes.json: $.functions: expected an object of function definitions, found "
                "nothing (the key is missing)",
                "routes.json: $.routes: expected an object of routes, found nothing (the key is "
                "missing)"}));
  EXPECT_EQ(Problems(R"({"functions": {}, "routes": {}})"),
            (std::vector<std::string>{
                "routes.json: $.functions: expected at least one function, found an empty object",
                "routes.json: $.routes: expected at least one route, found an empty object"}));
  EXPECT_EQ(Problems(R"({"functions": [], "routes": "all"})"),
            (std::vector<std::string>{
                "routes.json: $.functions: expected an object of function definitions, found an "
                "empty array",
                "routes.json: $.routes: expected an object of routes, found \"all\""}));
}

TEST(RoutesConfig, DescribesWrongTypesByWhatWasFound) {
  auto found_for_name = [](const std::string& value) {
    const std::vector<std::string> problems =
        Problems(R"({"name": )" + value +
                 R"(, "functions": {"f": {"url": "http://h/"}},)"
                 R"( "routes": {"$default": {"function": "f"}}})");
    EXPECT_EQ(problems.size(), 1u) << value;
    return problems.empty() ? "" : problems[0];
  };
  EXPECT_EQ(found_for_name("42"), "routes.json: $.name: expected a string, found a number (42)");
  EXPECT_EQ(found_for_name("1.5"), "routes.json: $.name: expected a string, found a number (1.5)");
  EXPECT_EQ(found_for_name("true"),
            "routes.json: $.name: expected a string, found a boolean (true)");
  EXPECT_EQ(found_for_name("null"), "routes.json: $.name: expected a string, found null");
  EXPECT_EQ(found_for_name("[1]"), "routes.json: $.name: expected a string, found an array");
  EXPECT_EQ(found_for_name("{\"a\": 1}"),
            "routes.json: $.name: expected a string, found an object");
  EXPECT_EQ(found_for_name("\"\""), "routes.json: $.name: expected a non-empty name, found \"\"");
}

TEST(RoutesConfig, ShortensLongFoundStrings) {
  const std::string long_stage(100, 'x');
  const std::vector<std::string> problems =
      Problems(R"({"stage": ")" + long_stage +
               R"(!", "functions": {"f": {"url": "http://h/"}},)"
               R"( "routes": {"$default": {"function": "f"}}})");
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0],
            "routes.json: $.stage: expected a stage name made of letters, digits, "
            "'_' and '-', found \"" +
                std::string(80, 'x') + "\"...");
}

TEST(RoutesConfig, ValidatesTheStageName) {
  auto stage_problems = [](const std::string& stage) {
    return Problems(R"({"stage": )" + stage +
                    R"(, "functions": {"f": {"url": "http://h/"}},)"
                    R"( "routes": {"$default": {"function": "f"}}})");
  };
  const std::string expected =
      "routes.json: $.stage: expected a stage name made of letters, "
      "digits, '_' and '-', found ";
  EXPECT_EQ(stage_problems(R"("@connections")"),
            std::vector<std::string>{expected + "\"@connections\""});
  EXPECT_EQ(stage_problems(R"("")"), std::vector<std::string>{expected + "\"\""});
  EXPECT_EQ(stage_problems(R"("dev/v1")"), std::vector<std::string>{expected + "\"dev/v1\""});
  EXPECT_EQ(
      stage_problems("7"),
      std::vector<std::string>{"routes.json: $.stage: expected a string, found a number (7)"});
  const LoadResult ok = Parse(R"({"stage": "Dev_2-b", "functions": {"f": {"url": "http://h/"}},)"
                              R"( "routes": {"$default": {"function": "f"}}})");
  ASSERT_TRUE(ok.api.has_value());
  EXPECT_EQ(ok.api->stage, "Dev_2-b");
}

TEST(RoutesConfig, ValidatesTheRouteSelectionExpression) {
  auto with_expression = [](const std::string& expression) {
    return Parse(R"({"routeSelectionExpression": )" + expression +
                 R"(, "functions": {"f": {"url": "http://h/"}},)"
                 R"( "routes": {"$default": {"function": "f"}}})");
  };
  const LoadResult custom = with_expression(R"("${request.body.service}/${request.body.action}")");
  ASSERT_TRUE(custom.api.has_value());
  EXPECT_EQ(custom.api->routeSelectionExpressionText,
            "${request.body.service}/${request.body.action}");
  EXPECT_EQ(custom.api->routeSelection->Evaluate(R"({"service":"a","action":"b"})"), "a/b");

  EXPECT_EQ(Strings(with_expression(R"("$context.routeKey")")),
            std::vector<std::string>{
                "routes.json: $.routeSelectionExpression: expected a selection expression such as "
                "\"$request.body.action\", found \"$context.routeKey\" (unsupported variable "
                "'$context.routeKey' at offset 0: route selection can only use "
                "$request.body.<path> (write '\\$' for a literal '$'))"});
  EXPECT_EQ(
      Strings(with_expression("[]")),
      std::vector<std::string>{
          "routes.json: $.routeSelectionExpression: expected a string, found an empty array"});
}

TEST(RoutesConfig, RejectsUnknownKeysAtEveryLevelListingTheAllowedOnes) {
  EXPECT_EQ(
      Problems(R"({
        "functions": {"f": {"url": "http://h/", "timout": 5}},
        "routes": {"$default": {"function": "f", "integration": "x"}},
        "limits": {"maxMessageSize": 5},
        "version": 2
      })"),
      (std::vector<std::string>{
          "routes.json: $.version: expected one of the keys \"name\", \"stage\", \"apiId\", "
          "\"routeSelectionExpression\", \"functions\", \"routes\", \"limits\" or \"tables\", "
          "found an "
          "unknown key \"version\"",
          "routes.json: $.limits.maxMessageSize: expected one of the keys \"maxMessageBytes\", "
          "\"maxFrameBytes\", \"idleTimeoutSeconds\", \"maxConnectionSeconds\" or "
          "\"integrationTimeoutMs\", found an unknown key \"maxMessageSize\"",
          "routes.json: $.functions.f.timout: expected one of the keys \"url\", \"command\", "
          "\"runtime\", \"handler\", \"timeoutMs\", \"env\", \"concurrency\" or \"maxQueued\", found "
          "an unknown key \"timout\"",
          "routes.json: $.routes.$default.integration: expected one of the keys \"function\", "
          "\"routeResponse\" or \"authorizer\", found an unknown key \"integration\""}));
}

TEST(RoutesConfig, QuotesPathKeysThatAreNotPlainNames) {
  EXPECT_EQ(Problems(WithRoutes(R"({"chat.send": {"function": "h"}, "": {"function": "f"}})")),
            (std::vector<std::string>{
                "routes.json: $.routes[\"\"]: expected \"$connect\", \"$disconnect\", "
                "\"$default\" or a custom route key that does not start with '$', found \"\"",
                "routes.json: $.routes[\"chat.send\"].function: expected the name of a function "
                "in $.functions (\"f\" or \"g\"), found \"h\""}));
}

TEST(RoutesConfig, AcceptsLifecycleDefaultAndCustomRouteKeys) {
  const LoadResult result = Parse(WithRoutes(R"({
    "$connect": {"function": "f"}, "$disconnect": {"function": "g"},
    "$default": {"function": "f"}, "send-message_2": {"function": "g"}, "a.b c": {"function": "f"}
  })"));
  ASSERT_TRUE(result.api.has_value()) << testing::PrintToString(Strings(result));
  EXPECT_EQ(
      result.api->RouteKeys(),
      (std::vector<std::string>{"$connect", "$default", "$disconnect", "a.b c", "send-message_2"}));
  EXPECT_EQ(result.api->FunctionFor("$disconnect")->name, "g");
}

TEST(RoutesConfig, RejectsCustomRouteKeysStartingWithDollar) {
  EXPECT_EQ(Problems(WithRoutes(R"({"$Default": {"function": "f"}})")),
            std::vector<std::string>{
                "routes.json: $.routes.$Default: expected \"$connect\", \"$disconnect\", "
                "\"$default\" or a custom route key that does not start with '$', found "
                "\"$Default\""});
}

TEST(RoutesConfig, RouteMustNameAFunctionAndTheProblemListsTheAvailableOnes) {
  EXPECT_EQ(Problems(WithRoutes(R"({
    "a": {"function": "nodee"}, "b": {}, "c": {"function": 3}, "d": "f"
  })")),
            (std::vector<std::string>{
                "routes.json: $.routes.a.function: expected the name of a function in "
                "$.functions (\"f\" or \"g\"), found \"nodee\"",
                "routes.json: $.routes.b.function: expected the name of a function in "
                "$.functions (\"f\" or \"g\"), found nothing (the key is missing)",
                "routes.json: $.routes.c.function: expected a string, found a number (3)",
                "routes.json: $.routes.d: expected an object with \"function\", found \"f\""}));
}

TEST(RoutesConfig, RouteResponseIsABooleanAndOnlyForMessageRoutes) {
  EXPECT_EQ(Problems(WithRoutes(R"({
    "$connect": {"function": "f", "routeResponse": true},
    "$disconnect": {"function": "f", "routeResponse": true},
    "a": {"function": "f", "routeResponse": "yes"}
  })")),
            (std::vector<std::string>{
                "routes.json: $.routes.$connect.routeResponse: expected no route response on "
                "$connect (API Gateway sends route responses only for message routes), found a "
                "boolean (true)",
                "routes.json: $.routes.$disconnect.routeResponse: expected no route response on "
                "$disconnect (API Gateway sends route responses only for message routes), found "
                "a boolean (true)",
                "routes.json: $.routes.a.routeResponse: expected a boolean, found \"yes\""}));

  const LoadResult explicit_false = Parse(WithRoutes(R"({
    "$connect": {"function": "f", "routeResponse": false},
    "$default": {"function": "f", "routeResponse": true}
  })"));
  ASSERT_TRUE(explicit_false.api.has_value());
  EXPECT_FALSE(explicit_false.api->FindRoute("$connect")->routeResponse);
  EXPECT_TRUE(explicit_false.api->FindRoute("$default")->routeResponse);
}

TEST(RoutesConfig, LoadsAnAuthorizerOnConnect) {
  const LoadResult result = Parse(WithRoutes(R"({
    "$connect": {"function": "f", "authorizer": {"function": "g", "name": "TokenAuth",
      "identitySource": ["route.request.header.Authorization",
                         "route.request.querystring.token"]}},
    "$default": {"function": "f"}
  })"));
  ASSERT_TRUE(result.api.has_value()) << testing::PrintToString(Strings(result));
  const RouteConfig* connect = result.api->FindRoute("$connect");
  ASSERT_TRUE(connect->authorizer.has_value());
  EXPECT_EQ(connect->authorizer->function, "g");
  EXPECT_EQ(connect->authorizer->name, "TokenAuth");
  EXPECT_EQ(connect->authorizer->identitySources,
            (std::vector<std::string>{"route.request.header.Authorization",
                                      "route.request.querystring.token"}));
  EXPECT_FALSE(result.api->FindRoute("$default")->authorizer.has_value());
}

TEST(RoutesConfig, AuthorizerDefaultsToTheAuthorizationHeaderAndItsFunctionsName) {
  const LoadResult result =
      Parse(WithRoutes(R"({"$connect": {"function": "f", "authorizer": {"function": "g"}}})"));
  ASSERT_TRUE(result.api.has_value()) << testing::PrintToString(Strings(result));
  const AuthorizerConfig& authorizer = *result.api->FindRoute("$connect")->authorizer;
  EXPECT_EQ(authorizer.name, "g");
  EXPECT_EQ(authorizer.identitySources,
            std::vector<std::string>{"route.request.header.Authorization"});
}

TEST(RoutesConfig, AuthorizerOnlyOnConnect) {
  EXPECT_EQ(Problems(WithRoutes(R"({
    "$default": {"function": "f", "authorizer": {"function": "g"}},
    "$disconnect": {"function": "f", "authorizer": {"function": "g"}}
  })")),
            (std::vector<std::string>{
                "routes.json: $.routes.$default.authorizer: expected an authorizer only on "
                "$connect (API Gateway runs authorizers only there), found an object",
                "routes.json: $.routes.$disconnect.authorizer: expected an authorizer only on "
                "$connect (API Gateway runs authorizers only there), found an object"}));
}

TEST(RoutesConfig, ReportsEveryProblemInAnAuthorizer) {
  EXPECT_EQ(Problems(WithRoutes(R"({"$connect": {"function": "f", "authorizer": {
    "function": "auth", "name": "", "cache": true,
    "identitySource": ["route.request.header.", "stageVariables.key", "context.requestId",
                       "method.request.header.Auth", 7, "route.request.querystring.a b"]}}})")),
            (std::vector<std::string>{
                "routes.json: $.routes.$connect.authorizer.cache: expected one of the keys "
                "\"function\", \"identitySource\" or \"name\", found an unknown key \"cache\"",
                "routes.json: $.routes.$connect.authorizer.function: expected the name of a "
                "function in $.functions (\"f\" or \"g\"), found \"auth\"",
                "routes.json: $.routes.$connect.authorizer.name: expected a non-empty name, "
                "found \"\"",
                "routes.json: $.routes.$connect.authorizer.identitySource[0]: expected "
                "route.request.header.<name> with a name of letters, digits, '.', '_' and '-', "
                "found \"route.request.header.\"",
                "routes.json: $.routes.$connect.authorizer.identitySource[1]: expected "
                "\"route.request.header.<Name>\" or \"route.request.querystring.<name>\" "
                "(stageVariables. and context. identity sources are not supported by wsgw), found "
                "\"stageVariables.key\"",
                "routes.json: $.routes.$connect.authorizer.identitySource[2]: expected "
                "\"route.request.header.<Name>\" or \"route.request.querystring.<name>\" "
                "(stageVariables. and context. identity sources are not supported by wsgw), found "
                "\"context.requestId\"",
                "routes.json: $.routes.$connect.authorizer.identitySource[3]: expected "
                "\"route.request.header.<Name>\" or \"route.request.querystring.<name>\", found "
                "\"method.request.header.Auth\"",
                "routes.json: $.routes.$connect.authorizer.identitySource[4]: expected a string, "
                "found a number (7)",
                "routes.json: $.routes.$connect.authorizer.identitySource[5]: expected "
                "route.request.querystring.<name> with a name of letters, digits, '.', '_' and "
                "'-', found \"route.request.querystring.a b\""}));
}

TEST(RoutesConfig, AuthorizerNeedsAFunctionAndANonEmptyIdentitySourceList) {
  EXPECT_EQ(Problems(WithRoutes(
                R"({"$connect": {"function": "f", "authorizer": {"identitySource": []}}})")),
            (std::vector<std::string>{
                "routes.json: $.routes.$connect.authorizer.function: expected the name of a "
                "function in $.functions (\"f\" or \"g\"), found nothing (the key is missing)",
                "routes.json: $.routes.$connect.authorizer.identitySource: expected a non-empty "
                "array of identity sources such as \"route.request.header.Authorization\", found "
                "an empty array"}));
  EXPECT_EQ(Problems(WithRoutes(R"({"$connect": {"function": "f", "authorizer": "g"}})")),
            std::vector<std::string>{
                "routes.json: $.routes.$connect.authorizer: expected an object with \"function\" "
                "and \"identitySource\", found \"g\""});
  EXPECT_EQ(Problems(WithRoutes(R"({"$connect": {"function": "f", "authorizer": {
                "function": "g", "identitySource": "route.request.header.Authorization"}}})")),
            std::vector<std::string>{
                "routes.json: $.routes.$connect.authorizer.identitySource: expected a non-empty "
                "array of identity sources such as \"route.request.header.Authorization\", found "
                "\"route.request.header.Authorization\""});
}

TEST(RoutesConfig, AcceptsEachKindOfFunction) {
  const LoadResult result = Parse(WithFunctions(R"({
    "f": {"url": "https://lambda.example.com/2015-03-31/functions/f/invocations", "timeoutMs": 1},
    "cmd": {"command": ["./h"], "env": {}},
    "js": {"runtime": "nodejs", "handler": "./src/dir.v2/index.handler", "env": {"A": ""}}
  })"));
  ASSERT_TRUE(result.api.has_value()) << testing::PrintToString(Strings(result));
  EXPECT_EQ(result.api->functions.at("f").kind, FunctionConfig::Kind::kUrl);
  EXPECT_EQ(result.api->functions.at("f").timeoutMs, 1);
  EXPECT_EQ(result.api->functions.at("cmd").kind, FunctionConfig::Kind::kCommand);
  EXPECT_EQ(result.api->functions.at("js").handler, "./src/dir.v2/index.handler");
  EXPECT_EQ(result.api->functions.at("js").env.at("A"), "");
}

TEST(RoutesConfig, ValidatesFunctionDetails) {
  EXPECT_EQ(Problems(WithFunctions(R"({
    "f": {"url": "http://"},
    "h1": {"runtime": "python", "handler": "src.pkg/app"},
    "h2": {"runtime": "python", "handler": ".handler"},
    "h3": {"runtime": "python", "handler": "app."},
    "c0": {"command": [""]},
    "c1": {"command": "./h"},
    "e1": {"command": ["./h"], "env": ["A=1"]},
    "e2": {"command": ["./h"], "env": {"A=B": "1"}},
    "t0": {"command": ["./h"], "timeoutMs": 0},
    "t1": {"command": ["./h"], "timeoutMs": 1.5},
    "u": {"url": 5},
    "both3": {"url": "http://h/", "command": ["./h"], "runtime": "nodejs", "handler": "a.b"},
    "str": "http://h/"
  })")),
            (std::vector<std::string>{
                "routes.json: $.functions.both3: expected exactly one of \"url\", \"command\" or "
                "\"runtime\" (with \"handler\"), found all of \"url\", \"command\" and \"runtime\"",
                "routes.json: $.functions.c0.command[0]: expected a program name or path, found "
                "\"\"",
                "routes.json: $.functions.c1.command: expected a non-empty array of strings (the "
                "program and its arguments), found \"./h\"",
                "routes.json: $.functions.e1.env: expected an object of environment variables "
                "(name to string value), found an array",
                "routes.json: $.functions.e2.env[\"A=B\"]: expected an environment variable name "
                "(non-empty, without '='), found \"A=B\"",
                "routes.json: $.functions.f.url: expected an http:// or https:// URL, found "
                "\"http://\"",
                "routes.json: $.functions.h1.handler: expected a handler such as "
                "\"src/app.handler\" (file.export), found \"src.pkg/app\"",
                "routes.json: $.functions.h2.handler: expected a handler such as "
                "\"src/app.handler\" (file.export), found \".handler\"",
                "routes.json: $.functions.h3.handler: expected a handler such as "
                "\"src/app.handler\" (file.export), found \"app.\"",
                "routes.json: $.functions.str: expected an object with \"url\", \"command\" or "
                "\"runtime\" and \"handler\", found \"http://h/\"",
                "routes.json: $.functions.t0.timeoutMs: expected an integer from 1 to 900000, "
                "found a number (0)",
                "routes.json: $.functions.t1.timeoutMs: expected an integer from 1 to 900000, "
                "found a number (1.5)",
                "routes.json: $.functions.u.url: expected a string, found a number (5)"}));
}

TEST(RoutesConfig, ValidatesLimits) {
  auto with_limits = [](const std::string& limits) {
    return Parse(R"({"functions": {"f": {"url": "http://h/"}},)"
                 R"( "routes": {"$default": {"function": "f"}}, "limits": )" +
                 limits + "}");
  };
  EXPECT_EQ(Strings(with_limits(R"({"maxMessageBytes": 0, "maxFrameBytes": "42",)"
                                R"( "idleTimeoutSeconds": 1.5, "maxConnectionSeconds": 1e10,)"
                                R"( "integrationTimeoutMs": null})")),
            (std::vector<std::string>{
                "routes.json: $.limits.maxMessageBytes: expected a positive integer, found a "
                "number (0)",
                "routes.json: $.limits.maxFrameBytes: expected a positive integer, found \"42\"",
                "routes.json: $.limits.idleTimeoutSeconds: expected a positive integer, found a "
                "number (1.5)",
                "routes.json: $.limits.maxConnectionSeconds: expected a positive integer, found a "
                "number (1e+10)",
                "routes.json: $.limits.integrationTimeoutMs: expected a positive integer, found "
                "null"}));
  EXPECT_EQ(Strings(with_limits("[]")),
            std::vector<std::string>{"routes.json: $.limits: expected an object, found an empty "
                                     "array"});
  EXPECT_EQ(Strings(with_limits(R"({"maxFrameBytes": 200000})")),
            std::vector<std::string>{"routes.json: $.limits.maxFrameBytes: expected at most "
                                     "maxMessageBytes (131072), found a number (200000)"});

  const LoadResult equal = with_limits(R"({"maxMessageBytes": 4096, "maxFrameBytes": 4096})");
  ASSERT_TRUE(equal.api.has_value());
  EXPECT_EQ(equal.api->limits.maxFrameBytes, 4096);
}

TEST(RoutesConfig, ASmallerMessageLimitAloneShrinksTheDefaultFrameLimit) {
  const LoadResult result = Parse(R"({"functions": {"f": {"url": "http://h/"}},)"
                                  R"( "routes": {"$default": {"function": "f"}},)"
                                  R"( "limits": {"maxMessageBytes": 1000}})");
  ASSERT_TRUE(result.api.has_value()) << testing::PrintToString(Strings(result));
  EXPECT_EQ(result.api->limits.maxMessageBytes, 1000);
  EXPECT_EQ(result.api->limits.maxFrameBytes, 1000);
}


TEST(RoutesConfig, LoadsDeclaredTablesWithKeysIndexesAndTtl) {
  LoadResult result = Parse(R"({
    "functions": {"f": {"url": "http://127.0.0.1:9/"}},
    "routes": {"$default": {"function": "f"}},
    "tables": {
      "connections": {
        "hashKey": "connectionId",
        "indexes": {"byRoom": {"hashKey": "roomId", "projection": "KEYS_ONLY"},
                    "byAge": {"hashKey": "roomId", "rangeKey": {"name": "joinedAt", "type": "N"},
                              "projection": ["nick"]}},
        "ttlAttribute": "expiresAt"
      },
      "scores": {"hashKey": {"name": "game", "type": "S"}, "rangeKey": {"name": "score", "type": "N"}}
    }
  })");
  ASSERT_TRUE(result.api) << Strings(result).front();
  ASSERT_EQ(result.api->tables.size(), 2u);
  const TableConfig& connections = result.api->tables[0];
  EXPECT_EQ(connections.name, "connections");
  EXPECT_EQ(connections.hashKey.name, "connectionId");
  EXPECT_EQ(connections.hashKey.type, "S");
  EXPECT_FALSE(connections.rangeKey);
  EXPECT_EQ(connections.ttlAttribute, "expiresAt");
  ASSERT_EQ(connections.indexes.size(), 2u);
  EXPECT_EQ(connections.indexes[0].name, "byAge");
  EXPECT_EQ(connections.indexes[0].projection, "INCLUDE");
  EXPECT_EQ(connections.indexes[0].nonKeyAttributes, std::vector<std::string>{"nick"});
  EXPECT_EQ(connections.indexes[0].rangeKey->type, "N");
  EXPECT_EQ(connections.indexes[1].projection, "KEYS_ONLY");
  const TableConfig& scores = result.api->tables[1];
  EXPECT_EQ(scores.rangeKey->name, "score");
  EXPECT_EQ(scores.rangeKey->type, "N");
}

TEST(RoutesConfig, ReportsEveryProblemInDeclaredTables) {
  std::vector<std::string> problems = Problems(R"({
    "functions": {"f": {"url": "http://127.0.0.1:9/"}},
    "routes": {"$default": {"function": "f"}},
    "tables": {
      "ab": {"hashKey": "id"},
      "items": {"rangeKey": {"name": "ts", "type": "X"}, "indexs": {}},
      "rooms": {"hashKey": "id", "indexes": {"byName": {"projection": "SOME"}}}
    }
  })");
  EXPECT_EQ(problems,
            (std::vector<std::string>{
                "routes.json: $.tables.ab: expected a table name of 3 to 255 letters, digits, '_', "
                "'-' and '.', found \"ab\"",
                "routes.json: $.tables.items.indexs: expected one of the keys \"hashKey\", "
                "\"rangeKey\", \"indexes\" or \"ttlAttribute\", found an unknown key \"indexs\" (did you mean \"indexes\"?)",
                "routes.json: $.tables.items.hashKey: expected the table's hash (partition) key, "
                "found nothing (the key is missing)",
                "routes.json: $.tables.items.rangeKey.type: expected \"S\", \"N\" or \"B\", found "
                "\"X\"",
                "routes.json: $.tables.rooms.indexes.byName.hashKey: expected the index's hash key, "
                "found nothing (the key is missing)",
                "routes.json: $.tables.rooms.indexes.byName.projection: expected \"ALL\", "
                "\"KEYS_ONLY\" or an array of the attributes to include, found \"SOME\"",
            }));
}

TEST(RoutesConfig, AcceptsLambdaRuntimeNamesAndRunsThemOnTheirHost) {
  const LoadResult result = ParseRoutes(R"({
    "functions": {
      "node": {"runtime": "nodejs20.x", "handler": "a.handler"},
      "node18": {"runtime": "nodejs18.x", "handler": "a.handler"},
      "py": {"runtime": "python3.12", "handler": "a.handler"},
      "py3": {"runtime": "python3", "handler": "a.handler"}
    },
    "routes": {"$default": {"function": "node"}}
  })", "routes.json", "/app");
  ASSERT_TRUE(result.api.has_value()) << result.problems.front().ToString();
  EXPECT_EQ(result.api->functions.at("node").runtime, "nodejs");
  EXPECT_EQ(result.api->functions.at("node18").runtime, "nodejs");
  EXPECT_EQ(result.api->functions.at("py").runtime, "python");
  EXPECT_EQ(result.api->functions.at("py3").runtime, "python");
}

TEST(RoutesConfig, RuntimeHostKnowsLambdasNodeAndPythonNames) {
  EXPECT_EQ(RuntimeHost("nodejs"), "nodejs");
  EXPECT_EQ(RuntimeHost("nodejs22.x"), "nodejs");
  EXPECT_EQ(RuntimeHost("nodejs24.x"), "nodejs");
  EXPECT_EQ(RuntimeHost("python3.8"), "python");
  EXPECT_EQ(RuntimeHost("python3.14"), "python");
  for (const char* refused : {"nodejs16.x", "nodejs20", "nodejs20.y", "nodejs.x", "nodejs020.x",
                              "python2.7", "python3.", "python3.x", "python3.99", "node", "ruby3.3",
                              ""}) {
    EXPECT_EQ(RuntimeHost(refused), "") << refused;
  }
}

TEST(RoutesConfig, AnUnknownKeyNamesTheKeyMeant) {
  const LoadResult result = ParseRoutes(R"({
    "functions": {"f": {"runtime": "nodejs", "hander": "a.handler"}},
    "routes": {"$default": {"function": "f"}}
  })", "routes.json", "/app");
  ASSERT_FALSE(result.api.has_value());
  bool named = false;
  for (const ConfigProblem& problem : result.problems) {
    if (problem.path == "$.functions.f.hander") {
      named = true;
      EXPECT_EQ(problem.found, "an unknown key \"hander\" (did you mean \"handler\"?)");
    }
  }
  EXPECT_TRUE(named);
}

}  // namespace
}  // namespace wsgw
