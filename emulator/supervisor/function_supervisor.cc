#include "supervisor/function_supervisor.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <filesystem>
#include <mutex>
#include <set>
#include <string>
#include <thread>

#include "base/install_paths.h"
#include "base/log.h"

extern char** environ;

namespace wsgw {
namespace {

using Clock = std::chrono::steady_clock;

constexpr int kFirstBackoffMs = 100;
constexpr int kMaxBackoffMs = 5000;
constexpr int kStableRunMs = 10000;  // a run this long resets the backoff
constexpr size_t kTailLines = 20;
constexpr int kExitsBeforeGivingUp = 3;

bool IsExecutableFile(const std::string& path) {
  std::error_code error;
  return std::filesystem::is_regular_file(path, error) && access(path.c_str(), X_OK) == 0;
}

bool AcceptsConnections(int port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bool ok = connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
  close(fd);
  return ok;
}

std::string DescribeStatus(int status) {
  if (WIFEXITED(status)) return "exited with status " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return std::string("was killed by ") + strsignal(WTERMSIG(status));
  return "stopped";
}

}  // namespace

struct FunctionSupervisor::Impl {
  struct Child {
    ProcessSpec spec;
    pid_t pid = -1;
    pid_t pgid = -1;  // the child leads its own process group
    int outFd = -1;
    int errFd = -1;
    std::string outPartial;
    std::string errPartial;
    std::deque<std::string> tail;  // last lines of output, for startup errors
    bool ready = false;
    int exitsBeforeReady = 0;
    std::string lastExit;
    int backoffMs = kFirstBackoffMs;
    Clock::time_point startedAt;
    Clock::time_point restartAt;
    bool restartPending = false;
    // Inside a host's "cannot load handler" report, which ends with its "invocations answer"
    // line: those lines are logged as errors.
    bool inLoadError = false;
    // Stopped by Stop(port) (a reload that changed or removed its function): never restarted,
    // SIGKILLed at killAt if still running, and dropped once reaped.
    bool retired = false;
    Clock::time_point killAt;
  };

  std::mutex mutex;
  std::condition_variable changed;
  std::vector<std::unique_ptr<Child>> children;
  bool stopping = false;
  int wakeRead = -1;
  int wakeWrite = -1;
  std::thread thread;
  // Forks happen on the supervisor thread only: PR_SET_PDEATHSIG fires when the forking
  // thread exits, and this thread lives as long as the children should.
  std::deque<std::unique_ptr<Child>> toStart;

  Impl() {
    int fds[2];
    if (pipe2(fds, O_CLOEXEC | O_NONBLOCK) == 0) {
      wakeRead = fds[0];
      wakeWrite = fds[1];
    }
    thread = std::thread([this] { Loop(); });
  }

  ~Impl() {
    {
      std::lock_guard<std::mutex> lock(mutex);
      stopping = true;
    }
    Wake();
    if (thread.joinable()) thread.join();
    if (wakeRead >= 0) close(wakeRead);
    if (wakeWrite >= 0) close(wakeWrite);
  }

  void Wake() {
    char byte = 1;
    if (wakeWrite >= 0) (void)!write(wakeWrite, &byte, 1);
  }

  void Spawn(Child& child) {
    int out[2], err[2];
    if (pipe2(out, O_CLOEXEC) != 0 || pipe2(err, O_CLOEXEC) != 0) {
      Log::Error("cannot create pipes for a function", {Str("function", child.spec.name)});
      return;
    }
    std::vector<std::string> env_strings;
    std::map<std::string, std::string> merged;
    for (char** entry = environ; *entry != nullptr; ++entry) {
      std::string text(*entry);
      size_t equals = text.find('=');
      if (equals != std::string::npos) merged[text.substr(0, equals)] = text.substr(equals + 1);
    }
    for (const auto& [key, value] : child.spec.env) merged[key] = value;
    for (const auto& [key, value] : merged) env_strings.push_back(key + "=" + value);
    std::vector<char*> envp;
    for (std::string& text : env_strings) envp.push_back(text.data());
    envp.push_back(nullptr);
    std::vector<std::string> argv_strings = child.spec.argv;
    std::vector<char*> argv;
    for (std::string& text : argv_strings) argv.push_back(text.data());
    argv.push_back(nullptr);
    std::string exec_failure = "wsgw: cannot run '" + child.spec.argv[0] + "': ";
    pid_t parent = getpid();

    pid_t pid = fork();
    if (pid == 0) {
      // Only async-signal-safe calls from here to exec.
      prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (getppid() != parent) _exit(1);
      setpgid(0, 0);
      sigset_t none;
      sigemptyset(&none);
      sigprocmask(SIG_SETMASK, &none, nullptr);
      signal(SIGPIPE, SIG_DFL);
      int null_fd = open("/dev/null", O_RDONLY);
      if (null_fd >= 0) dup2(null_fd, 0);
      dup2(out[1], 1);
      dup2(err[1], 2);
      if (!child.spec.cwd.empty() && chdir(child.spec.cwd.c_str()) != 0) _exit(126);
      execvpe(argv[0], argv.data(), envp.data());
      int code = errno;
      (void)!write(2, exec_failure.data(), exec_failure.size());
      const char* reason = strerror(code);
      (void)!write(2, reason, strlen(reason));
      (void)!write(2, "\n", 1);
      _exit(127);
    }
    close(out[1]);
    close(err[1]);
    if (pid < 0) {
      close(out[0]);
      close(err[0]);
      Log::Error("cannot start function", {Str("function", child.spec.name),
                                           Str("error", strerror(errno))});
      return;
    }
    fcntl(out[0], F_SETFL, O_NONBLOCK);
    fcntl(err[0], F_SETFL, O_NONBLOCK);
    child.pid = pid;
    child.pgid = pid;
    child.outFd = out[0];
    child.errFd = err[0];
    child.startedAt = Clock::now();
    child.restartPending = false;
    Log::Debug("function started", {Str("function", child.spec.name),
                                    Num("pid", static_cast<long long>(pid)),
                                    Num("port", static_cast<long long>(child.spec.port))});
  }

  void Relay(Child& child, int fd, std::string& partial, const char* stream) {
    char buffer[8192];
    while (true) {
      ssize_t n = read(fd, buffer, sizeof buffer);
      if (n <= 0) {
        if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
          if (!partial.empty()) EmitLine(child, partial, stream);
          partial.clear();
          close(fd);
          (fd == child.outFd ? child.outFd : child.errFd) = -1;
        }
        return;
      }
      partial.append(buffer, static_cast<size_t>(n));
      size_t newline;
      while ((newline = partial.find('\n')) != std::string::npos) {
        std::string line = partial.substr(0, newline);
        partial.erase(0, newline + 1);
        EmitLine(child, line, stream);
      }
    }
  }

  void EmitLine(Child& child, std::string line, const char* stream) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    // Lambda runtimes put a multi-line record on one line with '\r' between its lines; a
    // terminal shows that best as separate lines, each with the function's name.
    size_t carriage = line.find('\r');
    if (carriage != std::string::npos) {
      EmitLine(child, line.substr(0, carriage), stream);
      EmitLine(child, line.substr(carriage + 1), stream);
      return;
    }
    child.tail.push_back(line);
    if (child.tail.size() > kTailLines) child.tail.pop_front();
    const LogLevel level = LevelOf(child, line);
    if (Log::format() == LogFormat::kJson) {
      Log::Write(level, line, {Str("function", child.spec.name), Str("stream", stream)});
    } else {
      Log::Write(level, "[" + child.spec.name + "] " + line);
    }
  }

  // A host that cannot load its handler still serves (each invocation answers the init error,
  // as Lambda does), so its report is the one sign of the mistake: it must pass --log-level
  // warn and stand out. Everything else a function prints is its own business, at info.
  static LogLevel LevelOf(Child& child, const std::string& line) {
    static constexpr const char* kHosts[] = {"wsgw node host: ", "wsgw python host: "};
    for (const char* host : kHosts) {
      if (line.rfind(host, 0) != 0) continue;
      const std::string rest = line.substr(std::strlen(host));
      if (rest.rfind("cannot load handler", 0) == 0) {
        child.inLoadError = true;
        return LogLevel::kError;
      }
      if (child.inLoadError && rest.rfind("invocations answer", 0) == 0) {
        child.inLoadError = false;
        return LogLevel::kError;
      }
    }
    return child.inLoadError ? LogLevel::kError : LogLevel::kInfo;
  }

  void Reap(Child& child) {
    if (child.pid <= 0) return;
    int status = 0;
    pid_t done = waitpid(child.pid, &status, WNOHANG);
    if (done != child.pid) return;
    // Drain what it wrote last so that its dying words come before the restart notice.
    if (child.outFd >= 0) Relay(child, child.outFd, child.outPartial, "stdout");
    if (child.errFd >= 0) Relay(child, child.errFd, child.errPartial, "stderr");
    child.pid = -1;
    kill(-child.pgid, SIGKILL);  // helpers it left behind (a host's workers) die with it
    child.lastExit = DescribeStatus(status);
    if (!child.ready) ++child.exitsBeforeReady;
    auto ran_ms = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() -
                                                                        child.startedAt)
                      .count();
    if (ran_ms > kStableRunMs) child.backoffMs = kFirstBackoffMs;
    child.ready = false;
    if (stopping || child.retired) return;
    Log::Warn("function process " + child.lastExit + "; restarting",
              {Str("function", child.spec.name), Num("inMs", static_cast<long long>(child.backoffMs))});
    child.restartPending = true;
    child.restartAt = Clock::now() + std::chrono::milliseconds(child.backoffMs);
    child.backoffMs = std::min(child.backoffMs * 2, kMaxBackoffMs);
    changed.notify_all();
  }

  void Loop() {
    while (true) {
      {
        std::lock_guard<std::mutex> lock(mutex);
        if (stopping) break;
        while (!toStart.empty()) {
          children.push_back(std::move(toStart.front()));
          toStart.pop_front();
          Spawn(*children.back());
        }
      }
      std::vector<pollfd> fds;
      fds.push_back({wakeRead, POLLIN, 0});
      for (auto& child : children) {
        if (child->outFd >= 0) fds.push_back({child->outFd, POLLIN, 0});
        if (child->errFd >= 0) fds.push_back({child->errFd, POLLIN, 0});
      }
      // Short enough to notice exits, readiness and restarts promptly.
      poll(fds.data(), fds.size(), 50);
      char drain[64];
      while (read(wakeRead, drain, sizeof drain) > 0) {
      }
      std::lock_guard<std::mutex> lock(mutex);
      for (auto& child : children) {
        if (child->outFd >= 0) Relay(*child, child->outFd, child->outPartial, "stdout");
        if (child->errFd >= 0) Relay(*child, child->errFd, child->errPartial, "stderr");
        Reap(*child);
        if (child->pid > 0 && !child->ready && AcceptsConnections(child->spec.port)) {
          child->ready = true;
          child->exitsBeforeReady = 0;
          Log::Debug("function ready", {Str("function", child->spec.name)});
          changed.notify_all();
        }
        if (child->restartPending && !stopping && !child->retired &&
            Clock::now() >= child->restartAt) {
          Spawn(*child);
        }
        if (child->retired && child->pid > 0 && Clock::now() >= child->killAt) {
          kill(-child->pgid, SIGKILL);
        }
      }
      std::erase_if(children, [](const std::unique_ptr<Child>& child) {
        if (!child->retired || child->pid > 0) return false;
        if (child->pgid > 0) kill(-child->pgid, SIGKILL);
        if (child->outFd >= 0) close(child->outFd);
        if (child->errFd >= 0) close(child->errFd);
        return true;
      });
    }
  }

  void Retire(int port, int grace_ms) {
    for (auto& child : children) {
      if (child->spec.port != port || child->retired) continue;
      child->retired = true;
      child->restartPending = false;
      child->killAt = Clock::now() + std::chrono::milliseconds(grace_ms);
      if (child->pid > 0) kill(-child->pgid, SIGTERM);
      Log::Debug("function stopped", {Str("function", child->spec.name),
                                      Num("port", static_cast<long long>(port))});
    }
  }

  void StopAll(int grace_ms) {
    std::unique_lock<std::mutex> lock(mutex);
    stopping = true;
    for (auto& child : children) {
      if (child->pid > 0) kill(-child->pid, SIGTERM);
    }
    auto deadline = Clock::now() + std::chrono::milliseconds(grace_ms);
    for (auto& child : children) {
      while (child->pid > 0) {
        int status = 0;
        pid_t done = waitpid(child->pid, &status, WNOHANG);
        if (done == child->pid || done < 0) {
          child->pid = -1;
          break;
        }
        if (Clock::now() >= deadline) {
          kill(-child->pid, SIGKILL);
          waitpid(child->pid, &status, 0);
          child->pid = -1;
          break;
        }
        lock.unlock();
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
        lock.lock();
      }
      // Whatever else is left in its process group (a host's workers) goes too.
      if (child->pgid > 0) kill(-child->pgid, SIGKILL);
      if (child->outFd >= 0) close(child->outFd);
      if (child->errFd >= 0) close(child->errFd);
      child->outFd = child->errFd = -1;
    }
    lock.unlock();
    Wake();
  }
};

FunctionSupervisor::FunctionSupervisor() : impl_(std::make_unique<Impl>()) {}

FunctionSupervisor::~FunctionSupervisor() {
  impl_->StopAll(2000);
}

void FunctionSupervisor::Start(ProcessSpec spec) {
  auto child = std::make_unique<Impl::Child>();
  child->spec = std::move(spec);
  {
    std::lock_guard<std::mutex> lock(impl_->mutex);
    impl_->toStart.push_back(std::move(child));
  }
  impl_->Wake();
}

bool FunctionSupervisor::WaitReady(int timeout_ms, std::string* error) {
  std::unique_lock<std::mutex> lock(impl_->mutex);
  auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
  while (true) {
    bool all_ready = impl_->toStart.empty();
    for (auto& child : impl_->children) {
      if (child->retired) continue;
      if (child->exitsBeforeReady >= kExitsBeforeGivingUp) {
        *error = "function '" + child->spec.name + "' never became ready: its process " +
                 child->lastExit + " " + std::to_string(child->exitsBeforeReady) + " times";
        if (!child->tail.empty()) {
          *error += "; its last output:";
          for (const std::string& line : child->tail) *error += "\n  " + line;
        }
        return false;
      }
      all_ready = all_ready && child->ready;
    }
    if (all_ready) return true;
    if (impl_->changed.wait_until(lock, deadline) == std::cv_status::timeout) {
      for (auto& child : impl_->children) {
        if (child->ready || child->retired) continue;
        *error = "function '" + child->spec.name + "' did not accept connections on port " +
                 std::to_string(child->spec.port) + " within " + std::to_string(timeout_ms) +
                 " ms (it must listen on $WSGW_FUNCTION_HOST:$WSGW_FUNCTION_PORT)";
        if (!child->tail.empty()) {
          *error += "; its last output:";
          for (const std::string& line : child->tail) *error += "\n  " + line;
        }
        return false;
      }
    }
  }
}

void FunctionSupervisor::StopAll(int grace_ms) { impl_->StopAll(grace_ms); }

void FunctionSupervisor::Stop(int port, int grace_ms) {
  {
    std::lock_guard<std::mutex> lock(impl_->mutex);
    for (auto& pending : impl_->toStart) {
      if (pending->spec.port == port) pending->retired = true;
    }
    std::erase_if(impl_->toStart, [](const auto& pending) { return pending->retired; });
    impl_->Retire(port, grace_ms);
  }
  impl_->Wake();
}

int FunctionSupervisor::FreePort() {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return 0;
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  int port = 0;
  socklen_t length = sizeof address;
  if (bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0 &&
      getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0) {
    port = ntohs(address.sin_port);
  }
  close(fd);
  return port;
}

namespace {

// What a child will see for `key`: its own environment's value, else the gateway's.
std::string EffectiveValue(const ProcessSpec& spec, const char* key) {
  auto it = spec.env.find(key);
  if (it != spec.env.end()) return it->second;
  const char* inherited = std::getenv(key);
  return inherited != nullptr ? inherited : "";
}

// NODE_OPTIONS reads a double-quoted string with backslash escapes as one argument.
std::string QuotedForNodeOptions(const std::string& text) {
  std::string quoted = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') quoted += '\\';
    quoted += c;
  }
  return quoted + "\"";
}

// A `command` function is a program wsgw did not write: when AWS's host names are redirected
// to the gateway (WSGW_AWS_REDIRECT), the hosts' preloads do it for the Node.js and Python
// processes it runs (lambda-bridge/hosts/README.md): NODE_OPTIONS=--require the redirect, and
// its sitecustomize.py first on PYTHONPATH. What the function or wsgw's environment already
// has in either variable is kept.
void AddAwsRedirectPreloads(ProcessSpec& spec) {
  if (EffectiveValue(spec, "WSGW_AWS_REDIRECT").empty()) return;
  const std::string preload = HostsDirectory() + "/preload";
  std::string require = "--require " + QuotedForNodeOptions(preload + "/aws_redirect.cjs");
  std::string node_options = EffectiveValue(spec, "NODE_OPTIONS");
  spec.env["NODE_OPTIONS"] = node_options.empty() ? require : require + " " + node_options;
  std::string python_path = EffectiveValue(spec, "PYTHONPATH");
  spec.env["PYTHONPATH"] = python_path.empty() ? preload : preload + ":" + python_path;
}

}  // namespace

ProcessSpec ProcessSpecFor(const FunctionConfig& function, const ApiConfig& api, int port,
                           const std::string& management_endpoint,
                           const std::map<std::string, std::string>& service_endpoints,
                           const std::map<std::string, std::string>& overrides) {
  ProcessSpec spec;
  spec.name = function.name;
  spec.port = port;
  spec.cwd = api.dir;
  if (function.kind == FunctionConfig::Kind::kRuntime) {
    if (!function.codeDir.empty()) spec.cwd = function.codeDir;
    if (function.runtime == "nodejs") {
      spec.argv = {"node", HostsDirectory() + "/node_host.mjs"};
    } else {
      spec.argv = {"python3", HostsDirectory() + "/python_host.py"};
    }
    spec.env["WSGW_HANDLER"] = function.handler;
    spec.env["WSGW_HANDLER_ROOT"] = spec.cwd;
  } else {
    spec.argv = function.command;
    // A bare name is looked for beside wsgw-emulate first (where the reference handlers are
    // built and installed), then on PATH.
    if (!spec.argv.empty() && spec.argv[0].find('/') == std::string::npos) {
      std::string beside = ExecutableDirectory() + "/" + spec.argv[0];
      if (IsExecutableFile(beside)) spec.argv[0] = beside;
    }
  }
  auto set_default = [&spec](const char* key, const std::string& value) {
    const char* current = std::getenv(key);
    spec.env[key] = current != nullptr && *current != '\0' ? current : value;
  };
  set_default("AWS_REGION", "us-east-1");
  set_default("AWS_DEFAULT_REGION", spec.env["AWS_REGION"]);
  set_default("AWS_ACCESS_KEY_ID", "wsgw-local-placeholder");
  set_default("AWS_SECRET_ACCESS_KEY", "wsgw-local-placeholder");
  for (const auto& [key, value] : service_endpoints) set_default(key.c_str(), value);
  for (const auto& [key, value] : overrides) spec.env[key] = value;
  spec.env["WSGW_FUNCTION_HOST"] = "127.0.0.1";
  spec.env["WSGW_FUNCTION_PORT"] = std::to_string(port);
  if (function.kind == FunctionConfig::Kind::kRuntime && function.concurrency > 0) {
    spec.env["WSGW_HOST_MAX_WORKERS"] = std::to_string(ConcurrencyOf(function));
  }
  if (!function.environmentUrls.empty()) {
    // "http://127.0.0.1:PORT/..." -> PORT, comma-separated: where each environment serves.
    std::string ports;
    for (const std::string& url : function.environmentUrls) {
      const size_t colon = url.find(':', 7);
      const size_t slash = url.find('/', colon);
      if (!ports.empty()) ports += ',';
      ports += url.substr(colon + 1, slash - colon - 1);
    }
    spec.env["WSGW_ENVIRONMENT_PORTS"] = ports;
  }
  spec.env["WSGW_MANAGEMENT_ENDPOINT"] = management_endpoint;
  spec.env["WSGW_FUNCTION_NAME"] = function.name;
  spec.env["AWS_LAMBDA_FUNCTION_NAME"] = function.name;
  spec.env["AWS_LAMBDA_FUNCTION_TIMEOUT"] = std::to_string((function.timeoutMs + 999) / 1000);
  for (const auto& [key, value] : function.env) spec.env[key] = value;
  if (function.kind == FunctionConfig::Kind::kCommand) AddAwsRedirectPreloads(spec);
  return spec;
}

int AssignPort(FunctionConfig& function) {
  int port = FunctionSupervisor::FreePort();
  const std::string& name = function.name;
  auto url_at = [&name](int p) {
    return "http://127.0.0.1:" + std::to_string(p) + "/2015-03-31/functions/" + name +
           "/invocations";
  };
  function.url = url_at(port);
  function.supervised = true;
  function.environmentUrls.clear();
  if (function.kind == FunctionConfig::Kind::kRuntime && function.runtime == "nodejs") {
    // One port per execution environment, each served by that environment itself.
    std::set<int> taken = {port};
    const int environments = ConcurrencyOf(function);
    for (int attempts = 0; static_cast<int>(taken.size()) < environments + 1 && attempts < 1000;
         ++attempts) {
      int p = FunctionSupervisor::FreePort();
      if (p > 0 && taken.insert(p).second) function.environmentUrls.push_back(url_at(p));
    }
  }
  return port;
}

std::vector<StartedFunction> AssignPorts(std::vector<ApiConfig>& apis) {
  std::vector<StartedFunction> started;
  for (size_t i = 0; i < apis.size(); ++i) {
    for (auto& [name, function] : apis[i].functions) {
      if (function.kind == FunctionConfig::Kind::kUrl) continue;
      started.push_back({i, name, AssignPort(function)});
    }
  }
  return started;
}

void StartAll(FunctionSupervisor& supervisor, const std::vector<StartedFunction>& functions,
              const std::vector<ApiConfig>& apis, const std::string& gateway_authority,
              const std::map<std::string, std::string>& service_endpoints,
              const std::map<std::string, std::string>& overrides) {
  for (const StartedFunction& entry : functions) {
    const ApiConfig& api = apis[entry.api];
    const FunctionConfig& function = api.functions.at(entry.function);
    std::string endpoint = "http://" + gateway_authority + "/" + api.stage;
    supervisor.Start(
        ProcessSpecFor(function, api, entry.port, endpoint, service_endpoints, overrides));
  }
}

}  // namespace wsgw
