#include "server/gateway_impl.h"

namespace wsgw {

namespace {

std::string ClosingResponse(int status, const std::string& body, const std::string& headers) {
  std::string response =
      "HTTP/1.1 " + std::to_string(status) + " " + ReasonPhrase(status) +
      "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
      "\r\n" + headers + "Connection: close\r\n\r\n";
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
                                           "Transfer-Encoding: ") +
                                   *encoding);
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
    // lws never sets this on sockets it adopts; without it a reply can wait for the client's
    // next packet (Nagle), adding tens of milliseconds under load.
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
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

int Gateway::Impl::CopyForLws(int fd) {
  if (eventLoop != nullptr) eventLoop->ForgetDescriptor(fd);
  return fcntl(fd, F_DUPFD_CLOEXEC, 0);
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
          auto* pending_raw = reinterpret_cast<RawConnection*>(reinterpret_cast<char*>(sul) -
                                                               offsetof(RawConnection, retry));
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
    int copy = CopyForLws(raw->fd);
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
    Refuse(raw, 404,
           JsonMessageBody("No WebSocket API at " + head.path + "; this gateway serves " + known));
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
    Post([this, id, owned] { OnConnectVerdict(id, ConnectVerdict{}, std::move(*owned)); });
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
    std::string message =
        verdict.httpStatus >= 500 ? "Internal server error" : ReasonPhrase(verdict.httpStatus);
    Refuse(raw, verdict.httpStatus, JsonMessageBody(message));
    return;
  }

  connection->subprotocol = verdict.subprotocol;
  std::string replay = WithoutSubprotocolHeader(raw->head) + raw->early;
  int copy = CopyForLws(raw->fd);
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

}  // namespace wsgw
