// Fuzzes the C++ handler runtime's reader of Invoke API requests (lambda-bridge/src/
// request_reader.h), as the gateway's own HTTP reader is fuzzed: bytes fed in pieces whose size
// the input chooses, the body limit chosen too. No crash; every request handed out is within the
// limit; an error is final; the reader never claims more bytes than it was given.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "request_reader.h"

namespace {

void Check(bool condition) {
  if (!condition) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  const size_t limit = static_cast<size_t>(data[0]) * 32;
  const size_t piece = static_cast<size_t>(data[1] % 64) + 1;
  std::string_view bytes(reinterpret_cast<const char*>(data + 2), size - 2);
  wsgw::lambda::RequestReader reader(limit);
  size_t at = 0;
  while (at < bytes.size()) {
    std::string_view chunk = bytes.substr(at, piece);
    at += chunk.size();
    size_t offset = 0;
    while (offset < chunk.size()) {
      size_t consumed = 0;
      auto step = reader.Feed(chunk.data() + offset, chunk.size() - offset, &consumed);
      Check(consumed <= chunk.size() - offset);
      offset += consumed;
      (void)reader.TakeContinue();
      Check(!reader.TakeContinue());
      if (step == wsgw::lambda::RequestReader::Step::kError) {
        Check(reader.errorDescription() != nullptr);
        size_t again = 0;
        Check(reader.Feed("GET / HTTP/1.1\r\n\r\n", 18, &again) ==
              wsgw::lambda::RequestReader::Step::kError);
        Check(again == 0);
        return 0;
      }
      if (step == wsgw::lambda::RequestReader::Step::kRequest) {
        Check(reader.request().body.size() <= limit);
        Check(!reader.request().method.empty());
        continue;
      }
      Check(offset == chunk.size());
    }
  }
  return 0;
}
