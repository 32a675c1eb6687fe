// TLS on the gateway's port. A connection whose first byte is 0x16 (a TLS handshake record) is
// handed here by HeldHandshakes: OpenSSL terminates TLS on the client's socket, non-blocking, on
// the gateway's loop, and once the handshake is done the plaintext is shuttled through a
// socketpair() whose other end goes down the plain accept path (HeldHandshakes::AdoptTunneled),
// carrying the client's address and the fact it came over TLS. Everything after that — held
// upgrades, sessions, HTTP — is the same code as for a plain connection.
//
// Each direction has one bounded buffer (kBufferBytes): a side is read only while the buffer it
// fills has room, so neither a fast sender nor a slow reader grows memory. The ClientHello must
// arrive within 3 s of the first byte, the rest of the handshake within 10 s more, or the socket is
// closed. When the gateway's side ends, the client gets what is left, then
// close_notify and FIN; its own close_notify or FIN ends the plain side with a FIN the same way; a
// reset or a TLS error closes both at once.
#pragma once

#include <libwebsockets.h>
#include <openssl/ssl.h>

#include <functional>
#include <memory>
#include <string>
#include <unordered_map>

#include "server/raw_descriptor.h"
#include "server/server_context.h"

namespace wsgw {

class TlsTunnels;

class TlsTunnel {
 public:
  TlsTunnel(TlsTunnels& owner, int client_fd, bool services_only, std::string peer);
  ~TlsTunnel();
  TlsTunnel(const TlsTunnel&) = delete;
  TlsTunnel& operator=(const TlsTunnel&) = delete;

  bool Begin(SSL_CTX* ctx);
  // OpenSSL has read the ClientHello: the rest of the handshake gets its own deadline.
  void OnClientHello();

 private:
  friend class TlsTunnels;

  class Side final : public RawDescriptor {
   public:
    Side(TlsTunnel& tunnel, bool client) : tunnel_(tunnel), client_(client) {}
    int OnReadable() override { return tunnel_.OnEvent(client_); }
    int OnWritable() override { return tunnel_.OnEvent(client_); }
    void OnClosed() override { tunnel_.OnSideClosed(client_); }

   private:
    TlsTunnel& tunnel_;
    bool client_;
  };

  int OnEvent(bool client_side);
  void OnSideClosed(bool client_side);
  // Moves bytes both ways as far as the buffers allow; false when both sides must close now.
  bool Pump();
  bool StartPlainSide();
  bool Linger();
  void UpdateInterest();
  void KillSide(bool client_side);

  TlsTunnels& owner_;
  Side clientSide_{*this, true};
  Side plainSide_{*this, false};
  int clientFd_;
  int plainFd_ = -1;  // our end of the socketpair
  lws* clientWsi_ = nullptr;
  lws* plainWsi_ = nullptr;
  bool servicesOnly_;
  std::string peer_;
  SSL* ssl_ = nullptr;

  std::string toPlain_;   // decrypted from the client, not yet written to the plain side
  std::string toClient_;  // from the plain side, not yet taken by SSL_write
  bool handshakeDone_ = false;
  bool clientEof_ = false;     // close_notify or FIN from the client
  bool clientBroken_ = false;  // reset or TLS error: nothing more can be sent
  bool plainEof_ = false;
  bool plainShutWr_ = false;
  bool lingering_ = false;  // close_notify and FIN sent; waiting briefly for the client's FIN
  bool finished_ = false;
  bool clientRxOn_ = true;
  bool plainRxOn_ = true;
  bool clientWriteWanted_ = false;
  bool plainWriteWanted_ = false;
};

class TlsTunnels {
 public:
  explicit TlsTunnels(ServerContext& server) : server_(server) {}
  ~TlsTunnels();
  TlsTunnels(const TlsTunnels&) = delete;
  TlsTunnels& operator=(const TlsTunnels&) = delete;

  // Loads the server's certificate chain and key; ALPN offers http/1.1 only.
  bool Configure(const std::string& cert_file, const std::string& key_file, std::string* error);
  bool enabled() const { return ctx_ != nullptr; }

  // Takes `client_fd` (accepted, non-blocking, already out of the loop's epoll set): its TLS
  // handshake runs now, and the plaintext goes to `plain_ready` once it is done.
  void Start(int client_fd, bool services_only, std::string peer);

  // How a finished handshake's plaintext socket reaches the plain accept path.
  std::function<void(int plain_fd, bool services_only, const std::string& peer)> plainReady;

  size_t size() const { return tunnels_.size(); }

 private:
  friend class TlsTunnel;
  void Remove(TlsTunnel* tunnel);

  ServerContext& server_;
  SSL_CTX* ctx_ = nullptr;
  std::unordered_map<TlsTunnel*, std::unique_ptr<TlsTunnel>> tunnels_;
};

}  // namespace wsgw
