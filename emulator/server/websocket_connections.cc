#include "server/gateway_impl.h"

namespace wsgw {

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
                            "frames",
                            {});
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
  std::optional<std::string> route = SelectRoute(*api.routeSelection, api.RouteKeys(), body);
  if (!route) {
    Log::Info("message",
              {Str("event", "message"), Str("connectionId", id), Str("routeKey", "-"),
               Str("function", "-"), Str("outcome", "forbidden (no route matched and no $default)"),
               Num("latencyMs", 0.0)});
    Send(connection, GatewayErrorFrame("Forbidden", id, request_id), false);
    return;
  }
  const RouteConfig* route_config = api.FindRoute(*route);
  const FunctionConfig* function = api.FunctionFor(*route);
  EventIds ids{request_id, NewMessageId()};
  std::string event = SerializeMessageEvent(connection->context, *route, body, ids, NowMs());
  bool two_way = route_config->routeResponse;
  std::string function_name = function->name;
  std::string route_key = *route;
  Invoke(*function, std::move(event),
         [this, id, request_id, two_way, function_name, route_key](InvokeOutcome outcome) {
           MessageVerdict verdict = InterpretMessageResult(outcome, two_way);
           LogLevel level = verdict.failed ? LogLevel::kWarn : LogLevel::kInfo;
           if (Log::Enabled(level)) {  // the hot path: no fields built for a line not written
             std::vector<LogField> fields = {
                 Str("event", "message"),
                 Str("connectionId", id),
                 Str("routeKey", route_key),
                 Str("function", function_name),
                 Str("outcome", verdict.failed ? "error" : (verdict.reply ? "replied" : "ok")),
                 Num("latencyMs", outcome.latencyMs)};
             if (verdict.failed) fields.push_back(Str("reason", verdict.reason));
             Log::Write(level, "message", fields);
           }
           Connection* connection = FindConnection(id);
           if (connection == nullptr || connection->state != Connection::State::kOpen) return;
           if (verdict.failed) {
             Send(connection, GatewayErrorFrame("Internal server error", id, request_id), false,
                  true);
           } else if (verdict.reply) {
             bool binary = !IsValidUtf8(*verdict.reply);  // isBase64Encoded bodies may be bytes
             Send(connection, std::move(*verdict.reply), binary, true);
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

void Gateway::Impl::Send(Connection* connection, std::string bytes, bool binary, bool at_once) {
  connection->lastActiveMs = NowMs();  // server pushes count as activity (AWS-NOTES §5.2)
  lws* wsi = connection->wsi;
  // `at_once`, nothing queued, no close under way on either side, and the socket takes it now:
  // written at once, as OnWritable would on the loop's next turn, without that turn.
  // lws_send_pipe_choked also says no while lws holds the rest of an earlier partial write.
  // Only for a route's reply: many PostToConnection calls in a row (a broadcast) are faster
  // queued and written by lws in one pass than each sent (and its reader woken) in turn.
  if (at_once && wsi != nullptr && connection->state == Connection::State::kOpen &&
      connection->outbound.empty() && !connection->closeRequested && !connection->peerClosed &&
      !lws_send_pipe_choked(wsi)) {
    if (!WriteFrame(wsi, bytes, binary)) {
      // What OnWritable's -1 does: lws closes the connection (1006 for its $disconnect).
      lws_set_timeout(wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
    }
    return;
  }
  connection->outboundBytes += bytes.size();
  connection->outbound.push_back({std::move(bytes), binary});
  if (wsi != nullptr) lws_callback_on_writable(wsi);
}

int Gateway::Impl::OnWritable(Connection* connection) {
  lws* wsi = connection->wsi;
  if (!connection->outbound.empty()) {
    Connection::Outbound next = std::move(connection->outbound.front());
    connection->outbound.pop_front();
    connection->outboundBytes -= next.bytes.size();
    if (!WriteFrame(wsi, next.bytes, next.binary)) return -1;
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
  ForgetDeadline(connection);
  connection->deadline = deadlines.emplace(std::min(idle_deadline, life_deadline), connection);
  if (*connection->deadline == deadlines.begin()) ArmDeadlineTimer();
}

void Gateway::Impl::ForgetDeadline(Connection* connection) {
  if (!connection->deadline) return;
  deadlines.erase(*connection->deadline);
  connection->deadline.reset();
}

void Gateway::Impl::ArmDeadlineTimer() {
  if (deadlines.empty()) {
    lws_sul_cancel(&deadlineTimer.sul);
    return;
  }
  int64_t wait_ms = std::max<int64_t>(1, deadlines.begin()->first - NowMs());
  lws_sul_schedule(
      context, 0, &deadlineTimer.sul,
      [](lws_sorted_usec_list_t* sul) { GatewayTimer::OwnerOf(sul)->OnDeadlines(); },
      wait_ms * LWS_US_PER_MS);
}

void Gateway::Impl::OnDeadlines() {
  int64_t now = NowMs();
  while (!deadlines.empty() && deadlines.begin()->first <= now) {
    Connection* connection = deadlines.begin()->second;
    ForgetDeadline(connection);
    OnTimer(connection);  // closes it, or sets its next deadline
  }
  ArmDeadlineTimer();
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
  ForgetDeadline(connection);
  connections.erase(connection->context.connectionId);
  MaybeFinishShutdown();
}

void Gateway::Impl::FireDisconnect(const ApiConfig& api, const ConnectionContext& context, int code,
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
  Invoke(*function, event, [id, function_name, code, reason](InvokeOutcome outcome) {
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
