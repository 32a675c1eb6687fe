// A user's project file, whatever deploys it: finding it in a folder and loading it by content
// (a serverless.yml, a CloudFormation/SAM template, a routes.json).
#pragma once

#include <string>
#include <vector>

#include "project/cloudformation_import.h"

namespace wsgw {

struct ProjectFileChoice {
  std::string path;     // the file found, empty when none
  std::string message;  // why none was taken, when path is empty
  std::vector<std::string> others;  // other CDK stacks that could have been taken, not run
};

// In `dir`: serverless.yml, serverless.yaml, serverless.json, template.yaml, template.yml,
// template.json, then cdk.out/*.template.json: of a CDK app's stacks (nested stacks'
// *.nested.template.json excluded) the first in name order that has a WEBSOCKET API, else the
// first.
ProjectFileChoice FindProjectFile(const std::string& dir);

// Loads a template or a routes.json, told apart by content.
ProjectResult LoadProjectFile(const std::string& path, const ProjectOptions& options);

}  // namespace wsgw
