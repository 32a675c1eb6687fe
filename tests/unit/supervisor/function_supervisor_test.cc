#include "supervisor/function_supervisor.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

#include "base/install_paths.h"

namespace wsgw {
namespace {

FunctionConfig RuntimeFunction() {
  FunctionConfig function;
  function.name = "chat";
  function.kind = FunctionConfig::Kind::kRuntime;
  function.runtime = "nodejs";
  function.handler = "handlers/chat.handler";
  function.timeoutMs = 2500;
  return function;
}

ApiConfig ApiIn(const std::string& dir) {
  ApiConfig api;
  api.dir = dir;
  return api;
}

TEST(FunctionSupervisor, ProcessSpecGivesAFunctionTheEnvironmentALambdaExpects) {
  ProcessSpec spec =
      ProcessSpecFor(RuntimeFunction(), ApiIn("/srv/app"), 4321, "http://127.0.0.1:9000/local");
  EXPECT_EQ(spec.name, "chat");
  EXPECT_EQ(spec.port, 4321);
  EXPECT_EQ(spec.cwd, "/srv/app");
  ASSERT_EQ(spec.argv.size(), 2u);
  EXPECT_EQ(spec.argv[0], "node");
  EXPECT_EQ(spec.env["WSGW_HANDLER"], "handlers/chat.handler");
  EXPECT_EQ(spec.env["WSGW_HANDLER_ROOT"], "/srv/app");
  EXPECT_EQ(spec.env["WSGW_FUNCTION_HOST"], "127.0.0.1");
  EXPECT_EQ(spec.env["WSGW_FUNCTION_PORT"], "4321");
  EXPECT_EQ(spec.env["WSGW_MANAGEMENT_ENDPOINT"], "http://127.0.0.1:9000/local");
  EXPECT_EQ(spec.env["AWS_LAMBDA_FUNCTION_NAME"], "chat");
  // Lambda's timeout is whole seconds: 2.5 s is 3.
  EXPECT_EQ(spec.env["AWS_LAMBDA_FUNCTION_TIMEOUT"], "3");
  EXPECT_FALSE(spec.env["AWS_REGION"].empty());
}

TEST(FunctionSupervisor, ProcessSpecLetsTheFunctionsOwnEnvironmentWin) {
  FunctionConfig function = RuntimeFunction();
  function.env["AWS_REGION"] = "eu-west-3";
  function.env["TABLE"] = "rooms";
  ProcessSpec spec = ProcessSpecFor(function, ApiIn("/srv/app"), 4321, "http://h:1/local");
  EXPECT_EQ(spec.env["AWS_REGION"], "eu-west-3");
  EXPECT_EQ(spec.env["TABLE"], "rooms");
}

TEST(FunctionSupervisor, ProcessSpecRunsACommandAsConfigured) {
  FunctionConfig function;
  function.name = "echo";
  function.kind = FunctionConfig::Kind::kCommand;
  function.command = {"/usr/bin/env", "echo-handler", "--flag"};
  ProcessSpec spec = ProcessSpecFor(function, ApiIn("/srv/app"), 1234, "http://h:1/local");
  EXPECT_EQ(spec.argv, function.command);
  EXPECT_EQ(spec.env.count("WSGW_HANDLER"), 0u);
}

FunctionConfig CommandFunction() {
  FunctionConfig function;
  function.name = "cmd";
  function.kind = FunctionConfig::Kind::kCommand;
  function.command = {"/usr/bin/env", "node", "handler.mjs"};
  return function;
}

// The gateway's own environment must not decide these tests.
class AwsRedirectPreloads : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* key : {"WSGW_AWS_REDIRECT", "NODE_OPTIONS", "PYTHONPATH"}) unsetenv(key);
  }
};

TEST_F(AwsRedirectPreloads, ACommandFunctionGetsThePreloadsWhenAwsNamesAreRedirected) {
  std::map<std::string, std::string> services = {{"WSGW_AWS_REDIRECT", "127.0.0.1:3001"}};
  ProcessSpec spec =
      ProcessSpecFor(CommandFunction(), ApiIn("/srv/app"), 1234, "http://h:1/local", services);
  const std::string preload = HostsDirectory() + "/preload";
  EXPECT_EQ(spec.env["WSGW_AWS_REDIRECT"], "127.0.0.1:3001");
  EXPECT_EQ(spec.env["NODE_OPTIONS"], "--require \"" + preload + "/aws_redirect.cjs\"");
  EXPECT_EQ(spec.env["PYTHONPATH"], preload);
}

TEST_F(AwsRedirectPreloads, KeepWhatTheFunctionAlreadyHas) {
  FunctionConfig function = CommandFunction();
  function.env["WSGW_AWS_REDIRECT"] = "127.0.0.1:3001";
  function.env["NODE_OPTIONS"] = "--max-old-space-size=256";
  function.env["PYTHONPATH"] = "/srv/lib";
  ProcessSpec spec = ProcessSpecFor(function, ApiIn("/srv/app"), 1234, "http://h:1/local");
  const std::string preload = HostsDirectory() + "/preload";
  EXPECT_EQ(spec.env["NODE_OPTIONS"],
            "--require \"" + preload + "/aws_redirect.cjs\" --max-old-space-size=256");
  EXPECT_EQ(spec.env["PYTHONPATH"], preload + ":/srv/lib");
}

TEST_F(AwsRedirectPreloads, KeepWhatTheGatewaysEnvironmentHas) {
  setenv("WSGW_AWS_REDIRECT", "127.0.0.1:3001", 1);
  setenv("PYTHONPATH", "/opt/site", 1);
  ProcessSpec spec = ProcessSpecFor(CommandFunction(), ApiIn("/srv/app"), 1234, "http://h:1/local");
  EXPECT_EQ(spec.env["PYTHONPATH"], HostsDirectory() + "/preload:/opt/site");
  unsetenv("WSGW_AWS_REDIRECT");
  unsetenv("PYTHONPATH");
}

TEST_F(AwsRedirectPreloads, NoneWithoutTheRedirectOrWhenTheFunctionTurnsItOff) {
  ProcessSpec spec = ProcessSpecFor(CommandFunction(), ApiIn("/srv/app"), 1234, "http://h:1/local");
  EXPECT_EQ(spec.env.count("NODE_OPTIONS"), 0u);
  EXPECT_EQ(spec.env.count("PYTHONPATH"), 0u);

  FunctionConfig off = CommandFunction();
  off.env["WSGW_AWS_REDIRECT"] = "";
  std::map<std::string, std::string> services = {{"WSGW_AWS_REDIRECT", "127.0.0.1:3001"}};
  spec = ProcessSpecFor(off, ApiIn("/srv/app"), 1234, "http://h:1/local", services);
  EXPECT_EQ(spec.env.count("NODE_OPTIONS"), 0u);
  EXPECT_EQ(spec.env.count("PYTHONPATH"), 0u);
}

TEST_F(AwsRedirectPreloads, RuntimeFunctionsRedirectInTheirHostInstead) {
  std::map<std::string, std::string> services = {{"WSGW_AWS_REDIRECT", "127.0.0.1:3001"}};
  ProcessSpec spec =
      ProcessSpecFor(RuntimeFunction(), ApiIn("/srv/app"), 1234, "http://h:1/local", services);
  EXPECT_EQ(spec.env["WSGW_AWS_REDIRECT"], "127.0.0.1:3001");
  EXPECT_EQ(spec.env.count("NODE_OPTIONS"), 0u);
  EXPECT_EQ(spec.env.count("PYTHONPATH"), 0u);
}

TEST(FunctionSupervisor, FreePortIsAPortNumber) {
  int port = FunctionSupervisor::FreePort();
  EXPECT_GT(port, 0);
  EXPECT_LT(port, 65536);
}

}  // namespace
}  // namespace wsgw
