// UTF-8 validity, as RFC 3629 defines it (no overlongs, no surrogates, nothing above U+10FFFF):
// what decides whether bytes go to a client as a text frame or a binary one.
#pragma once

#include <string_view>

namespace wsgw {

bool IsValidUtf8(std::string_view bytes);

}  // namespace wsgw
