// Fuzzes the reader that splits a kept-alive connection's bytes into requests and refusals
// (base/http_request_reader.h), fed in pieces whose sizes the input chooses: whatever a client
// sends, no crash, every request handed out passed the checks, and a refusal is final.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <set>
#include <string>
#include <string_view>

#include "base/http_request_reader.h"

namespace {

void Check(bool condition) {
  if (!condition) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  const uint64_t body_limit = data[0] * 64;  // 0 .. 16320 bytes
  const size_t piece = static_cast<size_t>(data[1] % 64) + 1;
  std::string_view bytes(reinterpret_cast<const char*>(data + 2), size - 2);
  wsgw::HttpRequestReader reader(wsgw::HttpLimits{},
                                 [body_limit](const wsgw::HttpHead&) { return body_limit; });
  static const std::set<int> kStatuses = {400, 411, 413, 414, 431};
  size_t fed = 0;
  size_t handed_out = 0;
  while (fed < bytes.size()) {
    std::string_view chunk = bytes.substr(fed, piece);
    reader.Append(chunk);
    fed += chunk.size();
    for (;;) {
      wsgw::HttpRequest request;
      wsgw::HttpRequestReader::Step step = reader.Next(&request);
      if (step == wsgw::HttpRequestReader::Step::kNeedMore) break;
      if (step == wsgw::HttpRequestReader::Step::kRefused) {
        Check(reader.refusal().has_value());
        Check(kStatuses.count(reader.refusal()->status) == 1);
        Check(!reader.refusal()->reason.empty());
        Check(reader.Next(&request) == wsgw::HttpRequestReader::Step::kRefused);
        return 0;
      }
      Check(request.body.size() <= body_limit);
      Check(request.head.target.size() <= wsgw::HttpLimits{}.maxTargetBytes);
      size_t content_length_headers = 0;
      for (const auto& [name, value] : request.head.headers) {
        Check(value.find_first_of(std::string_view("\r\n\0", 3)) == std::string::npos);
        if (wsgw::EqualsIgnoreCase(name, "Content-Length")) {
          ++content_length_headers;
          Check(std::stoull(std::string(wsgw::TrimSpace(value))) == request.body.size());
        }
        Check(
            !(wsgw::EqualsIgnoreCase(name, "Transfer-Encoding") && !request.head.upgradeWebSocket));
      }
      Check(content_length_headers <= 1);
      if (content_length_headers == 0) Check(request.body.empty());
      handed_out += request.body.size();
      Check(handed_out <= fed);
    }
    Check(reader.buffered() <= fed);
  }
  return 0;
}
