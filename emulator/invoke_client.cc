#include "invoke_client.h"

#include "json_text.h"

#include <curl/curl.h>
#include <json/json.h>

#include <algorithm>
#include <cctype>
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

namespace wsgw {
namespace {

// Lambda refuses results over 6 MB; the Runtime Interface Emulator allows 100 bytes of slack
// (MaxPayloadSize = 6 MiB + 100), so anything bigger cannot be a genuine function result.
constexpr size_t kMaxResponseBytes = 6 * 1024 * 1024 + 100;
// Keep-alive pool shared by every function endpoint.
constexpr long kMaxCachedConnections = 64;
// curl_multi_poll returns earlier on socket activity, libcurl's own timers or a wakeup; this only
// bounds an idle wait.
constexpr int kIdlePollMs = 10000;
constexpr size_t kExcerptChars = 200;

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

bool StartsWithIgnoreCase(std::string_view text, std::string_view prefix) {
  return text.size() >= prefix.size() &&
         std::equal(prefix.begin(), prefix.end(), text.begin(), [](char a, char b) {
           return std::tolower(static_cast<unsigned char>(a)) ==
                  std::tolower(static_cast<unsigned char>(b));
         });
}

std::string_view Trim(std::string_view text) {
  const char* kSpace = " \t\r\n";
  size_t first = text.find_first_not_of(kSpace);
  if (first == std::string_view::npos) return {};
  size_t last = text.find_last_not_of(kSpace);
  return text.substr(first, last - first + 1);
}

std::string Excerpt(std::string_view text, size_t max_chars) {
  if (text.size() <= max_chars) return std::string(text);
  return std::string(text.substr(0, max_chars)) + "...";
}

std::string JsonScalarText(const Json::Value& value) {
  return value.isString() ? value.asString() : CompactJson(value);
}

// "errorType: errorMessage" from a runtime's error object, or "" when it has neither.
std::string ErrorObjectDetail(const Json::Value& object) {
  std::string type = object.isMember("errorType") ? JsonScalarText(object["errorType"]) : "";
  std::string message =
      object.isMember("errorMessage") ? JsonScalarText(object["errorMessage"]) : "";
  std::string detail;
  if (!type.empty() && !message.empty()) {
    detail = type + ": " + message;
  } else {
    detail = type.empty() ? message : type;
  }
  return Excerpt(detail, 500);
}

std::optional<Json::Value> ParseJsonObject(const std::string& text) {
  std::optional<Json::Value> value = ParseJson(text);
  if (!value || !value->isObject()) return std::nullopt;
  return value;
}

// The RIE (which never sets X-Amz-Function-Error) answers a function timeout with a plain-text
// 200: "Task timed out after 3.00 seconds".
bool IsRieTimeoutText(std::string_view body) {
  body = Trim(body);
  constexpr std::string_view kPrefix = "Task timed out after ";
  constexpr std::string_view kSuffix = " seconds";
  return body.size() > kPrefix.size() + kSuffix.size() && body.starts_with(kPrefix) &&
         body.ends_with(kSuffix);
}

}  // namespace

const char* ToString(InvokeOutcome::Kind kind) {
  switch (kind) {
    case InvokeOutcome::Kind::kOk:
      return "ok";
    case InvokeOutcome::Kind::kFunctionError:
      return "function error";
    case InvokeOutcome::Kind::kUnreachable:
      return "unreachable";
    case InvokeOutcome::Kind::kTimeout:
      return "timeout";
    case InvokeOutcome::Kind::kBadStatus:
      return "bad status";
  }
  return "unknown";
}

struct InvokeClient::Impl {
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
    // Declared last so they are destroyed first: the easy handle points into everything above.
    HeaderList headers;
    EasyHandle easy;
  };

  Impl();
  ~Impl();

  void Run();
  void Start(std::unique_ptr<Transfer> transfer);
  void CollectFinished();
  static void Finish(std::unique_ptr<Transfer> transfer, CURLcode result);
  static InvokeOutcome Classify(Transfer& transfer, CURLcode result);
  static size_t OnBody(char* data, size_t size, size_t count, void* user);
  static size_t OnHeader(char* data, size_t size, size_t count, void* user);

  MultiHandle multi;
  std::mutex mutex;
  std::deque<std::unique_ptr<Transfer>> queue;                  // guarded by mutex
  bool stopping = false;                                        // guarded by mutex
  std::unordered_map<CURL*, std::unique_ptr<Transfer>> active;  // worker thread only
  std::thread worker;
};

InvokeClient::Impl::Impl() {
  GlobalInitOnce();
  multi.reset(curl_multi_init());
  if (!multi) std::abort();  // only on allocation failure
  curl_multi_setopt(multi.get(), CURLMOPT_MAXCONNECTS, kMaxCachedConnections);
  worker = std::thread([this] { Run(); });
}

InvokeClient::Impl::~Impl() {
  {
    std::lock_guard<std::mutex> lock(mutex);
    stopping = true;
  }
  curl_multi_wakeup(multi.get());
  worker.join();
  // Cancelled: their callbacks are dropped unrun.
  for (auto& [easy, transfer] : active) curl_multi_remove_handle(multi.get(), easy);
  active.clear();
  queue.clear();
}

void InvokeClient::Impl::Run() {
  for (;;) {
    std::deque<std::unique_ptr<Transfer>> incoming;
    {
      std::lock_guard<std::mutex> lock(mutex);
      if (stopping) return;
      incoming.swap(queue);
    }
    for (auto& transfer : incoming) Start(std::move(transfer));
    int running = 0;
    curl_multi_perform(multi.get(), &running);
    CollectFinished();
    // A wakeup issued before this call still makes it return at once, so no Invoke() is missed.
    curl_multi_poll(multi.get(), nullptr, 0, kIdlePollMs, nullptr);
  }
}

void InvokeClient::Impl::Start(std::unique_ptr<Transfer> transfer) {
  transfer->easy.reset(curl_easy_init());
  CURL* easy = transfer->easy.get();
  if (!easy) {
    Finish(std::move(transfer), CURLE_OUT_OF_MEMORY);
    return;
  }
  curl_slist* headers = curl_slist_append(nullptr, "Content-Type: application/json");
  // Without this, curl asks for "100 Continue" before sending a large event: a round-trip, or a
  // one-second stall with servers that never send it.
  if (headers) headers = curl_slist_append(headers, "Expect:");
  transfer->headers.reset(headers);

  curl_easy_setopt(easy, CURLOPT_URL, transfer->url.c_str());
  curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(easy, CURLOPT_POST, 1L);
  curl_easy_setopt(easy, CURLOPT_POSTFIELDS, transfer->payload.data());
  curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE,
                   static_cast<curl_off_t>(transfer->payload.size()));
  curl_easy_setopt(easy, CURLOPT_HTTPHEADER, transfer->headers.get());
  // A deadline of 0 or less means none (curl's 0).
  curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, static_cast<long>(std::max(transfer->timeout_ms, 0)));
  curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(easy, CURLOPT_TCP_NODELAY, 1L);
  curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, transfer->errbuf);
  curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, &Impl::OnBody);
  curl_easy_setopt(easy, CURLOPT_WRITEDATA, transfer.get());
  curl_easy_setopt(easy, CURLOPT_HEADERFUNCTION, &Impl::OnHeader);
  curl_easy_setopt(easy, CURLOPT_HEADERDATA, transfer.get());

  if (!transfer->headers) {
    Finish(std::move(transfer), CURLE_OUT_OF_MEMORY);
    return;
  }
  if (curl_multi_add_handle(multi.get(), easy) != CURLM_OK) {
    Finish(std::move(transfer), CURLE_FAILED_INIT);
    return;
  }
  active.emplace(easy, std::move(transfer));
}

void InvokeClient::Impl::CollectFinished() {
  int queued = 0;
  while (CURLMsg* message = curl_multi_info_read(multi.get(), &queued)) {
    if (message->msg != CURLMSG_DONE) continue;
    // `message` dies with curl_multi_remove_handle: copy what is needed first.
    CURL* easy = message->easy_handle;
    CURLcode result = message->data.result;
    curl_multi_remove_handle(multi.get(), easy);
    auto node = active.extract(easy);
    if (node.empty()) continue;
    Finish(std::move(node.mapped()), result);
  }
}

void InvokeClient::Impl::Finish(std::unique_ptr<Transfer> transfer, CURLcode result) {
  InvokeOutcome outcome = Classify(*transfer, result);
  Callback done = std::move(transfer->done);
  transfer.reset();  // releases the easy handle before the callback can queue more work
  if (done) done(std::move(outcome));
}

InvokeOutcome InvokeClient::Impl::Classify(Transfer& transfer, CURLcode result) {
  using Kind = InvokeOutcome::Kind;
  InvokeOutcome outcome;
  outcome.latencyMs =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - transfer.started)
          .count();
  if (transfer.easy) {
    curl_easy_getinfo(transfer.easy.get(), CURLINFO_RESPONSE_CODE, &outcome.httpStatus);
  }

  if (transfer.body_too_large) {
    outcome.kind = Kind::kFunctionError;
    outcome.detail = "response larger than 6 MB";
    return outcome;
  }
  if (result == CURLE_OPERATION_TIMEDOUT) {
    outcome.kind = Kind::kTimeout;
    outcome.detail = "timed out after " + std::to_string(transfer.timeout_ms) + " ms";
    return outcome;
  }
  if (result != CURLE_OK) {
    outcome.kind = Kind::kUnreachable;
    outcome.detail = curl_easy_strerror(result);
    if (transfer.errbuf[0] != '\0') outcome.detail += std::string(": ") + transfer.errbuf;
    return outcome;
  }

  outcome.body = std::move(transfer.body);
  if (outcome.httpStatus != 200) {
    outcome.kind = Kind::kBadStatus;
    outcome.detail = "invoke endpoint answered " + std::to_string(outcome.httpStatus);
    if (!outcome.body.empty()) outcome.detail += ": " + Excerpt(outcome.body, kExcerptChars);
    return outcome;
  }

  // Only parse bodies that could be an error object; results can be megabytes.
  std::optional<Json::Value> error_object;
  if (outcome.body.find("\"error") != std::string::npos) {
    error_object = ParseJsonObject(outcome.body);
  }
  if (transfer.function_error_header) {
    outcome.kind = Kind::kFunctionError;
    std::string words = error_object ? ErrorObjectDetail(*error_object) : "";
    outcome.detail =
        words.empty() ? "X-Amz-Function-Error: " + *transfer.function_error_header : words;
    return outcome;
  }
  if (error_object && !error_object->isMember("statusCode") &&
      (error_object->isMember("errorMessage") || error_object->isMember("errorType"))) {
    outcome.kind = Kind::kFunctionError;
    outcome.detail = ErrorObjectDetail(*error_object);
    return outcome;
  }
  if (IsRieTimeoutText(outcome.body)) {
    outcome.kind = Kind::kFunctionError;
    outcome.detail = std::string(Trim(outcome.body));
    return outcome;
  }
  outcome.kind = Kind::kOk;
  return outcome;
}

size_t InvokeClient::Impl::OnBody(char* data, size_t size, size_t count, void* user) {
  auto* transfer = static_cast<Transfer*>(user);
  size_t bytes = size * count;
  if (transfer->body.size() + bytes > kMaxResponseBytes) {
    transfer->body_too_large = true;
    transfer->body.clear();
    transfer->body.shrink_to_fit();
    return 0;  // aborts the transfer with CURLE_WRITE_ERROR
  }
  transfer->body.append(data, bytes);
  return bytes;
}

size_t InvokeClient::Impl::OnHeader(char* data, size_t size, size_t count, void* user) {
  auto* transfer = static_cast<Transfer*>(user);
  size_t bytes = size * count;
  std::string_view line(data, bytes);
  constexpr std::string_view kName = "X-Amz-Function-Error:";
  if (line.starts_with("HTTP/")) {
    transfer->function_error_header.reset();  // a new response (e.g. after a 1xx) starts over
  } else if (StartsWithIgnoreCase(line, kName)) {
    transfer->function_error_header = std::string(Trim(line.substr(kName.size())));
  }
  return bytes;
}

InvokeClient::InvokeClient() : impl_(std::make_unique<Impl>()) {}

InvokeClient::~InvokeClient() = default;

void InvokeClient::Invoke(const std::string& url, std::string payload, int timeout_ms,
                          Callback done) {
  auto transfer = std::make_unique<Impl::Transfer>();
  transfer->started = std::chrono::steady_clock::now();
  transfer->url = url;
  transfer->payload = std::move(payload);
  transfer->timeout_ms = timeout_ms;
  transfer->done = std::move(done);
  {
    std::lock_guard<std::mutex> lock(impl_->mutex);
    impl_->queue.push_back(std::move(transfer));
  }
  curl_multi_wakeup(impl_->multi.get());
}

}  // namespace wsgw
