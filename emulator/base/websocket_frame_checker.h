// RFC 6455 §5 for the bytes a client sends after its upgrade: a streaming check of every frame
// header (mask, RSV bits, opcode, control frame length and fragmentation, continuation order,
// declared lengths against the gateway's limits) and of close frame bodies (length, code,
// UTF-8 reason). It never buffers a payload it does not need: a data frame's payload is skipped,
// so a 64-bit length is judged from its header alone. Text payloads' UTF-8 is judged per message
// by the session, which has them unmasked (server/sessions.cc).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

namespace wsgw {

struct FrameViolation {
  int code = 0;        // the close code to send: 1002, 1007 or 1009
  std::string reason;  // the close frame's reason, and $disconnect's disconnectReason
  std::string detail;  // for the log: what exactly the client sent
  // Whole data messages the client sent before the violating frame: they are still delivered.
  uint64_t messagesBefore = 0;
};

class WebSocketFrameChecker {
 public:
  WebSocketFrameChecker(uint64_t max_frame_bytes, uint64_t max_message_bytes)
      : maxFrameBytes_(max_frame_bytes), maxMessageBytes_(max_message_bytes) {}

  // Checks the next `size` bytes of the stream. Returns how many of them may be handed to the
  // WebSocket parser: all of them, or, at the first violation, the bytes before the frame that
  // commits it (0 when that frame began in an earlier call). After a violation every call
  // returns 0 and violation() stays as it was.
  size_t Feed(const unsigned char* data, size_t size);

  const std::optional<FrameViolation>& violation() const { return violation_; }
  // True once a valid close frame from the client has been seen; later bytes are not checked.
  bool closed() const { return closed_; }

 private:
  enum class Stage { kHeader, kPayload, kClosed, kFailed };

  // Judges the header collected so far; false when it is a violation (violation_ set).
  bool CheckHeader();
  bool CheckClosePayload();
  void Fail(int code, std::string reason, std::string detail);

  uint64_t maxFrameBytes_;
  uint64_t maxMessageBytes_;
  Stage stage_ = Stage::kHeader;
  unsigned char header_[14] = {};
  size_t headerSize_ = 0;  // bytes of header_ collected
  size_t headerNeed_ = 2;  // bytes the header has, once known
  unsigned char maskKey_[4] = {};
  uint64_t payloadLength_ = 0;
  uint64_t payloadDone_ = 0;
  unsigned char opcode_ = 0;
  bool fin_ = false;
  bool inMessage_ = false;  // a fragmented data message waits for its continuation
  uint64_t messageBytes_ = 0;
  uint64_t messages_ = 0;  // data messages completed (their final frame's last byte seen)
  std::string control_;  // the unmasked payload of the control frame being received
  bool closed_ = false;
  std::optional<FrameViolation> violation_;
};

}  // namespace wsgw
