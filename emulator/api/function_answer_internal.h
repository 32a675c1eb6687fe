// The two readers behind InterpretMessageResult once it knows it needs the result (an ok outcome,
// a two-way route, a body that is not blank), exposed for the tests that hold them to the same
// answers. Everything else calls InterpretMessageResult.
#pragma once

#include <optional>
#include <string>

#include "api/function_answer.h"

namespace wsgw::internal {

// jsoncpp: the reference, and the answer whenever MessageResultWithSimdjson has none.
MessageVerdict MessageResultWithJsoncpp(const std::string& result_text);

// simdjson, for a result that is an object whose "body" is a string, null or missing. nullopt
// means "ask MessageResultWithJsoncpp", never "not JSON".
std::optional<MessageVerdict> MessageResultWithSimdjson(const std::string& result_text);

}  // namespace wsgw::internal
