// A user's project file, whatever deploys it: finding it in a folder and loading it by content
// (a CloudFormation/SAM template, a routes.json; serverless.yml is recognised and refused until
// its importer lands, issue 16).
#pragma once

#include <string>

#include "project/cloudformation_import.h"

namespace wsgw {

struct ProjectFileChoice {
  std::string path;     // the file found, empty when none
  std::string message;  // why none was taken, when path is empty
};

// In `dir`: template.yaml, template.yml, template.json, then cdk.out/*.template.json (the first
// in name order).
ProjectFileChoice FindProjectFile(const std::string& dir);

// Loads a template or a routes.json, told apart by content.
ProjectResult LoadProjectFile(const std::string& path, const ProjectOptions& options);

}  // namespace wsgw
