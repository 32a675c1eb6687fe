// A SAM or CloudFormation template (YAML or JSON; a CDK app's cdk.out/*.template.json) read into
// the ApiConfigs a routes.json would give: each AWS::ApiGatewayV2::Api with ProtocolType
// WEBSOCKET is one API, its Routes (through their AWS_PROXY Integrations) name the functions
// (AWS::Serverless::Function with Globals, AWS::Lambda::Function with a CDK asset folder), and
// every AWS::DynamoDB::Table / AWS::Serverless::SimpleTable goes on the first API's tables.
// Intrinsics are evaluated with intrinsics.h. What wsgw does not need (IAM, Permissions,
// Deployments, Outputs) is ignored; what it needs and cannot map is a problem whose file is
// "template.yaml:42" and whose path is the template's (Resources.Chat.Properties.Runtime).
#pragma once

#include <map>
#include <string>
#include <vector>

#include "api/routes_config.h"

namespace wsgw {

struct ProjectOptions {
  std::map<std::string, std::string> parameters;  // --parameter NAME=VALUE (also AWS::Region)
};

struct ProjectResult {
  std::vector<ApiConfig> apis;
  std::vector<ConfigProblem> problems;  // empty exactly when apis is non-empty
  // What was mapped with a loss the user should know of (an AWS_IAM route lets every client in);
  // they do not stop the project. `found` says what happened, `expected` (may be empty) what
  // would avoid it.
  std::vector<ConfigProblem> warnings;
};

// Whether the text is a CloudFormation template: a top-level Resources or
// AWSTemplateFormatVersion.
bool LooksLikeCloudFormation(const std::string& text);

// `file` names the template in problems; `dir` is its folder (CodeUri and assets resolve there).
ProjectResult ParseCloudFormation(const std::string& text, const std::string& file,
                                  const std::string& dir, const ProjectOptions& options);

ProjectResult LoadCloudFormationFile(const std::string& path, const ProjectOptions& options);

}  // namespace wsgw
