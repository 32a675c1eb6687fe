// Fuzzes the project-file path: YAML/JSON text into a document with lines (ParseYamlDocument),
// then every intrinsic in it evaluated (ResolveIntrinsics) against a small stack. It must never
// crash, hang or blow up memory (aliases are expanded under a budget), and keep its contract: an
// error has a message; a document's lines are 1-based; an intrinsic error names a path and what
// failed.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "project/intrinsics.h"
#include "project/yaml_document.h"

namespace {

void Check(bool condition) {
  if (!condition) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 65536) return 0;
  std::string text(reinterpret_cast<const char*>(data), size);
  wsgw::YamlError error;
  std::optional<wsgw::YamlDocument> doc = wsgw::ParseYamlDocument(text, &error);
  if (!doc) {
    Check(!error.message.empty());
    Check(error.line >= 0);
    return 0;
  }
  for (const auto& [path, line] : doc->lines) Check(line >= 1);

  wsgw::IntrinsicContext context;
  context.parameters["AWS::Region"] = "us-east-1";
  context.parameters["Stage"] = "dev";
  context.resources["Table"].ref = "table";
  context.resources["Table"].attributes["Arn"] = "arn:aws:dynamodb:us-east-1:1:table/table";
  context.resources["Fn"].ref = "Fn";
  context.resources["Fn"].attributes["Arn"] = "arn:aws:lambda:us-east-1:1:function:Fn";
  if (doc->root.isObject()) {
    context.conditions = doc->root["Conditions"];
    context.mappings = doc->root["Mappings"];
  }
  wsgw::IntrinsicError intrinsic_error;
  std::optional<Json::Value> resolved =
      wsgw::ResolveIntrinsics(doc->root, "", context, &intrinsic_error);
  if (!resolved) Check(!intrinsic_error.message.empty());
  if (doc->root.isObject() && doc->root["Conditions"].isObject()) {
    for (const std::string& name : doc->root["Conditions"].getMemberNames()) {
      wsgw::EvaluateCondition(name, context, &intrinsic_error);
    }
  }
  return 0;
}
