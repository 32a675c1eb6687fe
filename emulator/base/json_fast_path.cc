#include "base/json_fast_path.h"

namespace wsgw {

std::optional<simdjson::dom::object> ParseJsonObjectFast(std::string_view text) {
  // Empty text is not JSON to simdjson either, and may have a null data(), which simdjson would
  // hand to memcpy.
  if (text.empty() || text.size() > kFastJsonMaxBytes) return std::nullopt;
  // A parser's buffers cost more to set up than a message costs to parse: one per thread. Its
  // maximum depth stays what it was allocated with when it grows for a longer document.
  thread_local simdjson::dom::parser parser = [] {
    simdjson::dom::parser made;
    if (made.allocate(4096, kFastJsonMaxDepth) != simdjson::SUCCESS) return simdjson::dom::parser();
    return made;
  }();
  // Only when that allocation failed: a parser made by default would nest as deep as 1024.
  if (parser.max_depth() != kFastJsonMaxDepth) return std::nullopt;
  // Parsing from a pointer copies into the parser's own padded buffer, reused from call to call;
  // for message-sized documents that copy is cheaper than a padded_string (an allocation).
  simdjson::dom::object object;
  if (parser.parse(text.data(), text.size()).get_object().get(object) != simdjson::SUCCESS) {
    return std::nullopt;
  }
  return object;
}

std::optional<simdjson::dom::element> LastMember(simdjson::dom::object object,
                                                 std::string_view key) {
  std::optional<simdjson::dom::element> found;
  for (simdjson::dom::key_value_pair member : object) {
    if (member.key == key) found = member.value;
  }
  return found;
}

}  // namespace wsgw
