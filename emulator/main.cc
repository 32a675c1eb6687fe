// wsgw-emulate: runs AWS API Gateway WebSocket APIs locally (SPEC.md "Command line").
#include <getopt.h>
#include <signal.h>
#include <json/json.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "definition_reload.h"
#include "dynamodb_endpoint.h"
#include "supervisor/function_supervisor.h"
#include "server/gateway.h"
#include "base/install_paths.h"
#include "base/log.h"
#include "base/suggest.h"
#include "api/routes_config.h"
#include "project/project_file.h"
#include "tls/certificate_names.h"
#include "tls/local_ca.h"

namespace {

constexpr char kUsage[] =
    R"(Usage:
  wsgw-emulate --routes routes.json [--routes other.json ...] [--host 127.0.0.1] [--port 3001]
               [--stage NAME] [--ready-file PATH] [--log-format text|json]
               [--log-level error|warn|info|debug|trace] [--log-payloads[=N]]
  wsgw-emulate [--config serverless.yml|template.yaml] [--parameter NAME=VALUE ...]
               [the options above]
  wsgw-emulate --demo [--port 3001] [--data-dir PATH]
  (each form also takes [--data-dir PATH] [--dynamodb-in-memory] [--dynamodb-port N]
   [--no-tls | --tls-cert FILE --tls-key FILE] [--no-aws-redirect])
  wsgw-emulate --check routes.json|serverless.yml|template.yaml [more ...]
  wsgw-emulate --print-ca [--data-dir PATH]
  wsgw-emulate --help | --version

Runs AWS API Gateway WebSocket APIs locally: clients connect to ws://HOST:PORT/STAGE, functions
are invoked with API Gateway's Lambda events, and the @connections management API answers at
http://HOST:PORT/STAGE/@connections/ID. The same port answers DynamoDB's API (point an SDK's
endpoint at http://HOST:PORT); started functions get AWS_ENDPOINT_URL_DYNAMODB set to it.
The same port also speaks TLS (wss://, https://) with a certificate from a local CA made on first
use; trust it with NODE_EXTRA_CA_CERTS=$(wsgw-emulate --print-ca) or in a browser.

Options:
  --routes FILE      an API described by a routes.json file; repeat for several APIs (their
                     stages must differ)
  --config FILE      a serverless.yml, a SAM/CloudFormation template (template.yaml,
                     cdk.out/X.template.json) or a routes.json, told apart by content;
                     repeatable. Without --routes, --config or --demo, the current folder's
                     serverless.yml/.yaml/.json, template.yaml/.yml/.json or
                     cdk.out/*.template.json is taken
  --parameter K=V    a template parameter's value (also AWS::Region, AWS::AccountId,
                     AWS::StackName); in a serverless.yml, ${opt:K} and ${param:K}; repeatable
  --host HOST        address to bind (default 127.0.0.1)
  --port N           port to bind (default 3001; 0 picks a free port)
  --stage NAME       overrides the stage of the (single) API; serverless.yml's ${opt:stage}
  --ready-file PATH  once serving, writes the URLs there as JSON (atomically)
  --log-format F     text (default) or json: one JSON object per line
  --log-level L      error, warn, info (default), debug, or trace (debug and libwebsockets'
                     own lines)
  --log-payloads[=N] shows the first N bytes (default 256) of every message, answer and
                     @connections body in the log (text lines are colored on a terminal;
                     NO_COLOR turns that off)
  --function-start-timeout MS
                     how long started functions may take to accept connections (default 30000)
  --check FILE...    validates routes files or templates only: exit 0, or print every problem and exit 2
  --demo             serves the bundled chat (stage chat) and counter (stage counter) apps and
                     their web pages at http://HOST:PORT/
  --data-dir PATH    where state is kept: DynamoDB's tables in PATH/dynamodb.sqlite, and the
                     demo's data (default: $XDG_CACHE_HOME/wsgw, else ~/.cache/wsgw; the demo
                     uses its demo/ folder)
  --dynamodb-in-memory
                     DynamoDB's tables live in memory and go with the process (for CI)
  --dynamodb-port N  also serve DynamoDB's API alone on port N (0 picks one)
  --no-tls           plaintext only: a TLS ClientHello on the port is closed at once
  --tls-cert FILE    the server certificate (PEM, chain allowed) instead of the local CA's;
  --tls-key FILE     its key (PEM, no passphrase); give both
  --print-ca         prints the local CA's certificate file (making it if needed) and exits;
                     it lives in DATA_DIR/tls/ca.pem
  --no-aws-redirect  started functions keep resolving *.execute-api.*.amazonaws.com and
                     dynamodb.*.amazonaws.com as usual (by default they reach the gateway)
)";

constexpr size_t kDefaultLogPayloadBytes = 256;

struct Arguments {
  std::vector<std::string> routes;
  std::vector<std::string> configs;  // --config: templates or routes files, by content
  wsgw::ProjectOptions project;
  std::vector<std::string> check;
  std::string host = "127.0.0.1";
  int port = 3001;
  std::optional<std::string> stage;
  std::string readyFile;
  wsgw::LogFormat logFormat = wsgw::LogFormat::kText;
  wsgw::LogLevel logLevel = wsgw::LogLevel::kInfo;
  size_t logPayloadBytes = 0;  // --log-payloads: bytes of each body shown, 0 none
  int startTimeoutMs = 30000;  // for started functions to accept connections
  bool demo = false;
  std::string dataDir;
  bool dynamodbInMemory = false;
  int dynamodbPort = -1;  // -1: DynamoDB only on --port
  bool noTls = false;
  std::string tlsCert;
  std::string tlsKey;
  bool printCa = false;
  bool noAwsRedirect = false;
};

[[noreturn]] void UsageError(const std::string& message) {
  std::cerr << "wsgw-emulate: " << message << "\nRun 'wsgw-emulate --help' for usage.\n";
  std::exit(2);
}

bool ParsePort(const char* text, int* port) {
  char* end = nullptr;
  long value = std::strtol(text, &end, 10);
  if (end == text || *end != '\0' || value < 0 || value > 65535) return false;
  *port = static_cast<int>(value);
  return true;
}

Arguments ParseArguments(int argc, char** argv) {
  enum Option { kRoutes = 1, kHost, kPort, kStage, kReadyFile, kLogFormat, kLogLevel, kCheck,
                kHelp, kVersion, kDemo, kDataDir, kFunctionStartTimeout, kDynamodbInMemory,
                kDynamodbPort, kConfig, kParameter, kNoTls, kTlsCert, kTlsKey, kPrintCa,
                kNoAwsRedirect, kLogPayloads };
  static const option kOptions[] = {
      {"routes", required_argument, nullptr, kRoutes},
      {"config", required_argument, nullptr, kConfig},
      {"parameter", required_argument, nullptr, kParameter},
      {"host", required_argument, nullptr, kHost},
      {"port", required_argument, nullptr, kPort},
      {"stage", required_argument, nullptr, kStage},
      {"ready-file", required_argument, nullptr, kReadyFile},
      {"log-format", required_argument, nullptr, kLogFormat},
      {"log-level", required_argument, nullptr, kLogLevel},
      {"log-payloads", optional_argument, nullptr, kLogPayloads},
      {"check", required_argument, nullptr, kCheck},
      {"demo", no_argument, nullptr, kDemo},
      {"data-dir", required_argument, nullptr, kDataDir},
      {"function-start-timeout", required_argument, nullptr, kFunctionStartTimeout},
      {"dynamodb-in-memory", no_argument, nullptr, kDynamodbInMemory},
      {"dynamodb-port", required_argument, nullptr, kDynamodbPort},
      {"no-tls", no_argument, nullptr, kNoTls},
      {"tls-cert", required_argument, nullptr, kTlsCert},
      {"tls-key", required_argument, nullptr, kTlsKey},
      {"print-ca", no_argument, nullptr, kPrintCa},
      {"no-aws-redirect", no_argument, nullptr, kNoAwsRedirect},
      {"help", no_argument, nullptr, kHelp},
      {"version", no_argument, nullptr, kVersion},
      {nullptr, 0, nullptr, 0},
  };
  Arguments args;
  opterr = 0;
  int option;
  while ((option = getopt_long(argc, argv, ":", kOptions, nullptr)) != -1) {
    switch (option) {
      case kRoutes: args.routes.emplace_back(optarg); break;
      case kConfig: args.configs.emplace_back(optarg); break;
      case kParameter: {
        const std::string text = optarg;
        const size_t equals = text.find('=');
        if (equals == std::string::npos || equals == 0) {
          UsageError("--parameter expects NAME=VALUE, got '" + text + "'");
        }
        args.project.parameters[text.substr(0, equals)] = text.substr(equals + 1);
        break;
      }
      case kHost: args.host = optarg; break;
      case kPort:
        if (!ParsePort(optarg, &args.port)) {
          UsageError(std::string("--port expects a number from 0 to 65535, got '") + optarg + "'");
        }
        break;
      case kStage:
        args.stage = optarg;
        args.project.stage = args.stage;
        break;
      case kReadyFile: args.readyFile = optarg; break;
      case kLogFormat:
        if (!wsgw::ParseLogFormat(optarg, &args.logFormat)) {
          UsageError(std::string("--log-format expects text or json, got '") + optarg + "'");
        }
        break;
      case kLogLevel:
        if (!wsgw::ParseLogLevel(optarg, &args.logLevel)) {
          UsageError(std::string("--log-level expects error, warn, info, debug or trace, got '") +
                     optarg + "'");
        }
        break;
      case kLogPayloads: {
        args.logPayloadBytes = kDefaultLogPayloadBytes;
        if (optarg != nullptr) {
          char* end = nullptr;
          long value = std::strtol(optarg, &end, 10);
          if (end == optarg || *end != '\0' || value < 1 || value > 1048576) {
            UsageError(std::string("--log-payloads=N expects bytes from 1 to 1048576, got '") +
                       optarg + "'");
          }
          args.logPayloadBytes = static_cast<size_t>(value);
        }
        break;
      }
      case kCheck: args.check.emplace_back(optarg); break;
      case kDemo: args.demo = true; break;
      case kDataDir: args.dataDir = optarg; break;
      case kDynamodbInMemory: args.dynamodbInMemory = true; break;
      case kDynamodbPort:
        if (!ParsePort(optarg, &args.dynamodbPort)) {
          UsageError(std::string("--dynamodb-port expects a number from 0 to 65535, got '") +
                     optarg + "'");
        }
        break;
      case kFunctionStartTimeout: {
        char* end = nullptr;
        long value = std::strtol(optarg, &end, 10);
        if (end == optarg || *end != '\0' || value < 1 || value > 600000) {
          UsageError(std::string("--function-start-timeout expects milliseconds from 1 to 600000, "
                                 "got '") + optarg + "'");
        }
        args.startTimeoutMs = static_cast<int>(value);
        break;
      }
      case kNoTls: args.noTls = true; break;
      case kTlsCert: args.tlsCert = optarg; break;
      case kTlsKey: args.tlsKey = optarg; break;
      case kPrintCa: args.printCa = true; break;
      case kNoAwsRedirect: args.noAwsRedirect = true; break;
      case kHelp: std::cout << kUsage; std::exit(0);
      case kVersion: std::cout << "wsgw-emulate " << WSGW_VERSION << "\n"; std::exit(0);
      case ':': UsageError(std::string(argv[optind - 1]) + " needs a value");
      default: {
        // "--rotues=x" -> "rotues": the closest of the option names.
        std::string given = argv[optind - 1];
        std::string name = given.rfind("--", 0) == 0 ? given.substr(2) : given;
        name = name.substr(0, name.find('='));
        std::vector<std::string> names;
        for (const struct option* known = kOptions; known->name != nullptr; ++known) {
          names.push_back(known->name);
        }
        const std::string match = wsgw::ClosestMatch(name, names);
        UsageError("unknown option '" + given + "'" +
                   (match.empty() ? "" : " (did you mean '--" + match + "'?)"));
      }
    }
  }
  // `--check a.json b.json`: the files after the first are operands.
  for (int i = optind; i < argc; ++i) {
    if (args.check.empty()) UsageError(std::string("unexpected argument '") + argv[i] + "'");
    args.check.emplace_back(argv[i]);
  }
  if (args.tlsCert.empty() != args.tlsKey.empty()) {
    UsageError("--tls-cert and --tls-key go together: give both files");
  }
  if (args.noTls && !args.tlsCert.empty()) UsageError("--no-tls turns TLS off; drop --tls-cert");
  if (args.printCa) return args;
  if (args.demo && (!args.routes.empty() || !args.configs.empty())) {
    UsageError("--demo serves its own APIs; drop --routes and --config");
  }
  if (args.check.empty() && args.routes.empty() && args.configs.empty() && !args.demo) {
    std::error_code code;
    wsgw::ProjectFileChoice choice =
        wsgw::FindProjectFile(std::filesystem::current_path(code).string());
    if (choice.path.empty()) {
      UsageError("nothing to serve: " + choice.message +
                 "; give --routes routes.json, --config template.yaml or --demo");
    }
    std::cout << "Using " << std::filesystem::relative(choice.path, code).string() << "\n";
    for (const std::string& other : choice.others) {
      const std::string relative = std::filesystem::relative(other, code).string();
      std::cout << "Not using " << relative << " (another stack; run it with --config "
                << relative << ")\n";
    }
    args.configs.push_back(choice.path);
  }
  return args;
}

// Loads the whole definition (definition_reload.h), printing every warning and problem; exits 2
// when there is any problem.
std::vector<wsgw::ApiConfig> LoadOrExit(const wsgw::Definition& definition) {
  wsgw::LoadedDefinition loaded = wsgw::LoadDefinition(definition);
  for (const std::string& warning : loaded.warnings) std::cerr << warning << "\n";
  for (const std::string& problem : loaded.problems) std::cerr << problem << "\n";
  const size_t problems = loaded.problems.size();
  if (problems > 0) {
    std::cerr << "wsgw-emulate: " << problems << (problems == 1 ? " problem" : " problems")
              << " found; nothing was started.\n";
    std::exit(2);
  }
  return std::move(loaded.apis);
}

std::string DefaultDataDir() {
  const char* cache = std::getenv("XDG_CACHE_HOME");
  if (cache != nullptr && *cache != '\0') return std::string(cache) + "/wsgw";
  const char* home = std::getenv("HOME");
  return std::string(home != nullptr ? home : ".") + "/.cache/wsgw";
}

std::string TlsDirectory(const Arguments& args) {
  return (args.dataDir.empty() ? DefaultDataDir() : args.dataDir) + "/tls";
}

std::string ReadyJson(const wsgw::Gateway& gateway, const std::string& ca_file) {
  Json::Value ready(Json::objectValue);
  std::string authority = gateway.host() + ":" + std::to_string(gateway.port());
  ready["port"] = gateway.port();
  Json::Value apis(Json::arrayValue);
  for (const wsgw::ApiConfig& api : gateway.apis()) {
    Json::Value entry(Json::objectValue);
    entry["name"] = api.name;
    entry["stage"] = api.stage;
    entry["websocketUrl"] = "ws://" + authority + "/" + api.stage;
    entry["managementEndpoint"] = "http://" + authority + "/" + api.stage;
    if (gateway.tls()) {
      entry["secureWebsocketUrl"] = "wss://" + authority + "/" + api.stage;
      entry["secureManagementEndpoint"] = "https://" + authority + "/" + api.stage;
    }
    apis.append(entry);
  }
  ready["websocketUrl"] = apis[0]["websocketUrl"];
  ready["managementEndpoint"] = apis[0]["managementEndpoint"];
  if (gateway.tls()) {
    ready["secureWebsocketUrl"] = apis[0]["secureWebsocketUrl"];
    ready["secureManagementEndpoint"] = apis[0]["secureManagementEndpoint"];
    ready["secureDynamodbEndpoint"] = "https://" + authority;
  }
  if (!ca_file.empty()) ready["caFile"] = ca_file;
  ready["apis"] = apis;
  ready["dynamodbEndpoint"] = "http://" + authority;
  if (gateway.servicesOnlyPort() >= 0) {
    ready["dynamodbOnlyEndpoint"] =
        "http://" + gateway.host() + ":" + std::to_string(gateway.servicesOnlyPort());
  }
  Json::StreamWriterBuilder builder;
  builder["indentation"] = "  ";
  return Json::writeString(builder, ready) + "\n";
}

bool WriteFileAtomically(const std::string& path, const std::string& content, std::string* error) {
  std::string temporary = path + ".tmp." + std::to_string(getpid());
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    out << content;
    if (!out.flush()) {
      *error = "cannot write " + temporary;
      return false;
    }
  }
  std::error_code code;
  std::filesystem::rename(temporary, path, code);
  if (code) {
    *error = "cannot rename " + temporary + " to " + path + ": " + code.message();
    return false;
  }
  return true;
}

// What the gateway itself writes where a function's hosts may look for changes (a ready file or a
// data folder inside the project): WSGW_RELOAD_IGNORE, inherited by every function process, tells
// the Node.js and Python hosts not to reload the handler for them (lambda-bridge/hosts/README.md).
void ExportReloadIgnores(const Arguments& args) {
  std::string ignores;
  if (const char* user = std::getenv("WSGW_RELOAD_IGNORE"); user != nullptr) ignores = user;
  auto add = [&ignores](const std::string& entry) {
    ignores += (ignores.empty() ? "" : ",") + std::filesystem::absolute(entry).lexically_normal().string();
  };
  if (!args.readyFile.empty()) add(args.readyFile + "*");  // with its temporary file
  add(args.dataDir.empty() ? DefaultDataDir() : args.dataDir);
  setenv("WSGW_RELOAD_IGNORE", ignores.c_str(), 1);
}

}  // namespace

int main(int argc, char** argv) {
  // Before any thread exists, so that every thread inherits the mask: the gateway reads these
  // signals on its loop (signalfd) and shuts down cleanly.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  Arguments args = ParseArguments(argc, argv);
  wsgw::Log::Configure(args.logFormat, args.logLevel);
  wsgw::Log::SetPayloadBytes(args.logPayloadBytes);
  for (char** entry = environ; *entry != nullptr; ++entry) {  // serverless.yml's ${env:NAME}
    const std::string text = *entry;
    const size_t equals = text.find('=');
    if (equals != std::string::npos) {
      args.project.environment.emplace(text.substr(0, equals), text.substr(equals + 1));
    }
  }

  if (args.printCa) {
    std::string ca_file;
    std::string error;
    if (!wsgw::EnsureCaOnly(TlsDirectory(args), &ca_file, &error)) {
      std::cerr << "wsgw-emulate: " << error << "\n";
      return 1;
    }
    std::cout << std::filesystem::absolute(ca_file).string() << "\n";
    return 0;
  }

  if (!args.check.empty()) {
    std::vector<wsgw::ApiConfig> apis = LoadOrExit({{}, args.check, args.project, std::nullopt});
    for (const wsgw::ApiConfig& api : apis) {
      std::cout << api.file << ": ok (" << api.name << ", stage " << api.stage << ", "
                << api.routes.size() << " routes, " << api.functions.size() << " functions)\n";
    }
    return 0;
  }

  std::string web_root;
  if (args.demo) {
    std::string share = wsgw::ShareDirectory();
    args.routes = {share + "/chat/routes.json", share + "/counter/routes.json"};
    web_root = share + "/web";
  }
  const wsgw::Definition definition{args.routes, args.configs, args.project, args.stage};
  std::vector<wsgw::ApiConfig> apis = LoadOrExit(definition);
  if (args.demo) {
    std::string data_dir = args.dataDir.empty() ? DefaultDataDir() + "/demo" : args.dataDir;
    std::error_code code;
    std::filesystem::create_directories(data_dir, code);
    if (code) {
      std::cerr << "wsgw-emulate: cannot create the demo's data folder " << data_dir << ": "
                << code.message() << "\n";
      return 1;
    }
    data_dir = std::filesystem::absolute(data_dir).string();
    for (wsgw::ApiConfig& api : apis) {
      for (auto& [name, function] : api.functions) {
        function.env["TABLE_DB"] = data_dir + "/" + api.name + ".sqlite";
      }
    }
    wsgw::Log::Info("demo data folder", {wsgw::Str("path", data_dir)});
  }

  // Started functions get their ports now, so that the gateway knows every function's url.
  std::vector<wsgw::StartedFunction> started = wsgw::AssignPorts(apis);
  ExportReloadIgnores(args);

  std::string dynamodb_path = ":memory:";
  if (!args.dynamodbInMemory) {
    dynamodb_path = (args.dataDir.empty() ? DefaultDataDir() : args.dataDir) + "/dynamodb.sqlite";
  }
  std::string error;
  std::unique_ptr<wsgw::DynamoDbEndpoint> dynamodb =
      wsgw::DynamoDbEndpoint::Open(dynamodb_path, &error);
  if (dynamodb == nullptr || !dynamodb->DeclareTables(apis, &error)) {
    std::cerr << "wsgw-emulate: " << error << "\n";
    return 1;
  }
  wsgw::Log::Info("dynamodb", {wsgw::Str("database", dynamodb_path)});

  wsgw::GatewayOptions options;
  options.apis = std::move(apis);
  options.host = args.host;
  options.port = args.port;
  options.webRoot = web_root;
  options.awsServices.push_back(dynamodb->AsService());
  options.servicesOnlyPort = args.dynamodbPort;
  wsgw::TlsFiles tls_files;
  if (!args.tlsCert.empty()) {
    if (!wsgw::CheckCertificatePair(args.tlsCert, args.tlsKey, &error)) {
      std::cerr << "wsgw-emulate: " << error << "\n";
      return 2;
    }
    tls_files.certFile = args.tlsCert;
    tls_files.keyFile = args.tlsKey;
  } else if (!args.noTls) {
    std::string dir = std::filesystem::absolute(TlsDirectory(args)).string();
    if (!wsgw::EnsureLocalCa(dir, wsgw::ServerCertificateNames(args.host), &tls_files, &error)) {
      std::cerr << "wsgw-emulate: the local CA: " << error
                << " (--tls-cert/--tls-key use your own pair, --no-tls turns TLS off)\n";
      return 1;
    }
  }
  options.tlsCertFile = tls_files.certFile;
  options.tlsKeyFile = tls_files.keyFile;
  wsgw::Gateway gateway(std::move(options));
  if (!gateway.Start(&error)) {
    wsgw::Log::Error("cannot start: " + error);
    return 1;
  }

  wsgw::FunctionSupervisor supervisor;
  const std::string authority = gateway.host() + ":" + std::to_string(gateway.port());
  std::map<std::string, std::string> service_endpoints;
  std::map<std::string, std::string> overrides;
  {
    // The SDKs read these (AWS_ENDPOINT_URL_<SERVICE>), so unchanged handler code reaches the
    // stand-in; one the user set in wsgw's own environment is kept.
    service_endpoints = {{"AWS_ENDPOINT_URL_DYNAMODB", "http://" + authority}};
    // Trusting the local CA with no code change: Node adds NODE_EXTRA_CA_CERTS to its roots;
    // botocore, requests and Python's ssl take one bundle, so theirs holds the system roots too.
    // A variable wsgw inherited (CI images often point them at the system bundle) becomes its
    // file plus the CA, so that the function trusts both.
    if (!tls_files.caFile.empty()) {
      std::map<std::string, std::string> ca_variables = {
          {"NODE_EXTRA_CA_CERTS", tls_files.caFile},
          {"AWS_CA_BUNDLE", tls_files.caBundleFile},
          {"REQUESTS_CA_BUNDLE", tls_files.caBundleFile},
          {"SSL_CERT_FILE", tls_files.caBundleFile}};
      std::string tls_dir = std::filesystem::path(tls_files.caFile).parent_path().string();
      for (const auto& [name, value] : ca_variables) {
        const char* inherited = std::getenv(name.c_str());
        std::string bundle;
        std::string why;
        if (inherited == nullptr || *inherited == '\0') {
          service_endpoints[name] = value;
        } else if (wsgw::BundleWith(tls_dir, tls_files.caFile, inherited, &bundle, &why)) {
          overrides[name] = bundle;
        } else {
          wsgw::Log::Warn(name + " is kept as wsgw's environment sets it; functions that use it "
                                 "will not trust the local CA",
                          {wsgw::Str("reason", why)});
        }
      }
      service_endpoints["WSGW_CA_FILE"] = tls_files.caFile;
    }
    // The hosts resolve AWS's own host names to this address (docs/SPEC.md "TLS").
    if (gateway.tls() && !args.noAwsRedirect) {
      const std::string& host = gateway.host();
      bool wildcard = host == "0.0.0.0" || host == "::" || host == "localhost";
      service_endpoints["WSGW_AWS_REDIRECT"] =
          (wildcard ? std::string("127.0.0.1") : host) + ":" + std::to_string(gateway.port());
    }
  }
  if (!started.empty()) {
    wsgw::StartAll(supervisor, started, gateway.apis(), authority, service_endpoints, overrides);
    if (!supervisor.WaitReady(args.startTimeoutMs, &error)) {
      wsgw::Log::Error("cannot start: " + error);
      return 1;
    }
  }
  // The demo's files are wsgw's own; a user's are watched for live reload.
  std::unique_ptr<wsgw::DefinitionReloader> reloader;
  if (!args.demo) {
    reloader = std::make_unique<wsgw::DefinitionReloader>(
        definition, gateway.apis(), started,
        wsgw::ReloadWiring{&gateway, &supervisor, dynamodb.get(), authority, service_endpoints,
                           overrides, args.startTimeoutMs});
    reloader->Start();
  }

  for (const wsgw::ApiConfig& api : gateway.apis()) {
    std::string authority = gateway.host() + ":" + std::to_string(gateway.port());
    if (wsgw::Log::format() == wsgw::LogFormat::kJson) {
      std::vector<wsgw::LogField> fields = {
          wsgw::Str("api", api.name), wsgw::Str("stage", api.stage),
          wsgw::Str("websocketUrl", "ws://" + authority + "/" + api.stage),
          wsgw::Str("managementEndpoint", "http://" + authority + "/" + api.stage)};
      if (gateway.tls()) {
        fields.push_back(wsgw::Str("secureWebsocketUrl", "wss://" + authority + "/" + api.stage));
      }
      wsgw::Log::Info("serving", fields);
    } else {
      std::cout << api.name << " (stage " << api.stage << ")\n"
                << "  WebSocket:  ws://" << authority << "/" << api.stage;
      if (gateway.tls()) std::cout << "  and  wss://" << authority << "/" << api.stage;
      std::cout << "\n"
                << "  Management: http://" << authority << "/" << api.stage
                << "/@connections/{connectionId}\n";
    }
  }
  std::string dynamodb_url = "http://" + gateway.host() + ":" + std::to_string(gateway.port());
  std::string dynamodb_only_url =
      gateway.servicesOnlyPort() < 0
          ? ""
          : "http://" + gateway.host() + ":" + std::to_string(gateway.servicesOnlyPort());
  if (wsgw::Log::format() == wsgw::LogFormat::kJson) {
    std::vector<wsgw::LogField> fields = {wsgw::Str("endpoint", dynamodb_url)};
    if (!dynamodb_only_url.empty()) fields.push_back(wsgw::Str("onlyEndpoint", dynamodb_only_url));
    wsgw::Log::Info("serving dynamodb", fields);
  } else {
    std::cout << "DynamoDB: " << dynamodb_url;
    if (!dynamodb_only_url.empty()) std::cout << " (and alone at " << dynamodb_only_url << ")";
    std::cout << "\n";
  }
  dynamodb->StartSweeping(1000);
  if (!web_root.empty()) {
    std::cout << "Demo pages: http://" << gateway.host() << ":" << gateway.port() << "/";
    if (gateway.tls()) std::cout << " and https://" << gateway.host() << ":" << gateway.port() << "/";
    std::cout << "\n";
  }
  if (!tls_files.caFile.empty()) {
    if (wsgw::Log::format() == wsgw::LogFormat::kJson) {
      wsgw::Log::Info("tls", {wsgw::Str("caFile", tls_files.caFile)});
    } else {
      std::cout << "TLS: certificates from the local CA " << tls_files.caFile
                << " (trust it: NODE_EXTRA_CA_CERTS=$(wsgw-emulate --print-ca))\n";
    }
  }
  std::cout.flush();
  if (!args.readyFile.empty() && !WriteFileAtomically(args.readyFile, ReadyJson(gateway, tls_files.caFile), &error)) {
    wsgw::Log::Error("cannot write --ready-file: " + error);
    return 1;
  }

  gateway.Run();
  if (reloader) reloader->Stop();
  supervisor.StopAll(2000);
  wsgw::Log::Info("stopped");
  return 0;
}
