#include "base/http_request_reader.h"

#include <cctype>
#include <utility>

namespace wsgw {
namespace {

// Content-Length's grammar (RFC 9110 §8.6) is 1*DIGIT; a list ("5, 5"), a sign or spaces inside
// are read differently by different servers, which is what request smuggling lives on.
std::optional<uint64_t> ParseLength(std::string_view text) {
  text = TrimSpace(text);
  if (text.empty() || text.size() > 19) return std::nullopt;
  uint64_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + static_cast<uint64_t>(c - '0');
  }
  return value;
}

}  // namespace

std::optional<HttpRefusal> CheckHeadSize(std::string_view bytes, const HttpLimits& limits) {
  size_t line_end = bytes.find("\r\n");
  std::string_view line =
      bytes.substr(0, line_end == std::string_view::npos ? bytes.size() : line_end);
  size_t first_space = line.find(' ');
  if (first_space != std::string_view::npos) {
    size_t target_end = line.find(' ', first_space + 1);
    size_t target_length =
        (target_end == std::string_view::npos ? line.size() : target_end) - first_space - 1;
    if (target_length > limits.maxTargetBytes) {
      return HttpRefusal{414, "the request target is " +
                                  std::string(target_end == std::string_view::npos ? "over " : "") +
                                  std::to_string(target_length) + " bytes; the limit is " +
                                  std::to_string(limits.maxTargetBytes)};
    }
  }
  size_t head_end = FindHeadEnd(bytes);
  size_t head_length = head_end == 0 ? bytes.size() : head_end;
  if (head_length > limits.maxHeadBytes) {
    return HttpRefusal{
        431, "the request head is over " + std::to_string(limits.maxHeadBytes) + " bytes"};
  }
  return std::nullopt;
}

std::optional<HttpRefusal> CheckHead(std::string_view raw, const HttpHead& head,
                                     uint64_t* content_length) {
  *content_length = 0;
  // A header line that starts with a space or tab continues the one before (obsolete line
  // folding); RFC 9112 §5.2 lets a server refuse it, and its value would carry a CRLF.
  for (size_t at = raw.find("\r\n"); at != std::string_view::npos && at + 2 < raw.size();
       at = raw.find("\r\n", at + 2)) {
    char next = raw[at + 2];
    if (next == ' ' || next == '\t') {
      return HttpRefusal{400, "a header line starts with whitespace (obsolete line folding)"};
    }
  }
  std::string lowered = head.target;
  for (char& c : lowered) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (lowered.find("%00") != std::string::npos) {
    return HttpRefusal{400, "the request path contains an encoded NUL (%00)"};
  }
  std::optional<std::string> length_text;
  bool transfer_encoding = false;
  for (const auto& [name, value] : head.headers) {
    if (value.find_first_of(std::string_view("\r\n\0", 3)) != std::string::npos) {
      return HttpRefusal{400, "the value of header " + name + " contains CR, LF or NUL"};
    }
    if (EqualsIgnoreCase(name, "Content-Length")) {
      if (length_text) return HttpRefusal{400, "Content-Length is given more than once"};
      length_text = value;
    } else if (EqualsIgnoreCase(name, "Transfer-Encoding")) {
      transfer_encoding = true;
    }
  }
  if (transfer_encoding && length_text) {
    return HttpRefusal{400, "Content-Length and Transfer-Encoding together"};
  }
  if (length_text) {
    std::optional<uint64_t> length = ParseLength(*length_text);
    if (!length) return HttpRefusal{400, "Content-Length is not a number: " + *length_text};
    *content_length = *length;
  }
  if (transfer_encoding && !head.upgradeWebSocket) {
    return HttpRefusal{411, "send the body with a Content-Length, not Transfer-Encoding: " +
                                head.Header("Transfer-Encoding").value_or("")};
  }
  return std::nullopt;
}

HttpRequestReader::Step HttpRequestReader::Refuse(int status, std::string reason) {
  refusal_ = HttpRefusal{status, std::move(reason)};
  pending_.reset();
  buffer_.clear();
  return Step::kRefused;
}

HttpRequestReader::Step HttpRequestReader::Next(HttpRequest* request) {
  if (refusal_) return Step::kRefused;
  if (!pending_) {
    if (std::optional<HttpRefusal> refusal = CheckHeadSize(buffer_, limits_)) {
      return Refuse(refusal->status, std::move(refusal->reason));
    }
    size_t head_end = FindHeadEnd(buffer_);
    if (head_end == 0) return Step::kNeedMore;
    std::string_view raw(buffer_.data(), head_end);
    std::string error;
    std::optional<HttpHead> head = ParseHttpHead(raw, &error);
    if (!head) return Refuse(400, error);
    uint64_t length = 0;
    if (std::optional<HttpRefusal> refusal = CheckHead(raw, *head, &length)) {
      return Refuse(refusal->status, std::move(refusal->reason));
    }
    uint64_t limit = bodyLimit_ ? bodyLimit_(*head) : 0;
    if (length > limit) {
      Refuse(413, "the body (Content-Length " + std::to_string(length) +
                      ") is over this path's limit of " + std::to_string(limit) + " bytes");
      refusal_->head = std::move(*head);
      refusal_->contentLength = length;
      refusal_->limit = limit;
      return Step::kRefused;
    }
    buffer_.erase(0, head_end);
    pending_.emplace();
    pending_->keepAlive = head->keepAlive;
    pending_->head = std::move(*head);
    pendingLength_ = length;
  }
  if (buffer_.size() < pendingLength_) return Step::kNeedMore;
  pending_->body = buffer_.substr(0, pendingLength_);
  buffer_.erase(0, pendingLength_);
  *request = std::move(*pending_);
  pending_.reset();
  pendingLength_ = 0;
  return Step::kRequest;
}

}  // namespace wsgw
