#include "server/tls_tunnels.h"

#include <openssl/err.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>

#include "base/log.h"

namespace wsgw {
namespace {

inline constexpr size_t kBufferBytes = 64 * 1024;
// A real client sends its whole ClientHello at once; one that stops inside it is closed soon
// (a garbage byte stream that happens to start with 0x16 looks like that). The rest of the
// handshake, after the ClientHello, gets kHandshakeSeconds.
inline constexpr int kClientHelloSeconds = 3;
inline constexpr int kHandshakeSeconds = 10;
inline constexpr int kLingerSeconds = 2;
inline constexpr int kTimeoutReasonHandshake = PENDING_TIMEOUT_USER_REASON_BASE + 11;
inline constexpr int kTimeoutReasonLinger = PENDING_TIMEOUT_USER_REASON_BASE + 12;

std::string TlsErrorText() {
  unsigned long code = ERR_get_error();
  ERR_clear_error();
  if (code == 0) return "connection closed during the handshake";
  char text[256];
  ERR_error_string_n(code, text, sizeof text);
  return text;
}

int SelectAlpn(SSL* /*ssl*/, const unsigned char** out, unsigned char* out_length,
               const unsigned char* in, unsigned int in_length, void* /*arg*/) {
  static const unsigned char kOffered[] = "\x08http/1.1";
  unsigned char* selected = nullptr;
  if (SSL_select_next_proto(&selected, out_length, kOffered, sizeof kOffered - 1, in, in_length) !=
      OPENSSL_NPN_NEGOTIATED) {
    return SSL_TLSEXT_ERR_NOACK;  // a client offering only h2 still gets HTTP/1.1, unnamed
  }
  *out = selected;
  return SSL_TLSEXT_ERR_OK;
}

}  // namespace

TlsTunnels::~TlsTunnels() {
  tunnels_.clear();
  if (ctx_ != nullptr) SSL_CTX_free(ctx_);
}

bool TlsTunnels::Configure(const std::string& cert_file, const std::string& key_file,
                           std::string* error) {
  SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
  if (ctx == nullptr) {
    *error = "OpenSSL: " + TlsErrorText();
    return false;
  }
  SSL_CTX_set_default_passwd_cb(ctx, [](char*, int, int, void*) { return 0; });
  if (SSL_CTX_use_certificate_chain_file(ctx, cert_file.c_str()) != 1) {
    *error = "cannot load the TLS certificate " + cert_file + ": " + TlsErrorText();
    SSL_CTX_free(ctx);
    return false;
  }
  if (SSL_CTX_use_PrivateKey_file(ctx, key_file.c_str(), SSL_FILETYPE_PEM) != 1 ||
      SSL_CTX_check_private_key(ctx) != 1) {
    *error = "cannot use the TLS key " + key_file + ": " + TlsErrorText();
    SSL_CTX_free(ctx);
    return false;
  }
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
  SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER |
                            SSL_MODE_RELEASE_BUFFERS);
  SSL_CTX_set_alpn_select_cb(ctx, SelectAlpn, nullptr);
  SSL_CTX_set_client_hello_cb(
      ctx,
      [](SSL* ssl, int* /*alert*/, void* /*arg*/) {
        static_cast<TlsTunnel*>(SSL_get_app_data(ssl))->OnClientHello();
        return SSL_CLIENT_HELLO_SUCCESS;
      },
      nullptr);
  ctx_ = ctx;
  return true;
}

void TlsTunnels::Start(int client_fd, bool services_only, std::string peer) {
  auto tunnel = std::make_unique<TlsTunnel>(*this, client_fd, services_only, std::move(peer));
  TlsTunnel* raw = tunnel.get();
  tunnels_.emplace(raw, std::move(tunnel));
  if (!raw->Begin(ctx_)) Remove(raw);
}

void TlsTunnels::Remove(TlsTunnel* tunnel) { tunnels_.erase(tunnel); }

TlsTunnel::TlsTunnel(TlsTunnels& owner, int client_fd, bool services_only, std::string peer)
    : owner_(owner), clientFd_(client_fd), servicesOnly_(services_only), peer_(std::move(peer)) {}

TlsTunnel::~TlsTunnel() {
  if (ssl_ != nullptr) SSL_free(ssl_);
}

bool TlsTunnel::Begin(SSL_CTX* ctx) {
  ssl_ = SSL_new(ctx);
  if (ssl_ == nullptr || SSL_set_fd(ssl_, clientFd_) != 1) {
    Log::Warn("OpenSSL could not take a connection", {Str("error", TlsErrorText())});
    close(clientFd_);
    return false;
  }
  SSL_set_accept_state(ssl_);
  SSL_set_app_data(ssl_, this);
  clientWsi_ = owner_.server_.AdoptRaw(clientFd_, &clientSide_);
  if (clientWsi_ == nullptr) {
    Log::Warn("libwebsockets refused a TLS connection");
    return false;
  }
  lws_set_timeout(clientWsi_, static_cast<pending_timeout>(kTimeoutReasonHandshake),
                  kClientHelloSeconds);
  return true;
}

void TlsTunnel::OnClientHello() {
  if (clientWsi_ != nullptr && !handshakeDone_) {
    lws_set_timeout(clientWsi_, static_cast<pending_timeout>(kTimeoutReasonHandshake),
                    kHandshakeSeconds);
  }
}

int TlsTunnel::OnEvent(bool client_side) {
  if (finished_) return -1;
  if (!client_side && lingering_) return -1;
  if (lingering_) {
    if (Linger()) return 0;
    finished_ = true;
    return -1;
  }
  if (!Pump()) {
    finished_ = true;
    KillSide(!client_side);
    return -1;
  }
  if (lingering_) KillSide(false);  // the plain side is done; the client gets its FIN
  return 0;
}

void TlsTunnel::KillSide(bool client_side) {
  lws* wsi = client_side ? clientWsi_ : plainWsi_;
  if (wsi != nullptr) lws_set_timeout(wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
}

void TlsTunnel::OnSideClosed(bool client_side) {
  if (client_side) {
    clientWsi_ = nullptr;
    if (!finished_ && !handshakeDone_) {
      Log::Info("TLS connection closed before its handshake finished",
                {Str("sourceIp", peer_),
                 Str("limit", std::to_string(kClientHelloSeconds) + " s for the ClientHello, " +
                                  std::to_string(kHandshakeSeconds) + " s for the rest")});
    }
  } else {
    plainWsi_ = nullptr;
  }
  if (!lingering_ || client_side) {
    finished_ = true;
    KillSide(!client_side);
  }
  if (clientWsi_ == nullptr && plainWsi_ == nullptr) owner_.Remove(this);
}

bool TlsTunnel::StartPlainSide() {
  int pair[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, pair) != 0) {
    Log::Warn("socketpair failed for a TLS connection", {Str("error", strerror(errno))});
    return false;
  }
  plainWsi_ = owner_.server_.AdoptRaw(pair[0], &plainSide_);
  if (plainWsi_ == nullptr) {
    close(pair[0]);
    close(pair[1]);
    Log::Warn("libwebsockets refused a TLS connection's plaintext side");
    return false;
  }
  plainFd_ = pair[0];
  if (owner_.plainReady) {
    owner_.plainReady(pair[1], servicesOnly_, peer_);
  } else {
    close(pair[1]);
  }
  return true;
}

bool TlsTunnel::Pump() {
  clientWriteWanted_ = false;
  plainWriteWanted_ = false;
  if (!handshakeDone_) {
    int result = SSL_do_handshake(ssl_);
    if (result != 1) {
      int reason = SSL_get_error(ssl_, result);
      if (reason == SSL_ERROR_WANT_READ || reason == SSL_ERROR_WANT_WRITE) {
        clientWriteWanted_ = reason == SSL_ERROR_WANT_WRITE;
        UpdateInterest();
        return true;
      }
      Log::Info("TLS handshake failed", {Str("sourceIp", peer_), Str("reason", TlsErrorText())});
      return false;
    }
    handshakeDone_ = true;
    lws_set_timeout(clientWsi_, NO_PENDING_TIMEOUT, 0);
    if (!StartPlainSide()) return false;
  }

  char buffer[16 * 1024];
  bool progress = true;
  while (progress) {
    progress = false;
    while (!clientEof_ && toPlain_.size() < kBufferBytes) {
      int n = SSL_read(ssl_, buffer,
                       static_cast<int>(std::min(sizeof buffer, kBufferBytes - toPlain_.size())));
      if (n > 0) {
        toPlain_.append(buffer, static_cast<size_t>(n));
        progress = true;
        continue;
      }
      int reason = SSL_get_error(ssl_, n);
      if (reason == SSL_ERROR_WANT_READ) break;
      if (reason == SSL_ERROR_WANT_WRITE) {
        clientWriteWanted_ = true;
        break;
      }
      clientEof_ = true;
      // close_notify ends the stream cleanly; a reset, a bare FIN or a TLS error breaks it.
      if (reason != SSL_ERROR_ZERO_RETURN) clientBroken_ = true;
      ERR_clear_error();
    }
    while (!toPlain_.empty()) {
      ssize_t n = send(plainFd_, toPlain_.data(), toPlain_.size(), MSG_NOSIGNAL);
      if (n > 0) {
        toPlain_.erase(0, static_cast<size_t>(n));
        progress = true;
        continue;
      }
      if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
        plainWriteWanted_ = true;
        break;
      }
      return false;  // the gateway's side is gone
    }
    if (clientEof_ && toPlain_.empty() && !plainShutWr_) {
      shutdown(plainFd_, SHUT_WR);
      plainShutWr_ = true;
    }
    if (clientBroken_) return false;

    while (!plainEof_ && toClient_.size() < kBufferBytes) {
      ssize_t n =
          recv(plainFd_, buffer, std::min(sizeof buffer, kBufferBytes - toClient_.size()), 0);
      if (n > 0) {
        toClient_.append(buffer, static_cast<size_t>(n));
        progress = true;
        continue;
      }
      if (n < 0 && (errno == EAGAIN || errno == EINTR)) break;
      plainEof_ = true;
    }
    while (!toClient_.empty()) {
      int n = SSL_write(ssl_, toClient_.data(),
                        static_cast<int>(std::min(toClient_.size(), static_cast<size_t>(INT_MAX))));
      if (n > 0) {
        toClient_.erase(0, static_cast<size_t>(n));
        progress = true;
        continue;
      }
      int reason = SSL_get_error(ssl_, n);
      ERR_clear_error();
      if (reason == SSL_ERROR_WANT_WRITE) {
        clientWriteWanted_ = true;
        break;
      }
      if (reason == SSL_ERROR_WANT_READ) break;
      return false;  // the client is gone
    }
  }

  if (plainEof_ && toClient_.empty()) {
    // Everything the gateway said is out: close_notify, then FIN, and a short wait for the
    // client's FIN so that close() does not reset a connection whose last bytes are in flight.
    SSL_shutdown(ssl_);
    ERR_clear_error();
    shutdown(clientFd_, SHUT_WR);
    lingering_ = true;
    lws_set_timeout(clientWsi_, static_cast<pending_timeout>(kTimeoutReasonLinger), kLingerSeconds);
    if (!clientRxOn_) {
      lws_rx_flow_control(clientWsi_, 1);
      clientRxOn_ = true;
    }
    return true;
  }
  UpdateInterest();
  return true;
}

bool TlsTunnel::Linger() {
  char buffer[4096];
  ssize_t n = recv(clientFd_, buffer, sizeof buffer, 0);
  if (n > 0) return true;
  return n < 0 && (errno == EAGAIN || errno == EINTR);
}

void TlsTunnel::UpdateInterest() {
  bool client_rx = !handshakeDone_ || (!clientEof_ && toPlain_.size() < kBufferBytes);
  if (client_rx != clientRxOn_ && clientWsi_ != nullptr) {
    lws_rx_flow_control(clientWsi_, client_rx ? 1 : 0);
    clientRxOn_ = client_rx;
  }
  bool plain_rx = !plainEof_ && toClient_.size() < kBufferBytes;
  if (plainWsi_ != nullptr && plain_rx != plainRxOn_) {
    lws_rx_flow_control(plainWsi_, plain_rx ? 1 : 0);
    plainRxOn_ = plain_rx;
  }
  if (clientWriteWanted_ && clientWsi_ != nullptr) lws_callback_on_writable(clientWsi_);
  if (plainWriteWanted_ && plainWsi_ != nullptr) lws_callback_on_writable(plainWsi_);
}

}  // namespace wsgw
