#include "server/gateway.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <malloc.h>
#include <netdb.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string_view>

#include "base/log.h"
#include "server/aws_services.h"
#include "server/held_handshakes.h"
#include "server/http_responses.h"
#include "server/loop_timer.h"
#include "server/management_api.h"
#include "server/raw_descriptor.h"
#include "server/server_context.h"
#include "server/sessions.h"
#include "server/tls_tunnels.h"

namespace wsgw {

// The gateway's parts and the loop they run on. Each part owns its state: HeldHandshakes the
// connections before lws has them, Sessions the open WebSocket connections, ManagementApi plain
// HTTP; this holds the listening socket, the signal descriptor, shutdown, and the two lws
// protocol callbacks that hand each event to its part.
struct Gateway::Impl {
  explicit Impl(GatewayOptions options) : server(std::move(options)) {}
  ~Impl();

  bool Start(std::string* error);
  // Binds `port` on the configured host (0 picks one).
  bool Listen(int port, int* listen_fd, int* bound_port, std::string* error);
  lws_context* CreateContext(lws_context_creation_info* info);
  bool Adopt(int fd, RawDescriptor* descriptor, lws** wsi);
  void Run();

  void BeginShutdown();
  void MaybeFinishShutdown();
  void ReleaseMemoryWhenIdle();

  // A listening socket: every connection goes to the held handshakes first.
  class Listener : public RawDescriptor {
   public:
    Listener(Impl& impl, int& fd, lws*& wsi, bool services_only)
        : impl_(impl), fd_(fd), wsi_(wsi), servicesOnly_(services_only) {}
    int OnReadable() override {
      impl_.handshakes.AcceptAll(fd_, servicesOnly_);
      return 0;
    }
    void OnClosed() override { wsi_ = nullptr; }

   private:
    Impl& impl_;
    int& fd_;
    lws*& wsi_;
    bool servicesOnly_;
  };

  // SIGINT and SIGTERM, read on the loop.
  class SignalReader : public RawDescriptor {
   public:
    explicit SignalReader(Impl& impl) : impl_(impl) {}
    int OnReadable() override {
      signalfd_siginfo info;
      while (read(impl_.signalFd, &info, sizeof info) == sizeof info) {
        Log::Info("signal received, shutting down", {Str("signal", strsignal(info.ssi_signo))});
      }
      impl_.BeginShutdown();
      return 0;
    }

   private:
    Impl& impl_;
  };

  // The function client's epoll descriptor.
  class InvokerEvents : public RawDescriptor {
   public:
    explicit InvokerEvents(Impl& impl) : impl_(impl) {}
    int OnReadable() override {
      if (impl_.server.invoker != nullptr) impl_.server.invoker->OnReadable();
      return 0;
    }

   private:
    Impl& impl_;
  };

  // Plain HTTP requests, by path: AWS services' POSTs, @connections, static files and 404s.
  class PlainHttp : public HttpRoutes {
   public:
    explicit PlainHttp(Impl& impl) : impl_(impl) {}
    uint64_t MaxBodyBytes(const HttpHead& head) const override {
      if (const AwsJsonService* service = impl_.aws.ServiceFor(head)) return service->maxBodyBytes;
      if (ManagementApi::IsManagementPath(head)) return impl_.management.MaxPostBytes();
      return kMaxOtherBodyBytes;
    }
    HttpResponse TooLarge(const HttpHead& head, uint64_t length, uint64_t limit) const override {
      if (const AwsJsonService* service = impl_.aws.ServiceFor(head)) {
        return impl_.aws.TooLarge(*service);
      }
      if (ManagementApi::IsManagementPath(head)) return impl_.management.TooLarge(length, limit);
      HttpResponse answer;
      answer.status = 413;
      answer.body = JsonMessageBody("Request body of " + std::to_string(length) +
                                    " bytes is over this path's limit of " +
                                    std::to_string(limit) + " bytes");
      return answer;
    }
    void Handle(HttpRequest request, const std::string& /*peer*/, bool /*secure*/,
                HttpReply reply) override {
      if (const AwsJsonService* service = impl_.aws.ServiceFor(request.head)) {
        impl_.aws.Handle(*service, std::move(request), std::move(reply));
        return;
      }
      reply(impl_.management.Handle(request));
    }

   private:
    // Paths that take no body (static files, 404s) still read a small one.
    static constexpr uint64_t kMaxOtherBodyBytes = 64 * 1024;
    Impl& impl_;
  };

  ServerContext server;
  Sessions sessions{server};
  HeldHandshakes handshakes{server, sessions};
  ManagementApi management{server, sessions};
  AwsServices aws{server};
  PlainHttp plainHttp{*this};
  TlsTunnels tls{server};

  int listenFd = -1;
  int signalFd = -1;
  lws* listenerWsi = nullptr;
  Listener listener{*this, listenFd, listenerWsi, false};
  // The second port of --dynamodb-port: AWS services only.
  int servicesFd = -1;
  int servicesPort = -1;
  lws* servicesWsi = nullptr;
  Listener servicesListener{*this, servicesFd, servicesWsi, true};
  SignalReader signalReader{*this};
  InvokerEvents invokerEvents{*this};
  LoopTimer invokeTimer{this, [](void* self) {
                          Impl* impl = static_cast<Impl*>(self);
                          if (impl->server.invoker != nullptr) impl->server.invoker->OnTimeout();
                        }};
  LoopTimer shutdownDeadline{this, [](void* self) {
                               Impl* impl = static_cast<Impl*>(self);
                               Log::Warn("shutdown grace period over; exiting with deliveries "
                                         "still pending",
                                         {Num("invocationsInFlight",
                                              static_cast<long long>(
                                                  impl->server.invocationsInFlight)),
                                          Num("connections",
                                              static_cast<long long>(impl->sessions.size()))});
                               impl->finished = true;
                               // a sul callback alone does not end lws_service()
                               lws_cancel_service(impl->server.context);
                             }};
  bool finished = false;
};

namespace {

Gateway::Impl* ImplOf(lws* wsi) {
  return static_cast<Gateway::Impl*>(lws_context_user(lws_get_context(wsi)));
}

// Raw descriptors: the listener, the signal descriptor, the function client's descriptor and
// held handshakes, each behind its RawDescriptor.
int AcceptorCallback(lws* wsi, lws_callback_reasons reason, void* /*user*/, void* /*in*/,
                     size_t /*len*/) {
  Gateway::Impl* impl = ImplOf(wsi);
  if (impl == nullptr) return 0;
  auto* descriptor = static_cast<RawDescriptor*>(lws_get_opaque_user_data(wsi));
  switch (reason) {
    case LWS_CALLBACK_EVENT_WAIT_CANCELLED:
      impl->server.RunPosted();
      return 0;
    case LWS_CALLBACK_RAW_RX_FILE:
      return descriptor == nullptr ? -1 : descriptor->OnReadable();
    case LWS_CALLBACK_RAW_WRITEABLE_FILE:
      return descriptor == nullptr ? 0 : descriptor->OnWritable();
    case LWS_CALLBACK_RAW_CLOSE_FILE:
      if (descriptor != nullptr) {
        lws_set_opaque_user_data(wsi, nullptr);
        descriptor->OnClosed();
      }
      return 0;
    default:
      return 0;
  }
}

// WebSocket sessions and plain HTTP.
int AppCallback(lws* wsi, lws_callback_reasons reason, void* /*user*/, void* in, size_t len) {
  Gateway::Impl* impl = ImplOf(wsi);
  if (impl == nullptr) return lws_callback_http_dummy(wsi, reason, nullptr, in, len);
  // Some callbacks (WSI_DESTROY) reach protocols[0] for every wsi, the acceptor's raw ones too,
  // whose opaque data is not a Session.
  const lws_protocols* protocol = lws_get_protocol(wsi);
  bool raw = protocol != nullptr && protocol->callback == AcceptorCallback;
  auto* session = raw ? nullptr : static_cast<Session*>(lws_get_opaque_user_data(wsi));
  Sessions& sessions = impl->sessions;
  switch (reason) {
    case LWS_CALLBACK_HTTP_CONFIRM_UPGRADE: {
      Session* accepted = sessions.ClaimUpgrade(wsi);
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
    case LWS_CALLBACK_ADD_HEADERS:
      return sessions.AddSubprotocolHeader(session, wsi, in);
    case LWS_CALLBACK_ESTABLISHED:
      if (session == nullptr) return -1;
      sessions.OnEstablished(session, wsi);
      return 0;
    case LWS_CALLBACK_RECEIVE:
      if (session == nullptr) return -1;
      return sessions.OnReceive(session, static_cast<const char*>(in), len);
    case LWS_CALLBACK_SERVER_WRITEABLE:
      if (session == nullptr) return 0;
      return sessions.OnWritable(session);
    case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE:
      if (session != nullptr) sessions.OnPeerClose(session, in, len);
      return 0;
    case LWS_CALLBACK_CLOSED:
      if (session != nullptr) {
        lws_set_opaque_user_data(wsi, nullptr);
        sessions.OnClosed(session);
      }
      return 0;
    case LWS_CALLBACK_WSI_DESTROY:
      if (session != nullptr) {
        lws_set_opaque_user_data(wsi, nullptr);
        sessions.OnDestroyedBeforeOpen(session);
      }
      return 0;
    case LWS_CALLBACK_HTTP:
      // lws only ever gets upgrades (plain HTTP is the acceptor's, server/http_connection.h);
      // a replayed head that is not one is closed.
      Log::Warn("libwebsockets parsed a plain HTTP request; closing it");
      return -1;
    default:
      return lws_callback_http_dummy(wsi, reason, nullptr, in, len);
  }
}

void EmitLwsLog(int level, const char* line) {
  std::string text(line);
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  // lws 4.1.6 logs "adopt_socket_readbuf: calling service" at error level on every accepted
  // handshake; its messages are only useful when debugging the gateway itself.
  Log::Write(LogLevel::kTrace, "libwebsockets",
             {Str("lwsLevel", std::to_string(level)), Str("text", text)});
}

// lws must hold any head the acceptor let through, or it drops it with no status.
constexpr size_t kMaxHeadBytes = 16 * 1024;

}  // namespace

Gateway::Impl::~Impl() {
  server.invoker.reset();  // no completion may arrive after this point
  // Timers are taken out of lws's lists while the context that holds them still exists.
  invokeTimer.Cancel();
  shutdownDeadline.Cancel();
  sessions.CancelTimers();
  if (server.context != nullptr) lws_context_destroy(server.context);
  server.eventLoop.reset();  // after lws has stopped its watchers on it
  if (signalFd >= 0) close(signalFd);
}

bool Gateway::Impl::Listen(int port, int* listen_fd, int* bound_port, std::string* error) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* found = nullptr;
  std::string port_text = std::to_string(port);
  int rc = getaddrinfo(server.options.host.c_str(), port_text.c_str(), &hints, &found);
  if (rc != 0) {
    *error = "cannot resolve --host " + server.options.host + ": " + gai_strerror(rc);
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
      *bound_port =
          ntohs(bound.ss_family == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port
                                            : reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
      *listen_fd = fd;
      break;
    }
    last_error = strerror(errno);
    close(fd);
  }
  freeaddrinfo(found);
  if (*listen_fd < 0) {
    *error = "cannot listen on " + server.options.host + ":" + port_text + ": " + last_error;
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
  if (!Listen(server.options.port, &listenFd, &server.boundPort, error)) return false;
  if (server.options.servicesOnlyPort >= 0 &&
      !Listen(server.options.servicesOnlyPort, &servicesFd, &servicesPort, error)) {
    return false;
  }

  handshakes.set_http_routes(&plainHttp);
  if (!server.options.tlsCertFile.empty()) {
    if (!tls.Configure(server.options.tlsCertFile, server.options.tlsKeyFile, error)) return false;
    tls.plainReady = [this](int fd, bool services_only, const std::string& peer) {
      handshakes.AdoptTunneled(fd, services_only, peer);
    };
    handshakes.set_tls(&tls);
  }

  lws_set_log_level(Log::Enabled(LogLevel::kTrace) ? (LLL_ERR | LLL_WARN | LLL_NOTICE) : LLL_ERR,
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
  info.max_http_header_data = 0;
  info.max_http_header_data2 = kMaxHeadBytes + 1024;
  info.pt_serv_buf_size = 32 * 1024;
  info.timeout_secs = 30;
  // API Gateway never pings a client (AWS-NOTES §5.5); lws by default pings every connection
  // after 300 s and hangs up on one that does not answer within 10 s. A policy without validity
  // times turns that off (and keeps a 5-minute timer per connection out of lws's timer list).
  static const lws_retry_bo_t kNoPings = {};
  info.retry_and_idle_policy = &kNoPings;
  server.context = CreateContext(&info);
  if (server.context == nullptr) {
    *error = "libwebsockets could not create its context";
    return false;
  }
  server.vhost = lws_get_vhost_by_name(server.context, "default");
  if (server.vhost == nullptr) {
    *error = "libwebsockets created no default vhost";
    return false;
  }

  server.invoker = std::make_unique<InvokeEngine>([this](long ms) {
    if (ms < 0) {
      invokeTimer.Cancel();
      return;
    }
    invokeTimer.Schedule(server.context, static_cast<lws_usec_t>(ms) * LWS_US_PER_MS);
  });
  server.afterInvocation = [this] {
    MaybeFinishShutdown();
    ReleaseMemoryWhenIdle();
  };
  sessions.afterClose = [this] { MaybeFinishShutdown(); };

  if (!Adopt(listenFd, &listener, &listenerWsi) || !Adopt(signalFd, &signalReader, nullptr) ||
      (servicesFd >= 0 && !Adopt(servicesFd, &servicesListener, &servicesWsi))) {
    *error = "libwebsockets refused the listening socket";
    return false;
  }
  // lws closes what it adopts; the engine closes its own descriptor.
  int invoker_fd = fcntl(server.invoker->fd(), F_DUPFD_CLOEXEC, 0);
  if (invoker_fd < 0 || !Adopt(invoker_fd, &invokerEvents, nullptr)) {
    if (invoker_fd >= 0) close(invoker_fd);
    *error = "libwebsockets refused the function client's descriptor";
    return false;
  }
  return true;
}

bool Gateway::Impl::Adopt(int fd, RawDescriptor* descriptor, lws** wsi) {
  lws_adopt_desc_t desc{};
  desc.vh = server.vhost;
  desc.type = LWS_ADOPT_RAW_FILE_DESC;
  desc.fd.filefd = fd;
  desc.vh_prot_name = kAcceptorProtocol;
  desc.opaque = descriptor;
  lws* adopted = lws_adopt_descriptor_vhost_via_info(&desc);
  if (wsi != nullptr) *wsi = adopted;
  return adopted != nullptr;
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
  server.eventLoop = EventLoop::Create(&why);
  if (server.eventLoop != nullptr) {
    lws_context_creation_info with_libev = *info;
    server.eventLoop->UseIn(&with_libev);
    if (lws_context* created = lws_create_context(&with_libev)) return created;
    server.eventLoop.reset();
    why = "libwebsockets could not load its libev plugin (Debian package libwebsockets-evlib-ev)";
  }
  Log::Warn("running on poll(): slower with many connections", {Str("reason", why)});
  return lws_create_context(info);
}

void Gateway::Impl::Run() {
  while (!finished) {
    if (ServiceOnce(server.eventLoop.get(), server.context) < 0) break;
  }
}

void Gateway::Impl::BeginShutdown() {
  if (server.shuttingDown) return;
  server.shuttingDown = true;
  for (lws* wsi : {listenerWsi, servicesWsi}) {
    if (wsi != nullptr) lws_set_timeout(wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
  }
  handshakes.RefuseAllWaiting();
  sessions.CloseAllOpen(1001, kReasonGoingAway);
  shutdownDeadline.Schedule(server.context,
                            static_cast<lws_usec_t>(server.options.shutdownGraceMs) * LWS_US_PER_MS);
  MaybeFinishShutdown();
}

void Gateway::Impl::ReleaseMemoryWhenIdle() {
  // glibc keeps freed memory in its arenas (the invoke thread's above all): after a burst of
  // thousands of connections the gateway would stay at its peak size while doing nothing.
  if (sessions.empty() && handshakes.empty() && server.invocationsInFlight == 0) malloc_trim(0);
}

void Gateway::Impl::MaybeFinishShutdown() {
  if (server.shuttingDown && sessions.empty() && server.invocationsInFlight == 0) {
    shutdownDeadline.Cancel();
    finished = true;
    lws_cancel_service(server.context);
  }
}

Gateway::Gateway(GatewayOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {}
Gateway::~Gateway() = default;
bool Gateway::Start(std::string* error) { return impl_->Start(error); }
void Gateway::Run() { impl_->Run(); }
int Gateway::port() const { return impl_->server.boundPort; }
int Gateway::servicesOnlyPort() const { return impl_->servicesPort; }
bool Gateway::tls() const { return impl_->tls.enabled(); }
std::string Gateway::host() const { return impl_->server.options.host; }
const std::vector<ApiConfig>& Gateway::apis() const { return impl_->server.options.apis; }

bool Gateway::ReplaceApis(std::vector<ApiConfig> apis, int timeout_ms) {
  struct Swap {
    std::mutex mutex;
    std::condition_variable done;
    bool swapped = false;
    std::vector<ApiConfig> apis;
  };
  auto swap = std::make_shared<Swap>();
  swap->apis = std::move(apis);
  ServerContext& server = impl_->server;
  server.Post([&server, swap] {
    // Each API keeps its place (sessions point at it), so its content is what changes.
    std::vector<ApiConfig>& served = server.MutableApis();
    for (size_t i = 0; i < served.size() && i < swap->apis.size(); ++i) {
      served[i] = std::move(swap->apis[i]);
    }
    std::lock_guard<std::mutex> lock(swap->mutex);
    swap->swapped = true;
    swap->done.notify_all();
  });
  std::unique_lock<std::mutex> lock(swap->mutex);
  return swap->done.wait_for(lock, std::chrono::milliseconds(timeout_ms),
                             [&swap] { return swap->swapped; });
}

}  // namespace wsgw
