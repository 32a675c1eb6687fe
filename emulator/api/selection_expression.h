// A WebSocket selection expression (API Gateway's routeSelectionExpression grammar) and
// the route selection built on it.
//
// Grammar (AWS-NOTES §3.1): literal text mixed with variables; `$request.body.a.b` or
// `${request.body.a.b}`; `\$` is a literal dollar. Evaluation is single pass. A missing path
// evaluates to "", a non-string JSON value to its JSON text (arrays as "[a, b]"), and a body
// that is not JSON cannot be evaluated at all.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace wsgw {

namespace internal {
struct SelectionEvaluators;  // selection_expression_internal.h
}  // namespace internal

class SelectionExpression {
 public:
  // Parses `text`. On failure returns nullopt and sets *error to a sentence saying what is
  // wrong and where (e.g. "unterminated '${' at offset 4").
  // Offsets count bytes from 0. `error` may be null.
  static std::optional<SelectionExpression> Parse(std::string_view text, std::string* error);

  // Evaluates the expression against a message body. nullopt when the expression refers to
  // the body and the body is not JSON (API Gateway then uses $default).
  std::optional<std::string> Evaluate(std::string_view body) const;

  const std::string& text() const { return text_; }

 private:
  friend struct internal::SelectionEvaluators;

  struct Part {
    bool is_variable = false;
    std::string literal;             // when !is_variable
    std::vector<std::string> path;   // when is_variable: keys below request.body
  };
  std::string text_;
  std::vector<Part> parts_;
};

// What a message frame is routed to: a route key of `route_keys`, "$default" when the
// evaluated key is not a custom route (or cannot be evaluated) and $default exists, or
// nullopt when nothing matches (the caller sends AWS's "Forbidden" frame).
// `route_keys` holds every configured key, including $connect/$disconnect, which are never
// selected for a message.
std::optional<std::string> SelectRoute(const SelectionExpression& expression,
                                       const std::vector<std::string>& route_keys,
                                       std::string_view body);

}  // namespace wsgw
