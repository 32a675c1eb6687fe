// A SAM or CloudFormation template (YAML or JSON; a CDK app's cdk.out/*.template.json) read into
// the ApiConfigs a routes.json would give: each AWS::ApiGatewayV2::Api with ProtocolType
// WEBSOCKET is one API, its Routes (through their AWS_PROXY Integrations) name the functions
// (AWS::Serverless::Function with Globals, AWS::Lambda::Function with a CDK asset folder), and
// every AWS::DynamoDB::Table / AWS::Serverless::SimpleTable goes on the first API's tables.
// Intrinsics are evaluated with intrinsics.h. What wsgw does not need (IAM, Permissions,
// Deployments, Outputs) is ignored; what it needs and cannot map is a problem whose file is
// "template.yaml:42" and whose path is the template's (Resources.Chat.Properties.Runtime).
#pragma once

#include <json/json.h>

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "api/routes_config.h"

namespace wsgw {

struct ProjectOptions {
  // --parameter NAME=VALUE: a template parameter (also AWS::Region, AWS::AccountId); in a
  // serverless.yml, ${opt:NAME} and ${param:NAME}.
  std::map<std::string, std::string> parameters;
  std::optional<std::string> stage;  // --stage: serverless.yml's ${opt:stage}
  // The environment ${env:NAME} reads (the process's, by default).
  std::map<std::string, std::string> environment;
};

struct ProjectResult {
  std::vector<ApiConfig> apis;
  std::vector<ConfigProblem> problems;  // empty exactly when apis is non-empty
  // What was mapped with a loss the user should know of (an unsupported variable source, a
  // plugin wsgw does not run, an AWS_IAM route that lets every client in); they do not stop the
  // project. `found` says what happened, `expected` (may be empty) what would avoid it.
  std::vector<ConfigProblem> warnings;
};

struct YamlDocument;

// A template another importer built (serverless.yml's): values from `root`; a problem's path is
// shown as the user's file names it, by the longest prefix in `displayPaths` (a template path ->
// the source's path, e.g. "Resources.ConnectLambdaFunction.Properties.Handler" ->
// "functions.connect.handler"), and its line comes from `source`.
struct GeneratedTemplate {
  Json::Value root;
  const YamlDocument* source = nullptr;
  std::map<std::string, std::string> displayPaths;
};

// For the importers (cloudformation_import, serverless_import): parses `text` as YAML/JSON,
// makes `dir` an absolute folder without a trailing slash, and runs `import` on the document;
// a syntax error is a problem at its file:line:column, and a value of a type no check expected
// (jsoncpp throws) is a problem too, never a crash. `what` names the file kind in problems
// ("template", "serverless service").
ProjectResult ImportDocument(
    const std::string& text, const std::string& file, const std::string& dir,
    const std::string& what,
    const std::function<ProjectResult(const YamlDocument&, const std::string& dir)>& import);

ProjectResult ImportGeneratedTemplate(const GeneratedTemplate& generated, const std::string& file,
                                      const std::string& dir, const ProjectOptions& options);

// `file` names the template in problems; `dir` is its folder (CodeUri and assets resolve there).
ProjectResult ParseCloudFormation(const std::string& text, const std::string& file,
                                  const std::string& dir, const ProjectOptions& options);

ProjectResult LoadCloudFormationFile(const std::string& path, const ProjectOptions& options);

}  // namespace wsgw
