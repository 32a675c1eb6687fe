#include "base/http_head.h"

#include <gtest/gtest.h>

namespace wsgw {
namespace {

constexpr char kUpgrade[] =
    "GET /dev?room=a%20b&x=1 HTTP/1.1\r\n"
    "Host: 127.0.0.1:3001\r\n"
    "Connection: keep-alive, Upgrade\r\n"
    "Upgrade: websocket\r\n"
    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
    "Sec-WebSocket-Version: 13\r\n"
    "X-Custom: one\r\n"
    "x-custom: two\r\n"
    "\r\n";

TEST(HttpHead, FindsTheEndOfACompleteHeadOnly) {
  std::string head = kUpgrade;
  EXPECT_EQ(FindHeadEnd(head), head.size());
  EXPECT_EQ(FindHeadEnd(head + "\x81\x05hello"), head.size());
  EXPECT_EQ(FindHeadEnd(head.substr(0, head.size() - 2)), 0u);
}

TEST(HttpHead, ParsesAFirefoxStyleUpgradeKeepingHeaderCaseAndDuplicates) {
  std::string error;
  std::optional<HttpHead> head = ParseHttpHead(kUpgrade, &error);
  ASSERT_TRUE(head) << error;
  EXPECT_EQ(head->method, "GET");
  EXPECT_EQ(head->path, "/dev");
  EXPECT_TRUE(head->hasQuery);
  EXPECT_EQ(head->rawQuery, "room=a%20b&x=1");
  EXPECT_TRUE(head->upgradeWebSocket);
  ASSERT_EQ(head->headers.size(), 7u);
  EXPECT_EQ(head->headers[5].first, "X-Custom");
  EXPECT_EQ(head->headers[6].first, "x-custom");
  EXPECT_EQ(head->Header("X-CUSTOM").value_or(""), "one");
  EXPECT_FALSE(head->Header("Cookie").has_value());
}

TEST(HttpHead, PlainGetIsNotAnUpgrade) {
  std::string error;
  std::optional<HttpHead> head =
      ParseHttpHead("GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n\r\n", &error);
  ASSERT_TRUE(head) << error;
  EXPECT_FALSE(head->upgradeWebSocket);  // no "Connection: upgrade"
  EXPECT_FALSE(head->hasQuery);
}

TEST(HttpHead, RejectsGarbageWithAReason) {
  std::string error;
  EXPECT_FALSE(ParseHttpHead("\x16\x03\x01 hello\r\n\r\n", &error));
  EXPECT_NE(error.find("malformed HTTP request head"), std::string::npos);
}

TEST(HttpHead, PercentDecodesAndKeepsInvalidEscapes) {
  EXPECT_EQ(PercentDecode("abc%3D", false), "abc=");
  EXPECT_EQ(PercentDecode("%40connections", false), "@connections");
  EXPECT_EQ(PercentDecode("a+b", true), "a b");
  EXPECT_EQ(PercentDecode("a+b", false), "a+b");
  EXPECT_EQ(PercentDecode("100%", false), "100%");
  EXPECT_EQ(PercentDecode("%zz%4", false), "%zz%4");
}

}  // namespace
}  // namespace wsgw
