#include "invoke/plain_http_client.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "unused_port.h"

namespace wsgw {

// How gtest shows a failure kind: found by argument-dependent lookup, so in wsgw itself.
static const char* FailureName(HttpAnswer::Failure failure) {
  switch (failure) {
    case HttpAnswer::Failure::kNone:
      return "kNone";
    case HttpAnswer::Failure::kUnreachable:
      return "kUnreachable";
    case HttpAnswer::Failure::kTimeout:
      return "kTimeout";
    case HttpAnswer::Failure::kTooLarge:
      return "kTooLarge";
  }
  return "?";
}
static void PrintTo(HttpAnswer::Failure failure, std::ostream* out) {
  *out << FailureName(failure);
}

namespace {

using namespace std::chrono_literals;
using Failure = HttpAnswer::Failure;
using Clock = std::chrono::steady_clock;

constexpr size_t kSixMegabytes = 6 * 1024 * 1024;

// --- The loop a caller of PlainHttpClient runs ---------------------------------------------------

// An epoll fd, a client watching its sockets in it, and the loop InvokeEngine would run around it.
class Loop {
 public:
  explicit Loop(size_t max_body_bytes = kSixMegabytes)
      : epoll_fd_(epoll_create1(EPOLL_CLOEXEC)),
        client_(std::make_unique<PlainHttpClient>(epoll_fd_, max_body_bytes)) {}
  ~Loop() {
    client_.reset();
    close(epoll_fd_);
  }

  PlainHttpClient& client() { return *client_; }
  void DestroyClient() { client_.reset(); }

  // Dispatches the client's events and timeouts until `done` holds; false after `limit`.
  bool RunUntil(const std::function<bool()>& done, std::chrono::milliseconds limit = 10s) {
    const Clock::time_point give_up = Clock::now() + limit;
    while (!done()) {
      if (Clock::now() >= give_up) return false;
      int wait_ms = 10;
      if (std::optional<Clock::time_point> wakeup = client_->NextWakeup()) {
        auto until = std::chrono::ceil<std::chrono::milliseconds>(*wakeup - Clock::now());
        wait_ms = static_cast<int>(std::clamp<int64_t>(until.count(), 0, 10));
      }
      epoll_event events[64];
      int ready = epoll_wait(epoll_fd_, events, 64, wait_ms);
      for (int i = 0; i < ready; ++i) client_->OnEvent(events[i].data.u64, events[i].events);
      if (std::optional<Clock::time_point> wakeup = client_->NextWakeup();
          wakeup && *wakeup <= Clock::now()) {
        client_->OnTimeout();
      }
    }
    return true;
  }

 private:
  int epoll_fd_;
  std::unique_ptr<PlainHttpClient> client_;
};

// One Post's callback: what it was given and how often it ran. Shared with the callback, so that a
// callback arriving after a failed test cannot write into a dead stack frame.
struct Call {
  std::optional<HttpAnswer> answer;
  int runs = 0;

  static PlainHttpClient::Done Into(const std::shared_ptr<Call>& call) {
    return [call](HttpAnswer answer) {
      ++call->runs;
      call->answer = std::move(answer);
    };
  }
};

std::string Describe(const HttpAnswer& answer) {
  std::string text = std::string("failure=") + FailureName(answer.failure) + " detail=\"" +
                     answer.detail + "\" status=" + std::to_string(answer.status);
  text += " body=\"" + answer.body.substr(0, 200) + (answer.body.size() > 200 ? "...\"" : "\"");
  return text;
}

std::shared_ptr<Call> Start(Loop& loop, const std::string& url, std::string payload = "{}",
                            int timeout_ms = 5000) {
  auto call = std::make_shared<Call>();
  loop.client().Post(url, std::move(payload), timeout_ms, Call::Into(call));
  return call;
}

HttpAnswer AwaitAnswer(Loop& loop, const std::shared_ptr<Call>& call) {
  if (!loop.RunUntil([&] { return call->answer.has_value(); })) {
    ADD_FAILURE() << "no callback within 10 s";
    HttpAnswer none;
    none.failure = Failure::kUnreachable;
    none.detail = "(the test saw no callback)";
    return none;
  }
  return *call->answer;
}

HttpAnswer PostAndWait(Loop& loop, const std::string& url, std::string payload = "{}",
                       int timeout_ms = 5000) {
  return AwaitAnswer(loop, Start(loop, url, std::move(payload), timeout_ms));
}

// --- Scripted peers ------------------------------------------------------------------------------

// A one-shot flag one thread sets and another waits for, never forever.
class Latch {
 public:
  void Set() {
    std::lock_guard<std::mutex> lock(mutex_);
    set_ = true;
    cv_.notify_all();
  }
  bool WaitFor(std::chrono::milliseconds limit = 5s) {
    std::unique_lock<std::mutex> lock(mutex_);
    return cv_.wait_for(lock, limit, [&] { return set_; });
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  bool set_ = false;
};

// A request as the server read it off the wire.
struct SeenRequest {
  int connection = -1;  // index of the accepted connection it came on, from 0
  std::string request_line;
  std::vector<std::pair<std::string, std::string>> headers;  // as sent, in order
  std::string body;

  // The value of header `name` (any case); "<absent>" when missing, "<repeated>" when twice.
  std::string Header(std::string_view name) const {
    std::string found = "<absent>";
    for (const auto& [header, value] : headers) {
      bool same = header.size() == name.size() &&
                  std::equal(header.begin(), header.end(), name.begin(), [](char a, char b) {
                    return std::tolower(static_cast<unsigned char>(a)) ==
                           std::tolower(static_cast<unsigned char>(b));
                  });
      if (same) found = found == "<absent>" ? value : "<repeated>";
    }
    return found;
  }
};

class RawServer;

// The server's end of one accepted connection, as a script sees it. Blocking I/O.
class Peer {
 public:
  Peer(RawServer* server, int fd, int index) : server_(server), fd_(fd), index_(index) {}

  int index() const { return index_; }

  // The next request's head (the body left unread); nullopt when the client closed.
  std::optional<SeenRequest> ReadHead(size_t* content_length);
  // The next whole request, recorded by the server; nullopt when the client closed.
  std::optional<SeenRequest> ReadRequest();
  // Reads and forgets `count` bytes; false when the connection ended first.
  bool Discard(size_t count);
  bool Send(std::string_view bytes);
  // Reads (and forgets) until the client closes or resets the connection; true when it did.
  bool AwaitClientClose();
  void Close();

 private:
  bool ReadMore();

  RawServer* server_;
  int fd_;
  int index_;
  std::string buffer_;
};

// A blocking TCP server on the loopback address and port 0 that runs `script` on every accepted
// connection, each in its own thread, so a test can answer with any bytes it likes.
class RawServer {
 public:
  using Script = std::function<void(Peer&)>;

  explicit RawServer(Script script, int family = AF_INET, int receive_buffer = 0)
      : script_(std::move(script)), family_(family) {
    listen_fd_ = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    // Inherited by accepted sockets: a small window makes a large request take many sends.
    if (receive_buffer > 0) {
      setsockopt(listen_fd_, SOL_SOCKET, SO_RCVBUF, &receive_buffer, sizeof receive_buffer);
    }
    sockaddr_storage address{};
    socklen_t length = 0;
    if (family == AF_INET6) {
      auto* v6 = reinterpret_cast<sockaddr_in6*>(&address);
      v6->sin6_family = AF_INET6;
      v6->sin6_addr = in6addr_loopback;
      length = sizeof *v6;
    } else {
      auto* v4 = reinterpret_cast<sockaddr_in*>(&address);
      v4->sin_family = AF_INET;
      v4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      length = sizeof *v4;
    }
    if (bind(listen_fd_, reinterpret_cast<sockaddr*>(&address), length) != 0 ||
        listen(listen_fd_, 128) != 0) {
      return;  // listening() says so
    }
    getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&address), &length);
    port_ = ntohs(family == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(&address)->sin6_port
                                     : reinterpret_cast<sockaddr_in*>(&address)->sin_port);
    acceptor_ = std::thread([this] { AcceptLoop(); });
  }

  ~RawServer() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stopping_ = true;
      for (int fd : open_fds_) shutdown(fd, SHUT_RDWR);
    }
    shutdown(listen_fd_, SHUT_RDWR);
    if (acceptor_.joinable()) acceptor_.join();
    std::vector<std::thread> threads;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      threads.swap(threads_);
    }
    for (std::thread& thread : threads) thread.join();
    close(listen_fd_);
  }

  bool listening() const { return port_ != 0; }
  int port() const { return port_; }
  std::string Authority() const {
    std::string host = family_ == AF_INET6 ? "[::1]" : "127.0.0.1";
    return host + ":" + std::to_string(port_);
  }
  std::string Url(const std::string& path = "/2015-03-31/functions/function/invocations") const {
    return "http://" + Authority() + path;
  }

  int Accepted() const { return accepted_.load(); }
  std::vector<SeenRequest> Requests() {
    std::lock_guard<std::mutex> lock(mutex_);
    return requests_;
  }
  std::vector<std::string> Bodies() {
    std::vector<std::string> bodies;
    for (const SeenRequest& request : Requests()) bodies.push_back(request.body);
    return bodies;
  }

  // Called by peers.
  void Record(const SeenRequest& request) {
    std::lock_guard<std::mutex> lock(mutex_);
    requests_.push_back(request);
  }
  void Forget(int fd) {
    std::lock_guard<std::mutex> lock(mutex_);
    auto found = std::find(open_fds_.begin(), open_fds_.end(), fd);
    if (found == open_fds_.end()) return;
    open_fds_.erase(found);
    close(fd);
  }

 private:
  void AcceptLoop() {
    for (;;) {
      int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd < 0) return;  // shut down
      std::lock_guard<std::mutex> lock(mutex_);
      if (stopping_) {
        close(fd);
        return;
      }
      int index = accepted_++;
      open_fds_.push_back(fd);
      threads_.emplace_back([this, fd, index] {
        Peer peer(this, fd, index);
        script_(peer);
        peer.Close();
      });
    }
  }

  Script script_;
  int family_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<int> accepted_{0};
  std::thread acceptor_;
  std::mutex mutex_;
  bool stopping_ = false;              // guarded by mutex_
  std::vector<int> open_fds_;          // guarded by mutex_
  std::vector<std::thread> threads_;   // guarded by mutex_
  std::vector<SeenRequest> requests_;  // guarded by mutex_
};

bool Peer::ReadMore() {
  char chunk[16384];
  ssize_t got = recv(fd_, chunk, sizeof chunk, 0);
  if (got <= 0) return false;
  buffer_.append(chunk, static_cast<size_t>(got));
  return true;
}

std::optional<SeenRequest> Peer::ReadHead(size_t* content_length) {
  size_t head_end;
  while ((head_end = buffer_.find("\r\n\r\n")) == std::string::npos) {
    if (!ReadMore()) return std::nullopt;
  }
  SeenRequest request;
  request.connection = index_;
  std::string head = buffer_.substr(0, head_end);
  buffer_.erase(0, head_end + 4);
  size_t line_end = head.find("\r\n");
  request.request_line = head.substr(0, line_end);
  size_t position = line_end == std::string::npos ? head.size() : line_end + 2;
  while (position < head.size()) {
    size_t next = std::min(head.find("\r\n", position), head.size());
    std::string line = head.substr(position, next - position);
    size_t colon = line.find(':');
    std::string value = colon == std::string::npos ? "" : line.substr(colon + 1);
    value.erase(0, value.find_first_not_of(' '));
    request.headers.emplace_back(line.substr(0, colon), value);
    position = next + 2;
  }
  std::string length = request.Header("Content-Length");
  *content_length = length.empty() || !std::isdigit(static_cast<unsigned char>(length[0]))
                        ? 0
                        : std::stoul(length);
  return request;
}

std::optional<SeenRequest> Peer::ReadRequest() {
  size_t content_length = 0;
  std::optional<SeenRequest> request = ReadHead(&content_length);
  if (!request) return std::nullopt;
  while (buffer_.size() < content_length) {
    if (!ReadMore()) return std::nullopt;
  }
  request->body = buffer_.substr(0, content_length);
  buffer_.erase(0, content_length);
  server_->Record(*request);
  return request;
}

bool Peer::Discard(size_t count) {
  while (buffer_.size() < count) {
    count -= buffer_.size();
    buffer_.clear();
    if (!ReadMore()) return false;
  }
  buffer_.erase(0, count);
  return true;
}

bool Peer::Send(std::string_view bytes) {
  while (!bytes.empty()) {
    ssize_t sent = send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (sent <= 0) return false;
    bytes.remove_prefix(static_cast<size_t>(sent));
  }
  return true;
}

bool Peer::AwaitClientClose() {
  char chunk[4096];
  for (;;) {
    ssize_t got = recv(fd_, chunk, sizeof chunk, 0);
    if (got == 0) return true;
    // A reset: the client closed with bytes it had not read, or after this end wrote more.
    if (got < 0 && (errno == ECONNRESET || errno == EPIPE)) return true;
    if (got < 0 && errno != EINTR) return false;
  }
}

void Peer::Close() { server_->Forget(fd_); }

// A complete response with a Content-Length.
std::string Response(int status, const std::string& body,
                     const std::vector<std::string>& headers = {}) {
  std::string response = "HTTP/1.1 " + std::to_string(status) + " Scripted\r\n";
  for (const std::string& header : headers) response += header + "\r\n";
  response += "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
  return response;
}

// Answers every request on every connection with its own body.
void Echo(Peer& peer) {
  while (std::optional<SeenRequest> request = peer.ReadRequest()) {
    if (!peer.Send(Response(200, request->body))) return;
  }
}

bool CanListenOnIpv6Loopback() {
  int fd = socket(AF_INET6, SOCK_STREAM, 0);
  if (fd < 0) return false;
  sockaddr_in6 address{};
  address.sin6_family = AF_INET6;
  address.sin6_addr = in6addr_loopback;
  bool ok = bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
  close(fd);
  return ok;
}

// --- A normal exchange ---------------------------------------------------------------------------

TEST(PlainHttpClient, PostsThePayloadAsJsonToTheUrlsPathAndReturnsStatusAndBody) {
  RawServer server([](Peer& peer) {
    if (peer.ReadRequest()) peer.Send(Response(200, R"({"statusCode":200,"body":"hi"})"));
  });
  Loop loop;
  // Bytes a text-minded client could mangle: a NUL, UTF-8, CRLF.
  std::string payload = std::string("{\"a\":\"caf\xc3\xa9\",\"n\":\"") + '\0' + "\r\n\"}";
  HttpAnswer answer =
      PostAndWait(loop, server.Url("/2015-03-31/functions/f/invocations?Qualifier=x"), payload);

  EXPECT_EQ(answer.failure, Failure::kNone) << Describe(answer);
  EXPECT_EQ(answer.status, 200);
  EXPECT_EQ(answer.body, R"({"statusCode":200,"body":"hi"})");
  EXPECT_EQ(answer.function_error, std::nullopt);
  std::vector<SeenRequest> requests = server.Requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].request_line,
            "POST /2015-03-31/functions/f/invocations?Qualifier=x HTTP/1.1");
  EXPECT_EQ(requests[0].Header("Host"), server.Authority());
  EXPECT_EQ(requests[0].Header("Content-Type"), "application/json");
  EXPECT_EQ(requests[0].Header("Content-Length"), std::to_string(payload.size()));
  EXPECT_EQ(requests[0].body, payload);
}

TEST(PlainHttpClient, NonOkStatusIsAnAnswerWithItsBodyNotAFailure) {
  RawServer server([](Peer& peer) {
    if (peer.ReadRequest()) peer.Send(Response(502, "bad gateway, says the function"));
  });
  Loop loop;
  HttpAnswer answer = PostAndWait(loop, server.Url());
  EXPECT_EQ(answer.failure, Failure::kNone) << Describe(answer);
  EXPECT_EQ(answer.status, 502);
  EXPECT_EQ(answer.body, "bad gateway, says the function");
}

TEST(PlainHttpClient, EmptyPayloadIsSentWithContentLengthZero) {
  RawServer server(Echo);
  Loop loop;
  HttpAnswer answer = PostAndWait(loop, server.Url(), "");
  EXPECT_EQ(answer.failure, Failure::kNone) << Describe(answer);
  EXPECT_EQ(answer.body, "");
  std::vector<SeenRequest> requests = server.Requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].Header("Content-Length"), "0");
}

// --- Keep-alive ----------------------------------------------------------------------------------

TEST(PlainHttpClient, SequentialCallsReuseOneConnection) {
  RawServer server(Echo);
  Loop loop;
  for (int i = 0; i < 5; ++i) {
    std::string payload = "{\"call\":" + std::to_string(i) + "}";
    HttpAnswer answer = PostAndWait(loop, server.Url(), payload);
    EXPECT_EQ(answer.failure, Failure::kNone) << Describe(answer);
    EXPECT_EQ(answer.body, payload);
    EXPECT_EQ(loop.client().OpenConnections(), 1u) << "after call " << i;
  }
  EXPECT_EQ(server.Accepted(), 1);
  EXPECT_EQ(server.Requests().size(), 5u);
}

TEST(PlainHttpClient, ConcurrentCallsEachGetTheirOwnAnswerAndLaterCallsReuseTheirConnections) {
  RawServer server(Echo);
  Loop loop;
  constexpr int kCalls = 20;
  for (int round = 0; round < 2; ++round) {
    std::vector<std::shared_ptr<Call>> calls;
    for (int i = 0; i < kCalls; ++i) {
      calls.push_back(
          Start(loop, server.Url(),
                "{\"round\":" + std::to_string(round) + ",\"call\":" + std::to_string(i) + "}"));
    }
    ASSERT_TRUE(loop.RunUntil([&] {
      return std::all_of(calls.begin(), calls.end(), [](auto& call) { return call->answer; });
    }));
    for (int i = 0; i < kCalls; ++i) {
      const HttpAnswer& answer = *calls[i]->answer;
      EXPECT_EQ(answer.failure, Failure::kNone) << Describe(answer);
      EXPECT_EQ(answer.body,
                "{\"round\":" + std::to_string(round) + ",\"call\":" + std::to_string(i) + "}");
      EXPECT_EQ(calls[i]->runs, 1);
    }
    // A call in flight holds its connection, so 20 at once need 20; the second round finds them.
    EXPECT_EQ(server.Accepted(), kCalls) << "round " << round;
    EXPECT_EQ(loop.client().OpenConnections(), static_cast<size_t>(kCalls));
  }
}

TEST(PlainHttpClient, NoContentResponseEndsAtItsHeadAndKeepsTheConnection) {
  RawServer server([](Peer& peer) {
    while (peer.ReadRequest()) {
      if (!peer.Send("HTTP/1.1 204 No Content\r\n\r\n")) return;
    }
  });
  Loop loop;
  for (int i = 0; i < 2; ++i) {
    HttpAnswer answer = PostAndWait(loop, server.Url());
    EXPECT_EQ(answer.failure, Failure::kNone) << Describe(answer);
    EXPECT_EQ(answer.status, 204);
    EXPECT_EQ(answer.body, "");
  }
  EXPECT_EQ(server.Accepted(), 1);
}

// --- Response framing ----------------------------------------------------------------------------

TEST(PlainHttpClient, ChunkedBodyIsReassembledAndTheConnectionKept) {
  RawServer server([](Peer& peer) {
    while (peer.ReadRequest()) {
      peer.Send("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
      peer.Send("5\r\nhello\r\n");
      peer.Send("1;name=ext\r\n,\r\n");
      peer.Send("6\r\n world\r\n0\r\nTrailer-Field: x\r\n\r\n");
    }
  });
  Loop loop;
  for (int i = 0; i < 2; ++i) {
    HttpAnswer answer = PostAndWait(loop, server.Url());
    EXPECT_EQ(answer.failure, Failure::kNone) << Describe(answer);
    EXPECT_EQ(answer.status, 200);
    EXPECT_EQ(answer.body, "hello, world");
  }
  EXPECT_EQ(server.Accepted(), 1);
}

TEST(PlainHttpClient, BodyEndedByTheServerClosingIsCompleteAndTheConnectionNotReused) {
  RawServer server([](Peer& peer) {
    if (!peer.ReadRequest()) return;
    peer.Send("HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n{\"part\":1,");
    peer.Send("\"part\":2}");
  });  // the script's end closes the connection
  Loop loop;
  HttpAnswer first = PostAndWait(loop, server.Url());
  EXPECT_EQ(first.failure, Failure::kNone) << Describe(first);
  EXPECT_EQ(first.body, R"({"part":1,"part":2})");
  EXPECT_EQ(loop.client().OpenConnections(), 0u);

  HttpAnswer second = PostAndWait(loop, server.Url());
  EXPECT_EQ(second.failure, Failure::kNone) << Describe(second);
  EXPECT_EQ(second.body, R"({"part":1,"part":2})");
  EXPECT_EQ(server.Accepted(), 2);
}

TEST(PlainHttpClient, ConnectionCloseWithContentLengthIsNotReused) {
  Latch client_closed;
  RawServer server([&](Peer& peer) {
    if (!peer.ReadRequest()) return;
    peer.Send(Response(200, "bye", {"Connection: close"}));
    // The server leaves the connection open: closing it is the client's job.
    if (peer.index() == 0 && peer.AwaitClientClose()) client_closed.Set();
  });
  Loop loop;
  HttpAnswer first = PostAndWait(loop, server.Url());
  EXPECT_EQ(first.failure, Failure::kNone) << Describe(first);
  EXPECT_EQ(first.body, "bye");
  EXPECT_EQ(loop.client().OpenConnections(), 0u);
  EXPECT_TRUE(client_closed.WaitFor());

  HttpAnswer second = PostAndWait(loop, server.Url());
  EXPECT_EQ(second.failure, Failure::kNone) << Describe(second);
  EXPECT_EQ(server.Accepted(), 2);
}

TEST(PlainHttpClient, Http10ResponseWithoutKeepAliveIsNotReused) {
  RawServer server([](Peer& peer) {
    if (!peer.ReadRequest()) return;
    peer.Send("HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok");
    peer.AwaitClientClose();
  });
  Loop loop;
  for (int i = 0; i < 2; ++i) {
    HttpAnswer answer = PostAndWait(loop, server.Url());
    EXPECT_EQ(answer.failure, Failure::kNone) << Describe(answer);
    EXPECT_EQ(answer.body, "ok");
  }
  EXPECT_EQ(server.Accepted(), 2);
}

TEST(PlainHttpClient, InterimResponsesBeforeTheRealOneAreSkipped) {
  RawServer server([](Peer& peer) {
    if (!peer.ReadRequest()) return;
    peer.Send("HTTP/1.1 100 Continue\r\nX-Amz-Function-Error: Interim\r\n\r\n");
    peer.Send("HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\n");
    peer.Send(Response(200, "the real answer"));
  });
  Loop loop;
  HttpAnswer answer = PostAndWait(loop, server.Url());
  EXPECT_EQ(answer.failure, Failure::kNone) << Describe(answer);
  EXPECT_EQ(answer.status, 200);
  EXPECT_EQ(answer.body, "the real answer");
  EXPECT_EQ(answer.function_error, std::nullopt) << "the interim answer's header leaked";
}

TEST(PlainHttpClient, ResponseTrickledOneByteAtATimeIsAssembled) {
  const std::string response =
      Response(200, "{\"slow\":true}", {"X-Amz-Function-Error: Unhandled", "X-Other: 1"});
  RawServer server([&](Peer& peer) {
    if (!peer.ReadRequest()) return;
    for (char byte : response) {
      if (!peer.Send(std::string_view(&byte, 1))) return;
      std::this_thread::sleep_for(200us);
    }
  });
  Loop loop;
  HttpAnswer answer = PostAndWait(loop, server.Url());
  EXPECT_EQ(answer.failure, Failure::kNone) << Describe(answer);
  EXPECT_EQ(answer.status, 200);
  EXPECT_EQ(answer.body, "{\"slow\":true}");
  EXPECT_EQ(answer.function_error, "Unhandled");
}

// --- X-Amz-Function-Error ------------------------------------------------------------------------

TEST(PlainHttpClient, FunctionErrorHeaderIsFoundInAnyCaseWithItsValueTrimmed) {
  const std::vector<std::string> headers = {
      "X-Amz-Function-Error: Unhandled",
      "x-amz-function-error:   Handled   ",
      "X-AMZ-FUNCTION-ERROR:\tUnhandled\t",
  };
  const std::vector<std::string> expected = {"Unhandled", "Handled", "Unhandled"};
  RawServer server([&](Peer& peer) {
    for (size_t i = 0; peer.ReadRequest() && i < headers.size(); ++i) {
      peer.Send(Response(200, "{}", {"X-Before: 1", headers[i], "X-After: 2"}));
    }
  });
  Loop loop;
  for (size_t i = 0; i < headers.size(); ++i) {
    HttpAnswer answer = PostAndWait(loop, server.Url());
    EXPECT_EQ(answer.failure, Failure::kNone) << Describe(answer);
    EXPECT_EQ(answer.function_error, expected[i]) << "header: " << headers[i];
  }
}

TEST(PlainHttpClient, NoFunctionErrorHeaderMeansNoFunctionError) {
  RawServer server([](Peer& peer) {
    while (peer.ReadRequest()) {
      // A header whose name merely starts like it does not count.
      if (!peer.Send(Response(200, "{}", {"X-Amz-Function-Errors: no", "X-Amz-Function: no"}))) {
        return;
      }
    }
  });
  Loop loop;
  HttpAnswer answer = PostAndWait(loop, server.Url());
  EXPECT_EQ(answer.failure, Failure::kNone) << Describe(answer);
  EXPECT_EQ(answer.function_error, std::nullopt);
}

TEST(PlainHttpClient, FunctionErrorOfOneCallDoesNotCarryOverToTheNextOnTheSameConnection) {
  RawServer server([](Peer& peer) {
    if (peer.ReadRequest()) peer.Send(Response(200, "{}", {"X-Amz-Function-Error: Unhandled"}));
    if (peer.ReadRequest()) peer.Send(Response(200, "{}"));
  });
  Loop loop;
  EXPECT_EQ(PostAndWait(loop, server.Url()).function_error, "Unhandled");
  EXPECT_EQ(PostAndWait(loop, server.Url()).function_error, std::nullopt);
  EXPECT_EQ(server.Accepted(), 1);
}

// --- Connections the server closes ---------------------------------------------------------------

TEST(PlainHttpClient, IdleConnectionClosedByTheServerIsNoticedAndReplaced) {
  RawServer server([](Peer& peer) {
    if (peer.ReadRequest()) peer.Send(Response(200, "answer " + std::to_string(peer.index())));
  });  // then closes
  Loop loop;
  HttpAnswer first = PostAndWait(loop, server.Url());
  EXPECT_EQ(first.body, "answer 0") << Describe(first);
  EXPECT_TRUE(loop.RunUntil([&] { return loop.client().OpenConnections() == 0; }))
      << "the idle connection's close went unnoticed";

  HttpAnswer second = PostAndWait(loop, server.Url());
  EXPECT_EQ(second.failure, Failure::kNone) << Describe(second);
  EXPECT_EQ(second.body, "answer 1");
  EXPECT_EQ(server.Accepted(), 2);
  EXPECT_EQ(server.Requests().size(), 2u);
}

TEST(PlainHttpClient, CallRightAfterTheServerClosedTheConnectionSucceedsOnANewOne) {
  RawServer server([](Peer& peer) {
    if (peer.ReadRequest()) peer.Send(Response(200, "answer " + std::to_string(peer.index())));
  });  // then closes, maybe while the next request is on its way
  Loop loop;
  auto second = std::make_shared<Call>();
  auto first = std::make_shared<Call>();
  // The next call goes out from the first one's callback, before the loop can see the close.
  loop.client().Post(server.Url(), "1", 5000, [&, first](HttpAnswer answer) {
    first->answer = std::move(answer);
    loop.client().Post(server.Url(), "2", 5000, Call::Into(second));
  });
  HttpAnswer answer = AwaitAnswer(loop, second);
  EXPECT_EQ(first->answer->body, "answer 0");
  EXPECT_EQ(answer.failure, Failure::kNone) << Describe(answer);
  EXPECT_EQ(answer.body, "answer 1");
  EXPECT_EQ(second->runs, 1);
  EXPECT_EQ(server.Accepted(), 2);
  EXPECT_EQ(server.Bodies(), (std::vector<std::string>{"1", "2"}));
}

// The race keep-alive cannot avoid: the server drops a kept connection just as the next request
// arrives on it. Nothing came back, so the client sends the request again on a new connection,
// once, as libcurl does. The function sees that request twice.
TEST(PlainHttpClient, ReusedConnectionClosedOnTheNextRequestIsRetriedOnceOnANewConnection) {
  RawServer server([](Peer& peer) {
    if (peer.index() == 0) {
      if (peer.ReadRequest()) peer.Send(Response(200, "first"));
      peer.ReadRequest();  // and hang up without an answer
      return;
    }
    if (peer.ReadRequest()) peer.Send(Response(200, "second"));
  });
  Loop loop;
  EXPECT_EQ(PostAndWait(loop, server.Url(), "1").body, "first");
  HttpAnswer answer = PostAndWait(loop, server.Url(), "2");
  EXPECT_EQ(answer.failure, Failure::kNone) << Describe(answer);
  EXPECT_EQ(answer.body, "second");
  EXPECT_EQ(server.Accepted(), 2);
  std::vector<SeenRequest> requests = server.Requests();
  ASSERT_EQ(requests.size(), 3u);
  EXPECT_EQ(requests[1].body, "2");
  EXPECT_EQ(requests[1].connection, 0);
  EXPECT_EQ(requests[2].body, "2");
  EXPECT_EQ(requests[2].connection, 1);
}

TEST(PlainHttpClient, RetriedCallThatFindsItsNewConnectionClosedTooFailsWithoutASecondRetry) {
  RawServer server([](Peer& peer) {
    if (peer.index() == 0 && peer.ReadRequest()) peer.Send(Response(200, "first"));
    peer.ReadRequest();  // and hang up without an answer
  });
  Loop loop;
  EXPECT_EQ(PostAndWait(loop, server.Url(), "1").body, "first");
  HttpAnswer answer = PostAndWait(loop, server.Url(), "2");
  EXPECT_EQ(answer.failure, Failure::kUnreachable) << Describe(answer);
  EXPECT_EQ(answer.detail, "connection closed by " + server.Authority() + " without a response");
  EXPECT_EQ(server.Accepted(), 2);
  EXPECT_EQ(server.Bodies(), (std::vector<std::string>{"1", "2", "2"}));
}

TEST(PlainHttpClient, FreshConnectionClosedWithoutAnAnswerIsUnreachableAndNotRetried) {
  RawServer server([](Peer& peer) { peer.ReadRequest(); });  // and hang up without an answer
  Loop loop;
  HttpAnswer answer = PostAndWait(loop, server.Url());
  EXPECT_EQ(answer.failure, Failure::kUnreachable) << Describe(answer);
  EXPECT_EQ(answer.detail, "connection closed by " + server.Authority() + " without a response");
  EXPECT_EQ(server.Accepted(), 1);
  EXPECT_EQ(server.Requests().size(), 1u);
  EXPECT_EQ(loop.client().OpenConnections(), 0u);
}

TEST(PlainHttpClient, ResponseCutInTheMiddleOfTheBodyIsUnreachable) {
  RawServer server([](Peer& peer) {
    if (peer.ReadRequest()) peer.Send("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{\"half");
  });  // then closes
  Loop loop;
  HttpAnswer answer = PostAndWait(loop, server.Url());
  EXPECT_EQ(answer.failure, Failure::kUnreachable) << Describe(answer);
  EXPECT_EQ(answer.detail,
            "connection closed by " + server.Authority() + " in the middle of the response");
  EXPECT_EQ(loop.client().OpenConnections(), 0u);
}

TEST(PlainHttpClient, ResponseCutOnAReusedConnectionIsNotRetried) {
  RawServer server([](Peer& peer) {
    if (peer.ReadRequest()) peer.Send(Response(200, "first"));
    if (peer.ReadRequest())
      peer.Send("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab");
  });
  Loop loop;
  EXPECT_EQ(PostAndWait(loop, server.Url(), "1").body, "first");
  HttpAnswer answer = PostAndWait(loop, server.Url(), "2");
  EXPECT_EQ(answer.failure, Failure::kUnreachable) << Describe(answer);
  EXPECT_EQ(answer.detail,
            "connection closed by " + server.Authority() + " in the middle of the response");
  EXPECT_EQ(server.Accepted(), 1);
  EXPECT_EQ(server.Bodies(), (std::vector<std::string>{"1", "2"}));
}

// --- Answers that are not HTTP, or too much of it
// --------------------------------------------------

TEST(PlainHttpClient, GarbageInsteadOfHttpIsAMalformedResponse) {
  Latch client_closed;
  RawServer server([&](Peer& peer) {
    if (!peer.ReadRequest()) return;
    peer.Send("hello\r\n\r\n");
    if (peer.AwaitClientClose()) client_closed.Set();
  });
  Loop loop;
  HttpAnswer answer = PostAndWait(loop, server.Url());
  EXPECT_EQ(answer.failure, Failure::kUnreachable) << Describe(answer);
  const std::string prefix = "malformed HTTP response from " + server.Authority() + ": ";
  EXPECT_EQ(answer.detail.substr(0, prefix.size()), prefix) << answer.detail;
  EXPECT_GT(answer.detail.size(), prefix.size()) << "no reason given";
  EXPECT_EQ(loop.client().OpenConnections(), 0u);
  EXPECT_TRUE(client_closed.WaitFor());
}

TEST(PlainHttpClient, BodyOverTheLimitIsTooLargeAndItsConnectionDropped) {
  Latch client_closed;
  RawServer server([&](Peer& peer) {
    if (!peer.ReadRequest()) return;
    peer.Send(Response(200, std::string(5000, 'x')));
    if (peer.AwaitClientClose()) client_closed.Set();
  });
  Loop loop(1000);
  HttpAnswer answer = PostAndWait(loop, server.Url());
  EXPECT_EQ(answer.failure, Failure::kTooLarge) << Describe(answer);
  EXPECT_FALSE(answer.detail.empty());
  EXPECT_EQ(loop.client().OpenConnections(), 0u);
  EXPECT_TRUE(client_closed.WaitFor()) << "the server still holds the connection";
}

TEST(PlainHttpClient, ChunkedBodyOverTheLimitIsTooLarge) {
  RawServer server([&](Peer& peer) {
    if (!peer.ReadRequest()) return;
    std::string chunk(600, 'y');
    peer.Send("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
    peer.Send("258\r\n" + chunk + "\r\n258\r\n" + chunk + "\r\n0\r\n\r\n");  // 0x258 = 600
    peer.AwaitClientClose();
  });
  Loop loop(1000);
  HttpAnswer answer = PostAndWait(loop, server.Url());
  EXPECT_EQ(answer.failure, Failure::kTooLarge) << Describe(answer);
  EXPECT_EQ(loop.client().OpenConnections(), 0u);
}

TEST(PlainHttpClient, BodyExactlyAtTheLimitIsAccepted) {
  RawServer server([](Peer& peer) {
    while (peer.ReadRequest()) {
      if (!peer.Send(Response(200, std::string(1000, 'z')))) return;
    }
  });
  Loop loop(1000);
  HttpAnswer answer = PostAndWait(loop, server.Url());
  EXPECT_EQ(answer.failure, Failure::kNone) << Describe(answer);
  EXPECT_EQ(answer.body, std::string(1000, 'z'));
}

// --- Failures to connect -------------------------------------------------------------------------

TEST(PlainHttpClient, ClosedPortIsUnreachableAndReportedAfterPostReturns) {
  const int port = UnusedLoopbackPort();
  Loop loop;
  bool post_returned = false;
  std::optional<bool> returned_when_called;
  auto call = std::make_shared<Call>();
  loop.client().Post("http://127.0.0.1:" + std::to_string(port) + "/", "{}", 5000,
                     [&, call](HttpAnswer answer) {
                       returned_when_called = post_returned;
                       Call::Into(call)(std::move(answer));
                     });
  post_returned = true;
  HttpAnswer answer = AwaitAnswer(loop, call);
  EXPECT_EQ(answer.failure, Failure::kUnreachable) << Describe(answer);
  EXPECT_EQ(answer.detail,
            "cannot connect to 127.0.0.1:" + std::to_string(port) + ": Connection refused");
  EXPECT_EQ(returned_when_called, true) << "the callback ran inside Post";
  EXPECT_EQ(call->runs, 1);
  EXPECT_EQ(loop.client().OpenConnections(), 0u);
}

// connect() to a multicast address fails at once (no TCP there), so the failure is known inside
// Post; it is still reported only from OnTimeout.
TEST(PlainHttpClient, ConnectFailingAtOnceIsUnreachableAndReportedAfterPostReturns) {
  Loop loop;
  bool post_returned = false;
  std::optional<bool> returned_when_called;
  auto call = std::make_shared<Call>();
  loop.client().Post("http://224.0.0.1:9/", "{}", 5000, [&, call](HttpAnswer answer) {
    returned_when_called = post_returned;
    Call::Into(call)(std::move(answer));
  });
  post_returned = true;
  EXPECT_EQ(loop.client().OpenConnections(), 0u);
  HttpAnswer answer = AwaitAnswer(loop, call);
  EXPECT_EQ(answer.failure, Failure::kUnreachable) << Describe(answer);
  const std::string prefix = "cannot connect to 224.0.0.1:9: ";
  EXPECT_EQ(answer.detail.substr(0, prefix.size()), prefix) << answer.detail;
  EXPECT_EQ(returned_when_called, true) << "the callback ran inside Post";
  EXPECT_EQ(call->runs, 1);
}

TEST(PlainHttpClient, UrlItCannotCarryIsUnreachableAndReportedAfterPostReturns) {
  Loop loop;
  bool post_returned = false;
  std::optional<bool> returned_when_called;
  auto call = std::make_shared<Call>();
  loop.client().Post("http://localhost:9/", "{}", 5000, [&, call](HttpAnswer answer) {
    returned_when_called = post_returned;
    Call::Into(call)(std::move(answer));
  });
  post_returned = true;
  HttpAnswer answer = AwaitAnswer(loop, call);
  EXPECT_EQ(answer.failure, Failure::kUnreachable) << Describe(answer);
  EXPECT_NE(answer.detail.find("http://localhost:9/"), std::string::npos) << answer.detail;
  EXPECT_EQ(returned_when_called, true) << "the callback ran inside Post";
}

// --- Deadlines -----------------------------------------------------------------------------------

TEST(PlainHttpClient, CallWithoutAnAnswerTimesOutClosesItsConnectionAndItsLateAnswerGoesNowhere) {
  Latch second_request_arrived;
  Latch late_answer_sent;
  Latch silent_connection_closed;
  RawServer server([&](Peer& peer) {
    if (peer.index() == 0) {
      if (!peer.ReadRequest()) return;
      // Answers only once the client has given up and moved on to the next call.
      if (!second_request_arrived.WaitFor()) return;
      peer.Send(Response(200, "late answer to the first call"));
      late_answer_sent.Set();
      if (peer.AwaitClientClose()) silent_connection_closed.Set();
      return;
    }
    if (!peer.ReadRequest()) return;
    second_request_arrived.Set();
    late_answer_sent.WaitFor();
    peer.Send(Response(200, "answer to the second call"));
  });
  Loop loop;
  Clock::time_point started = Clock::now();
  auto first = Start(loop, server.Url(), "1", 100);
  HttpAnswer answer = AwaitAnswer(loop, first);
  auto elapsed = Clock::now() - started;
  EXPECT_EQ(answer.failure, Failure::kTimeout) << Describe(answer);
  EXPECT_EQ(answer.detail, "timed out after 100 ms");
  EXPECT_GE(elapsed, 100ms);
  EXPECT_LT(elapsed, 5s);
  EXPECT_EQ(loop.client().OpenConnections(), 0u);

  HttpAnswer second = PostAndWait(loop, server.Url(), "2");
  EXPECT_EQ(second.failure, Failure::kNone) << Describe(second);
  EXPECT_EQ(second.body, "answer to the second call");
  EXPECT_TRUE(silent_connection_closed.WaitFor()) << "the timed-out connection stayed open";
  EXPECT_EQ(first->runs, 1);
  EXPECT_EQ(loop.client().NextWakeup(), std::nullopt) << "a deadline outlived its call";
}

TEST(PlainHttpClient, TimeoutCountsFromPostAndIsTheNextWakeup) {
  Latch release;
  RawServer server([&](Peer& peer) {
    if (!peer.ReadRequest()) return;
    release.WaitFor();
    peer.Send(Response(200, "done"));
  });
  Loop loop;
  Clock::time_point before = Clock::now();
  auto call = Start(loop, server.Url(), "{}", 3000);
  Clock::time_point after = Clock::now();
  std::optional<Clock::time_point> wakeup = loop.client().NextWakeup();
  ASSERT_TRUE(wakeup.has_value());
  EXPECT_GE(*wakeup, before + 3000ms);
  EXPECT_LE(*wakeup, after + 3000ms);
  release.Set();
  HttpAnswer answer = AwaitAnswer(loop, call);
  EXPECT_EQ(answer.body, "done") << Describe(answer);
  EXPECT_EQ(loop.client().NextWakeup(), std::nullopt);
}

TEST(PlainHttpClient, ZeroTimeoutMeansNoDeadline) {
  Latch release;
  RawServer server([&](Peer& peer) {
    if (!peer.ReadRequest()) return;
    release.WaitFor();
    peer.Send(Response(200, "eventually"));
  });
  Loop loop;
  auto call = Start(loop, server.Url(), "{}", 0);
  EXPECT_EQ(loop.client().NextWakeup(), std::nullopt);
  EXPECT_TRUE(loop.RunUntil([&] { return server.Requests().size() == 1; }));
  release.Set();
  HttpAnswer answer = AwaitAnswer(loop, call);
  EXPECT_EQ(answer.failure, Failure::kNone) << Describe(answer);
  EXPECT_EQ(answer.body, "eventually");
}

// --- Large messages ------------------------------------------------------------------------------

std::string PatternedPayload(size_t size) {
  std::string payload;
  payload.reserve(size);
  for (size_t i = 0; payload.size() < size; ++i) payload += std::to_string(i) + ",";
  payload.resize(size);
  return payload;
}

TEST(PlainHttpClient, LargePayloadIsSentCompletelyThroughManySends) {
  // A 16 KB receive window: the request cannot leave in one send.
  RawServer server(
      [](Peer& peer) {
        if (std::optional<SeenRequest> request = peer.ReadRequest()) {
          peer.Send(Response(200, std::to_string(request->body.size())));
        }
      },
      AF_INET, 16 * 1024);
  const std::string payload = PatternedPayload(3 * 1024 * 1024);
  Loop loop;
  HttpAnswer answer = PostAndWait(loop, server.Url(), payload);
  EXPECT_EQ(answer.failure, Failure::kNone) << Describe(answer);
  EXPECT_EQ(answer.body, std::to_string(payload.size()));
  std::vector<SeenRequest> requests = server.Requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].body.size(), payload.size());
  EXPECT_TRUE(requests[0].body == payload) << "the server saw other bytes than were posted";
}

TEST(PlainHttpClient, LargeResponseBodyArrivesWhole) {
  const std::string body = PatternedPayload(5 * 1024 * 1024);
  RawServer server([&](Peer& peer) {
    while (peer.ReadRequest()) {
      if (!peer.Send(Response(200, body))) return;
    }
  });
  Loop loop;
  HttpAnswer answer = PostAndWait(loop, server.Url());
  EXPECT_EQ(answer.failure, Failure::kNone) << Describe(answer);
  EXPECT_EQ(answer.body.size(), body.size());
  EXPECT_TRUE(answer.body == body) << "the body differs from what the server sent";
}

// A function may refuse a large payload before reading it all (a 413, say) and keep the
// connection, reading and discarding the rest of that request as HTTP requires. The client must
// not put the rest of the old request and a new request on the same connection's wire as if the
// old one had been sent.
TEST(PlainHttpClient, AnswerBeforeTheRequestIsFullySentDoesNotSpoilTheNextCall) {
  RawServer server(
      [](Peer& peer) {
        for (;;) {
          size_t content_length = 0;
          std::optional<SeenRequest> request = peer.ReadHead(&content_length);
          if (!request) return;
          if (content_length > 1024 * 1024) {
            if (!peer.Send(Response(413, "too big"))) return;
            if (!peer.Discard(content_length)) return;
            continue;
          }
          if (!peer.Discard(content_length)) return;
          if (!peer.Send(Response(200, "small one answered"))) return;
        }
      },
      AF_INET, 16 * 1024);
  Loop loop;
  HttpAnswer big = PostAndWait(loop, server.Url(), PatternedPayload(16 * 1024 * 1024));
  EXPECT_EQ(big.failure, Failure::kNone) << Describe(big);
  EXPECT_EQ(big.status, 413);

  HttpAnswer small = PostAndWait(loop, server.Url(), "{}", 3000);
  EXPECT_EQ(small.failure, Failure::kNone) << Describe(small);
  EXPECT_EQ(small.body, "small one answered");
}

// --- Bytes nobody asked for ----------------------------------------------------------------------

TEST(PlainHttpClient, BytesAfterTheResponseEndTheConnectionButNotTheCall) {
  Latch client_closed;
  RawServer server([&](Peer& peer) {
    if (!peer.ReadRequest()) return;
    if (peer.index() == 0) {
      peer.Send(Response(200, "wanted") + "UNSOLICITED");
      if (peer.AwaitClientClose()) client_closed.Set();
      return;
    }
    peer.Send(Response(200, "next"));
  });
  Loop loop;
  HttpAnswer answer = PostAndWait(loop, server.Url());
  EXPECT_EQ(answer.failure, Failure::kNone) << Describe(answer);
  EXPECT_EQ(answer.body, "wanted");
  EXPECT_TRUE(client_closed.WaitFor()) << "the client kept the connection";

  HttpAnswer next = PostAndWait(loop, server.Url());
  EXPECT_EQ(next.body, "next") << Describe(next);
  EXPECT_EQ(server.Accepted(), 2);
}

TEST(PlainHttpClient, BytesArrivingOnAnIdleConnectionEndIt) {
  RawServer server([&](Peer& peer) {
    if (!peer.ReadRequest()) return;
    peer.Send(Response(200, "answer " + std::to_string(peer.index())));
    if (peer.index() == 0) {
      std::this_thread::sleep_for(20ms);
      peer.Send("HTTP/1.1 408 Request Timeout\r\nContent-Length: 0\r\n\r\n");
      peer.AwaitClientClose();
    }
  });
  Loop loop;
  EXPECT_EQ(PostAndWait(loop, server.Url()).body, "answer 0");
  EXPECT_TRUE(loop.RunUntil([&] { return loop.client().OpenConnections() == 0; }));
  HttpAnswer next = PostAndWait(loop, server.Url());
  EXPECT_EQ(next.body, "answer 1") << Describe(next);
}

// The loop may run a new call before it hands the client the event of an idle connection that
// has received something. What an idle connection received was never asked for (a 408 some
// servers send before closing, say) and must not become the answer to the next call.
TEST(PlainHttpClient, BytesAnIdleConnectionReceivedAreNotTakenAsTheNextCallsAnswer) {
  Latch first_answered;
  Latch unsolicited_sent;
  RawServer server([&](Peer& peer) {
    if (!peer.ReadRequest()) return;
    peer.Send(Response(200, "answer " + std::to_string(peer.index())));
    if (peer.index() == 0) {
      // Only once the client holds the connection as idle.
      if (!first_answered.WaitFor()) return;
      peer.Send("HTTP/1.1 408 Request Timeout\r\nContent-Length: 7\r\n\r\ntimeout");
      unsolicited_sent.Set();
      while (peer.ReadRequest()) {
        if (!peer.Send(Response(200, "answer on the old connection"))) return;
      }
    }
  });
  Loop loop;
  auto first = Start(loop, server.Url());
  // Only until the first answer: the loop does not get to see what the idle connection receives.
  ASSERT_TRUE(loop.RunUntil([&] { return first->answer.has_value(); }));
  EXPECT_EQ(first->answer->body, "answer 0");
  ASSERT_EQ(loop.client().OpenConnections(), 1u);
  first_answered.Set();
  ASSERT_TRUE(unsolicited_sent.WaitFor());
  std::this_thread::sleep_for(20ms);  // for the bytes to cross the loopback

  HttpAnswer next = PostAndWait(loop, server.Url());
  EXPECT_EQ(next.failure, Failure::kNone) << Describe(next);
  EXPECT_EQ(next.status, 200) << Describe(next);
}

// --- URLs ----------------------------------------------------------------------------------------

TEST(PlainHttpClient, AcceptsOnlyPlainHttpToLiteralAddresses) {
  EXPECT_TRUE(PlainHttpClient::Accepts("http://127.0.0.1:9/x"));
  EXPECT_TRUE(PlainHttpClient::Accepts("http://[::1]:9/x"));
  EXPECT_TRUE(PlainHttpClient::Accepts("HTTP://10.0.0.1/"));
  EXPECT_TRUE(PlainHttpClient::Accepts("http://127.0.0.1"));
  EXPECT_TRUE(PlainHttpClient::Accepts("http://127.0.0.1:9?x=1"));

  EXPECT_FALSE(PlainHttpClient::Accepts("https://127.0.0.1/"));
  EXPECT_FALSE(PlainHttpClient::Accepts("http://localhost:9/"));
  EXPECT_FALSE(PlainHttpClient::Accepts("http://user:pw@127.0.0.1/"));
  EXPECT_FALSE(PlainHttpClient::Accepts("ftp://127.0.0.1/"));
  EXPECT_FALSE(PlainHttpClient::Accepts("not a url"));
  EXPECT_FALSE(PlainHttpClient::Accepts(""));
  EXPECT_FALSE(PlainHttpClient::Accepts("http://"));
  EXPECT_FALSE(PlainHttpClient::Accepts("http://127.0.0.1:99999/"));
  EXPECT_FALSE(PlainHttpClient::Accepts("http://999.0.0.1/"));
}

TEST(PlainHttpClient, CarriesWhatItAccepts) {
  Loop loop;
  for (const char* url : {"http://127.0.0.1:9/x", "http://[::1]:9/x", "https://127.0.0.1/",
                          "http://localhost:9/", "garbage"}) {
    EXPECT_EQ(loop.client().Carries(url), PlainHttpClient::Accepts(url)) << url;
    EXPECT_EQ(loop.client().Carries(url), PlainHttpClient::Accepts(url)) << url << ", again";
  }
}

TEST(PlainHttpClient, RequestLineCarriesPathAndQueryButNeverTheFragment) {
  RawServer server(Echo);
  const std::string base = "http://" + server.Authority();
  const std::vector<std::pair<std::string, std::string>> cases = {
      {base, "POST / HTTP/1.1"},
      {base + "?x=1", "POST /?x=1 HTTP/1.1"},
      {base + "/a/b?x=1&y=%20#section", "POST /a/b?x=1&y=%20 HTTP/1.1"},
      {base + "/p#frag", "POST /p HTTP/1.1"},
      {base + "?x=1#frag", "POST /?x=1 HTTP/1.1"},
  };
  Loop loop;
  for (const auto& [url, request_line] : cases) {
    HttpAnswer answer = PostAndWait(loop, url);
    EXPECT_EQ(answer.failure, Failure::kNone) << url << ": " << Describe(answer);
  }
  std::vector<SeenRequest> requests = server.Requests();
  ASSERT_EQ(requests.size(), cases.size());
  for (size_t i = 0; i < cases.size(); ++i) {
    EXPECT_EQ(requests[i].request_line, cases[i].second) << cases[i].first;
    EXPECT_EQ(requests[i].Header("Host"), server.Authority()) << cases[i].first;
  }
}

TEST(PlainHttpClient, Ipv6LiteralWorksEndToEndWithABracketedHost) {
  if (!CanListenOnIpv6Loopback()) GTEST_SKIP() << "this machine cannot listen on [::1]";
  RawServer server(Echo, AF_INET6);
  ASSERT_TRUE(server.listening());
  Loop loop;
  const std::string url = "http://[::1]:" + std::to_string(server.port()) + "/v6?q=1";
  HttpAnswer answer = PostAndWait(loop, url, "{\"v\":6}");
  EXPECT_EQ(answer.failure, Failure::kNone) << Describe(answer);
  EXPECT_EQ(answer.body, "{\"v\":6}");
  std::vector<SeenRequest> requests = server.Requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].request_line, "POST /v6?q=1 HTTP/1.1");
  EXPECT_EQ(requests[0].Header("Host"), "[::1]:" + std::to_string(server.port()));
}

// --- Destruction ---------------------------------------------------------------------------------

TEST(PlainHttpClient, DestroyingTheClientRunsNoCallbacksAndClosesItsSockets) {
  std::atomic<int> client_closes{0};
  RawServer server([&](Peer& peer) {
    if (!peer.ReadRequest()) return;
    if (peer.AwaitClientClose()) ++client_closes;
  });
  Loop loop;
  int callbacks = 0;
  auto count = [&](HttpAnswer) { ++callbacks; };
  loop.client().Post(server.Url(), "1", 5000, count);
  loop.client().Post(server.Url(), "2", 5000, count);
  ASSERT_TRUE(loop.RunUntil([&] { return server.Requests().size() == 2; }));
  // Failures waiting to be reported go too.
  loop.client().Post("http://224.0.0.1:9/", "3", 5000, count);
  loop.client().Post("http://localhost:9/", "4", 5000, count);

  loop.DestroyClient();
  for (int i = 0; i < 500 && client_closes.load() < 2; ++i) std::this_thread::sleep_for(10ms);
  EXPECT_EQ(client_closes.load(), 2) << "the server still holds a connection";
  EXPECT_EQ(callbacks, 0);
}

}  // namespace
}  // namespace wsgw
