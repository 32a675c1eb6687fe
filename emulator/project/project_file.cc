#include "project/project_file.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

#include "project/serverless_import.h"
#include "project/yaml_document.h"

namespace wsgw {
namespace {

namespace fs = std::filesystem;

bool EndsWith(const std::string& text, const std::string& suffix) {
  return text.size() > suffix.size() &&
         text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

bool IsServerlessName(const std::string& name) {
  return name == "serverless.yml" || name == "serverless.yaml" || name == "serverless.json";
}

// A routes.json, with exactly the messages --routes gives.
ProjectResult LoadRoutesAsProject(const std::string& path) {
  ProjectResult result;
  LoadResult routes = LoadRoutesFile(path);
  if (routes.api) result.apis.push_back(std::move(*routes.api));
  result.problems = std::move(routes.problems);
  return result;
}

}  // namespace

ProjectFileChoice FindProjectFile(const std::string& dir) {
  std::error_code ec;
  for (const char* name : {"serverless.yml", "serverless.yaml", "serverless.json", "template.yaml",
                           "template.yml", "template.json"}) {
    const fs::path candidate = fs::path(dir) / name;
    if (fs::is_regular_file(candidate, ec)) return {candidate.string(), "", {}};
  }
  // A CDK app's stacks; a nested stack's template is part of its parent's, never run alone.
  std::vector<std::string> synthesized;
  for (const auto& entry : fs::directory_iterator(fs::path(dir) / "cdk.out", ec)) {
    const std::string name = entry.path().filename().string();
    if (EndsWith(name, ".template.json") && !EndsWith(name, ".nested.template.json")) {
      synthesized.push_back(entry.path().string());
    }
  }
  std::sort(synthesized.begin(), synthesized.end());
  if (synthesized.size() > 1) {
    // An app with several stacks: the one with the WebSocket API, not whichever sorts first.
    std::vector<std::string> websocket;
    for (const std::string& file : synthesized) {
      std::ifstream in(file, std::ios::binary);
      std::ostringstream text;
      text << in.rdbuf();
      if (text.str().find("\"WEBSOCKET\"") != std::string::npos) websocket.push_back(file);
    }
    if (!websocket.empty()) synthesized = websocket;
  }
  if (!synthesized.empty()) {
    ProjectFileChoice choice{synthesized.front(), "", {}};
    for (size_t i = 1; i < synthesized.size(); ++i) {
      choice.others.push_back(synthesized[i]);
    }
    return choice;
  }
  for (const char* name : {"serverless.ts", "serverless.js", "serverless.cjs", "serverless.mjs"}) {
    if (fs::is_regular_file(fs::path(dir) / name, ec)) {
      return {"",
              std::string(name) + " found, which wsgw cannot run (it reads serverless.yml, "
              ".yaml or .json): write it out with `serverless print > serverless.yml`",
              {}};
    }
  }
  if (fs::is_regular_file(fs::path(dir) / "cdk.json", ec)) {
    return {"", "cdk.json found but no cdk.out/*.template.json in " + dir +
                    ": run `cdk synth` first",
            {}};
  }
  return {"",
          "no serverless.yml, serverless.yaml, serverless.json, template.yaml, template.yml, "
          "template.json or cdk.out/*.template.json in " + dir,
          {}};
}

ProjectResult LoadProjectFile(const std::string& path, const ProjectOptions& options) {
  ProjectResult result;
  std::error_code ec;
  std::ifstream in(path, std::ios::binary);
  const fs::path absolute = fs::absolute(path, ec);
  if (absolute.extension() == ".json" && (fs::is_directory(path, ec) || !in)) {
    return LoadRoutesAsProject(path);
  }
  if (fs::is_directory(path, ec) || !in) {
    result.problems.push_back(ConfigProblem{path, "(file)", "a readable project file",
                                            fs::is_directory(path, ec) ? "a directory"
                                                                       : std::strerror(errno)});
    return result;
  }
  std::ostringstream stream;
  stream << in.rdbuf();
  const std::string text = stream.str();
  if (IsServerlessName(absolute.filename().string())) {
    return ParseServerless(text, path, absolute.parent_path().string(), options);
  }
  YamlError error;
  std::optional<YamlDocument> doc = ParseYamlDocument(text, &error);
  const Json::Value* root = doc ? &doc->root : nullptr;
  if (root != nullptr && root->isObject() &&
      (root->isMember("Resources") || root->isMember("AWSTemplateFormatVersion"))) {
    return ParseCloudFormation(text, path, absolute.parent_path().string(), options);
  }
  if (root != nullptr && LooksLikeServerless(*root)) {
    return ParseServerless(text, path, absolute.parent_path().string(), options);
  }
  if (!doc && absolute.extension() != ".json") {
    // Not JSON either: say what YAML said, with its line.
    return ParseCloudFormation(text, path, absolute.parent_path().string(), options);
  }
  return LoadRoutesAsProject(path);
}

}  // namespace wsgw
