#include "project/serverless_variables.h"

#include <cctype>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "project/intrinsics.h"

namespace wsgw {
namespace {

namespace fs = std::filesystem;

std::string Trim(const std::string& s) {
  size_t begin = 0;
  size_t end = s.size();
  while (begin < end && std::isspace(static_cast<unsigned char>(s[begin]))) ++begin;
  while (end > begin && std::isspace(static_cast<unsigned char>(s[end - 1]))) --end;
  return s.substr(begin, end - begin);
}

bool IsIdentifierChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_' || c == '.';
}

// Whether `${inner}` is a serverless variable rather than CloudFormation's own `${AWS::Region}`,
// `${Param}` or `${Fn.Arn}` of an Fn::Sub, which serverless leaves alone: its first
// alternative is `source:address` (one colon), `file(...)` or `strToBool(...)`.
bool LooksLikeVariable(const std::string& inner) {
  const std::string text = Trim(inner);
  if (text.rfind("file(", 0) == 0 || text.rfind("strToBool(", 0) == 0) return true;
  size_t i = 0;
  while (i < text.size() && IsIdentifierChar(text[i])) ++i;
  if (i == 0 || i >= text.size() || text[i] != ':') return false;
  return i + 1 >= text.size() || text[i + 1] != ':';
}

// The index of the '}' closing the `${` at `open`, counting nested `${...}`; npos when none.
size_t ClosingBrace(const std::string& text, size_t open) {
  int depth = 0;
  for (size_t i = open; i < text.size(); ++i) {
    if (text[i] == '$' && i + 1 < text.size() && text[i + 1] == '{') {
      ++depth;
      ++i;
    } else if (text[i] == '}') {
      if (--depth == 0) return i;
    }
  }
  return std::string::npos;
}

// The comma-separated alternatives of a variable, outside quotes and nested variables.
std::vector<std::string> Alternatives(const std::string& inner) {
  std::vector<std::string> parts;
  std::string current;
  int depth = 0;
  char quote = 0;
  for (size_t i = 0; i < inner.size(); ++i) {
    const char c = inner[i];
    if (quote != 0) {
      if (c == quote) quote = 0;
    } else if (c == '\'' || c == '"') {
      quote = c;
    } else if (c == '$' && i + 1 < inner.size() && inner[i + 1] == '{') {
      ++depth;
    } else if (c == '}' && depth > 0) {
      --depth;
    } else if (c == ',' && depth == 0) {
      parts.push_back(Trim(current));
      current.clear();
      continue;
    }
    current += c;
  }
  parts.push_back(Trim(current));
  return parts;
}

std::optional<Json::Value> NumberLiteral(const std::string& text) {
  if (text.empty()) return std::nullopt;
  size_t i = text[0] == '-' ? 1 : 0;
  bool digits = false;
  bool dot = false;
  for (; i < text.size(); ++i) {
    if (std::isdigit(static_cast<unsigned char>(text[i])) != 0) {
      digits = true;
    } else if (text[i] == '.' && !dot) {
      dot = true;
    } else {
      return std::nullopt;
    }
  }
  if (!digits) return std::nullopt;
  if (dot) return Json::Value(std::stod(text));
  if (text.size() > 18) return std::nullopt;
  return Json::Value(static_cast<Json::Int64>(std::stoll(text)));
}

// A scalar as it reads inside a longer string.
std::optional<std::string> Stringify(const Json::Value& value) {
  if (value.isString()) return value.asString();
  if (value.isBool()) return std::string(value.asBool() ? "true" : "false");
  if (value.isIntegral()) return std::to_string(value.asLargestInt());
  if (value.isDouble()) {
    std::ostringstream out;
    out << value.asDouble();
    return out.str();
  }
  return std::nullopt;
}

// Why a source cannot be read locally, for its warning.
std::string UnsupportedWhy(const std::string& source) {
  if (source == "ssm" || source == "cf" || source.rfind("cf.", 0) == 0 || source == "s3" ||
      source == "sm" || source == "aws") {
    return "the " + source + " source reads deployed AWS resources, which wsgw does not";
  }
  return "wsgw does not know the " + source + " variable source";
}

}  // namespace

const Json::Value& MemberOf(const Json::Value& value, const std::string& key) {
  static const Json::Value kNull;
  return value.isObject() && value.isMember(key) ? value[key] : kNull;
}

VariableResolver::VariableResolver(const YamlDocument& doc, std::string file,
                                   VariableSources sources)
    : doc_(doc), file_(std::move(file)), sources_(std::move(sources)) {}

VariableResolver::~VariableResolver() = default;

std::optional<Json::Value> VariableResolver::Resolve(const Json::Value& value,
                                                     const std::string& path) {
  return ResolveValue(value, path, Origin{file_, &doc_}, 0);
}

std::string VariableResolver::Stage() {
  if (stage_) return *stage_;
  if (auto it = sources_.options.find("stage"); it != sources_.options.end()) {
    stage_ = it->second;
    return *stage_;
  }
  stage_ = "dev";  // while provider.stage resolves: ${sls:stage} there reads the default
  const Json::Value& declared = MemberOf(MemberOf(doc_.root, "provider"), "stage");
  if (!declared.isNull()) {
    std::optional<Json::Value> value =
        ResolveValue(declared, "provider.stage", Origin{file_, &doc_}, 0);
    if (value) {
      if (std::optional<std::string> text = Stringify(*value); text && !text->empty()) {
        stage_ = *text;
      }
    }
  }
  return *stage_;
}

std::optional<Json::Value> VariableResolver::ResolveValue(const Json::Value& value,
                                                          const std::string& path,
                                                          const Origin& origin, int depth) {
  if (value.isString()) return ResolveString(value.asString(), path, origin, depth);
  if (value.isObject()) {
    Json::Value out(Json::objectValue);
    bool ok = true;
    for (const std::string& key : value.getMemberNames()) {
      std::optional<Json::Value> member =
          ResolveValue(value[key], PathMember(path, key), origin, depth);
      if (member) {
        out[key] = std::move(*member);
      } else {
        ok = false;
      }
    }
    if (!ok) return std::nullopt;
    return out;
  }
  if (value.isArray()) {
    Json::Value out(Json::arrayValue);
    bool ok = true;
    for (Json::ArrayIndex i = 0; i < value.size(); ++i) {
      std::optional<Json::Value> item = ResolveValue(value[i], PathIndex(path, i), origin, depth);
      if (item) {
        out.append(std::move(*item));
      } else {
        ok = false;
      }
    }
    if (!ok) return std::nullopt;
    return out;
  }
  return value;
}

std::optional<Json::Value> VariableResolver::ResolveString(const std::string& text,
                                                           const std::string& path,
                                                           const Origin& origin, int depth) {
  std::string out;
  size_t pos = 0;
  while (pos < text.size()) {
    const size_t open = text.find("${", pos);
    if (open == std::string::npos) {
      out += text.substr(pos);
      break;
    }
    out += text.substr(pos, open - pos);
    const size_t close = ClosingBrace(text, open);
    const std::string inner =
        text.substr(open + 2, close == std::string::npos ? std::string::npos : close - open - 2);
    if (!LooksLikeVariable(inner)) {
      // CloudFormation's ${AWS::Region} and the like: kept for the intrinsics.
      const size_t end = close == std::string::npos ? text.size() : close + 1;
      out += text.substr(open, end - open);
      pos = end;
      continue;
    }
    if (close == std::string::npos) {
      Problem(origin, path, "a variable closed by '}'",
              DescribeValue(Json::Value(text.substr(open))));
      return std::nullopt;
    }
    std::optional<Json::Value> value = ResolveVariable(inner, path, origin, depth + 1);
    if (!value) return std::nullopt;
    if (open == 0 && close + 1 == text.size()) return value;  // the whole string: any type
    std::optional<std::string> piece = Stringify(*value);
    if (!piece) {
      Problem(origin, path,
              "a variable inside a longer string to give a string, number or boolean",
              "${" + inner + "} giving " + DescribeValue(*value));
      return std::nullopt;
    }
    out += *piece;
    pos = close + 1;
  }
  return Json::Value(out);
}

std::optional<Json::Value> VariableResolver::ResolveVariable(const std::string& inner,
                                                             const std::string& path,
                                                             const Origin& origin, int depth) {
  if (depth > kMaxDepth) {
    Problem(origin, path, "variables nested at most " + std::to_string(kMaxDepth) + " deep",
            "${" + inner + "}");
    return std::nullopt;
  }
  bool unsupported = false;
  for (const std::string& alternative : Alternatives(inner)) {
    if (alternative.size() >= 2 && (alternative[0] == '\'' || alternative[0] == '"') &&
        alternative.back() == alternative[0]) {
      return Json::Value(alternative.substr(1, alternative.size() - 2));
    }
    if (std::optional<Json::Value> number = NumberLiteral(alternative)) return number;
    if (alternative == "true" || alternative == "false") return Json::Value(alternative == "true");
    if (alternative == "null") continue;
    if (alternative.rfind("${", 0) == 0 && ClosingBrace(alternative, 0) + 1 == alternative.size()) {
      std::optional<Json::Value> nested = ResolveString(alternative, path, origin, depth);
      if (!nested) return std::nullopt;
      if (!nested->isNull()) return nested;
      continue;
    }
    std::optional<std::string> reference = Interpolate(alternative, path, origin, depth);
    if (!reference) return std::nullopt;
    Json::Value value;
    switch (Lookup(*reference, path, origin, depth, &value)) {
      case Found::kValue:
        if (!value.isNull()) return value;
        break;
      case Found::kMissing:
        break;
      case Found::kUnsupported:
        unsupported = true;
        break;
      case Found::kFailed:
        return std::nullopt;
    }
  }
  if (unsupported) return Json::Value("");  // its warning says so
  const std::vector<std::string> alternatives = Alternatives(inner);
  std::string how = "a value from ${" + inner + "}";
  if (alternatives.size() == 1) {
    const std::string& only = alternatives[0];
    if (only.rfind("env:", 0) == 0) {
      how += " (set " + only.substr(4) + " in the environment or a .env file with useDotenv: true";
    } else if (only.rfind("opt:", 0) == 0 || only.rfind("param:", 0) == 0) {
      const std::string name = only.substr(only.find(':') + 1);
      how += name == "stage" ? " (give --stage NAME" : " (give --parameter " + name + "=VALUE";
    } else {
      how += " (declare it";
    }
    how += ", or give a fallback: ${" + only + ", 'value'})";
  }
  Problem(origin, path, how, "nothing: no source and no fallback gives a value");
  return std::nullopt;
}

std::optional<std::string> VariableResolver::Interpolate(const std::string& text,
                                                         const std::string& path,
                                                         const Origin& origin, int depth) {
  if (text.find("${") == std::string::npos) return text;
  std::optional<Json::Value> value = ResolveString(text, path, origin, depth);
  if (!value) return std::nullopt;
  std::optional<std::string> s = Stringify(*value);
  if (!s) {
    Problem(origin, path, "a variable reference", DescribeValue(*value));
    return std::nullopt;
  }
  return s;
}

VariableResolver::Found VariableResolver::Lookup(const std::string& reference,
                                                 const std::string& path, const Origin& origin,
                                                 int depth, Json::Value* out) {
  if (reference.rfind("file(", 0) == 0) return FileAt(reference, path, origin, depth, out);
  if (reference.rfind("strToBool(", 0) == 0 && reference.back() == ')') {
    const std::string arg = Trim(reference.substr(10, reference.size() - 11));
    if (arg == "true" || arg == "1") {
      *out = true;
    } else if (arg == "false" || arg == "0" || arg.empty()) {
      *out = false;
    } else {
      Problem(origin, path, "strToBool of true, false, 1 or 0", DescribeValue(Json::Value(arg)));
      return Found::kFailed;
    }
    return Found::kValue;
  }
  const size_t colon = reference.find(':');
  if (colon == std::string::npos) {
    Problem(origin, path, "a variable such as ${self:custom.name} or ${env:NAME, 'default'}",
            DescribeValue(Json::Value("${" + reference + "}")));
    return Found::kFailed;
  }
  const std::string source = reference.substr(0, colon);
  const std::string address = Trim(reference.substr(colon + 1));
  auto from_map = [&](const std::map<std::string, std::string>& map) {
    auto it = map.find(address);
    if (it == map.end()) return Found::kMissing;
    *out = it->second;
    return Found::kValue;
  };
  if (source == "self") return SelfAt(address, path, origin, depth, out);
  if (source == "opt") return from_map(sources_.options);  // stage, region: --stage, AWS::Region
  if (source == "env") return from_map(sources_.environment);
  if (source == "sls" && address == "stage") {
    *out = Stage();
    return Found::kValue;
  }
  if (source == "sls" && address == "instanceId") {
    *out = "wsgwlocal";
    return Found::kValue;
  }
  if (source == "aws" && address == "accountId") {
    *out = sources_.accountId;
    return Found::kValue;
  }
  if (source == "aws" && address == "region") {  // --parameter AWS::Region, provider.region
    if (auto it = sources_.options.find("region"); it != sources_.options.end()) {
      *out = it->second;
      return Found::kValue;
    }
    if (!MemberOf(MemberOf(doc_.root, "provider"), "region").isNull()) {
      const Found found = SelfAt("provider.region", path, origin, depth, out);
      if (found != Found::kMissing) return found;
    }
    *out = sources_.region;
    return Found::kValue;
  }
  if (source == "param") {
    if (from_map(sources_.options) == Found::kValue) return Found::kValue;
    for (const std::string& section : {Stage(), std::string("default")}) {
      Found found = SelfAt("params." + section + "." + address, path, origin, depth, out);
      if (found != Found::kMissing) return found;
    }
    return Found::kMissing;
  }
  const std::string key = origin.file + ":" + path + ":" + reference;
  if (warned_.insert(key).second) {
    Warning(origin, path, "give a fallback for local runs: ${" + reference + ", 'local value'}",
            "${" + reference + "}: " + UnsupportedWhy(source) +
                "; using its fallback if it has one, else an empty string");
  }
  return Found::kUnsupported;
}

VariableResolver::Found VariableResolver::SelfAt(const std::string& address,
                                                 const std::string& path, const Origin& origin,
                                                 int depth, Json::Value* out) {
  const std::string key = "self:" + address;
  if (resolving_.count(key) != 0) {
    Problem(origin, path, "variables that do not refer to themselves",
            "${" + key + "} depends on itself");
    return Found::kFailed;
  }
  resolving_.insert(key);
  Json::Value node = doc_.root;
  std::string node_path;
  Found found = Found::kValue;
  std::stringstream segments(address);
  std::string segment;
  while (found == Found::kValue && std::getline(segments, segment, '.')) {
    if (segment.empty()) continue;
    if (node.isString() && node.asString().find("${") != std::string::npos) {
      std::optional<Json::Value> resolved =
          ResolveValue(node, node_path, Origin{file_, &doc_}, depth + 1);
      if (!resolved) {
        found = Found::kFailed;
        break;
      }
      node = std::move(*resolved);
    }
    if (node.isObject() && node.isMember(segment)) {
      node = Json::Value(node[segment]);
      node_path = PathMember(node_path, segment);
    } else if (node.isArray() && !segment.empty() &&
               segment.find_first_not_of("0123456789") == std::string::npos &&
               segment.size() < 9 && std::stoul(segment) < node.size()) {
      const auto index = static_cast<Json::ArrayIndex>(std::stoul(segment));
      node = Json::Value(node[index]);
      node_path = PathIndex(node_path, index);
    } else {
      found = Found::kMissing;
    }
  }
  if (found == Found::kValue) {
    std::optional<Json::Value> resolved =
        ResolveValue(node, node_path, Origin{file_, &doc_}, depth + 1);
    if (resolved) {
      *out = std::move(*resolved);
    } else {
      found = Found::kFailed;
    }
  }
  resolving_.erase(key);
  return found;
}

VariableResolver::Found VariableResolver::FileAt(const std::string& reference,
                                                 const std::string& path, const Origin& origin,
                                                 int depth, Json::Value* out) {
  const size_t close = reference.find(')');
  if (close == std::string::npos) {
    Problem(origin, path, "${file(./path.yml)} or ${file(./path.yml):key}",
            DescribeValue(Json::Value("${" + reference + "}")));
    return Found::kFailed;
  }
  std::string relative = Trim(reference.substr(5, close - 5));
  if (relative.size() >= 2 && (relative[0] == '\'' || relative[0] == '"') &&
      relative.back() == relative[0]) {
    relative = relative.substr(1, relative.size() - 2);
  }
  std::string address;
  if (close + 1 < reference.size()) {
    if (reference[close + 1] != ':') {
      Problem(origin, path, "${file(./path.yml)} or ${file(./path.yml):key}",
              DescribeValue(Json::Value("${" + reference + "}")));
      return Found::kFailed;
    }
    address = Trim(reference.substr(close + 2));
  }
  const fs::path file = (fs::path(sources_.dir) / relative).lexically_normal();
  const std::string extension = file.extension().string();
  if (extension == ".js" || extension == ".cjs" || extension == ".mjs" || extension == ".ts") {
    Warning(origin, path, "use a YAML or JSON file, or give a fallback",
            "${" + reference + "}: wsgw does not run JavaScript configuration files; using its "
            "fallback if it has one, else an empty string");
    return Found::kUnsupported;
  }
  auto cached = files_.find(file.string());
  if (cached == files_.end()) {
    std::ifstream in(file, std::ios::binary);
    std::error_code ec;
    if (!in || fs::is_directory(file, ec)) return Found::kMissing;  // serverless: null
    std::ostringstream text;
    text << in.rdbuf();
    YamlError error;
    std::optional<YamlDocument> doc = ParseYamlDocument(text.str(), &error);
    if (!doc) {
      Problem(origin, path, "a YAML or JSON file for ${" + reference + "}",
              file.string() + (error.line > 0 ? ":" + std::to_string(error.line) : "") + ": " +
                  error.message);
      return Found::kFailed;
    }
    cached = files_.emplace(file.string(), std::make_unique<YamlDocument>(std::move(*doc))).first;
  }
  const YamlDocument& doc = *cached->second;
  const Origin included{file.string(), &doc};
  Json::Value node = doc.root;
  std::string node_path;
  std::stringstream segments(address);
  std::string segment;
  while (std::getline(segments, segment, '.')) {
    if (segment.empty()) continue;
    if (!node.isObject() || !node.isMember(segment)) return Found::kMissing;
    node = Json::Value(node[segment]);
    node_path = PathMember(node_path, segment);
  }
  std::optional<Json::Value> resolved = ResolveValue(node, node_path, included, depth + 1);
  if (!resolved) return Found::kFailed;
  *out = std::move(*resolved);
  return Found::kValue;
}

std::string VariableResolver::Where(const Origin& origin, const std::string& path) const {
  const int line = origin.doc != nullptr ? origin.doc->LineOf(path) : 0;
  return line == 0 ? origin.file : origin.file + ":" + std::to_string(line);
}

void VariableResolver::Problem(const Origin& origin, const std::string& path,
                               std::string expected, std::string found) {
  problems_.push_back(ConfigProblem{Where(origin, path), path.empty() ? "(file)" : path,
                                    std::move(expected), std::move(found)});
}

void VariableResolver::Warning(const Origin& origin, const std::string& path,
                               std::string expected, std::string found) {
  warnings_.push_back(ConfigProblem{Where(origin, path), path.empty() ? "(file)" : path,
                                    std::move(expected), std::move(found)});
}

std::map<std::string, std::string> ParseDotenv(
    const std::string& text, const std::map<std::string, std::string>& environment) {
  std::map<std::string, std::string> parsed;
  auto lookup = [&](const std::string& name) -> std::string {
    if (auto it = environment.find(name); it != environment.end()) return it->second;
    if (auto it = parsed.find(name); it != parsed.end()) return it->second;
    return "";
  };
  auto expand = [&](const std::string& value) {
    std::string out;
    for (size_t i = 0; i < value.size(); ++i) {
      if (value[i] == '\\' && i + 1 < value.size() && value[i + 1] == '$') {
        out += '$';
        ++i;
      } else if (value[i] == '$' && i + 1 < value.size() && value[i + 1] == '{') {
        const size_t close = value.find('}', i + 2);
        if (close == std::string::npos) {
          out += value.substr(i);
          break;
        }
        std::string name = value.substr(i + 2, close - i - 2);
        std::string fallback;
        if (size_t dash = name.find(":-"); dash != std::string::npos) {
          fallback = name.substr(dash + 2);
          name.resize(dash);
        }
        const std::string found = lookup(name);
        out += found.empty() ? fallback : found;
        i = close;
      } else if (value[i] == '$' && i + 1 < value.size() &&
                 (std::isalpha(static_cast<unsigned char>(value[i + 1])) != 0 ||
                  value[i + 1] == '_')) {
        size_t end = i + 1;
        while (end < value.size() && (std::isalnum(static_cast<unsigned char>(value[end])) != 0 ||
                                      value[end] == '_')) {
          ++end;
        }
        out += lookup(value.substr(i + 1, end - i - 1));
        i = end - 1;
      } else {
        out += value[i];
      }
    }
    return out;
  };
  std::stringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    std::string trimmed = Trim(line);
    if (trimmed.empty() || trimmed[0] == '#') continue;
    if (trimmed.rfind("export ", 0) == 0) trimmed = Trim(trimmed.substr(7));
    const size_t equals = trimmed.find('=');
    if (equals == std::string::npos) continue;
    const std::string key = Trim(trimmed.substr(0, equals));
    if (key.empty()) continue;
    std::string value = Trim(trimmed.substr(equals + 1));
    if (!value.empty() && (value[0] == '\'' || value[0] == '"' || value[0] == '`')) {
      const char quote = value[0];
      const size_t end = value.find(quote, 1);
      std::string inner = value.substr(1, end == std::string::npos ? std::string::npos : end - 1);
      if (quote == '"') {
        std::string unescaped;
        for (size_t i = 0; i < inner.size(); ++i) {
          if (inner[i] == '\\' && i + 1 < inner.size() && inner[i + 1] == 'n') {
            unescaped += '\n';
            ++i;
          } else {
            unescaped += inner[i];
          }
        }
        inner = expand(unescaped);
      }
      parsed[key] = inner;
      continue;
    }
    if (size_t hash = value.find(" #"); hash != std::string::npos) value = Trim(value.substr(0, hash));
    parsed[key] = expand(value);
  }
  return parsed;
}

}  // namespace wsgw
