// serverless.yml's variables, resolved as `serverless package` would for a local stage:
// `${source:address, fallback, ...}` anywhere in a string, nested (`${self:custom.${sls:stage}}`),
// a whole-string variable keeping its value's type (an object, a list, a number).
//
// Sources: self: (this file, by a dot path; `${self:}` is the whole file), opt: (--stage,
// --parameter NAME=VALUE, opt:region), sls:stage and sls:instanceId, env: (the environment and,
// when loaded, the .env file), param: (--parameter, then params.<stage>, then params.default),
// aws:region and aws:accountId, file(path) with an optional :address (YAML or JSON, relative to
// the service folder). A fallback is a quoted string, a number, true/false, another source or a
// nested variable, tried in order.
//
// A variable no source and no fallback gives is a problem naming the file, the line, the path
// and how to give it a value. A source that reads deployed AWS resources (ssm, cf, s3, aws:...),
// a JavaScript file(...) and any unknown source is a warning with the same precision; its
// fallback is used, else an empty string.
#pragma once

#include <json/json.h>

#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "api/routes_config.h"
#include "project/yaml_document.h"

namespace wsgw {

struct VariableSources {
  std::string dir;                                  // the service folder, absolute
  std::map<std::string, std::string> options;       // ${opt:NAME}: "stage", "region", --parameter
  std::map<std::string, std::string> environment;   // ${env:NAME}
  std::string region = "us-east-1";                 // ${aws:region}
  std::string accountId = "123456789012";           // ${aws:accountId}
};

// value[key] when value is an object, else null (jsoncpp throws on a non-object).
const Json::Value& MemberOf(const Json::Value& value, const std::string& key);

class VariableResolver {
 public:
  // `doc` is the serverless.yml, named `file` in problems; it must outlive the resolver.
  VariableResolver(const YamlDocument& doc, std::string file, VariableSources sources);
  ~VariableResolver();

  // `value`, a part of the file found at `path` (yaml_document.h's syntax: "provider",
  // "functions.connect.events[0]"), with every variable resolved; nothing after a problem.
  std::optional<Json::Value> Resolve(const Json::Value& value, const std::string& path);

  // Variables for ${env:...} that the environment does not already have (a .env file's).
  void AddEnvironment(const std::map<std::string, std::string>& variables) {
    for (const auto& [name, value] : variables) sources_.environment.emplace(name, value);
  }

  // The stage: --stage, else provider.stage, else "dev".
  std::string Stage();

  std::vector<ConfigProblem>& problems() { return problems_; }
  std::vector<ConfigProblem>& warnings() { return warnings_; }

  // Stops at the first unresolvable variable; used by the fuzz target and tests to bound work.
  static constexpr int kMaxDepth = 32;

 private:
  struct Origin {
    std::string file;
    const YamlDocument* doc;
  };
  enum class Found { kValue, kMissing, kUnsupported, kFailed };

  std::optional<Json::Value> ResolveValue(const Json::Value& value, const std::string& path,
                                          const Origin& origin, int depth);
  std::optional<Json::Value> ResolveString(const std::string& text, const std::string& path,
                                           const Origin& origin, int depth);
  std::optional<Json::Value> ResolveVariable(const std::string& inner, const std::string& path,
                                             const Origin& origin, int depth);
  Found Lookup(const std::string& reference, const std::string& path, const Origin& origin,
               int depth, Json::Value* out);
  Found SelfAt(const std::string& address, const std::string& path, const Origin& origin,
               int depth, Json::Value* out);
  Found FileAt(const std::string& reference, const std::string& path, const Origin& origin,
               int depth, Json::Value* out);
  std::optional<std::string> Interpolate(const std::string& text, const std::string& path,
                                         const Origin& origin, int depth);

  void Problem(const Origin& origin, const std::string& path, std::string expected,
               std::string found);
  void Warning(const Origin& origin, const std::string& path, std::string expected,
               std::string found);
  std::string Where(const Origin& origin, const std::string& path) const;

  const YamlDocument& doc_;
  std::string file_;
  VariableSources sources_;
  std::optional<std::string> stage_;
  std::set<std::string> resolving_;  // self paths being resolved, to catch cycles
  std::map<std::string, std::unique_ptr<YamlDocument>> files_;  // file(...) by absolute path
  std::set<std::string> warned_;
  std::vector<ConfigProblem> problems_;
  std::vector<ConfigProblem> warnings_;
};

// A .env file's variables (KEY=VALUE, `export KEY=VALUE`, quotes, # comments, $VAR and ${VAR}
// expanded from earlier keys and `environment`), as the dotenv and dotenv-expand packages read it.
std::map<std::string, std::string> ParseDotenv(const std::string& text,
                                               const std::map<std::string, std::string>& environment);

}  // namespace wsgw
