#include "invoke/invoke_engine.h"

#include <curl/curl.h>
#include <json/json.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include "base/http_head.h"
#include "base/json.h"
#include "invoke/plain_http_client.h"

namespace wsgw {
namespace {

// Keep-alive pool shared by every function endpoint.
constexpr long kMaxCachedConnections = 64;
// Easy handles kept for reuse; more than this many finished at once are cleaned up.
constexpr int kMaxIdleEasies = 64;
// InvokeClient's worker wakes earlier on socket activity, curl's own timers or a wakeup; this only
// bounds an idle wait.
constexpr int kIdlePollMs = 10000;

struct EasyDeleter {
  void operator()(CURL* easy) const { curl_easy_cleanup(easy); }
};
struct MultiDeleter {
  void operator()(CURLM* multi) const { curl_multi_cleanup(multi); }
};
struct SlistDeleter {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};
using EasyHandle = std::unique_ptr<CURL, EasyDeleter>;
using MultiHandle = std::unique_ptr<CURLM, MultiDeleter>;
using HeaderList = std::unique_ptr<curl_slist, SlistDeleter>;

void GlobalInitOnce() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

double MillisSince(std::chrono::steady_clock::time_point started) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started)
      .count();
}

}  // namespace

struct InvokeEngine::Impl {
  // One invocation, from Invoke() until its callback ran. Owned by the queue, then by `active`.
  struct Transfer {
    std::string url;
    std::string payload;
    int timeout_ms = 0;
    Callback done;
    std::chrono::steady_clock::time_point started;

    std::string body;
    bool body_too_large = false;
    std::optional<std::string> function_error_header;
    char errbuf[CURL_ERROR_SIZE] = {};
    // Declared last so it is destroyed first: the easy handle points into everything above.
    EasyHandle easy;
  };

  explicit Impl(TimerHook hook);
  ~Impl();

  // Hands the transfer to curl; false (the transfer kept) when curl refused it.
  bool Start(std::unique_ptr<Transfer>& transfer, CURLcode* failure);
  EasyHandle TakeEasy();
  void Kick();
  void RunTimers(int* running);
  void CollectFinished();
  void ApplyTimer();
  // `reusable`: the easy handle went through curl and back, and may serve another transfer.
  void Finish(std::unique_ptr<Transfer> transfer, CURLcode result, bool reusable);
  // What curl's transfer came to, in the terms the in-house client reports.
  static HttpAnswer AnswerOf(Transfer& transfer, CURLcode result);
  static size_t OnBody(char* data, size_t size, size_t count, void* user);
  static size_t OnHeader(char* data, size_t size, size_t count, void* user);
  static int OnSocket(CURL* easy, curl_socket_t socket, int what, void* user, void* socket_data);
  static int OnCurlTimer(CURLM* multi, long timeout_ms, void* user);

  TimerHook set_timer;
  MultiHandle multi;
  HeaderList headers;  // the same for every transfer
  // Easy handles of finished transfers, their fixed options set, kept for the next ones:
  // curl_easy_init and the options cost more than the rest of a keep-alive request.
  std::vector<EasyHandle> idle_easies;
  int epoll_fd = -1;
  bool destroying = false;
  // Finished before they could be handed to curl, and transfers curl finished inside Invoke():
  // their callbacks run from OnTimeout(), so that none ever runs inside Invoke().
  std::vector<std::pair<std::unique_ptr<Transfer>, CURLcode>> queue;
  bool collect_pending = false;
  std::unordered_map<CURL*, std::unique_ptr<Transfer>> active;
  // When curl wants curl_multi_socket_action(CURL_SOCKET_TIMEOUT); nullopt: never.
  std::optional<std::chrono::steady_clock::time_point> curl_deadline;
  // Carries plain http:// calls to IP addresses (every supervised function); curl the rest.
  std::unique_ptr<PlainHttpClient> plain;
  // When the loop's timer is set to go off. It is moved earlier when something needs that, but
  // not later: going off early costs one look at the deadlines, moving it costs on every call.
  std::optional<std::chrono::steady_clock::time_point> armed;
};

namespace {

// Events of curl's sockets carry the descriptor with this bit; the in-house client's, ids below.
constexpr uint64_t kCurlSocket = PlainHttpClient::kForeignIdBit;

}  // namespace

InvokeEngine::Impl::Impl(TimerHook hook) : set_timer(std::move(hook)) {
  GlobalInitOnce();
  multi.reset(curl_multi_init());
  epoll_fd = epoll_create1(EPOLL_CLOEXEC);
  if (!multi || epoll_fd < 0) std::abort();  // only on resource exhaustion
  plain = std::make_unique<PlainHttpClient>(epoll_fd, kMaxFunctionResultBytes);
  curl_multi_setopt(multi.get(), CURLMOPT_MAXCONNECTS, kMaxCachedConnections);
  curl_multi_setopt(multi.get(), CURLMOPT_SOCKETFUNCTION, &Impl::OnSocket);
  curl_multi_setopt(multi.get(), CURLMOPT_SOCKETDATA, this);
  curl_multi_setopt(multi.get(), CURLMOPT_TIMERFUNCTION, &Impl::OnCurlTimer);
  curl_multi_setopt(multi.get(), CURLMOPT_TIMERDATA, this);
  curl_slist* list = curl_slist_append(nullptr, "Content-Type: application/json");
  // Without this, curl asks for "100 Continue" before sending a large event: a round-trip, or a
  // one-second stall with servers that never send it.
  if (list) {
    curl_slist* more = curl_slist_append(list, "Expect:");
    if (more) {
      list = more;
    } else {
      curl_slist_free_all(list);
      list = nullptr;
    }
  }
  headers.reset(list);
}

InvokeEngine::Impl::~Impl() {
  destroying = true;  // the loop's timer is not touched from here on
  // Cancelled: their callbacks are dropped unrun.
  for (auto& [easy, transfer] : active) curl_multi_remove_handle(multi.get(), easy);
  active.clear();
  queue.clear();
  idle_easies.clear();
  multi.reset();  // closes the cached connections, through OnSocket
  plain.reset();
  close(epoll_fd);
}

int InvokeEngine::Impl::OnSocket(CURL* /*easy*/, curl_socket_t socket, int what, void* user,
                                 void* socket_data) {
  auto* impl = static_cast<Impl*>(user);
  if (what == CURL_POLL_REMOVE) {
    // curl forgets the socket (and its socket_data) now; it may stay open in the connection
    // cache, unwatched, as with curl_multi_perform.
    epoll_ctl(impl->epoll_fd, EPOLL_CTL_DEL, socket, nullptr);
    return 0;
  }
  epoll_event event{};
  event.events = ((what & CURL_POLL_IN) ? EPOLLIN : 0u) | ((what & CURL_POLL_OUT) ? EPOLLOUT : 0u);
  event.data.u64 = static_cast<uint64_t>(socket) | kCurlSocket;
  if (socket_data == nullptr) {
    if (epoll_ctl(impl->epoll_fd, EPOLL_CTL_ADD, socket, &event) != 0 && errno == EEXIST) {
      epoll_ctl(impl->epoll_fd, EPOLL_CTL_MOD, socket, &event);
    }
    // Any non-null marker: "already in the epoll set".
    curl_multi_assign(impl->multi.get(), socket, impl);
  } else if (epoll_ctl(impl->epoll_fd, EPOLL_CTL_MOD, socket, &event) != 0 && errno == ENOENT) {
    epoll_ctl(impl->epoll_fd, EPOLL_CTL_ADD, socket, &event);
  }
  return 0;
}

int InvokeEngine::Impl::OnCurlTimer(CURLM* /*multi*/, long timeout_ms, void* user) {
  auto* impl = static_cast<Impl*>(user);
  if (timeout_ms < 0) {
    impl->curl_deadline.reset();
  } else {
    impl->curl_deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  }
  impl->ApplyTimer();
  return 0;
}

void InvokeEngine::Impl::ApplyTimer() {
  if (destroying) return;
  using Clock = std::chrono::steady_clock;
  Clock::time_point now = Clock::now();
  std::optional<Clock::time_point> wanted = plain->NextWakeup();
  if (!queue.empty() || collect_pending) wanted = now;
  if (curl_deadline && (!wanted || *curl_deadline < *wanted)) wanted = curl_deadline;
  if (!wanted) {
    if (armed) set_timer(-1);
    armed.reset();
    return;
  }
  if (armed && *armed <= *wanted) return;
  auto left = *wanted - now;
  // Rounded up: waking before a deadline would only come round again.
  long ms = static_cast<long>(
      std::chrono::ceil<std::chrono::milliseconds>(std::max(left, left.zero())).count());
  armed = now + std::chrono::milliseconds(ms);
  set_timer(ms);
}

EasyHandle InvokeEngine::Impl::TakeEasy() {
  if (!idle_easies.empty()) {
    EasyHandle easy = std::move(idle_easies.back());
    idle_easies.pop_back();
    return easy;
  }
  EasyHandle easy(curl_easy_init());
  if (!easy) return easy;
  CURL* e = easy.get();
  curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(e, CURLOPT_POST, 1L);
  curl_easy_setopt(e, CURLOPT_HTTPHEADER, headers.get());
  curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(e, CURLOPT_TCP_NODELAY, 1L);
  // Functions are called directly, never through the developer's http_proxy/HTTPS_PROXY (which
  // would also catch 127.0.0.1); this also spares curl reading the environment on every call.
  curl_easy_setopt(e, CURLOPT_PROXY, "");
  curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, &Impl::OnBody);
  curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, &Impl::OnHeader);
  return easy;
}

bool InvokeEngine::Impl::Start(std::unique_ptr<Transfer>& transfer, CURLcode* failure) {
  if (!headers) {
    *failure = CURLE_OUT_OF_MEMORY;
    return false;
  }
  transfer->easy = TakeEasy();
  CURL* easy = transfer->easy.get();
  if (!easy) {
    *failure = CURLE_OUT_OF_MEMORY;
    return false;
  }
  // What differs from one transfer to the next; everything else was set by TakeEasy.
  curl_easy_setopt(easy, CURLOPT_URL, transfer->url.c_str());
  curl_easy_setopt(easy, CURLOPT_POSTFIELDS, transfer->payload.data());
  curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE,
                   static_cast<curl_off_t>(transfer->payload.size()));
  // A deadline of 0 or less means none (curl's 0).
  curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, static_cast<long>(std::max(transfer->timeout_ms, 0)));
  curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, transfer->errbuf);
  curl_easy_setopt(easy, CURLOPT_WRITEDATA, transfer.get());
  curl_easy_setopt(easy, CURLOPT_HEADERDATA, transfer.get());
  if (curl_multi_add_handle(multi.get(), easy) != CURLM_OK) {
    *failure = CURLE_FAILED_INIT;
    return false;
  }
  active.emplace(easy, std::move(transfer));
  return true;
}

// curl_multi_socket_action(CURL_SOCKET_TIMEOUT) consumes curl's timer: curl reports a new one
// if it still needs one, and says nothing (not -1) if it does not.
void InvokeEngine::Impl::RunTimers(int* running) {
  curl_deadline.reset();
  curl_multi_socket_action(multi.get(), CURL_SOCKET_TIMEOUT, 0, running);
}

// Lets curl run what is due (a new transfer: its connection and request) without collecting
// what finished: a transfer that ended here is left for OnTimeout().
void InvokeEngine::Impl::Kick() {
  int running = 0;
  RunTimers(&running);
  if (static_cast<size_t>(running) < active.size()) collect_pending = true;
  ApplyTimer();
}

void InvokeEngine::Impl::CollectFinished() {
  int queued = 0;
  while (CURLMsg* message = curl_multi_info_read(multi.get(), &queued)) {
    if (message->msg != CURLMSG_DONE) continue;
    // `message` dies with curl_multi_remove_handle: copy what is needed first.
    CURL* easy = message->easy_handle;
    CURLcode result = message->data.result;
    curl_multi_remove_handle(multi.get(), easy);
    auto node = active.extract(easy);
    if (node.empty()) continue;
    Finish(std::move(node.mapped()), result, true);
  }
}

void InvokeEngine::Impl::Finish(std::unique_ptr<Transfer> transfer, CURLcode result,
                                bool reusable) {
  InvokeOutcome outcome =
      ClassifyAnswer(AnswerOf(*transfer, result), transfer->timeout_ms, MillisSince(transfer->started));
  Callback done = std::move(transfer->done);
  // The easy handle is released (or kept, pointing at nothing) before the callback can queue
  // more work.
  if (reusable && transfer->easy && idle_easies.size() < static_cast<size_t>(kMaxIdleEasies)) {
    CURL* easy = transfer->easy.get();
    curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, nullptr);
    curl_easy_setopt(easy, CURLOPT_WRITEDATA, nullptr);
    curl_easy_setopt(easy, CURLOPT_HEADERDATA, nullptr);
    curl_easy_setopt(easy, CURLOPT_POSTFIELDS, nullptr);
    idle_easies.push_back(std::move(transfer->easy));
  }
  transfer.reset();
  if (done) done(std::move(outcome));
}

HttpAnswer InvokeEngine::Impl::AnswerOf(Transfer& transfer, CURLcode result) {
  HttpAnswer answer;
  if (transfer.easy) {
    curl_easy_getinfo(transfer.easy.get(), CURLINFO_RESPONSE_CODE, &answer.status);
  }
  if (transfer.body_too_large) {
    answer.failure = HttpAnswer::Failure::kTooLarge;
  } else if (result == CURLE_OPERATION_TIMEDOUT) {
    answer.failure = HttpAnswer::Failure::kTimeout;
  } else if (result != CURLE_OK) {
    answer.failure = HttpAnswer::Failure::kUnreachable;
    answer.detail = curl_easy_strerror(result);
    if (transfer.errbuf[0] != '\0') answer.detail += std::string(": ") + transfer.errbuf;
  } else {
    answer.body = std::move(transfer.body);
    answer.function_error = std::move(transfer.function_error_header);
  }
  return answer;
}

size_t InvokeEngine::Impl::OnBody(char* data, size_t size, size_t count, void* user) {
  auto* transfer = static_cast<Transfer*>(user);
  size_t bytes = size * count;
  if (transfer->body.size() + bytes > kMaxFunctionResultBytes) {
    transfer->body_too_large = true;
    transfer->body.clear();
    transfer->body.shrink_to_fit();
    return 0;  // aborts the transfer with CURLE_WRITE_ERROR
  }
  transfer->body.append(data, bytes);
  return bytes;
}

size_t InvokeEngine::Impl::OnHeader(char* data, size_t size, size_t count, void* user) {
  auto* transfer = static_cast<Transfer*>(user);
  size_t bytes = size * count;
  std::string_view line(data, bytes);
  constexpr std::string_view kName = "X-Amz-Function-Error:";
  if (line.starts_with("HTTP/")) {
    transfer->function_error_header.reset();  // a new response (e.g. after a 1xx) starts over
  } else if (line.size() >= kName.size() && EqualsIgnoreCase(line.substr(0, kName.size()), kName)) {
    transfer->function_error_header = std::string(TrimSpace(line.substr(kName.size())));
  }
  return bytes;
}

// --- InvokeEngine ---------------------------------------------------------------------------

InvokeEngine::InvokeEngine(TimerHook set_timer)
    : impl_(std::make_unique<Impl>(std::move(set_timer))) {}

InvokeEngine::~InvokeEngine() = default;

int InvokeEngine::fd() const { return impl_->epoll_fd; }

void InvokeEngine::Invoke(const std::string& url, std::string payload, int timeout_ms,
                          Callback done, std::chrono::steady_clock::time_point started) {
  if (impl_->plain->Carries(url)) {
    impl_->plain->Post(url, std::move(payload), timeout_ms,
                       [done = std::move(done), timeout_ms, started](HttpAnswer answer) {
                         done(ClassifyAnswer(std::move(answer), timeout_ms, MillisSince(started)));
                       });
    impl_->ApplyTimer();
    return;
  }
  auto transfer = std::make_unique<Impl::Transfer>();
  transfer->started = started;
  transfer->url = url;
  transfer->payload = std::move(payload);
  transfer->timeout_ms = timeout_ms;
  transfer->done = std::move(done);
  CURLcode failure = CURLE_OK;
  if (impl_->Start(transfer, &failure)) {
    impl_->Kick();
  } else {
    impl_->queue.emplace_back(std::move(transfer), failure);
    if (impl_->queue.size() == 1) impl_->ApplyTimer();
  }
}

void InvokeEngine::OnReadable() {
  // Everything that is ready, not one batch: answers are finished before the loop reads more
  // requests that would need more connections.
  constexpr int kBatch = 64;
  constexpr int kMaxBatches = 64;  // bounds one call (4096 sockets) when curl ignores a socket
  epoll_event events[kBatch];
  int running = 0;
  for (int batch = 0; batch < kMaxBatches; ++batch) {
    int count = epoll_wait(impl_->epoll_fd, events, kBatch, 0);
    for (int i = 0; i < count; ++i) {
      if (!(events[i].data.u64 & kCurlSocket)) {
        impl_->plain->OnEvent(events[i].data.u64, events[i].events);
        continue;
      }
      // Errors and hang-ups are reported as readable, as poll() does inside
      // curl_multi_perform: the read that follows finds out what happened.
      int mask = ((events[i].events & (EPOLLIN | EPOLLERR | EPOLLHUP)) ? CURL_CSELECT_IN : 0) |
                 ((events[i].events & EPOLLOUT) ? CURL_CSELECT_OUT : 0);
      auto socket = static_cast<curl_socket_t>(events[i].data.u64 & ~kCurlSocket);
      curl_multi_socket_action(impl_->multi.get(), socket, mask, &running);
    }
    if (count < kBatch) break;
  }
  impl_->CollectFinished();
  impl_->ApplyTimer();
}

void InvokeEngine::OnTimeout() {
  impl_->armed.reset();  // it went off
  std::vector<std::pair<std::unique_ptr<Impl::Transfer>, CURLcode>> failed;
  failed.swap(impl_->queue);
  impl_->collect_pending = false;
  for (auto& [transfer, failure] : failed) impl_->Finish(std::move(transfer), failure, false);
  impl_->plain->OnTimeout();
  int running = 0;
  impl_->RunTimers(&running);
  impl_->CollectFinished();
  // curl only reports a timer that changed; the one it reported before still stands.
  impl_->ApplyTimer();
}

// --- InvokeClient: the engine on a worker thread ----------------------------------------------

struct InvokeClient::Impl {
  struct Pending {
    std::string url;
    std::string payload;
    int timeout_ms = 0;
    Callback done;
    std::chrono::steady_clock::time_point started;
  };

  Impl();
  ~Impl();
  void Run();
  void Wake();

  std::mutex mutex;
  std::vector<Pending> queue;  // guarded by mutex
  bool stopping = false;       // guarded by mutex
  int wake_fd = -1;            // eventfd
  // Worker thread only.
  std::optional<std::chrono::steady_clock::time_point> deadline;
  std::unique_ptr<InvokeEngine> engine;
  std::thread worker;
};

InvokeClient::Impl::Impl() {
  wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (wake_fd < 0) std::abort();  // only on resource exhaustion
  engine = std::make_unique<InvokeEngine>([this](long ms) {
    if (ms < 0) {
      deadline.reset();
    } else {
      deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
    }
  });
  worker = std::thread([this] { Run(); });
}

InvokeClient::Impl::~Impl() {
  {
    std::lock_guard<std::mutex> lock(mutex);
    stopping = true;
  }
  Wake();
  worker.join();
  engine.reset();  // cancelled: their callbacks are dropped unrun
  queue.clear();
  close(wake_fd);
}

void InvokeClient::Impl::Wake() {
  uint64_t one = 1;
  // Only fails when the counter is about to overflow, and then the worker is awake anyway.
  [[maybe_unused]] ssize_t written = write(wake_fd, &one, sizeof one);
}

void InvokeClient::Impl::Run() {
  for (;;) {
    std::vector<Pending> incoming;
    {
      std::lock_guard<std::mutex> lock(mutex);
      if (stopping) return;
      incoming.swap(queue);
    }
    for (Pending& p : incoming) {
      engine->Invoke(p.url, std::move(p.payload), p.timeout_ms, std::move(p.done), p.started);
    }
    // An Invoke() after the swap above has written to wake_fd, so this poll returns at once.
    int wait_ms = kIdlePollMs;
    if (deadline) {
      auto left = *deadline - std::chrono::steady_clock::now();
      wait_ms = static_cast<int>(std::min<long long>(
          kIdlePollMs,
          std::chrono::ceil<std::chrono::milliseconds>(std::max(left, left.zero())).count()));
    }
    pollfd fds[2] = {{wake_fd, POLLIN, 0}, {engine->fd(), POLLIN, 0}};
    if (poll(fds, 2, wait_ms) < 0 && errno != EINTR) continue;
    if (fds[0].revents & POLLIN) {
      uint64_t count;
      [[maybe_unused]] ssize_t got = read(wake_fd, &count, sizeof count);
    }
    if (fds[1].revents & POLLIN) engine->OnReadable();
    if (deadline && std::chrono::steady_clock::now() >= *deadline) {
      deadline.reset();
      engine->OnTimeout();
    }
  }
}

InvokeClient::InvokeClient() : impl_(std::make_unique<Impl>()) {}

InvokeClient::~InvokeClient() = default;

void InvokeClient::Invoke(const std::string& url, std::string payload, int timeout_ms,
                          Callback done) {
  Impl::Pending pending{url, std::move(payload), timeout_ms, std::move(done),
                        std::chrono::steady_clock::now()};
  {
    std::lock_guard<std::mutex> lock(impl_->mutex);
    impl_->queue.push_back(std::move(pending));
  }
  impl_->Wake();
}

}  // namespace wsgw
