// The Lambda Invoke API server behind wsgw::lambda::Run: a blocking accept loop and one thread
// per connection, HTTP/1.1 keep-alive and pipelining parsed with http-parser.
#include <arpa/inet.h>
#include <cxxabi.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <thread>
#include <tuple>
#include <utility>
#include <vector>

#include "base/http_head.h"
#include "base/ids.h"
#include "request_reader.h"
#include "wsgw/lambda.h"

namespace wsgw::lambda {
namespace {

// Lambda's synchronous invocation payload limit.
constexpr size_t kMaxBodyBytes = 6 * 1024 * 1024;
constexpr std::string_view kInvokePrefix = "/2015-03-31/functions/";
constexpr std::string_view kInvokeSuffix = "/invocations";

class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  ~UniqueFd() { Reset(); }
  UniqueFd(UniqueFd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept {
    if (this != &other) {
      Reset();
      fd_ = std::exchange(other.fd_, -1);
    }
    return *this;
  }
  int get() const { return fd_; }
  void Reset() {
    if (fd_ >= 0) close(fd_);
    fd_ = -1;
  }

 private:
  int fd_ = -1;
};

std::string ErrnoText(int error) { return std::strerror(error); }

bool SendAll(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t sent = send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (sent < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    data.remove_prefix(static_cast<size_t>(sent));
  }
  return true;
}

const char* ReasonPhrase(int status) {
  switch (status) {
    case 100:
      return "Continue";
    case 200:
      return "OK";
    case 400:
      return "Bad Request";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 413:
      return "Payload Too Large";
    default:
      return "Error";
  }
}

struct Response {
  int status = 200;
  std::vector<std::string> headers;  // "Name: value"
  std::string body;
};

// The error shape of the Lambda service itself (as opposed to a function error).
Response ServiceError(int status, const char* error_type, const std::string& message) {
  Json::Value body;
  body["Type"] = "User";
  body["Message"] = message;
  return {status, {std::string("x-amzn-ErrorType: ") + error_type}, ToJson(body)};
}

std::string Serialize(const Response& response, bool keep_alive) {
  std::string out =
      "HTTP/1.1 " + std::to_string(response.status) + " " + ReasonPhrase(response.status) + "\r\n";
  out += "Content-Type: application/json\r\n";
  out += "Content-Length: " + std::to_string(response.body.size()) + "\r\n";
  for (const std::string& header : response.headers) out += header + "\r\n";
  if (!keep_alive) out += "Connection: close\r\n";
  out += "\r\n";
  out += response.body;
  return out;
}

std::string Demangle(const char* mangled) {
  int status = 0;
  std::unique_ptr<char, decltype(&std::free)> name(
      abi::__cxa_demangle(mangled, nullptr, nullptr, &status), &std::free);
  return status == 0 && name ? std::string(name.get()) : std::string("std::exception");
}

// {"errorType", "errorMessage"} for the exception being handled; call inside a catch block.
std::pair<std::string, std::string> DescribeCurrentException() {
  const std::type_info* type = abi::__cxa_current_exception_type();
  std::string type_name = type ? Demangle(type->name()) : "std::exception";
  try {
    throw;
  } catch (const std::exception& error) {
    return {type_name, error.what()};
  } catch (const char* text) {
    return {type_name, text ? text : ""};
  } catch (const std::string& text) {
    return {"std::string", text};
  } catch (...) {
    return {type_name, "exception of type " + type_name};
  }
}

using Request = InvokeRequest;

// The function name of an invoke path, or nullopt when `path` is not one.
std::optional<std::string> InvokedFunction(std::string_view path) {
  if (path.size() <= kInvokePrefix.size() + kInvokeSuffix.size() ||
      path.substr(0, kInvokePrefix.size()) != kInvokePrefix ||
      path.substr(path.size() - kInvokeSuffix.size()) != kInvokeSuffix) {
    return std::nullopt;
  }
  std::string_view name =
      path.substr(kInvokePrefix.size(), path.size() - kInvokePrefix.size() - kInvokeSuffix.size());
  if (name.find('/') != std::string_view::npos) return std::nullopt;
  return PercentDecode(name, false);
}

// Non-blocking so that Stop() can never be held up by a full pipe.
std::pair<UniqueFd, UniqueFd> MakePipe() {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC | O_NONBLOCK) != 0) {
    throw std::runtime_error("cannot create a pipe: " + ErrnoText(errno));
  }
  return {UniqueFd(fds[0]), UniqueFd(fds[1])};
}

UniqueFd Listen(const std::string& host, uint16_t port) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* found = nullptr;
  const std::string where = host + ":" + std::to_string(port);
  int status = getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &found);
  if (status != 0) {
    throw std::runtime_error("cannot resolve " + where + ": " + gai_strerror(status));
  }
  std::unique_ptr<addrinfo, decltype(&freeaddrinfo)> addresses(found, &freeaddrinfo);
  std::string last_error = "no address";
  for (addrinfo* address = found; address; address = address->ai_next) {
    UniqueFd fd(socket(address->ai_family, address->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK,
                       address->ai_protocol));
    if (fd.get() < 0) {
      last_error = ErrnoText(errno);
      continue;
    }
    int one = 1;
    setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(fd.get(), address->ai_addr, address->ai_addrlen) == 0 &&
        listen(fd.get(), SOMAXCONN) == 0) {
      return fd;
    }
    last_error = ErrnoText(errno);
  }
  throw std::runtime_error("cannot listen on " + where + ": " + last_error);
}

uint16_t BoundPort(int fd) {
  sockaddr_storage address{};
  socklen_t length = sizeof address;
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) return 0;
  if (address.ss_family == AF_INET6) {
    return ntohs(reinterpret_cast<sockaddr_in6*>(&address)->sin6_port);
  }
  return ntohs(reinterpret_cast<sockaddr_in*>(&address)->sin_port);
}

}  // namespace

std::chrono::milliseconds Context::RemainingTime() const {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      deadline - std::chrono::steady_clock::now());
  return std::max(left, std::chrono::milliseconds(0));
}

struct Server::Impl {
  struct Connection {
    UniqueFd fd;  // guarded by connections_mutex: its thread closes it when done
    std::thread thread;
    std::atomic<bool> done{false};
  };

  Handler handler;
  ServerOptions options;
  UniqueFd listen_fd;
  UniqueFd stop_read;
  UniqueFd stop_write;
  uint16_t port = 0;
  // The list itself is only touched by the thread running Serve().
  std::list<std::unique_ptr<Connection>> connections;
  std::mutex connections_mutex;

  void ReapFinished() {
    for (auto it = connections.begin(); it != connections.end();) {
      if ((*it)->done.load()) {
        (*it)->thread.join();
        it = connections.erase(it);
      } else {
        ++it;
      }
    }
  }

  Response Invoke(const Request& request, const std::string& url_function_name) const {
    Context context;
    context.aws_request_id = NewAmznRequestId();
    context.function_name =
        options.function_name.empty() ? url_function_name : options.function_name;
    context.deadline = std::chrono::steady_clock::now() + options.timeout;

    Json::Value event;
    if (!request.body.empty()) {
      std::optional<Json::Value> parsed = ParseJson(request.body);
      if (!parsed) {
        return ServiceError(400, "InvalidRequestContentException",
                            "Could not parse request body into json");
      }
      event = std::move(*parsed);
    }
    try {
      return {200, {}, ToJson(handler(event, context))};
    } catch (...) {
      auto [type, message] = DescribeCurrentException();
      Json::Value error;
      error["errorType"] = type;
      error["errorMessage"] = message;
      error["stackTrace"] = Json::Value(Json::arrayValue);
      std::string body = ToJson(error);
      std::cerr << context.aws_request_id + " ERROR Invoke Error " + body + "\n" << std::flush;
      return {200, {"X-Amz-Function-Error: Unhandled"}, std::move(body)};
    }
  }

  Response Answer(const Request& request) const {
    std::string_view url = request.url;
    std::string_view path = url.substr(0, url.find('?'));
    std::optional<std::string> function_name = InvokedFunction(path);
    if (!function_name) {
      return ServiceError(404, "ResourceNotFoundException",
                          "No such path: " + request.method + " " + std::string(path) +
                              " (this server answers POST " + std::string(kInvokePrefix) +
                              "{name}" + std::string(kInvokeSuffix) + ")");
    }
    if (request.method != "POST") {
      Response response = ServiceError(405, "MethodNotAllowedException",
                                       request.method + " is not allowed here; use POST");
      response.headers.push_back("Allow: POST");
      return response;
    }
    return Invoke(request, *function_name);
  }

  // Reads the rest of what the peer sends (bounded) so that closing does not reset the
  // connection before the peer has read our error response.
  static void DrainBeforeClose(int fd) {
    shutdown(fd, SHUT_WR);
    timeval timeout{1, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    char buffer[16384];
    size_t drained = 0;
    while (drained < 2 * kMaxBodyBytes) {
      ssize_t n = recv(fd, buffer, sizeof buffer, 0);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      drained += static_cast<size_t>(n);
    }
  }

  void ServeConnection(int fd) const {
    RequestReader reader(kMaxBodyBytes);
    std::vector<char> buffer(64 * 1024);
    for (;;) {
      ssize_t received = recv(fd, buffer.data(), buffer.size(), 0);
      if (received < 0 && errno == EINTR) continue;
      if (received <= 0) return;
      size_t offset = 0;
      const size_t length = static_cast<size_t>(received);
      while (offset < length) {
        size_t consumed = 0;
        RequestReader::Step step = reader.Feed(buffer.data() + offset, length - offset, &consumed);
        offset += consumed;
        if (reader.TakeContinue() && !SendAll(fd, "HTTP/1.1 100 Continue\r\n\r\n")) return;
        if (step == RequestReader::Step::kRequest) {
          const bool keep_alive = reader.request().keep_alive;
          if (!SendAll(fd, Serialize(Answer(reader.request()), keep_alive)) || !keep_alive) return;
          continue;
        }
        if (step == RequestReader::Step::kError) {
          Response response =
              reader.tooLarge()
                  ? ServiceError(413, "RequestTooLargeException",
                                 "Request must be smaller than " + std::to_string(kMaxBodyBytes) +
                                     " bytes for the InvokeFunction operation")
                  : ServiceError(400, "BadRequestException",
                                 std::string("Malformed HTTP request: ") +
                                     reader.errorDescription());
          SendAll(fd, Serialize(response, false));
          DrainBeforeClose(fd);
          return;
        }
      }
    }
  }
};

Server::Server(Handler handler, ServerOptions options) : impl_(std::make_unique<Impl>()) {
  impl_->handler = std::move(handler);
  impl_->options = std::move(options);
  impl_->listen_fd = Listen(impl_->options.host, impl_->options.port);
  impl_->port = BoundPort(impl_->listen_fd.get());
  std::tie(impl_->stop_read, impl_->stop_write) = MakePipe();
}

Server::~Server() = default;

uint16_t Server::port() const { return impl_->port; }

void Server::Stop() {
  char byte = 1;
  // A full pipe already holds a stop request, so a failed write loses nothing.
  ssize_t ignored = write(impl_->stop_write.get(), &byte, 1);
  (void)ignored;
}

void Server::Serve() {
  Impl& impl = *impl_;
  pollfd fds[2] = {{impl.listen_fd.get(), POLLIN, 0}, {impl.stop_read.get(), POLLIN, 0}};
  for (;;) {
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      std::cerr << "wsgw::lambda::Server: poll failed: " << ErrnoText(errno) << "\n";
      break;
    }
    if (fds[1].revents) break;
    if (!(fds[0].revents & POLLIN)) continue;
    int fd = accept4(impl.listen_fd.get(), nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) {
      // Out of descriptors: back off instead of spinning on a listen socket that stays readable.
      if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
      }
      continue;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    impl.ReapFinished();
    auto connection = std::make_unique<Impl::Connection>();
    connection->fd = UniqueFd(fd);
    Impl::Connection* raw = connection.get();
    try {
      raw->thread = std::thread([&impl, raw, fd] {
        impl.ServeConnection(fd);
        std::lock_guard<std::mutex> lock(impl.connections_mutex);
        raw->fd.Reset();
        raw->done.store(true);
      });
    } catch (const std::system_error& error) {
      std::cerr << "wsgw::lambda::Server: cannot start a connection thread: " << error.what()
                << "\n";
      continue;  // the connection closes as `connection` goes out of scope
    }
    impl.connections.push_back(std::move(connection));
  }
  {
    // Idle connections see end-of-file at once; busy ones answer first, then see it.
    std::lock_guard<std::mutex> lock(impl.connections_mutex);
    for (auto& connection : impl.connections) {
      if (connection->fd.get() >= 0) shutdown(connection->fd.get(), SHUT_RD);
    }
  }
  for (auto& connection : impl.connections) connection->thread.join();
  impl.connections.clear();
}

ServerOptions ServerOptionsFromEnvironment() {
  ServerOptions options;
  if (const char* host = std::getenv("WSGW_FUNCTION_HOST"); host && *host) options.host = host;
  if (const char* port = std::getenv("WSGW_FUNCTION_PORT"); port && *port) {
    char* end = nullptr;
    errno = 0;
    unsigned long value = std::strtoul(port, &end, 10);
    if (errno != 0 || *end != '\0' || value > 65535 || port[0] == '-' || port[0] == '+') {
      throw std::invalid_argument(std::string("WSGW_FUNCTION_PORT must be a port number, not \"") +
                                  port + "\"");
    }
    options.port = static_cast<uint16_t>(value);
  }
  if (const char* name = std::getenv("AWS_LAMBDA_FUNCTION_NAME"); name && *name) {
    options.function_name = name;
  }
  if (const char* timeout = std::getenv("AWS_LAMBDA_FUNCTION_TIMEOUT"); timeout && *timeout) {
    char* end = nullptr;
    errno = 0;
    double seconds = std::strtod(timeout, &end);
    if (errno != 0 || *end != '\0' || !(seconds > 0) || seconds > 365 * 24 * 3600) {
      throw std::invalid_argument(
          std::string("AWS_LAMBDA_FUNCTION_TIMEOUT must be a positive number of seconds, not \"") +
          timeout + "\"");
    }
    options.timeout = std::chrono::seconds(static_cast<long>(seconds + 0.999));
  }
  return options;
}

namespace {

std::atomic<Server*> g_running_server{nullptr};

void StopOnSignal(int) {
  if (Server* server = g_running_server.load()) server->Stop();
}

// Installs SIGINT/SIGTERM handlers that stop `server` for as long as it lives.
class StopSignals {
 public:
  explicit StopSignals(Server& server) {
    g_running_server.store(&server);
    struct sigaction action {};
    action.sa_handler = StopOnSignal;
    sigemptyset(&action.sa_mask);
    action.sa_flags = SA_RESTART;
    sigaction(SIGINT, &action, &old_int_);
    sigaction(SIGTERM, &action, &old_term_);
  }
  ~StopSignals() {
    sigaction(SIGINT, &old_int_, nullptr);
    sigaction(SIGTERM, &old_term_, nullptr);
    g_running_server.store(nullptr);
  }
  StopSignals(const StopSignals&) = delete;
  StopSignals& operator=(const StopSignals&) = delete;

 private:
  struct sigaction old_int_ {};
  struct sigaction old_term_ {};
};

std::optional<uint16_t> ParsePort(std::string_view text) {
  if (text.empty() || text.size() > 5) return std::nullopt;
  unsigned value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + static_cast<unsigned>(c - '0');
  }
  if (value > 65535) return std::nullopt;
  return static_cast<uint16_t>(value);
}

}  // namespace

int Run(Handler handler, int argc, char** argv) {
  std::string program = argc > 0 && argv[0] ? argv[0] : "handler";
  program = program.substr(program.find_last_of('/') + 1);
  const std::string usage = "usage: " + program +
                            " [--port N]\n"
                            "Serves the Lambda Invoke API on WSGW_FUNCTION_HOST:WSGW_FUNCTION_PORT "
                            "(default 127.0.0.1:9000).\n";
  ServerOptions options;
  try {
    options = ServerOptionsFromEnvironment();
  } catch (const std::invalid_argument& error) {
    std::cerr << program << ": " << error.what() << "\n";
    return 2;
  }
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      std::cout << usage;
      return 0;
    }
    std::optional<std::string_view> port_text;
    if (arg == "--port" && i + 1 < argc) {
      port_text = argv[++i];
    } else if (arg.substr(0, 7) == "--port=") {
      port_text = arg.substr(7);
    }
    std::optional<uint16_t> port = port_text ? ParsePort(*port_text) : std::nullopt;
    if (!port) {
      std::cerr << program << ": unexpected argument \"" << arg << "\"\n" << usage;
      return 2;
    }
    options.port = *port;
  }

  signal(SIGPIPE, SIG_IGN);
  std::unique_ptr<Server> server;
  try {
    server = std::make_unique<Server>(std::move(handler), options);
  } catch (const std::exception& error) {
    std::cerr << program << ": " << error.what() << "\n";
    return 1;
  }
  StopSignals stop_signals(*server);
  std::cerr << program << ": serving the Lambda Invoke API on http://" << options.host << ":"
            << server->port() << "\n"
            << std::flush;
  server->Serve();
  return 0;
}

}  // namespace wsgw::lambda
