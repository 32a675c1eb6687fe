#include "invoke/invoke_engine.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "unused_port.h"

namespace wsgw {
namespace {

using Kind = InvokeOutcome::Kind;
using namespace std::chrono_literals;

// The host every test's URLs name. The engine carries "127.0.0.1" URLs with its own HTTP client
// and hands "localhost" ones (a name to resolve) to libcurl: each test runs on both.
std::string url_host = "127.0.0.1";

std::string UrlTo(int port, const std::string& path) {
  return "http://" + url_host + ":" + std::to_string(port) + path;
}

struct Request {
  std::string method;
  std::string path;
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;
};

struct Reply {
  int status = 200;
  std::vector<std::string> headers;  // "Name: value"
  std::string body;
  std::chrono::milliseconds delay{0};
  bool hang_up = false;  // close the connection without answering
};

// A blocking HTTP/1.1 server on 127.0.0.1:0 that answers every request with a scripted reply,
// keeps connections alive, and counts the TCP connections it accepted.
class ScriptedServer {
 public:
  using Handler = std::function<Reply(const Request&)>;

  explicit ScriptedServer(Handler handler) : handler_(std::move(handler)) {
    listen_fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    int one = 1;
    setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        listen(listen_fd_, 64) != 0) {
      ADD_FAILURE() << "cannot listen on 127.0.0.1";
    }
    socklen_t length = sizeof addr;
    getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &length);
    port_ = ntohs(addr.sin_port);
    acceptor_ = std::thread([this] { AcceptLoop(); });
  }

  ~ScriptedServer() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stopping_ = true;
      for (int fd : connection_fds_) shutdown(fd, SHUT_RDWR);
    }
    stop_cv_.notify_all();
    shutdown(listen_fd_, SHUT_RDWR);
    acceptor_.join();
    for (std::thread& thread : connection_threads_) thread.join();
    close(listen_fd_);
  }

  std::string Url(const std::string& path = "/2015-03-31/functions/function/invocations") const {
    return UrlTo(port_, path);
  }
  int AcceptedConnections() const { return accepted_.load(); }
  std::vector<Request> Requests() {
    std::lock_guard<std::mutex> lock(mutex_);
    return requests_;
  }

 private:
  void AcceptLoop() {
    for (;;) {
      int fd = accept(listen_fd_, nullptr, nullptr);
      if (fd < 0) return;  // shut down
      std::lock_guard<std::mutex> lock(mutex_);
      if (stopping_) {
        close(fd);
        return;
      }
      ++accepted_;
      connection_fds_.push_back(fd);
      connection_threads_.emplace_back([this, fd] { Serve(fd); });
    }
  }

  void Serve(int fd) {
    std::string buffer;
    Request request;
    while (ReadRequest(fd, buffer, request)) {
      Reply reply = handler_(request);
      {
        std::unique_lock<std::mutex> lock(mutex_);
        requests_.push_back(request);
        if (stop_cv_.wait_for(lock, reply.delay, [this] { return stopping_; })) break;
      }
      if (reply.hang_up) break;
      std::string response = "HTTP/1.1 " + std::to_string(reply.status) + " Scripted\r\n";
      for (const std::string& header : reply.headers) response += header + "\r\n";
      response += "Content-Length: " + std::to_string(reply.body.size()) + "\r\n\r\n";
      response += reply.body;
      if (!SendAll(fd, response)) break;
    }
    std::lock_guard<std::mutex> lock(mutex_);
    connection_fds_.erase(std::find(connection_fds_.begin(), connection_fds_.end(), fd));
    close(fd);
  }

  static bool ReadRequest(int fd, std::string& buffer, Request& request) {
    size_t header_end;
    while ((header_end = buffer.find("\r\n\r\n")) == std::string::npos) {
      if (!ReadMore(fd, buffer)) return false;
    }
    request = Request{};
    std::string head = buffer.substr(0, header_end);
    size_t line_end = head.find("\r\n");
    std::string request_line = head.substr(0, line_end);
    size_t space = request_line.find(' ');
    request.method = request_line.substr(0, space);
    request.path = request_line.substr(space + 1, request_line.rfind(' ') - space - 1);
    size_t position = line_end == std::string::npos ? head.size() : line_end + 2;
    while (position < head.size()) {
      size_t next = head.find("\r\n", position);
      if (next == std::string::npos) next = head.size();
      std::string line = head.substr(position, next - position);
      size_t colon = line.find(':');
      std::string name = line.substr(0, colon);
      std::transform(name.begin(), name.end(), name.begin(),
                     [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
      std::string value = colon == std::string::npos ? "" : line.substr(colon + 1);
      value.erase(0, value.find_first_not_of(' '));
      request.headers[name] = value;
      position = next + 2;
    }
    size_t content_length = 0;
    if (auto it = request.headers.find("content-length"); it != request.headers.end()) {
      content_length = std::stoul(it->second);
    }
    size_t body_start = header_end + 4;
    while (buffer.size() < body_start + content_length) {
      if (!ReadMore(fd, buffer)) return false;
    }
    request.body = buffer.substr(body_start, content_length);
    buffer.erase(0, body_start + content_length);
    return true;
  }

  static bool ReadMore(int fd, std::string& buffer) {
    char chunk[16384];
    ssize_t n = recv(fd, chunk, sizeof chunk, 0);
    if (n <= 0) return false;
    buffer.append(chunk, static_cast<size_t>(n));
    return true;
  }

  static bool SendAll(int fd, const std::string& data) {
    size_t sent = 0;
    while (sent < data.size()) {
      ssize_t n = send(fd, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
      if (n <= 0) return false;
      sent += static_cast<size_t>(n);
    }
    return true;
  }

  Handler handler_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<int> accepted_{0};
  std::thread acceptor_;
  std::mutex mutex_;
  std::condition_variable stop_cv_;
  bool stopping_ = false;                        // guarded by mutex_
  std::vector<int> connection_fds_;              // guarded by mutex_
  std::vector<std::thread> connection_threads_;  // guarded by mutex_
  std::vector<Request> requests_;                // guarded by mutex_
};

Reply Answer(std::string body, std::vector<std::string> headers = {}, int status = 200) {
  Reply reply;
  reply.status = status;
  reply.body = std::move(body);
  reply.headers = std::move(headers);
  return reply;
}

// Collects outcomes delivered on the client's worker thread.
class Outcomes {
 public:
  InvokeClient::Callback Callback(int index) {
    return [this, index](InvokeOutcome outcome) {
      std::lock_guard<std::mutex> lock(mutex_);
      outcomes_.emplace_back(index, std::move(outcome));
      cv_.notify_all();
    };
  }

  // Waits for `count` callbacks in total; fails the test after 10 s.
  bool WaitFor(size_t count) {
    std::unique_lock<std::mutex> lock(mutex_);
    return cv_.wait_for(lock, 10s, [&] { return outcomes_.size() >= count; });
  }

  std::vector<std::pair<int, InvokeOutcome>> All() {
    std::lock_guard<std::mutex> lock(mutex_);
    return outcomes_;
  }

  size_t CallsFor(int index) {
    std::lock_guard<std::mutex> lock(mutex_);
    return std::count_if(outcomes_.begin(), outcomes_.end(),
                         [&](const auto& entry) { return entry.first == index; });
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  std::vector<std::pair<int, InvokeOutcome>> outcomes_;
};

InvokeOutcome InvokeOnce(const std::string& url, std::string payload = "{}",
                         int timeout_ms = 5000) {
  InvokeClient client;
  Outcomes outcomes;
  client.Invoke(url, std::move(payload), timeout_ms, outcomes.Callback(0));
  if (!outcomes.WaitFor(1)) {
    ADD_FAILURE() << "no callback within 10 s";
    return {};
  }
  return outcomes.All().front().second;
}

class ClientsTest : public ::testing::TestWithParam<const char*> {
 protected:
  void SetUp() override { url_host = GetParam(); }
  void TearDown() override { url_host = "127.0.0.1"; }
};
class InvokeClientTest : public ClientsTest {};
class InvokeEngineTest : public ClientsTest {};

std::string ClientName(const ::testing::TestParamInfo<const char*>& info) {
  return std::string(info.param) == "localhost" ? "Curl" : "InHouse";
}
INSTANTIATE_TEST_SUITE_P(Clients, InvokeClientTest, ::testing::Values("127.0.0.1", "localhost"),
                         ClientName);
INSTANTIATE_TEST_SUITE_P(Clients, InvokeEngineTest, ::testing::Values("127.0.0.1", "localhost"),
                         ClientName);

TEST(InvokeOutcomeTest, ToStringNamesEveryKind) {
  EXPECT_STREQ(ToString(Kind::kOk), "ok");
  EXPECT_STREQ(ToString(Kind::kFunctionError), "function error");
  EXPECT_STREQ(ToString(Kind::kUnreachable), "unreachable");
  EXPECT_STREQ(ToString(Kind::kTimeout), "timeout");
  EXPECT_STREQ(ToString(Kind::kBadStatus), "bad status");
}

TEST_P(InvokeClientTest, PostsPayloadAsJsonAndReturnsResult) {
  ScriptedServer server([](const Request&) { return Answer(R"({"statusCode":200})"); });
  // Over 1 MiB: curl would otherwise send "Expect: 100-continue" and wait for the server.
  std::string payload(1536 * 1024, 'x');
  payload = "{\"data\":\"" + payload + "\"}";
  InvokeOutcome outcome = InvokeOnce(server.Url(), payload);

  EXPECT_EQ(outcome.kind, Kind::kOk);
  EXPECT_EQ(outcome.httpStatus, 200);
  EXPECT_EQ(outcome.body, R"({"statusCode":200})");
  EXPECT_GT(outcome.latencyMs, 0);
  std::vector<Request> requests = server.Requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].method, "POST");
  EXPECT_EQ(requests[0].path, "/2015-03-31/functions/function/invocations");
  EXPECT_EQ(requests[0].headers["content-type"], "application/json");
  EXPECT_EQ(requests[0].headers.count("expect"), 0u);
  EXPECT_EQ(requests[0].body, payload);
}

TEST_P(InvokeClientTest, FunctionErrorHeaderIsAFunctionErrorWhateverItsCase) {
  ScriptedServer server([](const Request&) {
    return Answer(R"({"errorType":"ReferenceError","errorMessage":"x is not defined","trace":[]})",
                  {"x-amz-function-error: Unhandled"});
  });
  InvokeOutcome outcome = InvokeOnce(server.Url());
  EXPECT_EQ(outcome.kind, Kind::kFunctionError);
  EXPECT_EQ(outcome.httpStatus, 200);
  EXPECT_EQ(outcome.detail, "ReferenceError: x is not defined");
}

TEST_P(InvokeClientTest, FunctionErrorHeaderWithUnreadableBodyNamesTheHeader) {
  ScriptedServer server(
      [](const Request&) { return Answer("boom", {"X-Amz-Function-Error: Unhandled"}); });
  InvokeOutcome outcome = InvokeOnce(server.Url());
  EXPECT_EQ(outcome.kind, Kind::kFunctionError);
  EXPECT_EQ(outcome.detail, "X-Amz-Function-Error: Unhandled");
  EXPECT_EQ(outcome.body, "boom");
}

TEST_P(InvokeClientTest, RieErrorBodyWithoutHeaderIsAFunctionError) {
  ScriptedServer server([](const Request&) {
    return Answer(
        R"({"errorMessage": "boom", "errorType": "Exception", "requestId": "r", "stackTrace": []})");
  });
  InvokeOutcome outcome = InvokeOnce(server.Url());
  EXPECT_EQ(outcome.kind, Kind::kFunctionError);
  EXPECT_EQ(outcome.detail, "Exception: boom");
}

TEST_P(InvokeClientTest, ResultWithStatusCodeAndErrorFieldsIsOk) {
  ScriptedServer server([](const Request&) {
    return Answer(R"({"statusCode":400,"errorMessage":"name is required"})");
  });
  InvokeOutcome outcome = InvokeOnce(server.Url());
  EXPECT_EQ(outcome.kind, Kind::kOk);
  EXPECT_EQ(outcome.body, R"({"statusCode":400,"errorMessage":"name is required"})");
}

TEST_P(InvokeClientTest, RieTimeoutTextIsAFunctionError) {
  ScriptedServer server([](const Request&) { return Answer("Task timed out after 3.00 seconds"); });
  InvokeOutcome outcome = InvokeOnce(server.Url());
  EXPECT_EQ(outcome.kind, Kind::kFunctionError);
  EXPECT_EQ(outcome.detail, "Task timed out after 3.00 seconds");
}

TEST_P(InvokeClientTest, NonOkStatusIsBadStatusWithBodyExcerpt) {
  std::string body = R"({"Type":"User","Message":"Function not found: )" + std::string(300, 'f');
  ScriptedServer server([&](const Request&) {
    return Answer(body, {"x-amzn-ErrorType: ResourceNotFoundException"}, 404);
  });
  InvokeOutcome outcome = InvokeOnce(server.Url());
  EXPECT_EQ(outcome.kind, Kind::kBadStatus);
  EXPECT_EQ(outcome.httpStatus, 404);
  EXPECT_EQ(outcome.body, body);
  EXPECT_EQ(outcome.detail, "invoke endpoint answered 404: " + body.substr(0, 200) + "...");
}

TEST_P(InvokeClientTest, ResponseOverSixMegabytesIsAFunctionError) {
  ScriptedServer server([](const Request&) { return Answer(std::string(7 * 1024 * 1024, 'a')); });
  InvokeOutcome outcome = InvokeOnce(server.Url());
  EXPECT_EQ(outcome.kind, Kind::kFunctionError);
  EXPECT_EQ(outcome.detail, "response larger than 6 MB");
  EXPECT_TRUE(outcome.body.empty());
}

TEST_P(InvokeClientTest, SlowFunctionTimesOut) {
  ScriptedServer server([](const Request&) {
    Reply reply = Answer("{}");
    reply.delay = 3s;
    return reply;
  });
  InvokeOutcome outcome = InvokeOnce(server.Url(), "{}", 200);
  EXPECT_EQ(outcome.kind, Kind::kTimeout);
  EXPECT_EQ(outcome.detail, "timed out after 200 ms");
  EXPECT_GE(outcome.latencyMs, 190);
  EXPECT_LT(outcome.latencyMs, 2000);
}

TEST_P(InvokeClientTest, HangUpWithoutAnswerIsUnreachable) {
  ScriptedServer server([](const Request&) {
    Reply reply;
    reply.hang_up = true;
    return reply;
  });
  InvokeOutcome outcome = InvokeOnce(server.Url());
  EXPECT_EQ(outcome.kind, Kind::kUnreachable);
  EXPECT_FALSE(outcome.detail.empty());
}

TEST_P(InvokeClientTest, ClosedPortIsUnreachable) {
  int port = UnusedLoopbackPort();
  InvokeOutcome outcome = InvokeOnce(UrlTo(port, "/2015-03-31/functions/f/invocations"));
  EXPECT_EQ(outcome.kind, Kind::kUnreachable);
  // In-house: "cannot connect to 127.0.0.1:PORT: Connection refused"; libcurl: "Couldn't connect
  // to server: Failed to connect to localhost port PORT ...".
  EXPECT_TRUE(outcome.detail.starts_with("cannot connect to 127.0.0.1:") ||
              outcome.detail.starts_with("Couldn't connect to server: "))
      << outcome.detail;
  EXPECT_NE(outcome.detail.find(std::to_string(port)), std::string::npos) << outcome.detail;
}

TEST_P(InvokeClientTest, SequentialInvokesReuseOneConnection) {
  ScriptedServer server([](const Request&) { return Answer(R"({"statusCode":200})"); });
  InvokeClient client;
  Outcomes outcomes;
  for (int i = 0; i < 5; ++i) {
    client.Invoke(server.Url(), "{}", 5000, outcomes.Callback(i));
    ASSERT_TRUE(outcomes.WaitFor(i + 1));
  }
  for (const auto& [index, outcome] : outcomes.All()) EXPECT_EQ(outcome.kind, Kind::kOk);
  EXPECT_EQ(server.AcceptedConnections(), 1);
}

TEST_P(InvokeClientTest, InvocationsRunConcurrently) {
  ScriptedServer server([](const Request&) {
    Reply reply = Answer(R"({"statusCode":200})");
    reply.delay = 300ms;
    return reply;
  });
  InvokeClient client;
  Outcomes outcomes;
  auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < 4; ++i) client.Invoke(server.Url(), "{}", 5000, outcomes.Callback(i));
  ASSERT_TRUE(outcomes.WaitFor(4));
  auto elapsed = std::chrono::steady_clock::now() - start;

  EXPECT_LT(elapsed, 900ms);  // serialised would take 1200 ms
  for (const auto& [index, outcome] : outcomes.All()) {
    EXPECT_EQ(outcome.kind, Kind::kOk);
    EXPECT_GE(outcome.latencyMs, 290);
  }
}

TEST_P(InvokeClientTest, EveryCallbackRunsExactlyOnce) {
  ScriptedServer server([](const Request& request) {
    if (request.body == "error") return Answer(R"({"errorMessage":"no"})");
    if (request.body == "missing") return Answer("", {}, 404);
    if (request.body == "slow") {
      Reply reply = Answer("{}");
      reply.delay = 2s;
      return reply;
    }
    return Answer("{}");
  });
  Outcomes outcomes;
  {
    InvokeClient client;
    const std::vector<std::string> payloads = {"ok", "error", "missing", "slow"};
    for (int i = 0; i < static_cast<int>(payloads.size()); ++i) {
      client.Invoke(server.Url(), payloads[i], 100, outcomes.Callback(i));
    }
    client.Invoke(UrlTo(UnusedLoopbackPort(), "/"), "{}", 5000, outcomes.Callback(4));
    ASSERT_TRUE(outcomes.WaitFor(5));
  }  // joins the worker: any extra call would have happened by now
  for (int i = 0; i < 5; ++i) EXPECT_EQ(outcomes.CallsFor(i), 1u) << i;
  EXPECT_EQ(outcomes.All().size(), 5u);
}

TEST_P(InvokeClientTest, CallbackMayInvokeAgain) {
  ScriptedServer server([](const Request& request) { return Answer(request.body); });
  InvokeClient client;
  Outcomes outcomes;
  std::string url = server.Url();
  client.Invoke(url, R"("first")", 5000, [&](InvokeOutcome first) {
    outcomes.Callback(0)(std::move(first));
    client.Invoke(url, R"("second")", 5000, outcomes.Callback(1));
  });
  ASSERT_TRUE(outcomes.WaitFor(2));
  auto all = outcomes.All();
  EXPECT_EQ(all[0].second.body, R"("first")");
  EXPECT_EQ(all[1].second.body, R"("second")");
}

TEST_P(InvokeClientTest, ManyConcurrentChainsAllComplete) {
  ScriptedServer server([](const Request& request) { return Answer(request.body); });
  InvokeClient client;
  constexpr int kChains = 50;
  constexpr int kPerChain = 40;
  std::mutex mutex;
  std::condition_variable cv;
  int finished = 0;
  int ok = 0;
  std::function<void(int, int)> next = [&](int chain, int step) {
    if (step == kPerChain) {
      std::lock_guard<std::mutex> lock(mutex);
      ++finished;
      cv.notify_all();
      return;
    }
    std::string payload = std::to_string(chain * 1000 + step);
    client.Invoke(server.Url(), payload, 5000, [&, chain, step, payload](InvokeOutcome outcome) {
      if (outcome.kind == Kind::kOk && outcome.body == payload) {
        std::lock_guard<std::mutex> lock(mutex);
        ++ok;
      }
      next(chain, step + 1);
    });
  };
  for (int chain = 0; chain < kChains; ++chain) next(chain, 0);
  std::unique_lock<std::mutex> lock(mutex);
  ASSERT_TRUE(cv.wait_for(lock, 20s, [&] { return finished == kChains; })) << finished;
  EXPECT_EQ(ok, kChains * kPerChain);
  EXPECT_LE(server.AcceptedConnections(), kChains);
}

TEST_P(InvokeClientTest, InvokeIsThreadSafe) {
  ScriptedServer server([](const Request& request) { return Answer(request.body); });
  InvokeClient client;
  Outcomes outcomes;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 10; ++i) {
        int index = t * 10 + i;
        client.Invoke(server.Url(), std::to_string(index), 5000, outcomes.Callback(index));
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  ASSERT_TRUE(outcomes.WaitFor(40));
  for (const auto& [index, outcome] : outcomes.All()) {
    EXPECT_EQ(outcome.kind, Kind::kOk);
    EXPECT_EQ(outcome.body, std::to_string(index));
  }
  for (int i = 0; i < 40; ++i) EXPECT_EQ(outcomes.CallsFor(i), 1u) << i;
}

TEST_P(InvokeClientTest, DestructorCancelsInFlightCallsWithoutRunningCallbacks) {
  std::atomic<int> requests_seen{0};
  ScriptedServer server([&](const Request&) {
    ++requests_seen;
    Reply reply = Answer("{}");
    reply.delay = 5s;
    return reply;
  });
  std::atomic<int> calls{0};
  auto start = std::chrono::steady_clock::now();
  {
    InvokeClient client;
    for (int i = 0; i < 3; ++i) {
      client.Invoke(server.Url(), "{}", 10000, [&](InvokeOutcome) { ++calls; });
    }
    auto deadline = std::chrono::steady_clock::now() + 5s;
    while (requests_seen.load() < 3 && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(5ms);
    }
    EXPECT_EQ(requests_seen.load(), 3);
  }
  EXPECT_LT(std::chrono::steady_clock::now() - start, 3s);
  EXPECT_EQ(calls.load(), 0);
}

// The engine on a loop of the test's own: poll() on its descriptor and its one timer.
class EngineLoop {
 public:
  EngineLoop()
      : engine_([this](long ms) {
          ++timer_calls_;
          if (ms < 0) {
            deadline_.reset();
          } else {
            deadline_ = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
          }
        }) {}

  InvokeEngine& engine() { return engine_; }
  const std::optional<std::chrono::steady_clock::time_point>& deadline() const { return deadline_; }
  int turns() const { return turns_; }

  // Runs the loop until `done()` or `limit` passes; false on the limit.
  bool RunUntil(const std::function<bool()>& done, std::chrono::milliseconds limit = 10s) {
    auto give_up = std::chrono::steady_clock::now() + limit;
    while (!done()) {
      auto now = std::chrono::steady_clock::now();
      if (now >= give_up) return false;
      auto until = deadline_ ? std::min(*deadline_, give_up) : give_up;
      auto left = std::max<std::chrono::steady_clock::duration>(until - now, {});
      int wait_ms = static_cast<int>(std::chrono::ceil<std::chrono::milliseconds>(left).count());
      pollfd fd{engine_.fd(), POLLIN, 0};
      poll(&fd, 1, wait_ms);
      ++turns_;
      if (fd.revents & POLLIN) engine_.OnReadable();
      if (deadline_ && std::chrono::steady_clock::now() >= *deadline_) {
        deadline_.reset();
        engine_.OnTimeout();
      }
    }
    return true;
  }

 private:
  std::optional<std::chrono::steady_clock::time_point> deadline_;
  int timer_calls_ = 0;
  int turns_ = 0;
  InvokeEngine engine_;
};

TEST_P(InvokeEngineTest, CallbackNeverRunsInsideInvoke) {
  EngineLoop loop;
  bool called = false;
  InvokeOutcome result;
  loop.engine().Invoke(UrlTo(UnusedLoopbackPort(), "/"), "{}", 5000, [&](InvokeOutcome outcome) {
    called = true;
    result = std::move(outcome);
  });
  EXPECT_FALSE(called);
  ASSERT_TRUE(loop.RunUntil([&] { return called; }));
  EXPECT_EQ(result.kind, Kind::kUnreachable);
}

TEST_P(InvokeEngineTest, NoTimerLeftWhenNothingIsInFlight) {
  ScriptedServer server([](const Request& request) { return Answer(request.body); });
  EngineLoop loop;
  int finished = 0;
  for (int i = 0; i < 20; ++i) {
    loop.engine().Invoke(server.Url(), std::to_string(i), 29000, [&, i](InvokeOutcome outcome) {
      EXPECT_EQ(outcome.kind, Kind::kOk);
      EXPECT_EQ(outcome.body, std::to_string(i));
      ++finished;
    });
    ASSERT_TRUE(loop.RunUntil([&] { return finished == i + 1; }));
  }
  // An idle engine asks for no wakeup: a timer left due would make its loop spin.
  EXPECT_FALSE(loop.deadline().has_value());
  EXPECT_LT(loop.turns(), 20 * 10);
  int turns = loop.turns();
  EXPECT_FALSE(loop.RunUntil([] { return false; }, 100ms));
  EXPECT_LT(loop.turns() - turns, 5);
  EXPECT_EQ(server.AcceptedConnections(), 1);
}

TEST_P(InvokeEngineTest, SlowFunctionTimesOutOnTheLoopsTimer) {
  ScriptedServer server([](const Request&) {
    Reply reply = Answer("{}");
    reply.delay = 2s;
    return reply;
  });
  EngineLoop loop;
  std::optional<InvokeOutcome> result;
  auto start = std::chrono::steady_clock::now();
  loop.engine().Invoke(server.Url(), "{}", 200,
                       [&](InvokeOutcome outcome) { result = std::move(outcome); });
  ASSERT_TRUE(loop.RunUntil([&] { return result.has_value(); }));
  auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(result->kind, Kind::kTimeout);
  EXPECT_EQ(result->detail, "timed out after 200 ms");
  EXPECT_GE(elapsed, 190ms);
  EXPECT_LT(elapsed, 1500ms);
  EXPECT_LT(loop.turns(), 50);  // waited, not spun
  // curl has nothing left to time: the engine must not leave its loop a timer that is due.
  EXPECT_FALSE(loop.deadline().has_value());
  int turns = loop.turns();
  EXPECT_FALSE(loop.RunUntil([] { return false; }, 100ms));
  EXPECT_LT(loop.turns() - turns, 5);
}

}  // namespace
}  // namespace wsgw
