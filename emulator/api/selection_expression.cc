#include "api/selection_expression.h"

#include <json/json.h>
#include <simdjson.h>

#include <algorithm>
#include <charconv>
#include <string>

#include "api/selection_expression_internal.h"
#include "base/json.h"

namespace wsgw {
namespace {

constexpr std::string_view kBodyPrefix = "request.body";

bool IsSegmentChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-';
}

// The run of characters an unbraced variable may span: segments and the dots between them.
bool IsNameChar(char c) { return IsSegmentChar(c) || c == '.'; }

std::string At(size_t offset) { return " at offset " + std::to_string(offset); }

// Splits the name of a variable (without '$', '{' or '}') into the path below request.body.
// `start` is the offset of the variable's '$', `offset` that of its name; `shown` is the
// variable as written.
std::optional<std::vector<std::string>> ParseVariableName(std::string_view name, size_t start,
                                                          size_t offset, std::string_view shown,
                                                          std::string* error) {
  const bool under_body = name.substr(0, kBodyPrefix.size()) == kBodyPrefix &&
                          (name.size() == kBodyPrefix.size() || name[kBodyPrefix.size()] == '.');
  if (!under_body) {
    *error = "unsupported variable '" + std::string(shown) + "'" + At(start) +
             ": route selection can only use $request.body.<path> (write '\\$' for a literal '$')";
    return std::nullopt;
  }
  if (name.size() == kBodyPrefix.size()) {
    *error = "variable '" + std::string(shown) + "'" + At(start) +
             " needs a path below request.body, e.g. $request.body.action";
    return std::nullopt;
  }
  std::vector<std::string> path;
  size_t pos = kBodyPrefix.size() + 1;
  while (true) {
    size_t end = pos;
    while (end < name.size() && IsSegmentChar(name[end])) ++end;
    if (end == pos) {
      if (pos < name.size() && name[pos] != '.') {
        *error = "invalid character '" + std::string(1, name[pos]) + "' in variable '" +
                 std::string(shown) + "'" + At(offset + pos) +
                 " (a path segment is made of letters, digits, '_' and '-')";
      } else {
        *error = "empty path segment after the '.'" + At(offset + pos - 1) + " in variable '" +
                 std::string(shown) + "' (use ${...} to put literal text right after a variable)";
      }
      return std::nullopt;
    }
    path.emplace_back(name.substr(pos, end - pos));
    if (end == name.size()) return path;
    if (name[end] != '.') {
      *error = "invalid character '" + std::string(1, name[end]) + "' in variable '" +
               std::string(shown) + "'" + At(offset + end) +
               " (a path segment is made of letters, digits, '_' and '-')";
      return std::nullopt;
    }
    pos = end + 1;
  }
}

void AppendShortestDouble(double d, std::string* out) {
  char buffer[64];
  auto result = std::to_chars(buffer, buffer + sizeof buffer, d);
  out->append(buffer, result.ptr);
}

void AppendScalar(const Json::Value& v, std::string* out) {
  switch (v.type()) {
    case Json::nullValue:
      out->append("null");
      break;
    case Json::intValue:
      out->append(std::to_string(v.asLargestInt()));
      break;
    case Json::uintValue:
      out->append(std::to_string(v.asLargestUInt()));
      break;
    case Json::realValue:
      AppendShortestDouble(v.asDouble(), out);
      break;
    case Json::booleanValue:
      out->append(v.asBool() ? "true" : "false");
      break;
    default:
      break;
  }
}

// Compact JSON with the same number formatting as the scalars (jsoncpp's writers print
// doubles with 17 significant digits, which turns 0.1 into 0.10000000000000001).
void AppendJson(const Json::Value& v, std::string* out) {
  switch (v.type()) {
    case Json::stringValue:
      AppendJsonString(*out, v.asString());
      break;
    case Json::arrayValue: {
      out->push_back('[');
      for (Json::ArrayIndex i = 0; i < v.size(); ++i) {
        if (i > 0) out->push_back(',');
        AppendJson(v[i], out);
      }
      out->push_back(']');
      break;
    }
    case Json::objectValue: {
      out->push_back('{');
      bool first = true;
      for (auto it = v.begin(); it != v.end(); ++it) {
        if (!first) out->push_back(',');
        first = false;
        AppendJsonString(*out, it.name());
        out->push_back(':');
        AppendJson(*it, out);
      }
      out->push_back('}');
      break;
    }
    default:
      AppendScalar(v, out);
  }
}

// API Gateway's stringification: strings bare, arrays as "[item1, item2]" with each element
// stringified the same way, objects as JSON.
void AppendSelectionText(const Json::Value& v, std::string* out) {
  switch (v.type()) {
    case Json::stringValue:
      out->append(v.asString());
      break;
    case Json::arrayValue: {
      out->push_back('[');
      for (Json::ArrayIndex i = 0; i < v.size(); ++i) {
        if (i > 0) out->append(", ");
        AppendSelectionText(v[i], out);
      }
      out->push_back(']');
      break;
    }
    case Json::objectValue:
      AppendJson(v, out);
      break;
    default:
      AppendScalar(v, out);
  }
}

// AppendSelectionText's answer for the values where simdjson's is the same for certain. Numbers
// are not among them: jsoncpp and simdjson tell integers from doubles differently (-0, 1.0,
// integers beyond 64 bits), and arrays and objects may hold numbers.
bool AppendSelectionTextFast(simdjson::dom::element v, std::string* out) {
  switch (v.type()) {
    case simdjson::dom::element_type::STRING: {
      std::string_view text;
      if (v.get_string().get(text) != simdjson::SUCCESS) return false;
      out->append(text);
      return true;
    }
    case simdjson::dom::element_type::BOOL: {
      bool value = false;
      if (v.get_bool().get(value) != simdjson::SUCCESS) return false;
      out->append(value ? "true" : "false");
      return true;
    }
    case simdjson::dom::element_type::NULL_VALUE:
      out->append("null");
      return true;
    default:
      return false;
  }
}

std::optional<Json::Value> ParseJsonObject(std::string_view body) {
  std::optional<Json::Value> root = ParseStrictJson(body, DuplicateKeys::kLastWins);
  if (!root || !root->isObject()) return std::nullopt;
  return root;
}

}  // namespace

std::optional<SelectionExpression> SelectionExpression::Parse(std::string_view text,
                                                              std::string* error) {
  std::string ignored;
  if (error == nullptr) error = &ignored;
  if (text.empty()) {
    *error = "the expression is empty";
    return std::nullopt;
  }
  SelectionExpression expression;
  expression.text_ = std::string(text);
  auto append_literal = [&expression](std::string_view literal) {
    if (expression.parts_.empty() || expression.parts_.back().is_variable) {
      expression.parts_.push_back(Part{});
    }
    expression.parts_.back().literal.append(literal);
  };

  size_t i = 0;
  while (i < text.size()) {
    const char c = text[i];
    if (c == '\\' && i + 1 < text.size() && text[i + 1] == '$') {
      append_literal("$");
      i += 2;
      continue;
    }
    if (c != '$') {
      append_literal(text.substr(i, 1));
      ++i;
      continue;
    }
    Part part;
    part.is_variable = true;
    if (i + 1 < text.size() && text[i + 1] == '{') {
      const size_t close = text.find('}', i + 2);
      if (close == std::string_view::npos) {
        *error = "unterminated '${'" + At(i);
        return std::nullopt;
      }
      const std::string_view name = text.substr(i + 2, close - (i + 2));
      if (name.empty()) {
        *error = "empty variable '${}'" + At(i);
        return std::nullopt;
      }
      auto path = ParseVariableName(name, i, i + 2, text.substr(i, close + 1 - i), error);
      if (!path) return std::nullopt;
      part.path = std::move(*path);
      i = close + 1;
    } else {
      size_t end = i + 1;
      while (end < text.size() && IsNameChar(text[end])) ++end;
      if (end == i + 1) {
        *error = "'$'" + At(i) + " does not start a variable (write '\\$' for a literal '$')";
        return std::nullopt;
      }
      const std::string_view name = text.substr(i + 1, end - (i + 1));
      auto path = ParseVariableName(name, i, i + 1, text.substr(i, end - i), error);
      if (!path) return std::nullopt;
      part.path = std::move(*path);
      i = end;
    }
    expression.parts_.push_back(std::move(part));
  }
  return expression;
}

// Every message is evaluated: simdjson answers the usual body (an object, a string key) in a
// fraction of jsoncpp's time, and jsoncpp everything where the two could differ.
std::optional<std::string> SelectionExpression::Evaluate(std::string_view body) const {
  std::optional<std::string> fast = internal::SelectionEvaluators::Simdjson(*this, body);
  if (fast) return fast;
  return internal::SelectionEvaluators::Jsoncpp(*this, body);
}

namespace internal {

std::optional<std::string> SelectionEvaluators::Jsoncpp(const SelectionExpression& expression,
                                                        std::string_view body) {
  const auto& parts = expression.parts_;
  const bool constant = std::none_of(
      parts.begin(), parts.end(), [](const SelectionExpression::Part& p) { return p.is_variable; });
  std::optional<Json::Value> root;
  if (!constant) {
    root = ParseJsonObject(body);
    if (!root) return std::nullopt;
  }
  std::string result;
  for (const SelectionExpression::Part& part : parts) {
    if (!part.is_variable) {
      result.append(part.literal);
      continue;
    }
    const Json::Value* node = &*root;
    for (const std::string& key : part.path) {
      node = node->isObject() ? node->find(key.data(), key.data() + key.size()) : nullptr;
      if (node == nullptr) break;
    }
    if (node != nullptr) AppendSelectionText(*node, &result);
  }
  return result;
}

std::optional<std::string> SelectionEvaluators::Simdjson(const SelectionExpression& expression,
                                                         std::string_view body) {
  // Parsed at the first variable, so that a constant expression never looks at the body.
  std::optional<simdjson::dom::object> root;
  std::string result;
  for (const SelectionExpression::Part& part : expression.parts_) {
    if (!part.is_variable) {
      result.append(part.literal);
      continue;
    }
    if (!root) {
      root = ParseJsonObjectFast(body);
      if (!root) return std::nullopt;
    }
    simdjson::dom::object object = *root;
    std::optional<simdjson::dom::element> node;
    for (const std::string& key : part.path) {
      if (node && node->get_object().get(object) != simdjson::SUCCESS) {
        node.reset();
        break;
      }
      node = LastMember(object, key);
      if (!node) break;
    }
    if (node && !AppendSelectionTextFast(*node, &result)) return std::nullopt;
  }
  return result;
}

}  // namespace internal

std::optional<std::string> SelectRoute(const SelectionExpression& expression,
                                       const std::vector<std::string>& route_keys,
                                       std::string_view body) {
  auto configured = [&route_keys](std::string_view key) {
    return std::find(route_keys.begin(), route_keys.end(), key) != route_keys.end();
  };
  const std::optional<std::string> key = expression.Evaluate(body);
  if (key && *key != "$connect" && *key != "$disconnect" && configured(*key)) return key;
  if (configured("$default")) return std::string("$default");
  return std::nullopt;
}

}  // namespace wsgw
