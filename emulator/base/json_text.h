// JSON text in and out, the one way the gateway does it: lenient enough for what functions
// return (no trailing garbage, no comments), compact and UTF-8 on the way out.
#pragma once

#include <json/json.h>

#include <optional>
#include <string>
#include <string_view>

namespace wsgw {

// nullopt when `text` is not exactly one JSON value.
std::optional<Json::Value> ParseJson(std::string_view text);

// One line, no spaces, UTF-8 kept as is (not \u-escaped).
std::string CompactJson(const Json::Value& value);

}  // namespace wsgw
