#include "server/sessions.h"

#include <algorithm>
#include <cstring>

#include "api/function_answer.h"
#include "api/selection_expression.h"
#include "base/utf8.h"

namespace wsgw {
namespace {

inline constexpr int kTimeoutReasonClose = PENDING_TIMEOUT_USER_REASON_BASE + 3;
inline constexpr int kCloseDrainSeconds = 2;

}  // namespace

Sessions::Sessions(ServerContext& server)
    : server_(server),
      frameGuard_([this](const std::string& id, const FrameViolation& violation) {
        server_.Post([this, id, violation] { OnFrameViolation(id, violation); });
      }) {}

Session* Sessions::AddUpgrading(std::unique_ptr<Session> session, int fd, std::string* early) {
  Session* added = session.get();
  std::string id = session->context.connectionId;
  const Limits& limits = session->api->limits;
  session->fd = fd;
  early->resize(frameGuard_.Watch(fd, id, limits.maxFrameBytes, limits.maxMessageBytes, *early));
  sessions_[id] = std::move(session);
  upgradesByFd_[fd] = id;
  return added;
}

void Sessions::AbandonUpgrade(Session* session, int fd) {
  upgradesByFd_.erase(fd);
  frameGuard_.Forget(fd);
  if (session->state == Session::State::kUpgrading) {
    FireDisconnect(*session->api, session->context, 1006, kReasonAbnormal);
    Erase(session);
  }
}

Session* Sessions::ClaimUpgrade(lws* wsi) {
  auto it = upgradesByFd_.find(lws_get_socket_fd(wsi));
  if (it == upgradesByFd_.end()) return nullptr;
  Session* session = Find(it->second);
  upgradesByFd_.erase(it);
  return session;
}

int Sessions::AddSubprotocolHeader(Session* session, lws* wsi, void* in) {
  if (session == nullptr || !session->subprotocol) return 0;
  auto* args = static_cast<lws_process_html_args*>(in);
  auto* p = reinterpret_cast<unsigned char*>(args->p);
  unsigned char* end = p + args->max_len;
  const std::string& value = *session->subprotocol;
  if (lws_add_http_header_by_name(
          wsi, reinterpret_cast<const unsigned char*>("Sec-WebSocket-Protocol:"),
          reinterpret_cast<const unsigned char*>(value.data()), static_cast<int>(value.size()), &p,
          end)) {
    return -1;
  }
  args->max_len -= static_cast<int>(p - reinterpret_cast<unsigned char*>(args->p));
  args->p = reinterpret_cast<char*>(p);
  return 0;
}

void Sessions::OnEstablished(Session* session, lws* wsi) {
  session->wsi = wsi;
  session->state = Session::State::kOpen;
  session->lastActiveMs = NowMs();
  ScheduleDeadline(session);
  CloseForViolationIfDue(session);  // frames that came with the upgrade broke RFC 6455
}

void Sessions::OnPeerClose(Session* session, const void* in, size_t length) {
  session->peerClosed = true;
  const auto* bytes = static_cast<const unsigned char*>(in);
  if (length >= 2) {
    session->peerCode = (bytes[0] << 8) | bytes[1];
    session->peerReason.assign(reinterpret_cast<const char*>(bytes + 2), length - 2);
  }
}

void Sessions::OnDestroyedBeforeOpen(Session* session) {
  Log::Warn("upgrade failed after $connect accepted it",
            {Str("connectionId", session->context.connectionId)});
  FireDisconnect(*session->api, session->context, 1006, kReasonAbnormal);
  Erase(session);
}

void Sessions::CloseAllOpen(int code, const std::string& reason) {
  for (auto& [id, session] : sessions_) {
    (void)id;
    if (session->state == Session::State::kOpen) RequestClose(session.get(), code, reason);
  }
}

void Sessions::Erase(Session* session) {
  ForgetDeadline(session);
  if (session->fd >= 0) frameGuard_.Forget(session->fd);
  sessions_.erase(session->context.connectionId);
}

int Sessions::CloseFromReceive(Session* session, int code, const std::string& reason,
                                    const std::string& why, std::vector<LogField> fields) {
  fields.insert(fields.begin(), Str("connectionId", session->context.connectionId));
  Log::Warn(why + " (close " + std::to_string(code) + ")", fields);
  // Recorded before lws sends the close: the client may never acknowledge it, and neither the
  // idle timer nor anything else may replace the reason its $disconnect will carry.
  session->closeRequested = true;
  session->closeCode = code;
  session->closeReason = reason;
  lws_close_reason(session->wsi, static_cast<lws_close_status>(code),
                   reinterpret_cast<unsigned char*>(session->closeReason.data()),
                   session->closeReason.size());
  return -1;
}

void Sessions::OnFrameViolation(const std::string& id, const FrameViolation& violation) {
  Session* session = Find(id);
  if (session == nullptr || session->closeRequested || session->violation) return;
  Log::Warn(violation.detail + " (close " + std::to_string(violation.code) + ")",
            {Str("connectionId", id), Str("closeReason", violation.reason)});
  session->violation = violation;
  CloseForViolationIfDue(session);
}

void Sessions::CloseForViolationIfDue(Session* session) {
  // lws may still hold bytes before the violating frame (those that came with the upgrade are
  // parsed after it): the messages in them are routed first, as they would have been anyway.
  if (!session->violation || session->wsi == nullptr ||
      session->messagesReceived < session->violation->messagesBefore) {
    return;
  }
  RequestClose(session, session->violation->code, session->violation->reason);
}

int Sessions::OnReceive(Session* session, const char* data, size_t length) {
  lws* wsi = session->wsi;
  const Limits& limits = session->api->limits;
  if (session->closeRequested) return 0;
  if (lws_frame_is_binary(wsi)) {
    return CloseFromReceive(session, 1003, "Binary frames are not supported",
                            "binary frame refused: API Gateway WebSocket APIs accept only text "
                            "frames",
                            {});
  }
  if (session->frameRemaining == 0) {
    size_t frame = length + lws_remaining_packet_payload(wsi);
    if (frame > static_cast<size_t>(limits.maxFrameBytes)) {
      return CloseFromReceive(session, 1009, "Frame size exceeded",
                              "frame larger than maxFrameBytes",
                              {Num("frameBytes", static_cast<long long>(frame)),
                               Num("maxFrameBytes", static_cast<long long>(limits.maxFrameBytes))});
    }
  }
  session->frameRemaining = lws_remaining_packet_payload(wsi);
  session->message.append(data, length);
  if (session->message.size() > static_cast<size_t>(limits.maxMessageBytes)) {
    return CloseFromReceive(
        session, 1009, "Message too big", "message larger than maxMessageBytes",
        {Num("maxMessageBytes", static_cast<long long>(limits.maxMessageBytes))});
  }
  session->lastActiveMs = NowMs();
  if (lws_is_final_fragment(wsi)) {
    std::string body;
    body.swap(session->message);
    if (!IsValidUtf8(body)) {
      return CloseFromReceive(session, 1007, "Invalid UTF-8 in text message",
                              "text message that is not valid UTF-8", {});
    }
    Dispatch(session, std::move(body));
    ++session->messagesReceived;
    CloseForViolationIfDue(session);
  }
  return 0;
}

void Sessions::Dispatch(Session* session, std::string body) {
  const ApiConfig& api = *session->api;
  std::string id = session->context.connectionId;
  std::string request_id = NewRequestId();
  std::optional<std::string> route = SelectRoute(*api.routeSelection, api.RouteKeys(), body);
  if (!route) {
    Log::Info("message",
              {Str("event", "message"), Str("connectionId", id), Str("routeKey", "-"),
               Str("function", "-"), Str("outcome", "forbidden (no route matched and no $default)"),
               Num("latencyMs", 0.0)});
    Send(session, GatewayErrorFrame("Forbidden", id, request_id), false);
    return;
  }
  const RouteConfig* route_config = api.FindRoute(*route);
  const FunctionConfig* function = api.FunctionFor(*route);
  EventIds ids{request_id, NewMessageId()};
  std::string event = SerializeMessageEvent(session->context, *route, body, ids, NowMs());
  bool two_way = route_config->routeResponse;
  std::string function_name = function->name;
  std::string route_key = *route;
  const long long bytes_in = static_cast<long long>(body.size());
  // --log-payloads: the message as the client sent it, cut to the configured length.
  std::optional<LogField> payload;
  if (Log::payloadBytes() > 0) payload = Payload("payload", body, Log::payloadBytes());
  server_.Invoke(*function, std::move(event),
         [this, id, request_id, two_way, function_name, route_key, bytes_in,
          payload = std::move(payload)](InvokeOutcome outcome) {
           MessageVerdict verdict = InterpretMessageResult(outcome, two_way);
           LogLevel level = verdict.failed ? LogLevel::kWarn : LogLevel::kInfo;
           if (Log::Enabled(level)) {  // the hot path: no fields built for a line not written
             std::vector<LogField> fields = {
                 Str("event", "message"),
                 Str("connectionId", id),
                 Str("routeKey", route_key),
                 Str("function", function_name),
                 Str("outcome", verdict.failed ? "error" : (verdict.reply ? "replied" : "ok")),
                 Num("latencyMs", outcome.latencyMs),
                 Num("bytesIn", bytes_in)};
             if (verdict.reply) {
               fields.push_back(Num("bytesOut", static_cast<long long>(verdict.reply->size())));
             }
             if (verdict.failed) fields.push_back(Str("reason", verdict.reason));
             if (payload) {
               fields.push_back(*payload);
               if (verdict.reply) {
                 fields.push_back(IsValidUtf8(*verdict.reply)
                                      ? Payload("answer", *verdict.reply, Log::payloadBytes())
                                      : Str("answer", "(binary)"));
               }
             }
             Log::Write(level, "message", fields);
           }
           Session* session = Find(id);
           if (session == nullptr || session->state != Session::State::kOpen) return;
           if (verdict.failed) {
             Send(session, GatewayErrorFrame("Internal server error", id, request_id), false,
                  true);
           } else if (verdict.reply) {
             bool binary = !IsValidUtf8(*verdict.reply);  // isBase64Encoded bodies may be bytes
             Send(session, std::move(*verdict.reply), binary, true);
           }
         });
}

namespace {

// One whole message as one frame; false when the connection failed.
bool WriteFrame(lws* wsi, const std::string& bytes, bool binary) {
  thread_local std::vector<unsigned char> buffer;  // grows to the largest frame, never zeroed
  if (buffer.size() < LWS_PRE + bytes.size()) buffer.resize(LWS_PRE + bytes.size());
  std::memcpy(buffer.data() + LWS_PRE, bytes.data(), bytes.size());
  int written = lws_write(wsi, buffer.data() + LWS_PRE, bytes.size(),
                          binary ? LWS_WRITE_BINARY : LWS_WRITE_TEXT);
  return written >= static_cast<int>(bytes.size());
}

}  // namespace

void Sessions::Send(Session* session, std::string bytes, bool binary, bool at_once) {
  session->lastActiveMs = NowMs();  // server pushes count as activity (AWS-NOTES §5.2)
  lws* wsi = session->wsi;
  // `at_once`, nothing queued, no close under way on either side, and the socket takes it now:
  // written at once, as OnWritable would on the loop's next turn, without that turn.
  // lws_send_pipe_choked also says no while lws holds the rest of an earlier partial write.
  // Only for a route's reply: many PostToConnection calls in a row (a broadcast) are faster
  // queued and written by lws in one pass than each sent (and its reader woken) in turn.
  if (at_once && wsi != nullptr && session->state == Session::State::kOpen &&
      session->outbound.empty() && !session->closeRequested && !session->peerClosed &&
      !lws_send_pipe_choked(wsi)) {
    if (!WriteFrame(wsi, bytes, binary)) {
      // What OnWritable's -1 does: lws closes the connection (1006 for its $disconnect).
      lws_set_timeout(wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
    }
    return;
  }
  if (session->outboundBytes + bytes.size() > kMaxOutboundBytes) {
    // A client that sends but never reads its replies: nothing pushes back on a route's reply
    // (PostToConnection answers 429 instead), so the connection is closed rather than its queue
    // let grow. What is queued may still go out in the close's 2 s; @connections then says 410.
    if (!session->closeRequested) {
      Log::Warn("client is not reading: closing it (1008)",
                {Str("connectionId", session->context.connectionId),
                 Num("queuedBytes", static_cast<long long>(session->outboundBytes))});
      RequestClose(session, 1008, kReasonNotReading);
    }
    return;
  }
  session->outboundBytes += bytes.size();
  session->outbound.push_back({std::move(bytes), binary});
  if (wsi != nullptr) lws_callback_on_writable(wsi);
}

int Sessions::OnWritable(Session* session) {
  lws* wsi = session->wsi;
  if (!session->outbound.empty()) {
    Session::Outbound next = std::move(session->outbound.front());
    session->outbound.pop_front();
    session->outboundBytes -= next.bytes.size();
    if (!WriteFrame(wsi, next.bytes, next.binary)) return -1;
    if (!session->outbound.empty() || session->closeRequested) {
      lws_callback_on_writable(wsi);
    }
    return 0;
  }
  if (session->closeRequested) {
    lws_close_reason(wsi, static_cast<lws_close_status>(session->closeCode),
                     reinterpret_cast<unsigned char*>(session->closeReason.data()),
                     session->closeReason.size());
    return -1;
  }
  return 0;
}

void Sessions::RequestClose(Session* session, int code, const std::string& reason) {
  if (session->closeRequested) return;
  session->closeRequested = true;
  session->closeCode = code;
  session->closeReason = reason;
  if (session->wsi != nullptr) {
    lws_callback_on_writable(session->wsi);
    // A client that stops reading never lets the queue (or the close frame) out: drop it after
    // a bounded wait. Its $disconnect still carries `code` and `reason`.
    lws_set_timeout(session->wsi, static_cast<pending_timeout>(kTimeoutReasonClose),
                    kCloseDrainSeconds);
  }
}

void Sessions::ScheduleDeadline(Session* session) {
  const Limits& limits = session->api->limits;
  int64_t idle_deadline = session->lastActiveMs + int64_t{limits.idleTimeoutSeconds} * 1000;
  int64_t life_deadline =
      session->context.connectedAtMs + int64_t{limits.maxConnectionSeconds} * 1000;
  ForgetDeadline(session);
  session->deadline = deadlines_.emplace(std::min(idle_deadline, life_deadline), session);
  if (*session->deadline == deadlines_.begin()) ArmDeadlineTimer();
}

void Sessions::ForgetDeadline(Session* session) {
  if (!session->deadline) return;
  deadlines_.erase(*session->deadline);
  session->deadline.reset();
}

void Sessions::ArmDeadlineTimer() {
  if (deadlines_.empty()) {
    deadlineTimer_.Cancel();
    return;
  }
  int64_t wait_ms = std::max<int64_t>(1, deadlines_.begin()->first - NowMs());
  deadlineTimer_.Schedule(server_.context, wait_ms * LWS_US_PER_MS);
}

void Sessions::OnDeadlines() {
  int64_t now = NowMs();
  while (!deadlines_.empty() && deadlines_.begin()->first <= now) {
    Session* session = deadlines_.begin()->second;
    ForgetDeadline(session);
    OnDeadline(session);  // closes it, or sets its next deadline
  }
  ArmDeadlineTimer();
}

void Sessions::OnDeadline(Session* session) {
  const Limits& limits = session->api->limits;
  int64_t now = NowMs();
  bool idle = now >= session->lastActiveMs + int64_t{limits.idleTimeoutSeconds} * 1000;
  bool expired =
      now >= session->context.connectedAtMs + int64_t{limits.maxConnectionSeconds} * 1000;
  if (idle || expired) {
    Log::Info(idle ? "idle timeout, closing (1001)" : "maximum connection duration, closing (1001)",
              {Str("connectionId", session->context.connectionId)});
    RequestClose(session, 1001, kReasonGoingAway);
    return;
  }
  ScheduleDeadline(session);
}

void Sessions::OnClosed(Session* session) {
  session->state = Session::State::kClosed;
  int code = 1006;
  std::string reason = kReasonAbnormal;
  if (session->closeCode != 0) {
    code = session->closeCode;
    reason = session->closeReason;
  } else if (session->peerClosed) {
    code = session->peerCode;
    reason = session->peerReason;
  }
  FireDisconnect(*session->api, session->context, code, reason);
  Erase(session);
  if (afterClose) afterClose();
}

void Sessions::FireDisconnect(const ApiConfig& api, const ConnectionContext& context, int code,
                                   const std::string& reason) {
  const FunctionConfig* function = api.FunctionFor("$disconnect");
  std::string id = context.connectionId;
  if (function == nullptr) {
    Log::Info("disconnect",
              {Str("event", "disconnect"), Str("connectionId", id), Str("routeKey", "$disconnect"),
               Str("function", "-"), Str("outcome", "no $disconnect route"), Num("latencyMs", 0.0),
               Num("disconnectStatusCode", static_cast<long long>(code)),
               Str("disconnectReason", reason)});
    return;
  }
  EventIds ids{NewRequestId(), ""};
  Json::Value event = BuildDisconnectEvent(context, code, reason, ids, NowMs());
  std::string function_name = function->name;
  server_.Invoke(*function, event, [id, function_name, code, reason](InvokeOutcome outcome) {
    bool ok = outcome.kind == InvokeOutcome::Kind::kOk;
    std::vector<LogField> fields = {Str("event", "disconnect"),
                                    Str("connectionId", id),
                                    Str("routeKey", "$disconnect"),
                                    Str("function", function_name),
                                    Str("outcome", ok ? "ok" : ToString(outcome.kind)),
                                    Num("latencyMs", outcome.latencyMs),
                                    Num("disconnectStatusCode", static_cast<long long>(code)),
                                    Str("disconnectReason", reason)};
    if (!ok) fields.push_back(Str("reason", outcome.detail));
    Log::Write(ok ? LogLevel::kInfo : LogLevel::kWarn, "disconnect", fields);
  });
}

}  // namespace wsgw
