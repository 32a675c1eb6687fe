// Internal to the gateway: the loop's state (Gateway::Impl) and the connection records, shared
// by the files that implement it:
//   gateway.cc                the loop, its callbacks, start, invocations and shutdown
//   handshake_acceptor.cc     connections before lws owns them: heads, $connect, refusals
//   websocket_connections.cc  open connections: frames, routing, sending, closing, $disconnect
//   management_api.cc         plain HTTP: @connections and the demo's static pages
#pragma once

#include <arpa/inet.h>
#include <fcntl.h>
#include <libwebsockets.h>
#include <malloc.h>
#include <netdb.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <unordered_map>

#include "server/event_loop.h"
#include "server/gateway.h"
#include "base/http_head.h"
#include "api/function_answer.h"
#include "base/json_text.h"
#include "invoke/invoke_engine.h"
#include "api/lambda_event.h"
#include "base/log.h"
#include "api/management_path.h"
#include "server/static_files.h"
#include "base/utf8.h"

namespace wsgw {

inline constexpr size_t kMaxHeadBytes = 16 * 1024;
inline constexpr size_t kMaxEarlyBytes = 256 * 1024;
inline constexpr int kHeadDeadlineSeconds = 10;
inline constexpr lws_usec_t kHeadRetryUs = 5 * 1000;
inline constexpr int kTimeoutReasonHead = PENDING_TIMEOUT_USER_REASON_BASE + 1;
inline constexpr int kTimeoutReasonConnect = PENDING_TIMEOUT_USER_REASON_BASE + 2;
inline constexpr int kTimeoutReasonClose = PENDING_TIMEOUT_USER_REASON_BASE + 3;
inline constexpr int kCloseDrainSeconds = 2;

// PostToConnection's own limit is maxMessageBytes; this only bounds what is read.
inline constexpr size_t kMaxPostBytes = 1024 * 1024;
// Bytes waiting for one slow client before PostToConnection answers 429 LimitExceededException,
// AWS's answer when "the WebSocket client side buffer is full".
inline constexpr size_t kMaxOutboundBytes = 4 * 1024 * 1024;

inline constexpr char kAppProtocol[] = "wsgw-app";
inline constexpr char kAcceptorProtocol[] = "wsgw-acceptor";

// AWS's close reasons (AWS-NOTES §5.4). Where AWS is unconfirmed the choice is named here.
inline constexpr char kReasonNoStatus[] = "Client-side close frame status not set";
inline constexpr char kReasonGoingAway[] = "Going away";
inline constexpr char kReasonDeleted[] = "Connection Closed Normally";
// UNCONFIRMED in AWS: what $disconnect says after a TCP drop without a close frame.
inline constexpr char kReasonAbnormal[] =
    "Client-side close frame status not set (connection lost)";

int64_t NowMs();
const char* ReasonPhrase(int status);
std::string JsonMessageBody(const std::string& message);

// A connection the acceptor owns: from accept() until it is handed to lws (plain HTTP, or an
// upgrade that $connect accepted) or refused.
struct RawConnection {
  enum class State { kReadingHead, kWaitingConnect, kRejecting, kHandedOver };
  State state = State::kReadingHead;
  lws* wsi = nullptr;
  int fd = -1;
  lws_sorted_usec_list_t retry{};  // re-enables reading while a head is incomplete
  std::string id;
  std::string head;      // the upgrade's head bytes, consumed from the socket
  std::string early;     // bytes the client sent after the head while $connect ran
  std::string response;  // a refusal being written
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
  // Its entry in Gateway::Impl::deadlines, while one is set.
  std::optional<std::multimap<int64_t, Connection*>::iterator> deadline;

  struct Outbound {
    std::string bytes;
    bool binary = false;
  };
  std::deque<Outbound> outbound;
  size_t outboundBytes = 0;

  std::string message;        // text frames of a message being assembled
  size_t frameRemaining = 0;  // bytes still to come of the frame being received

  bool closeRequested = false;  // a server-side close waiting for the outbound queue to drain
  int closeCode = 0;            // set when the gateway (not the client) ends the connection
  std::string closeReason;
  bool peerClosed = false;
  int peerCode = 1005;
  std::string peerReason = kReasonNoStatus;
};

// An lws timer of the gateway's: lws hands its callback only the timer, this leads back to the
// gateway.
struct GatewayTimer {
  lws_sorted_usec_list_t sul{};
  Gateway::Impl* impl = nullptr;

  static Gateway::Impl* OwnerOf(lws_sorted_usec_list_t* sul) {
    return reinterpret_cast<GatewayTimer*>(sul)->impl;
  }
};

struct Gateway::Impl {
  GatewayOptions options;
  std::unique_ptr<EventLoop> eventLoop;  // null when lws runs its own poll() loop instead
  lws_context* context = nullptr;
  lws_vhost* vhost = nullptr;
  int listenFd = -1;
  int signalFd = -1;
  int boundPort = 0;
  lws* listenerWsi = nullptr;
  char listenerMarker = 0;
  char signalMarker = 0;
  char invokerMarker = 0;
  // Function calls run on this loop: the engine's epoll descriptor is adopted beside the
  // listener, and its timer is `invokeTimer`.
  std::unique_ptr<InvokeEngine> invoker;
  GatewayTimer invokeTimer{{}, this};

  std::unordered_map<std::string, RawConnection*> pending;  // by connection id
  std::unordered_map<int, std::string> upgradesByFd;        // dup'd fd -> connection id
  std::unordered_map<std::string, std::unique_ptr<Connection>> connections;

  // Idle and lifetime deadlines of open connections, earliest first, behind one lws timer. A
  // timer per connection goes into lws's sorted list, whose insert walks the timers before it:
  // opening 10,000 connections spent most of its time there.
  std::multimap<int64_t, Connection*> deadlines;
  GatewayTimer deadlineTimer{{}, this};

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
  GatewayTimer shutdownDeadline{{}, this};

  explicit Impl(GatewayOptions opts) : options(std::move(opts)) {}
  ~Impl();

  bool Start(std::string* error);
  bool Listen(std::string* error);
  lws_context* CreateContext(lws_context_creation_info* info);
  void Run();

  std::string DomainName() const { return options.host + ":" + std::to_string(boundPort); }

  // Work handed to the loop, from any thread; it runs from a later turn of the loop.
  void Post(std::function<void()> work);
  void DrainCompletions();

  // `done` runs on the loop, never before Invoke returns.
  void Invoke(const FunctionConfig& function, const Json::Value& event,
              std::function<void(InvokeOutcome)> done);
  void Invoke(const FunctionConfig& function, std::string payload,
              std::function<void(InvokeOutcome)> done);

  // Acceptor.
  // A dup() of an accepted socket for lws to adopt (lws closes the original with its raw wsi),
  // after taking the original out of the loop's epoll set (EventLoop::ForgetDescriptor). -1 with
  // errno on failure.
  int CopyForLws(int fd);
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
  // `at_once`: write now when nothing is queued and the socket takes it (a route's reply).
  void Send(Connection* connection, std::string bytes, bool binary, bool at_once = false);
  void RequestClose(Connection* connection, int code, const std::string& reason);
  void ScheduleTimer(Connection* connection);
  void ForgetDeadline(Connection* connection);
  void ArmDeadlineTimer();
  void OnDeadlines();
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
  void ReleaseMemoryWhenIdle();

  Connection* FindConnection(const std::string& id) {
    auto it = connections.find(id);
    return it == connections.end() ? nullptr : it->second.get();
  }
  const ApiConfig* ApiForPath(const std::string& path) const;
};

}  // namespace wsgw
