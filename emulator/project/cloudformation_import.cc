#include "project/cloudformation_import.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "project/intrinsics.h"
#include "project/yaml_document.h"

namespace wsgw {
namespace {

namespace fs = std::filesystem;

constexpr char kMissing[] = "nothing (the key is missing)";


std::string StringOf(const Json::Value& v) {
  if (v.isString()) return v.asString();
  if (v.isBool()) return v.asBool() ? "true" : "false";
  if (v.isNumeric()) {
    Json::StreamWriterBuilder builder;
    return Json::writeString(builder, v);
  }
  return "";
}

// The logical id a {"Ref": id} names, else "".
std::string RefName(const Json::Value& v) {
  if (v.isObject() && v.size() == 1 && v.isMember("Ref") && v["Ref"].isString()) {
    return v["Ref"].asString();
  }
  return "";
}

// AWS::DynamoDB::GlobalTable is what CDK's TableV2 synthesizes: the same key schema, indexes and
// TTL as a Table, with Replicas that a local stack has one of.
bool IsTable(const std::string& type) {
  return type == "AWS::DynamoDB::Table" || type == "AWS::DynamoDB::GlobalTable" ||
         type == "AWS::Serverless::SimpleTable";
}

class Importer {
 public:
  Importer(const YamlDocument& doc, std::string file, std::string dir,
           const ProjectOptions& options,
           const std::map<std::string, std::string>* display_paths = nullptr,
           const Json::Value* root = nullptr, bool check_parameters = true)
      : doc_(doc), root_(root != nullptr ? *root : doc.root), file_(std::move(file)),
        dir_(std::move(dir)), options_(options), display_paths_(display_paths),
        check_parameters_(check_parameters) {}

  ProjectResult Run() {
    ProjectResult result;
    if (!root_.isObject() || !root_["Resources"].isObject()) {
      Problem("Resources", "an object of resources", root_.isObject()
                                                          ? DescribeValue(root_["Resources"])
                                                          : DescribeValue(root_));
      return Done();
    }
    SetUpContext();
    NameResources();
    std::vector<std::string> apis = WebSocketApis();
    if (apis.empty() && problems_.empty()) {
      Problem("Resources", "an AWS::ApiGatewayV2::Api with ProtocolType WEBSOCKET",
              "none (wsgw runs WebSocket APIs)");
    }
    for (const std::string& api : apis) BuildApi(api);
    if (!apis_.empty()) apis_[0].tables = Tables();
    return Done();
  }

 private:
  ProjectResult Done() {
    ProjectResult result;
    result.warnings = std::move(warnings_);
    if (problems_.empty()) {
      result.apis = std::move(apis_);
    } else {
      result.problems = std::move(problems_);
    }
    return result;
  }

  void Problem(const std::string& path, std::string expected, std::string found) {
    problems_.push_back(At(path, std::move(expected), std::move(found)));
  }

  // What runs, but not as deployed: `found` says what happens, `expected` how to avoid it.
  void Warning(const std::string& path, std::string expected, std::string found) {
    warnings_.push_back(At(path, std::move(expected), std::move(found)));
  }

  ConfigProblem At(const std::string& template_path, std::string expected,
                   std::string found) const {
    const std::string path = Display(template_path);
    const int line = doc_.LineOf(path);
    return ConfigProblem{line == 0 ? file_ : file_ + ":" + std::to_string(line),
                         path.empty() ? "(template)" : path, std::move(expected),
                         std::move(found)};
  }

  // A template path as the user's file names it (see GeneratedTemplate).
  std::string Display(const std::string& path) const {
    if (display_paths_ == nullptr) return path;
    std::string best;
    for (const auto& [prefix, shown] : *display_paths_) {
      if (prefix.size() <= best.size() || path.compare(0, prefix.size(), prefix) != 0) continue;
      if (path.size() == prefix.size() || path[prefix.size()] == '.' ||
          path[prefix.size()] == '[') {
        best = prefix;
      }
    }
    if (best.empty()) return path;
    return display_paths_->at(best) + path.substr(best.size());
  }

  void IntrinsicProblem(const IntrinsicError& error) {
    Problem(error.path, "a value wsgw can evaluate locally", error.message);
  }

  // The resolved value at `path` (a property of a resource), or nothing after a problem.
  std::optional<Json::Value> Resolve(const Json::Value& value, const std::string& path) {
    IntrinsicError error;
    std::optional<Json::Value> v = ResolveIntrinsics(value, path, context_, &error);
    if (!v) IntrinsicProblem(error);
    return v;
  }

  std::optional<std::string> ResolveString(const Json::Value& props, const std::string& key,
                                           const std::string& path, const std::string& expected,
                                           bool required) {
    const std::string at = PathMember(path, key);
    if (!props.isMember(key)) {
      if (required) Problem(at, expected, kMissing);
      return std::nullopt;
    }
    std::optional<Json::Value> v = Resolve(props[key], at);
    if (!v) return std::nullopt;
    if (!v->isString() && !v->isNumeric() && !v->isBool()) {
      Problem(at, expected, DescribeValue(*v));
      return std::nullopt;
    }
    return StringOf(*v);
  }

  const Json::Value& Resources() const { return root_["Resources"]; }
  std::string TypeOf(const std::string& id) const {
    const Json::Value& type = Resources()[id]["Type"];
    return type.isString() ? type.asString() : "";
  }
  std::string PropsPath(const std::string& id) const {
    return PathMember(PathMember("Resources", id), "Properties");
  }

  // Properties, with SAM's Globals.Function under a function's own.
  Json::Value Properties(const std::string& id) const {
    Json::Value props = Resources()[id]["Properties"];
    if (!props.isObject()) props = Json::Value(Json::objectValue);
    if (TypeOf(id) == "AWS::Serverless::Function" && root_["Globals"]["Function"].isObject()) {
      const Json::Value& globals = root_["Globals"]["Function"];
      for (const std::string& key : globals.getMemberNames()) {
        if (!props.isMember(key)) {
          props[key] = globals[key];
        } else if (key == "Environment" && props[key]["Variables"].isObject() &&
                   globals[key]["Variables"].isObject()) {
          for (const std::string& var : globals[key]["Variables"].getMemberNames()) {
            if (!props[key]["Variables"].isMember(var)) {
              props[key]["Variables"][var] = globals[key]["Variables"][var];
            }
          }
        }
      }
    }
    return props;
  }

  void SetUpContext() {
    auto option = [this](const std::string& name, const std::string& fallback) {
      auto it = options_.parameters.find(name);
      return it == options_.parameters.end() ? fallback : it->second;
    };
    std::string stack = fs::path(file_).filename().string();
    const std::string cdk_suffix = ".template.json";
    if (stack.size() > cdk_suffix.size() &&
        stack.compare(stack.size() - cdk_suffix.size(), cdk_suffix.size(), cdk_suffix) == 0) {
      stack.resize(stack.size() - cdk_suffix.size());
    } else {
      stack = fs::path(dir_).filename().string();
    }
    if (stack.empty()) stack = "wsgw";
    region_ = option("AWS::Region", "us-east-1");
    account_ = option("AWS::AccountId", "123456789012");
    stack_ = option("AWS::StackName", stack);
    context_.parameters["AWS::Region"] = region_;
    context_.parameters["AWS::AccountId"] = account_;
    context_.parameters["AWS::StackName"] = stack_;
    context_.parameters["AWS::StackId"] = "arn:aws:cloudformation:" + region_ + ":" + account_ +
                                          ":stack/" + stack_ + "/local";
    context_.parameters["AWS::Partition"] = "aws";
    context_.parameters["AWS::URLSuffix"] = "amazonaws.com";
    context_.parameters["AWS::NotificationARNs"] = Json::Value(Json::arrayValue);
    context_.conditions = root_["Conditions"];
    context_.mappings = root_["Mappings"];

    const Json::Value& parameters = root_["Parameters"];
    if (parameters.isObject()) {
      for (const std::string& name : parameters.getMemberNames()) {
        const Json::Value& declared = parameters[name];
        const std::string path = PathMember("Parameters", name);
        std::string value;
        if (auto it = options_.parameters.find(name); it != options_.parameters.end()) {
          value = it->second;
        } else if (declared.isMember("Default")) {
          value = StringOf(declared["Default"]);
          if (declared["Default"].isArray()) {
            for (const Json::Value& item : declared["Default"]) {
              value += (value.empty() ? "" : ",") + StringOf(item);
            }
          }
        } else {
          Problem(path, "a Default, or a value given with --parameter " + name + "=VALUE",
                  "neither");
          continue;
        }
        const std::string type = declared["Type"].isString() ? declared["Type"].asString() : "";
        if (type == "CommaDelimitedList" || type.rfind("List<", 0) == 0) {
          Json::Value list(Json::arrayValue);
          std::stringstream in(value);
          std::string item;
          while (std::getline(in, item, ',')) list.append(item);
          context_.parameters[name] = list;
        } else {
          context_.parameters[name] = value;
        }
      }
    }
    // A generated template's parameters are its source's business (serverless: ${opt:NAME}).
    for (const auto& [name, value] : options_.parameters) {
      if (name.rfind("AWS::", 0) == 0 || !check_parameters_) continue;
      if (!parameters.isObject() || !parameters.isMember(name)) {
        problems_.push_back(ConfigProblem{file_, "Parameters",
                                          "a parameter the template declares for --parameter " +
                                              name,
                                          "no parameter \"" + name + "\""});
      }
    }
  }

  // Whether the resource exists in this stack (its Condition, if any, holds).
  bool Exists(const std::string& id) {
    const Json::Value& condition = Resources()[id]["Condition"];
    if (!condition.isString()) return true;
    IntrinsicError error;
    std::optional<bool> holds = EvaluateCondition(condition.asString(), context_, &error);
    if (!holds) {
      if (error.path.empty()) error.path = PathMember(PathMember("Resources", id), "Condition");
      IntrinsicProblem(error);
      return false;
    }
    return *holds;
  }

  // Every resource's Ref and attributes; tables and functions by their physical names.
  void NameResources() {
    for (const std::string& id : Resources().getMemberNames()) {
      if (!Resources()[id].isObject() || !Exists(id)) {
        skipped_.insert(id);
        continue;
      }
      context_.resources[id].ref = id;
    }
    for (const std::string& id : Resources().getMemberNames()) {
      if (skipped_.count(id) != 0) continue;
      const std::string type = TypeOf(id);
      ResourceValues& values = context_.resources[id];
      const Json::Value props = Properties(id);
      if (IsTable(type)) {
        std::string name = stack_ + "-" + id;
        if (auto given = ResolveString(props, "TableName", PropsPath(id), "a table name", false)) {
          name = *given;
        }
        const std::string arn = "arn:aws:dynamodb:" + region_ + ":" + account_ + ":table/" + name;
        values.ref = name;
        values.attributes["Arn"] = arn;
        values.attributes["StreamArn"] = arn + "/stream/1970-01-01T00:00:00.000";
      } else if (type == "AWS::Serverless::Function" || type == "AWS::Lambda::Function") {
        std::string name = id;
        if (auto given =
                ResolveString(props, "FunctionName", PropsPath(id), "a function name", false)) {
          name = *given;
        }
        values.ref = name;
        values.attributes["Arn"] =
            "arn:aws:lambda:" + region_ + ":" + account_ + ":function:" + name;
        function_names_[id] = name;
      } else if (type == "AWS::ApiGatewayV2::Api") {
        values.attributes["ApiId"] = id;
        values.attributes["ApiEndpoint"] =
            "wss://" + id + ".execute-api." + region_ + ".amazonaws.com";
      } else {
        NameOtherResource(id, type, props, &values);
      }
    }
    // A Version's or Alias's Ref is the function's ARN with a qualifier (CDK's fn.currentVersion,
    // fn.addAlias('live')), which an integration may invoke instead of the function.
    for (const std::string& id : Resources().getMemberNames()) {
      const std::string type = TypeOf(id);
      if (skipped_.count(id) != 0 ||
          (type != "AWS::Lambda::Version" && type != "AWS::Lambda::Alias")) {
        continue;
      }
      const std::string function = FunctionNamed(Resources()[id]["Properties"]["FunctionName"]);
      if (function.empty()) continue;
      const std::string arn = context_.resources[function].attributes["Arn"].asString();
      ResourceValues& values = context_.resources[id];
      if (type == "AWS::Lambda::Version") {
        values.ref = arn + ":1";
        values.attributes["Version"] = "1";
        values.attributes["FunctionArn"] = arn;
      } else {
        const Json::Value& name = Resources()[id]["Properties"]["Name"];
        values.ref = arn + ":" + (name.isString() ? name.asString() : id);
      }
    }
  }

  // What a CDK app's functions commonly get in their environment from resources wsgw does not
  // run (queue.queueArn, topic.topicArn, bucket.bucketArn, key.keyArn, role.roleArn): the Ref and
  // attributes CloudFormation gives, with this stack's made-up physical names, so the handlers
  // start; calls to those services still go wherever their SDK points.
  void NameOtherResource(const std::string& id, const std::string& type, const Json::Value& props,
                         ResourceValues* values) {
    auto given = [&](const char* key, std::string fallback) {
      const Json::Value& v = props[key];
      return v.isString() ? v.asString() : fallback;
    };
    const std::string where = region_ + ":" + account_ + ":";
    const std::string physical = stack_ + "-" + id;
    if (type == "AWS::SQS::Queue") {
      const std::string name = given("QueueName", physical);
      const std::string url = "https://sqs." + region_ + ".amazonaws.com/" + account_ + "/" + name;
      values->ref = url;
      values->attributes["Arn"] = "arn:aws:sqs:" + where + name;
      values->attributes["QueueName"] = name;
      values->attributes["QueueUrl"] = url;
    } else if (type == "AWS::SNS::Topic") {
      const std::string name = given("TopicName", physical);
      values->ref = "arn:aws:sns:" + where + name;
      values->attributes["TopicArn"] = values->ref;
      values->attributes["TopicName"] = name;
    } else if (type == "AWS::S3::Bucket") {
      std::string name = given("BucketName", physical);
      std::transform(name.begin(), name.end(), name.begin(),
                     [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
      values->ref = name;
      values->attributes["Arn"] = "arn:aws:s3:::" + name;
      values->attributes["DomainName"] = name + ".s3.amazonaws.com";
      values->attributes["RegionalDomainName"] = name + ".s3." + region_ + ".amazonaws.com";
    } else if (type == "AWS::KMS::Key") {
      values->ref = id;
      values->attributes["Arn"] = "arn:aws:kms:" + where + "key/" + id;
      values->attributes["KeyId"] = id;
    } else if (type == "AWS::IAM::Role") {
      const std::string name = given("RoleName", physical);
      values->ref = name;
      values->attributes["Arn"] = "arn:aws:iam::" + account_ + ":role/" + name;
      values->attributes["RoleId"] = "AROA" + id;
    } else if (type == "AWS::SecretsManager::Secret") {
      values->ref = "arn:aws:secretsmanager:" + where + "secret:" + given("Name", physical);
      values->attributes["Id"] = values->ref;
    }
  }

  // The logical id of the function a Version's or Alias's FunctionName names ({"Ref": Fn},
  // {"Fn::GetAtt": [Fn, "Arn"]} or the function's name), else "".
  std::string FunctionNamed(const Json::Value& value) {
    std::string id = RefName(value);
    if (id.empty() && value.isObject() && value["Fn::GetAtt"].isArray() &&
        value["Fn::GetAtt"][0].isString()) {
      id = value["Fn::GetAtt"][0].asString();
    }
    if (!id.empty()) return function_names_.count(id) != 0 ? id : "";
    if (!value.isString()) return "";
    for (const auto& [function_id, name] : function_names_) {
      if (name == value.asString()) return function_id;
    }
    return "";
  }

  std::vector<std::string> WebSocketApis() {
    std::vector<std::string> apis;
    for (const auto& [id, values] : context_.resources) {
      if (TypeOf(id) != "AWS::ApiGatewayV2::Api") continue;
      std::optional<std::string> protocol =
          ResolveString(Properties(id), "ProtocolType", PropsPath(id),
                        "\"WEBSOCKET\" or \"HTTP\"", true);
      if (protocol && *protocol == "WEBSOCKET") apis.push_back(id);
    }
    return apis;
  }

  // Resources of `type` whose Properties.ApiId is a Ref to `api`.
  std::vector<std::string> ResourcesOf(const std::string& api, const std::string& type) {
    std::vector<std::string> ids;
    for (const auto& [id, values] : context_.resources) {
      if (TypeOf(id) == type && RefName(Resources()[id]["Properties"]["ApiId"]) == api) {
        ids.push_back(id);
      }
    }
    return ids;
  }

  void BuildApi(const std::string& api_id) {
    const Json::Value props = Properties(api_id);
    const std::string props_path = PropsPath(api_id);
    ApiConfig api;
    api.file = file_;
    api.dir = dir_;
    api.name = ResolveString(props, "Name", props_path, "a name", false).value_or(api_id);
    if (api.name.empty()) api.name = api_id;

    api.stage = "local";
    std::vector<std::string> stages = ResourcesOf(api_id, "AWS::ApiGatewayV2::Stage");
    if (!stages.empty()) {
      const std::string path = PropsPath(stages[0]);
      if (auto stage = ResolveString(Properties(stages[0]), "StageName", path, "a stage name",
                                     true)) {
        if (IsValidStageName(*stage)) {
          api.stage = *stage;
        } else {
          Problem(PathMember(path, "StageName"),
                  "a stage name made of letters, digits, '_' and '-'", DescribeValue(Json::Value(*stage)));
        }
      }
    }
    api.apiId = ApiIdFor(api.name, api.stage);

    api.routeSelectionExpressionText = "$request.body.action";
    if (auto text = ResolveString(props, "RouteSelectionExpression", props_path,
                                  "a selection expression such as \"$request.body.action\"",
                                  false)) {
      api.routeSelectionExpressionText = *text;
    }
    std::string expression_error;
    api.routeSelection =
        SelectionExpression::Parse(api.routeSelectionExpressionText, &expression_error);
    if (!api.routeSelection) {
      Problem(PathMember(props_path, "RouteSelectionExpression"),
              "a selection expression such as \"$request.body.action\"",
              DescribeValue(Json::Value(api.routeSelectionExpressionText)) + " (" + expression_error +
                  ")");
    }

    // Integration logical id -> the function logical id it invokes.
    std::map<std::string, std::string> integrations;
    for (const std::string& id : ResourcesOf(api_id, "AWS::ApiGatewayV2::Integration")) {
      if (auto function = IntegrationFunction(id)) integrations[id] = *function;
    }
    std::map<std::string, AuthorizerConfig> authorizers;  // logical id -> mapped authorizer
    std::set<std::string> broken_authorizers;
    for (const std::string& id : ResourcesOf(api_id, "AWS::ApiGatewayV2::Authorizer")) {
      if (auto authorizer = MapAuthorizer(id, &api)) {
        authorizers[id] = std::move(*authorizer);
      } else {
        broken_authorizers.insert(id);
      }
    }
    std::map<std::string, std::string> route_keys;  // route logical id -> route key
    for (const std::string& id : ResourcesOf(api_id, "AWS::ApiGatewayV2::Route")) {
      const Json::Value route_props = Properties(id);
      const std::string path = PropsPath(id);
      std::optional<std::string> key = ResolveString(route_props, "RouteKey", path,
                                                     "a route key such as \"$connect\"", true);
      if (!key) continue;
      if (key->empty() || ((*key)[0] == '$' && *key != "$connect" && *key != "$disconnect" &&
                           *key != "$default")) {
        Problem(PathMember(path, "RouteKey"),
                "\"$connect\", \"$disconnect\", \"$default\" or a custom route key that does not "
                "start with '$'",
                DescribeValue(Json::Value(*key)));
        continue;
      }
      std::optional<std::string> target = ResolveString(
          route_props, "Target", path,
          "\"integrations/\" and the Ref of an AWS::ApiGatewayV2::Integration", true);
      if (!target) continue;
      const std::string prefix = "integrations/";
      const std::string integration =
          target->rfind(prefix, 0) == 0 ? target->substr(prefix.size()) : "";
      auto it = integrations.find(integration);
      if (it == integrations.end()) {
        // A broken integration has its own problem already.
        if (ResourcesOf(api_id, "AWS::ApiGatewayV2::Integration").size() == integrations.size()) {
          Problem(PathMember(path, "Target"),
                  "\"integrations/\" and the Ref of an AWS_PROXY AWS::ApiGatewayV2::Integration "
                  "of this API",
                  DescribeValue(Json::Value(*target)));
        }
        continue;
      }
      bool authorizer_failed = false;
      std::optional<AuthorizerConfig> authorizer =
          RouteAuthorizer(id, *key, authorizers, broken_authorizers, &authorizer_failed);
      if (authorizer_failed) continue;
      std::optional<FunctionConfig> function = Function(it->second);
      if (!function) continue;
      RouteConfig config;
      config.key = *key;
      config.authorizer = std::move(authorizer);
      config.function = function->name;
      api.functions[function->name] = std::move(*function);
      api.routes[*key] = config;
      route_keys[id] = *key;
    }
    for (const std::string& id : ResourcesOf(api_id, "AWS::ApiGatewayV2::RouteResponse")) {
      const Json::Value response = Properties(id);
      const std::string route = RefName(Resources()[id]["Properties"]["RouteId"]);
      auto it = route_keys.find(route);
      if (it == route_keys.end()) {
        if (context_.resources.count(route) == 0) {
          Problem(PathMember(PropsPath(id), "RouteId"),
                  "the Ref of an AWS::ApiGatewayV2::Route of this API",
                  DescribeValue(Resources()[id]["Properties"]["RouteId"]));
        }
        continue;
      }
      std::optional<std::string> key = ResolveString(
          response, "RouteResponseKey", PropsPath(id), "\"$default\"", true);
      if (!key) continue;
      if (*key != "$default") {
        Problem(PathMember(PropsPath(id), "RouteResponseKey"), "\"$default\"",
                DescribeValue(Json::Value(*key)));
      } else if (it->second == "$connect" || it->second == "$disconnect") {
        Problem(PathMember(PropsPath(id), "RouteId"),
                "no route response on " + it->second +
                    " (API Gateway sends route responses only for message routes)",
                "a route response");
      } else {
        api.routes[it->second].routeResponse = true;
      }
    }
    if (api.routes.empty() && problems_.empty()) {
      Problem(PathMember("Resources", api_id),
              "at least one AWS::ApiGatewayV2::Route whose ApiId is !Ref " + api_id, "none");
    }
    apis_.push_back(std::move(api));
  }

  // The function an AWS_PROXY integration invokes, by the function ARN in its IntegrationUri.
  std::optional<std::string> IntegrationFunction(const std::string& id) {
    const Json::Value props = Properties(id);
    const std::string path = PropsPath(id);
    std::optional<std::string> type =
        ResolveString(props, "IntegrationType", path, "\"AWS_PROXY\"", true);
    if (!type) return std::nullopt;
    if (*type != "AWS_PROXY") {
      Problem(PathMember(path, "IntegrationType"),
              "\"AWS_PROXY\" (wsgw runs Lambda proxy integrations)", DescribeValue(Json::Value(*type)));
      return std::nullopt;
    }
    return FunctionOfUri(props, path, "IntegrationUri");
  }

  // The function logical id whose ARN the Lambda invocation URI props[key] names (an
  // Integration's IntegrationUri, an Authorizer's AuthorizerUri).
  std::optional<std::string> FunctionOfUri(const Json::Value& props, const std::string& path,
                                           const std::string& key) {
    const std::string expected =
        "an " + key +
        " naming a function of this template, such as !Sub "
        "arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${Fn.Arn}/invocations";
    std::optional<std::string> uri = ResolveString(props, key, path, expected, true);
    if (!uri) return std::nullopt;
    if (std::optional<std::string> function = FunctionForUri(*uri)) return function;
    Problem(PathMember(path, key), expected, DescribeValue(Json::Value(*uri)));
    return std::nullopt;
  }

  // The function an invocation URI (or a bare ARN) names, also through a version or alias
  // qualifier (".../functions/arn:...:function:Fn:live/invocations").
  std::optional<std::string> FunctionForUri(const std::string& uri) {
    const std::string suffix = "/invocations";
    const bool invocations = uri.size() > suffix.size() &&
                             uri.compare(uri.size() - suffix.size(), suffix.size(), suffix) == 0;
    for (const auto& [function_id, name] : function_names_) {
      const std::string arn = context_.resources[function_id].attributes["Arn"].asString();
      const std::string needle = "functions/" + arn;
      const size_t at = uri.find(needle);
      if (uri == arn || uri.rfind(arn + ":", 0) == 0) return function_id;
      if (at == std::string::npos || !invocations) continue;
      const size_t end = at + needle.size();
      if (uri.compare(end, std::string::npos, suffix) == 0 ||
          (uri[end] == ':' && uri.find('/', end) == uri.size() - suffix.size())) {
        return function_id;
      }
    }
    return std::nullopt;
  }

  // An AWS::ApiGatewayV2::Authorizer: REQUEST, its function, IdentitySource and Name. The
  // ApiGatewayV2 reference makes IdentitySource optional for REQUEST authorizers: without it no
  // identity is checked before the function runs.
  std::optional<AuthorizerConfig> MapAuthorizer(const std::string& id, ApiConfig* api) {
    const Json::Value props = Properties(id);
    const std::string path = PropsPath(id);
    const size_t problems_before = problems_.size();
    AuthorizerConfig config;
    if (auto type = ResolveString(props, "AuthorizerType", path, "\"REQUEST\"", true)) {
      if (*type != "REQUEST") {
        Problem(PathMember(path, "AuthorizerType"),
                "\"REQUEST\" (the only authorizer type of WebSocket APIs)",
                DescribeValue(Json::Value(*type)));
      }
    }
    config.name = ResolveString(props, "Name", path, "a name", false).value_or(id);
    if (config.name.empty()) config.name = id;
    const std::string sources_path = PathMember(path, "IdentitySource");
    const std::string sources_expected =
        "a list of identity sources such as route.request.header.Authorization";
    if (!props.isMember("IdentitySource")) {
      // nothing to check before calling it
    } else if (std::optional<Json::Value> sources =
                   Resolve(props["IdentitySource"], sources_path)) {
      if (!sources->isArray() || sources->empty()) {
        Problem(sources_path, sources_expected, DescribeValue(*sources));
      } else {
        for (Json::ArrayIndex i = 0; i < sources->size(); ++i) {
          const Json::Value& source = (*sources)[i];
          std::string expected = "an identity source such as route.request.header.Authorization";
          if (!source.isString() || !IsSupportedIdentitySource(source.asString(), &expected)) {
            Problem(PathIndex(sources_path, i), expected, DescribeValue(source));
            continue;
          }
          config.identitySources.push_back(source.asString());
        }
      }
    }
    if (std::optional<std::string> function_id = FunctionOfUri(props, path, "AuthorizerUri")) {
      if (std::optional<FunctionConfig> function = Function(*function_id)) {
        config.function = function->name;
        api->functions[function->name] = std::move(*function);
      }
    }
    if (problems_.size() != problems_before) return std::nullopt;
    return config;
  }

  // A route's AuthorizationType and AuthorizerId: the Lambda authorizer it names (CUSTOM), none
  // (NONE or absent), or a problem. `authorizers` holds this API's mapped authorizers; ids in
  // `broken` already have problems of their own.
  std::optional<AuthorizerConfig> RouteAuthorizer(
      const std::string& route_id, const std::string& key,
      const std::map<std::string, AuthorizerConfig>& authorizers,
      const std::set<std::string>& broken, bool* failed) {
    const Json::Value props = Properties(route_id);
    const std::string path = PropsPath(route_id);
    const std::string type =
        ResolveString(props, "AuthorizationType", path, "\"NONE\" or \"CUSTOM\"", false)
            .value_or("NONE");
    const std::string type_path = PathMember(path, "AuthorizationType");
    const std::string id_path = PathMember(path, "AuthorizerId");
    *failed = true;
    if (type == "NONE") {
      if (props.isMember("AuthorizerId")) {
        Problem(id_path, "an AuthorizerId only with AuthorizationType CUSTOM",
                DescribeValue(props["AuthorizerId"]));
        return std::nullopt;
      }
      *failed = false;
      return std::nullopt;
    }
    if (type == "AWS_IAM") {
      // Refusing would stop the project from running at all; the warning says what differs.
      Warning(type_path, "",
              "AWS_IAM authorization is not checked: wsgw does not verify SigV4 signatures, so "
              "every client is let in");
      *failed = false;
      return std::nullopt;
    }
    if (type != "CUSTOM") {
      Problem(type_path, "\"NONE\", \"AWS_IAM\" or \"CUSTOM\"", DescribeValue(Json::Value(type)));
      return std::nullopt;
    }
    if (key != "$connect") {
      Problem(type_path,
              "AuthorizationType CUSTOM only on the $connect route (API Gateway runs authorizers "
              "only there)",
              DescribeValue(Json::Value(type)) + " on route " + key);
      return std::nullopt;
    }
    const std::string expected = "the Ref of an AWS::ApiGatewayV2::Authorizer of this API";
    if (!props.isMember("AuthorizerId")) {
      Problem(id_path, expected + " (AuthorizationType is CUSTOM)", kMissing);
      return std::nullopt;
    }
    const std::string authorizer = RefName(Resources()[route_id]["Properties"]["AuthorizerId"]);
    if (broken.count(authorizer) != 0) return std::nullopt;
    auto it = authorizers.find(authorizer);
    if (it == authorizers.end()) {
      Problem(id_path, expected, DescribeValue(props["AuthorizerId"]));
      return std::nullopt;
    }
    *failed = false;
    return it->second;
  }

  std::optional<FunctionConfig> Function(const std::string& id) {
    if (auto it = functions_.find(id); it != functions_.end()) return it->second;
    if (failed_functions_.count(id) != 0) return std::nullopt;
    const size_t problems_before = problems_.size();
    std::optional<FunctionConfig> f = MapFunction(id);
    if (problems_.size() != problems_before) f.reset();
    if (f) {
      functions_[id] = *f;
    } else {
      failed_functions_.insert(id);
    }
    return f;
  }

  std::optional<FunctionConfig> MapFunction(const std::string& id) {
    const Json::Value props = Properties(id);
    const std::string path = PropsPath(id);
    const bool sam = TypeOf(id) == "AWS::Serverless::Function";
    FunctionConfig f;
    f.kind = FunctionConfig::Kind::kRuntime;
    f.name = function_names_[id];
    if (f.name.empty() || f.name.size() > 64 ||
        f.name.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") !=
            std::string::npos) {
      Problem(PathMember(path, "FunctionName"),
              "a function name made of letters, digits, '_' and '-' (at most 64)",
              DescribeValue(Json::Value(f.name)));
    }
    if (auto package = ResolveString(props, "PackageType", path, "\"Zip\"", false);
        package && *package != "Zip") {
      Problem(PathMember(path, "PackageType"),
              "\"Zip\" (wsgw runs handlers from their source, not container images)",
              DescribeValue(Json::Value(*package)));
      return std::nullopt;
    }
    if (auto runtime = ResolveString(props, "Runtime", path,
                                     "a runtime such as \"python3.12\" or \"nodejs20.x\"", true)) {
      if (runtime->rfind("nodejs", 0) == 0) {
        f.runtime = "nodejs";
      } else if (runtime->rfind("python3", 0) == 0) {
        f.runtime = "python";
      } else {
        Problem(PathMember(path, "Runtime"),
                "a runtime wsgw runs: nodejs* (e.g. \"nodejs20.x\") or python3* (e.g. "
                "\"python3.12\")",
                DescribeValue(Json::Value(*runtime)));
      }
    }
    if (auto handler = ResolveString(props, "Handler", path,
                                     "a handler such as \"app.handler\" (file.export)", true)) {
      const size_t slash = handler->rfind('/');
      const std::string base = slash == std::string::npos ? *handler : handler->substr(slash + 1);
      const size_t dot = base.rfind('.');
      if (dot == std::string::npos || dot == 0 || dot + 1 == base.size()) {
        Problem(PathMember(path, "Handler"), "a handler such as \"app.handler\" (file.export)",
                DescribeValue(Json::Value(*handler)));
      }
      f.handler = *handler;
    }
    f.codeDir = CodeDir(id, props, path, sam);

    if (props.isMember("Timeout")) {
      std::optional<std::string> seconds =
          ResolveString(props, "Timeout", path, "seconds from 1 to 900", false);
      long value = 0;
      if (seconds) {
        char* end = nullptr;
        value = std::strtol(seconds->c_str(), &end, 10);
        if (end == seconds->c_str() || *end != '\0' || value < 1 || value > 900) {
          Problem(PathMember(path, "Timeout"), "seconds from 1 to 900",
                  DescribeValue(Json::Value(*seconds)));
          value = 0;
        }
      }
      if (value > 0) f.timeoutMs = static_cast<int>(value) * 1000;
    }
    const std::string env_path = PathMember(PathMember(path, "Environment"), "Variables");
    const Json::Value& variables = props["Environment"]["Variables"];
    if (!variables.isNull()) {
      std::optional<Json::Value> resolved = Resolve(variables, env_path);
      if (resolved && !resolved->isObject()) {
        Problem(env_path, "an object of environment variables", DescribeValue(*resolved));
      } else if (resolved) {
        for (const std::string& name : resolved->getMemberNames()) {
          const Json::Value& value = (*resolved)[name];
          if (!value.isString() && !value.isNumeric() && !value.isBool()) {
            Problem(PathMember(env_path, name), "a string", DescribeValue(value));
            continue;
          }
          f.env[name] = StringOf(value);
        }
      }
    }
    return f;
  }

  std::string CodeDir(const std::string& id, const Json::Value& props, const std::string& path,
                      bool sam) {
    auto folder = [&](const std::string& relative, const std::string& at) -> std::string {
      fs::path p = fs::path(relative).is_absolute() ? fs::path(relative)
                                                    : fs::path(dir_) / relative;
      p = p.lexically_normal();
      std::error_code ec;
      if (!fs::is_directory(p, ec)) {
        Problem(at, "a folder with the function's code", DescribeValue(Json::Value(p.string())) +
                                                             " (not a folder)");
      }
      std::string s = p.string();
      while (s.size() > 1 && s.back() == '/') s.pop_back();
      return s;
    };
    const Json::Value& asset = Resources()[id]["Metadata"]["aws:asset:path"];
    if (asset.isString()) {
      const std::string at =
          PathMember(PathMember(PathMember("Resources", id), "Metadata"), "aws:asset:path");
      fs::path p = fs::path(asset.asString()).is_absolute() ? fs::path(asset.asString())
                                                            : fs::path(dir_) / asset.asString();
      std::error_code ec;
      if (fs::is_regular_file(p, ec)) {
        Problem(at, "a folder with the function's code (wsgw runs handlers from their files)",
                DescribeValue(Json::Value(p.lexically_normal().string())) +
                    " (a file: Code.fromAsset of a .zip or a jar; give Code.fromAsset the folder "
                    "instead)");
        return "";
      }
      if (!fs::exists(p, ec)) {
        Problem(at, "a folder with the function's code",
                DescribeValue(Json::Value(p.lexically_normal().string())) +
                    " (missing: cdk.out is older than the template or incomplete; run `cdk "
                    "synth` again)");
        return "";
      }
      return folder(asset.asString(), at);
    }
    if (sam) {
      if (!props.isMember("CodeUri")) return dir_;
      std::optional<Json::Value> uri = Resolve(props["CodeUri"], PathMember(path, "CodeUri"));
      if (!uri) return "";
      if (!uri->isString() || uri->asString().rfind("s3://", 0) == 0) {
        Problem(PathMember(path, "CodeUri"),
                "a local folder with the function's code (wsgw cannot run code from S3)",
                DescribeValue(*uri));
        return "";
      }
      return folder(uri->asString(), PathMember(path, "CodeUri"));
    }
    const Json::Value& code = props["Code"];
    std::string found = kMissing;
    if (code.isObject() && code.isMember("ZipFile")) {
      found = "inline code (Code.ZipFile), which wsgw does not run";
    } else if (code.isObject() && code.isMember("S3Key")) {
      found = "code in S3 (Code.S3Key) without a local aws:asset:path";
    } else if (code.isObject() && code.isMember("ImageUri")) {
      found = "a container image (Code.ImageUri)";
    }
    Problem(PathMember(path, "Code"),
            "a local code folder: SAM's CodeUri, or a CDK asset (Metadata \"aws:asset:path\" "
            "relative to cdk.out)",
            found);
    return "";
  }

  std::optional<TableKeyConfig> Key(const Json::Value& schema, const Json::Value& definitions,
                                    const std::string& kind, const std::string& path) {
    if (!schema.isArray()) return std::nullopt;
    for (Json::ArrayIndex i = 0; i < schema.size(); ++i) {
      if (StringOf(schema[i]["KeyType"]) != kind) continue;
      TableKeyConfig key;
      key.name = StringOf(schema[i]["AttributeName"]);
      bool defined = false;
      if (definitions.isArray()) {
        for (const Json::Value& d : definitions) {
          if (StringOf(d["AttributeName"]) == key.name) {
            key.type = StringOf(d["AttributeType"]);
            defined = true;
          }
        }
      }
      if (!defined || (key.type != "S" && key.type != "N" && key.type != "B")) {
        Problem(PathIndex(path, i),
                "a key attribute declared in AttributeDefinitions with AttributeType S, N or B",
                DescribeValue(Json::Value(key.name)));
        return std::nullopt;
      }
      return key;
    }
    return std::nullopt;
  }

  std::vector<TableConfig> Tables() {
    std::vector<TableConfig> tables;
    for (const auto& [id, values] : context_.resources) {
      const std::string type = TypeOf(id);
      if (!IsTable(type)) continue;
      const std::string path = PropsPath(id);
      // Only what CreateTable needs: the rest (SSESpecification with a KMS key's Arn, Kinesis
      // streams, Replicas, Tags) may name attributes wsgw does not model.
      const Json::Value all = Properties(id);
      Json::Value wanted(Json::objectValue);
      for (const char* key : {"PrimaryKey", "AttributeDefinitions", "KeySchema",
                              "GlobalSecondaryIndexes", "LocalSecondaryIndexes",
                              "TimeToLiveSpecification"}) {
        if (all.isMember(key)) wanted[key] = all[key];
      }
      std::optional<Json::Value> props = Resolve(wanted, path);
      if (!props) continue;
      TableConfig table;
      table.name = values.ref.asString();
      if (type == "AWS::Serverless::SimpleTable") {
        const Json::Value& primary = (*props)["PrimaryKey"];
        table.hashKey.name = primary.isMember("Name") ? StringOf(primary["Name"]) : "id";
        const std::string t = primary.isMember("Type") ? StringOf(primary["Type"]) : "String";
        table.hashKey.type = t == "Number" ? "N" : t == "Binary" ? "B" : "S";
        tables.push_back(std::move(table));
        continue;
      }
      const Json::Value& definitions = (*props)["AttributeDefinitions"];
      const std::string schema_path = PathMember(path, "KeySchema");
      std::optional<TableKeyConfig> hash = Key((*props)["KeySchema"], definitions, "HASH",
                                               schema_path);
      if (!hash) {
        Problem(schema_path, "a KeySchema with a HASH key declared in AttributeDefinitions",
                DescribeValue((*props)["KeySchema"]));
        continue;
      }
      table.hashKey = *hash;
      table.rangeKey = Key((*props)["KeySchema"], definitions, "RANGE", schema_path);
      for (const char* section : {"GlobalSecondaryIndexes", "LocalSecondaryIndexes"}) {
        const Json::Value& indexes = (*props)[section];
        if (!indexes.isArray()) continue;
        for (Json::ArrayIndex i = 0; i < indexes.size(); ++i) {
          const std::string index_path = PathIndex(PathMember(path, section), i);
          const Json::Value& index = indexes[i];
          TableIndexConfig config;
          config.name = StringOf(index["IndexName"]);
          config.local = std::string(section) == "LocalSecondaryIndexes";
          std::optional<TableKeyConfig> index_hash =
              Key(index["KeySchema"], definitions, "HASH", PathMember(index_path, "KeySchema"));
          if (config.name.empty() || !index_hash) {
            Problem(index_path, "an index with IndexName and a HASH key in its KeySchema",
                    DescribeValue(index));
            continue;
          }
          config.hashKey = *index_hash;
          config.rangeKey =
              Key(index["KeySchema"], definitions, "RANGE", PathMember(index_path, "KeySchema"));
          const Json::Value& projection = index["Projection"];
          if (projection.isMember("ProjectionType")) {
            config.projection = StringOf(projection["ProjectionType"]);
          }
          for (const Json::Value& attribute : projection["NonKeyAttributes"]) {
            config.nonKeyAttributes.push_back(StringOf(attribute));
          }
          table.indexes.push_back(std::move(config));
        }
      }
      const Json::Value& ttl = (*props)["TimeToLiveSpecification"];
      if (ttl.isObject()) {
        const Json::Value& enabled = ttl["Enabled"];
        if (enabled.asBool() || StringOf(enabled) == "true") {
          table.ttlAttribute = StringOf(ttl["AttributeName"]);
        }
      }
      tables.push_back(std::move(table));
    }
    std::sort(tables.begin(), tables.end(),
              [](const TableConfig& a, const TableConfig& b) { return a.name < b.name; });
    return tables;
  }

  const YamlDocument& doc_;
  const Json::Value& root_;
  std::string file_;
  std::string dir_;
  const ProjectOptions& options_;
  const std::map<std::string, std::string>* display_paths_;
  bool check_parameters_;  // false for a generated template: its source owns --parameter
  IntrinsicContext context_;
  std::string region_;
  std::string account_;
  std::string stack_;
  std::set<std::string> skipped_;                      // resources whose Condition is false
  std::map<std::string, std::string> function_names_;  // function logical id -> its name
  std::vector<ConfigProblem> warnings_;
  std::map<std::string, FunctionConfig> functions_;
  std::set<std::string> failed_functions_;
  std::vector<ApiConfig> apis_;
  std::vector<ConfigProblem> problems_;
};

// SAM's AWS::Serverless::WebSocketApi, expanded as the SAM transform does into the resources
// the importer maps: the Api under the same logical id, <Id><StageName>Stage (StageName default
// "default"), and per route key <Id><key without special characters>Route and ...Integration
// (AWS_PROXY to the route's FunctionArn), and with Auth of AuthType CUSTOM an <Id>Authorizer on
// $connect. Each generated path is shown as the WebSocketApi's property it came from. Whether
// the template has one.
bool ExpandSamWebSocketApis(Json::Value* root, std::map<std::string, std::string>* display) {
  Json::Value& resources = (*root)["Resources"];
  if (!resources.isObject()) return false;
  bool expanded = false;
  for (const std::string& id : resources.getMemberNames()) {
    Json::Value& resource = resources[id];
    if (!resource.isObject() || StringOf(resource["Type"]) != "AWS::Serverless::WebSocketApi") {
      continue;
    }
    expanded = true;
    const std::string at = PathMember("Resources", id);
    const std::string props_at = PathMember(at, "Properties");
    const Json::Value props =
        resource["Properties"].isObject() ? resource["Properties"] : Json::Value(Json::objectValue);
    const auto& ref = RefTo;
    const auto& invocation = LambdaInvocationUri;
    Json::Value api(Json::objectValue);
    api["Type"] = "AWS::ApiGatewayV2::Api";
    if (resource.isMember("Condition")) api["Condition"] = resource["Condition"];
    api["Properties"]["ProtocolType"] = "WEBSOCKET";
    for (const char* key : {"Name", "RouteSelectionExpression", "ApiKeySelectionExpression"}) {
      if (props.isMember(key)) api["Properties"][key] = props[key];
    }
    if (!props.isMember("Name")) api["Properties"]["Name"] = id;

    const Json::Value stage_name = props.isMember("StageName") ? props["StageName"]
                                                               : Json::Value("default");
    const std::string stage_id = id + StringOf(stage_name) + "Stage";
    Json::Value stage(Json::objectValue);
    stage["Type"] = "AWS::ApiGatewayV2::Stage";
    stage["Properties"]["ApiId"] = ref(id);
    stage["Properties"]["StageName"] = stage_name;
    (*display)[PathMember("Resources", stage_id)] = PathMember(props_at, "StageName");
    (*display)[PathMember(PathMember(PathMember("Resources", stage_id), "Properties"),
                          "StageName")] = PathMember(props_at, "StageName");

    const Json::Value& auth = props["Auth"];
    std::string authorizer_id;
    if (auth.isObject() && StringOf(auth["AuthType"]) == "CUSTOM") {
      authorizer_id = id + "Authorizer";
      Json::Value authorizer(Json::objectValue);
      authorizer["Type"] = "AWS::ApiGatewayV2::Authorizer";
      authorizer["Properties"]["ApiId"] = ref(id);
      authorizer["Properties"]["AuthorizerType"] = "REQUEST";
      authorizer["Properties"]["AuthorizerUri"] = invocation(auth["AuthArn"]);
      authorizer["Properties"]["Name"] = auth.isMember("Name") ? auth["Name"] : Json::Value(authorizer_id);
      if (auth.isMember("IdentitySource")) {
        authorizer["Properties"]["IdentitySource"] = auth["IdentitySource"];
      }
      resources[authorizer_id] = authorizer;
      const std::string auth_at = PathMember(props_at, "Auth");
      (*display)[PathMember("Resources", authorizer_id)] = auth_at;
      const std::string generated = PathMember(PathMember("Resources", authorizer_id), "Properties");
      (*display)[PathMember(generated, "AuthorizerUri")] = PathMember(auth_at, "AuthArn");
      (*display)[PathMember(generated, "IdentitySource")] = PathMember(auth_at, "IdentitySource");
    }
    const Json::Value& routes = props["Routes"];
    if (routes.isObject()) {
      for (const std::string& key : routes.getMemberNames()) {
        std::string normalized;
        for (char c : key) {
          if (std::isalnum(static_cast<unsigned char>(c)) != 0) normalized += c;
        }
        const std::string route_id = id + normalized + "Route";
        const std::string integration_id = id + normalized + "Integration";
        const Json::Value& config = routes[key];
        const std::string config_at = PathMember(PathMember(props_at, "Routes"), key);
        Json::Value integration(Json::objectValue);
        integration["Type"] = "AWS::ApiGatewayV2::Integration";
        integration["Properties"]["ApiId"] = ref(id);
        integration["Properties"]["IntegrationType"] = "AWS_PROXY";
        integration["Properties"]["IntegrationUri"] =
            invocation(config.isObject() ? config["FunctionArn"] : Json::Value());
        resources[integration_id] = integration;
        const std::string integration_at = PathMember("Resources", integration_id);
        (*display)[integration_at] = config_at;
        (*display)[PathMember(PathMember(integration_at, "Properties"), "IntegrationUri")] =
            PathMember(config_at, "FunctionArn");
        Json::Value target(Json::objectValue);
        target["Fn::Join"].append("/");
        target["Fn::Join"].append(Json::Value(Json::arrayValue));
        target["Fn::Join"][1].append("integrations");
        target["Fn::Join"][1].append(ref(integration_id));
        Json::Value route(Json::objectValue);
        route["Type"] = "AWS::ApiGatewayV2::Route";
        route["Properties"]["ApiId"] = ref(id);
        route["Properties"]["RouteKey"] = key;
        route["Properties"]["Target"] = target;
        if (!authorizer_id.empty() && key == "$connect") {
          route["Properties"]["AuthorizationType"] = "CUSTOM";
          route["Properties"]["AuthorizerId"] = ref(authorizer_id);
        } else if (auth.isObject() && key == "$connect" && auth.isMember("AuthType")) {
          route["Properties"]["AuthorizationType"] = auth["AuthType"];
        }
        if (config.isObject() && config.isMember("RouteResponseSelectionExpression")) {
          route["Properties"]["RouteResponseSelectionExpression"] =
              config["RouteResponseSelectionExpression"];
        }
        resources[route_id] = route;
        const std::string route_at = PathMember("Resources", route_id);
        (*display)[route_at] = config_at;
        (*display)[PathMember(PathMember(route_at, "Properties"), "RouteKey")] = config_at;
        (*display)[PathMember(PathMember(route_at, "Properties"), "AuthorizationType")] =
            PathMember(PathMember(props_at, "Auth"), "AuthType");
      }
    }
    resources[stage_id] = stage;
    resource = api;
  }
  return expanded;
}

}  // namespace

ProjectResult ImportDocument(
    const std::string& text, const std::string& file, const std::string& dir,
    const std::string& what,
    const std::function<ProjectResult(const YamlDocument&, const std::string& dir)>& import) {
  const std::string whole = "(" + what.substr(what.rfind(' ') + 1) + ")";  // "(template)"
  YamlError error;
  std::optional<YamlDocument> doc = ParseYamlDocument(text, &error);
  if (!doc) {
    ProjectResult result;
    std::string where = error.line == 0 ? file : file + ":" + std::to_string(error.line);
    if (error.column != 0) where += ":" + std::to_string(error.column);
    result.problems.push_back(
        ConfigProblem{where, whole, "a YAML or JSON " + what, error.message});
    return result;
  }
  std::error_code ec;
  fs::path base = (dir.empty() ? fs::current_path(ec) : fs::absolute(dir, ec)).lexically_normal();
  std::string base_text = base.string();
  while (base_text.size() > 1 && base_text.back() == '/') base_text.pop_back();
  try {
    return import(*doc, base_text);
  } catch (const Json::Exception& e) {  // a shape no check expected: a problem, not a crash
    ProjectResult result;
    result.problems.push_back(ConfigProblem{file, whole, "a " + what + " wsgw can map",
                                            std::string("a value of an unexpected type (") +
                                                e.what() + ")"});
    return result;
  }
}

ProjectResult ParseCloudFormation(const std::string& text, const std::string& file,
                                  const std::string& dir, const ProjectOptions& options) {
  return ImportDocument(text, file, dir, "template",
                        [&](const YamlDocument& doc, const std::string& base) {
                          Json::Value root = doc.root;
                          std::map<std::string, std::string> display;
                          if (root.isObject() && ExpandSamWebSocketApis(&root, &display)) {
                            return Importer(doc, file, base, options, &display, &root).Run();
                          }
                          return Importer(doc, file, base, options).Run();
                        });
}

ProjectResult ImportGeneratedTemplate(const GeneratedTemplate& generated, const std::string& file,
                                      const std::string& dir, const ProjectOptions& options) {
  static const YamlDocument kNoLines;
  const YamlDocument& lines = generated.source != nullptr ? *generated.source : kNoLines;
  try {
    return Importer(lines, file, dir, options, &generated.displayPaths, &generated.root,
                    /*check_parameters=*/false)
        .Run();
  } catch (const Json::Exception& e) {  // a problem, not a crash, as in ImportDocument
    ProjectResult result;
    result.problems.push_back(ConfigProblem{file, "(file)", "a file wsgw can map",
                                            std::string("a value of an unexpected type (") +
                                                e.what() + ")"});
    return result;
  }
}

ProjectResult LoadCloudFormationFile(const std::string& path, const ProjectOptions& options) {
  ProjectResult result;
  std::ifstream in(path, std::ios::binary);
  std::error_code ec;
  if (fs::is_directory(path, ec) || !in) {
    result.problems.push_back(ConfigProblem{path, "(template)", "a readable template",
                                            fs::is_directory(path, ec) ? "a directory"
                                                                       : std::strerror(errno)});
    return result;
  }
  std::ostringstream text;
  text << in.rdbuf();
  return ParseCloudFormation(text.str(), path, fs::absolute(path, ec).parent_path().string(),
                             options);
}

}  // namespace wsgw
