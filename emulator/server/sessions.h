// Open WebSocket connections, from the 2xx of their $connect to their $disconnect: frames in
// (limits, UTF-8, route selection, the route's function, its reply), frames out (replies and
// PostToConnection, queued per connection), idle and lifetime deadlines, closes and the
// $disconnect event. One Session per connection, owned here; other parts hold ids, never
// Session pointers across turns of the loop.
#pragma once

#include <libwebsockets.h>

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "api/lambda_event.h"
#include "api/routes_config.h"
#include "base/log.h"
#include "server/client_frame_guard.h"
#include "server/loop_timer.h"
#include "server/server_context.h"

namespace wsgw {

// AWS's close reasons (AWS-NOTES §5.4). Where AWS is unconfirmed the choice is named here.
inline constexpr char kReasonNoStatus[] = "Client-side close frame status not set";
inline constexpr char kReasonGoingAway[] = "Going away";
inline constexpr char kReasonDeleted[] = "Connection Closed Normally";
// UNCONFIRMED in AWS: what $disconnect says after a TCP drop without a close frame.
inline constexpr char kReasonAbnormal[] =
    "Client-side close frame status not set (connection lost)";

// Bytes waiting for one slow client before PostToConnection answers 429 LimitExceededException,
// AWS's answer when "the WebSocket client side buffer is full"; a route's reply past it closes
// the connection with 1008 kReasonNotReading instead (docs/SPEC.md, Limits).
inline constexpr size_t kMaxOutboundBytes = 4 * 1024 * 1024;
inline constexpr char kReasonNotReading[] = "Client is not reading its messages";

// An accepted WebSocket connection, from $connect's 2xx until its $disconnect.
struct Session {
  enum class State { kUpgrading, kOpen, kClosed };
  State state = State::kUpgrading;
  const ApiConfig* api = nullptr;
  ConnectionContext context;
  std::optional<std::string> subprotocol;
  lws* wsi = nullptr;
  int fd = -1;  // the descriptor lws reads, whose bytes the frame guard checks
  int64_t lastActiveMs = 0;
  // Its entry in Sessions' deadlines, while one is set.
  std::optional<std::multimap<int64_t, Session*>::iterator> deadline;

  struct Outbound {
    std::string bytes;
    bool binary = false;
  };
  std::deque<Outbound> outbound;
  size_t outboundBytes = 0;

  std::string message;        // text frames of a message being assembled
  size_t frameRemaining = 0;  // bytes still to come of the frame being received

  uint64_t messagesReceived = 0;  // data messages lws delivered whole (final fragments)
  // A violation the frame guard found, waiting for the messages before it to be delivered.
  std::optional<FrameViolation> violation;

  bool closeRequested = false;  // a server-side close waiting for the outbound queue to drain
  int closeCode = 0;            // set when the gateway (not the client) ends the connection
  std::string closeReason;
  bool peerClosed = false;
  int peerCode = 1005;
  std::string peerReason = kReasonNoStatus;

  // Open, and not being closed: what PostToConnection and GetConnection can reach.
  bool Reachable() const { return state == State::kOpen && !closeRequested; }
};

class Sessions {
 public:
  explicit Sessions(ServerContext& server);
  Sessions(const Sessions&) = delete;
  Sessions& operator=(const Sessions&) = delete;

  Session* Find(const std::string& id) {
    auto it = sessions_.find(id);
    return it == sessions_.end() ? nullptr : it->second.get();
  }
  bool empty() const { return sessions_.empty(); }
  size_t size() const { return sessions_.size(); }

  // Runs after a session is gone (the gateway's shutdown bookkeeping).
  std::function<void()> afterClose;

  // A connection $connect accepted, whose upgrade lws is about to replay on descriptor `fd`.
  // `early` (frames that came with the upgrade) is cut before the first one that breaks
  // RFC 6455; the connection is then closed with that violation's code once it is open.
  Session* AddUpgrading(std::unique_ptr<Session> session, int fd, std::string* early);
  // The replay could not be handed to lws: forget `fd`, and the session if lws never took it.
  void AbandonUpgrade(Session* session, int fd);

  // `at_once`: write now when nothing is queued and the socket takes it (a route's reply).
  void Send(Session* session, std::string bytes, bool binary, bool at_once = false);
  // Closes with `code` after what is queued has been written (bounded by a drain timeout).
  void RequestClose(Session* session, int code, const std::string& reason);
  void CloseAllOpen(int code, const std::string& reason);
  // Before the lws context goes: its timer lists go with it.
  void CancelTimers() { deadlineTimer_.Cancel(); }

  void FireDisconnect(const ApiConfig& api, const ConnectionContext& context, int code,
                      const std::string& reason);

  // The app protocol's callbacks for WebSocket connections (server/gateway.cc dispatches them).
  // CONFIRM_UPGRADE: the session waiting for this upgrade, or null when there is none.
  Session* ClaimUpgrade(lws* wsi);
  int AddSubprotocolHeader(Session* session, lws* wsi, void* in);
  void OnEstablished(Session* session, lws* wsi);
  int OnReceive(Session* session, const char* data, size_t length);
  int OnWritable(Session* session);
  void OnPeerClose(Session* session, const void* in, size_t length);
  void OnClosed(Session* session);
  // The wsi went away before ESTABLISHED: the replayed handshake failed after $connect accepted.
  void OnDestroyedBeforeOpen(Session* session);

 private:
  int CloseFromReceive(Session* session, int code, const std::string& reason,
                       const std::string& why, std::vector<LogField> fields);
  void Dispatch(Session* session, std::string body);
  // A frame ClientFrameGuard refused (posted from lws's read of the connection).
  void OnFrameViolation(const std::string& id, const FrameViolation& violation);
  // Closes for the session's violation once lws has delivered every message before it.
  void CloseForViolationIfDue(Session* session);
  void ScheduleDeadline(Session* session);
  void ForgetDeadline(Session* session);
  void ArmDeadlineTimer();
  void OnDeadlines();
  void OnDeadline(Session* session);
  void Erase(Session* session);

  ServerContext& server_;
  std::unordered_map<std::string, std::unique_ptr<Session>> sessions_;  // by connection id
  std::unordered_map<int, std::string> upgradesByFd_;                   // dup'd fd -> id
  // Idle and lifetime deadlines of open connections, earliest first, behind one lws timer. A
  // timer per connection goes into lws's sorted list, whose insert walks the timers before it:
  // opening 10,000 connections spent most of its time there.
  std::multimap<int64_t, Session*> deadlines_;
  ClientFrameGuard frameGuard_;
  LoopTimer deadlineTimer_{this, [](void* self) { static_cast<Sessions*>(self)->OnDeadlines(); }};
};

}  // namespace wsgw
