#include "invoke/plain_http_client.h"

#include <arpa/inet.h>
#include <http_parser.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <map>
#include <unordered_map>
#include <utility>
#include <vector>

#include "base/http_head.h"

namespace wsgw {
namespace {

// Idle keep-alive connections kept per endpoint; more than this many finishing at once are
// closed instead.
constexpr size_t kMaxIdlePerEndpoint = 64;
constexpr size_t kReadChunk = 64 * 1024;
// A request buffer bigger than this is released after its call rather than kept for the next.
constexpr size_t kKeptRequestCapacity = 64 * 1024;

constexpr uint32_t kReadEvents = EPOLLIN | EPOLLRDHUP;

std::string ErrnoText(int error) { return std::strerror(error); }

std::string CannotConnect(const std::string& endpoint, int error) {
  return "cannot connect to " + endpoint + ": " + ErrnoText(error);
}

HttpAnswer Failed(HttpAnswer::Failure failure, std::string detail) {
  HttpAnswer answer;
  answer.failure = failure;
  answer.detail = std::move(detail);
  return answer;
}

// Where a URL's POSTs go, worked out once per URL.
struct Endpoint {
  sockaddr_storage address{};
  socklen_t address_length = 0;
  std::string name;            // host:port, for messages
  std::vector<uint64_t> idle;  // connections waiting for a call, the most recent last
};

struct Target {
  Endpoint* endpoint = nullptr;  // null: not a URL this client carries
  std::string head;              // the request up to the Content-Length value
};

// Where `url`'s requests go and what they ask for; false when this client cannot carry it.
bool ParseTarget(std::string_view url, sockaddr_storage* address, socklen_t* address_length,
                 std::string* authority, std::string* path) {
  http_parser_url parts;
  http_parser_url_init(&parts);
  if (http_parser_parse_url(url.data(), url.size(), 0, &parts) != 0) return false;
  auto field = [&](int which) -> std::string_view {
    if (!(parts.field_set & (1 << which))) return {};
    return url.substr(parts.field_data[which].off, parts.field_data[which].len);
  };
  if (!EqualsIgnoreCase(field(UF_SCHEMA), "http")) return false;
  if (parts.field_set & (1 << UF_USERINFO)) return false;
  std::string host(field(UF_HOST));
  uint16_t port = (parts.field_set & (1 << UF_PORT)) ? parts.port : 80;
  *address = {};
  if (auto* v4 = reinterpret_cast<sockaddr_in*>(address);
      inet_pton(AF_INET, host.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(port);
    *address_length = sizeof(sockaddr_in);
  } else if (auto* v6 = reinterpret_cast<sockaddr_in6*>(address);
             inet_pton(AF_INET6, host.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(port);
    *address_length = sizeof(sockaddr_in6);
  } else {
    return false;  // a name: libcurl resolves it without blocking the loop
  }
  // The authority as written (brackets and port included) is what Host carries.
  size_t authority_start = parts.field_data[UF_HOST].off;
  if (authority_start > 0 && url[authority_start - 1] == '[') --authority_start;
  size_t path_start = (parts.field_set & (1 << UF_PATH))    ? parts.field_data[UF_PATH].off
                      : (parts.field_set & (1 << UF_QUERY)) ? parts.field_data[UF_QUERY].off - 1
                                                            : url.size();
  size_t path_end =
      (parts.field_set & (1 << UF_FRAGMENT)) ? parts.field_data[UF_FRAGMENT].off - 1 : url.size();
  *authority = std::string(url.substr(authority_start, path_start - authority_start));
  // A fragment never goes to the server; with no path, "/".
  std::string_view rest = url.substr(path_start, path_end - path_start);
  path->clear();
  if (rest.empty() || rest.front() == '?') path->push_back('/');
  path->append(rest);
  return true;
}

}  // namespace

struct PlainHttpClient::Impl {
  // One POST, from Post() until its callback. It moves to a new connection when a reused one
  // turns out to be closed.
  struct Call {
    std::string request;  // head and body, as sent
    Done done;
    int timeout_ms = 0;
    std::multimap<Clock::time_point, uint64_t>::iterator deadline;
    bool has_deadline = false;
  };

  struct Connection {
    enum class State { kConnecting, kSending, kAwaiting, kIdle };

    ~Connection() { close(fd); }

    uint64_t id = 0;
    int fd = -1;
    Endpoint* endpoint = nullptr;
    State state = State::kConnecting;
    uint32_t watched = 0;  // the epoll events asked for
    // Served an earlier call: the server may have closed it meanwhile, and a call that finds it
    // closed before any answer byte is tried again on a fresh connection.
    bool reused = false;
    std::unique_ptr<Call> call;
    size_t sent = 0;
    std::string spare;  // the previous call's request buffer, for the next one

    http_parser parser;
    Impl* client = nullptr;
    bool received_any = false;
    bool complete = false;
    bool too_large = false;
    bool in_value = false;
    std::string header_name;
    std::string header_value;
    HttpAnswer answer;
  };

  Impl(int epoll, size_t max_body) : epoll_fd(epoll), max_body_bytes(max_body) {
    http_parser_settings_init(&settings);
    settings.on_header_field = &OnHeaderField;
    settings.on_header_value = &OnHeaderValue;
    settings.on_headers_complete = &OnHeadersComplete;
    settings.on_body = &OnBody;
    settings.on_message_complete = &OnMessageComplete;
  }

  Target& Lookup(const std::string& url);
  // Post's work for a URL it carries; callbacks it causes wait for OnTimeout (in_post).
  void Start(const Target& target, std::unique_ptr<Call> call, const std::string& payload);
  Connection* Open(Endpoint* endpoint, int* error);
  Connection* TakeIdle(Endpoint* endpoint);
  Connection* Find(uint64_t id);
  void Watch(Connection* connection, uint32_t events);
  void Begin(Connection* connection, std::unique_ptr<Call> call);
  void Send(Connection* connection);
  void Read(Connection* connection);
  // Feeds received bytes to the parser; false when the call ended (the connection may be gone).
  bool Parse(Connection* connection, const char* data, size_t length);
  void RetryOrFail(Connection* connection, const std::string& why);
  void Finish(Connection* connection, bool keep_alive);
  void Fail(Connection* connection, HttpAnswer::Failure failure, std::string detail);
  // The call is over: its deadline goes, and its callback runs (or waits, inside Post).
  void End(std::unique_ptr<Call> call, HttpAnswer answer);
  void Close(Connection* connection);

  static int OnHeaderField(http_parser* parser, const char* at, size_t length);
  static int OnHeaderValue(http_parser* parser, const char* at, size_t length);
  static int OnHeadersComplete(http_parser* parser);
  static int OnBody(http_parser* parser, const char* at, size_t length);
  static int OnMessageComplete(http_parser* parser);
  static void EndHeader(Connection* connection);

  int epoll_fd;
  size_t max_body_bytes;
  http_parser_settings settings;
  std::unordered_map<std::string, Target> targets;                       // by URL
  std::unordered_map<std::string, std::unique_ptr<Endpoint>> endpoints;  // by authority
  std::unordered_map<uint64_t, std::unique_ptr<Connection>> connections;
  uint64_t next_id = 1;
  std::multimap<Clock::time_point, uint64_t> deadlines;  // of calls, by connection id
  // Failures found inside Post, reported from OnTimeout: no callback ever runs inside Post.
  bool in_post = false;
  std::vector<std::pair<Done, HttpAnswer>> deferred;
  std::vector<char> read_buffer = std::vector<char>(kReadChunk);
};

Target& PlainHttpClient::Impl::Lookup(const std::string& url) {
  auto found = targets.find(url);
  if (found != targets.end()) return found->second;
  Target target;
  sockaddr_storage address;
  socklen_t address_length = 0;
  std::string authority, path;
  if (ParseTarget(url, &address, &address_length, &authority, &path)) {
    std::unique_ptr<Endpoint>& endpoint = endpoints[authority];
    if (!endpoint) {
      endpoint = std::make_unique<Endpoint>();
      endpoint->address = address;
      endpoint->address_length = address_length;
      endpoint->name = authority;
    }
    target.endpoint = endpoint.get();
    target.head = "POST " + path + " HTTP/1.1\r\nHost: " + authority +
                  "\r\nContent-Type: application/json\r\nContent-Length: ";
  }
  return targets.emplace(url, std::move(target)).first->second;
}

PlainHttpClient::Impl::Connection* PlainHttpClient::Impl::Find(uint64_t id) {
  auto found = connections.find(id);
  return found == connections.end() ? nullptr : found->second.get();
}

PlainHttpClient::Impl::Connection* PlainHttpClient::Impl::Open(Endpoint* endpoint, int* error) {
  int fd = socket(endpoint->address.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    *error = errno;
    return nullptr;
  }
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  auto connection = std::make_unique<Connection>();
  connection->fd = fd;
  connection->id = next_id++;
  connection->endpoint = endpoint;
  connection->client = this;
  if (connect(fd, reinterpret_cast<const sockaddr*>(&endpoint->address),
              endpoint->address_length) == 0) {
    connection->state = Connection::State::kSending;
  } else if (errno == EINPROGRESS) {
    connection->state = Connection::State::kConnecting;
  } else {
    *error = errno;
    return nullptr;  // the descriptor closes with `connection`
  }
  epoll_event event{};
  event.events = kReadEvents | EPOLLOUT;
  event.data.u64 = connection->id;
  if (epoll_ctl(epoll_fd, EPOLL_CTL_ADD, fd, &event) != 0) {
    *error = errno;
    return nullptr;
  }
  connection->watched = event.events;
  Connection* raw = connection.get();
  connections.emplace(raw->id, std::move(connection));
  return raw;
}

PlainHttpClient::Impl::Connection* PlainHttpClient::Impl::TakeIdle(Endpoint* endpoint) {
  while (!endpoint->idle.empty()) {
    uint64_t id = endpoint->idle.back();
    endpoint->idle.pop_back();
    Connection* connection = Find(id);
    if (connection == nullptr) continue;
    // An idle connection has nothing to read: if it has, the server closed or reset it, or sent
    // what nobody asked for, which must not pass for the next call's answer.
    char byte;
    ssize_t got = recv(connection->fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT);
    if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return connection;
    Close(connection);
  }
  return nullptr;
}

void PlainHttpClient::Impl::Watch(Connection* connection, uint32_t events) {
  if (connection->watched == events) return;
  epoll_event event{};
  event.events = events;
  event.data.u64 = connection->id;
  epoll_ctl(epoll_fd, EPOLL_CTL_MOD, connection->fd, &event);
  connection->watched = events;
}

void PlainHttpClient::Impl::Begin(Connection* connection, std::unique_ptr<Call> call) {
  if (call->has_deadline) call->deadline->second = connection->id;
  connection->call = std::move(call);
  connection->sent = 0;
  connection->received_any = false;
  connection->complete = false;
  connection->too_large = false;
  connection->in_value = false;
  connection->header_name.clear();
  connection->header_value.clear();
  connection->answer = HttpAnswer();
  http_parser_init(&connection->parser, HTTP_RESPONSE);
  connection->parser.data = connection;
  if (connection->state == Connection::State::kIdle) {
    connection->state = Connection::State::kSending;
    connection->reused = true;
  }
  if (connection->state == Connection::State::kSending) Send(connection);
}

void PlainHttpClient::Impl::Send(Connection* connection) {
  const std::string& request = connection->call->request;
  while (connection->sent < request.size()) {
    ssize_t written = send(connection->fd, request.data() + connection->sent,
                           request.size() - connection->sent, MSG_NOSIGNAL);
    if (written > 0) {
      connection->sent += static_cast<size_t>(written);
    } else if (written < 0 && errno == EINTR) {
      continue;
    } else if (written < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      Watch(connection, kReadEvents | EPOLLOUT);
      return;
    } else {
      RetryOrFail(connection, "cannot send to " + connection->endpoint->name + ": " +
                                  ErrnoText(written < 0 ? errno : EPIPE));
      return;
    }
  }
  connection->state = Connection::State::kAwaiting;
  Watch(connection, kReadEvents);
}

void PlainHttpClient::Impl::Read(Connection* connection) {
  for (;;) {
    ssize_t got = recv(connection->fd, read_buffer.data(), read_buffer.size(), 0);
    if (got > 0) {
      connection->received_any = true;
      if (!Parse(connection, read_buffer.data(), static_cast<size_t>(got))) return;
      continue;
    }
    if (got < 0 && errno == EINTR) continue;
    if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
    if (got == 0) {
      // The end of a body that runs until the server closes, or a response cut short.
      if (connection->received_any) {
        http_parser_execute(&connection->parser, &settings, nullptr, 0);
        if (connection->complete && !connection->too_large) {
          Finish(connection, false);
          return;
        }
      }
      RetryOrFail(connection, connection->received_any
                                  ? "connection closed by " + connection->endpoint->name +
                                        " in the middle of the response"
                                  : "connection closed by " + connection->endpoint->name +
                                        " without a response");
      return;
    }
    RetryOrFail(connection,
                "connection to " + connection->endpoint->name + " failed: " + ErrnoText(errno));
    return;
  }
}

bool PlainHttpClient::Impl::Parse(Connection* connection, const char* data, size_t length) {
  size_t parsed = http_parser_execute(&connection->parser, &settings, data, length);
  http_errno error = HTTP_PARSER_ERRNO(&connection->parser);
  if (connection->too_large) {
    Fail(connection, HttpAnswer::Failure::kTooLarge,
         "response larger than " + std::to_string(max_body_bytes) + " bytes");
    return false;
  }
  if (connection->complete) {
    // Anything after the response was never asked for, and an answer before the whole request
    // went out leaves the rest of it unsent: either way the connection cannot carry another.
    bool keep_alive = http_should_keep_alive(&connection->parser) && parsed == length &&
                      connection->state == Connection::State::kAwaiting;
    Finish(connection, keep_alive);
    return false;
  }
  if (error != HPE_OK) {
    Fail(connection, HttpAnswer::Failure::kUnreachable,
         "malformed HTTP response from " + connection->endpoint->name + ": " +
             http_errno_description(error));
    return false;
  }
  return true;
}

void PlainHttpClient::Impl::RetryOrFail(Connection* connection, const std::string& why) {
  if (!connection->reused || connection->received_any) {
    Fail(connection, HttpAnswer::Failure::kUnreachable, why);
    return;
  }
  // A kept-alive connection the server had closed (it restarted, or timed the connection out)
  // before it saw the request: the call goes again on a new connection, as libcurl does.
  std::unique_ptr<Call> call = std::move(connection->call);
  Endpoint* endpoint = connection->endpoint;
  Close(connection);
  int error = 0;
  Connection* fresh = Open(endpoint, &error);
  if (fresh == nullptr) {
    End(std::move(call),
        Failed(HttpAnswer::Failure::kUnreachable, CannotConnect(endpoint->name, error)));
    return;
  }
  Begin(fresh, std::move(call));
}

void PlainHttpClient::Impl::Finish(Connection* connection, bool keep_alive) {
  std::unique_ptr<Call> call = std::move(connection->call);
  HttpAnswer answer = std::move(connection->answer);
  Endpoint* endpoint = connection->endpoint;
  if (keep_alive && endpoint->idle.size() < kMaxIdlePerEndpoint) {
    connection->state = Connection::State::kIdle;
    Watch(connection, kReadEvents);
    endpoint->idle.push_back(connection->id);
    // The buffer is kept for the next call on this connection, unless it was a large one.
    if (call->request.capacity() <= kKeptRequestCapacity) connection->spare.swap(call->request);
  } else {
    Close(connection);
  }
  End(std::move(call), std::move(answer));
}

void PlainHttpClient::Impl::Fail(Connection* connection, HttpAnswer::Failure failure,
                                 std::string detail) {
  std::unique_ptr<Call> call = std::move(connection->call);
  Close(connection);
  End(std::move(call), Failed(failure, std::move(detail)));
}

void PlainHttpClient::Impl::End(std::unique_ptr<Call> call, HttpAnswer answer) {
  if (call->has_deadline) deadlines.erase(call->deadline);
  if (in_post) {
    deferred.emplace_back(std::move(call->done), std::move(answer));
  } else if (call->done) {
    call->done(std::move(answer));
  }
}

void PlainHttpClient::Impl::Close(Connection* connection) {
  if (connection->state == Connection::State::kIdle) {
    std::vector<uint64_t>& idle = connection->endpoint->idle;
    idle.erase(std::remove(idle.begin(), idle.end(), connection->id), idle.end());
  }
  connections.erase(connection->id);
}

void PlainHttpClient::Impl::EndHeader(Connection* connection) {
  if (EqualsIgnoreCase(connection->header_name, "X-Amz-Function-Error")) {
    connection->answer.function_error = std::string(TrimSpace(connection->header_value));
  }
  connection->header_name.clear();
  connection->header_value.clear();
  connection->in_value = false;
}

int PlainHttpClient::Impl::OnHeaderField(http_parser* parser, const char* at, size_t length) {
  auto* connection = static_cast<Connection*>(parser->data);
  if (connection->in_value) EndHeader(connection);
  connection->header_name.append(at, length);
  return 0;
}

int PlainHttpClient::Impl::OnHeaderValue(http_parser* parser, const char* at, size_t length) {
  auto* connection = static_cast<Connection*>(parser->data);
  connection->in_value = true;
  connection->header_value.append(at, length);
  return 0;
}

int PlainHttpClient::Impl::OnHeadersComplete(http_parser* parser) {
  auto* connection = static_cast<Connection*>(parser->data);
  if (connection->in_value || !connection->header_name.empty()) EndHeader(connection);
  connection->answer.status = parser->status_code;
  return 0;
}

int PlainHttpClient::Impl::OnBody(http_parser* parser, const char* at, size_t length) {
  auto* connection = static_cast<Connection*>(parser->data);
  std::string& body = connection->answer.body;
  if (body.size() + length > connection->client->max_body_bytes) {
    connection->too_large = true;
    return 1;  // stops the parser
  }
  body.append(at, length);
  return 0;
}

int PlainHttpClient::Impl::OnMessageComplete(http_parser* parser) {
  auto* connection = static_cast<Connection*>(parser->data);
  if (parser->status_code / 100 == 1) {
    // An interim answer (100 Continue, 103 Early Hints): the real one follows.
    connection->answer = HttpAnswer();
    return 0;
  }
  connection->complete = true;
  http_parser_pause(parser, 1);
  return 0;
}

// --- PlainHttpClient ----------------------------------------------------------------------------

PlainHttpClient::PlainHttpClient(int epoll_fd, size_t max_body_bytes)
    : impl_(std::make_unique<Impl>(epoll_fd, max_body_bytes)) {}

PlainHttpClient::~PlainHttpClient() = default;

bool PlainHttpClient::Accepts(std::string_view url) {
  sockaddr_storage address;
  socklen_t length = 0;
  std::string authority, path;
  return ParseTarget(url, &address, &length, &authority, &path);
}

bool PlainHttpClient::Carries(const std::string& url) {
  return impl_->Lookup(url).endpoint != nullptr;
}

void PlainHttpClient::Post(const std::string& url, std::string payload, int timeout_ms, Done done) {
  auto call = std::make_unique<Impl::Call>();
  call->done = std::move(done);
  call->timeout_ms = timeout_ms;
  impl_->in_post = true;
  const Target& target = impl_->Lookup(url);
  if (target.endpoint == nullptr) {
    impl_->End(std::move(call), Failed(HttpAnswer::Failure::kUnreachable,
                                       "not a plain http:// URL with an IP address: " + url));
  } else {
    impl_->Start(target, std::move(call), payload);
  }
  impl_->in_post = false;
}

void PlainHttpClient::Impl::Start(const Target& target, std::unique_ptr<Call> call,
                                  const std::string& payload) {
  Connection* connection = TakeIdle(target.endpoint);
  int error = 0;
  if (connection == nullptr) connection = Open(target.endpoint, &error);
  if (connection == nullptr) {
    End(std::move(call),
        Failed(HttpAnswer::Failure::kUnreachable, CannotConnect(target.endpoint->name, error)));
    return;
  }
  // The buffer of the connection's previous call, when it had one, is reused.
  std::string request = std::move(connection->spare);
  request.assign(target.head);
  request += std::to_string(payload.size());
  request += "\r\n\r\n";
  request += payload;
  call->request = std::move(request);
  if (call->timeout_ms > 0) {
    call->deadline = deadlines.emplace(Clock::now() + std::chrono::milliseconds(call->timeout_ms),
                                       connection->id);
    call->has_deadline = true;
  }
  Begin(connection, std::move(call));
}

void PlainHttpClient::OnEvent(uint64_t id, uint32_t events) {
  using State = Impl::Connection::State;
  Impl::Connection* connection = impl_->Find(id);
  if (connection == nullptr) return;  // closed earlier in the same batch of events
  switch (connection->state) {
    case State::kIdle:
      // Nothing is expected on an idle connection: the server closed it, or sent what was never
      // asked for. Either way it cannot carry the next call.
      impl_->Close(connection);
      return;
    case State::kConnecting: {
      if (!(events & (EPOLLOUT | EPOLLERR | EPOLLHUP))) return;
      int error = 0;
      socklen_t length = sizeof error;
      getsockopt(connection->fd, SOL_SOCKET, SO_ERROR, &error, &length);
      if (error != 0) {
        impl_->Fail(connection, HttpAnswer::Failure::kUnreachable,
                    CannotConnect(connection->endpoint->name, error));
        return;
      }
      connection->state = State::kSending;
      impl_->Send(connection);
      return;
    }
    case State::kSending:
      if (events & EPOLLOUT) impl_->Send(connection);
      if (impl_->Find(id) == nullptr) return;
      if (events & (EPOLLIN | EPOLLRDHUP | EPOLLERR | EPOLLHUP)) impl_->Read(connection);
      return;
    case State::kAwaiting:
      impl_->Read(connection);
      return;
  }
}

std::optional<PlainHttpClient::Clock::time_point> PlainHttpClient::NextWakeup() const {
  if (!impl_->deferred.empty()) return Clock::now();
  if (impl_->deadlines.empty()) return std::nullopt;
  return impl_->deadlines.begin()->first;
}

void PlainHttpClient::OnTimeout() {
  std::vector<std::pair<Done, HttpAnswer>> deferred;
  deferred.swap(impl_->deferred);
  for (auto& [done, answer] : deferred) {
    if (done) done(std::move(answer));
  }
  Clock::time_point now = Clock::now();
  while (!impl_->deadlines.empty() && impl_->deadlines.begin()->first <= now) {
    Impl::Connection* connection = impl_->Find(impl_->deadlines.begin()->second);
    if (connection == nullptr || !connection->call) {
      impl_->deadlines.erase(impl_->deadlines.begin());  // cannot happen; never loop on it
      continue;
    }
    // The connection is dropped: its answer may still be on the way.
    impl_->Fail(connection, HttpAnswer::Failure::kTimeout,
                "timed out after " + std::to_string(connection->call->timeout_ms) + " ms");
  }
}

size_t PlainHttpClient::OpenConnections() const { return impl_->connections.size(); }

}  // namespace wsgw
