#include "base/websocket_frame_checker.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

namespace wsgw {
namespace {

using Bytes = std::vector<unsigned char>;

// One client frame; masked with a fixed key unless `masked` is false.
Bytes Frame(unsigned char opcode, const std::string& payload, bool fin = true, bool masked = true,
            unsigned char rsv = 0) {
  Bytes out = {static_cast<unsigned char>((fin ? 0x80 : 0) | (rsv << 4) | opcode)};
  unsigned char mask_bit = masked ? 0x80 : 0;
  size_t n = payload.size();
  if (n < 126) {
    out.push_back(static_cast<unsigned char>(mask_bit | n));
  } else if (n < 65536) {
    out.push_back(mask_bit | 126);
    out.push_back(static_cast<unsigned char>(n >> 8));
    out.push_back(static_cast<unsigned char>(n & 0xff));
  } else {
    out.push_back(mask_bit | 127);
    for (int shift = 56; shift >= 0; shift -= 8) out.push_back(static_cast<unsigned char>(n >> shift));
  }
  const unsigned char key[4] = {0x12, 0x34, 0x56, 0x78};
  if (masked) out.insert(out.end(), key, key + 4);
  for (size_t i = 0; i < n; ++i) {
    unsigned char c = static_cast<unsigned char>(payload[i]);
    out.push_back(masked ? c ^ key[i % 4] : c);
  }
  return out;
}

// A masked header declaring `length` bytes with a 64-bit length field, and no payload.
Bytes Header64(unsigned char opcode, uint64_t length) {
  Bytes out = {static_cast<unsigned char>(0x80 | opcode), 0x80 | 127};
  for (int shift = 56; shift >= 0; shift -= 8) out.push_back(static_cast<unsigned char>(length >> shift));
  out.insert(out.end(), {1, 2, 3, 4});
  return out;
}

Bytes Concat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const Bytes& part : parts) out.insert(out.end(), part.begin(), part.end());
  return out;
}

struct Result {
  size_t allowed;
  int code;  // 0: no violation
  std::string reason;
};

Result Check(const Bytes& bytes, size_t chunk = 0) {
  WebSocketFrameChecker checker(32768, 131072);
  size_t allowed = 0;
  if (chunk == 0) chunk = bytes.size() == 0 ? 1 : bytes.size();
  for (size_t at = 0; at < bytes.size(); at += chunk) {
    size_t n = std::min(chunk, bytes.size() - at);
    size_t ok = checker.Feed(bytes.data() + at, n);
    allowed += ok;
    if (ok < n) break;
  }
  const auto& v = checker.violation();
  return {allowed, v ? v->code : 0, v ? v->reason : ""};
}

TEST(WebSocketFrameChecker, AcceptsWellFormedTraffic) {
  Bytes traffic = Concat({Frame(1, "hello"), Frame(9, "ping"), Frame(1, "frag", false),
                          Frame(10, "pong between fragments"), Frame(0, "ment", false),
                          Frame(0, "ed"), Frame(2, std::string(300, 'b')),
                          Frame(1, std::string(70000 / 4, 't')), Frame(8, "\x03\xe8" "bye")});
  for (size_t chunk : {size_t{0}, size_t{1}, size_t{3}, size_t{7}}) {
    Result r = Check(traffic, chunk);
    EXPECT_EQ(r.code, 0) << "chunk " << chunk << ": " << r.reason;
    EXPECT_EQ(r.allowed, traffic.size()) << "chunk " << chunk;
  }
}

TEST(WebSocketFrameChecker, RefusesEachViolationWith1002AndCutsBeforeItsFrame) {
  struct Case {
    const char* name;
    Bytes bad;
    const char* reason;
  };
  std::vector<Case> cases = {
      {"unmasked", Frame(1, "x", true, false), "Unmasked client frame"},
      {"rsv1", Frame(1, "x", true, true, 4), "Reserved bits set"},
      {"rsv3", Frame(1, "x", true, true, 1), "Reserved bits set"},
      {"opcode 3", Frame(3, "x"), "Unknown opcode"},
      {"opcode 0xb", Frame(0xb, "x"), "Unknown opcode"},
      {"fragmented ping", Frame(9, "x", false), "Fragmented control frame"},
      {"long ping", Frame(9, std::string(126, 'p')), "Control frame too long"},
      {"lone continuation", Frame(0, "x"), "Unexpected continuation frame"},
      {"1-byte close", Frame(8, "\x03"), "Invalid close frame"},
      {"close 1005", Frame(8, "\x03\xed"), "Invalid close code"},
      {"close 999", Frame(8, "\x03\xe7"), "Invalid close code"},
      {"close 1016", Frame(8, "\x03\xf8"), "Invalid close code"},
      {"close 5000", Frame(8, "\x13\x88"), "Invalid close code"},
      {"64-bit length with bit 63", Header64(1, uint64_t{1} << 63), "Invalid frame length"},
  };
  Bytes good = Frame(1, "fine");
  for (const Case& c : cases) {
    for (size_t chunk : {size_t{0}, size_t{1}}) {
      Result r = Check(Concat({good, c.bad, good}), chunk);
      EXPECT_EQ(r.code, 1002) << c.name;
      EXPECT_EQ(r.reason, c.reason) << c.name;
      if (chunk == 0) {
        EXPECT_EQ(r.allowed, good.size()) << c.name << ": cut elsewhere";
      }
    }
  }
}

TEST(WebSocketFrameChecker, RefusesANewDataFrameInsideAFragmentedMessage) {
  Result r = Check(Concat({Frame(1, "a", false), Frame(1, "b")}));
  EXPECT_EQ(r.code, 1002);
  EXPECT_EQ(r.reason, "Expected continuation frame");
  EXPECT_EQ(r.allowed, Frame(1, "a", false).size());
}

TEST(WebSocketFrameChecker, RefusesACloseReasonThatIsNotUtf8With1007) {
  Result r = Check(Frame(8, "\x03\xe8\xc3\x28"));
  EXPECT_EQ(r.code, 1007);
  EXPECT_EQ(r.allowed, 0u);
}

TEST(WebSocketFrameChecker, AcceptsRegisteredAndPrivateCloseCodes) {
  for (int code : {1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000,
                   4000, 4999}) {
    std::string body = {static_cast<char>(code >> 8), static_cast<char>(code & 0xff)};
    EXPECT_EQ(Check(Frame(8, body)).code, 0) << code;
  }
  EXPECT_EQ(Check(Frame(8, "")).code, 0) << "a close frame without a body";
}

TEST(WebSocketFrameChecker, JudgesDeclaredLengthsFromTheHeaderAlone) {
  // No payload follows: the verdict cannot have waited for (or buffered) it.
  Result frame = Check(Header64(1, uint64_t{1} << 62));
  EXPECT_EQ(frame.code, 1009);
  EXPECT_EQ(frame.reason, "Frame size exceeded");
  EXPECT_EQ(Check(Header64(1, 32769)).code, 1009);
  EXPECT_EQ(Check(Header64(1, 32768)).code, 0);
  // Fragments within maxFrameBytes whose sum passes maxMessageBytes.
  Bytes parts = Frame(1, std::string(32768, 'a'), false);
  for (int i = 0; i < 3; ++i) parts = Concat({parts, Frame(0, std::string(32768, 'a'), false)});
  EXPECT_EQ(Check(parts).code, 0);
  Result message = Check(Concat({parts, Header64(0, 1)}));
  EXPECT_EQ(message.code, 1009);
  EXPECT_EQ(message.reason, "Message too big");
}

TEST(WebSocketFrameChecker, StaysFailedAndPassesEverythingAfterAValidClose) {
  WebSocketFrameChecker failed(32768, 131072);
  Bytes bad = Frame(3, "x");
  EXPECT_EQ(failed.Feed(bad.data(), bad.size()), 0u);
  Bytes good = Frame(1, "x");
  EXPECT_EQ(failed.Feed(good.data(), good.size()), 0u);
  EXPECT_EQ(failed.violation()->code, 1002);

  WebSocketFrameChecker closing(32768, 131072);
  Bytes after_close = Concat({Frame(8, "\x03\xe8"), Frame(3, "ignored")});
  EXPECT_EQ(closing.Feed(after_close.data(), after_close.size()), after_close.size());
  EXPECT_TRUE(closing.closed());
  EXPECT_FALSE(closing.violation());
}

}  // namespace
}  // namespace wsgw
