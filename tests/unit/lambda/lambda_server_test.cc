#include <arpa/inet.h>
#include <curl/curl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cctype>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <map>
#include <memory>
#include <mutex>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "unused_port.h"
#include "wsgw/lambda.h"

namespace wsgw::lambda {
namespace {

using namespace std::chrono_literals;

ServerOptions TestOptions() {
  ServerOptions options;
  options.port = 0;
  options.timeout = std::chrono::seconds(29);
  return options;
}

// A Server serving on its own thread for the duration of a test.
class RunningServer {
 public:
  explicit RunningServer(Handler handler, ServerOptions options = TestOptions())
      : server_(std::move(handler), options), thread_([this] { server_.Serve(); }) {}
  ~RunningServer() { Stop(); }

  void Stop() {
    if (!thread_.joinable()) return;
    server_.Stop();
    thread_.join();
  }
  uint16_t port() const { return server_.port(); }
  std::string Url(const std::string& path = "/2015-03-31/functions/my-function/invocations") const {
    return "http://127.0.0.1:" + std::to_string(port()) + path;
  }

 private:
  Server server_;
  std::thread thread_;
};

struct CurlDeleter {
  void operator()(CURL* curl) const { curl_easy_cleanup(curl); }
};
using CurlHandle = std::unique_ptr<CURL, CurlDeleter>;

struct HttpReply {
  long status = 0;
  std::string body;
  std::map<std::string, std::string> headers;  // names lower-cased
  long new_connections = -1;
};

size_t AppendBody(char* data, size_t size, size_t count, void* user) {
  static_cast<std::string*>(user)->append(data, size * count);
  return size * count;
}

size_t AppendHeader(char* data, size_t size, size_t count, void* user) {
  std::string line(data, size * count);
  size_t colon = line.find(':');
  if (colon != std::string::npos) {
    std::string name = line.substr(0, colon);
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    std::string value = line.substr(colon + 1);
    value.erase(0, value.find_first_not_of(' '));
    value.erase(value.find_last_not_of("\r\n ") + 1);
    (*static_cast<std::map<std::string, std::string>*>(user))[name] = value;
  }
  return size * count;
}

// One request on `curl` (reused handles keep their connection alive).
HttpReply Http(CURL* curl, const std::string& method, const std::string& url,
               const std::string& body = "") {
  HttpReply reply;
  curl_easy_reset(curl);
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method.c_str());
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, 10000L);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, AppendBody);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &reply.body);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, AppendHeader);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &reply.headers);
  if (method == "POST") {
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.c_str());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
  }
  CURLcode code = curl_easy_perform(curl);
  EXPECT_EQ(code, CURLE_OK) << curl_easy_strerror(code) << " for " << method << " " << url;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &reply.status);
  curl_easy_getinfo(curl, CURLINFO_NUM_CONNECTS, &reply.new_connections);
  return reply;
}

HttpReply Post(const std::string& url, const std::string& body) {
  CurlHandle curl(curl_easy_init());
  return Http(curl.get(), "POST", url, body);
}

Json::Value ParsedBody(const HttpReply& reply) {
  std::optional<Json::Value> value = ParseJson(reply.body);
  EXPECT_TRUE(value) << "not JSON: " << reply.body;
  return value.value_or(Json::Value());
}

Json::Value Echo(const Json::Value& event, const Context&) { return event; }

// A blocking TCP client for what curl will not do (pipelining, holding a connection idle).
class RawClient {
 public:
  explicit RawClient(uint16_t port) : fd_(socket(AF_INET, SOCK_STREAM, 0)) {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = htons(port);
    EXPECT_EQ(connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
    timeval timeout{5, 0};
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  }
  ~RawClient() { close(fd_); }
  RawClient(const RawClient&) = delete;
  RawClient& operator=(const RawClient&) = delete;

  void Send(const std::string& data) {
    ASSERT_EQ(send(fd_, data.data(), data.size(), MSG_NOSIGNAL), static_cast<ssize_t>(data.size()));
  }

  // The next response's status line and body ("" status line on end of stream or timeout).
  std::pair<std::string, std::string> ReadResponse() {
    size_t header_end;
    while ((header_end = buffer_.find("\r\n\r\n")) == std::string::npos) {
      if (!Fill()) return {"", ""};
    }
    std::string head = buffer_.substr(0, header_end);
    std::smatch match;
    size_t length = 0;
    if (std::regex_search(head, match, std::regex("Content-Length: (\\d+)", std::regex::icase))) {
      length = std::stoul(match[1]);
    }
    while (buffer_.size() < header_end + 4 + length) {
      if (!Fill()) return {"", ""};
    }
    std::string body = buffer_.substr(header_end + 4, length);
    buffer_.erase(0, header_end + 4 + length);
    return {head.substr(0, head.find("\r\n")), body};
  }

  bool AtEndOfStream() { return buffer_.empty() && !Fill(); }

 private:
  bool Fill() {
    char chunk[4096];
    ssize_t n = recv(fd_, chunk, sizeof chunk, 0);
    if (n <= 0) return false;
    buffer_.append(chunk, static_cast<size_t>(n));
    return true;
  }

  int fd_;
  std::string buffer_;
};

std::string InvokeRequest(const std::string& body, bool close = false) {
  return "POST /2015-03-31/functions/f/invocations HTTP/1.1\r\nHost: x\r\nContent-Length: " +
         std::to_string(body.size()) + "\r\n" + (close ? "Connection: close\r\n" : "") + "\r\n" +
         body;
}

TEST(LambdaServerTest, AnswersAnInvocationWithTheHandlersResult) {
  RunningServer server([](const Json::Value& event, const Context&) {
    Json::Value result;
    result["statusCode"] = 200;
    result["body"] = "got " + event["body"].asString();
    return result;
  });
  HttpReply reply = Post(server.Url(), R"({"body":"hello"})");
  EXPECT_EQ(reply.status, 200);
  EXPECT_EQ(reply.headers.count("x-amz-function-error"), 0u);
  EXPECT_EQ(reply.headers["content-type"], "application/json");
  EXPECT_EQ(ParsedBody(reply), *ParseJson(R"({"statusCode":200,"body":"got hello"})"));
}

TEST(LambdaServerTest, GivesTheHandlerAContext) {
  std::mutex mutex;
  std::vector<Context> seen;
  RunningServer server([&](const Json::Value&, const Context& context) {
    std::lock_guard<std::mutex> lock(mutex);
    seen.push_back(context);
    return Json::Value(static_cast<Json::Int64>(context.RemainingTime().count()));
  });
  HttpReply first = Post(server.Url("/2015-03-31/functions/chat%2Dfn/invocations"), "{}");
  HttpReply second = Post(server.Url(), "{}");
  ASSERT_EQ(seen.size(), 2u);
  const std::regex uuid("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}");
  EXPECT_TRUE(std::regex_match(seen[0].aws_request_id, uuid)) << seen[0].aws_request_id;
  EXPECT_NE(seen[0].aws_request_id, seen[1].aws_request_id);
  EXPECT_EQ(seen[0].function_name, "chat-fn");
  EXPECT_EQ(seen[1].function_name, "my-function");
  int64_t remaining = ParsedBody(first).asInt64();
  EXPECT_GT(remaining, 28000);
  EXPECT_LE(remaining, 29000);
}

TEST(LambdaServerTest, FunctionNameFromOptionsWinsOverTheUrl) {
  ServerOptions options = TestOptions();
  options.function_name = "from-env";
  options.timeout = std::chrono::seconds(3);
  RunningServer server(
      [](const Json::Value&, const Context& context) {
        Json::Value result;
        result["name"] = context.function_name;
        result["remaining"] = static_cast<Json::Int64>(context.RemainingTime().count());
        return result;
      },
      options);
  Json::Value result = ParsedBody(Post(server.Url(), "{}"));
  EXPECT_EQ(result["name"].asString(), "from-env");
  EXPECT_LE(result["remaining"].asInt64(), 3000);
  EXPECT_GT(result["remaining"].asInt64(), 2000);
}

TEST(LambdaServerTest, ReportsAThrowingHandlerAsAnUnhandledFunctionError) {
  RunningServer server([](const Json::Value&, const Context&) -> Json::Value {
    throw std::runtime_error("table is on fire");
  });
  HttpReply reply = Post(server.Url(), "{}");
  EXPECT_EQ(reply.status, 200);
  EXPECT_EQ(reply.headers["x-amz-function-error"], "Unhandled");
  EXPECT_EQ(ParsedBody(reply), *ParseJson(R"({"errorType":"std::runtime_error",
      "errorMessage":"table is on fire","stackTrace":[]})"));
}

TEST(LambdaServerTest, ReportsExceptionsOfAnyType) {
  struct Custom : std::exception {
    const char* what() const noexcept override { return "custom words"; }
  };
  int call = 0;
  RunningServer server([&](const Json::Value&, const Context&) -> Json::Value {
    ++call;
    if (call == 1) throw Custom();
    if (call == 2) throw 42;
    throw "a C string";
  });
  Json::Value custom = ParsedBody(Post(server.Url(), "{}"));
  EXPECT_NE(custom["errorType"].asString().find("Custom"), std::string::npos) << custom;
  EXPECT_EQ(custom["errorMessage"].asString(), "custom words");
  HttpReply integer = Post(server.Url(), "{}");
  EXPECT_EQ(integer.headers["x-amz-function-error"], "Unhandled");
  EXPECT_EQ(ParsedBody(integer)["errorType"].asString(), "int");
  EXPECT_EQ(ParsedBody(Post(server.Url(), "{}"))["errorMessage"].asString(), "a C string");
}

TEST(LambdaServerTest, PassesAnEmptyBodyAsANullEvent) {
  RunningServer server(Echo);
  HttpReply reply = Post(server.Url(), "");
  EXPECT_EQ(reply.status, 200);
  EXPECT_EQ(reply.body, "null");
}

TEST(LambdaServerTest, RefusesABodyThatIsNotJson) {
  RunningServer server(Echo);
  HttpReply reply = Post(server.Url(), "{not json");
  EXPECT_EQ(reply.status, 400);
  EXPECT_EQ(reply.headers["x-amzn-errortype"], "InvalidRequestContentException");
}

TEST(LambdaServerTest, Answers404ForOtherPathsAnd405ForOtherMethods) {
  RunningServer server(Echo);
  CurlHandle curl(curl_easy_init());
  EXPECT_EQ(Http(curl.get(), "GET", server.Url("/")).status, 404);
  EXPECT_EQ(Http(curl.get(), "POST", server.Url("/2015-03-31/functions/invocations"), "{}").status,
            404);
  EXPECT_EQ(
      Http(curl.get(), "POST", server.Url("/2015-03-31/functions/a/b/invocations"), "{}").status,
      404);
  HttpReply get = Http(curl.get(), "GET", server.Url());
  EXPECT_EQ(get.status, 405);
  EXPECT_EQ(get.headers["allow"], "POST");
  // Still serving, on the same connection.
  HttpReply ok = Http(curl.get(), "POST", server.Url(), "[1]");
  EXPECT_EQ(ok.status, 200);
  EXPECT_EQ(ok.new_connections, 0);
}

TEST(LambdaServerTest, AcceptsBodiesUpTo6MbAndRefusesLargerOnesWith413) {
  std::atomic<size_t> biggest{0};
  RunningServer server([&](const Json::Value& event, const Context&) {
    biggest = event["blob"].asString().size();
    return Json::Value("ok");
  });
  const size_t limit = 6 * 1024 * 1024;
  const std::string envelope = R"({"blob":""})";
  std::string fits = R"({"blob":")" + std::string(limit - envelope.size(), 'x') + R"("})";
  ASSERT_EQ(fits.size(), limit);
  auto start = std::chrono::steady_clock::now();
  HttpReply accepted = Post(server.Url(), fits);
  EXPECT_EQ(accepted.status, 200);
  EXPECT_EQ(biggest.load(), limit - envelope.size());
  // curl sends "Expect: 100-continue" for a body this big; answering it avoids a 1 s stall.
  EXPECT_LT(std::chrono::steady_clock::now() - start, 900ms);

  HttpReply refused = Post(server.Url(), fits + " ");
  EXPECT_EQ(refused.status, 413);
  EXPECT_EQ(refused.headers["x-amzn-errortype"], "RequestTooLargeException");
}

TEST(LambdaServerTest, RefusesAnOversizedChunkedBodyWith413) {
  RunningServer server(Echo);
  RawClient client(server.port());
  client.Send(
      "POST /2015-03-31/functions/f/invocations HTTP/1.1\r\nHost: x\r\n"
      "Transfer-Encoding: chunked\r\n\r\n");
  const std::string chunk(1024 * 1024, 'x');
  char size_line[32];
  snprintf(size_line, sizeof size_line, "%zx\r\n", chunk.size());
  for (int i = 0; i < 7; ++i) client.Send(size_line + chunk + "\r\n");
  EXPECT_EQ(client.ReadResponse().first, "HTTP/1.1 413 Payload Too Large");
}

TEST(LambdaServerTest, KeepsConnectionsAlive) {
  RunningServer server(Echo);
  CurlHandle curl(curl_easy_init());
  EXPECT_EQ(Http(curl.get(), "POST", server.Url(), "1").new_connections, 1);
  EXPECT_EQ(Http(curl.get(), "POST", server.Url(), "2").new_connections, 0);
  HttpReply third = Http(curl.get(), "POST", server.Url(), "3");
  EXPECT_EQ(third.new_connections, 0);
  EXPECT_EQ(third.body, "3");
}

TEST(LambdaServerTest, AnswersPipelinedRequestsInOrder) {
  RunningServer server(Echo);
  RawClient client(server.port());
  client.Send(InvokeRequest("\"first\"") + InvokeRequest("\"second\"") +
              InvokeRequest("\"third\"", /*close=*/true));
  EXPECT_EQ(client.ReadResponse(),
            std::make_pair(std::string("HTTP/1.1 200 OK"), std::string("\"first\"")));
  EXPECT_EQ(client.ReadResponse().second, "\"second\"");
  EXPECT_EQ(client.ReadResponse().second, "\"third\"");
  EXPECT_TRUE(client.AtEndOfStream());
}

TEST(LambdaServerTest, AnswersAMalformedRequestWith400AndCloses) {
  RunningServer server(Echo);
  RawClient client(server.port());
  client.Send("NOT-HTTP\r\n\r\n");
  EXPECT_EQ(client.ReadResponse().first, "HTTP/1.1 400 Bad Request");
  EXPECT_TRUE(client.AtEndOfStream());
}

TEST(LambdaServerTest, RunsInvocationsOnDifferentConnectionsConcurrently) {
  std::mutex mutex;
  std::condition_variable changed;
  int inside = 0;
  RunningServer server([&](const Json::Value&, const Context&) {
    std::unique_lock<std::mutex> lock(mutex);
    ++inside;
    changed.notify_all();
    return Json::Value(changed.wait_for(lock, 5s, [&] { return inside >= 2; }));
  });
  std::string first, second;
  std::thread other([&] { first = Post(server.Url(), "{}").body; });
  second = Post(server.Url(), "{}").body;
  other.join();
  EXPECT_EQ(first, "true");
  EXPECT_EQ(second, "true");
}

TEST(LambdaServerTest, StopReturnsPromptlyWithIdleConnectionsOpen) {
  RunningServer server(Echo);
  RawClient idle(server.port());
  idle.Send(InvokeRequest("1"));
  EXPECT_EQ(idle.ReadResponse().second, "1");
  auto start = std::chrono::steady_clock::now();
  server.Stop();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 2s);
  EXPECT_TRUE(idle.AtEndOfStream());
}

TEST(LambdaServerTest, StopLetsARunningInvocationAnswer) {
  std::atomic<bool> entered{false};
  RunningServer server([&](const Json::Value&, const Context&) {
    entered = true;
    std::this_thread::sleep_for(300ms);
    return Json::Value("finished");
  });
  RawClient client(server.port());
  client.Send(InvokeRequest("{}"));
  while (!entered) std::this_thread::sleep_for(1ms);
  server.Stop();
  EXPECT_EQ(client.ReadResponse().second, "\"finished\"");
}

TEST(LambdaServerTest, StopBeforeServeMakesServeReturnAtOnce) {
  Server server(Echo, TestOptions());
  server.Stop();
  server.Serve();
}

TEST(LambdaServerTest, BindFailureNamesTheAddress) {
  RunningServer first(Echo);
  ServerOptions options = TestOptions();
  options.port = first.port();
  try {
    Server second(Echo, options);
    FAIL() << "bound a port already in use";
  } catch (const std::runtime_error& error) {
    EXPECT_NE(std::string(error.what()).find("127.0.0.1:" + std::to_string(first.port())),
              std::string::npos)
        << error.what();
  }
}

// Sets environment variables for one scope, restoring what was there.
class ScopedEnv {
 public:
  void Set(const char* name, const char* value) {
    const char* old = std::getenv(name);
    saved_.emplace_back(name, old ? std::optional<std::string>(old) : std::nullopt);
    if (value) {
      setenv(name, value, 1);
    } else {
      unsetenv(name);
    }
  }
  ~ScopedEnv() {
    for (auto it = saved_.rbegin(); it != saved_.rend(); ++it) {
      if (it->second) {
        setenv(it->first.c_str(), it->second->c_str(), 1);
      } else {
        unsetenv(it->first.c_str());
      }
    }
  }

 private:
  std::vector<std::pair<std::string, std::optional<std::string>>> saved_;
};

TEST(LambdaServerTest, OptionsComeFromTheGatewaysEnvironment) {
  {
    ScopedEnv env;
    for (const char* name : {"WSGW_FUNCTION_HOST", "WSGW_FUNCTION_PORT", "AWS_LAMBDA_FUNCTION_NAME",
                             "AWS_LAMBDA_FUNCTION_TIMEOUT"}) {
      env.Set(name, nullptr);
    }
    ServerOptions defaults = ServerOptionsFromEnvironment();
    EXPECT_EQ(defaults.host, "127.0.0.1");
    EXPECT_EQ(defaults.port, 9000);
    EXPECT_EQ(defaults.function_name, "");
    EXPECT_EQ(defaults.timeout, std::chrono::seconds(29));
  }
  ScopedEnv env;
  env.Set("WSGW_FUNCTION_HOST", "0.0.0.0");
  env.Set("WSGW_FUNCTION_PORT", "4567");
  env.Set("AWS_LAMBDA_FUNCTION_NAME", "chat");
  env.Set("AWS_LAMBDA_FUNCTION_TIMEOUT", "3");
  ServerOptions options = ServerOptionsFromEnvironment();
  EXPECT_EQ(options.host, "0.0.0.0");
  EXPECT_EQ(options.port, 4567);
  EXPECT_EQ(options.function_name, "chat");
  EXPECT_EQ(options.timeout, std::chrono::seconds(3));
  env.Set("WSGW_FUNCTION_PORT", "70000");
  EXPECT_THROW(ServerOptionsFromEnvironment(), std::invalid_argument);
  env.Set("WSGW_FUNCTION_PORT", "80");
  env.Set("AWS_LAMBDA_FUNCTION_TIMEOUT", "soon");
  EXPECT_THROW(ServerOptionsFromEnvironment(), std::invalid_argument);
}

TEST(LambdaServerTest, RunRefusesUnknownArguments) {
  char program[] = "handler";
  char bogus[] = "--bogus";
  char* argv[] = {program, bogus, nullptr};
  EXPECT_EQ(wsgw::lambda::Run(Echo, 2, argv), 2);
}

TEST(LambdaServerTest, RunServesTheGivenPortAndExitsCleanlyOnSigterm) {
  const uint16_t port = static_cast<uint16_t>(wsgw::UnusedLoopbackPort());
  const std::string port_text = std::to_string(port);
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    char program[] = "handler";
    char flag[] = "--port";
    std::string value = port_text;
    char* argv[] = {program, flag, value.data(), nullptr};
    _exit(wsgw::lambda::Run(Echo, 3, argv));
  }
  const std::string url = "http://127.0.0.1:" + port_text + "/2015-03-31/functions/f/invocations";
  CurlHandle curl(curl_easy_init());
  std::string body;
  for (int attempt = 0; attempt < 200 && body.empty(); ++attempt) {
    curl_easy_reset(curl.get());
    curl_easy_setopt(curl.get(), CURLOPT_URL, url.c_str());
    curl_easy_setopt(curl.get(), CURLOPT_POSTFIELDS, "\"up\"");
    curl_easy_setopt(curl.get(), CURLOPT_WRITEFUNCTION, AppendBody);
    curl_easy_setopt(curl.get(), CURLOPT_WRITEDATA, &body);
    if (curl_easy_perform(curl.get()) != CURLE_OK) std::this_thread::sleep_for(25ms);
  }
  EXPECT_EQ(body, "\"up\"");
  kill(pid, SIGTERM);
  int status = 0;
  pid_t waited = 0;
  for (int i = 0; i < 500 && waited == 0; ++i) {
    waited = waitpid(pid, &status, WNOHANG);
    if (waited == 0) std::this_thread::sleep_for(10ms);
  }
  if (waited == 0) {
    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
    FAIL() << "Run did not return within 5 s of SIGTERM";
  }
  EXPECT_TRUE(WIFEXITED(status)) << "status " << status;
  EXPECT_EQ(WEXITSTATUS(status), 0);
}

}  // namespace
}  // namespace wsgw::lambda
