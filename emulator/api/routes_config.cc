#include "api/routes_config.h"

#include <json/json.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <thread>
#include <limits>
#include <memory>
#include <set>
#include <sstream>
#include <string_view>

#include "base/json.h"
#include "base/suggest.h"

namespace wsgw {
namespace {

namespace fs = std::filesystem;

bool IsPlainKey(const std::string& key) {
  if (key.empty()) return false;
  for (char c : key) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '-' || c == '$';
    if (!ok) return false;
  }
  return true;
}

std::string Quote(const std::string& s) {
  std::string out;
  AppendJsonString(out, s, ShortEscapes::kNewlineOnly);
  return out;
}

std::string Member(const std::string& path, const std::string& key) {
  return IsPlainKey(key) ? path + "." + key : path + "[" + Quote(key) + "]";
}

std::string Index(const std::string& path, Json::ArrayIndex i) {
  return path + "[" + std::to_string(i) + "]";
}

// What a user wrote, in a few words: strings as quoted text (shortened), other values by kind.
std::string Describe(const Json::Value& v) {
  switch (v.type()) {
    case Json::nullValue:
      return "null";
    case Json::booleanValue:
      return std::string("a boolean (") + (v.asBool() ? "true" : "false") + ")";
    case Json::intValue:
      return "a number (" + std::to_string(v.asLargestInt()) + ")";
    case Json::uintValue:
      return "a number (" + std::to_string(v.asLargestUInt()) + ")";
    case Json::realValue: {
      char buffer[64];
      auto result = std::to_chars(buffer, buffer + sizeof buffer, v.asDouble());
      return "a number (" + std::string(buffer, result.ptr) + ")";
    }
    case Json::stringValue: {
      constexpr size_t kMax = 80;
      const std::string s = v.asString();
      return s.size() <= kMax ? Quote(s) : Quote(s.substr(0, kMax)) + "...";
    }
    case Json::arrayValue:
      return v.empty() ? "an empty array" : "an array";
    case Json::objectValue:
      return v.empty() ? "an empty object" : "an object";
  }
  return "a value";
}

std::string JoinQuoted(const std::vector<std::string>& items) {
  std::string out;
  for (size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out += (i + 1 == items.size()) ? " or " : ", ";
    out += Quote(items[i]);
  }
  return out;
}

// jsoncpp reports "* Line 3, Column 5\n  Missing ',' ...\n" per error, and every error after
// the first is usually a consequence of its recovery, so only the first is kept, on one line.
std::string FirstError(const std::string& jsoncpp_errors) {
  std::istringstream in(jsoncpp_errors);
  std::string line;
  std::string out;
  while (std::getline(in, line)) {
    const size_t first = line.find_first_not_of(" \t");
    if (first == std::string::npos) continue;
    line = line.substr(first);
    if (line.rfind("* ", 0) == 0) {
      if (!out.empty()) break;
      out = line.substr(2);
    } else {
      out += out.empty() ? line : ": " + line;
      break;
    }
  }
  return out.empty() ? "invalid JSON" : out;
}

constexpr char kMissing[] = "nothing (the key is missing)";

class Validator {
 public:
  Validator(std::string file, std::string dir) : file_(std::move(file)), dir_(std::move(dir)) {}

  LoadResult Validate(const Json::Value& root);

 private:
  void Problem(std::string path, std::string expected, std::string found) {
    problems_.push_back(
        ConfigProblem{file_, std::move(path), std::move(expected), std::move(found)});
  }

  // Reports every key of `object` not in `allowed`.
  void CheckKeys(const Json::Value& object, const std::string& path,
                 const std::vector<std::string>& allowed) {
    const std::set<std::string> known(allowed.begin(), allowed.end());
    for (const std::string& key : object.getMemberNames()) {
      if (known.count(key) == 0) {
        Problem(Member(path, key), "one of the keys " + JoinQuoted(allowed),
                "an unknown key " + Quote(key) + DidYouMean(key, allowed));
      }
    }
  }

  std::optional<std::string> String(const Json::Value& v, const std::string& path) {
    if (v.isString()) return v.asString();
    Problem(path, "a string", Describe(v));
    return std::nullopt;
  }

  // isInt() also accepts 42.0, which JSON does not distinguish from 42.
  std::optional<int> PositiveInt(const Json::Value& v, const std::string& path,
                                 int max = std::numeric_limits<int>::max()) {
    if (v.isInt() && v.asInt() >= 1 && v.asInt() <= max) return v.asInt();
    Problem(path,
            max == std::numeric_limits<int>::max() ? std::string("a positive integer")
                                                   : "an integer from 1 to " + std::to_string(max),
            Describe(v));
    return std::nullopt;
  }

  void ValidateLimits(const Json::Value& v, ApiConfig* api);
  void ValidateFunctions(const Json::Value& v, ApiConfig* api);
  std::optional<FunctionConfig> ValidateFunction(const std::string& name, const Json::Value& v,
                                                 const std::string& path);
  void ValidateRoutes(const Json::Value& v, const Json::Value& functions, ApiConfig* api);
  std::optional<AuthorizerConfig> ValidateAuthorizer(const Json::Value& v, const std::string& path,
                                                     const std::string& route_key,
                                                     const Json::Value& functions,
                                                     const std::string& expected_function);
  void ValidateTables(const Json::Value& v, ApiConfig* api);
  std::optional<TableKeyConfig> TableKey(const Json::Value& v, const std::string& path);
  std::optional<TableIndexConfig> TableIndex(const std::string& name, const Json::Value& v,
                                             const std::string& path);

  std::string file_;
  std::string dir_;
  std::vector<ConfigProblem> problems_;
  // Functions without their own timeoutMs, which inherit limits.integrationTimeoutMs.
  std::set<std::string> default_timeout_;
};

bool IsStageName(const std::string& s) {
  if (s.empty()) return false;
  for (char c : s) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

// Lambda's own rule for function names; the name becomes AWS_LAMBDA_FUNCTION_NAME and a path
// segment of the Invoke API.
bool IsFunctionName(const std::string& s) { return s.size() <= 64 && IsStageName(s); }

bool IsApiId(const std::string& s) {
  if (s.empty() || s.size() > 63) return false;
  for (char c : s) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))) return false;
  }
  return true;
}

std::string HashApiId(const std::string& name, const std::string& stage) {
  uint64_t hash = 14695981039346656037ull;
  auto mix = [&hash](unsigned char c) {
    hash ^= c;
    hash *= 1099511628211ull;
  };
  for (char c : name) mix(static_cast<unsigned char>(c));
  mix(0);
  for (char c : stage) mix(static_cast<unsigned char>(c));
  static constexpr char kDigits[] = "0123456789abcdefghijklmnopqrstuvwxyz";
  std::string id(10, '0');
  for (int i = 9; i >= 0; --i) {
    id[i] = kDigits[hash % 36];
    hash /= 36;
  }
  return id;
}

LoadResult Validator::Validate(const Json::Value& root) {
  ApiConfig api;
  api.file = file_;
  api.dir = dir_;
  if (!root.isObject()) {
    Problem("$", "a JSON object", Describe(root));
    return LoadResult{std::nullopt, std::move(problems_)};
  }
  CheckKeys(root, "$",
            {"name", "stage", "apiId", "routeSelectionExpression", "functions", "routes", "limits",
             "tables"});

  api.name = fs::path(file_).stem().string();
  if (api.name.empty()) api.name = "api";
  if (root.isMember("name")) {
    if (auto name = String(root["name"], "$.name")) {
      if (name->empty()) {
        Problem("$.name", "a non-empty name", Describe(root["name"]));
      } else {
        api.name = *name;
      }
    }
  }

  api.stage = "local";
  if (root.isMember("stage")) {
    if (auto stage = String(root["stage"], "$.stage")) {
      if (!IsStageName(*stage) || *stage == "@connections") {
        Problem("$.stage", "a stage name made of letters, digits, '_' and '-'",
                Describe(root["stage"]));
      } else {
        api.stage = *stage;
      }
    }
  }
  api.apiId = HashApiId(api.name, api.stage);
  if (root.isMember("apiId")) {
    if (auto id = String(root["apiId"], "$.apiId")) {
      if (!IsApiId(*id)) {
        Problem("$.apiId",
                "an API id of 1 to 63 lowercase letters and digits, as in "
                "https://{apiId}.execute-api.{region}.amazonaws.com",
                Describe(root["apiId"]));
      } else {
        api.apiId = *id;
        api.apiIdConfigured = true;
      }
    }
  }

  api.routeSelectionExpressionText = "$request.body.action";
  if (root.isMember("routeSelectionExpression")) {
    const Json::Value& v = root["routeSelectionExpression"];
    if (auto text = String(v, "$.routeSelectionExpression")) {
      api.routeSelectionExpressionText = *text;
    }
  }
  std::string expression_error;
  api.routeSelection =
      SelectionExpression::Parse(api.routeSelectionExpressionText, &expression_error);
  if (!api.routeSelection && root["routeSelectionExpression"].isString()) {
    Problem("$.routeSelectionExpression", "a selection expression such as \"$request.body.action\"",
            Describe(root["routeSelectionExpression"]) + " (" + expression_error + ")");
  }

  if (root.isMember("limits")) ValidateLimits(root["limits"], &api);

  if (!root.isMember("functions")) {
    Problem("$.functions", "an object of function definitions", kMissing);
  } else {
    ValidateFunctions(root["functions"], &api);
  }
  for (const std::string& name : default_timeout_) {
    api.functions[name].timeoutMs = api.limits.integrationTimeoutMs;
  }

  if (!root.isMember("routes")) {
    Problem("$.routes", "an object of routes", kMissing);
  } else {
    ValidateRoutes(root["routes"], root["functions"], &api);
  }

  if (root.isMember("tables")) ValidateTables(root["tables"], &api);

  if (!problems_.empty()) return LoadResult{std::nullopt, std::move(problems_)};
  return LoadResult{std::move(api), {}};
}

// DynamoDB's rule for table and index names.
bool IsTableName(const std::string& s) {
  if (s.size() < 3 || s.size() > 255) return false;
  for (char c : s) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-' && c != '.') {
      return false;
    }
  }
  return true;
}

// "connectionId" (a string key), or {"name": "score", "type": "N"}.
std::optional<TableKeyConfig> Validator::TableKey(const Json::Value& v, const std::string& path) {
  constexpr char kExpected[] =
      "an attribute name (a string key) or {\"name\": ..., \"type\": \"S\" | \"N\" | \"B\"}";
  if (v.isString() && !v.asString().empty()) return TableKeyConfig{v.asString(), "S"};
  if (!v.isObject()) {
    Problem(path, kExpected, Describe(v));
    return std::nullopt;
  }
  CheckKeys(v, path, {"name", "type"});
  TableKeyConfig key;
  if (!v["name"].isString() || v["name"].asString().empty()) {
    Problem(path + ".name", "an attribute name", v.isMember("name") ? Describe(v["name"]) : kMissing);
    return std::nullopt;
  }
  key.name = v["name"].asString();
  if (v.isMember("type")) {
    std::string type = v["type"].isString() ? v["type"].asString() : "";
    if (type != "S" && type != "N" && type != "B") {
      Problem(path + ".type", "\"S\", \"N\" or \"B\"", Describe(v["type"]));
      return std::nullopt;
    }
    key.type = type;
  }
  return key;
}

std::optional<TableIndexConfig> Validator::TableIndex(const std::string& name,
                                                      const Json::Value& v,
                                                      const std::string& path) {
  if (!v.isObject()) {
    Problem(path, "an index: {\"hashKey\": ..., \"rangeKey\": ..., \"projection\": ...}",
            Describe(v));
    return std::nullopt;
  }
  CheckKeys(v, path, {"hashKey", "rangeKey", "projection", "local"});
  TableIndexConfig index;
  index.name = name;
  bool ok = true;
  if (!IsTableName(name)) {
    Problem(path, "an index name of 3 to 255 letters, digits, '_', '-' and '.'", Quote(name));
    ok = false;
  }
  if (v.isMember("local")) {
    if (v["local"].isBool()) {
      index.local = v["local"].asBool();
    } else {
      Problem(path + ".local", "true or false", Describe(v["local"]));
      ok = false;
    }
  }
  if (!v.isMember("hashKey")) {
    Problem(path + ".hashKey", "the index's hash key", kMissing);
    ok = false;
  } else if (auto key = TableKey(v["hashKey"], path + ".hashKey")) {
    index.hashKey = *key;
  } else {
    ok = false;
  }
  if (v.isMember("rangeKey")) {
    if (auto key = TableKey(v["rangeKey"], path + ".rangeKey")) {
      index.rangeKey = *key;
    } else {
      ok = false;
    }
  }
  if (v.isMember("projection")) {
    const Json::Value& projection = v["projection"];
    if (projection.isString() &&
        (projection.asString() == "ALL" || projection.asString() == "KEYS_ONLY")) {
      index.projection = projection.asString();
    } else if (projection.isArray() && !projection.empty()) {
      index.projection = "INCLUDE";
      for (Json::ArrayIndex i = 0; i < projection.size(); ++i) {
        if (projection[i].isString() && !projection[i].asString().empty()) {
          index.nonKeyAttributes.push_back(projection[i].asString());
        } else {
          Problem(Index(path + ".projection", i), "an attribute name", Describe(projection[i]));
          ok = false;
        }
      }
    } else {
      Problem(path + ".projection",
              "\"ALL\", \"KEYS_ONLY\" or an array of the attributes to include", Describe(projection));
      ok = false;
    }
  }
  if (!ok) return std::nullopt;
  return index;
}

void Validator::ValidateTables(const Json::Value& v, ApiConfig* api) {
  if (!v.isObject()) {
    Problem("$.tables", "an object of DynamoDB tables (name to table)", Describe(v));
    return;
  }
  for (const std::string& name : v.getMemberNames()) {
    std::string path = Member("$.tables", name);
    const Json::Value& t = v[name];
    if (!IsTableName(name)) {
      Problem(path, "a table name of 3 to 255 letters, digits, '_', '-' and '.'", Quote(name));
      continue;
    }
    if (!t.isObject()) {
      Problem(path, "a table: {\"hashKey\": ..., \"rangeKey\": ..., \"indexes\": ..., \"ttlAttribute\": ...}",
              Describe(t));
      continue;
    }
    CheckKeys(t, path, {"hashKey", "rangeKey", "indexes", "ttlAttribute"});
    TableConfig table;
    table.name = name;
    if (!t.isMember("hashKey")) {
      Problem(path + ".hashKey", "the table's hash (partition) key", kMissing);
    } else if (auto key = TableKey(t["hashKey"], path + ".hashKey")) {
      table.hashKey = *key;
    }
    if (t.isMember("rangeKey")) {
      if (auto key = TableKey(t["rangeKey"], path + ".rangeKey")) table.rangeKey = *key;
    }
    if (t.isMember("indexes")) {
      const Json::Value& indexes = t["indexes"];
      if (!indexes.isObject()) {
        Problem(path + ".indexes", "an object of indexes (name to index)", Describe(indexes));
      } else {
        for (const std::string& index_name : indexes.getMemberNames()) {
          if (auto index = TableIndex(index_name, indexes[index_name],
                                      Member(path + ".indexes", index_name))) {
            table.indexes.push_back(std::move(*index));
          }
        }
      }
    }
    if (t.isMember("ttlAttribute")) {
      if (auto attribute = String(t["ttlAttribute"], path + ".ttlAttribute")) {
        table.ttlAttribute = *attribute;
      }
    }
    api->tables.push_back(std::move(table));
  }
}

void Validator::ValidateLimits(const Json::Value& v, ApiConfig* api) {
  if (!v.isObject()) {
    Problem("$.limits", "an object", Describe(v));
    return;
  }
  const std::vector<std::pair<std::string, int Limits::*>> fields = {
      {"maxMessageBytes", &Limits::maxMessageBytes},
      {"maxFrameBytes", &Limits::maxFrameBytes},
      {"idleTimeoutSeconds", &Limits::idleTimeoutSeconds},
      {"maxConnectionSeconds", &Limits::maxConnectionSeconds},
      {"integrationTimeoutMs", &Limits::integrationTimeoutMs},
  };
  std::vector<std::string> allowed;
  for (const auto& [key, field] : fields) allowed.push_back(key);
  CheckKeys(v, "$.limits", allowed);
  for (const auto& [key, field] : fields) {
    if (!v.isMember(key)) continue;
    if (auto n = PositiveInt(v[key], "$.limits." + key)) api->limits.*field = *n;
  }
  // A smaller maxMessageBytes alone shrinks the default frame size with it instead of
  // making the user set both.
  if (!v.isMember("maxFrameBytes")) {
    api->limits.maxFrameBytes = std::min(api->limits.maxFrameBytes, api->limits.maxMessageBytes);
  } else if (api->limits.maxFrameBytes > api->limits.maxMessageBytes) {
    Problem("$.limits.maxFrameBytes",
            "at most maxMessageBytes (" + std::to_string(api->limits.maxMessageBytes) + ")",
            Describe(v["maxFrameBytes"]));
  }
}

void Validator::ValidateFunctions(const Json::Value& v, ApiConfig* api) {
  if (!v.isObject()) {
    Problem("$.functions", "an object of function definitions", Describe(v));
    return;
  }
  if (v.empty()) {
    Problem("$.functions", "at least one function", Describe(v));
    return;
  }
  for (const std::string& name : v.getMemberNames()) {
    const std::string path = Member("$.functions", name);
    if (!IsFunctionName(name)) {
      Problem(path, "a function name of 1 to 64 letters, digits, '_' and '-'", Quote(name));
    }
    if (auto function = ValidateFunction(name, v[name], path))
      api->functions[name] = std::move(*function);
  }
}

std::optional<FunctionConfig> Validator::ValidateFunction(const std::string& name,
                                                          const Json::Value& v,
                                                          const std::string& path) {
  if (!v.isObject()) {
    Problem(path, "an object with \"url\", \"command\" or \"runtime\" and \"handler\"",
            Describe(v));
    return std::nullopt;
  }
  const size_t problems_before = problems_.size();
  CheckKeys(v, path,
            {"url", "command", "runtime", "handler", "timeoutMs", "env", "concurrency", "maxQueued"});

  FunctionConfig f;
  f.name = name;
  std::vector<std::string> kinds;
  for (const char* key : {"url", "command", "runtime"}) {
    if (v.isMember(key)) kinds.push_back(key);
  }
  if (kinds.size() != 1) {
    std::string found = "none of them";
    if (kinds.size() > 1) {
      found = kinds.size() == 2 ? "both " : "all of ";
      for (size_t i = 0; i < kinds.size(); ++i) {
        if (i > 0) found += (i + 1 == kinds.size()) ? " and " : ", ";
        found += Quote(kinds[i]);
      }
    }
    Problem(path, "exactly one of \"url\", \"command\" or \"runtime\" (with \"handler\")", found);
  }

  if (v.isMember("url")) {
    f.kind = FunctionConfig::Kind::kUrl;
    if (auto url = String(v["url"], path + ".url")) {
      const bool http = url->rfind("http://", 0) == 0 && url->size() > 7;
      const bool https = url->rfind("https://", 0) == 0 && url->size() > 8;
      if (!http && !https) {
        Problem(path + ".url", "an http:// or https:// URL", Describe(v["url"]));
      }
      f.url = *url;
    }
  }

  if (v.isMember("command")) {
    f.kind = FunctionConfig::Kind::kCommand;
    const Json::Value& command = v["command"];
    if (!command.isArray() || command.empty()) {
      Problem(path + ".command", "a non-empty array of strings (the program and its arguments)",
              Describe(command));
    } else {
      for (Json::ArrayIndex i = 0; i < command.size(); ++i) {
        if (auto arg = String(command[i], Index(path + ".command", i))) {
          f.command.push_back(*arg);
        }
      }
      if (command[0].isString()) {
        std::string& program = f.command.front();
        if (program.empty()) {
          Problem(Index(path + ".command", 0), "a program name or path", Describe(command[0]));
        } else if (program.find('/') != std::string::npos && fs::path(program).is_relative()) {
          // Programs without a '/' are looked up on PATH, like a shell does.
          program = (fs::path(dir_) / program).lexically_normal().string();
        }
      }
    }
  }

  if (v.isMember("runtime")) {
    f.kind = FunctionConfig::Kind::kRuntime;
    if (auto runtime = String(v["runtime"], path + ".runtime")) {
      const std::string host = RuntimeHost(*runtime);
      if (host.empty()) {
        Problem(path + ".runtime",
                "\"nodejs\" or \"python\", or a Lambda runtime name such as \"nodejs20.x\" "
                "(nodejs18.x to nodejs24.x) or \"python3.12\"",
                Describe(v["runtime"]) +
                    DidYouMean(*runtime, {"nodejs", "python", "nodejs18.x", "nodejs20.x",
                                          "nodejs22.x", "python3.12"}));
      }
      f.runtime = host;
    }
    if (!v.isMember("handler")) {
      Problem(path + ".handler", "a handler such as \"src/app.handler\" (file.export)", kMissing);
    }
  }

  if (v.isMember("handler")) {
    if (!v.isMember("runtime")) {
      // Without any kind the "exactly one of" problem above already says what is missing.
      if (!kinds.empty()) {
        Problem(path + ".handler", "\"handler\" only together with \"runtime\"",
                Describe(v["handler"]));
      }
    } else if (auto handler = String(v["handler"], path + ".handler")) {
      const size_t slash = handler->rfind('/');
      const std::string base = slash == std::string::npos ? *handler : handler->substr(slash + 1);
      const size_t dot = base.rfind('.');
      if (dot == std::string::npos || dot == 0 || dot + 1 == base.size()) {
        Problem(path + ".handler", "a handler such as \"src/app.handler\" (file.export)",
                Describe(v["handler"]));
      }
      f.handler = *handler;
    }
  }

  if (v.isMember("timeoutMs")) {
    if (auto timeout = PositiveInt(v["timeoutMs"], path + ".timeoutMs", 900000)) {
      f.timeoutMs = *timeout;
    }
  } else {
    default_timeout_.insert(name);
  }

  for (const char* key : {"concurrency", "maxQueued"}) {
    if (!v.isMember(key)) continue;
    const std::string key_path = path + "." + key;
    if (!v.isMember("runtime")) {
      Problem(key_path, std::string("\"") + key + "\" only on a \"runtime\" function",
              Describe(v[key]));
      continue;
    }
    const Json::Value& n = v[key];
    const bool concurrency = std::string(key) == "concurrency";
    const int low = concurrency ? 1 : 0;
    const int high = concurrency ? kMaxConcurrency : kMaxQueued;
    if (!n.isInt() || n.asInt() < low || n.asInt() > high) {
      Problem(key_path,
              "an integer from " + std::to_string(low) + " to " + std::to_string(high),
              Describe(n));
      continue;
    }
    (concurrency ? f.concurrency : f.maxQueued) = n.asInt();
  }

  if (v.isMember("env")) {
    const Json::Value& env = v["env"];
    const std::string env_path = path + ".env";
    if (v.isMember("url") && !v.isMember("command") && !v.isMember("runtime")) {
      Problem(env_path, "no \"env\" on a \"url\" function (the gateway does not start it)",
              Describe(env));
    } else if (!env.isObject()) {
      Problem(env_path, "an object of environment variables (name to string value)", Describe(env));
    } else {
      for (const std::string& key : env.getMemberNames()) {
        const std::string key_path = Member(env_path, key);
        if (key.empty() || key.find('=') != std::string::npos ||
            key.find('\0') != std::string::npos) {
          Problem(key_path, "an environment variable name (non-empty, without '=')", Quote(key));
        }
        if (auto value = String(env[key], key_path)) f.env[key] = *value;
      }
    }
  }

  if (problems_.size() != problems_before) return std::nullopt;
  return f;
}

void Validator::ValidateRoutes(const Json::Value& v, const Json::Value& functions, ApiConfig* api) {
  if (!v.isObject()) {
    Problem("$.routes", "an object of routes", Describe(v));
    return;
  }
  if (v.empty()) {
    Problem("$.routes", "at least one route", Describe(v));
    return;
  }
  std::vector<std::string> function_names;
  if (functions.isObject()) function_names = functions.getMemberNames();
  std::string expected_function = "the name of a function in $.functions";
  if (!function_names.empty()) expected_function += " (" + JoinQuoted(function_names) + ")";

  for (const std::string& key : v.getMemberNames()) {
    const std::string path = Member("$.routes", key);
    const bool lifecycle = key == "$connect" || key == "$disconnect";
    if (!lifecycle && key != "$default" && (key.empty() || key[0] == '$')) {
      Problem(path,
              "\"$connect\", \"$disconnect\", \"$default\" or a custom route key that does not "
              "start with '$'",
              Quote(key));
    }
    const Json::Value& route = v[key];
    if (!route.isObject()) {
      Problem(path, "an object with \"function\"", Describe(route));
      continue;
    }
    CheckKeys(route, path, {"function", "routeResponse", "authorizer"});
    RouteConfig config;
    config.key = key;
    if (!route.isMember("function")) {
      Problem(path + ".function", expected_function, kMissing);
    } else if (auto function = String(route["function"], path + ".function")) {
      if (!functions.isObject() || !functions.isMember(*function)) {
        Problem(path + ".function", expected_function, Describe(route["function"]));
      }
      config.function = *function;
    }
    if (route.isMember("routeResponse")) {
      const Json::Value& response = route["routeResponse"];
      if (!response.isBool()) {
        Problem(path + ".routeResponse", "a boolean", Describe(response));
      } else if (lifecycle && response.asBool()) {
        Problem(path + ".routeResponse",
                "no route response on " + key +
                    " (API Gateway sends route responses only for message routes)",
                Describe(response));
      } else {
        config.routeResponse = response.asBool();
      }
    }
    if (route.isMember("authorizer")) {
      config.authorizer = ValidateAuthorizer(route["authorizer"], path + ".authorizer", key,
                                             functions, expected_function);
    }
    api->routes[key] = std::move(config);
  }
}

std::optional<AuthorizerConfig> Validator::ValidateAuthorizer(
    const Json::Value& v, const std::string& path, const std::string& route_key,
    const Json::Value& functions, const std::string& expected_function) {
  const size_t problems_before = problems_.size();
  if (route_key != "$connect") {
    Problem(path, "an authorizer only on $connect (API Gateway runs authorizers only there)",
            Describe(v));
    return std::nullopt;
  }
  if (!v.isObject()) {
    Problem(path, "an object with \"function\" and \"identitySource\"", Describe(v));
    return std::nullopt;
  }
  CheckKeys(v, path, {"function", "identitySource", "name"});
  AuthorizerConfig config;
  if (!v.isMember("function")) {
    Problem(path + ".function", expected_function, kMissing);
  } else if (auto function = String(v["function"], path + ".function")) {
    if (!functions.isObject() || !functions.isMember(*function)) {
      Problem(path + ".function", expected_function, Describe(v["function"]));
    }
    config.function = *function;
  }
  config.name = config.function;
  if (v.isMember("name")) {
    if (auto name = String(v["name"], path + ".name")) {
      if (name->empty()) {
        Problem(path + ".name", "a non-empty name", Describe(v["name"]));
      } else {
        config.name = *name;
      }
    }
  }
  if (!v.isMember("identitySource")) {
    // CDK's default for WebSocketLambdaAuthorizer (AWS-NOTES section 6).
    config.identitySources = {"route.request.header.Authorization"};
  } else {
    const Json::Value& sources = v["identitySource"];
    const std::string sources_path = path + ".identitySource";
    if (!sources.isArray() || sources.empty()) {
      Problem(sources_path,
              "a non-empty array of identity sources such as "
              "\"route.request.header.Authorization\"",
              Describe(sources));
    } else {
      for (Json::ArrayIndex i = 0; i < sources.size(); ++i) {
        const std::string item_path = Index(sources_path, i);
        std::optional<std::string> source = String(sources[i], item_path);
        if (!source) continue;
        std::string why;
        if (!IsSupportedIdentitySource(*source, &why)) {
          Problem(item_path, why, Describe(sources[i]));
          continue;
        }
        config.identitySources.push_back(*source);
      }
    }
  }
  if (problems_.size() != problems_before) return std::nullopt;
  return config;
}

LoadResult ProblemResult(const std::string& file, std::string expected, std::string found) {
  LoadResult result;
  result.problems.push_back(ConfigProblem{file, "$", std::move(expected), std::move(found)});
  return result;
}

}  // namespace

std::string ConfigProblem::ToString() const {
  return file + ": " + path + ": expected " + expected + ", found " + found;
}

const RouteConfig* ApiConfig::FindRoute(const std::string& key) const {
  auto it = routes.find(key);
  return it == routes.end() ? nullptr : &it->second;
}

const FunctionConfig* ApiConfig::FunctionFor(const std::string& route_key) const {
  const RouteConfig* route = FindRoute(route_key);
  if (route == nullptr) return nullptr;
  auto it = functions.find(route->function);
  return it == functions.end() ? nullptr : &it->second;
}

std::vector<std::string> ApiConfig::RouteKeys() const {
  std::vector<std::string> keys;
  keys.reserve(routes.size());
  for (const auto& [key, route] : routes) keys.push_back(key);
  return keys;
}

LoadResult ParseRoutes(const std::string& json_text, const std::string& file,
                       const std::string& dir) {
  // Strict, so a repeated key or a comment is reported rather than silently half-applied.
  std::string errors;
  std::optional<Json::Value> root = ParseStrictJson(json_text, DuplicateKeys::kRejected, &errors);
  if (!root) return ProblemResult(file, "a JSON object", FirstError(errors));
  std::error_code ec;
  fs::path base = (dir.empty() ? fs::current_path(ec) : fs::absolute(dir, ec)).lexically_normal();
  if (base.filename().empty() && base.has_relative_path()) base = base.parent_path();
  return Validator(file, base.string()).Validate(*root);
}

LoadResult LoadRoutesFile(const std::string& path) {
  std::error_code ec;
  if (fs::is_directory(path, ec)) {
    return ProblemResult(path, "a readable routes file", "a directory");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return ProblemResult(path, "a readable routes file", std::strerror(errno));
  }
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return ProblemResult(path, "a readable routes file", std::strerror(errno));
  const fs::path absolute = fs::absolute(path, ec);
  return ParseRoutes(text.str(), path, absolute.parent_path().string());
}

bool IsSupportedIdentitySource(const std::string& source, std::string* expected) {
  static constexpr std::string_view kHeader = "route.request.header.";
  static constexpr std::string_view kQuery = "route.request.querystring.";
  const std::string_view text = source;
  std::string_view name;
  if (text.starts_with(kHeader)) {
    name = text.substr(kHeader.size());
  } else if (text.starts_with(kQuery)) {
    name = text.substr(kQuery.size());
  } else {
    if (expected != nullptr) {
      const bool other_kind = text.starts_with("stageVariables.") || text.starts_with("context.");
      *expected = other_kind ? "\"route.request.header.<Name>\" or "
                               "\"route.request.querystring.<name>\" (stageVariables. and "
                               "context. identity sources are not supported by wsgw)"
                             : "\"route.request.header.<Name>\" or "
                               "\"route.request.querystring.<name>\"";
    }
    return false;
  }
  // CDK's rule for the name: letters, digits, '.', '_' and '-'.
  bool ok = !name.empty();
  for (char c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '_' && c != '-') {
      ok = false;
    }
  }
  if (!ok && expected != nullptr) {
    *expected = std::string(text.substr(0, text.size() - name.size())) +
                "<name> with a name of letters, digits, '.', '_' and '-'";
  }
  return ok;
}

bool IsValidStageName(const std::string& stage) {
  return IsStageName(stage) && stage != "@connections";
}

std::string ApiIdFor(const std::string& name, const std::string& stage) {
  return HashApiId(name, stage);
}

int DefaultConcurrency() {
  unsigned cores = std::thread::hardware_concurrency();
  return static_cast<int>(std::clamp(cores, 2u, 16u));
}

int ConcurrencyOf(const FunctionConfig& function) {
  if (function.concurrency > 0) return function.concurrency;
  // What bounded the host's own pool before "concurrency" existed, in the function's env.
  auto own = function.env.find("WSGW_HOST_MAX_WORKERS");
  if (own != function.env.end()) {
    int n = 0;
    const std::string& text = own->second;
    auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), n);
    if (error == std::errc() && end == text.data() + text.size() && n >= 1 && n <= kMaxConcurrency) {
      return n;
    }
  }
  return DefaultConcurrency();
}

int MaxQueuedOf(const FunctionConfig& function) {
  return function.maxQueued >= 0 ? function.maxQueued
                                 : kQueuedPerEnvironment * ConcurrencyOf(function);
}

std::string RuntimeHost(const std::string& runtime) {
  if (runtime == "nodejs" || runtime == "python") return runtime;
  auto digits = [](std::string_view text, int low, int high) {
    if (text.empty() || text.size() > 3 || text[0] == '0') return false;
    int value = 0;
    for (char c : text) {
      if (c < '0' || c > '9') return false;
      value = value * 10 + (c - '0');
    }
    return value >= low && value <= high;
  };
  const std::string_view text = runtime;
  if (text.rfind("nodejs", 0) == 0 && text.size() > 8 && text.substr(text.size() - 2) == ".x" &&
      digits(text.substr(6, text.size() - 8), 18, 24)) {
    return "nodejs";
  }
  if (text == "python3" ||
      (text.rfind("python3.", 0) == 0 && digits(text.substr(8), 8, 14))) {
    return "python";
  }
  return "";
}

}  // namespace wsgw
