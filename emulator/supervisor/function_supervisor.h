// Runs `command` and `runtime` functions as child processes (lambda-bridge/README.md): gives
// each a port and the environment a Lambda expects, relays its output line by line with its
// name, waits until it accepts connections, restarts it with backoff when it dies, and stops it
// with the gateway. Children die with the gateway even when it is SIGKILLed (PR_SET_PDEATHSIG).
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "api/routes_config.h"

namespace wsgw {

struct ProcessSpec {
  std::string name;                      // the function's name, prefixed to its output
  std::vector<std::string> argv;         // argv[0] is run as given (a path, or a name on PATH)
  std::map<std::string, std::string> env;  // added to (and overriding) the gateway's environment
  std::string cwd;
  int port = 0;                          // where it must listen (WSGW_FUNCTION_PORT)
};

class FunctionSupervisor {
 public:
  FunctionSupervisor();
  ~FunctionSupervisor();  // stops every child (SIGTERM, then SIGKILL)
  FunctionSupervisor(const FunctionSupervisor&) = delete;
  FunctionSupervisor& operator=(const FunctionSupervisor&) = delete;

  // Starts a child. Call before WaitReady.
  void Start(ProcessSpec spec);

  // Blocks until every child accepts TCP connections on its port. False, with *error naming
  // the function, why, and its last output lines, when one exits three times before it is
  // ready or `timeout_ms` passes.
  bool WaitReady(int timeout_ms, std::string* error);

  // Stops every child: SIGTERM to its process group, SIGKILL after `grace_ms`.
  void StopAll(int grace_ms);

  // Stops the child listening on `port` for good (a reload changed or removed its function):
  // SIGTERM to its process group, SIGKILL after `grace_ms`; it is not restarted, and WaitReady
  // no longer waits for it. Returns at once.
  void Stop(int port, int grace_ms);

  // A free TCP port on 127.0.0.1 for a function to listen on.
  static int FreePort();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// A function of the gateway's APIs that the supervisor starts, with the port it will listen on.
struct StartedFunction {
  size_t api;            // index into the gateway's APIs
  std::string function;  // its name in that API
  int port;
};

// Gives one `command` or `runtime` function a free port and its invoke URL there (and one per
// execution environment for Node.js), marking it supervised; returns the port.
int AssignPort(FunctionConfig& function);

// Gives every `command` and `runtime` function of `apis` a free port and the invoke URL there
// (marking it supervised), so that the gateway knows every function's url before it starts.
std::vector<StartedFunction> AssignPorts(std::vector<ApiConfig>& apis);

// Starts each of `functions` (from AssignPorts over the same `apis`); their management endpoint
// is "http://AUTHORITY/STAGE", and `service_endpoints` (AWS_ENDPOINT_URL_DYNAMODB...) join their
// environment unless wsgw's own environment sets them. Then WaitReady.
// `overrides` join it even when wsgw's environment sets them (a function's own env still wins).
void StartAll(FunctionSupervisor& supervisor, const std::vector<StartedFunction>& functions,
              const std::vector<ApiConfig>& apis, const std::string& gateway_authority,
              const std::map<std::string, std::string>& service_endpoints = {},
              const std::map<std::string, std::string>& overrides = {});

// What the gateway runs for a function of `api` (kCommand or kRuntime), with its environment
// (lambda-bridge/README.md). `management_endpoint` is "http://HOST:PORT/STAGE".
ProcessSpec ProcessSpecFor(const FunctionConfig& function, const ApiConfig& api, int port,
                           const std::string& management_endpoint,
                           const std::map<std::string, std::string>& service_endpoints = {},
                           const std::map<std::string, std::string>& overrides = {});

}  // namespace wsgw
