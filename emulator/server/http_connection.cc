#include "server/http_connection.h"

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

#include "base/log.h"
#include "server/http_responses.h"

namespace wsgw {
namespace {

inline constexpr int kHeadDeadlineSeconds = 10;
inline constexpr int kBodyDeadlineSeconds = 10;
inline constexpr int kIdleSeconds = 30;
inline constexpr int kDrainSeconds = 2;
inline constexpr size_t kReadChunk = 64 * 1024;
inline constexpr int kTimeoutReasonHead = PENDING_TIMEOUT_USER_REASON_BASE + 3;
inline constexpr int kTimeoutReasonBody = PENDING_TIMEOUT_USER_REASON_BASE + 4;
inline constexpr int kTimeoutReasonIdle = PENDING_TIMEOUT_USER_REASON_BASE + 5;
inline constexpr int kTimeoutReasonDrain = PENDING_TIMEOUT_USER_REASON_BASE + 6;

bool HasLineBreak(const std::string& text) {
  return text.find_first_of("\r\n") != std::string::npos;
}

void SetDeadline(lws* wsi, int reason, int seconds) {
  lws_set_timeout(wsi, static_cast<pending_timeout>(reason), seconds);
}

}  // namespace

std::string SerializeHttpResponse(const HttpResponse& answer, bool closing) {
  std::string out =
      "HTTP/1.1 " + std::to_string(answer.status) + " " + ReasonPhrase(answer.status) + "\r\n";
  bool no_body =
      answer.status == 204 || answer.status == 304 || (answer.status >= 100 && answer.status < 200);
  if (!no_body) {
    out += "Content-Type: " + answer.contentType + "\r\n";
    out += "Content-Length: " + std::to_string(answer.body.size()) + "\r\n";
  }
  for (const auto& [name, value] : answer.headers) {
    if (name.empty() || HasLineBreak(name) || HasLineBreak(value)) continue;
    out += name + ": " + value + "\r\n";
  }
  if (closing) out += "Connection: close\r\n";
  out += "\r\n";
  if (!no_body && !answer.headOnly) out += answer.body;
  return out;
}

HttpConnection::HttpConnection(lws* wsi, int fd, HttpRoutes& routes, std::string peer, bool secure,
                               Screen screen)
    : wsi_(wsi),
      fd_(fd),
      routes_(routes),
      screen_(std::move(screen)),
      peer_(std::move(peer)),
      secure_(secure),
      reader_(HttpLimits{}, [&routes](const HttpHead& head) { return routes.MaxBodyBytes(head); }) {
}

HttpConnection::~HttpConnection() { *alive_ = false; }

void HttpConnection::SetReading(bool on) {
  if (reading_ == on) return;
  reading_ = on;
  lws_rx_flow_control(wsi_, on ? 1 : 0);
}

void HttpConnection::Kill() { SetDeadline(wsi_, kTimeoutReasonDrain, LWS_TO_KILL_ASYNC); }

int HttpConnection::OnReadable() {
  char buffer[kReadChunk];
  ssize_t n = recv(fd_, buffer, sizeof buffer, 0);
  if (n < 0) return (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) ? 0 : -1;
  if (draining_) return n == 0 ? -1 : 0;
  if (n == 0) {
    // The client is done sending; what it asked for so far is still answered.
    peerDone_ = true;
    SetReading(false);
  } else {
    reader_.Append(std::string_view(buffer, static_cast<size_t>(n)));
  }
  return Process();
}

int HttpConnection::OnWritable() { return Process(); }

void HttpConnection::OnAnswer(HttpResponse answer) {
  answering_ = false;
  Queue(answer, !keepAlive_);
  if (!processing_ && Process() != 0) Kill();
}

void HttpConnection::Queue(const HttpResponse& answer, bool closing) {
  if (closing) closing_ = true;
  out_ += SerializeHttpResponse(answer, closing);
}

bool HttpConnection::WriteOut() {
  while (outSent_ < out_.size()) {
    ssize_t n = send(fd_, out_.data() + outSent_, out_.size() - outSent_, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
        lws_callback_on_writable(wsi_);
        return true;
      }
      return false;
    }
    outSent_ += static_cast<size_t>(n);
  }
  out_.clear();
  outSent_ = 0;
  return true;
}

int HttpConnection::Process() {
  if (processing_) return 0;
  processing_ = true;
  int result = 0;
  while (true) {
    if (!WriteOut()) {
      result = -1;
      break;
    }
    if (!out_.empty() || answering_ || draining_) break;  // waiting to write, or for an answer
    if (closing_) {
      if (peerDone_) {
        result = -1;
        break;
      }
      // Half-close, then read until the client's FIN: a close() with unread bytes would reset
      // the connection, and the client could lose the answer.
      shutdown(fd_, SHUT_WR);
      draining_ = true;
      SetReading(true);
      SetDeadline(wsi_, kTimeoutReasonDrain, kDrainSeconds);
      break;
    }
    HttpRequest request;
    HttpRequestReader::Step step = reader_.Next(&request);
    if (step == HttpRequestReader::Step::kNeedMore) {
      if (peerDone_) {
        // The client ended its side with no request, or in the middle of one.
        result = -1;
        break;
      }
      if (const HttpHead* head = reader_.waitingBody()) {
        if (!bodyStarted_) {
          bodyStarted_ = true;
          SetDeadline(wsi_, kTimeoutReasonBody, kBodyDeadlineSeconds);
          std::optional<std::string> expect = head->Header("Expect");
          if (expect && EqualsIgnoreCase(TrimSpace(*expect), "100-continue")) {
            out_ += "HTTP/1.1 100 Continue\r\n\r\n";
            continue;
          }
        }
      } else if (reader_.buffered() == 0) {
        SetDeadline(wsi_, kTimeoutReasonIdle, kIdleSeconds);
        headStarted_ = false;
      } else if (!headStarted_) {
        headStarted_ = true;
        SetDeadline(wsi_, kTimeoutReasonHead, kHeadDeadlineSeconds);
      }
      SetReading(true);
      break;
    }
    if (step == HttpRequestReader::Step::kRefused) {
      const HttpRefusal& refusal = *reader_.refusal();
      Log::Warn("refused an HTTP request (" + std::to_string(refusal.status) + ")",
                {Str("reason", refusal.reason), Str("sourceIp", peer_)});
      if (refusal.status == 413 && refusal.head) {
        Queue(routes_.TooLarge(*refusal.head, refusal.contentLength, refusal.limit), true);
      } else {
        HttpResponse answer;
        answer.status = refusal.status;
        answer.body = JsonMessageBody(refusal.reason);
        Queue(answer, true);
      }
      continue;
    }
    headStarted_ = false;
    bodyStarted_ = false;
    if (request.head.upgradeWebSocket) {
      // Only the first request of a TCP connection passes $connect; an upgrade later on a
      // kept-alive connection would bypass it.
      Log::Warn("refused an upgrade on a kept-alive HTTP connection (400)",
                {Str("sourceIp", peer_)});
      HttpResponse answer;
      answer.status = 400;
      answer.body = JsonMessageBody("WebSocket upgrades must be the first request of a connection");
      Queue(answer, true);
      continue;
    }
    if (screen_) {
      if (std::optional<std::string> refusal = screen_(request.head)) {
        Log::Warn("refused a request on the services-only port (404)",
                  {Str("path", request.head.path)});
        HttpResponse answer;
        answer.status = 404;
        answer.body = JsonMessageBody(*refusal);
        Queue(answer, !request.keepAlive);
        continue;
      }
    }
    answering_ = true;
    keepAlive_ = request.keepAlive;
    lws_set_timeout(wsi_, NO_PENDING_TIMEOUT, 0);
    SetReading(false);
    std::weak_ptr<bool> alive = alive_;
    routes_.Handle(std::move(request), peer_, secure_, [this, alive](HttpResponse answer) {
      if (alive.expired()) return;  // the client left before its answer
      OnAnswer(std::move(answer));
    });
  }
  processing_ = false;
  return result;
}

}  // namespace wsgw
