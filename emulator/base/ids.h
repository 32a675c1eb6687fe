// Random ids in the formats AWS uses, drawn from the OS's random source through a small pool.
#pragma once

#include <cstddef>
#include <string>

namespace wsgw {

// Cryptographically random bytes; each byte handed out once.
void FillRandom(unsigned char* out, size_t len);

// Lowercase hex of `len` bytes.
std::string LowerHex(const unsigned char* bytes, size_t len);

// 16 characters: 11 random bytes in base64url with one '=' pad, like "BFHPhfCWIAMCKlQ=".
std::string NewGatewayId();
std::string NewConnectionId();
std::string NewRequestId();
std::string NewMessageId();
// A lowercase version-4 UUID, as the management API's x-amzn-RequestId.
std::string NewAmznRequestId();

}  // namespace wsgw
