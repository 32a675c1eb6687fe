#include "base/websocket_frame_checker.h"

#include <algorithm>
#include <string_view>

#include "base/utf8.h"

namespace wsgw {
namespace {

constexpr unsigned char kContinuation = 0x0;
constexpr unsigned char kText = 0x1;
constexpr unsigned char kBinary = 0x2;
constexpr unsigned char kClose = 0x8;
constexpr unsigned char kPing = 0x9;
constexpr unsigned char kPong = 0xa;

// RFC 6455 §7.4.1 and the IANA WebSocket Close Code Number Registry: the codes an endpoint may
// put in a close frame. 1005, 1006 and 1015 are for reporting only and must never be sent.
bool IsSendableCloseCode(int code) {
  if (code >= 1000 && code <= 1003) return true;
  if (code >= 1007 && code <= 1014) return true;
  return code >= 3000 && code <= 4999;
}

}  // namespace

void WebSocketFrameChecker::Fail(int code, std::string reason, std::string detail) {
  stage_ = Stage::kFailed;
  violation_ = FrameViolation{code, std::move(reason), std::move(detail), messages_};
}

bool WebSocketFrameChecker::CheckHeader() {
  if (headerSize_ == 1) {
    unsigned char first = header_[0];
    opcode_ = first & 0x0f;
    fin_ = (first & 0x80) != 0;
    // No extension is negotiated (the gateway offers none, permessage-deflate included), so
    // every RSV bit must be 0 (§5.2).
    if ((first & 0x70) != 0) {
      Fail(1002, "Reserved bits set", "RSV bits set without a negotiated extension");
      return false;
    }
    bool control = (opcode_ & 0x8) != 0;
    if (opcode_ != kContinuation && opcode_ != kText && opcode_ != kBinary && opcode_ != kClose &&
        opcode_ != kPing && opcode_ != kPong) {
      Fail(1002, "Unknown opcode", "reserved opcode " + std::to_string(opcode_));
      return false;
    }
    if (control && !fin_) {
      Fail(1002, "Fragmented control frame", "control frame without FIN (§5.5)");
      return false;
    }
    if (opcode_ == kContinuation && !inMessage_) {
      Fail(1002, "Unexpected continuation frame", "continuation frame with nothing to continue");
      return false;
    }
    if ((opcode_ == kText || opcode_ == kBinary) && inMessage_) {
      Fail(1002, "Expected continuation frame",
           "new data frame inside a fragmented message (§5.4)");
      return false;
    }
    return true;
  }
  if (headerSize_ == 2) {
    unsigned char second = header_[1];
    if ((second & 0x80) == 0) {
      Fail(1002, "Unmasked client frame", "client frame without a mask (§5.1)");
      return false;
    }
    unsigned char length7 = second & 0x7f;
    headerNeed_ = 2 + (length7 == 126 ? 2 : length7 == 127 ? 8 : 0) + 4;
    if ((opcode_ & 0x8) != 0 && length7 > 125) {
      Fail(1002, "Control frame too long", "control frame payload over 125 bytes (§5.5)");
      return false;
    }
    if (opcode_ == kClose && length7 == 1) {
      Fail(1002, "Invalid close frame", "close frame with a 1-byte body (§5.5.1)");
      return false;
    }
    if (length7 < 126) payloadLength_ = length7;
  }
  size_t length_bytes = headerNeed_ - 6;
  if (headerSize_ == 2 + length_bytes && length_bytes > 0) {
    uint64_t length = 0;
    for (size_t i = 0; i < length_bytes; ++i) length = (length << 8) | header_[2 + i];
    if (length_bytes == 8 && (header_[2] & 0x80) != 0) {
      Fail(1002, "Invalid frame length", "64-bit length with its most significant bit set (§5.2)");
      return false;
    }
    payloadLength_ = length;
  }
  if (headerSize_ != headerNeed_) return true;
  // The whole header: the declared length against the limits, before any of it arrives.
  if (payloadLength_ > maxFrameBytes_ && (opcode_ & 0x8) == 0) {
    Fail(1009, "Frame size exceeded",
         "frame of " + std::to_string(payloadLength_) + " bytes, over maxFrameBytes " +
             std::to_string(maxFrameBytes_));
    return false;
  }
  if ((opcode_ & 0x8) == 0) {
    uint64_t total = (opcode_ == kContinuation ? messageBytes_ : 0) + payloadLength_;
    if (total > maxMessageBytes_) {
      Fail(1009, "Message too big",
           "message of at least " + std::to_string(total) + " bytes, over maxMessageBytes " +
               std::to_string(maxMessageBytes_));
      return false;
    }
    messageBytes_ = total;
    inMessage_ = !fin_;
  }
  return true;
}

bool WebSocketFrameChecker::CheckClosePayload() {
  if (control_.size() < 2) return true;  // no body: 1005 at the receiver (§7.1.5)
  int code = (static_cast<unsigned char>(control_[0]) << 8) | static_cast<unsigned char>(control_[1]);
  if (!IsSendableCloseCode(code)) {
    Fail(1002, "Invalid close code", "close frame with code " + std::to_string(code) + " (§7.4)");
    return false;
  }
  if (!IsValidUtf8(std::string_view(control_).substr(2))) {
    Fail(1007, "Invalid UTF-8 in close reason", "close frame reason that is not UTF-8 (§5.5.1)");
    return false;
  }
  return true;
}

size_t WebSocketFrameChecker::Feed(const unsigned char* data, size_t size) {
  size_t frame_start = 0;  // where in `data` the frame being parsed began (0: earlier)
  size_t at = 0;
  while (at < size) {
    switch (stage_) {
      case Stage::kFailed:
        return 0;
      case Stage::kClosed:
        return size;
      case Stage::kHeader: {
        if (headerSize_ == 0) frame_start = at;
        header_[headerSize_++] = data[at++];
        if (!CheckHeader()) return frame_start;
        if (headerSize_ == headerNeed_) {
          std::copy(header_ + headerNeed_ - 4, header_ + headerNeed_, maskKey_);
          headerSize_ = 0;
          headerNeed_ = 2;
          payloadDone_ = 0;
          control_.clear();
          stage_ = Stage::kPayload;
        }
        break;
      }
      case Stage::kPayload: {
        uint64_t left = payloadLength_ - payloadDone_;
        size_t take = static_cast<size_t>(std::min<uint64_t>(left, size - at));
        if (opcode_ == kClose) {
          for (size_t i = 0; i < take; ++i) {
            size_t index = static_cast<size_t>(payloadDone_ + i);
            control_.push_back(static_cast<char>(data[at + i] ^ maskKey_[index % 4]));
          }
        }
        payloadDone_ += take;
        at += take;
        break;
      }
    }
    if (stage_ == Stage::kPayload && payloadDone_ == payloadLength_) {
      if (opcode_ == kClose) {
        if (!CheckClosePayload()) return frame_start;
        closed_ = true;
        stage_ = Stage::kClosed;
      } else {
        if ((opcode_ & 0x8) == 0 && fin_) ++messages_;
        stage_ = Stage::kHeader;
      }
    }
  }
  return stage_ == Stage::kFailed ? 0 : size;
}

}  // namespace wsgw
