// Connections before lws owns them (design: docs/HANDSHAKE.md). The gateway accepts every TCP
// connection itself and reads its request head: plain HTTP stays here, served from that head on
// by an HttpConnection (http_connection.h) on the same descriptor; a WebSocket
// upgrade is held, unanswered, while its $connect function runs, then either refused with the
// function's status or replayed into lws as a new Session. A $connect with a Lambda authorizer
// runs it first, while the upgrade is still held (AWS-NOTES §6). One HeldHandshake per connection,
// owned here from accept() until lws takes the socket, the refusal is written or the HTTP
// connection ends.
#pragma once

#include <libwebsockets.h>

#include <memory>
#include <optional>
#include <string>
#include <unordered_map>

#include "api/function_answer.h"
#include "base/http_head.h"
#include "server/http_connection.h"
#include "server/loop_timer.h"
#include "server/raw_descriptor.h"
#include "server/server_context.h"
#include "server/sessions.h"
#include "server/tls_tunnels.h"

namespace wsgw {

class HeldHandshakes;

class HeldHandshake final : public RawDescriptor {
 public:
  enum class State { kReadingHead, kWaitingConnect, kRejecting, kServingHttp, kHandedOver };

  // `peer`, `secure`: for the plaintext end of a TLS tunnel (TlsTunnels), the client's address
  // and that it came over TLS; empty for a plain TCP connection, whose peer is read from `fd`.
  HeldHandshake(HeldHandshakes& owner, int fd, bool services_only, std::string peer = "",
                bool secure = false)
      : owner_(owner), fd_(fd), servicesOnly_(services_only), peer_(std::move(peer)),
        secure_(secure) {}

  int OnReadable() override;
  int OnWritable() override;
  void OnClosed() override;

 private:
  friend class HeldHandshakes;

  int ReadHead();
  // `headers`: extra header lines, each ending in CRLF.
  void Refuse(int status, const std::string& body, const std::string& headers = "");

  HeldHandshakes& owner_;
  State state_ = State::kReadingHead;
  lws* wsi_ = nullptr;
  int fd_;
  bool servicesOnly_;  // accepted on the AWS-services-only port
  std::string peer_;
  bool secure_;
  // Re-enables reading while a head is incomplete.
  LoopTimer retry_{this, [](void* self) {
                     lws_rx_flow_control(static_cast<HeldHandshake*>(self)->wsi_, 1);
                   }};
  std::string id_;
  std::string head_;      // the upgrade's head bytes, consumed from the socket
  std::string early_;     // bytes the client sent after the head while $connect ran
  std::string response_;  // a refusal being written
  size_t responseSent_ = 0;
  std::unique_ptr<HttpConnection> http_;  // kServingHttp: plain HTTP from the first head on
};

class HeldHandshakes {
 public:
  HeldHandshakes(ServerContext& server, Sessions& sessions)
      : server_(server), sessions_(sessions) {}
  ~HeldHandshakes();
  HeldHandshakes(const HeldHandshakes&) = delete;
  HeldHandshakes& operator=(const HeldHandshakes&) = delete;

  // Takes every connection waiting on the listening socket `listen_fd`; `services_only`: the
  // port answers AWS services' requests (GatewayOptions::awsServices) and refuses the rest.
  void AcceptAll(int listen_fd, bool services_only);
  // The plaintext end of a TLS connection (TlsTunnels::plainReady), from `peer`.
  void AdoptTunneled(int fd, bool services_only, const std::string& peer);
  // Where a connection whose first byte is a TLS record goes; null: TLS is off (--no-tls).
  void set_tls(TlsTunnels* tls) { tls_ = tls; }
  // Where plain HTTP requests (every connection whose first head is not an upgrade) go.
  void set_http_routes(HttpRoutes* routes) { httpRoutes_ = routes; }
  // Shutdown: every handshake still waiting for $connect is answered 503.
  void RefuseAllWaiting();
  bool empty() const { return waiting_.empty(); }

 private:
  friend class HeldHandshake;

  // Adopts a connection into the loop; false (and `fd` closed) when lws refuses it.
  bool Adopt(int fd, bool services_only, const std::string& peer, bool secure);
  // A TLS ClientHello on a plain connection: into a TlsTunnel, or refused when TLS is off.
  int StartTls(HeldHandshake* held);
  void StartUpgrade(HeldHandshake* held, const HttpHead& head);
  // The $connect route's Lambda authorizer, then (when it allows) InvokeConnect.
  void Authorize(HeldHandshake* held, const AuthorizerConfig& authorizer,
                 std::unique_ptr<Session> session, ConnectRequest request, const EventIds& ids);
  void InvokeConnect(HeldHandshake* held, std::unique_ptr<Session> session,
                     const ConnectRequest& request, const EventIds& ids);
  // The refusal for a request on the services-only port that is not for a service, if it is not.
  std::optional<std::string> ServicesOnlyRefusal(const HttpHead& head) const;
  void OnConnectVerdict(const std::string& id, const ConnectVerdict& verdict,
                        std::unique_ptr<Session> session);
  void OnClosed(HeldHandshake* held);

  ServerContext& server_;
  Sessions& sessions_;
  // Handshakes whose $connect is running, by connection id. lws owns their lifetime (they are
  // freed in OnClosed); this only finds them again when the verdict arrives.
  std::unordered_map<std::string, HeldHandshake*> waiting_;
  TlsTunnels* tls_ = nullptr;
  HttpRoutes* httpRoutes_ = nullptr;
};

}  // namespace wsgw
