// Fuzzes the selection-expression grammar and evaluator: the input's first line is the
// expression, the rest the message body. Parse must never crash; Evaluate and SelectRoute must
// never crash and must only ever select a configured message route; whenever the simdjson
// evaluator answers, it answers what the jsoncpp one does.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api/selection_expression.h"
#include "api/selection_expression_internal.h"

namespace {

void Check(bool condition) {
  if (!condition) std::abort();
}

bool IsMessageRoute(const std::vector<std::string>& keys, const std::string& key) {
  if (key == "$connect" || key == "$disconnect") return false;
  for (const std::string& candidate : keys) {
    if (candidate == key) return true;
  }
  return false;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  size_t newline = input.find('\n');
  std::string_view text = input.substr(0, newline);
  std::string_view body = newline == std::string_view::npos ? std::string_view() : input.substr(newline + 1);

  std::string error;
  std::optional<wsgw::SelectionExpression> expression = wsgw::SelectionExpression::Parse(text, &error);
  if (!expression) {
    Check(!error.empty());
    return 0;
  }
  Check(expression->text() == text);
  std::optional<std::string> key = expression->Evaluate(body);
  using Evaluators = wsgw::internal::SelectionEvaluators;
  std::optional<std::string> fast = Evaluators::Simdjson(*expression, body);
  if (fast) Check(fast == Evaluators::Jsoncpp(*expression, body));

  const std::vector<std::string> with_default = {"$connect", "$disconnect", "$default", "sendMessage",
                                                 "join", "chat/join", "7", ""};
  const std::vector<std::string> without_default = {"$connect", "$disconnect", "sendMessage", "join"};
  std::optional<std::string> route = wsgw::SelectRoute(*expression, with_default, body);
  Check(route.has_value());  // $default catches everything
  Check(IsMessageRoute(with_default, *route));
  if (key && IsMessageRoute(with_default, *key) && *key != "$default") Check(*route == *key);

  std::optional<std::string> strict = wsgw::SelectRoute(*expression, without_default, body);
  if (strict) Check(IsMessageRoute(without_default, *strict));
  return 0;
}
