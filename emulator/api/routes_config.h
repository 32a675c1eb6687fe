// routes.json: the description of one WebSocket API (SPEC.md "routes.json"), loaded strictly.
// Every problem in a file is reported, each naming the file, the JSON path, what was expected
// and what was found; a file with any problem yields no config.
//
// Paths start at "$"; an object key that is only letters, digits, '_', '-' and '$' follows a dot
// ($.routes.$default.function, $.functions.chat.command[0]); any other key is bracketed and
// JSON-quoted ($.routes["chat.send"], $.routes[""]). A problem with the whole file (unreadable,
// not JSON, not an object) has path "$". Found values read: "nodee" (strings, quoted),
// a number (42), a boolean (true), null, an array, an object, nothing (the key is missing).
// Problems come section by section, keys in sorted order (jsoncpp does not keep file order).
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "api/selection_expression.h"

namespace wsgw {

struct Limits {
  int maxMessageBytes = 131072;
  int maxFrameBytes = 32768;
  int idleTimeoutSeconds = 600;
  int maxConnectionSeconds = 7200;
  int integrationTimeoutMs = 29000;
};

struct FunctionConfig {
  enum class Kind { kUrl, kCommand, kRuntime };
  std::string name;
  Kind kind = Kind::kUrl;
  std::string url;                        // kUrl
  std::vector<std::string> command;       // kCommand; command[0] resolved against the file's folder
  std::string runtime;                    // kRuntime: "nodejs" or "python"
  std::string handler;                    // kRuntime: "path/file.export"
  std::map<std::string, std::string> env; // kCommand, kRuntime
  int timeoutMs = 29000;                  // the function's own timeoutMs, else limits.integrationTimeoutMs
  // kRuntime: the folder the handler resolves against and the process runs in, absolute; empty
  // means the API's dir (routes.json). A template's CodeUri or CDK asset folder sets it.
  std::string codeDir;
  // Set by the gateway for kCommand/kRuntime functions: the url of the process it started.
  bool supervised = false;
  // kRuntime: at most this many execution environments at once ("concurrency", like Lambda's
  // reserved concurrency); 0 means DefaultConcurrency().
  int concurrency = 0;
  // kRuntime: invocations that wait for an environment when all `concurrency` are busy
  // ("maxQueued"); past it they are throttled. -1 means kQueuedPerEnvironment per environment.
  int maxQueued = -1;
  // Set by the gateway for nodejs functions: one invoke url per execution environment, served
  // by that environment itself (lambda-bridge/hosts/README.md); the invoker dispatches to them.
  std::vector<std::string> environmentUrls;
};

inline constexpr int kMaxConcurrency = 64;
inline constexpr int kQueuedPerEnvironment = 50;
inline constexpr int kMaxQueued = 100000;
// The machine's cores, at least 2 and at most 16.
int DefaultConcurrency();
int ConcurrencyOf(const FunctionConfig& function);
int MaxQueuedOf(const FunctionConfig& function);

// A Lambda REQUEST authorizer, attachable only to $connect (AWS-NOTES section 6). routes.json
// ("identitySource" defaults to ["route.request.header.Authorization"], CDK's default; "name"
// to the function's name):
//   "$connect": { "function": "connect",
//                 "authorizer": { "function": "auth",
//                                 "identitySource": ["route.request.header.Authorization"] } }
// A template's AWS::ApiGatewayV2::Authorizer or serverless.yml's websocket authorizer maps here.
struct AuthorizerConfig {
  std::string name;      // for logs: the template's logical id, serverless's name, else function
  std::string function;  // a key of ApiConfig::functions
  // "route.request.header.<Name>" (name case-insensitive) or "route.request.querystring.<name>";
  // a connect missing any of them is refused with 401 before the function is called.
  std::vector<std::string> identitySources;
};

struct RouteConfig {
  std::string key;
  std::string function;
  bool routeResponse = false;
  std::optional<AuthorizerConfig> authorizer;  // only on $connect
};

// A DynamoDB table the API's functions use ("tables"), created at start-up when missing.
struct TableKeyConfig {
  std::string name;
  std::string type = "S";  // "S", "N" or "B"
};

struct TableIndexConfig {
  std::string name;
  bool local = false;  // a local secondary index (same hash key as the table)
  TableKeyConfig hashKey;
  std::optional<TableKeyConfig> rangeKey;
  std::string projection = "ALL";            // "ALL", "KEYS_ONLY" or "INCLUDE"
  std::vector<std::string> nonKeyAttributes;  // INCLUDE
};

struct TableConfig {
  std::string name;
  TableKeyConfig hashKey;
  std::optional<TableKeyConfig> rangeKey;
  std::vector<TableIndexConfig> indexes;
  std::optional<std::string> ttlAttribute;
};

struct ApiConfig {
  std::string file;        // the routes file as given
  std::string dir;         // its folder, absolute; relative paths resolve against it
  std::string name;        // "name", default: the file name without extension
  std::string stage;       // "stage", default "local"
  // "apiId" (1 to 63 lowercase letters and digits: the id deployed code has in its
  // https://{apiId}.execute-api.{region}.amazonaws.com endpoint), else 10 derived from name and
  // stage (stable). It is requestContext.apiId, and picks the API of an @connections request
  // whose Host is that endpoint's when several are served.
  std::string apiId;
  bool apiIdConfigured = false;              // set by "apiId": --stage does not change it
  std::string routeSelectionExpressionText;  // default "$request.body.action"
  std::optional<SelectionExpression> routeSelection;  // always set when loading succeeded
  std::map<std::string, FunctionConfig> functions;
  std::map<std::string, RouteConfig> routes;
  Limits limits;
  std::vector<TableConfig> tables;  // in name order

  const RouteConfig* FindRoute(const std::string& key) const;
  const FunctionConfig* FunctionFor(const std::string& route_key) const;  // null if no route
  std::vector<std::string> RouteKeys() const;
};

struct ConfigProblem {
  std::string file;
  std::string path;      // JSON path, e.g. "$.routes.sendPublic.function"
  std::string expected;
  std::string found;
  // "routes.json: $.routes.sendPublic.function: expected the name of a function in
  //  $.functions, found \"nodee\""
  std::string ToString() const;
};

struct LoadResult {
  std::optional<ApiConfig> api;
  std::vector<ConfigProblem> problems;  // empty exactly when api is set
};

// Whether wsgw can check `source` before calling an authorizer: "route.request.header.<Name>" or
// "route.request.querystring.<name>", the name of letters, digits, '.', '_' and '-'. When not,
// `expected` (if given) says what would be, for a problem's "expected".
bool IsSupportedIdentitySource(const std::string& source, std::string* expected = nullptr);

// Whether `stage` may name a stage: letters, digits, '_' and '-', not "@connections".
bool IsValidStageName(const std::string& stage);

// The apiId an API with this name and stage gets: 10 lowercase alphanumerics, stable.
std::string ApiIdFor(const std::string& name, const std::string& stage);

// The host a "runtime" runs on: "nodejs" for "nodejs" and Lambda's "nodejs18.x" to
// "nodejs24.x", "python" for "python", "python3" and "python3.8" to "python3.14"; "" otherwise.
std::string RuntimeHost(const std::string& runtime);

// Reads and validates a routes file.
LoadResult LoadRoutesFile(const std::string& path);

// Validates routes JSON text; `file` names it in problems, `dir` resolves relative paths.
LoadResult ParseRoutes(const std::string& json_text, const std::string& file,
                       const std::string& dir);

}  // namespace wsgw
