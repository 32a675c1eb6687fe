#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cctype>
#include <cstdlib>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "wsgw/lambda.h"

namespace wsgw::lambda {
namespace {

struct Recorded {
  std::string method;
  std::string path;
  std::string body;
};

struct Scripted {
  int status = 200;
  std::vector<std::string> headers;
  std::string body;
};

// A tiny stand-in for the gateway's @connections endpoint: HTTP/1.1 with keep-alive, one
// thread per connection, records every request and answers with `answer(request)`.
class FakeGateway {
 public:
  explicit FakeGateway(std::function<Scripted(const Recorded&)> answer)
      : answer_(std::move(answer)) {
    listen_fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(listen_fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
        listen(listen_fd_, 16) != 0) {
      ADD_FAILURE() << "cannot listen";
    }
    socklen_t length = sizeof address;
    getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&address), &length);
    port_ = ntohs(address.sin_port);
    acceptor_ = std::thread([this] { AcceptLoop(); });
  }

  ~FakeGateway() {
    stopping_ = true;
    shutdown(listen_fd_, SHUT_RDWR);
    acceptor_.join();
    {
      std::lock_guard<std::mutex> lock(mutex_);
      for (int fd : connection_fds_) shutdown(fd, SHUT_RDWR);
    }
    for (std::thread& thread : threads_) thread.join();
    for (int fd : connection_fds_) close(fd);
    close(listen_fd_);
  }

  std::string Endpoint(const std::string& stage = "dev") const {
    return "http://127.0.0.1:" + std::to_string(port_) + "/" + stage;
  }
  uint16_t port() const { return port_; }

  std::vector<Recorded> requests() {
    std::lock_guard<std::mutex> lock(mutex_);
    return requests_;
  }
  int connections() {
    std::lock_guard<std::mutex> lock(mutex_);
    return static_cast<int>(connection_fds_.size());
  }

 private:
  void AcceptLoop() {
    while (!stopping_) {
      int fd = accept(listen_fd_, nullptr, nullptr);
      if (fd < 0) return;
      std::lock_guard<std::mutex> lock(mutex_);
      connection_fds_.push_back(fd);
      threads_.emplace_back([this, fd] { Serve(fd); });
    }
  }

  void Serve(int fd) {
    std::string buffer;
    char chunk[4096];
    for (;;) {
      size_t header_end;
      while ((header_end = buffer.find("\r\n\r\n")) == std::string::npos) {
        ssize_t n = recv(fd, chunk, sizeof chunk, 0);
        if (n <= 0) return;
        buffer.append(chunk, static_cast<size_t>(n));
      }
      std::string head = buffer.substr(0, header_end);
      std::string lower = head;
      for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      size_t length = 0;
      if (size_t at = lower.find("content-length:"); at != std::string::npos) {
        length = std::stoul(head.substr(at + 15));
      }
      while (buffer.size() < header_end + 4 + length) {
        ssize_t n = recv(fd, chunk, sizeof chunk, 0);
        if (n <= 0) return;
        buffer.append(chunk, static_cast<size_t>(n));
      }
      Recorded request;
      size_t space = head.find(' ');
      request.method = head.substr(0, space);
      request.path = head.substr(space + 1, head.find(' ', space + 1) - space - 1);
      request.body = buffer.substr(header_end + 4, length);
      buffer.erase(0, header_end + 4 + length);
      {
        std::lock_guard<std::mutex> lock(mutex_);
        requests_.push_back(request);
      }
      Scripted reply = answer_(request);
      std::string out = "HTTP/1.1 " + std::to_string(reply.status) +
                        " X\r\nContent-Length: " + std::to_string(reply.body.size()) + "\r\n";
      for (const std::string& header : reply.headers) out += header + "\r\n";
      out += "\r\n" + reply.body;
      send(fd, out.data(), out.size(), MSG_NOSIGNAL);
    }
  }

  std::function<Scripted(const Recorded&)> answer_;
  int listen_fd_ = -1;
  uint16_t port_ = 0;
  std::atomic<bool> stopping_{false};
  std::thread acceptor_;
  std::mutex mutex_;
  std::vector<int> connection_fds_;
  std::vector<std::thread> threads_;
  std::vector<Recorded> requests_;
};

Scripted Gone(const Recorded&) {
  return {410, {"x-amzn-ErrorType: GoneException", "x-amzn-RequestId: 1"}, ""};
}

TEST(ManagementClientTest, PostSendsTheDataToThePercentEncodedConnectionPath) {
  FakeGateway gateway([](const Recorded&) { return Scripted{}; });
  ManagementClient client(gateway.Endpoint());
  ManagementResult result = client.Post("Abc_-1=", R"({"hello":"world"})");
  EXPECT_TRUE(result.ok()) << result.message;
  EXPECT_EQ(result.status, ManagementResult::Status::kOk);
  EXPECT_EQ(result.http_status, 200);
  ASSERT_EQ(gateway.requests().size(), 1u);
  EXPECT_EQ(gateway.requests()[0].method, "POST");
  EXPECT_EQ(gateway.requests()[0].path, "/dev/@connections/Abc_-1%3D");
  EXPECT_EQ(gateway.requests()[0].body, R"({"hello":"world"})");
}

TEST(ManagementClientTest, EncodesEveryReservedCharacterAndAcceptsATrailingSlash) {
  FakeGateway gateway([](const Recorded&) { return Scripted{}; });
  ManagementClient client(gateway.Endpoint() + "/");
  client.Post("a/b+c d=~.", "");
  ASSERT_EQ(gateway.requests().size(), 1u);
  EXPECT_EQ(gateway.requests()[0].path, "/dev/@connections/a%2Fb%2Bc%20d%3D~.");
  EXPECT_EQ(gateway.requests()[0].body, "");
}

TEST(ManagementClientTest, ReportsAVanishedConnectionAsGone) {
  FakeGateway gateway(Gone);
  ManagementClient client(gateway.Endpoint());
  for (const ManagementResult& result :
       {client.Post("x=", "hi"), client.Get("x="), client.Remove("x=")}) {
    EXPECT_TRUE(result.gone());
    EXPECT_FALSE(result.ok());
    EXPECT_EQ(result.http_status, 410);
    EXPECT_EQ(result.message, "410 GoneException");
  }
}

TEST(ManagementClientTest, ReportsOtherFailuresAsErrorsWithTheirWords) {
  FakeGateway gateway([](const Recorded&) {
    return Scripted{403,
                    {"x-amzn-ErrorType: ForbiddenException:http://internal"},
                    R"({"message":"Forbidden"})"};
  });
  ManagementResult result = ManagementClient(gateway.Endpoint()).Post("x=", "hi");
  EXPECT_EQ(result.status, ManagementResult::Status::kError);
  EXPECT_EQ(result.http_status, 403);
  EXPECT_EQ(result.message, "403 ForbiddenException: Forbidden");
}

TEST(ManagementClientTest, ReportsAnUnreachableEndpointAsAnError) {
  uint16_t closed_port;
  {
    FakeGateway gone_soon([](const Recorded&) { return Scripted{}; });
    closed_port = gone_soon.port();
  }
  ManagementResult result =
      ManagementClient("http://127.0.0.1:" + std::to_string(closed_port) + "/dev").Post("x=", "");
  EXPECT_EQ(result.status, ManagementResult::Status::kError);
  EXPECT_EQ(result.http_status, 0);
  EXPECT_NE(result.message.find("127.0.0.1"), std::string::npos) << result.message;
}

TEST(ManagementClientTest, GetReturnsTheConnectionAndRemoveSendsDelete) {
  FakeGateway gateway([](const Recorded& request) {
    if (request.method == "DELETE") return Scripted{204, {}, ""};
    return Scripted{
        200,
        {"Content-Type: application/json"},
        R"({"connectedAt":"2024-01-01T00:00:00.000Z","identity":{"sourceIp":"127.0.0.1"}})"};
  });
  ManagementClient client(gateway.Endpoint());
  ManagementResult got = client.Get("c=");
  EXPECT_TRUE(got.ok());
  EXPECT_EQ((*ParseJson(got.body))["identity"]["sourceIp"].asString(), "127.0.0.1");
  ManagementResult removed = client.Remove("c=");
  EXPECT_TRUE(removed.ok());
  EXPECT_EQ(removed.http_status, 204);
  ASSERT_EQ(gateway.requests().size(), 2u);
  EXPECT_EQ(gateway.requests()[0].method, "GET");
  EXPECT_EQ(gateway.requests()[1].method, "DELETE");
  EXPECT_EQ(gateway.requests()[1].path, "/dev/@connections/c%3D");
}

TEST(ManagementClientTest, ReusesOneConnectionPerThread) {
  FakeGateway gateway([](const Recorded&) { return Scripted{}; });
  ManagementClient client(gateway.Endpoint());
  ManagementClient copy = client;
  for (int i = 0; i < 5; ++i) {
    EXPECT_TRUE(client.Post("a=", "x").ok());
    EXPECT_TRUE(copy.Get("a=").ok());
  }
  EXPECT_EQ(gateway.requests().size(), 10u);
  EXPECT_EQ(gateway.connections(), 1);
}

TEST(ManagementClientTest, TakesTheEndpointFromTheEnvironmentOrElseTheEvent) {
  Json::Value event;
  event["requestContext"]["domainName"] = "127.0.0.1:3001";
  event["requestContext"]["stage"] = "chat";
  const char* old = std::getenv("WSGW_MANAGEMENT_ENDPOINT");
  std::optional<std::string> saved = old ? std::optional<std::string>(old) : std::nullopt;

  unsetenv("WSGW_MANAGEMENT_ENDPOINT");
  EXPECT_EQ(ManagementClient(event).endpoint(), "http://127.0.0.1:3001/chat");
  setenv("WSGW_MANAGEMENT_ENDPOINT", "http://127.0.0.1:4000/other", 1);
  EXPECT_EQ(ManagementClient(event).endpoint(), "http://127.0.0.1:4000/other");

  if (saved) {
    setenv("WSGW_MANAGEMENT_ENDPOINT", saved->c_str(), 1);
  } else {
    unsetenv("WSGW_MANAGEMENT_ENDPOINT");
  }
}

}  // namespace
}  // namespace wsgw::lambda
