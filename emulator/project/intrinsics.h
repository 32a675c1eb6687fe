// CloudFormation's intrinsic functions, evaluated the way a deployed stack would see them, as far
// as a local stack can: Ref (parameters, pseudo parameters, resources), Fn::GetAtt, Fn::Sub (both
// forms), Fn::Join, Fn::Select, Fn::Split, Fn::If with Conditions (Fn::Equals, Fn::And, Fn::Or,
// Fn::Not, Condition), Fn::FindInMap, Fn::Base64, Fn::GetAZs. Ref AWS::NoValue removes the key
// or list item it stands for. What cannot be known locally (Fn::ImportValue, an attribute wsgw
// does not model) is an error naming the path and the intrinsic, never a silent guess.
#pragma once

#include <json/json.h>

#include <map>
#include <optional>
#include <string>

namespace wsgw {

// {"Ref": id}.
Json::Value RefTo(const std::string& id);

// The Lambda invocation URI API Gateway integrations and authorizers take, as serverless and the
// SAM transform write it: Fn::Join of arn:PARTITION:apigateway:REGION:lambda:path/2015-03-31/
// functions/, `function_arn` (a string or an intrinsic such as Fn::GetAtt Fn.Arn), /invocations.
Json::Value LambdaInvocationUri(const Json::Value& function_arn);

// How a problem message shows a template value: a string quoted, a number or boolean as written,
// "a list", "an object", "null".
std::string DescribeValue(const Json::Value& value);

// What a resource's Ref and Fn::GetAtt give (e.g. a table: its name; Arn, StreamArn).
struct ResourceValues {
  Json::Value ref;
  std::map<std::string, Json::Value> attributes;
};

struct IntrinsicContext {
  // Parameters with their values (default or --parameter), and the pseudo parameters
  // (AWS::Region, AWS::AccountId, AWS::StackName, AWS::Partition, AWS::URLSuffix, ...).
  std::map<std::string, Json::Value> parameters;
  std::map<std::string, ResourceValues> resources;
  Json::Value conditions;  // the template's Conditions section, unevaluated
  Json::Value mappings;    // the template's Mappings section
};

struct IntrinsicError {
  std::string path;     // where the failing intrinsic is, e.g. Resources.Fn.Properties.Handler
  std::string message;  // "Fn::GetAtt: no resource \"Tabel\" in Resources"
};

// `value` (found at `path`) with every intrinsic evaluated. A top-level Ref AWS::NoValue gives
// null.
std::optional<Json::Value> ResolveIntrinsics(const Json::Value& value, const std::string& path,
                                             const IntrinsicContext& context,
                                             IntrinsicError* error);

// The value of the template's condition `name`.
std::optional<bool> EvaluateCondition(const std::string& name, const IntrinsicContext& context,
                                      IntrinsicError* error);

}  // namespace wsgw
