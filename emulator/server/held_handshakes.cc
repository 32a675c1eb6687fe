#include "server/held_handshakes.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <utility>

#include "base/http_request_reader.h"
#include "base/log.h"
#include "server/http_responses.h"

namespace wsgw {
namespace {

inline constexpr size_t kMaxEarlyBytes = 256 * 1024;
inline constexpr int kHeadDeadlineSeconds = 10;
inline constexpr lws_usec_t kHeadRetryUs = 5 * 1000;
inline constexpr int kTimeoutReasonHead = PENDING_TIMEOUT_USER_REASON_BASE + 1;
inline constexpr int kTimeoutReasonConnect = PENDING_TIMEOUT_USER_REASON_BASE + 2;

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

HeldHandshakes::~HeldHandshakes() {
  // lws closes (and OnClosed frees) every handshake it still holds when its context goes; these
  // are the ones it was never given.
  for (auto& [id, held] : waiting_) delete held;
}

void HeldHandshakes::AcceptAll(int listen_fd, bool services_only) {
  while (true) {
    int fd = accept4(listen_fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
        Log::Warn("accept failed", {Str("error", strerror(errno))});
      }
      return;
    }
    if (server_.shuttingDown) {
      close(fd);
      continue;
    }
    // lws never sets this on sockets it adopts; without it a reply can wait for the client's
    // next packet (Nagle), adding tens of milliseconds under load.
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    Adopt(fd, services_only, "", false);
  }
}

bool HeldHandshakes::Adopt(int fd, bool services_only, const std::string& peer, bool secure) {
  auto* held = new HeldHandshake(*this, fd, services_only, peer, secure);
  held->wsi_ = server_.AdoptRaw(fd, held);
  if (held->wsi_ == nullptr) {
    Log::Warn("libwebsockets refused an accepted connection");
    delete held;
    return false;
  }
  lws_set_timeout(held->wsi_, static_cast<pending_timeout>(kTimeoutReasonHead),
                  kHeadDeadlineSeconds);
  return true;
}

void HeldHandshakes::AdoptTunneled(int fd, bool services_only, const std::string& peer) {
  Adopt(fd, services_only, peer, true);
}

int HeldHandshakes::StartTls(HeldHandshake* held) {
  held->state_ = HeldHandshake::State::kHandedOver;
  if (tls_ == nullptr || !tls_->enabled()) {
    Log::Warn("refused a TLS connection: TLS is off (--no-tls); use ws:// or http://",
              {Str("sourceIp", PeerAddress(held->fd_))});
    // Read what the client sent so that close() sends FIN, not RST.
    char buffer[4096];
    while (recv(held->fd_, buffer, sizeof buffer, 0) > 0) {
    }
    return -1;
  }
  int copy = server_.CopyForLws(held->fd_);
  if (copy < 0) {
    Log::Error("dup failed while accepting a TLS connection", {Str("error", strerror(errno))});
    return -1;
  }
  tls_->Start(copy, held->servicesOnly_, PeerAddress(held->fd_));
  return -1;  // lws closes the original descriptor with its raw wsi
}

int HeldHandshake::OnReadable() {
  switch (state_) {
    case State::kReadingHead:
      return ReadHead();
    case State::kWaitingConnect: {
      char buffer[16 * 1024];
      ssize_t n = recv(fd_, buffer, sizeof buffer, 0);
      if (n == 0) return -1;  // the client left while $connect ran
      if (n < 0) return (errno == EAGAIN || errno == EINTR) ? 0 : -1;
      early_.append(buffer, static_cast<size_t>(n));
      if (early_.size() > kMaxEarlyBytes) lws_rx_flow_control(wsi_, 0);
      return 0;
    }
    case State::kRejecting: {
      // Keep the receive queue empty so that close() sends FIN, not RST, after the refusal.
      char buffer[4096];
      ssize_t n = recv(fd_, buffer, sizeof buffer, 0);
      return n == 0 ? -1 : 0;
    }
    case State::kServingHttp:
      return http_->OnReadable();
    case State::kHandedOver:
      return -1;
  }
  return -1;
}

int HeldHandshake::ReadHead() {
  const HttpLimits limits;
  char buffer[16 * 1024 + 1];
  static_assert(sizeof buffer > HttpLimits{}.maxHeadBytes);
  ssize_t n = recv(fd_, buffer, sizeof buffer, MSG_PEEK);
  if (n == 0) return -1;
  if (n < 0) return (errno == EAGAIN || errno == EINTR) ? 0 : -1;
  // 0x16 opens a TLS handshake record; no HTTP method starts with it.
  if (!secure_ && static_cast<unsigned char>(buffer[0]) == 0x16) return owner_.StartTls(this);
  std::string_view bytes(buffer, static_cast<size_t>(n));
  if (std::optional<HttpRefusal> refusal = CheckHeadSize(bytes, limits)) {
    while (recv(fd_, buffer, sizeof buffer, 0) > 0) {
    }
    Log::Warn("refused an HTTP request (" + std::to_string(refusal->status) + ")",
              {Str("reason", refusal->reason)});
    Refuse(refusal->status, JsonMessageBody(refusal->reason));
    return 0;
  }
  size_t head_end = FindHeadEnd(bytes);
  if (head_end == 0) {
    // The bytes stay in the kernel, so a level-triggered poll would fire again at once:
    // pause reading and look again shortly.
    lws_rx_flow_control(wsi_, 0);
    retry_.Schedule(owner_.server_.context, kHeadRetryUs);
    return 0;
  }

  std::string parse_error;
  std::optional<HttpHead> head = ParseHttpHead(bytes.substr(0, head_end), &parse_error);
  std::optional<HttpRefusal> refusal;
  uint64_t content_length = 0;
  if (!head) {
    refusal.emplace(400, parse_error);
  } else {
    refusal = CheckHead(bytes.substr(0, head_end), *head, &content_length);
  }
  if (!refusal && head->upgradeWebSocket && content_length > 0) {
    refusal.emplace(413, "a WebSocket upgrade has no body; this one announces Content-Length " +
                             std::to_string(content_length));
  }
  if (refusal) {
    // Only the head is read; what follows is drained while the refusal is written.
    Log::Warn("refused an HTTP request (" + std::to_string(refusal->status) + ")",
              {Str("reason", refusal->reason)});
    Refuse(refusal->status, JsonMessageBody(refusal->reason));
    return 0;
  }
  if (servicesOnly_) {
    if (std::optional<std::string> refusal = owner_.ServicesOnlyRefusal(*head)) {
      Log::Warn("refused a request on the services-only port (404)", {Str("path", head->path)});
      Refuse(404, JsonMessageBody(*refusal));
      return 0;
    }
  }
  if (!head->upgradeWebSocket) {
    // Plain HTTP: this connection's requests, the first one included (it is still unread), are
    // read and answered here from now on.
    if (owner_.httpRoutes_ == nullptr) return -1;
    retry_.Cancel();
    state_ = State::kServingHttp;
    HttpConnection::Screen screen;
    if (servicesOnly_) {
      HeldHandshakes* owner = &owner_;
      screen = [owner](const HttpHead& next) { return owner->ServicesOnlyRefusal(next); };
    }
    http_ = std::make_unique<HttpConnection>(wsi_, fd_, *owner_.httpRoutes_,
                                             peer_.empty() ? PeerAddress(fd_) : peer_, secure_,
                                             std::move(screen));
    return http_->OnReadable();
  }
  head_.resize(head_end);
  ssize_t consumed = recv(fd_, head_.data(), head_end, 0);
  if (consumed != static_cast<ssize_t>(head_end)) return -1;
  owner_.StartUpgrade(this, *head);
  return 0;
}

std::optional<std::string> HeldHandshakes::ServicesOnlyRefusal(const HttpHead& head) const {
  if (!head.upgradeWebSocket && head.method == "POST" && head.Header("X-Amz-Target")) {
    return std::nullopt;
  }
  std::string names;
  for (const AwsJsonService& service : server_.options.awsServices) {
    names += (names.empty() ? "" : ", ") + service.targetPrefix + "*";
  }
  return "This port serves only AWS API requests (POST with X-Amz-Target: " + names +
         "); WebSocket APIs and @connections are at http://" + server_.DomainName() + "/";
}

void HeldHandshakes::StartUpgrade(HeldHandshake* held, const HttpHead& head) {
  const ApiConfig* api = server_.ApiForPath(head.path);
  if (api == nullptr) {
    std::string known;
    for (const ApiConfig& candidate : server_.options.apis) {
      known += (known.empty() ? "" : ", ") + ("ws://" + server_.DomainName() + "/" + candidate.stage);
    }
    Log::Warn("WebSocket upgrade for an unknown path (404)",
              {Str("path", head.path), Str("apis", known)});
    held->Refuse(404,
                 JsonMessageBody("No WebSocket API at " + head.path + "; this gateway serves " + known));
    return;
  }
  std::optional<std::string> version = head.Header("Sec-WebSocket-Version");
  std::optional<std::string> key = head.Header("Sec-WebSocket-Key");
  if (!version || *version != "13") {
    // RFC 6455 §4.4: name the version this server speaks.
    Log::Warn("WebSocket upgrade with an unsupported version (426)",
              {Str("path", head.path), Str("version", version.value_or("(none)"))});
    held->Refuse(426, JsonMessageBody("WebSocket upgrade needs Sec-WebSocket-Version: 13"),
                 "Sec-WebSocket-Version: 13\r\n");
    return;
  }
  if (!key || key->empty()) {
    Log::Warn("WebSocket upgrade without Sec-WebSocket-Key (400)", {Str("path", head.path)});
    held->Refuse(400, JsonMessageBody("WebSocket upgrade needs a Sec-WebSocket-Key"));
    return;
  }

  ConnectRequest request;
  request.headers = head.headers;
  request.rawQuery = head.rawQuery;
  request.hasQuery = head.hasQuery;
  request.localPort = server_.boundPort;
  request.secure = held->secure_;
  const RouteConfig* connect_route = api->FindRoute("$connect");
  const AuthorizerConfig* authorizer =
      connect_route != nullptr && connect_route->authorizer ? &*connect_route->authorizer : nullptr;
  if (authorizer != nullptr) {
    if (std::optional<std::string> missing =
            MissingIdentitySource(authorizer->identitySources, request)) {
      // API Gateway answers this itself, without calling the authorizer (AWS-NOTES §6).
      Log::Warn("authorizer " + authorizer->name + ": identity source " + *missing +
                    " is missing or empty -> 401 (authorizer not called)",
                {Str("event", "authorize"), Str("path", head.path),
                 Str("authorizer", authorizer->name), Str("outcome", "rejected 401")});
      held->Refuse(401, JsonMessageBody(ReasonPhrase(401)));
      return;
    }
  }

  auto session = std::make_unique<Session>();
  session->api = api;
  ConnectionContext& context_fields = session->context;
  context_fields.connectionId = NewConnectionId();
  context_fields.connectedAtMs = NowMs();
  context_fields.sourceIp = held->peer_.empty() ? PeerAddress(held->fd_) : held->peer_;
  context_fields.userAgent = head.Header("User-Agent");
  context_fields.domainName = server_.DomainName();
  context_fields.stage = api->stage;
  context_fields.apiId = api->apiId;

  held->id_ = context_fields.connectionId;
  held->state_ = HeldHandshake::State::kWaitingConnect;
  waiting_[held->id_] = held;

  const FunctionConfig* function = api->FunctionFor("$connect");
  if (function == nullptr) {
    // Without a $connect route every handshake is accepted; the verdict still goes through
    // the queue because a raw wsi may not be killed from inside its own callback.
    std::string id = held->id_;
    auto owned = std::make_shared<std::unique_ptr<Session>>(std::move(session));
    server_.Post([this, id, owned] { OnConnectVerdict(id, ConnectVerdict{}, std::move(*owned)); });
    return;
  }
  EventIds ids{NewRequestId(), ""};
  if (authorizer != nullptr) {
    Authorize(held, *authorizer, std::move(session), std::move(request), ids);
    return;
  }
  InvokeConnect(held, std::move(session), request, ids);
}

namespace {

// The methodArn's region and account: the gateway's AWS_REGION (the one its functions get), and
// the account id the template import also uses for AWS::AccountId.
std::string MethodArnRegion() {
  const char* region = std::getenv("AWS_REGION");
  return region != nullptr && *region != '\0' ? region : "us-east-1";
}
constexpr char kMethodArnAccount[] = "123456789012";

}  // namespace

void HeldHandshakes::Authorize(HeldHandshake* held, const AuthorizerConfig& authorizer,
                               std::unique_ptr<Session> session, ConnectRequest request,
                               const EventIds& ids) {
  const ApiConfig& api = *session->api;
  const FunctionConfig& function = api.functions.at(authorizer.function);
  const FunctionConfig& connect = *api.FunctionFor("$connect");
  std::string method_arn =
      ConnectMethodArn(MethodArnRegion(), kMethodArnAccount, api.apiId, api.stage);
  Json::Value event = BuildAuthorizerEvent(session->context, request, method_arn, ids, NowMs());
  // The handshake waits for both functions.
  lws_set_timeout(held->wsi_, static_cast<pending_timeout>(kTimeoutReasonConnect),
                  function.timeoutMs / 1000 + connect.timeoutMs / 1000 + 5);
  std::string id = held->id_;
  std::string name = authorizer.name;
  auto owned = std::make_shared<std::unique_ptr<Session>>(std::move(session));
  auto owned_request = std::make_shared<ConnectRequest>(std::move(request));
  server_.Invoke(
      function, event,
      [this, id, name, method_arn, owned, owned_request, ids,
       function_name = function.name](InvokeOutcome outcome) {
        AuthorizerVerdict verdict = InterpretAuthorizerResult(outcome, method_arn);
        const std::string status = std::to_string(verdict.httpStatus);
        std::vector<LogField> fields = {
            Str("event", "authorize"),
            Str("connectionId", id),
            Str("routeKey", "$connect"),
            Str("function", function_name),
            Str("outcome", verdict.allowed() ? "allowed" : "rejected " + status),
            Num("latencyMs", outcome.latencyMs)};
        if (!verdict.allowed()) {
          fields.push_back(Str("reason", verdict.reason));
          Log::Warn("authorizer " + name + ": " + verdict.reason + " -> " + status, fields);
          ConnectVerdict refused;
          refused.httpStatus = verdict.httpStatus;
          refused.reason = verdict.reason;
          OnConnectVerdict(id, refused, std::move(*owned));
          return;
        }
        fields.push_back(Str("principalId", verdict.authorizer["principalId"]));
        Log::Info("authorizer " + name + ": allowed", fields);
        auto it = waiting_.find(id);
        if (it == waiting_.end()) {
          // The client left (or the gateway is stopping) while the authorizer ran: $connect never
          // runs, so there is no $disconnect either.
          Log::Info("connection gone before the authorizer answered; $connect not called",
                    {Str("connectionId", id)});
          return;
        }
        Session& session = **owned;
        session.context.authorizer = std::move(verdict.authorizer);
        session.context.authorizerLatencyMs = static_cast<int64_t>(outcome.latencyMs + 0.5);
        InvokeConnect(it->second, std::move(*owned), *owned_request, ids);
      });
}

void HeldHandshakes::InvokeConnect(HeldHandshake* held, std::unique_ptr<Session> session,
                                   const ConnectRequest& request, const EventIds& ids) {
  const FunctionConfig* function = session->api->FunctionFor("$connect");
  if (function == nullptr) {
    // A reload took $connect away while the authorizer ran: accepted, as without the route.
    std::string id = held->id_;
    auto owned = std::make_shared<std::unique_ptr<Session>>(std::move(session));
    server_.Post([this, id, owned] { OnConnectVerdict(id, ConnectVerdict{}, std::move(*owned)); });
    return;
  }
  Json::Value event = BuildConnectEvent(session->context, request, ids, NowMs());
  lws_set_timeout(held->wsi_, static_cast<pending_timeout>(kTimeoutReasonConnect),
                  function->timeoutMs / 1000 + 5);
  std::string id = held->id_;
  auto owned = std::make_shared<std::unique_ptr<Session>>(std::move(session));
  // By name: a reload may change the API's functions before the answer comes.
  server_.Invoke(*function, event, [this, id, owned, function_name = function->name](
                                       InvokeOutcome outcome) {
    ConnectVerdict verdict = InterpretConnectResult(outcome);
    std::vector<LogField> fields = {
        Str("event", "connect"),
        Str("connectionId", id),
        Str("routeKey", "$connect"),
        Str("function", function_name),
        Str("outcome", verdict.accepted() ? "accepted " + std::to_string(verdict.httpStatus)
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

void HeldHandshake::Refuse(int status, const std::string& body, const std::string& headers) {
  state_ = State::kRejecting;
  response_ = ClosingResponse(status, body, headers);
  responseSent_ = 0;
  lws_callback_on_writable(wsi_);
}

void HeldHandshakes::RefuseAllWaiting() {
  for (auto& [id, held] : waiting_) {
    (void)id;
    held->Refuse(503, JsonMessageBody("Service Unavailable"));
  }
  waiting_.clear();
}

void HeldHandshakes::OnConnectVerdict(const std::string& id, const ConnectVerdict& verdict,
                                      std::unique_ptr<Session> session) {
  auto it = waiting_.find(id);
  if (it == waiting_.end()) {
    if (verdict.accepted()) {
      // The function accepted a client that had already left: it may have stored the id,
      // so it hears about the departure as it would for any accepted connection.
      Log::Info("client left before $connect answered", {Str("connectionId", id)});
      sessions_.FireDisconnect(*session->api, session->context, 1006, kReasonAbnormal);
    }
    return;
  }
  HeldHandshake* held = it->second;
  waiting_.erase(it);
  if (server_.shuttingDown) {
    held->Refuse(503, JsonMessageBody("Service Unavailable"));
    return;
  }
  if (!verdict.accepted()) {
    std::string message =
        verdict.httpStatus >= 500 ? "Internal server error" : ReasonPhrase(verdict.httpStatus);
    held->Refuse(verdict.httpStatus, JsonMessageBody(message));
    return;
  }

  session->subprotocol = verdict.subprotocol;
  std::string head = WithoutSubprotocolHeader(held->head_);
  std::string early = held->early_;
  int copy = server_.CopyForLws(held->fd_);
  held->state_ = HeldHandshake::State::kHandedOver;
  lws_set_timeout(held->wsi_, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_SYNC);  // frees `held`
  if (copy < 0) {
    Log::Error("dup failed while accepting a connection", {Str("error", strerror(errno))});
    sessions_.FireDisconnect(*session->api, session->context, 1006, kReasonAbnormal);
    return;
  }
  Session* accepted = sessions_.AddUpgrading(std::move(session), copy, &early);
  std::string replay = head + early;
  // lws may run the whole upgrade (CONFIRM_UPGRADE ... ESTABLISHED) inside this call.
  if (lws_adopt_socket_vhost_readbuf(server_.vhost, copy, replay.data(), replay.size()) ==
      nullptr) {
    Log::Error("libwebsockets refused an accepted connection", {Str("connectionId", id)});
    sessions_.AbandonUpgrade(accepted, copy);
  }
}

int HeldHandshake::OnWritable() {
  if (state_ == State::kServingHttp) return http_->OnWritable();
  if (state_ != State::kRejecting) return 0;
  while (responseSent_ < response_.size()) {
    ssize_t n = send(fd_, response_.data() + responseSent_, response_.size() - responseSent_,
                     MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EAGAIN || errno == EINTR) {
        lws_callback_on_writable(wsi_);
        return 0;
      }
      return -1;
    }
    responseSent_ += static_cast<size_t>(n);
  }
  return -1;  // lws close()s the fd: the client reads the response, then FIN
}

void HeldHandshake::OnClosed() { owner_.OnClosed(this); }

void HeldHandshakes::OnClosed(HeldHandshake* held) {
  held->retry_.Cancel();
  if (!held->id_.empty()) {
    auto it = waiting_.find(held->id_);
    if (it != waiting_.end() && it->second == held) waiting_.erase(it);
  }
  delete held;
}

}  // namespace wsgw
