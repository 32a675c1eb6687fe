#include "gateway.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <libwebsockets.h>
#include <netdb.h>
#include <uuid/uuid.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <deque>
#include <functional>
#include <mutex>
#include <unordered_map>

#include "http_head.h"
#include "integration_result.h"
#include "invoke_client.h"
#include "lambda_event.h"
#include "log.h"
#include "management_path.h"
#include "static_files.h"
#include "utf8.h"

namespace wsgw {
namespace {

constexpr size_t kMaxHeadBytes = 16 * 1024;
constexpr size_t kMaxEarlyBytes = 256 * 1024;
constexpr int kHeadDeadlineSeconds = 10;
constexpr lws_usec_t kHeadRetryUs = 5 * 1000;
constexpr int kTimeoutReasonHead = PENDING_TIMEOUT_USER_REASON_BASE + 1;
constexpr int kTimeoutReasonConnect = PENDING_TIMEOUT_USER_REASON_BASE + 2;
constexpr int kTimeoutReasonClose = PENDING_TIMEOUT_USER_REASON_BASE + 3;
constexpr int kCloseDrainSeconds = 2;

// PostToConnection's own limit is maxMessageBytes; this only bounds what is read.
constexpr size_t kMaxPostBytes = 1024 * 1024;
// Bytes waiting for one slow client before PostToConnection answers 429 LimitExceededException,
// AWS's answer when "the WebSocket client side buffer is full".
constexpr size_t kMaxOutboundBytes = 4 * 1024 * 1024;

constexpr char kAppProtocol[] = "wsgw-app";
constexpr char kAcceptorProtocol[] = "wsgw-acceptor";

// AWS's close reasons (AWS-NOTES §5.4). Where AWS is unconfirmed the choice is named here.
constexpr char kReasonNoStatus[] = "Client-side close frame status not set";
constexpr char kReasonGoingAway[] = "Going away";
constexpr char kReasonDeleted[] = "Connection Closed Normally";
// UNCONFIRMED in AWS: what $disconnect says after a TCP drop without a close frame.
constexpr char kReasonAbnormal[] = "Client-side close frame status not set (connection lost)";

int64_t NowMs() { return NowEpochMillis(); }

const char* ReasonPhrase(int status) {
  switch (status) {
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 410: return "Gone";
    case 413: return "Payload Too Large";
    case 411: return "Length Required";
    case 426: return "Upgrade Required";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    default: return status >= 200 && status < 300 ? "OK" : "Error";
  }
}

std::string JsonMessageBody(const std::string& message) {
  Json::Value body(Json::objectValue);
  body["message"] = message;
  Json::StreamWriterBuilder builder;
  builder["indentation"] = "";
  return Json::writeString(builder, body);
}

// A complete HTTP/1.1 response that closes the connection (for handshakes refused before lws
// ever sees them).
std::string ClosingResponse(int status, const std::string& body, const std::string& headers) {
  std::string response = "HTTP/1.1 " + std::to_string(status) + " " + ReasonPhrase(status) +
                         "\r\nContent-Type: application/json\r\nContent-Length: " +
                         std::to_string(body.size()) + "\r\n" + headers +
                         "Connection: close\r\n\r\n";
  return response + body;
}

// The head with every Sec-WebSocket-Protocol line removed: lws then binds protocol 0 and
// writes no subprotocol of its own; ADD_HEADERS adds exactly what $connect returned.
std::string WithoutSubprotocolHeader(std::string_view head) {
  std::string out;
  size_t start = 0;
  while (start < head.size()) {
    size_t end = head.find("\r\n", start);
    end = end == std::string_view::npos ? head.size() : end + 2;
    std::string_view line = head.substr(start, end - start);
    constexpr std::string_view kName = "sec-websocket-protocol:";
    if (!(line.size() >= kName.size() && EqualsIgnoreCase(line.substr(0, kName.size()), kName))) {
      out.append(line);
    }
    start = end;
  }
  return out;
}

std::optional<std::pair<int, std::string>> RefusalFor(const std::optional<HttpHead>& head,
                                                      const std::string& parse_error) {
  if (!head) return std::make_pair(400, parse_error);
  std::string lowered = head->target;
  for (char& c : lowered) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (lowered.find("%00") != std::string::npos) {
    return std::make_pair(400, std::string("the request path contains an encoded NUL (%00)"));
  }
  std::optional<std::string> encoding = head->Header("Transfer-Encoding");
  if (encoding && !head->upgradeWebSocket) {
    // libwebsockets 4.1 reads request bodies by Content-Length only.
    return std::make_pair(411, std::string("send the body with a Content-Length, not "
                                           "Transfer-Encoding: ") + *encoding);
  }
  return std::nullopt;
}

std::string PeerAddress(int fd) {
  sockaddr_storage address{};
  socklen_t length = sizeof address;
  if (getpeername(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) return "127.0.0.1";
  char text[INET6_ADDRSTRLEN] = {};
  if (address.ss_family == AF_INET) {
    inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(&address)->sin_addr, text, sizeof text);
  } else if (address.ss_family == AF_INET6) {
    auto* v6 = reinterpret_cast<sockaddr_in6*>(&address);
    if (IN6_IS_ADDR_V4MAPPED(&v6->sin6_addr)) {
      inet_ntop(AF_INET, &v6->sin6_addr.s6_addr[12], text, sizeof text);
    } else {
      inet_ntop(AF_INET6, &v6->sin6_addr, text, sizeof text);
    }
  }
  return text;
}

}  // namespace

// A connection the acceptor owns: from accept() until it is handed to lws (plain HTTP, or an
// upgrade that $connect accepted) or refused.
struct RawConnection {
  enum class State { kReadingHead, kWaitingConnect, kRejecting, kHandedOver };
  State state = State::kReadingHead;
  lws* wsi = nullptr;
  int fd = -1;
  lws_sorted_usec_list_t retry{};  // re-enables reading while a head is incomplete
  std::string id;
  std::string head;         // the upgrade's head bytes, consumed from the socket
  std::string early;        // bytes the client sent after the head while $connect ran
  std::string response;     // a refusal being written
  size_t responseSent = 0;
};

// An accepted WebSocket connection, from $connect's 2xx until its $disconnect.
struct Connection {
  enum class State { kUpgrading, kOpen, kClosed };
  State state = State::kUpgrading;
  const ApiConfig* api = nullptr;
  ConnectionContext context;
  std::optional<std::string> subprotocol;
  lws* wsi = nullptr;
  int64_t lastActiveMs = 0;

  struct Outbound {
    std::string bytes;
    bool binary = false;
  };
  std::deque<Outbound> outbound;
  size_t outboundBytes = 0;

  std::string message;           // text frames of a message being assembled
  size_t frameRemaining = 0;     // bytes still to come of the frame being received

  bool closeRequested = false;   // a server-side close waiting for the outbound queue to drain
  int closeCode = 0;             // set when the gateway (not the client) ends the connection
  std::string closeReason;
  bool peerClosed = false;
  int peerCode = 1005;
  std::string peerReason = kReasonNoStatus;
};

struct Gateway::Impl {
  GatewayOptions options;
  lws_context* context = nullptr;
  lws_vhost* vhost = nullptr;
  int listenFd = -1;
  int signalFd = -1;
  int boundPort = 0;
  lws* listenerWsi = nullptr;
  char listenerMarker = 0;
  char signalMarker = 0;
  std::unique_ptr<InvokeClient> invoker;

  std::unordered_map<std::string, RawConnection*> pending;  // by connection id
  std::unordered_map<int, std::string> upgradesByFd;        // dup'd fd -> connection id
  std::unordered_map<std::string, std::unique_ptr<Connection>> connections;

  std::mutex completionsMutex;
  std::vector<std::function<void()>> completions;
  int invocationsInFlight = 0;

  struct HttpRequest {
    std::string method;
    ManagementTarget target;
    std::string body;
    bool tooLarge = false;
  };
  std::unordered_map<lws*, HttpRequest> httpRequests;

  bool shuttingDown = false;
  bool finished = false;
  lws_sorted_usec_list_t shutdownDeadline{};

  explicit Impl(GatewayOptions opts) : options(std::move(opts)) {}
  ~Impl();

  bool Start(std::string* error);
  bool Listen(std::string* error);
  void Run();

  std::string DomainName() const { return options.host + ":" + std::to_string(boundPort); }

  // Work that other threads hand to the loop.
  void Post(std::function<void()> work);
  void DrainCompletions();

  void Invoke(const FunctionConfig& function, const Json::Value& event,
              std::function<void(InvokeOutcome)> done);

  // Acceptor.
  void AcceptAll();
  int OnRawReadable(RawConnection* raw);
  int ReadHead(RawConnection* raw);
  void StartUpgrade(RawConnection* raw, const HttpHead& head);
  // `headers`: extra header lines, each ending in CRLF.
  void Refuse(RawConnection* raw, int status, const std::string& body,
              const std::string& headers = "");
  void OnConnectVerdict(const std::string& id, const ConnectVerdict& verdict,
                        std::unique_ptr<Connection> connection);
  int OnRawWritable(RawConnection* raw);
  void OnRawClosed(RawConnection* raw);

  // WebSocket connections.
  int OnReceive(Connection* connection, const char* data, size_t length);
  int CloseFromReceive(Connection* connection, int code, const std::string& reason,
                       const std::string& why, std::vector<LogField> fields);
  void Dispatch(Connection* connection, std::string body);
  int OnWritable(Connection* connection);
  void Send(Connection* connection, std::string bytes, bool binary);
  void RequestClose(Connection* connection, int code, const std::string& reason);
  void ScheduleTimer(Connection* connection);
  void OnTimer(Connection* connection);
  void OnClosed(Connection* connection);
  void FireDisconnect(const ApiConfig& api, const ConnectionContext& context, int code,
                      const std::string& reason);

  // Plain HTTP.
  int OnHttp(lws* wsi, const char* uri);
  int OnHttpBody(lws* wsi, const char* data, size_t length);
  int OnHttpBodyComplete(lws* wsi);
  int AnswerManagement(lws* wsi);
  void ForgetHttpRequest(lws* wsi);

  void BeginShutdown();
  void MaybeFinishShutdown();

  Connection* FindConnection(const std::string& id) {
    auto it = connections.find(id);
    return it == connections.end() ? nullptr : it->second.get();
  }
  const ApiConfig* ApiForPath(const std::string& path) const;
};

namespace {

Gateway::Impl* ImplOf(lws* wsi) {
  return static_cast<Gateway::Impl*>(lws_context_user(lws_get_context(wsi)));
}

int AcceptorCallback(lws* wsi, lws_callback_reasons reason, void* /*user*/, void* /*in*/,
                     size_t /*len*/) {
  Gateway::Impl* impl = ImplOf(wsi);
  if (impl == nullptr) return 0;
  void* opaque = lws_get_opaque_user_data(wsi);
  switch (reason) {
    case LWS_CALLBACK_EVENT_WAIT_CANCELLED:
      impl->DrainCompletions();
      return 0;
    case LWS_CALLBACK_RAW_RX_FILE:
      if (opaque == &impl->listenerMarker) {
        impl->AcceptAll();
        return 0;
      }
      if (opaque == &impl->signalMarker) {
        signalfd_siginfo info;
        while (read(impl->signalFd, &info, sizeof info) == sizeof info) {
          Log::Info("signal received, shutting down", {Str("signal", strsignal(info.ssi_signo))});
        }
        impl->BeginShutdown();
        return 0;
      }
      if (opaque == nullptr) return -1;
      return impl->OnRawReadable(static_cast<RawConnection*>(opaque));
    case LWS_CALLBACK_RAW_WRITEABLE_FILE:
      if (opaque == nullptr || opaque == &impl->listenerMarker || opaque == &impl->signalMarker) {
        return 0;
      }
      return impl->OnRawWritable(static_cast<RawConnection*>(opaque));
    case LWS_CALLBACK_RAW_CLOSE_FILE:
      if (opaque == &impl->listenerMarker) {
        impl->listenerWsi = nullptr;
        return 0;
      }
      if (opaque == nullptr || opaque == &impl->signalMarker) return 0;
      lws_set_opaque_user_data(wsi, nullptr);
      impl->OnRawClosed(static_cast<RawConnection*>(opaque));
      return 0;
    default:
      return 0;
  }
}

int AppCallback(lws* wsi, lws_callback_reasons reason, void* /*user*/, void* in, size_t len) {
  Gateway::Impl* impl = ImplOf(wsi);
  if (impl == nullptr) return lws_callback_http_dummy(wsi, reason, nullptr, in, len);
  // Some callbacks (WSI_DESTROY) reach protocols[0] for every wsi, the acceptor's raw ones too,
  // whose opaque data is not a Connection.
  const lws_protocols* protocol = lws_get_protocol(wsi);
  bool raw = protocol != nullptr && protocol->callback == AcceptorCallback;
  auto* connection = raw ? nullptr : static_cast<Connection*>(lws_get_opaque_user_data(wsi));
  switch (reason) {
    case LWS_CALLBACK_HTTP_CONFIRM_UPGRADE: {
      auto it = impl->upgradesByFd.find(lws_get_socket_fd(wsi));
      Connection* accepted = it == impl->upgradesByFd.end() ? nullptr
                                                            : impl->FindConnection(it->second);
      if (it != impl->upgradesByFd.end()) impl->upgradesByFd.erase(it);
      if (accepted == nullptr) {
        // Only the first request of a TCP connection passes $connect; an upgrade attempted
        // later on a kept-alive HTTP connection would bypass it.
        Log::Warn("refused an upgrade on a kept-alive HTTP connection (400)");
        lws_return_http_status(wsi, HTTP_STATUS_BAD_REQUEST,
                               "WebSocket upgrades must be the first request of a connection");
        return 1;
      }
      lws_set_opaque_user_data(wsi, accepted);
      return 0;
    }
    case LWS_CALLBACK_ADD_HEADERS: {
      if (connection == nullptr || !connection->subprotocol) return 0;
      auto* args = static_cast<lws_process_html_args*>(in);
      auto* p = reinterpret_cast<unsigned char*>(args->p);
      unsigned char* end = p + args->max_len;
      const std::string& value = *connection->subprotocol;
      if (lws_add_http_header_by_name(wsi,
                                      reinterpret_cast<const unsigned char*>(
                                          "Sec-WebSocket-Protocol:"),
                                      reinterpret_cast<const unsigned char*>(value.data()),
                                      static_cast<int>(value.size()), &p, end)) {
        return -1;
      }
      args->max_len -= static_cast<int>(p - reinterpret_cast<unsigned char*>(args->p));
      args->p = reinterpret_cast<char*>(p);
      return 0;
    }
    case LWS_CALLBACK_ESTABLISHED:
      if (connection == nullptr) return -1;
      connection->wsi = wsi;
      connection->state = Connection::State::kOpen;
      connection->lastActiveMs = NowMs();
      impl->ScheduleTimer(connection);
      return 0;
    case LWS_CALLBACK_RECEIVE:
      if (connection == nullptr) return -1;
      return impl->OnReceive(connection, static_cast<const char*>(in), len);
    case LWS_CALLBACK_SERVER_WRITEABLE:
      if (connection == nullptr) return 0;
      return impl->OnWritable(connection);
    case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE:
      if (connection != nullptr) {
        connection->peerClosed = true;
        const auto* bytes = static_cast<const unsigned char*>(in);
        if (len >= 2) {
          connection->peerCode = (bytes[0] << 8) | bytes[1];
          connection->peerReason.assign(reinterpret_cast<const char*>(bytes + 2), len - 2);
        }
      }
      return 0;
    case LWS_CALLBACK_TIMER:
      if (connection != nullptr) impl->OnTimer(connection);
      return 0;
    case LWS_CALLBACK_CLOSED:
      if (connection != nullptr) {
        lws_set_opaque_user_data(wsi, nullptr);
        impl->OnClosed(connection);
      }
      return 0;
    case LWS_CALLBACK_WSI_DESTROY:
      if (connection != nullptr) {
        // Accepted by $connect but the upgrade never completed (the replayed handshake failed).
        lws_set_opaque_user_data(wsi, nullptr);
        Log::Warn("upgrade failed after $connect accepted it",
                  {Str("connectionId", connection->context.connectionId)});
        impl->FireDisconnect(*connection->api, connection->context, 1006, kReasonAbnormal);
        impl->connections.erase(connection->context.connectionId);
      }
      return 0;
    case LWS_CALLBACK_HTTP:
      return impl->OnHttp(wsi, static_cast<const char*>(in));
    case LWS_CALLBACK_HTTP_BODY:
      return impl->OnHttpBody(wsi, static_cast<const char*>(in), len);
    case LWS_CALLBACK_HTTP_BODY_COMPLETION:
      return impl->OnHttpBodyComplete(wsi);
    case LWS_CALLBACK_CLOSED_HTTP:
      impl->ForgetHttpRequest(wsi);
      return 0;
    default:
      return lws_callback_http_dummy(wsi, reason, nullptr, in, len);
  }
}

void EmitLwsLog(int level, const char* line) {
  std::string text(line);
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  // lws 4.1.6 logs "adopt_socket_readbuf: calling service" at error level on every accepted
  // handshake; its messages are only useful when debugging the gateway itself.
  Log::Debug("libwebsockets", {Str("lwsLevel", std::to_string(level)), Str("text", text)});
}

}  // namespace

Gateway::Impl::~Impl() {
  invoker.reset();  // no completion may arrive after this point
  if (context != nullptr) lws_context_destroy(context);
  for (auto& [id, raw] : pending) delete raw;
  if (signalFd >= 0) close(signalFd);
}

bool Gateway::Impl::Listen(std::string* error) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* found = nullptr;
  std::string port_text = std::to_string(options.port);
  int rc = getaddrinfo(options.host.c_str(), port_text.c_str(), &hints, &found);
  if (rc != 0) {
    *error = "cannot resolve --host " + options.host + ": " + gai_strerror(rc);
    return false;
  }
  std::string last_error = "no address";
  for (addrinfo* ai = found; ai != nullptr; ai = ai->ai_next) {
    int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) continue;
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 && listen(fd, SOMAXCONN) == 0) {
      sockaddr_storage bound{};
      socklen_t length = sizeof bound;
      getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &length);
      boundPort = ntohs(bound.ss_family == AF_INET6
                            ? reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port
                            : reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
      listenFd = fd;
      break;
    }
    last_error = strerror(errno);
    close(fd);
  }
  freeaddrinfo(found);
  if (listenFd < 0) {
    *error = "cannot listen on " + options.host + ":" + port_text + ": " + last_error;
    return false;
  }
  return true;
}

bool Gateway::Impl::Start(std::string* error) {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  signal(SIGPIPE, SIG_IGN);
  signalFd = signalfd(-1, &signals, SFD_NONBLOCK | SFD_CLOEXEC);
  if (signalFd < 0) {
    *error = std::string("signalfd: ") + strerror(errno);
    return false;
  }
  if (!Listen(error)) return false;

  lws_set_log_level(Log::Enabled(LogLevel::kDebug) ? (LLL_ERR | LLL_WARN | LLL_NOTICE) : LLL_ERR,
                    EmitLwsLog);

  static const lws_protocols kProtocols[] = {
      {kAppProtocol, AppCallback, 0, 64 * 1024, 0, nullptr, 0},
      {kAcceptorProtocol, AcceptorCallback, 0, 0, 0, nullptr, 0},
      {nullptr, nullptr, 0, 0, 0, nullptr, 0},
  };
  lws_context_creation_info info{};
  info.port = CONTEXT_PORT_NO_LISTEN_SERVER;
  info.protocols = kProtocols;
  info.user = this;
  info.gid = -1;
  info.uid = -1;
  // lws must hold any head the acceptor let through, or it drops it with no status.
  info.max_http_header_data = 0;
  info.max_http_header_data2 = kMaxHeadBytes + 1024;
  info.pt_serv_buf_size = 32 * 1024;
  info.timeout_secs = 30;
  context = lws_create_context(&info);
  if (context == nullptr) {
    *error = "libwebsockets could not create its context";
    return false;
  }
  vhost = lws_get_vhost_by_name(context, "default");
  if (vhost == nullptr) {
    *error = "libwebsockets created no default vhost";
    return false;
  }

  invoker = std::make_unique<InvokeClient>();

  lws_adopt_desc_t listener{};
  listener.vh = vhost;
  listener.type = LWS_ADOPT_RAW_FILE_DESC;
  listener.fd.filefd = listenFd;
  listener.vh_prot_name = kAcceptorProtocol;
  listener.opaque = &listenerMarker;
  listenerWsi = lws_adopt_descriptor_vhost_via_info(&listener);
  lws_adopt_desc_t signal_desc = listener;
  signal_desc.fd.filefd = signalFd;
  signal_desc.opaque = &signalMarker;
  if (listenerWsi == nullptr || lws_adopt_descriptor_vhost_via_info(&signal_desc) == nullptr) {
    *error = "libwebsockets refused the listening socket";
    return false;
  }
  return true;
}

void Gateway::Impl::Run() {
  while (!finished) {
    if (lws_service(context, 0) < 0) break;
  }
}

void Gateway::Impl::Post(std::function<void()> work) {
  {
    std::lock_guard<std::mutex> lock(completionsMutex);
    completions.push_back(std::move(work));
  }
  lws_cancel_service(context);
}

void Gateway::Impl::DrainCompletions() {
  std::vector<std::function<void()>> ready;
  {
    std::lock_guard<std::mutex> lock(completionsMutex);
    ready.swap(completions);
  }
  for (auto& work : ready) work();
}

void Gateway::Impl::Invoke(const FunctionConfig& function, const Json::Value& event,
                           std::function<void(InvokeOutcome)> done) {
  if (invoker == nullptr) return;  // the loop is being torn down
  ++invocationsInFlight;
  bool supervised = function.supervised;
  invoker->Invoke(function.url, SerializeEvent(event), function.timeoutMs,
                  [this, supervised, done = std::move(done)](InvokeOutcome outcome) mutable {
                    if (supervised && outcome.kind == InvokeOutcome::Kind::kUnreachable) {
                      // A started function that is down (restarting) fails like a Lambda
                      // that crashed: 502 on $connect, the error frame on messages.
                      outcome.kind = InvokeOutcome::Kind::kFunctionError;
                      outcome.detail = "the function's process is not running (" +
                                       outcome.detail + ")";
                    }
                    Post([this, done = std::move(done), outcome = std::move(outcome)]() mutable {
                      --invocationsInFlight;
                      done(std::move(outcome));
                      MaybeFinishShutdown();
                    });
                  });
}

// --- Acceptor -------------------------------------------------------------------------------

void Gateway::Impl::AcceptAll() {
  while (true) {
    int fd = accept4(listenFd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
        Log::Warn("accept failed", {Str("error", strerror(errno))});
      }
      return;
    }
    if (shuttingDown) {
      close(fd);
      continue;
    }
    auto* raw = new RawConnection();
    raw->fd = fd;
    lws_adopt_desc_t desc{};
    desc.vh = vhost;
    desc.type = LWS_ADOPT_RAW_FILE_DESC;
    desc.fd.filefd = fd;
    desc.vh_prot_name = kAcceptorProtocol;
    desc.opaque = raw;
    raw->wsi = lws_adopt_descriptor_vhost_via_info(&desc);
    if (raw->wsi == nullptr) {
      Log::Warn("libwebsockets refused an accepted connection");
      delete raw;
      continue;
    }
    lws_set_timeout(raw->wsi, static_cast<pending_timeout>(kTimeoutReasonHead),
                    kHeadDeadlineSeconds);
  }
}

int Gateway::Impl::OnRawReadable(RawConnection* raw) {
  switch (raw->state) {
    case RawConnection::State::kReadingHead:
      return ReadHead(raw);
    case RawConnection::State::kWaitingConnect: {
      char buffer[16 * 1024];
      ssize_t n = recv(raw->fd, buffer, sizeof buffer, 0);
      if (n == 0) return -1;  // the client left while $connect ran
      if (n < 0) return (errno == EAGAIN || errno == EINTR) ? 0 : -1;
      raw->early.append(buffer, static_cast<size_t>(n));
      if (raw->early.size() > kMaxEarlyBytes) lws_rx_flow_control(raw->wsi, 0);
      return 0;
    }
    case RawConnection::State::kRejecting: {
      // Keep the receive queue empty so that close() sends FIN, not RST, after the refusal.
      char buffer[4096];
      ssize_t n = recv(raw->fd, buffer, sizeof buffer, 0);
      return n == 0 ? -1 : 0;
    }
    case RawConnection::State::kHandedOver:
      return -1;
  }
  return -1;
}

int Gateway::Impl::ReadHead(RawConnection* raw) {
  char buffer[kMaxHeadBytes + 1];
  ssize_t n = recv(raw->fd, buffer, sizeof buffer, MSG_PEEK);
  if (n == 0) return -1;
  if (n < 0) return (errno == EAGAIN || errno == EINTR) ? 0 : -1;
  std::string_view bytes(buffer, static_cast<size_t>(n));
  size_t head_end = FindHeadEnd(bytes);
  if (head_end == 0) {
    if (bytes.size() > kMaxHeadBytes) {
      while (recv(raw->fd, buffer, sizeof buffer, 0) > 0) {
      }
      Log::Warn("request head too large (431)",
                {Str("limit", std::to_string(kMaxHeadBytes) + " bytes")});
      Refuse(raw, 431, JsonMessageBody("Request header fields too large"));
      return 0;
    }
    // The bytes stay in the kernel, so a level-triggered poll would fire again at once:
    // pause reading and look again shortly.
    lws_rx_flow_control(raw->wsi, 0);
    lws_sul_schedule(
        context, 0, &raw->retry,
        [](lws_sorted_usec_list_t* sul) {
          auto* pending_raw = reinterpret_cast<RawConnection*>(
              reinterpret_cast<char*>(sul) - offsetof(RawConnection, retry));
          lws_rx_flow_control(pending_raw->wsi, 1);
        },
        kHeadRetryUs);
    return 0;
  }

  std::string parse_error;
  std::optional<HttpHead> head = ParseHttpHead(bytes.substr(0, head_end), &parse_error);
  if (std::optional<std::pair<int, std::string>> refusal = RefusalFor(head, parse_error)) {
    // Requests lws would drop without an answer get one here. Only the head is read; what
    // follows is drained while the refusal is written.
    Log::Warn("refused an HTTP request (" + std::to_string(refusal->first) + ")",
              {Str("reason", refusal->second)});
    Refuse(raw, refusal->first, JsonMessageBody(refusal->second));
    return 0;
  }
  if (!head->upgradeWebSocket) {
    // Plain HTTP (or something lws will refuse clearly): give lws the socket unread.
    int copy = fcntl(raw->fd, F_DUPFD_CLOEXEC, 0);
    if (copy >= 0 && lws_adopt_socket_vhost(vhost, copy) == nullptr) {
      Log::Warn("libwebsockets refused an HTTP connection");
    }
    raw->state = RawConnection::State::kHandedOver;
    return -1;
  }
  raw->head.resize(head_end);
  ssize_t consumed = recv(raw->fd, raw->head.data(), head_end, 0);
  if (consumed != static_cast<ssize_t>(head_end)) return -1;
  StartUpgrade(raw, *head);
  return 0;
}

const ApiConfig* Gateway::Impl::ApiForPath(const std::string& path) const {
  std::string decoded = PercentDecode(path, false);
  while (decoded.size() > 1 && decoded.back() == '/') decoded.pop_back();
  for (const ApiConfig& api : options.apis) {
    if (decoded == "/" + api.stage) return &api;
  }
  return nullptr;
}

void Gateway::Impl::StartUpgrade(RawConnection* raw, const HttpHead& head) {
  const ApiConfig* api = ApiForPath(head.path);
  if (api == nullptr) {
    std::string known;
    for (const ApiConfig& candidate : options.apis) {
      known += (known.empty() ? "" : ", ") + ("ws://" + DomainName() + "/" + candidate.stage);
    }
    Log::Warn("WebSocket upgrade for an unknown path (404)",
              {Str("path", head.path), Str("apis", known)});
    Refuse(raw, 404, JsonMessageBody("No WebSocket API at " + head.path + "; this gateway serves " +
                                     known));
    return;
  }
  std::optional<std::string> version = head.Header("Sec-WebSocket-Version");
  std::optional<std::string> key = head.Header("Sec-WebSocket-Key");
  if (!version || *version != "13") {
    // RFC 6455 §4.4: name the version this server speaks.
    Log::Warn("WebSocket upgrade with an unsupported version (426)",
              {Str("path", head.path), Str("version", version.value_or("(none)"))});
    Refuse(raw, 426, JsonMessageBody("WebSocket upgrade needs Sec-WebSocket-Version: 13"),
           "Sec-WebSocket-Version: 13\r\n");
    return;
  }
  if (!key || key->empty()) {
    Log::Warn("WebSocket upgrade without Sec-WebSocket-Key (400)", {Str("path", head.path)});
    Refuse(raw, 400, JsonMessageBody("WebSocket upgrade needs a Sec-WebSocket-Key"));
    return;
  }

  auto connection = std::make_unique<Connection>();
  connection->api = api;
  ConnectionContext& context_fields = connection->context;
  context_fields.connectionId = NewConnectionId();
  context_fields.connectedAtMs = NowMs();
  context_fields.sourceIp = PeerAddress(raw->fd);
  context_fields.userAgent = head.Header("User-Agent");
  context_fields.domainName = DomainName();
  context_fields.stage = api->stage;
  context_fields.apiId = api->apiId;

  raw->id = context_fields.connectionId;
  raw->state = RawConnection::State::kWaitingConnect;
  pending[raw->id] = raw;

  const FunctionConfig* function = api->FunctionFor("$connect");
  if (function == nullptr) {
    // Without a $connect route every handshake is accepted; the verdict still goes through
    // the queue because a raw wsi may not be killed from inside its own callback.
    std::string id = raw->id;
    auto owned = std::make_shared<std::unique_ptr<Connection>>(std::move(connection));
    Post([this, id, owned] {
      OnConnectVerdict(id, ConnectVerdict{}, std::move(*owned));
    });
    return;
  }

  ConnectRequest request;
  request.headers = head.headers;
  request.rawQuery = head.rawQuery;
  request.hasQuery = head.hasQuery;
  request.localPort = boundPort;
  EventIds ids{NewRequestId(), ""};
  Json::Value event = BuildConnectEvent(context_fields, request, ids, NowMs());
  lws_set_timeout(raw->wsi, static_cast<pending_timeout>(kTimeoutReasonConnect),
                  function->timeoutMs / 1000 + 5);
  std::string id = raw->id;
  auto owned = std::make_shared<std::unique_ptr<Connection>>(std::move(connection));
  Invoke(*function, event, [this, id, owned](InvokeOutcome outcome) {
    ConnectVerdict verdict = InterpretConnectResult(outcome);
    const Connection& c = **owned;
    std::vector<LogField> fields = {
        Str("event", "connect"),
        Str("connectionId", id),
        Str("routeKey", "$connect"),
        Str("function", c.api->FunctionFor("$connect")->name),
        Str("outcome", verdict.accepted()
                           ? "accepted " + std::to_string(verdict.httpStatus)
                           : "rejected " + std::to_string(verdict.httpStatus)),
        Num("latencyMs", outcome.latencyMs)};
    if (!verdict.reason.empty()) fields.push_back(Str("reason", verdict.reason));
    if (verdict.accepted() || outcome.kind == InvokeOutcome::Kind::kOk) {
      Log::Info("connect", fields);
    } else {
      Log::Warn("connect", fields);
    }
    OnConnectVerdict(id, verdict, std::move(*owned));
  });
}

void Gateway::Impl::Refuse(RawConnection* raw, int status, const std::string& body,
                           const std::string& headers) {
  raw->state = RawConnection::State::kRejecting;
  raw->response = ClosingResponse(status, body, headers);
  raw->responseSent = 0;
  lws_callback_on_writable(raw->wsi);
}

void Gateway::Impl::OnConnectVerdict(const std::string& id, const ConnectVerdict& verdict,
                                      std::unique_ptr<Connection> connection) {
  auto it = pending.find(id);
  if (it == pending.end()) {
    if (verdict.accepted()) {
      // The function accepted a client that had already left: it may have stored the id,
      // so it hears about the departure as it would for any accepted connection.
      Log::Info("client left before $connect answered", {Str("connectionId", id)});
      FireDisconnect(*connection->api, connection->context, 1006, kReasonAbnormal);
    }
    return;
  }
  RawConnection* raw = it->second;
  pending.erase(it);
  if (shuttingDown) {
    Refuse(raw, 503, JsonMessageBody("Service Unavailable"));
    return;
  }
  if (!verdict.accepted()) {
    std::string message = verdict.httpStatus >= 500 ? "Internal server error"
                                                     : ReasonPhrase(verdict.httpStatus);
    Refuse(raw, verdict.httpStatus, JsonMessageBody(message));
    return;
  }

  connection->subprotocol = verdict.subprotocol;
  std::string replay = WithoutSubprotocolHeader(raw->head) + raw->early;
  int copy = fcntl(raw->fd, F_DUPFD_CLOEXEC, 0);
  raw->state = RawConnection::State::kHandedOver;
  lws_set_timeout(raw->wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_SYNC);  // frees `raw`
  if (copy < 0) {
    Log::Error("dup failed while accepting a connection", {Str("error", strerror(errno))});
    FireDisconnect(*connection->api, connection->context, 1006, kReasonAbnormal);
    return;
  }
  Connection* accepted = connection.get();
  connections[id] = std::move(connection);
  upgradesByFd[copy] = id;
  // lws may run the whole upgrade (CONFIRM_UPGRADE ... ESTABLISHED) inside this call.
  if (lws_adopt_socket_vhost_readbuf(vhost, copy, replay.data(), replay.size()) == nullptr) {
    upgradesByFd.erase(copy);
    Log::Error("libwebsockets refused an accepted connection", {Str("connectionId", id)});
    if (accepted->state == Connection::State::kUpgrading) {
      FireDisconnect(*accepted->api, accepted->context, 1006, kReasonAbnormal);
      connections.erase(id);
    }
  }
}

int Gateway::Impl::OnRawWritable(RawConnection* raw) {
  if (raw->state != RawConnection::State::kRejecting) return 0;
  while (raw->responseSent < raw->response.size()) {
    ssize_t n = send(raw->fd, raw->response.data() + raw->responseSent,
                     raw->response.size() - raw->responseSent, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EAGAIN || errno == EINTR) {
        lws_callback_on_writable(raw->wsi);
        return 0;
      }
      return -1;
    }
    raw->responseSent += static_cast<size_t>(n);
  }
  return -1;  // lws close()s the fd: the client reads the response, then FIN
}

void Gateway::Impl::OnRawClosed(RawConnection* raw) {
  lws_sul_cancel(&raw->retry);
  if (!raw->id.empty()) {
    auto it = pending.find(raw->id);
    if (it != pending.end() && it->second == raw) pending.erase(it);
  }
  delete raw;
}

// --- WebSocket connections ------------------------------------------------------------------

int Gateway::Impl::CloseFromReceive(Connection* connection, int code, const std::string& reason,
                                     const std::string& why, std::vector<LogField> fields) {
  fields.insert(fields.begin(), Str("connectionId", connection->context.connectionId));
  Log::Warn(why + " (close " + std::to_string(code) + ")", fields);
  // Recorded before lws sends the close: the client may never acknowledge it, and neither the
  // idle timer nor anything else may replace the reason its $disconnect will carry.
  connection->closeRequested = true;
  connection->closeCode = code;
  connection->closeReason = reason;
  lws_close_reason(connection->wsi, static_cast<lws_close_status>(code),
                   reinterpret_cast<unsigned char*>(connection->closeReason.data()),
                   connection->closeReason.size());
  return -1;
}

int Gateway::Impl::OnReceive(Connection* connection, const char* data, size_t length) {
  lws* wsi = connection->wsi;
  const Limits& limits = connection->api->limits;
  if (connection->closeRequested) return 0;
  if (lws_frame_is_binary(wsi)) {
    return CloseFromReceive(connection, 1003, "Binary frames are not supported",
                            "binary frame refused: API Gateway WebSocket APIs accept only text "
                            "frames", {});
  }
  if (connection->frameRemaining == 0) {
    size_t frame = length + lws_remaining_packet_payload(wsi);
    if (frame > static_cast<size_t>(limits.maxFrameBytes)) {
      return CloseFromReceive(connection, 1009, "Frame size exceeded",
                              "frame larger than maxFrameBytes",
                              {Num("frameBytes", static_cast<long long>(frame)),
                               Num("maxFrameBytes", static_cast<long long>(limits.maxFrameBytes))});
    }
  }
  connection->frameRemaining = lws_remaining_packet_payload(wsi);
  connection->message.append(data, length);
  if (connection->message.size() > static_cast<size_t>(limits.maxMessageBytes)) {
    return CloseFromReceive(
        connection, 1009, "Message too big", "message larger than maxMessageBytes",
        {Num("maxMessageBytes", static_cast<long long>(limits.maxMessageBytes))});
  }
  connection->lastActiveMs = NowMs();
  if (lws_is_final_fragment(wsi)) {
    std::string body;
    body.swap(connection->message);
    if (!IsValidUtf8(body)) {
      return CloseFromReceive(connection, 1007, "Invalid UTF-8 in text message",
                              "text message that is not valid UTF-8", {});
    }
    Dispatch(connection, std::move(body));
  }
  return 0;
}

void Gateway::Impl::Dispatch(Connection* connection, std::string body) {
  const ApiConfig& api = *connection->api;
  std::string id = connection->context.connectionId;
  std::string request_id = NewRequestId();
  std::optional<std::string> route =
      SelectRoute(*api.routeSelection, api.RouteKeys(), body);
  if (!route) {
    Log::Info("message", {Str("event", "message"), Str("connectionId", id),
                          Str("routeKey", "-"), Str("function", "-"),
                          Str("outcome", "forbidden (no route matched and no $default)"),
                          Num("latencyMs", 0.0)});
    Send(connection, GatewayErrorFrame("Forbidden", id, request_id), false);
    return;
  }
  const RouteConfig* route_config = api.FindRoute(*route);
  const FunctionConfig* function = api.FunctionFor(*route);
  EventIds ids{request_id, NewMessageId()};
  Json::Value event = BuildMessageEvent(connection->context, *route, body, ids, NowMs());
  bool two_way = route_config->routeResponse;
  std::string function_name = function->name;
  std::string route_key = *route;
  Invoke(*function, event,
         [this, id, request_id, two_way, function_name, route_key](InvokeOutcome outcome) {
           MessageVerdict verdict = InterpretMessageResult(outcome, two_way);
           std::vector<LogField> fields = {
               Str("event", "message"), Str("connectionId", id), Str("routeKey", route_key),
               Str("function", function_name),
               Str("outcome", verdict.failed ? "error" : (verdict.reply ? "replied" : "ok")),
               Num("latencyMs", outcome.latencyMs)};
           if (verdict.failed) {
             fields.push_back(Str("reason", verdict.reason));
             Log::Warn("message", fields);
           } else {
             Log::Info("message", fields);
           }
           Connection* connection = FindConnection(id);
           if (connection == nullptr || connection->state != Connection::State::kOpen) return;
           if (verdict.failed) {
             Send(connection, GatewayErrorFrame("Internal server error", id, request_id), false);
           } else if (verdict.reply) {
             bool binary = !IsValidUtf8(*verdict.reply);  // isBase64Encoded bodies may be bytes
             Send(connection, std::move(*verdict.reply), binary);
           }
         });
}

void Gateway::Impl::Send(Connection* connection, std::string bytes, bool binary) {
  connection->outboundBytes += bytes.size();
  connection->outbound.push_back({std::move(bytes), binary});
  connection->lastActiveMs = NowMs();  // server pushes count as activity (AWS-NOTES §5.2)
  if (connection->wsi != nullptr) lws_callback_on_writable(connection->wsi);
}

int Gateway::Impl::OnWritable(Connection* connection) {
  lws* wsi = connection->wsi;
  if (!connection->outbound.empty()) {
    Connection::Outbound next = std::move(connection->outbound.front());
    connection->outbound.pop_front();
    connection->outboundBytes -= next.bytes.size();
    std::vector<unsigned char> buffer(LWS_PRE + next.bytes.size());
    std::memcpy(buffer.data() + LWS_PRE, next.bytes.data(), next.bytes.size());
    int written = lws_write(wsi, buffer.data() + LWS_PRE, next.bytes.size(),
                            next.binary ? LWS_WRITE_BINARY : LWS_WRITE_TEXT);
    if (written < static_cast<int>(next.bytes.size())) return -1;
    if (!connection->outbound.empty() || connection->closeRequested) {
      lws_callback_on_writable(wsi);
    }
    return 0;
  }
  if (connection->closeRequested) {
    lws_close_reason(wsi, static_cast<lws_close_status>(connection->closeCode),
                     reinterpret_cast<unsigned char*>(connection->closeReason.data()),
                     connection->closeReason.size());
    return -1;
  }
  return 0;
}

void Gateway::Impl::RequestClose(Connection* connection, int code, const std::string& reason) {
  if (connection->closeRequested) return;
  connection->closeRequested = true;
  connection->closeCode = code;
  connection->closeReason = reason;
  if (connection->wsi != nullptr) {
    lws_callback_on_writable(connection->wsi);
    // A client that stops reading never lets the queue (or the close frame) out: drop it after
    // a bounded wait. Its $disconnect still carries `code` and `reason`.
    lws_set_timeout(connection->wsi, static_cast<pending_timeout>(kTimeoutReasonClose),
                    kCloseDrainSeconds);
  }
}

void Gateway::Impl::ScheduleTimer(Connection* connection) {
  const Limits& limits = connection->api->limits;
  int64_t idle_deadline = connection->lastActiveMs + int64_t{limits.idleTimeoutSeconds} * 1000;
  int64_t life_deadline =
      connection->context.connectedAtMs + int64_t{limits.maxConnectionSeconds} * 1000;
  int64_t wait_ms = std::max<int64_t>(1, std::min(idle_deadline, life_deadline) - NowMs());
  lws_set_timer_usecs(connection->wsi, wait_ms * LWS_US_PER_MS);
}

void Gateway::Impl::OnTimer(Connection* connection) {
  const Limits& limits = connection->api->limits;
  int64_t now = NowMs();
  bool idle = now >= connection->lastActiveMs + int64_t{limits.idleTimeoutSeconds} * 1000;
  bool expired =
      now >= connection->context.connectedAtMs + int64_t{limits.maxConnectionSeconds} * 1000;
  if (idle || expired) {
    Log::Info(idle ? "idle timeout, closing (1001)" : "maximum connection duration, closing (1001)",
              {Str("connectionId", connection->context.connectionId)});
    RequestClose(connection, 1001, kReasonGoingAway);
    return;
  }
  ScheduleTimer(connection);
}

void Gateway::Impl::OnClosed(Connection* connection) {
  connection->state = Connection::State::kClosed;
  int code = 1006;
  std::string reason = kReasonAbnormal;
  if (connection->closeCode != 0) {
    code = connection->closeCode;
    reason = connection->closeReason;
  } else if (connection->peerClosed) {
    code = connection->peerCode;
    reason = connection->peerReason;
  }
  FireDisconnect(*connection->api, connection->context, code, reason);
  connections.erase(connection->context.connectionId);
  MaybeFinishShutdown();
}

void Gateway::Impl::FireDisconnect(const ApiConfig& api, const ConnectionContext& context,
                                   int code, const std::string& reason) {
  const FunctionConfig* function = api.FunctionFor("$disconnect");
  std::string id = context.connectionId;
  if (function == nullptr) {
    Log::Info("disconnect", {Str("event", "disconnect"), Str("connectionId", id),
                             Str("routeKey", "$disconnect"), Str("function", "-"),
                             Str("outcome", "no $disconnect route"), Num("latencyMs", 0.0),
                             Num("disconnectStatusCode", static_cast<long long>(code)),
                             Str("disconnectReason", reason)});
    return;
  }
  EventIds ids{NewRequestId(), ""};
  Json::Value event = BuildDisconnectEvent(context, code, reason, ids, NowMs());
  std::string function_name = function->name;
  Invoke(*function, event, [id, function_name, code, reason](InvokeOutcome outcome) {
    bool ok = outcome.kind == InvokeOutcome::Kind::kOk;
    std::vector<LogField> fields = {Str("event", "disconnect"), Str("connectionId", id),
                                    Str("routeKey", "$disconnect"), Str("function", function_name),
                                    Str("outcome", ok ? "ok" : ToString(outcome.kind)),
                                    Num("latencyMs", outcome.latencyMs),
                                    Num("disconnectStatusCode", static_cast<long long>(code)),
                                    Str("disconnectReason", reason)};
    if (!ok) fields.push_back(Str("reason", outcome.detail));
    Log::Write(ok ? LogLevel::kInfo : LogLevel::kWarn, "disconnect", fields);
  });
}

// --- Shutdown -------------------------------------------------------------------------------

void Gateway::Impl::BeginShutdown() {
  if (shuttingDown) return;
  shuttingDown = true;
  if (listenerWsi != nullptr) {
    lws_set_timeout(listenerWsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
  }
  for (auto& [id, raw] : pending) {
    (void)id;
    Refuse(raw, 503, JsonMessageBody("Service Unavailable"));
  }
  pending.clear();
  for (auto& [id, connection] : connections) {
    (void)id;
    if (connection->state == Connection::State::kOpen) {
      RequestClose(connection.get(), 1001, kReasonGoingAway);
    }
  }
  lws_sul_schedule(
      context, 0, &shutdownDeadline,
      [](lws_sorted_usec_list_t* sul) {
        auto* impl = reinterpret_cast<Gateway::Impl*>(reinterpret_cast<char*>(sul) -
                                                      offsetof(Gateway::Impl, shutdownDeadline));
        Log::Warn("shutdown grace period over; exiting with deliveries still pending",
                  {Num("invocationsInFlight", static_cast<long long>(impl->invocationsInFlight)),
                   Num("connections", static_cast<long long>(impl->connections.size()))});
        impl->finished = true;
        lws_cancel_service(impl->context);  // a sul callback alone does not end lws_service()
      },
      static_cast<lws_usec_t>(options.shutdownGraceMs) * LWS_US_PER_MS);
  MaybeFinishShutdown();
}

void Gateway::Impl::MaybeFinishShutdown() {
  if (shuttingDown && connections.empty() && invocationsInFlight == 0) {
    lws_sul_cancel(&shutdownDeadline);
    finished = true;
    lws_cancel_service(context);
  }
}

// --- Plain HTTP: @connections and everything else ---------------------------------------------

namespace {

std::string NewAmznRequestId() {
  uuid_t uuid;
  uuid_generate_random(uuid);
  char text[37];
  uuid_unparse_lower(uuid, text);
  return text;
}

std::string HttpMethod(lws* wsi) {
  static constexpr std::pair<lws_token_indexes, const char*> kMethods[] = {
      {WSI_TOKEN_GET_URI, "GET"},       {WSI_TOKEN_POST_URI, "POST"},
      {WSI_TOKEN_DELETE_URI, "DELETE"}, {WSI_TOKEN_PUT_URI, "PUT"},
      {WSI_TOKEN_PATCH_URI, "PATCH"},   {WSI_TOKEN_OPTIONS_URI, "OPTIONS"},
      {WSI_TOKEN_HEAD_URI, "HEAD"},
  };
  for (const auto& [token, name] : kMethods) {
    if (lws_hdr_total_length(wsi, token) > 0) return name;
  }
  return "UNKNOWN";
}

// Writes a whole response; returns what the HTTP callback should return.
int WriteHttpResponse(lws* wsi, int status, const std::string& content_type,
                      const std::vector<std::pair<std::string, std::string>>& headers,
                      const std::string& body) {
  std::vector<unsigned char> buffer(LWS_PRE + 4096 + body.size());
  unsigned char* start = buffer.data() + LWS_PRE;
  unsigned char* p = start;
  unsigned char* end = buffer.data() + buffer.size() - 1;
  if (lws_add_http_common_headers(wsi, static_cast<unsigned int>(status), content_type.c_str(),
                                  body.size(), &p, end)) {
    return -1;
  }
  for (const auto& [name, value] : headers) {
    std::string header = name + ":";
    if (lws_add_http_header_by_name(wsi, reinterpret_cast<const unsigned char*>(header.c_str()),
                                    reinterpret_cast<const unsigned char*>(value.data()),
                                    static_cast<int>(value.size()), &p, end)) {
      return -1;
    }
  }
  if (lws_finalize_http_header(wsi, &p, end)) return -1;
  std::memcpy(p, body.data(), body.size());
  p += body.size();
  if (lws_write(wsi, start, static_cast<size_t>(p - start), LWS_WRITE_HTTP_FINAL) < 0) return -1;
  return lws_http_transaction_completed(wsi) ? -1 : 0;
}

// A management API answer: AWS puts the error's type in x-amzn-ErrorType, which is what every
// SDK reads to name the exception (AWS-NOTES §4.3).
int WriteAwsResponse(lws* wsi, int status, const std::string& error_type, const std::string& body) {
  std::vector<std::pair<std::string, std::string>> headers = {
      {"x-amzn-RequestId", NewAmznRequestId()}};
  if (!error_type.empty()) headers.emplace_back("x-amzn-ErrorType", error_type);
  return WriteHttpResponse(wsi, status, "application/json", headers, body);
}

}  // namespace

int Gateway::Impl::OnHttp(lws* wsi, const char* uri) {
  std::string path = uri == nullptr ? "/" : uri;
  std::string method = HttpMethod(wsi);
  std::optional<ManagementTarget> target = ParseManagementPath(path, /*decode=*/false);
  if (!target) {
    if (!options.webRoot.empty() && (method == "GET" || method == "HEAD")) {
      std::string file_path = path.substr(0, path.find('?'));
      if (std::optional<StaticFile> file = LoadStaticFile(options.webRoot, file_path)) {
        return WriteHttpResponse(wsi, 200, file->contentType, {{"Cache-Control", "no-cache"}},
                                 method == "HEAD" ? std::string() : file->body);
      }
    }
    Log::Debug("http 404", {Str("method", method), Str("path", path)});
    return WriteHttpResponse(wsi, 404, "application/json", {},
                             JsonMessageBody("Not Found: " + path +
                                             " (WebSocket clients connect to /STAGE; the "
                                             "management API is /STAGE/@connections/ID)"));
  }
  HttpRequest& request = httpRequests[wsi];
  request.method = method;
  request.target = *target;
  if (method == "POST") return 0;  // answered at HTTP_BODY_COMPLETION
  return AnswerManagement(wsi);
}

int Gateway::Impl::OnHttpBody(lws* wsi, const char* data, size_t length) {
  auto it = httpRequests.find(wsi);
  if (it == httpRequests.end()) return 0;
  HttpRequest& request = it->second;
  if (request.body.size() + length > kMaxPostBytes) {
    request.tooLarge = true;
  } else {
    request.body.append(data, length);
  }
  return 0;
}

int Gateway::Impl::OnHttpBodyComplete(lws* wsi) {
  if (httpRequests.find(wsi) == httpRequests.end()) return 0;
  return AnswerManagement(wsi);
}

int Gateway::Impl::AnswerManagement(lws* wsi) {
  HttpRequest request = std::move(httpRequests[wsi]);
  httpRequests.erase(wsi);
  const std::string& id = request.target.connectionId;
  std::vector<LogField> fields = {Str("event", "management"), Str("method", request.method),
                                  Str("connectionId", id)};

  const ApiConfig* api = nullptr;
  if (request.target.stage) {
    for (const ApiConfig& candidate : options.apis) {
      if (candidate.stage == *request.target.stage) api = &candidate;
    }
    if (api == nullptr) {
      fields.push_back(Str("outcome", "404 unknown stage " + *request.target.stage));
      Log::Info("management", fields);
      return WriteAwsResponse(wsi, 404, "NotFoundException",
                              JsonMessageBody("No API at stage " + *request.target.stage));
    }
  }
  if (request.method != "POST" && request.method != "GET" && request.method != "DELETE") {
    fields.push_back(Str("outcome", "405"));
    Log::Info("management", fields);
    return WriteAwsResponse(wsi, 405, "MethodNotAllowedException",
                            JsonMessageBody("@connections accepts POST, GET and DELETE, not " +
                                            request.method));
  }
  Connection* connection = FindConnection(id);
  if (connection != nullptr && api != nullptr && connection->api != api) connection = nullptr;
  if (connection == nullptr || connection->state != Connection::State::kOpen ||
      connection->closeRequested) {
    // A connection still in its $connect is not there yet, as on AWS (AWS-NOTES §4.3).
    fields.push_back(Str("outcome", "410 gone"));
    Log::Info("management", fields);
    return WriteAwsResponse(wsi, 410, "GoneException", "");
  }

  if (request.method == "GET") {
    Json::Value body(Json::objectValue);
    body["connectedAt"] = Iso8601Millis(connection->context.connectedAtMs);
    body["identity"]["sourceIp"] = connection->context.sourceIp;
    if (connection->context.userAgent) {
      body["identity"]["userAgent"] = *connection->context.userAgent;
    }
    body["lastActiveAt"] = Iso8601Millis(connection->lastActiveMs);
    Json::StreamWriterBuilder builder;
    builder["indentation"] = "";
    fields.push_back(Str("outcome", "200"));
    Log::Debug("management", fields);
    return WriteAwsResponse(wsi, 200, "", Json::writeString(builder, body));
  }
  if (request.method == "DELETE") {
    RequestClose(connection, 1000, kReasonDeleted);
    fields.push_back(Str("outcome", "204"));
    Log::Info("management", fields);
    return WriteAwsResponse(wsi, 204, "", "");
  }
  size_t limit = static_cast<size_t>(connection->api->limits.maxMessageBytes);
  if (request.tooLarge || request.body.size() > limit) {
    fields.push_back(Str("outcome", "413 payload too large"));
    Log::Info("management", fields);
    return WriteAwsResponse(wsi, 413, "PayloadTooLargeException",
                            JsonMessageBody("Request entity too large: PostToConnection data is "
                                            "limited to " + std::to_string(limit) + " bytes"));
  }
  if (connection->outboundBytes + request.body.size() > kMaxOutboundBytes) {
    fields.push_back(Str("outcome", "429 client buffer full"));
    Log::Warn("management", fields);
    return WriteAwsResponse(wsi, 429, "LimitExceededException",
                            JsonMessageBody("The client is not reading: " +
                                            std::to_string(connection->outboundBytes) +
                                            " bytes are waiting to be sent to it"));
  }
  bool binary = !IsValidUtf8(request.body);
  Send(connection, std::move(request.body), binary);
  fields.push_back(Str("outcome", "200"));
  Log::Debug("management", fields);
  return WriteAwsResponse(wsi, 200, "", "");
}

void Gateway::Impl::ForgetHttpRequest(lws* wsi) { httpRequests.erase(wsi); }

// --- Gateway --------------------------------------------------------------------------------

Gateway::Gateway(GatewayOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {}
Gateway::~Gateway() = default;
bool Gateway::Start(std::string* error) { return impl_->Start(error); }
void Gateway::Run() { impl_->Run(); }
int Gateway::port() const { return impl_->boundPort; }
std::string Gateway::host() const { return impl_->options.host; }
const std::vector<ApiConfig>& Gateway::apis() const { return impl_->options.apis; }

}  // namespace wsgw
