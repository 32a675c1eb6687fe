// The two readers behind ParseJson (wsgw/lambda.h). jsoncpp's reader defines the answer: which
// texts are JSON and which Json::Value each becomes, down to every node's type() and the source
// offsets jsoncpp records (getOffsetStart/getOffsetLimit). The simdjson reader gives that same
// answer several times faster for the texts it can vouch for, and declines the rest.
#pragma once

#include <json/json.h>

#include <optional>
#include <string_view>

namespace wsgw::lambda {

// jsoncpp's reader as the handler runtime has always read (wsgw::ParseJson without comments).
// nullopt when `text` is not JSON to it.
std::optional<Json::Value> ParseJsonWithJsoncpp(std::string_view text);

// What ParseJsonWithJsoncpp(text) returns, when that is a value and simdjson can build the same
// one; otherwise nullopt, which means "ask jsoncpp", never "not JSON". Declines in particular:
// whatever simdjson rejects (invalid UTF-8, unescaped control characters, lone surrogates, trailing
// commas, a byte-order mark, integers beyond 64 bits: jsoncpp accepts some of these), texts longer
// than kFastJsonMaxBytes or deeper than kFastJsonMaxDepth (the gateway's limits, base/json.h), and
// texts with a fraction or exponent while the global C++ locale is not the classic one (jsoncpp
// reads those through it).
std::optional<Json::Value> ParseJsonWithSimdjson(std::string_view text);

}  // namespace wsgw::lambda
