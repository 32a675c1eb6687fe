#include "supervisor/function_supervisor.h"

#include <gtest/gtest.h>

#include <string>

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

TEST(FunctionSupervisor, FreePortIsAPortNumber) {
  int port = FunctionSupervisor::FreePort();
  EXPECT_GT(port, 0);
  EXPECT_LT(port, 65536);
}

}  // namespace
}  // namespace wsgw
