// UTF-8 validity, as RFC 3629 defines it (no overlongs, no surrogates, nothing above U+10FFFF):
// what decides whether bytes go to a client as a text frame or a binary one.
#pragma once

#include <string>
#include <string_view>

namespace wsgw {

bool IsValidUtf8(std::string_view bytes);

// Client bytes (header values, decoded query text, frame payloads) may be invalid UTF-8; jsoncpp
// with emitUTF8 would copy them raw and the function's JSON parser would reject the whole event.
// Each byte of an invalid sequence becomes U+FFFD, as browsers and Node.js decode it.
std::string ToValidUtf8(std::string_view in);

}  // namespace wsgw
