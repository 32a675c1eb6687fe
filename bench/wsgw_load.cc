// wsgw_load: a WebSocket load generator for wsgw-emulate, serverless-offline and the bare
// libwebsockets floor. It opens N connections with a libwebsockets client and runs one mode:
//
//   echo       each message carries a sequence number; the reply (two-way route, or a
//              PostToConnection from the handler) is matched to it, giving send-to-receipt latency.
//              --rate R sends R messages per second in total (open loop); --rate 0 keeps --window
//              messages in flight per connection and sends the next as soon as a reply arrives.
//   broadcast  connection 0 sends one message that the handler fans out to every connection; a
//              round ends when the last connection has it (or after --round-timeout).
//   churn      --connections slots each connect, wait for the handshake ($connect) and close
//              ($disconnect), again and again.
//   idle       opens --connections connections and holds them; --rss-pid reports resident memory.
//
// The connections live on a libev loop over epoll (as in wsgw-emulate); --poll keeps lws's own
// poll() loop instead, to compare the two backends.
//
// It prints a table for people and one `metric scenario=... target=... name=... value=... unit=...`
// line per figure for scripts. Every phase is bounded in time; the program always stops by itself
// and exits 0 when it measured something (a benchmark never fails because the machine was slow).
#include <libwebsockets.h>
#include <sys/resource.h>
#include <sys/timerfd.h>
#include <dirent.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

#include "server/event_loop.h"

namespace {

// How often the pacing clock ticks (open loop sends are spread over ticks this long).
constexpr long kTickUs = 200;
// How often the loop wakes when nothing is paced (bounds the wait for deadlines).
constexpr long kIdleTickUs = 10000;

int64_t NowUs() {
  using namespace std::chrono;
  return duration_cast<microseconds>(steady_clock::now().time_since_epoch()).count();
}

// --- Options ------------------------------------------------------------------------------------

struct Options {
  std::string url = "ws://127.0.0.1:3001/dev";
  std::string mode = "echo";
  std::string scenario = "echo";
  std::string target = "wsgw";
  int connections = 50;
  double rate = 0;           // messages per second in total; 0 = closed loop
  int window = 1;            // closed loop: messages in flight per connection
  double duration = 5;       // measured seconds (echo, churn)
  double warmup = 1;         // seconds before measuring (echo, churn)
  int size = 64;             // approximate message size in bytes
  std::string action = "echo";
  int connectConcurrency = 100;
  int rounds = 10;           // broadcast rounds measured (after one warm-up round)
  double roundTimeout = 10;  // seconds a broadcast round may take
  double hold = 3;           // idle: seconds the connections are held after they are all open
  double connectTimeout = 60;
  int maxInFlightPerConnection = 1000;  // open loop: beyond this a due message is not sent
  bool poll = false;                    // lws's own poll() loop instead of libev over epoll
  std::string ca;                       // wss://: the CA file the server's certificate must chain to
  // label=pid: CPU per message and VmRSS of that process; the -tree forms add up the process and
  // all its descendants (the gateway with the functions it started, a Node.js host's workers).
  std::vector<std::pair<std::string, int>> cpuPids, cpuTrees;
  std::vector<std::pair<std::string, int>> rssPids, rssTrees;
};

void Usage() {
  std::fprintf(stderr,
               "usage: wsgw_load --url ws[s]://HOST:PORT/PATH [--ca FILE]\n"
               "  [--mode echo|broadcast|churn|idle]\n"
               "  [--scenario NAME] [--target NAME] [--connections N] [--rate MSG_PER_S]\n"
               "  [--window N] [--duration S] [--warmup S] [--size BYTES] [--action NAME]\n"
               "  [--connect-concurrency N] [--rounds N] [--round-timeout S] [--hold S]\n"
               "  [--connect-timeout S] [--cpu-pid LABEL=PID]... [--cpu-tree LABEL=PID]...\n"
               "  [--rss-pid LABEL=PID]... [--rss-tree LABEL=PID]... [--poll]\n"
               "  --poll  run the connections on lws's own poll() loop instead of libev/epoll\n"
               "  --ca    with wss://, the CA that signed the server's certificate (wsgw-emulate\n"
               "          --print-ca); without it the certificate is not checked\n");
}

bool ParsePidArg(const std::string& text, std::pair<std::string, int>* out) {
  size_t eq = text.find('=');
  if (eq == std::string::npos || eq == 0) return false;
  out->first = text.substr(0, eq);
  out->second = std::atoi(text.c_str() + eq + 1);
  return out->second > 0;
}

bool ParseOptions(int argc, char** argv, Options* o) {
  for (int i = 1; i < argc; ++i) {
    std::string flag = argv[i];
    if (flag == "--help") return false;
    if (flag == "--poll") {
      o->poll = true;
      continue;
    }
    if (i + 1 >= argc) {
      std::fprintf(stderr, "wsgw_load: %s needs a value\n", flag.c_str());
      return false;
    }
    std::string value = argv[++i];
    if (flag == "--url") o->url = value;
    else if (flag == "--ca") o->ca = value;
    else if (flag == "--mode") o->mode = value;
    else if (flag == "--scenario") o->scenario = value;
    else if (flag == "--target") o->target = value;
    else if (flag == "--connections") o->connections = std::atoi(value.c_str());
    else if (flag == "--rate") o->rate = std::atof(value.c_str());
    else if (flag == "--window") o->window = std::atoi(value.c_str());
    else if (flag == "--duration") o->duration = std::atof(value.c_str());
    else if (flag == "--warmup") o->warmup = std::atof(value.c_str());
    else if (flag == "--size") o->size = std::atoi(value.c_str());
    else if (flag == "--action") o->action = value;
    else if (flag == "--connect-concurrency") o->connectConcurrency = std::atoi(value.c_str());
    else if (flag == "--rounds") o->rounds = std::atoi(value.c_str());
    else if (flag == "--round-timeout") o->roundTimeout = std::atof(value.c_str());
    else if (flag == "--hold") o->hold = std::atof(value.c_str());
    else if (flag == "--connect-timeout") o->connectTimeout = std::atof(value.c_str());
    else if (flag == "--cpu-pid" || flag == "--rss-pid" || flag == "--cpu-tree" ||
             flag == "--rss-tree") {
      std::pair<std::string, int> pid;
      if (!ParsePidArg(value, &pid)) {
        std::fprintf(stderr, "wsgw_load: %s wants LABEL=PID, got %s\n", flag.c_str(),
                     value.c_str());
        return false;
      }
      if (flag == "--cpu-pid") o->cpuPids.push_back(pid);
      if (flag == "--rss-pid") o->rssPids.push_back(pid);
      if (flag == "--cpu-tree") o->cpuTrees.push_back(pid);
      if (flag == "--rss-tree") o->rssTrees.push_back(pid);
    } else {
      std::fprintf(stderr, "wsgw_load: unknown option %s\n", flag.c_str());
      return false;
    }
  }
  if (o->mode != "echo" && o->mode != "broadcast" && o->mode != "churn" && o->mode != "idle") {
    std::fprintf(stderr, "wsgw_load: --mode must be echo, broadcast, churn or idle\n");
    return false;
  }
  if (o->connections < 1 || o->window < 1 || o->connectConcurrency < 1 || o->rounds < 1 ||
      o->duration <= 0 || o->warmup < 0 || o->rate < 0) {
    std::fprintf(stderr, "wsgw_load: counts must be positive and durations non-negative\n");
    return false;
  }
  return true;
}

struct Url {
  std::string host;
  int port = 80;
  std::string path = "/";
  bool tls = false;
};

std::optional<Url> ParseUrl(const std::string& text) {
  Url url;
  std::string rest;
  if (text.rfind("ws://", 0) == 0) {
    rest = text.substr(5);
  } else if (text.rfind("wss://", 0) == 0) {
    rest = text.substr(6);
    url.tls = true;
    url.port = 443;
  } else {
    return std::nullopt;
  }
  size_t slash = rest.find('/');
  std::string authority = slash == std::string::npos ? rest : rest.substr(0, slash);
  url.path = slash == std::string::npos ? "/" : rest.substr(slash);
  size_t colon = authority.rfind(':');
  if (colon == std::string::npos) {
    url.host = authority;
  } else {
    url.host = authority.substr(0, colon);
    url.port = std::atoi(authority.c_str() + colon + 1);
  }
  if (url.host.empty() || url.port <= 0) return std::nullopt;
  return url;
}

// --- /proc --------------------------------------------------------------------------------------

// utime + stime of every thread of the process, in clock ticks; -1 when it is gone.
int64_t ProcessCpuTicks(int pid) {
  std::ifstream file("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  size_t paren = text.rfind(')');
  if (paren == std::string::npos) return -1;
  std::istringstream fields(text.substr(paren + 2));
  std::string field;
  int64_t utime = 0;
  int64_t stime = 0;
  // Fields after the command: state is field 3; utime and stime are fields 14 and 15.
  for (int index = 3; index <= 15 && fields >> field; ++index) {
    if (index == 14) utime = std::atoll(field.c_str());
    if (index == 15) stime = std::atoll(field.c_str());
  }
  return utime + stime;
}

// VmRSS in kB; -1 when unknown.
int64_t ProcessRssKb(int pid) {
  std::ifstream file("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(file, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::atoll(line.c_str() + 6);
  }
  return -1;
}

// The process and all its descendants, from the parent field of every /proc/PID/stat.
std::vector<int> ProcessTree(int root) {
  std::map<int, std::vector<int>> children;
  if (DIR* proc = opendir("/proc")) {
    while (dirent* entry = readdir(proc)) {
      int pid = std::atoi(entry->d_name);
      if (pid <= 0) continue;
      std::ifstream file("/proc/" + std::to_string(pid) + "/stat");
      std::string text((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
      size_t paren = text.rfind(')');
      if (paren == std::string::npos) continue;
      std::istringstream fields(text.substr(paren + 2));
      std::string state;
      int parent = 0;
      fields >> state >> parent;
      children[parent].push_back(pid);
    }
    closedir(proc);
  }
  std::vector<int> tree = {root};
  for (size_t i = 0; i < tree.size() && tree.size() < 10000; ++i) {
    for (int child : children[tree[i]]) tree.push_back(child);
  }
  return tree;
}

int64_t TreeCpuTicks(int root) {
  int64_t total = 0;
  for (int pid : ProcessTree(root)) {
    int64_t ticks = ProcessCpuTicks(pid);
    if (ticks < 0 && pid == root) return -1;
    total += std::max<int64_t>(0, ticks);
  }
  return total;
}

int64_t TreeRssKb(int root) {
  int64_t total = 0;
  for (int pid : ProcessTree(root)) {
    int64_t kb = ProcessRssKb(pid);
    if (kb < 0 && pid == root) return -1;
    total += std::max<int64_t>(0, kb);
  }
  return total;
}

double SelfCpuSeconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
         static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

// --- Statistics ---------------------------------------------------------------------------------

struct Percentiles {
  size_t count = 0;
  double p50 = 0, p90 = 0, p99 = 0, max = 0, mean = 0;
};

// Values in microseconds in, milliseconds out.
Percentiles Summarize(std::vector<int64_t> values) {
  Percentiles p;
  p.count = values.size();
  if (values.empty()) return p;
  std::sort(values.begin(), values.end());
  auto at = [&values](double q) {
    size_t index = static_cast<size_t>(std::ceil(q * static_cast<double>(values.size()))) - 1;
    return static_cast<double>(values[std::min(index, values.size() - 1)]) / 1000.0;
  };
  p.p50 = at(0.50);
  p.p90 = at(0.90);
  p.p99 = at(0.99);
  p.max = static_cast<double>(values.back()) / 1000.0;
  double sum = 0;
  for (int64_t v : values) sum += static_cast<double>(v);
  p.mean = sum / static_cast<double>(values.size()) / 1000.0;
  return p;
}

class Report {
 public:
  Report(std::string scenario, std::string target)
      : scenario_(std::move(scenario)), target_(std::move(target)) {}

  void Add(const std::string& name, double value, const std::string& unit,
           const std::string& label) {
    rows_.push_back({name, value, unit, label});
  }
  void Note(const std::string& text) { notes_.push_back(text); }

  void Print() const {
    std::printf("\n%s against %s\n", scenario_.c_str(), target_.c_str());
    std::printf("  %-44s %14s  %s\n", "figure", "value", "unit");
    for (const Row& row : rows_) {
      std::printf("  %-44s %14.3f  %s\n", row.label.c_str(), row.value, row.unit.c_str());
    }
    for (const std::string& note : notes_) std::printf("  note: %s\n", note.c_str());
    for (const Row& row : rows_) {
      std::printf("metric scenario=%s target=%s name=%s value=%.6g unit=%s\n", scenario_.c_str(),
                  target_.c_str(), row.name.c_str(), row.value, row.unit.c_str());
    }
    for (const std::string& note : notes_) {
      std::printf("note scenario=%s target=%s text=%s\n", scenario_.c_str(), target_.c_str(),
                  note.c_str());
    }
    std::fflush(stdout);
  }

  void AddPercentiles(const std::string& prefix, const std::string& what, const Percentiles& p) {
    Add(prefix + "_p50", p.p50, "ms", what + " p50");
    Add(prefix + "_p90", p.p90, "ms", what + " p90");
    Add(prefix + "_p99", p.p99, "ms", what + " p99");
    Add(prefix + "_max", p.max, "ms", what + " max");
  }

 private:
  struct Row {
    std::string name;
    double value;
    std::string unit;
    std::string label;
  };
  std::string scenario_, target_;
  std::vector<Row> rows_;
  std::vector<std::string> notes_;
};

// --- The client -----------------------------------------------------------------------------

struct Conn {
  enum class State { kIdle, kConnecting, kOpen, kClosing, kClosed, kFailed };
  State state = State::kIdle;
  int index = 0;
  lws* wsi = nullptr;
  int64_t connectStartUs = 0;
  std::deque<uint64_t> toSend;  // sequence numbers waiting for WRITEABLE
  int inFlight = 0;
  std::string rx;
  bool closeWanted = false;
};

class Load {
 public:
  explicit Load(Options options) : o_(std::move(options)), report_(o_.scenario, o_.target) {}
  int Run();

  // Called from the lws callback.
  int OnEvent(lws* wsi, lws_callback_reasons reason, void* in, size_t len);

 private:
  enum class Phase { kConnecting, kWarmup, kMeasuring, kDraining, kDone };

  bool CreateContext();
  void DestroyContext();
  void StartConnect(Conn* conn);
  bool ServiceUntil(const std::function<bool()>& done, double seconds);
  bool OpenAll(int count);
  void CloseAll();
  void QueueMessage(Conn* conn);
  void OnMessage(Conn* conn, const std::string& text);
  std::string MessageText(uint64_t seq) const;

  void RunEcho();
  void RunBroadcast();
  void RunChurn();
  void RunIdle();
  void ReportConnects(const std::string& what);
  void SampleCpu(std::vector<int64_t>* ticks) const;
  void ReportCpu(const std::vector<int64_t>& before, const std::vector<int64_t>& after,
                 double messages, const std::string& per);

  void OnTick();

  Options o_;
  Url url_;
  Report report_;
  std::unique_ptr<wsgw::EventLoop> loop_;  // null with --poll
  lws_context* context_ = nullptr;
  std::vector<std::unique_ptr<Conn>> conns_;
  std::string pad_;

  Phase phase_ = Phase::kConnecting;
  int openCount_ = 0;
  int connectFailures_ = 0;
  int unexpectedCloses_ = 0;
  std::vector<int64_t> connectUs_;

  // echo
  std::vector<int64_t> sendUs_;  // by sequence number
  uint64_t nextSeq_ = 0;
  std::vector<int64_t> latencyUs_;
  uint64_t receivedInWindow_ = 0;
  uint64_t sentInWindow_ = 0;
  uint64_t errorsFrames_ = 0;
  uint64_t unmatched_ = 0;
  uint64_t skipped_ = 0;
  uint64_t outstanding_ = 0;
  int64_t windowStartUs_ = 0, windowEndUs_ = 0;
  // open loop pacing
  int64_t paceStartUs_ = 0;
  uint64_t scheduled_ = 0;
  size_t roundRobin_ = 0;

  // broadcast
  uint64_t roundSeq_ = 0;
  int roundReceived_ = 0;
  int64_t roundSentUs_ = 0;
  std::vector<int64_t> roundDeliveryUs_;

  // churn
  uint64_t cyclesInWindow_ = 0;
  bool churnRunning_ = false;
  std::vector<Conn*> reconnect_;  // started again outside lws callbacks
  int connecting_ = 0;
  int tickFd_ = -1;
  bool pacing_ = false;
};

Load* g_load = nullptr;

int Callback(lws* wsi, lws_callback_reasons reason, void* /*user*/, void* in, size_t len) {
  if (g_load == nullptr) return 0;
  return g_load->OnEvent(wsi, reason, in, len);
}

const lws_protocols kProtocols[] = {
    {"wsgw-load", Callback, 0, 64 * 1024, 0, nullptr, 0},
    {nullptr, nullptr, 0, 0, 0, nullptr, 0},
};

bool Load::CreateContext() {
  lws_set_log_level(LLL_ERR, nullptr);
  lws_context_creation_info info{};
  info.port = CONTEXT_PORT_NO_LISTEN;
  info.protocols = kProtocols;
  info.gid = -1;
  info.uid = -1;
  info.timeout_secs = 30;
  info.connect_timeout_secs = 20;
  if (url_.tls) {
    info.options |= LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
    if (!o_.ca.empty()) info.client_ssl_ca_filepath = o_.ca.c_str();
  }
  if (!o_.poll) {
    std::string error;
    loop_ = wsgw::EventLoop::Create(&error);
    if (loop_ == nullptr) return false;
    loop_->UseIn(&info);
  }
  context_ = lws_create_context(&info);
  if (context_ == nullptr) return false;
  // The pacing clock, which also bounds every ServiceOnce() sleep so that deadlines are seen.
  // A timerfd rather than an lws or libev timer: both time out epoll_wait()/poll() in whole
  // milliseconds (lws 4.1 even rounds down and spins through the last millisecond before every
  // timer it holds), which cannot pace a send every 200 us.
  tickFd_ = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
  if (tickFd_ < 0) return false;
  // Only open-loop pacing needs a fine clock; otherwise, with --poll, each tick would be a poll()
  // over every connection, which costs real CPU at 10,000 connections.
  long tick_ns = (o_.mode == "echo" && o_.rate > 0 ? kTickUs : kIdleTickUs) * 1000;
  itimerspec every{};
  every.it_interval.tv_nsec = tick_ns;
  every.it_value.tv_nsec = tick_ns;
  timerfd_settime(tickFd_, 0, &every, nullptr);
  lws_adopt_desc_t desc{};
  desc.vh = lws_get_vhost_by_name(context_, "default");
  desc.type = LWS_ADOPT_RAW_FILE_DESC;
  desc.fd.filefd = tickFd_;
  desc.vh_prot_name = kProtocols[0].name;
  desc.opaque = &tickFd_;
  return desc.vh != nullptr && lws_adopt_descriptor_vhost_via_info(&desc) != nullptr;
}

void Load::DestroyContext() {
  if (context_ != nullptr) lws_context_destroy(context_);
  context_ = nullptr;
  loop_.reset();
}

std::string Load::MessageText(uint64_t seq) const {
  return "{\"action\":\"" + o_.action + "\",\"seq\":" + std::to_string(seq) + ",\"pad\":\"" + pad_ +
         "\"}";
}

void Load::StartConnect(Conn* conn) {
  conn->state = Conn::State::kConnecting;
  conn->connectStartUs = NowUs();
  conn->rx.clear();
  conn->toSend.clear();
  conn->inFlight = 0;
  conn->closeWanted = false;
  lws_client_connect_info ci{};
  ci.context = context_;
  ci.address = url_.host.c_str();
  ci.port = url_.port;
  ci.path = url_.path.c_str();
  ci.host = url_.host.c_str();
  ci.origin = url_.host.c_str();
  if (url_.tls) {
    ci.ssl_connection = LCCSCF_USE_SSL;
    if (o_.ca.empty()) {
      ci.ssl_connection |= LCCSCF_ALLOW_SELFSIGNED | LCCSCF_SKIP_SERVER_CERT_HOSTNAME_CHECK |
                           LCCSCF_ALLOW_INSECURE;
    }
  }
  ci.protocol = nullptr;
  ci.local_protocol_name = kProtocols[0].name;
  ci.ietf_version_or_minus_one = -1;
  ci.opaque_user_data = conn;
  // No lws ping every 300 s: a 5-minute timer per connection would go into lws's sorted timer
  // list, whose insert walks it (quadratic when opening 10,000 connections).
  static const lws_retry_bo_t kNoPings = {};
  ci.retry_and_idle_policy = &kNoPings;
  conn->wsi = nullptr;
  ++connecting_;
  // A refusal may be reported inside this call (CLIENT_CONNECTION_ERROR) or by its result.
  if (lws_client_connect_via_info(&ci) == nullptr && conn->state == Conn::State::kConnecting) {
    conn->state = Conn::State::kFailed;
    --connecting_;
    ++connectFailures_;
    if (o_.mode == "churn" && churnRunning_) reconnect_.push_back(conn);
  }
}

int Load::OnEvent(lws* wsi, lws_callback_reasons reason, void* in, size_t len) {
  if (reason == LWS_CALLBACK_RAW_RX_FILE) {
    uint64_t expirations = 0;
    if (read(tickFd_, &expirations, sizeof expirations) < 0 && errno != EAGAIN) return -1;
    OnTick();
    return 0;
  }
  if (reason == LWS_CALLBACK_RAW_CLOSE_FILE || reason == LWS_CALLBACK_RAW_WRITEABLE_FILE) {
    return 0;
  }
  auto* conn = static_cast<Conn*>(lws_get_opaque_user_data(wsi));
  switch (reason) {
    case LWS_CALLBACK_CLIENT_ESTABLISHED: {
      if (conn == nullptr) return -1;
      if (conn->state == Conn::State::kConnecting) --connecting_;
      conn->state = Conn::State::kOpen;
      conn->wsi = wsi;
      ++openCount_;
      connectUs_.push_back(NowUs() - conn->connectStartUs);
      if (o_.mode == "churn") {
        conn->closeWanted = true;
        lws_callback_on_writable(wsi);
      }
      return 0;
    }
    case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
      if (conn != nullptr) {
        if (conn->state == Conn::State::kConnecting) {
          --connecting_;
          ++connectFailures_;
        }
        conn->state = Conn::State::kFailed;
        conn->wsi = nullptr;
        lws_set_opaque_user_data(wsi, nullptr);
        if (o_.mode == "churn" && churnRunning_) reconnect_.push_back(conn);
      }
      return 0;
    case LWS_CALLBACK_CLIENT_RECEIVE: {
      if (conn == nullptr) return 0;
      conn->rx.append(static_cast<const char*>(in), len);
      if (lws_is_final_fragment(wsi)) {
        std::string text;
        text.swap(conn->rx);
        OnMessage(conn, text);
      }
      return 0;
    }
    case LWS_CALLBACK_CLIENT_WRITEABLE: {
      if (conn == nullptr) return 0;
      if (conn->closeWanted) {
        lws_close_reason(wsi, LWS_CLOSE_STATUS_NORMAL, nullptr, 0);
        conn->state = Conn::State::kClosing;
        return -1;
      }
      if (conn->toSend.empty()) return 0;
      uint64_t seq = conn->toSend.front();
      conn->toSend.pop_front();
      std::string text = MessageText(seq);
      std::vector<unsigned char> buffer(LWS_PRE + text.size());
      std::memcpy(buffer.data() + LWS_PRE, text.data(), text.size());
      int64_t now = NowUs();
      if (seq < sendUs_.size()) sendUs_[seq] = now;
      if (o_.mode == "broadcast") roundSentUs_ = now;
      if (phase_ == Phase::kMeasuring && o_.mode == "echo") ++sentInWindow_;
      if (lws_write(wsi, buffer.data() + LWS_PRE, text.size(), LWS_WRITE_TEXT) <
          static_cast<int>(text.size())) {
        return -1;
      }
      if (!conn->toSend.empty()) lws_callback_on_writable(wsi);
      return 0;
    }
    case LWS_CALLBACK_CLIENT_CLOSED:
      if (conn != nullptr) {
        bool wanted = conn->closeWanted || conn->state == Conn::State::kClosing;
        if (conn->state == Conn::State::kOpen || conn->state == Conn::State::kClosing) {
          --openCount_;
        }
        if (!wanted && phase_ != Phase::kDone) ++unexpectedCloses_;
        outstanding_ -= std::min<uint64_t>(outstanding_, static_cast<uint64_t>(conn->inFlight));
        conn->inFlight = 0;
        conn->state = Conn::State::kClosed;
        conn->wsi = nullptr;
        lws_set_opaque_user_data(wsi, nullptr);
        if (o_.mode == "churn" && wanted) {
          if (phase_ == Phase::kMeasuring) ++cyclesInWindow_;
          if (churnRunning_) reconnect_.push_back(conn);
        }
      }
      return 0;
    default:
      return 0;
  }
}

void Load::OnMessage(Conn* conn, const std::string& text) {
  int64_t now = NowUs();
  size_t at = text.find("\"seq\":");
  if (at == std::string::npos) {
    if (text.find("Internal server error") != std::string::npos ||
        text.find("Forbidden") != std::string::npos) {
      ++errorsFrames_;
      if (conn->inFlight > 0) {
        --conn->inFlight;
        if (outstanding_ > 0) --outstanding_;
      }
    } else {
      ++unmatched_;
    }
    return;
  }
  uint64_t seq = std::strtoull(text.c_str() + at + 6, nullptr, 10);
  if (o_.mode == "broadcast") {
    if (seq != roundSeq_) {
      ++unmatched_;
      return;
    }
    ++roundReceived_;
    roundDeliveryUs_.push_back(now - roundSentUs_);
    return;
  }
  if (seq >= sendUs_.size() || sendUs_[seq] == 0) {
    ++unmatched_;
    return;
  }
  int64_t sent = sendUs_[seq];
  sendUs_[seq] = 0;
  if (conn->inFlight > 0) --conn->inFlight;
  if (outstanding_ > 0) --outstanding_;
  if (phase_ == Phase::kMeasuring && now <= windowEndUs_) {
    ++receivedInWindow_;
    if (sent >= windowStartUs_) latencyUs_.push_back(now - sent);
  }
  if (o_.rate == 0 && (phase_ == Phase::kWarmup || phase_ == Phase::kMeasuring)) {
    QueueMessage(conn);
  }
}

void Load::QueueMessage(Conn* conn) {
  if (conn->wsi == nullptr || conn->state != Conn::State::kOpen) return;
  if (nextSeq_ >= sendUs_.size()) {
    ++skipped_;
    return;
  }
  conn->toSend.push_back(nextSeq_++);
  ++conn->inFlight;
  ++outstanding_;
  lws_callback_on_writable(conn->wsi);
}

void Load::OnTick() {
  if (!pacing_ || (phase_ != Phase::kWarmup && phase_ != Phase::kMeasuring)) return;
  int64_t now = NowUs();
  auto due = static_cast<uint64_t>(static_cast<double>(now - paceStartUs_) * o_.rate / 1e6);
  size_t n = conns_.size();
  while (scheduled_ < due) {
    ++scheduled_;
    Conn* conn = nullptr;
    for (size_t tries = 0; tries < n; ++tries) {
      Conn* candidate = conns_[roundRobin_++ % n].get();
      if (candidate->state == Conn::State::kOpen) {
        conn = candidate;
        break;
      }
    }
    if (conn == nullptr || conn->inFlight >= o_.maxInFlightPerConnection) {
      ++skipped_;
      continue;
    }
    QueueMessage(conn);
  }
}

bool Load::ServiceUntil(const std::function<bool()>& done, double seconds) {
  int64_t deadline = NowUs() + static_cast<int64_t>(seconds * 1e6);
  while (!done()) {
    if (NowUs() >= deadline) return false;
    if (wsgw::ServiceOnce(loop_.get(), context_) < 0) return false;
    std::vector<Conn*> again;
    again.swap(reconnect_);
    for (Conn* conn : again) StartConnect(conn);
  }
  return true;
}

bool Load::OpenAll(int count) {
  conns_.clear();
  for (int i = 0; i < count; ++i) {
    conns_.push_back(std::make_unique<Conn>());
    conns_.back()->index = i;
  }
  int started = 0;
  int64_t deadline = NowUs() + static_cast<int64_t>(o_.connectTimeout * 1e6);
  while (NowUs() < deadline) {
    while (started < count && connecting_ < o_.connectConcurrency) {
      StartConnect(conns_[static_cast<size_t>(started++)].get());
    }
    if (started == count && connecting_ == 0) break;
    wsgw::ServiceOnce(loop_.get(), context_);
  }
  return openCount_ == count;
}

void Load::CloseAll() {
  phase_ = Phase::kDone;
  for (auto& c : conns_) {
    if (c->wsi != nullptr && c->state == Conn::State::kOpen) {
      c->closeWanted = true;
      lws_callback_on_writable(c->wsi);
    }
  }
  ServiceUntil([this] { return openCount_ <= 0; }, 5);
}

void Load::ReportConnects(const std::string& what) {
  Percentiles connect = Summarize(connectUs_);
  report_.AddPercentiles("connect", what, connect);
  if (connectFailures_ > 0) {
    report_.Add("connect_failures", connectFailures_, "count", "connections that failed");
  }
}

void Load::SampleCpu(std::vector<int64_t>* ticks) const {
  ticks->clear();
  for (const auto& [label, pid] : o_.cpuPids) ticks->push_back(ProcessCpuTicks(pid));
  for (const auto& [label, pid] : o_.cpuTrees) ticks->push_back(TreeCpuTicks(pid));
}

void Load::ReportCpu(const std::vector<int64_t>& before, const std::vector<int64_t>& after,
                     double messages, const std::string& per) {
  double tick_us = 1e6 / static_cast<double>(sysconf(_SC_CLK_TCK));
  std::vector<std::pair<std::string, std::string>> labels;  // metric suffix, words
  for (const auto& pid : o_.cpuPids) labels.emplace_back(pid.first, pid.first + " process");
  for (const auto& pid : o_.cpuTrees) {
    labels.emplace_back(pid.first, pid.first + " (process tree)");
  }
  for (size_t i = 0; i < labels.size() && i < before.size() && i < after.size(); ++i) {
    if (before[i] < 0 || after[i] < 0 || messages <= 0) continue;
    double cpu_us = static_cast<double>(after[i] - before[i]) * tick_us;
    report_.Add("cpu_per_" + per + "_" + labels[i].first, cpu_us / messages, "us",
                "CPU per " + per + ", " + labels[i].second);
  }
}

void Load::RunEcho() {
  int64_t connect_start = NowUs();
  bool all = OpenAll(o_.connections);
  report_.Add("connections", openCount_, "count", "connections open");
  report_.Add("connect_all_seconds", static_cast<double>(NowUs() - connect_start) / 1e6, "s",
              "time to open them all");
  ReportConnects("connect time");
  if (!all || openCount_ == 0) {
    report_.Note("not every connection opened; no messages sent");
    return;
  }
  // Generous bound on messages: twice the rate, or 200k/s closed loop.
  double seconds = o_.warmup + o_.duration + 1;
  double bound = o_.rate > 0 ? o_.rate * seconds * 2 : 200000.0 * seconds;
  sendUs_.assign(static_cast<size_t>(std::min(bound, 4.0e7)), 0);
  latencyUs_.reserve(static_cast<size_t>(std::min(bound, 4.0e7)));

  phase_ = Phase::kWarmup;
  paceStartUs_ = NowUs();
  if (o_.rate > 0) {
    pacing_ = true;
  } else {
    for (auto& c : conns_) {
      for (int i = 0; i < o_.window; ++i) QueueMessage(c.get());
    }
  }
  ServiceUntil([] { return false; }, o_.warmup);

  std::vector<int64_t> cpu_before, cpu_after;
  SampleCpu(&cpu_before);
  double self_before = SelfCpuSeconds();
  phase_ = Phase::kMeasuring;
  uint64_t skipped_before = skipped_;
  uint64_t errors_before = errorsFrames_;
  windowStartUs_ = NowUs();
  windowEndUs_ = windowStartUs_ + static_cast<int64_t>(o_.duration * 1e6);
  ServiceUntil([] { return false; }, o_.duration);
  int64_t measured_us = NowUs() - windowStartUs_;
  SampleCpu(&cpu_after);
  double self_cpu = SelfCpuSeconds() - self_before;

  phase_ = Phase::kDraining;
  pacing_ = false;
  ServiceUntil([this] { return outstanding_ == 0; }, 3);
  uint64_t lost = outstanding_;

  double seconds_measured = static_cast<double>(measured_us) / 1e6;
  double throughput = static_cast<double>(receivedInWindow_) / seconds_measured;
  report_.Add("throughput", throughput, "msg/s", "echoed messages per second");
  if (o_.rate > 0) {
    report_.Add("offered_rate", o_.rate, "msg/s", "offered rate");
    report_.Add("sent_rate", static_cast<double>(sentInWindow_) / seconds_measured, "msg/s",
                "sent rate");
  } else {
    report_.Add("in_flight", static_cast<double>(o_.connections) * o_.window, "count",
                "messages in flight (closed loop)");
  }
  report_.AddPercentiles("latency", "send-to-receipt latency", Summarize(latencyUs_));
  ReportCpu(cpu_before, cpu_after, static_cast<double>(receivedInWindow_), "msg");
  report_.Add("cpu_per_msg_loadgen", self_cpu * 1e6 / std::max<double>(1, receivedInWindow_),
              "us", "CPU per message, this load generator");
  if (skipped_ > skipped_before) {
    report_.Add("not_sent", static_cast<double>(skipped_ - skipped_before), "count",
                "due messages not sent (connection backlog full)");
  }
  if (errorsFrames_ > errors_before) {
    report_.Add("error_frames", static_cast<double>(errorsFrames_ - errors_before), "count",
                "error frames received");
  }
  if (lost > 0) report_.Add("unanswered", static_cast<double>(lost), "count", "never answered");
  if (unexpectedCloses_ > 0) {
    report_.Add("unexpected_closes", unexpectedCloses_, "count", "connections closed by server");
  }
  if (o_.rate > 0 && static_cast<double>(sentInWindow_) < 0.95 * o_.rate * seconds_measured) {
    report_.Note("could not offer the target rate (server or load generator saturated)");
  }
  if (o_.rate > 0 && throughput < 0.95 * o_.rate) {
    report_.Note("the server did not keep up with the offered rate: latencies grow with the run");
  }
}

void Load::RunBroadcast() {
  int64_t connect_start = NowUs();
  bool all = OpenAll(o_.connections);
  report_.Add("connections", openCount_, "count", "connections open (receivers)");
  report_.Add("connect_all_seconds", static_cast<double>(NowUs() - connect_start) / 1e6, "s",
              "time to open them all");
  ReportConnects("connect time");
  if (!all) {
    report_.Note("not every connection opened; no broadcast sent");
    return;
  }
  // Let the last $connect settle in the handler's store before the first round.
  ServiceUntil([] { return false; }, 0.3);
  std::vector<int64_t> first, median, last, reached;
  int incomplete = 0;
  int total_rounds = o_.rounds + 1;  // round 0 warms up
  phase_ = Phase::kMeasuring;
  for (int round = 0; round < total_rounds; ++round) {
    roundSeq_ = 1000 + static_cast<uint64_t>(round);
    roundReceived_ = 0;
    roundDeliveryUs_.clear();
    Conn* sender = conns_[0].get();
    if (sender->state != Conn::State::kOpen) break;
    sender->toSend.push_back(roundSeq_);
    lws_callback_on_writable(sender->wsi);
    bool complete = ServiceUntil([this] { return roundReceived_ >= openCount_; },
                                 o_.roundTimeout);
    if (round == 0) {
      ServiceUntil([] { return false; }, 0.2);
      continue;
    }
    std::vector<int64_t> d = roundDeliveryUs_;
    std::sort(d.begin(), d.end());
    reached.push_back(static_cast<int64_t>(d.size()));
    if (!complete) {
      // A round that missed some clients has no "last delivery" to report.
      ++incomplete;
    } else {
      first.push_back(d.front());
      median.push_back(d[d.size() / 2]);
      last.push_back(d.back());
    }
    // Quiet gap so that rounds do not overlap.
    ServiceUntil([] { return false; }, 0.2);
  }
  report_.Add("rounds", static_cast<double>(reached.size()), "count", "broadcast rounds sent");
  if (!last.empty()) {
    Percentiles l = Summarize(last);
    Percentiles m = Summarize(median);
    Percentiles f = Summarize(first);
    report_.Add("first_delivery_p50", f.p50, "ms", "first delivery, median over rounds");
    report_.Add("median_delivery_p50", m.p50, "ms", "median delivery, median over rounds");
    report_.Add("last_delivery_p50", l.p50, "ms", "last delivery, median over rounds");
    report_.Add("last_delivery_max", l.max, "ms", "last delivery, worst round");
  }
  if (incomplete > 0) {
    std::sort(reached.begin(), reached.end());
    report_.Add("incomplete_rounds", incomplete, "count", "rounds where some client got nothing");
    report_.Add("clients_reached_p50", static_cast<double>(reached[reached.size() / 2]), "count",
                "clients reached per round, median");
    report_.Note(std::to_string(incomplete) + " of " + std::to_string(reached.size()) +
                 " rounds did not reach every client within --round-timeout (median reached: " +
                 std::to_string(reached[reached.size() / 2]) + " of " +
                 std::to_string(openCount_) + ")");
  }
  if (unexpectedCloses_ > 0) {
    report_.Add("unexpected_closes", unexpectedCloses_, "count", "connections closed by server");
  }
}

void Load::RunChurn() {
  conns_.clear();
  for (int i = 0; i < o_.connections; ++i) {
    conns_.push_back(std::make_unique<Conn>());
    conns_.back()->index = i;
  }
  churnRunning_ = true;
  phase_ = Phase::kWarmup;
  for (auto& c : conns_) StartConnect(c.get());
  ServiceUntil([] { return false; }, o_.warmup);
  connectUs_.clear();
  int failures_before = connectFailures_;
  std::vector<int64_t> cpu_before, cpu_after;
  SampleCpu(&cpu_before);
  phase_ = Phase::kMeasuring;
  int64_t start = NowUs();
  ServiceUntil([] { return false; }, o_.duration);
  double seconds = static_cast<double>(NowUs() - start) / 1e6;
  SampleCpu(&cpu_after);
  uint64_t cycles = cyclesInWindow_;
  phase_ = Phase::kDraining;
  churnRunning_ = false;
  ServiceUntil(
      [this] {
        for (auto& c : conns_) {
          if (c->state == Conn::State::kConnecting || c->state == Conn::State::kOpen ||
              c->state == Conn::State::kClosing) {
            return false;
          }
        }
        return true;
      },
      10);
  report_.Add("slots", o_.connections, "count", "concurrent connect/close loops");
  report_.Add("cycles_per_second", static_cast<double>(cycles) / seconds, "conn/s",
              "connect + $connect + close + $disconnect per second");
  ReportConnects("handshake time (incl. $connect)");
  ReportCpu(cpu_before, cpu_after, static_cast<double>(cycles), "connection");
  if (connectFailures_ > failures_before) {
    report_.Note(std::to_string(connectFailures_ - failures_before) +
                 " connection attempts failed during the window");
  }
}

void Load::RunIdle() {
  // label, pid, whole tree?
  std::vector<std::tuple<std::string, int, bool>> watched;
  for (const auto& [label, pid] : o_.rssPids) watched.emplace_back(label, pid, false);
  for (const auto& [label, pid] : o_.rssTrees) watched.emplace_back(label, pid, true);
  auto rss_of = [](int pid, bool tree) { return tree ? TreeRssKb(pid) : ProcessRssKb(pid); };
  auto sample_rss = [&](const std::string& when) {
    std::vector<int64_t> sizes;
    for (const auto& [label, pid, tree] : watched) {
      int64_t kb = rss_of(pid, tree);
      sizes.push_back(kb);
      if (kb >= 0) {
        report_.Add("rss_" + when + "_" + label, static_cast<double>(kb) / 1024.0, "MB",
                    "resident memory " + when + ", " + label + (tree ? " (process tree)" : ""));
      }
    }
    return sizes;
  };
  std::vector<int64_t> rss_before = sample_rss("before");
  int64_t connect_start = NowUs();
  OpenAll(o_.connections);
  double connect_seconds = static_cast<double>(NowUs() - connect_start) / 1e6;
  report_.Add("connections", openCount_, "count", "connections open");
  report_.Add("connect_all_seconds", connect_seconds, "s", "time to open them all");
  ReportConnects("connect time");
  if (openCount_ < o_.connections) {
    report_.Note("only " + std::to_string(openCount_) + " of " + std::to_string(o_.connections) +
                 " connections opened");
  }
  phase_ = Phase::kMeasuring;
  ServiceUntil([] { return false; }, o_.hold);
  std::vector<int64_t> rss_idle = sample_rss("idle");
  for (size_t i = 0; i < watched.size(); ++i) {
    if (rss_idle[i] < 0 || rss_before[i] < 0 || openCount_ == 0) continue;
    const std::string& label = std::get<0>(watched[i]);
    report_.Add("rss_per_connection_" + label,
                static_cast<double>(rss_idle[i] - rss_before[i]) / openCount_, "kB",
                "resident memory per connection, " + label);
  }
  if (unexpectedCloses_ > 0) {
    report_.Add("unexpected_closes", unexpectedCloses_, "count", "connections closed by server");
  }
}

int Load::Run() {
  std::optional<Url> url = ParseUrl(o_.url);
  if (!url) {
    std::fprintf(stderr, "wsgw_load: --url must be ws://HOST:PORT/PATH or wss://HOST:PORT/PATH\n");
    return 2;
  }
  url_ = *url;
  pad_.assign(static_cast<size_t>(std::max(0, o_.size - 40)), 'x');
  // One descriptor per connection, and the gateway's ports are on this machine too.
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) == 0) {
    limit.rlim_cur = limit.rlim_max;
    setrlimit(RLIMIT_NOFILE, &limit);
    if (static_cast<rlim_t>(o_.connections) + 64 > limit.rlim_cur) {
      std::fprintf(stderr, "wsgw_load: ulimit -n %llu is too low for %d connections\n",
                   static_cast<unsigned long long>(limit.rlim_cur), o_.connections);
      return 2;
    }
  }
  g_load = this;
  if (!CreateContext()) {
    std::fprintf(stderr, "wsgw_load: libwebsockets could not create a context\n");
    DestroyContext();
    return 1;
  }
  if (o_.mode == "echo") RunEcho();
  else if (o_.mode == "broadcast") RunBroadcast();
  else if (o_.mode == "churn") RunChurn();
  else RunIdle();
  if (o_.mode != "churn") CloseAll();
  report_.Print();
  DestroyContext();
  g_load = nullptr;
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Options options;
  if (!ParseOptions(argc, argv, &options)) {
    Usage();
    return 2;
  }
  Load load(std::move(options));
  return load.Run();
}
