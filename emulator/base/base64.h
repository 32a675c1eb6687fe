// Base64 (RFC 4648): the standard alphabet for bodies and DynamoDB's B values, base64url for
// API Gateway's ids.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace wsgw {

// Standard alphabet, '=' padded.
std::string EncodeBase64(std::string_view bytes);

// URL-safe alphabet ('-', '_'), '=' padded as API Gateway's ids are.
std::string EncodeBase64Url(std::string_view bytes);

// Standard alphabet, padding optional. Strict on purpose: a character outside the alphabet, or a
// length no encoding produces, is nullopt rather than skipped (a decoder that skips them turns a
// mistake in the function into garbage bytes).
std::optional<std::string> DecodeBase64(std::string_view text);

}  // namespace wsgw
