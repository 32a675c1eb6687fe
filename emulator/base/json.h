// JSON in and out, the one way wsgw does it, in the gateway and in the C++ handler runtime alike:
// jsoncpp readers (a lenient one for what functions send, a strict one for configuration), one
// compact writer, one string escaper for the JSON the gateway writes by hand, and simdjson in
// front of jsoncpp for the two reads every message costs.
#pragma once

#include <json/json.h>
#include <simdjson.h>

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace wsgw {

// Whether ParseJson takes /* */ and // comments: jsoncpp's allowComments. Rejected, a comment
// where a value is expected fails the text (jsoncpp still skips one after a value). The gateway has
// always taken them in what functions return; the handler runtime has always refused them.
enum class JsonComments { kAllowed, kRejected };

// Exactly one JSON value and nothing after it; otherwise jsoncpp's defaults (any value at the
// root, trailing commas, bytes that are not UTF-8 kept as they are). nullopt when `text` is not
// that, or nests deeper than jsoncpp's stack limit (1000).
std::optional<Json::Value> ParseJson(std::string_view text,
                                     JsonComments comments = JsonComments::kAllowed);

// What ParseStrictJson does with a key that repeats in one object.
enum class DuplicateKeys {
  kRejected,  // configuration: a repeated key is reported rather than silently half-applied
  kLastWins,  // clients: the last one wins, as in JavaScript's JSON.parse
};

// jsoncpp's strict mode: an object or an array at the root, no comments, nothing after it.
// nullopt when `text` is not that; then *error, when given, says why in jsoncpp's words.
std::optional<Json::Value> ParseStrictJson(std::string_view text, DuplicateKeys duplicates,
                                           std::string* error = nullptr);

// One line, no spaces, UTF-8 kept as is (not \u-escaped), reals with 17 significant digits.
std::string CompactJson(const Json::Value& value);

// CompactJson with reals rounded to `decimal_places` after the point (log lines' durations).
std::string CompactJsonRounded(const Json::Value& value, unsigned decimal_places);

// Which control characters AppendJsonString writes by their short JSON names.
enum class ShortEscapes {
  kAll,          // \b \f \n \r \t, as jsoncpp's writer prints them (events, selection keys)
  kNewlineOnly,  // \n, the rest as \u00xx: what routes.json error messages have always shown
};

// `text` as a JSON string literal appended to `out`, byte for byte what CompactJson prints for a
// string that is valid UTF-8: '"', '\\' and the control characters escaped (the others as
// lower-case \u00xx), everything else, DEL and UTF-8 included, copied as is. Bytes that are not
// UTF-8 are copied as they are too: a caller that needs valid JSON makes them valid first.
void AppendJsonString(std::string& out, std::string_view text,
                      ShortEscapes short_escapes = ShortEscapes::kAll);

// simdjson in front of jsoncpp where JSON is parsed once per message (route selection, message
// results, events in the handler runtime). simdjson validates a whole document and accepts only
// documents jsoncpp's readers also accept, with the same values; a caller answers from it only
// where its answer is provably jsoncpp's and otherwise asks jsoncpp, which stays the reference.

// Well below jsoncpp's stackLimit (1000), so that a document simdjson accepts never fails in
// jsoncpp for being too deep.
constexpr size_t kFastJsonMaxDepth = 64;

// Larger documents go to jsoncpp: a parser keeps buffers many times the size of the largest
// document it has parsed (tape, strings, indexes) for the life of its thread.
constexpr size_t kFastJsonMaxBytes = 64 * 1024;

// The root object of `text`. nullopt when simdjson rejects `text`, when the root is not an object,
// or when `text` is longer than kFastJsonMaxBytes or nests deeper than kFastJsonMaxDepth: the
// caller then asks jsoncpp. Valid until the next call on the same thread.
std::optional<simdjson::dom::object> ParseJsonObjectFast(std::string_view text);

// The member of `object` named `key` as jsoncpp sees it: when the key repeats, the last one.
std::optional<simdjson::dom::element> LastMember(simdjson::dom::object object,
                                                 std::string_view key);

}  // namespace wsgw
