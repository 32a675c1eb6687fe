// A YAML or JSON text as a Json::Value, with the line of every value, for CloudFormation
// templates (and later serverless.yml). CloudFormation's short-form tags become their long form
// (`!Ref X` -> {"Ref": "X"}, `!GetAtt A.B` -> {"Fn::GetAtt": ["A", "B"]}, `!Sub s` ->
// {"Fn::Sub": s}, ...). Anchors and aliases are expanded and merge keys (`<<`) applied, under a
// budget so that a small file cannot expand into a huge one. Scalars stay strings unless they are
// plainly numbers (`42`, `-1.5`, no leading zeros), booleans (`true`, `false`) or null (`null`,
// `~`, empty): `yes`, `no`, `on`, `0123` and every quoted scalar are strings.
//
// Paths name values as later error messages do: `Resources.ChatFunction.Properties.Handler`,
// `Resources.Api.Properties.Tags[0]`; a key that is not letters, digits, '_', '-', ':' or '$' is
// bracketed and JSON-quoted (`Outputs["a.b"]`). The root's path is "".
#pragma once

#include <json/json.h>

#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace wsgw {

struct YamlDocument {
  Json::Value root;
  std::map<std::string, int> lines;  // path -> 1-based line where the value (or its key) starts

  // The line of `path`, else of its nearest ancestor that has one; 0 when none has.
  int LineOf(const std::string& path) const;
};

struct YamlError {
  int line = 0;  // 1-based; 0 when unknown
  int column = 0;
  std::string message;
};

// Parses one YAML (or JSON) document, which must be UTF-8. On failure returns nothing and fills `error`.
std::optional<YamlDocument> ParseYamlDocument(std::string_view text, YamlError* error);

// `parent` followed by the member `key`, or by the index `index`, in the path syntax above.
std::string PathMember(const std::string& parent, const std::string& key);
std::string PathIndex(const std::string& parent, Json::ArrayIndex index);

}  // namespace wsgw
