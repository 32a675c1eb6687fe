#include "base/http_request_reader.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace wsgw {
namespace {

constexpr uint64_t kBodyLimit = 100;

HttpRequestReader NewReader() {
  return HttpRequestReader(HttpLimits{}, [](const HttpHead&) { return kBodyLimit; });
}

// Feeds `bytes` in one piece (or byte by byte) and returns the statuses seen: 0 for a request,
// the refusal's status for a refusal.
std::vector<int> Outcomes(const std::string& bytes, bool byte_by_byte = false) {
  HttpRequestReader reader = NewReader();
  std::vector<int> outcomes;
  auto drain = [&] {
    HttpRequest request;
    for (;;) {
      HttpRequestReader::Step step = reader.Next(&request);
      if (step == HttpRequestReader::Step::kNeedMore) return false;
      if (step == HttpRequestReader::Step::kRefused) {
        outcomes.push_back(reader.refusal()->status);
        return true;
      }
      outcomes.push_back(0);
    }
  };
  if (byte_by_byte) {
    for (char c : bytes) {
      reader.Append(std::string_view(&c, 1));
      if (drain()) break;
    }
  } else {
    reader.Append(bytes);
    drain();
  }
  return outcomes;
}

int FirstRefusal(const std::string& head_lines) {
  std::vector<int> outcomes = Outcomes("POST /p HTTP/1.1\r\nHost: x\r\n" + head_lines + "\r\n");
  return outcomes.empty() ? -1 : outcomes.back();
}

TEST(HttpRequestReaderTest, HandsOutPipelinedRequestsInOrderWithTheirBodies) {
  HttpRequestReader reader = NewReader();
  reader.Append(
      "GET /a HTTP/1.1\r\nHost: x\r\n\r\n"
      "POST /b HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello"
      "GET /c HTTP/1.1\r\nConnection: close\r\n\r\n");
  HttpRequest request;
  ASSERT_EQ(reader.Next(&request), HttpRequestReader::Step::kRequest);
  EXPECT_EQ(request.head.target, "/a");
  EXPECT_TRUE(request.keepAlive);
  ASSERT_EQ(reader.Next(&request), HttpRequestReader::Step::kRequest);
  EXPECT_EQ(request.head.target, "/b");
  EXPECT_EQ(request.body, "hello");
  ASSERT_EQ(reader.Next(&request), HttpRequestReader::Step::kRequest);
  EXPECT_EQ(request.head.target, "/c");
  EXPECT_FALSE(request.keepAlive);
  EXPECT_EQ(reader.Next(&request), HttpRequestReader::Step::kNeedMore);
  EXPECT_EQ(reader.buffered(), 0u);
}

TEST(HttpRequestReaderTest, WaitsForTheWholeBodyAndSaysWhichHeadWaits) {
  HttpRequestReader reader = NewReader();
  reader.Append("POST /b HTTP/1.1\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\nab");
  HttpRequest request;
  EXPECT_EQ(reader.Next(&request), HttpRequestReader::Step::kNeedMore);
  ASSERT_NE(reader.waitingBody(), nullptr);
  EXPECT_EQ(reader.waitingBody()->Header("Expect"), "100-continue");
  reader.Append("cdGET");
  ASSERT_EQ(reader.Next(&request), HttpRequestReader::Step::kRequest);
  EXPECT_EQ(request.body, "abcd");
  EXPECT_EQ(reader.waitingBody(), nullptr);
  EXPECT_EQ(reader.buffered(), 3u);
}

TEST(HttpRequestReaderTest, RefusesABodyOverTheLimitFromItsContentLengthAlone) {
  HttpRequestReader reader = NewReader();
  reader.Append("POST /b HTTP/1.1\r\nContent-Length: 999999999\r\n\r\n");
  HttpRequest request;
  ASSERT_EQ(reader.Next(&request), HttpRequestReader::Step::kRefused);
  EXPECT_EQ(reader.refusal()->status, 413);
  EXPECT_EQ(reader.refusal()->contentLength, 999999999u);
  EXPECT_EQ(reader.refusal()->limit, kBodyLimit);
  ASSERT_TRUE(reader.refusal()->head);
  EXPECT_EQ(reader.refusal()->head->target, "/b");
  EXPECT_EQ(FirstRefusal("Content-Length: 100\r\n"), -1) << "exactly the limit is a request";
  EXPECT_EQ(Outcomes("POST /b HTTP/1.1\r\nContent-Length: 100\r\n\r\n" + std::string(100, 'b')),
            std::vector<int>{0});
}

TEST(HttpRequestReaderTest, RefusesHeadsAndTargetsOverTheLimitBeforeTheyEnd) {
  std::string long_target = "GET /" + std::string(5000, 'a');
  EXPECT_EQ(Outcomes(long_target), std::vector<int>{414}) << "no CRLF yet";
  EXPECT_EQ(Outcomes(long_target + " HTTP/1.1\r\n\r\n"), std::vector<int>{414});
  EXPECT_EQ(Outcomes("GET /" + std::string(4095, 'a') + " HTTP/1.1\r\n\r\n"), std::vector<int>{0});
  std::string big_head = "GET / HTTP/1.1\r\nX-P: " + std::string(20000, 'p');
  EXPECT_EQ(Outcomes(big_head), std::vector<int>{431});
  EXPECT_EQ(Outcomes(big_head + "\r\n\r\n", /*byte_by_byte=*/true), std::vector<int>{431});
}

TEST(HttpRequestReaderTest, RefusesWhatCouldBeReadTwoWays) {
  EXPECT_EQ(FirstRefusal("Content-Length: 4\r\nTransfer-Encoding: chunked\r\n"), 400);
  EXPECT_EQ(FirstRefusal("Transfer-Encoding: chunked\r\nContent-Length: 4\r\n"), 400);
  EXPECT_EQ(FirstRefusal("Transfer-Encoding: gzip\r\nContent-Length: 4\r\n"), 400);
  EXPECT_EQ(FirstRefusal("Content-Length: 4\r\nContent-Length: 4\r\n"), 400);
  EXPECT_EQ(FirstRefusal("Content-Length: 4\r\nContent-Length: 5\r\n"), 400);
  EXPECT_EQ(FirstRefusal("Content-Length: 4, 4\r\n"), 400);
  EXPECT_EQ(FirstRefusal("Content-Length: +4\r\n"), 400);
  EXPECT_EQ(FirstRefusal("Content-Length: -1\r\n"), 400);
  EXPECT_EQ(FirstRefusal("Content-Length: 99999999999999999999999\r\n"), 400);
  EXPECT_EQ(FirstRefusal("X-A: one\r\n two\r\n"), 400) << "obs-fold";
  EXPECT_EQ(FirstRefusal("X-A: one\r\n\ttwo\r\n"), 400) << "obs-fold with a tab";
  EXPECT_EQ(FirstRefusal("X-A: one\rtwo\r\n"), 400) << "a bare CR";
  EXPECT_EQ(Outcomes("GET /a%00b HTTP/1.1\r\n\r\n"), std::vector<int>{400});
  EXPECT_EQ(FirstRefusal("Transfer-Encoding: chunked\r\n"), 411);
}

TEST(HttpRequestReaderTest, ARefusalIsFinalAndDropsWhatFollows) {
  HttpRequestReader reader = NewReader();
  reader.Append(
      "GET /ok HTTP/1.1\r\n\r\n"
      "POST /bad HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab"
      "GET /never HTTP/1.1\r\n\r\n");
  HttpRequest request;
  ASSERT_EQ(reader.Next(&request), HttpRequestReader::Step::kRequest);
  EXPECT_EQ(request.head.target, "/ok");
  EXPECT_EQ(reader.Next(&request), HttpRequestReader::Step::kRefused);
  reader.Append("GET /later HTTP/1.1\r\n\r\n");
  EXPECT_EQ(reader.Next(&request), HttpRequestReader::Step::kRefused);
}

TEST(HttpRequestReaderTest, ReadsTheSameByteByByte) {
  std::string bytes =
      "GET /a HTTP/1.1\r\n\r\nPOST /b HTTP/1.1\r\nContent-Length: 3\r\n\r\nxyzGET /c "
      "HTTP/1.0\r\n\r\n";
  EXPECT_EQ(Outcomes(bytes, /*byte_by_byte=*/true), (std::vector<int>{0, 0, 0}));
}

TEST(HttpRequestReaderTest, CheckHeadSizeLooksAtTheRequestLineFirst) {
  EXPECT_FALSE(CheckHeadSize("GET / HTTP/1.1\r\n", HttpLimits{}));
  std::optional<HttpRefusal> refusal =
      CheckHeadSize("GET /" + std::string(5000, 'x'), HttpLimits{});
  ASSERT_TRUE(refusal);
  EXPECT_EQ(refusal->status, 414);
}

}  // namespace
}  // namespace wsgw
