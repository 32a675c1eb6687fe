// The one place that decides whether an HTTP/1.1 request a client sends is acceptable, and where
// one request ends and the next begins on a kept-alive connection. It reads bytes as they come
// and hands out, in order, complete requests (head and Content-Length body) or one refusal with
// the status a client can act on: 431 for a head over the limit, 414 for a request target over
// the limit, 413 for a Content-Length over the path's body limit (judged from the head, before
// any body byte is read), 411 for Transfer-Encoding without Content-Length, and 400 for
// anything that could be read two ways (Content-Length with Transfer-Encoding, repeated or
// malformed Content-Length, obsolete line folding, CR, LF or NUL in a header value, %00 in the
// target). After a refusal it hands out nothing more: the connection is to be closed.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "base/http_head.h"

namespace wsgw {

struct HttpLimits {
  size_t maxHeadBytes = 16 * 1024;  // request line and headers, up to the blank line
  // API Gateway's WebSocket URL limit (AWS-NOTES §5.1: 4096 characters), for every path.
  size_t maxTargetBytes = 4096;
};

struct HttpRefusal {
  HttpRefusal(int status_code, std::string why) : status(status_code), reason(std::move(why)) {}
  int status;
  std::string reason;            // what was wrong, for the log and the answer's body
  std::optional<HttpHead> head;  // for a 413: the head whose body is too large
  uint64_t contentLength = 0;    // for a 413: what the head announced
  uint64_t limit = 0;            // for a 413: the path's limit
};

struct HttpRequest {
  HttpHead head;
  std::string body;
  bool keepAlive = true;  // HTTP/1.1 without "Connection: close"
};

// Checks a head's bytes so far (`bytes` may hold more than the head): 414 once the request line
// is known to carry a target over the limit, 431 once the head is over the limit. Either can be
// decided before the head is complete.
std::optional<HttpRefusal> CheckHeadSize(std::string_view bytes, const HttpLimits& limits);

// Checks a complete, parsed head (`raw` is its bytes) for the 400 and 411 cases above.
// `content_length` gets the body's length (0 without Content-Length).
std::optional<HttpRefusal> CheckHead(std::string_view raw, const HttpHead& head,
                                     uint64_t* content_length);

class HttpRequestReader {
 public:
  // The largest body the path of `head` takes; larger ones are refused with 413.
  using BodyLimit = std::function<uint64_t(const HttpHead& head)>;

  HttpRequestReader(HttpLimits limits, BodyLimit body_limit)
      : limits_(limits), bodyLimit_(std::move(body_limit)) {}

  void Append(std::string_view bytes) { buffer_.append(bytes); }

  enum class Step { kNeedMore, kRequest, kRefused };
  // The next request in `*request`, or the refusal in refusal(); kNeedMore until either is
  // complete. Once kRefused, always kRefused.
  Step Next(HttpRequest* request);

  const std::optional<HttpRefusal>& refusal() const { return refusal_; }
  // A complete head whose body is still arriving (for "Expect: 100-continue"), else null.
  const HttpHead* waitingBody() const { return pending_ ? &pending_->head : nullptr; }
  // Bytes received and not yet handed out.
  size_t buffered() const { return buffer_.size(); }

 private:
  Step Refuse(int status, std::string reason);

  HttpLimits limits_;
  BodyLimit bodyLimit_;
  std::string buffer_;
  std::optional<HttpRequest> pending_;  // head read, body not yet complete
  uint64_t pendingLength_ = 0;
  std::optional<HttpRefusal> refusal_;
};

}  // namespace wsgw
