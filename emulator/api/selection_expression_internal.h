// The two evaluators behind SelectionExpression::Evaluate, exposed for the tests that hold them to
// the same answers. Everything else calls Evaluate.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "api/selection_expression.h"

namespace wsgw::internal {

struct SelectionEvaluators {
  // jsoncpp: the reference, and Evaluate's answer whenever Simdjson has none.
  static std::optional<std::string> Jsoncpp(const SelectionExpression& expression,
                                            std::string_view body);

  // simdjson, for a body whose root is an object and whose selected values are strings,
  // booleans, null or missing. nullopt means "ask Jsoncpp", never "not JSON".
  static std::optional<std::string> Simdjson(const SelectionExpression& expression,
                                             std::string_view body);
};

}  // namespace wsgw::internal
