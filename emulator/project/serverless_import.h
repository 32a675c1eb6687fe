// A Serverless Framework service (serverless.yml, .yaml or .json) read into ApiConfigs, the way
// `serverless package` compiles it: its variables are resolved (serverless_variables.h), then
// the functions with websocket events, their routes, route responses and authorizers become the
// CloudFormation resources serverless would generate (WebsocketsApi, <Fn>LambdaFunction,
// <Fn>WebsocketsIntegration, <Route>WebsocketsRoute, <Fn>WebsocketsAuthorizer,
// WebsocketsDeploymentStage) beside the user's resources.Resources, and that template is imported
// by cloudformation_import.h. So `!Ref ConnectionsTable` in an environment works as deployed,
// and a problem names the serverless.yml line and key the user wrote
// ("serverless.yml:14: functions.connect.runtime: ...").
//
// Defaults are serverless's: stage "dev", region "us-east-1", runtime "nodejs20.x" (its v4
// default), timeout 6 s, function name <service>-<stage>-<key>, API name
// <stage>-<service>-websockets, route selection $request.body.action, authorizer identity
// source route.request.header.Auth. Plugins wsgw does not need (serverless-offline, esbuild and
// TypeScript bundlers, which wsgw replaces) pass silently; any other plugin is a warning.
#pragma once

#include <string>

#include "project/cloudformation_import.h"

namespace wsgw {

// Whether a parsed file is a serverless service: a top-level `service` and `provider`.
bool LooksLikeServerless(const Json::Value& root);

// `file` names the service file in problems; `dir` is its folder (handlers, file(...) and .env
// resolve there). options.environment is ${env:...}'s environment.
ProjectResult ParseServerless(const std::string& text, const std::string& file,
                              const std::string& dir, const ProjectOptions& options);

}  // namespace wsgw
