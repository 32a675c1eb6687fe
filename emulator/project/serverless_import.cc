#include "project/serverless_import.h"

#include <cctype>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "project/intrinsics.h"
#include "project/serverless_variables.h"
#include "project/yaml_document.h"

namespace wsgw {
namespace {

namespace fs = std::filesystem;

constexpr char kApi[] = "WebsocketsApi";
constexpr char kStage[] = "WebsocketsDeploymentStage";
constexpr char kDefaultRuntime[] = "nodejs20.x";
constexpr int kDefaultTimeoutSeconds = 6;
constexpr char kDefaultIdentitySource[] = "route.request.header.Auth";

// Plugins whose effect wsgw provides itself or that only matter when deploying.
const std::set<std::string>& QuietPlugins() {
  static const std::set<std::string> plugins = {
      "serverless-offline",          "serverless-esbuild",
      "serverless-plugin-typescript", "serverless-webpack",
      "serverless-bundle",            "serverless-dotenv-plugin",
      "serverless-iam-roles-per-function", "serverless-prune-plugin",
      "serverless-dynamodb-local",    "serverless-dynamodb",
      "serverless-deployment-bucket", "serverless-domain-manager",
      "serverless-plugin-log-retention", "serverless-python-requirements",
  };
  return plugins;
}

// Serverless's normalized name: first letter upper case, '-' -> Dash, '_' -> Underscore.
std::string Normalized(const std::string& name) {
  std::string out;
  for (char c : name) {
    if (c == '-') {
      out += "Dash";
    } else if (c == '_') {
      out += "Underscore";
    } else if (std::isalnum(static_cast<unsigned char>(c)) != 0) {
      out += c;
    } else if (c == '$') {
      out += 'S';
    } else if (c == '/') {
      out += "Slash";
    }
  }
  if (!out.empty()) out[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(out[0])));
  return out;
}

const auto& Ref = RefTo;

// The invocation URI of the function `function_id` of the generated template.
Json::Value InvocationUri(const std::string& function_id) {
  Json::Value get_att(Json::objectValue);
  get_att["Fn::GetAtt"].append(function_id);
  get_att["Fn::GetAtt"].append("Arn");
  return LambdaInvocationUri(get_att);
}

std::string Text(const Json::Value& v) {
  if (v.isString()) return v.asString();
  if (v.isBool()) return v.asBool() ? "true" : "false";
  if (v.isIntegral()) return std::to_string(v.asLargestInt());
  if (v.isDouble()) {
    std::ostringstream out;
    out << v.asDouble();
    return out.str();
  }
  return "";
}

class ServerlessImporter {
 public:
  ServerlessImporter(const YamlDocument& doc, std::string file, std::string dir,
                     const ProjectOptions& options)
      : doc_(doc), file_(std::move(file)), dir_(std::move(dir)), options_(options),
        resolver_(doc, file_, Sources()) {}

  ProjectResult Run() {
    const Json::Value& root = doc_.root;
    if (!root.isObject()) {
      Problem("", "a serverless service (an object with service, provider and functions)",
              DescribeValue(root));
      return Finish();
    }
    stage_ = resolver_.Stage();
    if (!IsValidStageName(stage_)) {
      Problem(options_.stage ? "" : "provider.stage",
              "a stage name made of letters, digits, '_' and '-'",
              DescribeValue(Json::Value(stage_)));
      return Finish();
    }
    LoadDotenv();
    provider_ = Resolved("provider").value_or(Json::Value(Json::objectValue));
    if (!provider_.isObject()) provider_ = Json::Value(Json::objectValue);
    if (provider_.isMember("name") && Text(provider_["name"]) != "aws") {
      Problem("provider.name", "\"aws\" (wsgw emulates AWS API Gateway)",
              DescribeValue(provider_["name"]));
    }
    const Json::Value service = Resolved("service").value_or(Json::Value());
    service_ = service.isObject() ? Text(service["name"]) : Text(service);
    if (service_.empty()) {
      Problem("service", "the service's name", DescribeValue(service));
      return Finish();
    }
    region_ = options_.parameters.count("AWS::Region") != 0 ? options_.parameters.at("AWS::Region")
              : provider_.isMember("region")               ? Text(provider_["region"])
                                                           : "us-east-1";
    Plugins();

    template_["AWSTemplateFormatVersion"] = "2010-09-09";
    Json::Value& resources = template_["Resources"];
    resources = Json::Value(Json::objectValue);
    Functions();
    if (routes_ == 0) {
      if (problems_.empty() && resolver_.problems().empty()) {
        Problem("functions", "at least one function with a websocket event",
                "none (wsgw runs WebSocket APIs)");
      }
      return Finish();
    }
    Api();
    UserResources();
    if (!resolver_.problems().empty() || !problems_.empty()) return Finish();

    ProjectOptions cfn = options_;
    cfn.parameters["AWS::Region"] = region_;
    cfn.parameters.try_emplace("AWS::StackName", service_ + "-" + stage_);
    GeneratedTemplate generated;
    generated.root = template_;
    generated.source = &doc_;
    generated.displayPaths = display_;
    ProjectResult imported = ImportGeneratedTemplate(generated, file_, dir_, cfn);
    for (ConfigProblem& p : imported.problems) problems_.push_back(std::move(p));
    for (ConfigProblem& w : imported.warnings) warnings_.push_back(std::move(w));
    if (problems_.empty()) {
      for (ApiConfig& api : imported.apis) {
        api.stage = stage_;
        api.apiId = ApiIdFor(api.name, api.stage);
      }
      apis_ = std::move(imported.apis);
    }
    return Finish();
  }

 private:
  VariableSources Sources() const {
    VariableSources sources;
    sources.dir = dir_;
    sources.options = options_.parameters;
    if (options_.stage) sources.options["stage"] = *options_.stage;
    if (auto it = options_.parameters.find("AWS::Region"); it != options_.parameters.end()) {
      sources.options["region"] = it->second;
      sources.region = it->second;
    }
    if (auto it = options_.parameters.find("AWS::AccountId"); it != options_.parameters.end()) {
      sources.accountId = it->second;
    }
    sources.environment = options_.environment;
    return sources;
  }

  ProjectResult Finish() {
    ProjectResult result;
    problems_.insert(problems_.begin(), resolver_.problems().begin(), resolver_.problems().end());
    resolver_.problems().clear();
    result.warnings = resolver_.warnings();
    for (ConfigProblem& w : warnings_) result.warnings.push_back(std::move(w));
    if (problems_.empty() && !apis_.empty()) {
      result.apis = std::move(apis_);
    } else {
      result.problems = std::move(problems_);
    }
    return result;
  }

  std::string Where(const std::string& path) const {
    const int line = doc_.LineOf(path);
    return line == 0 ? file_ : file_ + ":" + std::to_string(line);
  }
  void Problem(const std::string& path, std::string expected, std::string found) {
    problems_.push_back(ConfigProblem{Where(path), path.empty() ? "(file)" : path,
                                      std::move(expected), std::move(found)});
  }
  void Warning(const std::string& path, std::string expected, std::string found) {
    warnings_.push_back(ConfigProblem{Where(path), path.empty() ? "(file)" : path,
                                      std::move(expected), std::move(found)});
  }

  // The top-level `key`, variables resolved; null when absent, nothing after a problem.
  std::optional<Json::Value> Resolved(const std::string& key) {
    if (!doc_.root.isMember(key)) return Json::Value();
    return resolver_.Resolve(doc_.root[key], key);
  }

  // useDotenv (serverless v3), always from v4, or serverless-dotenv-plugin: .env.<stage>, else
  // .env, into ${env:...} (the process's environment wins, as dotenv does).
  void LoadDotenv() {
    const Json::Value use = Resolved("useDotenv").value_or(Json::Value());
    const std::string version = Text(Resolved("frameworkVersion").value_or(Json::Value()));
    const size_t digit = version.find_first_of("0123456789");
    const bool v4 = digit != std::string::npos && version[digit] >= '4';
    const bool plugin = HasPlugin("serverless-dotenv-plugin");
    fs::path chosen;
    for (const std::string& name : {".env." + stage_, std::string(".env")}) {
      std::error_code ec;
      if (fs::is_regular_file(fs::path(dir_) / name, ec)) {
        chosen = fs::path(dir_) / name;
        break;
      }
    }
    if (chosen.empty()) return;
    if (!(use.isBool() && use.asBool()) && !v4 && !plugin) {
      Warning("useDotenv", "set useDotenv: true to read it",
              chosen.filename().string() + " is not read (serverless v3 reads it only with "
              "useDotenv: true)");
      return;
    }
    std::ifstream in(chosen, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    std::map<std::string, std::string> variables = ParseDotenv(text.str(), options_.environment);
    resolver_.AddEnvironment(variables);
    if (plugin) dotenv_for_functions_ = std::move(variables);
  }

  bool HasPlugin(const std::string& name) {
    for (const auto& [path, plugin] : PluginList()) {
      if (plugin == name) return true;
    }
    return false;
  }

  // plugins: [a, b] or plugins: {modules: [a, b]}, with their paths.
  std::vector<std::pair<std::string, std::string>> PluginList() {
    std::vector<std::pair<std::string, std::string>> list;
    const Json::Value& plugins = doc_.root["plugins"];
    const Json::Value& modules = plugins.isObject() ? plugins["modules"] : plugins;
    const std::string base = plugins.isObject() ? "plugins.modules" : "plugins";
    if (!modules.isArray()) return list;
    for (Json::ArrayIndex i = 0; i < modules.size(); ++i) {
      if (modules[i].isString()) list.emplace_back(PathIndex(base, i), modules[i].asString());
    }
    return list;
  }

  void Plugins() {
    for (const auto& [path, plugin] : PluginList()) {
      if (QuietPlugins().count(plugin) != 0) continue;
      Warning(path, "",
              "plugin " + plugin + " is not run by wsgw: what it adds to the service is not "
              "served");
    }
  }

  // provider.<key> else the function's own, and the path that gave it.
  std::pair<Json::Value, std::string> Setting(const Json::Value& function, const std::string& path,
                                              const std::string& key,
                                              const std::string& provider_key) {
    if (function.isMember(key)) return {function[key], PathMember(path, key)};
    if (provider_.isMember(provider_key)) {
      return {provider_[provider_key], PathMember("provider", provider_key)};
    }
    return {Json::Value(), ""};
  }

  void Functions() {
    const Json::Value& functions = doc_.root["functions"];
    if (functions.isNull()) return;  // Finish() says there is no websocket function
    if (!functions.isObject()) {
      Problem("functions", "an object of functions", DescribeValue(functions));
      return;
    }
    // Which functions have websocket events, and which authorize one.
    std::vector<std::string> served;
    std::vector<std::string> skipped;
    for (const std::string& key : functions.getMemberNames()) {
      const std::string path = PathMember("functions", key);
      std::optional<Json::Value> events =
          resolver_.Resolve(MemberOf(functions[key], "events"), PathMember(path, "events"));
      if (!events) continue;
      bool websocket = false;
      if (events->isArray()) {
        for (const Json::Value& event : *events) {
          websocket = websocket || !MemberOf(event, "websocket").isNull();
        }
      } else if (!events->isNull()) {
        Problem(PathMember(path, "events"), "a list of events such as - websocket: $connect",
                DescribeValue(*events));
        continue;
      }
      (websocket ? served : skipped).push_back(key);
    }
    for (const std::string& key : served) {
      const std::string path = PathMember("functions", key);
      std::optional<Json::Value> function = resolver_.Resolve(functions[key], path);
      if (!function) continue;
      if (!function->isObject()) {
        Problem(path, "a function (an object with handler and events)", DescribeValue(*function));
        continue;
      }
      AddFunction(key, *function);
      const Json::Value& events = (*function)["events"];
      for (Json::ArrayIndex i = 0; i < events.size(); ++i) {
        if (!MemberOf(events[i], "websocket").isNull()) {
          AddRoute(key, events[i]["websocket"],
                   PathMember(PathIndex(PathMember(path, "events"), i), "websocket"));
        }
      }
    }
    std::string names;
    size_t count = 0;
    for (const std::string& key : skipped) {
      if (template_["Resources"].isMember(FunctionId(key))) continue;  // an authorizer
      names += (names.empty() ? "" : ", ") + key;
      ++count;
    }
    if (count > 0) {
      Warning("functions", "",
              names + (count == 1 ? " has" : " have") +
                  " no websocket event and is not served (wsgw runs WebSocket APIs)");
    }
  }

  std::string FunctionId(const std::string& key) const {
    return Normalized(key) + "LambdaFunction";
  }

  void AddFunction(const std::string& key, const Json::Value& function) {
    const std::string id = FunctionId(key);
    if (template_["Resources"].isMember(id)) return;
    const std::string path = PathMember("functions", key);
    const std::string at = "Resources." + id;
    const std::string props_at = at + ".Properties";
    display_[at] = path;
    if (function.isMember("image")) {
      Problem(PathMember(path, "image"),
              "a handler from source (wsgw does not run container images)", "an image");
      return;
    }
    Json::Value props(Json::objectValue);
    props["CodeUri"] = ".";
    props["FunctionName"] =
        function.isMember("name") ? function["name"] : Json::Value(service_ + "-" + stage_ + "-" + key);
    display_[props_at + ".FunctionName"] = function.isMember("name") ? PathMember(path, "name") : path;
    props["Handler"] = function["handler"];
    display_[props_at + ".Handler"] = PathMember(path, "handler");
    if (!function.isMember("handler")) props.removeMember("Handler");

    auto [runtime, runtime_at] = Setting(function, path, "runtime", "runtime");
    props["Runtime"] = runtime.isNull() ? Json::Value(kDefaultRuntime) : runtime;
    display_[props_at + ".Runtime"] = runtime_at.empty() ? path : runtime_at;
    auto [timeout, timeout_at] = Setting(function, path, "timeout", "timeout");
    props["Timeout"] = timeout.isNull() ? Json::Value(kDefaultTimeoutSeconds) : timeout;
    display_[props_at + ".Timeout"] = timeout_at.empty() ? path : timeout_at;

    Json::Value variables(Json::objectValue);
    const std::string vars_at = props_at + ".Environment.Variables";
    for (const auto& [name, value] : dotenv_for_functions_) variables[name] = value;
    for (const auto& [source, source_at] :
         {std::pair<const Json::Value*, std::string>{&provider_["environment"], "provider.environment"},
          {&function["environment"], PathMember(path, "environment")}}) {
      if (source->isNull()) continue;
      if (!source->isObject()) {
        Problem(source_at, "an object of environment variables", DescribeValue(*source));
        continue;
      }
      for (const std::string& name : source->getMemberNames()) {
        variables[name] = (*source)[name];
        display_[PathMember(vars_at, name)] = PathMember(source_at, name);
      }
    }
    display_[vars_at] = PathMember(path, "environment");
    if (!variables.empty()) props["Environment"]["Variables"] = variables;
    Json::Value resource(Json::objectValue);
    resource["Type"] = "AWS::Serverless::Function";
    resource["Properties"] = props;
    template_["Resources"][id] = resource;
  }

  void AddRoute(const std::string& key, const Json::Value& event, const std::string& path) {
    Json::Value route_key;
    Json::Value settings(Json::objectValue);
    if (event.isString()) {
      route_key = event;
    } else if (event.isObject()) {
      settings = event;
      route_key = event["route"];
    }
    if (!route_key.isString() || route_key.asString().empty()) {
      Problem(event.isObject() ? PathMember(path, "route") : path,
              "a route key such as $connect, $disconnect, $default or an action",
              event.isObject() ? DescribeValue(event["route"]) : DescribeValue(event));
      return;
    }
    const std::string route = route_key.asString();
    std::string route_id = Normalized(route) + "WebsocketsRoute";
    for (int n = 2; template_["Resources"].isMember(route_id); ++n) {
      route_id = Normalized(route) + std::to_string(n) + "WebsocketsRoute";
    }
    const std::string integration_id = Normalized(key) + "WebsocketsIntegration";
    Json::Value& resources = template_["Resources"];
    if (!resources.isMember(integration_id)) {
      Json::Value integration(Json::objectValue);
      integration["Type"] = "AWS::ApiGatewayV2::Integration";
      integration["Properties"]["ApiId"] = Ref(kApi);
      integration["Properties"]["IntegrationType"] = "AWS_PROXY";
      integration["Properties"]["IntegrationUri"] = InvocationUri(FunctionId(key));
      resources[integration_id] = integration;
      display_["Resources." + integration_id] = path;
    }
    Json::Value target(Json::objectValue);
    target["Fn::Join"].append("/");
    target["Fn::Join"].append(Json::Value(Json::arrayValue));
    target["Fn::Join"][1].append("integrations");
    target["Fn::Join"][1].append(Ref(integration_id));
    Json::Value props(Json::objectValue);
    props["ApiId"] = Ref(kApi);
    props["RouteKey"] = route;
    props["Target"] = target;
    display_["Resources." + route_id] = path;
    display_["Resources." + route_id + ".Properties.RouteKey"] =
        event.isObject() ? PathMember(path, "route") : path;

    if (settings.isMember("routeResponseSelectionExpression")) {
      const std::string response_id = Normalized(route) + "WebsocketsRouteResponse";
      Json::Value response(Json::objectValue);
      response["Type"] = "AWS::ApiGatewayV2::RouteResponse";
      response["Properties"]["ApiId"] = Ref(kApi);
      response["Properties"]["RouteId"] = Ref(route_id);
      response["Properties"]["RouteResponseKey"] = settings["routeResponseSelectionExpression"];
      resources[response_id] = response;
      display_["Resources." + response_id] = PathMember(path, "routeResponseSelectionExpression");
      props["RouteResponseSelectionExpression"] = settings["routeResponseSelectionExpression"];
    }
    if (settings.isMember("authorizer")) {
      if (std::optional<std::string> authorizer =
              AddAuthorizer(settings["authorizer"], PathMember(path, "authorizer"))) {
        props["AuthorizationType"] = "CUSTOM";
        props["AuthorizerId"] = Ref(*authorizer);
        display_["Resources." + route_id + ".Properties.AuthorizerId"] =
            PathMember(path, "authorizer");
      }
    }
    Json::Value resource(Json::objectValue);
    resource["Type"] = "AWS::ApiGatewayV2::Route";
    resource["Properties"] = props;
    resources[route_id] = resource;
    ++routes_;
  }

  // The Authorizer resource for `authorizer: auth` or `authorizer: {name, identitySource}`.
  std::optional<std::string> AddAuthorizer(const Json::Value& authorizer,
                                           const std::string& path) {
    std::string name;
    Json::Value identity(Json::arrayValue);
    identity.append(kDefaultIdentitySource);
    std::string name_at = path;
    if (authorizer.isString()) {
      name = authorizer.asString();
    } else if (authorizer.isObject()) {
      if (authorizer.isMember("arn") && !authorizer.isMember("name")) {
        Problem(PathMember(path, "arn"),
                "the name of a function in this service (wsgw cannot call a deployed Lambda by "
                "its ARN; declare the authorizer under functions and use authorizer: {name: ...})",
                DescribeValue(authorizer["arn"]));
        return std::nullopt;
      }
      name = Text(authorizer["name"]);
      name_at = PathMember(path, "name");
      if (authorizer.isMember("identitySource")) {
        const Json::Value& given = authorizer["identitySource"];
        identity = given.isArray() ? given : Json::Value(Json::arrayValue);
        if (given.isString()) {
          std::stringstream list(given.asString());
          std::string item;
          while (std::getline(list, item, ',')) {
            size_t b = item.find_first_not_of(' ');
            size_t e = item.find_last_not_of(' ');
            if (b != std::string::npos) identity.append(item.substr(b, e - b + 1));
          }
        }
        display_["Resources." + Normalized(name) + "WebsocketsAuthorizer.Properties.IdentitySource"] =
            PathMember(path, "identitySource");
      }
    }
    if (name.rfind("arn:", 0) == 0) {
      Problem(name_at,
              "the name of a function in this service (wsgw cannot call a deployed Lambda by "
              "its ARN)",
              DescribeValue(Json::Value(name)));
      return std::nullopt;
    }
    const Json::Value& functions = doc_.root["functions"];
    if (name.empty() || !functions.isObject() || !functions.isMember(name)) {
      std::string known;
      if (functions.isObject()) {
        for (const std::string& key : functions.getMemberNames()) {
          known += (known.empty() ? "" : ", ") + key;
        }
      }
      Problem(name_at, "the name of a function in this service (" + known + ")",
              DescribeValue(Json::Value(name)));
      return std::nullopt;
    }
    std::optional<Json::Value> function =
        resolver_.Resolve(functions[name], PathMember("functions", name));
    if (!function) return std::nullopt;
    AddFunction(name, *function);
    const std::string id = Normalized(name) + "WebsocketsAuthorizer";
    Json::Value resource(Json::objectValue);
    resource["Type"] = "AWS::ApiGatewayV2::Authorizer";
    resource["Properties"]["ApiId"] = Ref(kApi);
    resource["Properties"]["AuthorizerType"] = "REQUEST";
    resource["Properties"]["AuthorizerUri"] = InvocationUri(FunctionId(name));
    resource["Properties"]["IdentitySource"] = identity;
    resource["Properties"]["Name"] = name;
    template_["Resources"][id] = resource;
    display_["Resources." + id] = path;
    return id;
  }

  void Api() {
    Json::Value props(Json::objectValue);
    props["Name"] = provider_.isMember("websocketsApiName")
                        ? provider_["websocketsApiName"]
                        : Json::Value(stage_ + "-" + service_ + "-websockets");
    props["ProtocolType"] = "WEBSOCKET";
    props["RouteSelectionExpression"] =
        provider_.isMember("websocketsApiRouteSelectionExpression")
            ? provider_["websocketsApiRouteSelectionExpression"]
            : Json::Value("$request.body.action");
    display_[std::string("Resources.") + kApi] = "functions";
    display_[std::string("Resources.") + kApi + ".Properties.Name"] = "provider.websocketsApiName";
    display_[std::string("Resources.") + kApi + ".Properties.RouteSelectionExpression"] =
        "provider.websocketsApiRouteSelectionExpression";
    Json::Value api(Json::objectValue);
    api["Type"] = "AWS::ApiGatewayV2::Api";
    api["Properties"] = props;
    template_["Resources"][kApi] = api;

    Json::Value stage(Json::objectValue);
    stage["Type"] = "AWS::ApiGatewayV2::Stage";
    stage["Properties"]["ApiId"] = Ref(kApi);
    stage["Properties"]["StageName"] = stage_;
    template_["Resources"][kStage] = stage;
    display_[std::string("Resources.") + kStage] = "provider.stage";
  }

  // resources: {Resources, Conditions, Mappings, Outputs} or a list of such (often file(...)s).
  void UserResources() {
    std::optional<Json::Value> resources = Resolved("resources");
    if (!resources || resources->isNull()) return;
    std::vector<std::pair<Json::Value, std::string>> parts;
    if (resources->isArray()) {
      for (Json::ArrayIndex i = 0; i < resources->size(); ++i) {
        parts.emplace_back((*resources)[i], PathIndex("resources", i));
      }
    } else {
      parts.emplace_back(*resources, "resources");
    }
    for (const auto& [part, at] : parts) {
      if (!part.isObject()) {
        Problem(at, "an object with Resources (CloudFormation)", DescribeValue(part));
        continue;
      }
      for (const char* section : {"Resources", "Conditions", "Mappings"}) {
        const Json::Value& items = part[section];
        if (items.isNull()) continue;
        if (!items.isObject()) {
          Problem(PathMember(at, section), "an object", DescribeValue(items));
          continue;
        }
        for (const std::string& id : items.getMemberNames()) {
          template_[section][id] = items[id];
          display_[PathMember(section, id)] = PathMember(PathMember(at, section), id);
        }
      }
    }
  }

  const YamlDocument& doc_;
  std::string file_;
  std::string dir_;
  const ProjectOptions& options_;
  VariableResolver resolver_;
  std::string stage_;
  std::string service_;
  std::string region_;
  Json::Value provider_;
  int routes_ = 0;
  std::map<std::string, std::string> dotenv_for_functions_;
  Json::Value template_{Json::objectValue};
  std::map<std::string, std::string> display_;
  std::vector<ApiConfig> apis_;
  std::vector<ConfigProblem> problems_;
  std::vector<ConfigProblem> warnings_;
};

}  // namespace

bool LooksLikeServerless(const Json::Value& root) {
  return root.isObject() && root.isMember("service") &&
         (root.isMember("provider") || root.isMember("functions"));
}

ProjectResult ParseServerless(const std::string& text, const std::string& file,
                              const std::string& dir, const ProjectOptions& options) {
  return ImportDocument(text, file, dir, "serverless service",
                        [&](const YamlDocument& doc, const std::string& base) {
                          return ServerlessImporter(doc, file, base, options).Run();
                        });
}

}  // namespace wsgw
