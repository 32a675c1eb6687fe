// mgmt_post_bench: how many @connections PostToConnection calls per second the gateway turns into
// frames its WebSocket clients actually receive.
//
// It starts no gateway. Point --url at a running one whose API has a two-way route "whoami"
// served by the Lambda Invoke endpoint this program embeds on 127.0.0.1:--function-port:
//
//   {"name": "bench", "stage": "bench",
//    "functions": {"whoami": {"url":
//        "http://127.0.0.1:FUNCTION_PORT/2015-03-31/functions/whoami/invocations"}},
//    "routes": {"whoami": {"function": "whoami", "routeResponse": true}}}
//
// Each client sends {"action":"whoami"} and learns its connectionId from the reply. Then N POSTs
// go out through libcurl multi (keep-alive, M in flight), first all to one connection, then spread
// over every connection. A POST counts only once its payload has arrived at its client.
// bench/run_mgmt_bench.sh writes the routes file, starts the gateway and runs this.
#include <arpa/inet.h>
#include <curl/curl.h>
#include <fcntl.h>
#include <json/json.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

double SecondsSince(Clock::time_point start, Clock::time_point end = Clock::now()) {
  return std::chrono::duration<double>(end - start).count();
}

class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  UniqueFd(UniqueFd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept {
    if (this != &other) {
      Reset();
      fd_ = std::exchange(other.fd_, -1);
    }
    return *this;
  }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  ~UniqueFd() { Reset(); }
  int get() const { return fd_; }
  void Reset() {
    if (fd_ >= 0) close(fd_);
    fd_ = -1;
  }

 private:
  int fd_ = -1;
};

bool WriteAll(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    ssize_t n = send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      std::this_thread::sleep_for(std::chrono::microseconds(100));
      continue;
    }
    if (n <= 0) return false;
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

std::optional<UniqueFd> ConnectTcp(const std::string& host, int port, std::string* error) {
  UniqueFd fd(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  if (inet_pton(AF_INET, host.c_str(), &address.sin_addr) != 1) {
    *error = "not an IPv4 address: " + host;
    return std::nullopt;
  }
  if (connect(fd.get(), reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    *error = "connect to " + host + ":" + std::to_string(port) + ": " + std::strerror(errno);
    return std::nullopt;
  }
  int one = 1;
  setsockopt(fd.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return fd;
}

bool StartsWithIgnoreCase(std::string_view text, std::string_view prefix) {
  if (text.size() < prefix.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(text[i])) !=
        std::tolower(static_cast<unsigned char>(prefix[i]))) {
      return false;
    }
  }
  return true;
}

std::string Base64(const unsigned char* data, size_t length) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  for (size_t i = 0; i < length; i += 3) {
    uint32_t chunk = uint32_t{data[i]} << 16;
    if (i + 1 < length) chunk |= uint32_t{data[i + 1]} << 8;
    if (i + 2 < length) chunk |= data[i + 2];
    out += kAlphabet[(chunk >> 18) & 63];
    out += kAlphabet[(chunk >> 12) & 63];
    out += i + 1 < length ? kAlphabet[(chunk >> 6) & 63] : '=';
    out += i + 2 < length ? kAlphabet[chunk & 63] : '=';
  }
  return out;
}

// --- The embedded function: a Lambda Invoke endpoint answering with the caller's connectionId --

class WhoamiFunction {
 public:
  bool Listen(int port, std::string* error) {
    listen_ = UniqueFd(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    int one = 1;
    setsockopt(listen_.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<uint16_t>(port));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(listen_.get(), reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
        listen(listen_.get(), 64) != 0) {
      *error = "function server cannot listen on 127.0.0.1:" + std::to_string(port) + ": " +
               std::strerror(errno);
      return false;
    }
    acceptor_ = std::thread([this] { AcceptLoop(); });
    return true;
  }

  ~WhoamiFunction() {
    stopping_ = true;
    if (listen_.get() >= 0) shutdown(listen_.get(), SHUT_RDWR);
    if (acceptor_.joinable()) acceptor_.join();
    std::vector<std::thread> workers;
    {
      std::lock_guard lock(mutex_);
      for (int fd : connectionFds_) shutdown(fd, SHUT_RDWR);
      workers = std::move(workers_);
    }
    // Outside the lock: a finishing worker takes it to forget its socket.
    for (std::thread& worker : workers) worker.join();
  }

  int invocations() const { return invocations_; }

 private:
  void AcceptLoop() {
    while (!stopping_) {
      int fd = accept4(listen_.get(), nullptr, nullptr, SOCK_CLOEXEC);
      if (fd < 0) {
        if (errno == EINTR) continue;
        return;
      }
      std::lock_guard lock(mutex_);
      connectionFds_.push_back(fd);
      workers_.emplace_back([this, fd] { Serve(UniqueFd(fd)); });
    }
  }

  // One keep-alive connection from the gateway's invoke client.
  void Serve(UniqueFd fd) {
    std::string buffer;
    char chunk[16384];
    for (;;) {
      size_t head_end;
      while ((head_end = buffer.find("\r\n\r\n")) == std::string::npos) {
        ssize_t n = recv(fd.get(), chunk, sizeof chunk, 0);
        if (n <= 0) return Forget(fd.get());
        buffer.append(chunk, static_cast<size_t>(n));
      }
      std::string_view head(buffer.data(), head_end);
      size_t content_length = 0;
      for (size_t start = head.find("\r\n"); start != std::string_view::npos;) {
        size_t end = head.find("\r\n", start + 2);
        std::string_view line = head.substr(
            start + 2, end == std::string_view::npos ? std::string_view::npos : end - start - 2);
        if (StartsWithIgnoreCase(line, "content-length:")) {
          std::string_view value = line.substr(15);
          while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
          std::from_chars(value.data(), value.data() + value.size(), content_length);
        }
        start = end;
      }
      size_t body_start = head_end + 4;
      while (buffer.size() < body_start + content_length) {
        ssize_t n = recv(fd.get(), chunk, sizeof chunk, 0);
        if (n <= 0) return Forget(fd.get());
        buffer.append(chunk, static_cast<size_t>(n));
      }
      std::string body = buffer.substr(body_start, content_length);
      buffer.erase(0, body_start + content_length);

      Json::Value event;
      Json::CharReaderBuilder reader;
      std::string parse_error;
      std::istringstream stream(body);
      Json::Value result(Json::objectValue);
      if (Json::parseFromStream(reader, stream, &event, &parse_error)) {
        result["statusCode"] = 200;
        result["body"] = event["requestContext"]["connectionId"].asString();
      } else {
        result["statusCode"] = 400;
        result["body"] = "the bench function got an event that is not JSON";
      }
      ++invocations_;
      Json::StreamWriterBuilder writer;
      writer["indentation"] = "";
      std::string answer = Json::writeString(writer, result);
      std::string response =
          "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " +
          std::to_string(answer.size()) + "\r\n\r\n" + answer;
      if (!WriteAll(fd.get(), response)) return Forget(fd.get());
    }
  }

  void Forget(int fd) {
    std::lock_guard lock(mutex_);
    std::erase(connectionFds_, fd);
  }

  UniqueFd listen_;
  std::thread acceptor_;
  std::atomic<bool> stopping_ = false;
  std::atomic<int> invocations_ = 0;
  std::mutex mutex_;
  std::vector<int> connectionFds_;
  std::vector<std::thread> workers_;
};

// --- WebSocket clients: a minimal RFC 6455 client over raw sockets, read by one epoll thread ---

struct Delivery {
  // One flag per POST sequence number, set when that payload reached its client whole.
  std::unique_ptr<std::atomic<uint8_t>[]> received;
  size_t capacity = 0;
  size_t expectedSize = 0;
  std::atomic<uint64_t> delivered = 0;
  std::atomic<uint64_t> malformed = 0;
  std::atomic<int64_t> lastDeliveryNs = 0;
};

struct WsClient {
  UniqueFd fd;
  std::string inbound;  // bytes not yet parsed into frames
  std::string message;  // fragments of the message being assembled
  std::mutex idMutex;
  std::string id;  // the connectionId, once the whoami reply arrived
  bool closed = false;
};

std::string MaskedFrame(int opcode, std::string_view payload, std::mt19937& random) {
  std::string frame;
  frame += static_cast<char>(0x80 | opcode);
  if (payload.size() < 126) {
    frame += static_cast<char>(0x80 | payload.size());
  } else if (payload.size() <= 0xFFFF) {
    frame += static_cast<char>(0x80 | 126);
    frame += static_cast<char>(payload.size() >> 8);
    frame += static_cast<char>(payload.size() & 0xFF);
  } else {
    frame += static_cast<char>(0x80 | 127);
    for (int shift = 56; shift >= 0; shift -= 8) {
      frame += static_cast<char>((uint64_t{payload.size()} >> shift) & 0xFF);
    }
  }
  uint32_t key = random();
  char mask[4];
  std::memcpy(mask, &key, 4);
  frame.append(mask, 4);
  for (size_t i = 0; i < payload.size(); ++i) frame += static_cast<char>(payload[i] ^ mask[i % 4]);
  return frame;
}

class WsClients {
 public:
  explicit WsClients(Delivery* delivery) : delivery_(delivery), random_(std::random_device{}()) {}

  ~WsClients() {
    stopping_ = true;
    if (reader_.joinable()) reader_.join();
    for (auto& client : clients_) {
      if (client->fd.get() >= 0 && !client->closed) {
        WriteAll(client->fd.get(), MaskedFrame(8, std::string("\x03\xe8", 2), random_));
      }
    }
  }

  // Opens one client: TCP connect, the HTTP upgrade, then hands the socket to the reader.
  bool Open(const std::string& host, int port, const std::string& path, std::string* error) {
    std::optional<UniqueFd> fd = ConnectTcp(host, port, error);
    if (!fd) return false;
    unsigned char nonce[16];
    for (unsigned char& byte : nonce) byte = static_cast<unsigned char>(random_());
    std::string request = "GET " + path + " HTTP/1.1\r\nHost: " + host + ":" +
                          std::to_string(port) +
                          "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: " +
                          Base64(nonce, sizeof nonce) +
                          "\r\nSec-WebSocket-Version: 13\r\nUser-Agent: mgmt_post_bench\r\n\r\n";
    if (!WriteAll(fd->get(), request)) {
      *error = "could not send the upgrade request";
      return false;
    }
    timeval timeout{10, 0};
    setsockopt(fd->get(), SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    std::string head;
    char chunk[4096];
    size_t end;
    while ((end = head.find("\r\n\r\n")) == std::string::npos) {
      ssize_t n = recv(fd->get(), chunk, sizeof chunk, 0);
      if (n <= 0) {
        *error = "no answer to the upgrade request";
        return false;
      }
      head.append(chunk, static_cast<size_t>(n));
    }
    if (head.rfind("HTTP/1.1 101", 0) != 0) {
      *error = "upgrade refused: " + head.substr(0, head.find("\r\n"));
      return false;
    }
    auto client = std::make_unique<WsClient>();
    client->inbound = head.substr(end + 4);
    fcntl(fd->get(), F_SETFL, fcntl(fd->get(), F_GETFL) | O_NONBLOCK);
    client->fd = std::move(*fd);
    clients_.push_back(std::move(client));
    return true;
  }

  void StartReading() {
    epoll_ = UniqueFd(epoll_create1(EPOLL_CLOEXEC));
    for (size_t i = 0; i < clients_.size(); ++i) {
      epoll_event event{};
      event.events = EPOLLIN;
      event.data.u64 = i;
      epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, clients_[i]->fd.get(), &event);
    }
    reader_ = std::thread([this] { ReadLoop(); });
  }

  // Sends {"action":"whoami"} from every client; true once every reply arrived.
  bool LearnIds(double timeout_seconds, std::string* error) {
    for (auto& client : clients_) {
      std::lock_guard lock(sendMutex_);
      if (!WriteAll(client->fd.get(), MaskedFrame(1, R"({"action":"whoami"})", random_))) {
        *error = "could not send whoami";
        return false;
      }
    }
    auto start = Clock::now();
    while (SecondsSince(start) < timeout_seconds) {
      size_t known = 0;
      for (auto& client : clients_) {
        std::lock_guard lock(client->idMutex);
        if (!client->id.empty()) ++known;
      }
      if (known == clients_.size()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    *error = "not every client got its connectionId back from the whoami route within " +
             std::to_string(timeout_seconds) +
             " s (is the route two-way and the function URL right?)";
    return false;
  }

  std::string Id(size_t index) {
    std::lock_guard lock(clients_[index]->idMutex);
    return clients_[index]->id;
  }
  size_t size() const { return clients_.size(); }
  int closedCount() const { return closedCount_; }

 private:
  void ReadLoop() {
    epoll_event events[64];
    char chunk[65536];
    while (!stopping_) {
      int ready = epoll_wait(epoll_.get(), events, 64, 50);
      for (int e = 0; e < ready; ++e) {
        WsClient& client = *clients_[events[e].data.u64];
        for (;;) {
          ssize_t n = recv(client.fd.get(), chunk, sizeof chunk, 0);
          if (n > 0) {
            client.inbound.append(chunk, static_cast<size_t>(n));
            continue;
          }
          if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
            if (!client.closed) ++closedCount_;
            client.closed = true;
            epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, client.fd.get(), nullptr);
          }
          break;
        }
        ParseFrames(client);
      }
    }
  }

  void ParseFrames(WsClient& client) {
    std::string& in = client.inbound;
    size_t offset = 0;
    for (;;) {
      if (in.size() - offset < 2) break;
      auto b0 = static_cast<unsigned char>(in[offset]);
      auto b1 = static_cast<unsigned char>(in[offset + 1]);
      size_t header = 2;
      uint64_t length = b1 & 0x7F;
      if (length == 126) {
        if (in.size() - offset < 4) break;
        length = (uint64_t{static_cast<unsigned char>(in[offset + 2])} << 8) |
                 static_cast<unsigned char>(in[offset + 3]);
        header = 4;
      } else if (length == 127) {
        if (in.size() - offset < 10) break;
        length = 0;
        for (int i = 0; i < 8; ++i) {
          length = (length << 8) | static_cast<unsigned char>(in[offset + 2 + i]);
        }
        header = 10;
      }
      bool masked = (b1 & 0x80) != 0;
      if (masked) header += 4;
      if (in.size() - offset < header + length) break;
      std::string payload = in.substr(offset + header, length);
      if (masked) {
        for (size_t i = 0; i < payload.size(); ++i) payload[i] ^= in[offset + header - 4 + i % 4];
      }
      offset += header + length;
      int opcode = b0 & 0x0F;
      bool fin = (b0 & 0x80) != 0;
      if (opcode == 9) {
        std::lock_guard lock(sendMutex_);
        WriteAll(client.fd.get(), MaskedFrame(10, payload, random_));
      } else if (opcode == 8) {
        if (!client.closed) ++closedCount_;
        client.closed = true;
      } else if (opcode <= 2) {
        client.message += payload;
        if (fin) {
          OnMessage(client, client.message);
          client.message.clear();
        }
      }
    }
    in.erase(0, offset);
  }

  void OnMessage(WsClient& client, const std::string& message) {
    {
      std::lock_guard lock(client.idMutex);
      if (client.id.empty()) {
        client.id = message;
        return;
      }
    }
    // Payloads are "p<sequence>;" padded to expectedSize.
    size_t sequence = 0;
    auto [end, ec] = std::from_chars(message.data() + 1, message.data() + message.size(), sequence);
    if (message.empty() || message[0] != 'p' || ec != std::errc() ||
        end == message.data() + message.size() || *end != ';' ||
        message.size() != delivery_->expectedSize || sequence >= delivery_->capacity) {
      ++delivery_->malformed;
      return;
    }
    if (delivery_->received[sequence].exchange(1) == 0) {
      ++delivery_->delivered;
      delivery_->lastDeliveryNs = Clock::now().time_since_epoch().count();
    }
  }

  Delivery* delivery_;
  std::vector<std::unique_ptr<WsClient>> clients_;
  UniqueFd epoll_;
  std::thread reader_;
  std::atomic<bool> stopping_ = false;
  std::atomic<int> closedCount_ = 0;
  std::mutex sendMutex_;
  std::mt19937 random_;
};

// --- The management API side: libcurl multi, keep-alive, a fixed number of POSTs in flight ---

struct CurlEasyDeleter {
  void operator()(CURL* easy) const { curl_easy_cleanup(easy); }
};
struct CurlMultiDeleter {
  void operator()(CURLM* multi) const { curl_multi_cleanup(multi); }
};
struct CurlListDeleter {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};
using CurlEasy = std::unique_ptr<CURL, CurlEasyDeleter>;
using CurlMulti = std::unique_ptr<CURLM, CurlMultiDeleter>;
using CurlList = std::unique_ptr<curl_slist, CurlListDeleter>;

size_t DiscardBody(char*, size_t size, size_t count, void*) { return size * count; }

struct PhaseResult {
  int connections = 0;
  size_t posts = 0;
  size_t ok = 0;           // answered 200
  size_t limited = 0;      // answered 429
  size_t otherStatus = 0;  // any other status, or no answer
  size_t delivered = 0;    // 200s whose payload reached the client
  double seconds = 0;      // first POST sent .. last payload received
  double postsPerSecond = 0;
  double p50Ms = 0, p99Ms = 0, maxMs = 0;
};

class Poster {
 public:
  Poster(std::string management_endpoint, int in_flight)
      : endpoint_(std::move(management_endpoint)), multi_(curl_multi_init()) {
    curl_multi_setopt(multi_.get(), CURLMOPT_MAX_TOTAL_CONNECTIONS, long{in_flight});
    curl_multi_setopt(multi_.get(), CURLMOPT_MAXCONNECTS, long{in_flight});
    headers_.reset(curl_slist_append(nullptr, "Expect:"));
    curl_slist_append(headers_.get(), "Content-Type: application/octet-stream");
    slots_.resize(static_cast<size_t>(in_flight));
    for (Slot& slot : slots_) {
      slot.easy.reset(curl_easy_init());
      CURL* easy = slot.easy.get();
      curl_easy_setopt(easy, CURLOPT_HTTPHEADER, headers_.get());
      curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, DiscardBody);
      curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
      curl_easy_setopt(easy, CURLOPT_TCP_NODELAY, 1L);
      curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, 10000L);
      curl_easy_setopt(easy, CURLOPT_PRIVATE, &slot);
    }
  }

  // POSTs `count` payloads numbered from first_sequence, the i-th to targets[i % targets.size()],
  // and waits until every accepted payload arrived or the deadline passed.
  PhaseResult Run(const std::vector<std::string>& targets, size_t first_sequence, size_t count,
                  Delivery& delivery, double deadline_seconds) {
    PhaseResult result;
    result.connections = static_cast<int>(targets.size());
    result.posts = count;
    std::vector<std::string> urls;
    for (const std::string& id : targets) {
      char* escaped = curl_easy_escape(nullptr, id.c_str(), static_cast<int>(id.size()));
      urls.push_back(endpoint_ + "/@connections/" + escaped);
      curl_free(escaped);
    }
    std::vector<double> latencies;
    latencies.reserve(count);
    uint64_t delivered_before = delivery.delivered;
    auto start = Clock::now();
    auto deadline = start + std::chrono::duration_cast<Clock::duration>(
                                std::chrono::duration<double>(deadline_seconds));
    std::vector<Slot*> free_slots;
    for (Slot& slot : slots_) free_slots.push_back(&slot);
    size_t next = 0;
    int running = 0;  // curl's count; completion is tracked through free_slots instead
    while ((next < count || free_slots.size() < slots_.size()) && Clock::now() < deadline) {
      while (next < count && !free_slots.empty()) {
        Slot* slot = free_slots.back();
        free_slots.pop_back();
        slot->body = Payload(first_sequence + next, delivery.expectedSize);
        CURL* easy = slot->easy.get();
        curl_easy_setopt(easy, CURLOPT_URL, urls[next % urls.size()].c_str());
        curl_easy_setopt(easy, CURLOPT_POSTFIELDS, slot->body.data());
        curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE, static_cast<long>(slot->body.size()));
        curl_multi_add_handle(multi_.get(), easy);
        ++next;
      }
      curl_multi_perform(multi_.get(), &running);
      int queued;
      while (CURLMsg* message = curl_multi_info_read(multi_.get(), &queued)) {
        if (message->msg != CURLMSG_DONE) continue;
        CURL* easy = message->easy_handle;
        long status = 0;
        curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
        double total = 0;
        curl_easy_getinfo(easy, CURLINFO_TOTAL_TIME, &total);
        if (message->data.result == CURLE_OK && status == 200) {
          ++result.ok;
          latencies.push_back(total * 1000);
        } else if (status == 429) {
          ++result.limited;
        } else {
          ++result.otherStatus;
        }
        Slot* slot = nullptr;
        curl_easy_getinfo(easy, CURLINFO_PRIVATE, &slot);
        curl_multi_remove_handle(multi_.get(), easy);
        free_slots.push_back(slot);
      }
      // Refill freed slots before waiting; wait only when every slot is busy (or all are sent).
      bool can_start_more = next < count && !free_slots.empty();
      if (!can_start_more && free_slots.size() < slots_.size()) {
        curl_multi_poll(multi_.get(), nullptr, 0, 50, nullptr);
      }
    }
    for (Slot& slot : slots_) curl_multi_remove_handle(multi_.get(), slot.easy.get());
    result.otherStatus += count - result.ok - result.limited - result.otherStatus;

    while (delivery.delivered - delivered_before < result.ok && Clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    result.delivered = delivery.delivered - delivered_before;
    auto last = Clock::time_point(Clock::duration(delivery.lastDeliveryNs.load()));
    result.seconds = SecondsSince(start, std::max(last, start));
    if (result.seconds > 0) result.postsPerSecond = result.delivered / result.seconds;
    if (!latencies.empty()) {
      std::sort(latencies.begin(), latencies.end());
      result.p50Ms = latencies[latencies.size() / 2];
      result.p99Ms = latencies[std::min(latencies.size() - 1, latencies.size() * 99 / 100)];
      result.maxMs = latencies.back();
    }
    return result;
  }

 private:
  struct Slot {
    CurlEasy easy;
    std::string body;
  };

  static std::string Payload(size_t sequence, size_t size) {
    // Appended piece by piece: GCC 12 at -O3 misreads `"p" + std::to_string(...)` as an
    // overlapping memcpy (-Werror=restrict, a known false positive).
    std::string payload = "p";
    payload += std::to_string(sequence);
    payload += ';';
    payload.resize(size, 'x');
    return payload;
  }

  std::string endpoint_;
  CurlMulti multi_;
  CurlList headers_;
  std::vector<Slot> slots_;
};

// --- Command line ---------------------------------------------------------------------------

struct Options {
  std::string url;
  int functionPort = 0;
  int connections = 100;
  size_t posts = 20000;
  int inFlight = 32;
  size_t size = 64;
  double deadlineSeconds = 20;
};

constexpr char kUsage[] =
    "usage: mgmt_post_bench --url ws://127.0.0.1:PORT/STAGE --function-port PORT\n"
    "                       [--connections C=100] [--posts N=20000] [--in-flight M=32]\n"
    "                       [--size BYTES=64] [--deadline SECONDS=20]\n"
    "The gateway's API needs a two-way route \"whoami\" whose function URL is\n"
    "http://127.0.0.1:PORT/2015-03-31/functions/whoami/invocations (served by this program).\n"
    "bench/run_mgmt_bench.sh sets all of that up.\n";

std::optional<Options> ParseOptions(int argc, char** argv) {
  Options options;
  for (int i = 1; i < argc; ++i) {
    std::string_view flag = argv[i];
    if (flag == "--help") return std::nullopt;
    if (i + 1 >= argc) {
      std::fprintf(stderr, "%s needs a value\n", argv[i]);
      return std::nullopt;
    }
    std::string value = argv[++i];
    try {
      if (flag == "--url") {
        options.url = value;
      } else if (flag == "--function-port") {
        options.functionPort = std::stoi(value);
      } else if (flag == "--connections") {
        options.connections = std::stoi(value);
      } else if (flag == "--posts") {
        options.posts = std::stoul(value);
      } else if (flag == "--in-flight") {
        options.inFlight = std::stoi(value);
      } else if (flag == "--size") {
        options.size = std::stoul(value);
      } else if (flag == "--deadline") {
        options.deadlineSeconds = std::stod(value);
      } else {
        std::fprintf(stderr, "unknown option %s\n", argv[i - 1]);
        return std::nullopt;
      }
    } catch (const std::exception&) {
      std::fprintf(stderr, "%s: not a number: %s\n", argv[i - 1], value.c_str());
      return std::nullopt;
    }
  }
  if (options.url.empty() || options.functionPort <= 0) {
    std::fprintf(stderr, "--url and --function-port are required\n");
    return std::nullopt;
  }
  if (options.connections < 1 || options.posts < 1 || options.inFlight < 1 || options.size < 16 ||
      options.size > 128 * 1024) {
    std::fprintf(stderr, "need connections, posts, in-flight >= 1 and 16 <= size <= 131072\n");
    return std::nullopt;
  }
  return options;
}

struct WsUrl {
  std::string host;
  int port = 0;
  std::string path;  // "/STAGE"
};

std::optional<WsUrl> ParseWsUrl(const std::string& url) {
  constexpr std::string_view kScheme = "ws://";
  if (url.rfind(kScheme, 0) != 0) return std::nullopt;
  std::string rest = url.substr(kScheme.size());
  size_t slash = rest.find('/');
  std::string authority = rest.substr(0, slash);
  size_t colon = authority.rfind(':');
  if (colon == std::string::npos || slash == std::string::npos) return std::nullopt;
  WsUrl parsed;
  parsed.host = authority.substr(0, colon);
  parsed.port = std::atoi(authority.c_str() + colon + 1);
  parsed.path = rest.substr(slash);
  if (parsed.port <= 0 || parsed.path.size() < 2) return std::nullopt;
  return parsed;
}

void PrintRow(const PhaseResult& r) {
  std::printf("%11d %7zu %8zu %5zu %5zu %9zu %8.3f %10.0f %7.2f %7.2f %7.2f\n", r.connections,
              r.posts, r.ok, r.limited, r.otherStatus, r.delivered, r.seconds, r.postsPerSecond,
              r.p50Ms, r.p99Ms, r.maxMs);
}

}  // namespace

int main(int argc, char** argv) {
  std::optional<Options> options = ParseOptions(argc, argv);
  if (!options) {
    std::fputs(kUsage, stderr);
    return 2;
  }
  std::optional<WsUrl> url = ParseWsUrl(options->url);
  if (!url) {
    std::fprintf(stderr, "--url must look like ws://127.0.0.1:PORT/STAGE, not %s\n",
                 options->url.c_str());
    return 2;
  }
  std::string management = "http://" + url->host + ":" + std::to_string(url->port) + url->path;
  curl_global_init(CURL_GLOBAL_DEFAULT);

  std::string error;
  WhoamiFunction function;
  if (!function.Listen(options->functionPort, &error)) {
    std::fprintf(stderr, "%s\n", error.c_str());
    return 1;
  }

  const size_t phases = options->connections > 1 ? 2 : 1;
  Delivery delivery;
  delivery.capacity = options->posts * phases;
  delivery.expectedSize = options->size;
  delivery.received = std::make_unique<std::atomic<uint8_t>[]>(delivery.capacity);

  PhaseResult results[2];
  {
    WsClients clients(&delivery);
    auto open_start = Clock::now();
    for (int i = 0; i < options->connections; ++i) {
      if (!clients.Open(url->host, url->port, url->path, &error)) {
        std::fprintf(stderr, "client %d: %s\n", i, error.c_str());
        return 1;
      }
    }
    clients.StartReading();
    if (!clients.LearnIds(10, &error)) {
      std::fprintf(stderr, "%s\n", error.c_str());
      return 1;
    }
    double open_seconds = SecondsSince(open_start);

    Poster poster(management, options->inFlight);
    std::vector<std::string> one = {clients.Id(0)};
    std::vector<std::string> all;
    for (size_t i = 0; i < clients.size(); ++i) all.push_back(clients.Id(i));
    results[0] = poster.Run(one, 0, options->posts, delivery, options->deadlineSeconds);
    if (phases == 2) {
      results[1] =
          poster.Run(all, options->posts, options->posts, delivery, options->deadlineSeconds);
    }

    std::printf("wsgw @connections PostToConnection benchmark\n");
    std::printf("gateway %s, management endpoint %s\n", options->url.c_str(), management.c_str());
    std::printf(
        "%d clients opened and identified in %.3f s; payload %zu bytes; %d POSTs in "
        "flight (libcurl multi, keep-alive)\n\n",
        options->connections, open_seconds, options->size, options->inFlight);
    std::printf("%11s %7s %8s %5s %5s %9s %8s %10s %7s %7s %7s\n", "connections", "posts", "200",
                "429", "other", "delivered", "seconds", "posts/s", "p50 ms", "p99 ms", "max ms");
    for (size_t p = 0; p < phases; ++p) PrintRow(results[p]);
    std::printf(
        "\nposts/s counts only POSTs whose payload reached the client, over the time from "
        "the first POST to the last delivery; latencies are POST round trips.\n");
    if (delivery.malformed > 0) {
      std::printf("WARNING: %llu frames did not match any payload sent\n",
                  static_cast<unsigned long long>(delivery.malformed.load()));
    }
    if (clients.closedCount() > 0) {
      std::printf("WARNING: %d clients were closed by the gateway during the run\n",
                  clients.closedCount());
    }
    for (size_t p = 0; p < phases; ++p) {
      const PhaseResult& r = results[p];
      std::printf("mgmt_post_per_sec connections=%d value=%.0f\n", r.connections, r.postsPerSecond);
      std::printf("mgmt_post_p50_ms connections=%d value=%.3f\n", r.connections, r.p50Ms);
      std::printf("mgmt_post_p99_ms connections=%d value=%.3f\n", r.connections, r.p99Ms);
      std::printf("mgmt_post_delivered connections=%d value=%zu\n", r.connections, r.delivered);
      if (r.delivered < r.posts) {
        std::printf("WARNING: connections=%d: %zu of %zu POSTs were not delivered within %.0f s\n",
                    r.connections, r.posts - r.delivered, r.posts, options->deadlineSeconds);
      }
    }
  }
  curl_global_cleanup();
  return 0;
}
