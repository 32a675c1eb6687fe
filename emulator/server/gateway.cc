#include "server/gateway_impl.h"

namespace wsgw {

int64_t NowMs() { return NowEpochMillis(); }

const char* ReasonPhrase(int status) {
  switch (status) {
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 410:
      return "Gone";
    case 413:
      return "Payload Too Large";
    case 411:
      return "Length Required";
    case 426:
      return "Upgrade Required";
    case 429:
      return "Too Many Requests";
    case 431:
      return "Request Header Fields Too Large";
    case 500:
      return "Internal Server Error";
    case 502:
      return "Bad Gateway";
    case 503:
      return "Service Unavailable";
    case 504:
      return "Gateway Timeout";
    default:
      return status >= 200 && status < 300 ? "OK" : "Error";
  }
}

std::string JsonMessageBody(const std::string& message) {
  Json::Value body(Json::objectValue);
  body["message"] = message;
  return CompactJson(body);
}

// A complete HTTP/1.1 response that closes the connection (for handshakes refused before lws
// ever sees them).

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
      if (opaque == &impl->invokerMarker) {
        if (impl->invoker != nullptr) impl->invoker->OnReadable();
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
      if (opaque == nullptr || opaque == &impl->listenerMarker || opaque == &impl->signalMarker ||
          opaque == &impl->invokerMarker) {
        return 0;
      }
      return impl->OnRawWritable(static_cast<RawConnection*>(opaque));
    case LWS_CALLBACK_RAW_CLOSE_FILE:
      if (opaque == &impl->listenerMarker) {
        impl->listenerWsi = nullptr;
        return 0;
      }
      if (opaque == nullptr || opaque == &impl->signalMarker || opaque == &impl->invokerMarker) {
        return 0;
      }
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
      Connection* accepted =
          it == impl->upgradesByFd.end() ? nullptr : impl->FindConnection(it->second);
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
      if (lws_add_http_header_by_name(
              wsi, reinterpret_cast<const unsigned char*>("Sec-WebSocket-Protocol:"),
              reinterpret_cast<const unsigned char*>(value.data()), static_cast<int>(value.size()),
              &p, end)) {
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
        impl->ForgetDeadline(connection);
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
  invoker.reset();  // no completion may arrive after this point; its timer is not touched again
  lws_sul_cancel(&invokeTimer.sul);
  lws_sul_cancel(&deadlineTimer.sul);
  if (context != nullptr) lws_context_destroy(context);
  eventLoop.reset();  // after lws has stopped its watchers on it
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
      boundPort =
          ntohs(bound.ss_family == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port
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
  // API Gateway never pings a client (AWS-NOTES §5.5); lws by default pings every connection
  // after 300 s and hangs up on one that does not answer within 10 s. A policy without validity
  // times turns that off (and keeps a 5-minute timer per connection out of lws's timer list).
  static const lws_retry_bo_t kNoPings = {};
  info.retry_and_idle_policy = &kNoPings;
  context = CreateContext(&info);
  if (context == nullptr) {
    *error = "libwebsockets could not create its context";
    return false;
  }
  vhost = lws_get_vhost_by_name(context, "default");
  if (vhost == nullptr) {
    *error = "libwebsockets created no default vhost";
    return false;
  }

  invoker = std::make_unique<InvokeEngine>([this](long ms) {
    if (ms < 0) {
      lws_sul_cancel(&invokeTimer.sul);
      return;
    }
    lws_sul_schedule(
        context, 0, &invokeTimer.sul,
        [](lws_sorted_usec_list_t* sul) {
          Gateway::Impl* impl = GatewayTimer::OwnerOf(sul);
          if (impl->invoker != nullptr) impl->invoker->OnTimeout();
        },
        static_cast<lws_usec_t>(ms) * LWS_US_PER_MS);
  });
  // lws closes what it adopts; the engine closes its own descriptor.
  int invoker_fd = fcntl(invoker->fd(), F_DUPFD_CLOEXEC, 0);

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
  lws_adopt_desc_t invoker_desc = listener;
  invoker_desc.fd.filefd = invoker_fd;
  invoker_desc.opaque = &invokerMarker;
  if (invoker_fd < 0 || lws_adopt_descriptor_vhost_via_info(&invoker_desc) == nullptr) {
    if (invoker_fd >= 0) close(invoker_fd);
    *error = "libwebsockets refused the function client's descriptor";
    return false;
  }
  return true;
}

lws_context* Gateway::Impl::CreateContext(lws_context_creation_info* info) {
  // WSGW_EVENT_LOOP=poll keeps lws's own poll() loop: for troubleshooting, and so that CI runs
  // the fallback the gateway takes when the libev plugin is missing.
  const char* choice = std::getenv("WSGW_EVENT_LOOP");
  if (choice != nullptr && std::string_view(choice) == "poll") {
    Log::Info("running on poll() (WSGW_EVENT_LOOP=poll)");
    return lws_create_context(info);
  }
  std::string why;
  eventLoop = EventLoop::Create(&why);
  if (eventLoop != nullptr) {
    lws_context_creation_info with_libev = *info;
    eventLoop->UseIn(&with_libev);
    if (lws_context* created = lws_create_context(&with_libev)) return created;
    eventLoop.reset();
    why = "libwebsockets could not load its libev plugin (Debian package libwebsockets-evlib-ev)";
  }
  Log::Warn("running on poll(): slower with many connections", {Str("reason", why)});
  return lws_create_context(info);
}

void Gateway::Impl::Run() {
  while (!finished) {
    if (ServiceOnce(eventLoop.get(), context) < 0) break;
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
  Invoke(function, SerializeEvent(event), std::move(done));
}

void Gateway::Impl::Invoke(const FunctionConfig& function, std::string payload,
                           std::function<void(InvokeOutcome)> done) {
  if (invoker == nullptr) return;  // the loop is being torn down
  ++invocationsInFlight;
  bool supervised = function.supervised;
  invoker->Invoke(function.url, std::move(payload), function.timeoutMs,
                  [this, supervised, done = std::move(done)](InvokeOutcome outcome) mutable {
                    if (supervised) outcome = ForStartedFunction(std::move(outcome));
                    --invocationsInFlight;
                    done(std::move(outcome));
                    MaybeFinishShutdown();
                    ReleaseMemoryWhenIdle();
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
      context, 0, &shutdownDeadline.sul,
      [](lws_sorted_usec_list_t* sul) {
        Gateway::Impl* impl = GatewayTimer::OwnerOf(sul);
        Log::Warn("shutdown grace period over; exiting with deliveries still pending",
                  {Num("invocationsInFlight", static_cast<long long>(impl->invocationsInFlight)),
                   Num("connections", static_cast<long long>(impl->connections.size()))});
        impl->finished = true;
        lws_cancel_service(impl->context);  // a sul callback alone does not end lws_service()
      },
      static_cast<lws_usec_t>(options.shutdownGraceMs) * LWS_US_PER_MS);
  MaybeFinishShutdown();
}

void Gateway::Impl::ReleaseMemoryWhenIdle() {
  // glibc keeps freed memory in its arenas (the invoke thread's above all): after a burst of
  // thousands of connections the gateway would stay at its peak size while doing nothing.
  if (connections.empty() && pending.empty() && invocationsInFlight == 0) malloc_trim(0);
}

void Gateway::Impl::MaybeFinishShutdown() {
  if (shuttingDown && connections.empty() && invocationsInFlight == 0) {
    lws_sul_cancel(&shutdownDeadline.sul);
    finished = true;
    lws_cancel_service(context);
  }
}

// --- Gateway --------------------------------------------------------------------------------

Gateway::Gateway(GatewayOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {}
Gateway::~Gateway() = default;
bool Gateway::Start(std::string* error) { return impl_->Start(error); }
void Gateway::Run() { impl_->Run(); }
int Gateway::port() const { return impl_->boundPort; }
std::string Gateway::host() const { return impl_->options.host; }
const std::vector<ApiConfig>& Gateway::apis() const { return impl_->options.apis; }

}  // namespace wsgw
