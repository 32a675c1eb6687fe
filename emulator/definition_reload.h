// The API definition wsgw serves, as a whole: its routes files and project files loaded and
// checked together (LoadDefinition, for start-up and --check alike), and its live reload
// (DefinitionReloader, docs/SPEC.md "Live reload"): when a file of it changes, it is loaded and
// checked again; a definition with problems is logged, every problem at error level, and the
// running one stays; a good one gets its new and changed functions started, then replaces the
// gateway's APIs on the loop (open connections stay, with their connectionIds), and the
// processes of changed and removed functions are stopped. Wiring only, beside main.cc.
#pragma once

#include <atomic>
#include <condition_variable>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "api/routes_config.h"
#include "dynamodb_endpoint.h"
#include "project/cloudformation_import.h"
#include "server/gateway.h"
#include "supervisor/function_supervisor.h"

namespace wsgw {

struct Definition {
  std::vector<std::string> routesFiles;   // --routes
  std::vector<std::string> projectFiles;  // --config, --check, or the one found in the folder
  ProjectOptions project;
  std::optional<std::string> stage;  // --stage: the single API's stage
};

struct LoadedDefinition {
  std::vector<ApiConfig> apis;         // only when there are no problems
  std::vector<std::string> problems;   // one line each, naming the file
  std::vector<std::string> warnings;   // "warning: FILE: PATH: what happened (what avoids it)"
};

// Loads every file (routes files, then project files), then, when none has a problem, checks
// every handler (supervisor/handler_check.h) and that stages and apiIds differ.
LoadedDefinition LoadDefinition(const Definition& definition);

// What starting and stopping functions on a reload needs: what start-up gave StartAll.
struct ReloadWiring {
  Gateway* gateway = nullptr;
  FunctionSupervisor* supervisor = nullptr;
  DynamoDbEndpoint* dynamodb = nullptr;
  std::string gatewayAuthority;  // "HOST:PORT"
  std::map<std::string, std::string> serviceEndpoints;
  std::map<std::string, std::string> overrides;
  int startTimeoutMs = 30000;
};

class DefinitionReloader {
 public:
  // `served`: the gateway's APIs as it serves them (urls assigned); `started`: their processes.
  DefinitionReloader(Definition definition, std::vector<ApiConfig> served,
                     const std::vector<StartedFunction>& started, ReloadWiring wiring);
  ~DefinitionReloader();  // Stop()
  DefinitionReloader(const DefinitionReloader&) = delete;
  DefinitionReloader& operator=(const DefinitionReloader&) = delete;

  // Watches the definition's files (their size, mtime and inode, every 200 ms; a change is acted
  // on once the file has stayed the same for one more look, so that an editor's save is whole).
  void Start();
  void Stop();

 private:
  struct Signature {
    bool exists = false;
    long long size = 0;
    long long mtimeNs = 0;
    unsigned long long inode = 0;
    bool operator==(const Signature&) const = default;
  };
  static Signature Look(const std::string& file);
  void Watch();
  void Reload(const std::string& changed);

  Definition definition_;
  std::vector<ApiConfig> served_;
  std::map<std::pair<size_t, std::string>, int> ports_;  // (api index, function) -> its port
  ReloadWiring wiring_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace wsgw
