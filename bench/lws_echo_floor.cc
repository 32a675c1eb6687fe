// lws_echo_floor: the floor for wsgw's echo benchmarks. A bare libwebsockets server (same library,
// same single service loop, same event backend as wsgw-emulate: libev on epoll) that sends every
// text message back on the connection it came from, with no routing, no events and no function in
// between. The CPU it spends per message is what any libwebsockets WebSocket server must spend; the
// gateway's CPU per message above it is the gateway's own overhead.
//
//   lws_echo_floor [--port N] [--ready-file PATH] [--seconds S] [--poll]
//
// --port 0 (the default) picks a free port; the ready file gets {"port": N}. Stops on
// SIGINT/SIGTERM or after --seconds (default 600), whichever comes first. --poll keeps lws's own
// poll() loop instead of libev, to compare the two backends.
#include <libwebsockets.h>
#include <sys/resource.h>

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <string>
#include <memory>
#include <vector>

#include "server/event_loop.h"

namespace {

volatile std::sig_atomic_t g_stop = 0;

// Lives in the per-session memory lws allocates: constructed at ESTABLISHED, destroyed at CLOSED.
struct Session {
  std::string rx;               // fragments of the message being received
  std::deque<std::string> out;  // messages waiting for WRITEABLE
};

void OnStopSignal(int) { g_stop = 1; }

int Callback(lws* wsi, lws_callback_reasons reason, void* user, void* in, size_t len) {
  auto* session = static_cast<Session*>(user);
  switch (reason) {
    case LWS_CALLBACK_ESTABLISHED:
      new (session) Session();
      return 0;
    case LWS_CALLBACK_RECEIVE:
      session->rx.append(static_cast<const char*>(in), len);
      if (lws_is_final_fragment(wsi)) {
        session->out.push_back(std::move(session->rx));
        session->rx.clear();
        lws_callback_on_writable(wsi);
      }
      return 0;
    case LWS_CALLBACK_SERVER_WRITEABLE: {
      if (session->out.empty()) return 0;
      std::string& text = session->out.front();
      std::vector<unsigned char> buffer(LWS_PRE + text.size());
      std::memcpy(buffer.data() + LWS_PRE, text.data(), text.size());
      int written = lws_write(wsi, buffer.data() + LWS_PRE, text.size(), LWS_WRITE_TEXT);
      session->out.pop_front();
      if (written < 0) return -1;
      if (!session->out.empty()) lws_callback_on_writable(wsi);
      return 0;
    }
    case LWS_CALLBACK_CLOSED:
      session->~Session();
      return 0;
    default:
      return lws_callback_http_dummy(wsi, reason, user, in, len);
  }
}

const lws_protocols kProtocols[] = {
    {"floor-echo", Callback, sizeof(Session), 64 * 1024, 0, nullptr, 0},
    {nullptr, nullptr, 0, 0, 0, nullptr, 0},
};

}  // namespace

int main(int argc, char** argv) {
  int port = 0;
  std::string ready_file;
  double seconds = 600;
  bool use_poll = false;
  const char* usage =
      "usage: lws_echo_floor [--port N] [--ready-file PATH] [--seconds S] [--poll]\n"
      "  --poll  serve on lws's own poll() loop instead of libev/epoll (to compare backends)\n";
  for (int i = 1; i < argc; ++i) {
    std::string flag = argv[i];
    if (flag == "--help") {
      std::fputs(usage, stdout);
      return 0;
    }
    if (flag == "--poll") {
      use_poll = true;
      continue;
    }
    if (i + 1 < argc && flag == "--port") port = std::atoi(argv[++i]);
    else if (i + 1 < argc && flag == "--ready-file") ready_file = argv[++i];
    else if (i + 1 < argc && flag == "--seconds") seconds = std::atof(argv[++i]);
    else {
      std::fputs(usage, stderr);
      return 2;
    }
  }
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) == 0) {
    limit.rlim_cur = limit.rlim_max;
    setrlimit(RLIMIT_NOFILE, &limit);
  }
  // No timer wakes the loop (an lws timer would make poll() spin through its last millisecond):
  // the signals themselves interrupt poll() or epoll_wait(), and SIGALRM ends the run after
  // --seconds.
  struct sigaction stop{};
  stop.sa_handler = OnStopSignal;
  sigaction(SIGINT, &stop, nullptr);
  sigaction(SIGTERM, &stop, nullptr);
  sigaction(SIGALRM, &stop, nullptr);
  std::signal(SIGPIPE, SIG_IGN);
  lws_set_log_level(LLL_ERR, nullptr);

  lws_context_creation_info info{};
  info.port = port;
  info.iface = "127.0.0.1";
  info.protocols = kProtocols;
  info.gid = -1;
  info.uid = -1;
  info.options = LWS_SERVER_OPTION_VALIDATE_UTF8 | LWS_SERVER_OPTION_DISABLE_IPV6;
  info.pt_serv_buf_size = 32 * 1024;
  // As the gateway: no lws pings (and no 5-minute timer per connection in lws's sorted list).
  static const lws_retry_bo_t kNoPings = {};
  info.retry_and_idle_policy = &kNoPings;
  // The gateway's loop (wsgw::EventLoop: libev over epoll, handed to lws as a foreign loop).
  std::unique_ptr<wsgw::EventLoop> loop;
  if (!use_poll) {
    std::string error;
    loop = wsgw::EventLoop::Create(&error);
    if (loop == nullptr) {
      std::fprintf(stderr, "lws_echo_floor: %s (try --poll)\n", error.c_str());
      return 1;
    }
    loop->UseIn(&info);
  }
  lws_context* context = lws_create_context(&info);
  if (context == nullptr) {
    std::fprintf(stderr, "lws_echo_floor: cannot create the server on port %d\n", port);
    return 1;
  }
  lws_vhost* vhost = lws_get_vhost_by_name(context, "default");
  int bound = vhost != nullptr ? lws_get_vhost_listen_port(vhost) : port;
  if (!ready_file.empty()) {
    std::string temp = ready_file + ".tmp";
    if (FILE* f = std::fopen(temp.c_str(), "w")) {
      std::fprintf(f, "{\"port\": %d}\n", bound);
      std::fclose(f);
      std::rename(temp.c_str(), ready_file.c_str());
    }
  }
  std::printf("lws_echo_floor listening on ws://127.0.0.1:%d/\n", bound);
  std::fflush(stdout);

  alarm(static_cast<unsigned>(std::max(1.0, seconds)));
  while (!g_stop) {
    if (wsgw::ServiceOnce(loop.get(), context) < 0) break;
  }
  lws_context_destroy(context);
  return 0;
}
