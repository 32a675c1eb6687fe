// Fuzzes the RFC 6455 check of client bytes (WebSocketFrameChecker): whatever a client sends, in
// whatever pieces, no crash, and the verdict does not depend on how the bytes were split.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "base/websocket_frame_checker.h"

namespace {

void Check(bool condition) {
  if (!condition) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  // The first byte picks the split; the rest is the stream.
  size_t chunk = 1 + data[0] % 17;
  const uint8_t* stream = data + 1;
  size_t length = size - 1;

  wsgw::WebSocketFrameChecker whole(1024, 4096);
  size_t whole_allowed = whole.Feed(stream, length);
  Check(whole_allowed <= length);
  Check(whole.violation().has_value() == (whole_allowed < length));

  wsgw::WebSocketFrameChecker pieces(1024, 4096);
  size_t allowed = 0;
  for (size_t at = 0; at < length; at += chunk) {
    size_t n = chunk < length - at ? chunk : length - at;
    size_t ok = pieces.Feed(stream + at, n);
    Check(ok <= n);
    allowed += ok;
    if (ok < n) break;
  }
  Check(pieces.violation().has_value() == whole.violation().has_value());
  if (whole.violation()) {
    Check(pieces.violation()->code == whole.violation()->code);
    Check(pieces.violation()->reason == whole.violation()->reason);
    // Split, the violating frame's first bytes (at most a header and a close body) may already
    // have been handed on; never anything after it.
    Check(allowed >= whole_allowed && allowed <= whole_allowed + 14 + 125);
  } else {
    Check(allowed == length);
  }
  return 0;
}
