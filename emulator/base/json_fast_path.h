// simdjson in front of jsoncpp where the gateway parses JSON once per message (route selection,
// message results). simdjson validates a whole document and accepts only documents the gateway's
// jsoncpp readers also accept, with the same values; a caller answers from it only where its
// answer is provably jsoncpp's and otherwise asks jsoncpp, which stays the reference.
#pragma once

#include <simdjson.h>

#include <cstddef>
#include <optional>
#include <string_view>

namespace wsgw {

// Well below jsoncpp's stackLimit (1000), so that a document simdjson accepts never fails in
// jsoncpp for being too deep.
constexpr size_t kFastJsonMaxDepth = 64;

// Larger documents go to jsoncpp: the parser keeps buffers many times the size of the largest
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
