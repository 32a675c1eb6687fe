// ToJson / ParseJson: the one JSON dialect every part of lambda-bridge writes and reads. ParseJson
// asks simdjson first and jsoncpp whenever simdjson cannot give jsoncpp's answer (json_readers.h).
#include <optional>
#include <string>
#include <string_view>

#include "base/json.h"
#include "json_readers.h"
#include "wsgw/lambda.h"

namespace wsgw::lambda {

std::string ToJson(const Json::Value& value) { return CompactJson(value); }

std::optional<Json::Value> ParseJsonWithJsoncpp(std::string_view text) {
  return wsgw::ParseJson(text, JsonComments::kRejected);
}

std::optional<Json::Value> ParseJson(std::string_view text) {
  if (std::optional<Json::Value> value = ParseJsonWithSimdjson(text)) return value;
  return ParseJsonWithJsoncpp(text);
}

}  // namespace wsgw::lambda
