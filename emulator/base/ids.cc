#include "base/ids.h"

#include <sys/random.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <random>

#include "base/base64.h"

namespace wsgw {
namespace {

// Fills `out` with cryptographically random bytes. getrandom() only fails on very old kernels or
// seccomp sandboxes; std::random_device (also backed by the OS RNG on glibc) covers those.
void FillRandomFromOs(unsigned char* out, size_t len) {
  size_t done = 0;
  while (done < len) {
    ssize_t n = getrandom(out + done, len - done, 0);
    if (n > 0) {
      done += static_cast<size_t>(n);
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else {
      break;
    }
  }
  if (done < len) {
    std::random_device device;
    for (; done < len; ++done) out[done] = static_cast<unsigned char>(device());
  }
}

}  // namespace

// The same bytes, drawn from the OS a block at a time rather than one system call per id (two
// ids per message). Each byte is handed out once.
void FillRandom(unsigned char* out, size_t len) {
  constexpr size_t kPoolBytes = 512;
  thread_local std::array<unsigned char, kPoolBytes> pool;
  thread_local size_t used = kPoolBytes;
  while (len > 0) {
    if (used == kPoolBytes) {
      FillRandomFromOs(pool.data(), pool.size());
      used = 0;
    }
    size_t take = std::min(len, kPoolBytes - used);
    std::memcpy(out, pool.data() + used, take);
    std::memset(pool.data() + used, 0, take);
    used += take;
    out += take;
    len -= take;
  }
}

std::string LowerHex(const unsigned char* bytes, size_t len) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(len * 2);
  for (size_t i = 0; i < len; ++i) {
    out.push_back(kDigits[bytes[i] >> 4]);
    out.push_back(kDigits[bytes[i] & 0x0f]);
  }
  return out;
}

// API Gateway's ids are 11 random bytes in base64url with the one '=' pad that 11 bytes need.
std::string NewGatewayId() {
  std::array<unsigned char, 11> bytes;
  FillRandom(bytes.data(), bytes.size());
  return EncodeBase64Url(std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
}

std::string NewConnectionId() { return NewGatewayId(); }
std::string NewRequestId() { return NewGatewayId(); }
std::string NewMessageId() { return NewGatewayId(); }

std::string NewAmznRequestId() {
  std::array<unsigned char, 16> bytes;
  FillRandom(bytes.data(), bytes.size());
  bytes[6] = static_cast<unsigned char>((bytes[6] & 0x0f) | 0x40);  // version 4
  bytes[8] = static_cast<unsigned char>((bytes[8] & 0x3f) | 0x80);  // RFC 4122 variant
  std::string hex = LowerHex(bytes.data(), bytes.size());
  return hex.substr(0, 8) + "-" + hex.substr(8, 4) + "-" + hex.substr(12, 4) + "-" +
         hex.substr(16, 4) + "-" + hex.substr(20);
}

}  // namespace wsgw
