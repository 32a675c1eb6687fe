#include "definition_reload.h"

#include <sys/stat.h>

#include <chrono>
#include <set>

#include "base/log.h"
#include "project/project_file.h"
#include "supervisor/handler_check.h"

namespace wsgw {
namespace {

constexpr int kPollMs = 200;
constexpr int kSwapTimeoutMs = 5000;
constexpr int kStopGraceMs = 2000;

// Whether a reload may keep `before`'s process for `after`: nothing the process is started with
// differs (the url of a started function is its port's, so it is not compared).
bool SameFunction(const FunctionConfig& before, const FunctionConfig& after) {
  if (before.kind != after.kind) return false;
  if (before.kind == FunctionConfig::Kind::kUrl) {
    return before.url == after.url && before.timeoutMs == after.timeoutMs;
  }
  return before.command == after.command && before.runtime == after.runtime &&
         before.handler == after.handler && before.env == after.env &&
         before.timeoutMs == after.timeoutMs && before.codeDir == after.codeDir &&
         before.concurrency == after.concurrency && before.maxQueued == after.maxQueued;
}

std::string Plural(size_t count, const char* one, const char* many) {
  return std::to_string(count) + " " + (count == 1 ? one : many);
}

}  // namespace

LoadedDefinition LoadDefinition(const Definition& definition) {
  LoadedDefinition loaded;
  for (const std::string& file : definition.routesFiles) {
    LoadResult result = LoadRoutesFile(file);
    for (const ConfigProblem& problem : result.problems) {
      loaded.problems.push_back(problem.ToString());
    }
    if (result.api) loaded.apis.push_back(std::move(*result.api));
  }
  for (const std::string& file : definition.projectFiles) {
    ProjectResult result = LoadProjectFile(file, definition.project);
    for (const ConfigProblem& warning : result.warnings) {
      loaded.warnings.push_back("warning: " + warning.file + ": " + warning.path + ": " +
                                warning.found +
                                (warning.expected.empty() ? "" : " (" + warning.expected + ")"));
    }
    for (const ConfigProblem& problem : result.problems) {
      loaded.problems.push_back(problem.ToString());
    }
    for (ApiConfig& api : result.apis) loaded.apis.push_back(std::move(api));
  }
  if (!loaded.problems.empty()) {
    loaded.apis.clear();
    return loaded;
  }
  // Only files without problems reach here, so a handler problem is never a consequence of one.
  for (const ApiConfig& api : loaded.apis) {
    for (const ConfigProblem& problem : CheckHandlers(api)) {
      loaded.problems.push_back(problem.ToString());
    }
  }
  if (definition.stage && !loaded.apis.empty()) {
    if (loaded.apis.size() > 1) {
      loaded.problems.push_back("--stage applies to a single API; set \"stage\" in each file");
    } else {
      ApiConfig& api = loaded.apis[0];
      api.stage = *definition.stage;
      if (!api.apiIdConfigured) api.apiId = ApiIdFor(api.name, api.stage);
    }
  }
  std::set<std::string> stages;
  std::set<std::string> ids;
  for (const ApiConfig& api : loaded.apis) {
    if (!stages.insert(api.stage).second) {
      loaded.problems.push_back(api.file +
                                ": $.stage: expected a stage no other routes file uses, found \"" +
                                api.stage + "\"");
    }
    // The id picks the API of an @connections request by its Host (execute-api names).
    if (!ids.insert(api.apiId).second) {
      loaded.problems.push_back(api.file +
                                ": $.apiId: expected an id no other routes file uses, found \"" +
                                api.apiId + "\"");
    }
  }
  if (!loaded.problems.empty()) loaded.apis.clear();
  return loaded;
}

DefinitionReloader::DefinitionReloader(Definition definition, std::vector<ApiConfig> served,
                                       const std::vector<StartedFunction>& started,
                                       ReloadWiring wiring)
    : definition_(std::move(definition)), served_(std::move(served)), wiring_(std::move(wiring)) {
  for (const StartedFunction& function : started) {
    ports_[{function.api, function.function}] = function.port;
  }
}

DefinitionReloader::~DefinitionReloader() { Stop(); }

void DefinitionReloader::Start() {
  thread_ = std::thread([this] { Watch(); });
}

void DefinitionReloader::Stop() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

DefinitionReloader::Signature DefinitionReloader::Look(const std::string& file) {
  struct stat info {};
  Signature signature;
  if (stat(file.c_str(), &info) != 0) return signature;
  signature.exists = true;
  signature.size = static_cast<long long>(info.st_size);
  signature.mtimeNs = static_cast<long long>(info.st_mtim.tv_sec) * 1000000000LL +
                      info.st_mtim.tv_nsec;
  signature.inode = static_cast<unsigned long long>(info.st_ino);
  return signature;
}

void DefinitionReloader::Watch() {
  std::vector<std::string> files = definition_.routesFiles;
  files.insert(files.end(), definition_.projectFiles.begin(), definition_.projectFiles.end());
  std::vector<Signature> loaded;  // what the served definition was read from
  for (const std::string& file : files) loaded.push_back(Look(file));
  std::vector<Signature> previous = loaded;
  std::unique_lock<std::mutex> lock(mutex_);
  while (!wake_.wait_for(lock, std::chrono::milliseconds(kPollMs), [this] { return stopping_; })) {
    std::vector<Signature> now;
    for (const std::string& file : files) now.push_back(Look(file));
    // Acted on once a change has held still for one look: an editor's save is then complete.
    const bool settled = now == previous;
    previous = now;
    if (!settled || now == loaded) continue;
    std::string changed;
    for (size_t i = 0; i < files.size(); ++i) {
      if (!(now[i] == loaded[i])) changed = files[i];
    }
    loaded = now;
    lock.unlock();
    Reload(changed);
    lock.lock();
  }
}

void DefinitionReloader::Reload(const std::string& changed) {
  Log::Info(changed + " changed: loading the API definition again", {Str("file", changed)});
  LoadedDefinition loaded = LoadDefinition(definition_);
  for (const std::string& warning : loaded.warnings) Log::Warn(warning);
  const std::string kept = "; still serving the definition loaded before";
  if (!loaded.problems.empty()) {
    for (const std::string& problem : loaded.problems) Log::Error(problem);
    Log::Error(changed + ": " + Plural(loaded.problems.size(), "problem", "problems") + kept,
               {Str("file", changed),
                Num("problems", static_cast<long long>(loaded.problems.size()))});
    return;
  }
  if (loaded.apis.size() != served_.size()) {
    Log::Error(changed + ": the definition now has " +
               Plural(loaded.apis.size(), "API", "APIs") + " instead of " +
               std::to_string(served_.size()) + kept + " (restart wsgw-emulate to serve them)",
               {Str("file", changed)});
    return;
  }

  // Unchanged functions keep their process; new and changed ones get one of their own.
  std::map<std::pair<size_t, std::string>, int> ports;
  std::vector<StartedFunction> fresh;
  size_t kept_processes = 0;
  for (size_t i = 0; i < loaded.apis.size(); ++i) {
    const ApiConfig& before = served_[i];
    for (auto& [name, function] : loaded.apis[i].functions) {
      auto old = before.functions.find(name);
      auto old_port = ports_.find({i, name});
      if (old != before.functions.end() && SameFunction(old->second, function)) {
        function.url = old->second.url;
        function.supervised = old->second.supervised;
        function.environmentUrls = old->second.environmentUrls;
        if (old_port != ports_.end()) {
          ports[{i, name}] = old_port->second;
          ++kept_processes;
        }
        continue;
      }
      if (function.kind == FunctionConfig::Kind::kUrl) continue;
      const int port = AssignPort(function);
      fresh.push_back({i, name, port});
      ports[{i, name}] = port;
    }
  }
  std::vector<int> retired;
  for (const auto& [key, port] : ports_) {
    auto now = ports.find(key);
    if (now == ports.end() || now->second != port) retired.push_back(port);
  }

  std::string error;
  if (!wiring_.dynamodb->DeclareTables(loaded.apis, &error)) {
    Log::Error(error + kept, {Str("file", changed)});
    return;
  }
  if (!fresh.empty()) {
    StartAll(*wiring_.supervisor, fresh, loaded.apis, wiring_.gatewayAuthority,
             wiring_.serviceEndpoints, wiring_.overrides);
    if (!wiring_.supervisor->WaitReady(wiring_.startTimeoutMs, &error)) {
      for (const StartedFunction& function : fresh) wiring_.supervisor->Stop(function.port, 0);
      Log::Error("cannot start: " + error + kept, {Str("file", changed)});
      return;
    }
  }
  size_t routes = 0;
  for (const ApiConfig& api : loaded.apis) routes += api.routes.size();
  std::vector<ApiConfig> next = loaded.apis;
  if (!wiring_.gateway->ReplaceApis(std::move(loaded.apis), kSwapTimeoutMs)) {
    for (const StartedFunction& function : fresh) wiring_.supervisor->Stop(function.port, 0);
    Log::Error("the gateway did not take the new definition (it is stopping)" + kept);
    return;
  }
  for (int port : retired) wiring_.supervisor->Stop(port, kStopGraceMs);
  served_ = std::move(next);
  ports_ = std::move(ports);
  Log::Info("API definition reloaded from " + changed,
            {Str("file", changed), Num("routes", static_cast<long long>(routes)),
             Num("functionsStarted", static_cast<long long>(fresh.size())),
             Num("functionsStopped", static_cast<long long>(retired.size())),
             Num("functionsKept", static_cast<long long>(kept_processes))});
}

}  // namespace wsgw
