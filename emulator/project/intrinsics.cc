#include "project/intrinsics.h"

#include "base/json.h"

#include <set>
#include <vector>

#include "base/base64.h"
#include "project/yaml_document.h"

namespace wsgw {
namespace {

constexpr int kMaxDepth = 200;


// A scalar as the string CloudFormation would substitute.
std::optional<std::string> AsString(const Json::Value& v) {
  if (v.isString()) return v.asString();
  if (v.isBool()) return std::string(v.asBool() ? "true" : "false");
  if (v.isIntegral()) return v.isUInt64() ? std::to_string(v.asUInt64())
                                          : std::to_string(v.asInt64());
  if (v.isDouble()) {
    Json::StreamWriterBuilder builder;
    return Json::writeString(builder, v);
  }
  return std::nullopt;
}

class Evaluator {
 public:
  Evaluator(const IntrinsicContext& context, IntrinsicError* error)
      : context_(context), error_(error) {}

  // False on error. `*removed` is set when the value is Ref AWS::NoValue.
  bool Eval(const Json::Value& in, const std::string& path, int depth, Json::Value* out,
            bool* removed) {
    *removed = false;
    if (depth > kMaxDepth) return Fail(path, "the value nests too deeply");
    if (in.isArray()) {
      Json::Value array(Json::arrayValue);
      for (Json::ArrayIndex i = 0; i < in.size(); ++i) {
        Json::Value item;
        bool gone = false;
        if (!Eval(in[i], PathIndex(path, i), depth + 1, &item, &gone)) return false;
        if (!gone) array.append(std::move(item));
      }
      *out = std::move(array);
      return true;
    }
    if (!in.isObject()) {
      *out = in;
      return true;
    }
    if (in.size() == 1) {
      const std::string name = in.getMemberNames()[0];
      if (name == "Ref" || name.rfind("Fn::", 0) == 0) {
        return Function(name, in[name], PathMember(path, name), depth + 1, out, removed);
      }
    }
    Json::Value object(Json::objectValue);
    for (const std::string& key : in.getMemberNames()) {
      Json::Value item;
      bool gone = false;
      if (!Eval(in[key], PathMember(path, key), depth + 1, &item, &gone)) return false;
      if (!gone) object[key] = std::move(item);
    }
    *out = std::move(object);
    return true;
  }

  // A condition expression: {"Condition": name}, Fn::Equals/And/Or/Not, or a boolean.
  std::optional<bool> Bool(const Json::Value& in, const std::string& path, int depth) {
    if (depth > kMaxDepth) return FailBool(path, "the condition nests too deeply");
    if (in.isObject() && in.size() == 1 && in.isMember("Condition")) {
      if (!in["Condition"].isString()) {
        return FailBool(path, "Condition: expected a condition name, found " +
                                  DescribeValue(in["Condition"]));
      }
      return Named(in["Condition"].asString(), PathMember(path, "Condition"), depth + 1);
    }
    Json::Value value;
    bool removed = false;
    if (!Eval(in, path, depth + 1, &value, &removed)) return std::nullopt;
    if (value.isBool()) return value.asBool();
    if (value.isString() && (value.asString() == "true" || value.asString() == "false")) {
      return value.asString() == "true";
    }
    return FailBool(path, "expected a condition (Fn::Equals, Fn::And, Fn::Or, Fn::Not or "
                          "Condition), found " + DescribeValue(value));
  }

  std::optional<bool> Named(const std::string& name, const std::string& path, int depth) {
    if (!context_.conditions.isObject() || !context_.conditions.isMember(name)) {
      return FailBool(path, "Condition: no condition \"" + name + "\" in Conditions");
    }
    if (!evaluating_.insert(name).second) {
      return FailBool(path, "Condition: \"" + name + "\" depends on itself");
    }
    std::optional<bool> result =
        Bool(context_.conditions[name], PathMember("Conditions", name), depth + 1);
    evaluating_.erase(name);
    return result;
  }

 private:
  bool Fail(const std::string& path, std::string message) {
    if (error_->message.empty()) {
      error_->path = path;
      error_->message = std::move(message);
    }
    return false;
  }
  std::optional<bool> FailBool(const std::string& path, std::string message) {
    Fail(path, std::move(message));
    return std::nullopt;
  }

  bool Value(const Json::Value& in, const std::string& path, int depth, Json::Value* out) {
    bool removed = false;
    if (!Eval(in, path, depth, out, &removed)) return false;
    if (removed) *out = Json::Value();
    return true;
  }

  bool String(const Json::Value& in, const std::string& path, int depth, const std::string& fn,
              std::string* out) {
    Json::Value value;
    if (!Value(in, path, depth, &value)) return false;
    std::optional<std::string> s = AsString(value);
    if (!s) return Fail(path, fn + ": expected a string, found " + DescribeValue(value));
    *out = *s;
    return true;
  }

  bool List(const Json::Value& in, const std::string& path, int depth, const std::string& fn,
            Json::Value* out) {
    if (!Value(in, path, depth, out)) return false;
    if (!out->isArray()) return Fail(path, fn + ": expected a list, found " + DescribeValue(*out));
    return true;
  }

  bool Args(const Json::Value& args, const std::string& path, const std::string& fn,
            Json::ArrayIndex min, Json::ArrayIndex max, const std::string& shape) {
    if (!args.isArray() || args.size() < min || args.size() > max) {
      return Fail(path, fn + ": expected " + shape + ", found " + DescribeValue(args));
    }
    return true;
  }

  bool Ref(const std::string& name, const std::string& path, Json::Value* out, bool* removed) {
    if (name == "AWS::NoValue") {
      *removed = true;
      *out = Json::Value();
      return true;
    }
    if (auto it = context_.parameters.find(name); it != context_.parameters.end()) {
      *out = it->second;
      return true;
    }
    if (auto it = context_.resources.find(name); it != context_.resources.end()) {
      *out = it->second.ref;
      return true;
    }
    if (name.rfind("AWS::", 0) == 0) {
      return Fail(path, "Ref: the pseudo parameter " + name + " has no local value");
    }
    return Fail(path, "Ref: no parameter or resource \"" + name + "\" in the template");
  }

  bool GetAtt(const std::string& resource, const std::string& attribute, const std::string& path,
              Json::Value* out) {
    auto it = context_.resources.find(resource);
    if (it == context_.resources.end()) {
      return Fail(path, "Fn::GetAtt: no resource \"" + resource + "\" in Resources");
    }
    auto attr = it->second.attributes.find(attribute);
    if (attr == it->second.attributes.end()) {
      std::string known;
      for (const auto& [name, value] : it->second.attributes) {
        known += (known.empty() ? "" : ", ") + name;
      }
      return Fail(path, "Fn::GetAtt: wsgw knows no attribute \"" + attribute + "\" of \"" +
                            resource + "\"" + (known.empty() ? "" : " (it knows " + known + ")"));
    }
    *out = attr->second;
    return true;
  }

  bool Sub(const Json::Value& args, const std::string& path, int depth, Json::Value* out) {
    std::string text;
    std::map<std::string, std::string> variables;
    if (args.isString()) {
      text = args.asString();
    } else {
      if (!Args(args, path, "Fn::Sub", 2, 2, "a string or [string, {variables}]")) return false;
      if (!args[0].isString()) {
        return Fail(PathIndex(path, 0), "Fn::Sub: expected a string, found " + DescribeValue(args[0]));
      }
      text = args[0].asString();
      if (!args[1].isObject()) {
        return Fail(PathIndex(path, 1),
                    "Fn::Sub: expected an object of variables, found " + DescribeValue(args[1]));
      }
      for (const std::string& name : args[1].getMemberNames()) {
        std::string value;
        if (!String(args[1][name], PathMember(PathIndex(path, 1), name), depth + 1, "Fn::Sub",
                    &value)) {
          return false;
        }
        variables[name] = value;
      }
    }
    std::string result;
    size_t i = 0;
    while (i < text.size()) {
      const size_t open = text.find("${", i);
      if (open == std::string::npos) {
        result += text.substr(i);
        break;
      }
      result += text.substr(i, open - i);
      const size_t close = text.find('}', open + 2);
      if (close == std::string::npos) {
        return Fail(path, "Fn::Sub: \"${\" without its \"}\" in " + DescribeValue(Json::Value(text)));
      }
      std::string name = text.substr(open + 2, close - open - 2);
      i = close + 1;
      if (!name.empty() && name[0] == '!') {
        result += "${" + name.substr(1) + "}";
        continue;
      }
      while (!name.empty() && name.front() == ' ') name.erase(0, 1);
      while (!name.empty() && name.back() == ' ') name.pop_back();
      if (auto it = variables.find(name); it != variables.end()) {
        result += it->second;
        continue;
      }
      Json::Value value;
      bool removed = false;
      const size_t dot = name.find('.');
      if (context_.parameters.count(name) != 0 || dot == std::string::npos) {
        if (!Ref(name, path, &value, &removed)) return false;
      } else if (!GetAtt(name.substr(0, dot), name.substr(dot + 1), path, &value)) {
        return false;
      }
      std::optional<std::string> s = AsString(value);
      if (!s) {
        return Fail(path, "Fn::Sub: ${" + name + "} is " + DescribeValue(value) + ", not a string");
      }
      result += *s;
    }
    *out = result;
    return true;
  }

  bool Function(const std::string& name, const Json::Value& args, const std::string& path,
                int depth, Json::Value* out, bool* removed) {
    if (name == "Ref") {
      if (!args.isString()) {
        return Fail(path, "Ref: expected a parameter or resource name, found " + DescribeValue(args));
      }
      return Ref(args.asString(), path, out, removed);
    }
    if (name == "Fn::GetAtt") {
      Json::Value pair = args;
      if (args.isString()) {
        const std::string s = args.asString();
        const size_t dot = s.find('.');
        pair = Json::Value(Json::arrayValue);
        pair.append(s.substr(0, dot));
        if (dot != std::string::npos) pair.append(s.substr(dot + 1));
      }
      if (!Args(pair, path, name, 2, 2, "[resource, attribute]")) return false;
      std::string resource;
      std::string attribute;
      if (!String(pair[0], PathIndex(path, 0), depth, name, &resource) ||
          !String(pair[1], PathIndex(path, 1), depth, name, &attribute)) {
        return false;
      }
      return GetAtt(resource, attribute, path, out);
    }
    if (name == "Fn::Sub") return Sub(args, path, depth, out);
    if (name == "Fn::Join") {
      if (!Args(args, path, name, 2, 2, "[delimiter, [values]]")) return false;
      std::string delimiter;
      Json::Value list;
      if (!String(args[0], PathIndex(path, 0), depth, name, &delimiter) ||
          !List(args[1], PathIndex(path, 1), depth, name, &list)) {
        return false;
      }
      std::string joined;
      for (Json::ArrayIndex i = 0; i < list.size(); ++i) {
        std::optional<std::string> s = AsString(list[i]);
        if (!s) {
          return Fail(PathIndex(PathIndex(path, 1), i),
                      name + ": expected a string, found " + DescribeValue(list[i]));
        }
        joined += (i == 0 ? "" : delimiter) + *s;
      }
      *out = joined;
      return true;
    }
    if (name == "Fn::Select") {
      if (!Args(args, path, name, 2, 2, "[index, [values]]")) return false;
      std::string index_text;
      Json::Value list;
      if (!String(args[0], PathIndex(path, 0), depth, name, &index_text) ||
          !List(args[1], PathIndex(path, 1), depth, name, &list)) {
        return false;
      }
      size_t index = 0;
      bool digits = !index_text.empty() && index_text.size() < 10;
      for (char c : index_text) digits = digits && c >= '0' && c <= '9';
      if (digits) index = std::stoul(index_text);
      if (!digits || index >= list.size()) {
        return Fail(PathIndex(path, 0), name + ": expected an index below " +
                                            std::to_string(list.size()) + ", found " +
                                            DescribeValue(Json::Value(index_text)));
      }
      *out = list[static_cast<Json::ArrayIndex>(index)];
      return true;
    }
    if (name == "Fn::Split") {
      if (!Args(args, path, name, 2, 2, "[delimiter, string]")) return false;
      std::string delimiter;
      std::string text;
      if (!String(args[0], PathIndex(path, 0), depth, name, &delimiter) ||
          !String(args[1], PathIndex(path, 1), depth, name, &text)) {
        return false;
      }
      if (delimiter.empty()) return Fail(PathIndex(path, 0), name + ": the delimiter is empty");
      Json::Value parts(Json::arrayValue);
      size_t start = 0;
      while (true) {
        const size_t at = text.find(delimiter, start);
        parts.append(text.substr(start, at == std::string::npos ? std::string::npos : at - start));
        if (at == std::string::npos) break;
        start = at + delimiter.size();
      }
      *out = parts;
      return true;
    }
    if (name == "Fn::If") {
      if (!Args(args, path, name, 3, 3, "[condition name, value if true, value if false]")) {
        return false;
      }
      if (!args[0].isString()) {
        return Fail(PathIndex(path, 0), name + ": expected a condition name, found " +
                                            DescribeValue(args[0]));
      }
      std::optional<bool> condition = Named(args[0].asString(), PathIndex(path, 0), depth);
      if (!condition) return false;
      const Json::ArrayIndex pick = *condition ? 1 : 2;
      return Eval(args[pick], PathIndex(path, pick), depth, out, removed);
    }
    if (name == "Fn::Equals") {
      if (!Args(args, path, name, 2, 2, "[value, value]")) return false;
      Json::Value a;
      Json::Value b;
      if (!Value(args[0], PathIndex(path, 0), depth, &a) ||
          !Value(args[1], PathIndex(path, 1), depth, &b)) {
        return false;
      }
      std::optional<std::string> sa = AsString(a);
      std::optional<std::string> sb = AsString(b);
      *out = (sa && sb) ? *sa == *sb : a == b;
      return true;
    }
    if (name == "Fn::And" || name == "Fn::Or") {
      if (!Args(args, path, name, 1, 10, "a list of 1 to 10 conditions")) return false;
      const bool is_and = name == "Fn::And";
      bool result = is_and;
      for (Json::ArrayIndex i = 0; i < args.size(); ++i) {
        std::optional<bool> b = Bool(args[i], PathIndex(path, i), depth);
        if (!b) return false;
        result = is_and ? (result && *b) : (result || *b);
      }
      *out = result;
      return true;
    }
    if (name == "Fn::Not") {
      if (!Args(args, path, name, 1, 1, "[condition]")) return false;
      std::optional<bool> b = Bool(args[0], PathIndex(path, 0), depth);
      if (!b) return false;
      *out = !*b;
      return true;
    }
    if (name == "Fn::FindInMap") {
      if (!Args(args, path, name, 3, 4, "[map, top-level key, second-level key]")) return false;
      std::string keys[3];
      for (Json::ArrayIndex i = 0; i < 3; ++i) {
        if (!String(args[i], PathIndex(path, i), depth, name, &keys[i])) return false;
      }
      const Json::Value& mappings = context_.mappings;
      if (mappings.isObject() && mappings[keys[0]].isObject() &&
          mappings[keys[0]][keys[1]].isObject() && mappings[keys[0]][keys[1]].isMember(keys[2])) {
        *out = mappings[keys[0]][keys[1]][keys[2]];
        return true;
      }
      if (args.size() == 4 && args[3].isObject() && args[3].isMember("DefaultValue")) {
        return Value(args[3]["DefaultValue"], PathIndex(path, 3), depth, out);
      }
      return Fail(path, name + ": Mappings has no " + keys[0] + "." + keys[1] + "." + keys[2]);
    }
    if (name == "Fn::Base64") {
      std::string text;
      if (!String(args, path, depth, name, &text)) return false;
      *out = EncodeBase64(text);
      return true;
    }
    if (name == "Fn::GetAZs") {
      auto region = context_.parameters.find("AWS::Region");
      std::string r = region == context_.parameters.end() ? "us-east-1"
                                                          : AsString(region->second).value_or("");
      Json::Value zones(Json::arrayValue);
      for (const char* zone : {"a", "b", "c"}) zones.append(r + zone);
      *out = zones;
      return true;
    }
    if (name == "Fn::ImportValue") {
      return Fail(path, name + ": another stack's export has no local value (use a Parameter "
                               "and --parameter NAME=VALUE instead)");
    }
    return Fail(path, name + ": not an intrinsic function wsgw evaluates");
  }

  const IntrinsicContext& context_;
  IntrinsicError* error_;
  std::set<std::string> evaluating_;
};

}  // namespace

std::optional<Json::Value> ResolveIntrinsics(const Json::Value& value, const std::string& path,
                                             const IntrinsicContext& context,
                                             IntrinsicError* error) {
  *error = IntrinsicError{};
  Evaluator evaluator(context, error);
  Json::Value out;
  bool removed = false;
  if (!evaluator.Eval(value, path, 0, &out, &removed)) return std::nullopt;
  if (removed) return Json::Value();
  return out;
}

std::optional<bool> EvaluateCondition(const std::string& name, const IntrinsicContext& context,
                                      IntrinsicError* error) {
  *error = IntrinsicError{};
  Evaluator evaluator(context, error);
  return evaluator.Named(name, PathMember("Conditions", name), 0);
}

Json::Value RefTo(const std::string& id) {
  Json::Value ref(Json::objectValue);
  ref["Ref"] = id;
  return ref;
}

Json::Value LambdaInvocationUri(const Json::Value& function_arn) {
  Json::Value parts(Json::arrayValue);
  parts.append("arn:");
  parts.append(RefTo("AWS::Partition"));
  parts.append(":apigateway:");
  parts.append(RefTo("AWS::Region"));
  parts.append(":lambda:path/2015-03-31/functions/");
  parts.append(function_arn);
  parts.append("/invocations");
  Json::Value join(Json::objectValue);
  join["Fn::Join"].append("");
  join["Fn::Join"].append(parts);
  return join;
}

std::string DescribeValue(const Json::Value& value) {
  if (value.isArray()) return "a list";
  if (value.isObject()) return "an object";
  if (value.isNull()) return "null";
  return CompactJson(value);
}

}  // namespace wsgw
