// wsgw/lambda.h — write an API Gateway WebSocket handler in C++ and run it under wsgw-emulate.
//
// Three pieces, each usable alone:
//   Run / Server       serve a handler `(event, context) -> result` behind the Lambda Invoke API
//                      (POST /2015-03-31/functions/{name}/invocations), one thread per connection.
//   ManagementClient   the `@connections` API: post to, get and delete a connection; a vanished
//                      connection is reported as Status::kGone, never as an exception.
//   Table              a DynamoDB-like item store on SQLite, safe to share between threads and
//                      between processes: put/get/delete by partition key, query by a declared
//                      secondary key, atomic add, and TTL expiry.
//
// A complete handler (see apps/counter_handler.cc for a real one):
//
//   #include <wsgw/lambda.h>
//   namespace lambda = wsgw::lambda;
//
//   Json::Value Handle(const Json::Value& event, const lambda::Context& context) {
//     if (event["requestContext"]["routeKey"].asString() == "ping") {
//       lambda::ManagementClient management(event);
//       management.Post(event["requestContext"]["connectionId"].asString(), R"({"pong":true})");
//     }
//     Json::Value result;
//     result["statusCode"] = 200;
//     return result;
//   }
//
//   int main(int argc, char** argv) { return lambda::Run(Handle, argc, argv); }
//
// A handler that throws makes the invocation fail the way Lambda reports it: HTTP 200 with
// `X-Amz-Function-Error: Unhandled` and {"errorType", "errorMessage", "stackTrace"}. Handlers run
// concurrently (one invocation per connection of the caller), so shared state needs a lock;
// ManagementClient and Table are thread-safe.
#pragma once

#include <json/json.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace wsgw::lambda {

// What Lambda passes as the second handler argument.
struct Context {
  std::string aws_request_id;  // a fresh UUID per invocation
  std::string function_name;   // AWS_LAMBDA_FUNCTION_NAME, else the name in the invoke URL
  std::chrono::steady_clock::time_point deadline;  // now + AWS_LAMBDA_FUNCTION_TIMEOUT (29 s)

  // Like getRemainingTimeInMillis(): never negative.
  std::chrono::milliseconds RemainingTime() const;
};

// The result is serialized as the invocation's response body (`null` for a null value).
using Handler = std::function<Json::Value(const Json::Value& event, const Context& context)>;

struct ServerOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 9000;              // 0 picks a free port; Server::port() tells which
  std::string function_name = {};    // empty: taken from each invoke URL
  std::chrono::seconds timeout{29};  // sets Context::deadline
};

// The options a started function gets from wsgw-emulate's environment (WSGW_FUNCTION_HOST,
// WSGW_FUNCTION_PORT, AWS_LAMBDA_FUNCTION_NAME, AWS_LAMBDA_FUNCTION_TIMEOUT), defaults otherwise.
// Throws std::invalid_argument for a malformed value.
ServerOptions ServerOptionsFromEnvironment();

// An HTTP/1.1 server for the Lambda Invoke API. The constructor binds and listens (throws
// std::runtime_error naming the address when it cannot); Serve() runs the accept loop on the
// calling thread until Stop(). Bodies are limited to 6 MB (413 above); other paths get 404.
class Server {
 public:
  Server(Handler handler, ServerOptions options);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  uint16_t port() const;  // the bound port, useful with options.port = 0

  // Blocks until Stop(); then stops accepting, lets running invocations answer, closes every
  // connection and returns.
  void Serve();

  // Thread-safe and async-signal-safe; may be called before Serve().
  void Stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// main() for a handler executable: serves `handler` with ServerOptionsFromEnvironment() (the
// command line `--port N` overrides the port, for running by hand) until SIGTERM or SIGINT.
// Returns the process exit code: 0 after a signal, 1 when it cannot start, 2 on bad arguments.
int Run(Handler handler, int argc, char** argv);

// The `@connections` management API (PostToConnection, GetConnection, DeleteConnection).
struct ManagementResult {
  enum class Status {
    kOk,     // 2xx
    kGone,   // 410 GoneException: the connection is closed, unknown, or still in its $connect
    kError,  // any other status, or no answer at all (then http_status is 0)
  };
  Status status = Status::kError;
  long http_status = 0;
  std::string body;     // Get(): the connection's JSON ({"connectedAt", "identity", ...})
  std::string message;  // for kGone/kError: "410 GoneException", "connection refused"...

  bool ok() const { return status == Status::kOk; }
  bool gone() const { return status == Status::kGone; }
};

// Cheap to construct and copy. Requests reuse one keep-alive connection per thread.
class ManagementClient {
 public:
  // `endpoint` is what an AWS SDK client takes: "http://127.0.0.1:3001/dev".
  explicit ManagementClient(std::string endpoint);

  // The endpoint for the API that sent `event`: WSGW_MANAGEMENT_ENDPOINT when set, else
  // "http://" + requestContext.domainName + "/" + requestContext.stage.
  explicit ManagementClient(const Json::Value& event);

  const std::string& endpoint() const { return endpoint_; }

  ManagementResult Post(std::string_view connection_id, std::string_view data) const;
  ManagementResult Get(std::string_view connection_id) const;
  ManagementResult Remove(std::string_view connection_id) const;

 private:
  std::string endpoint_;
};

// Thrown by Table for SQLite failures and for items or arguments it cannot accept.
class StoreError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Every member has an initializer, so {.partition_key = "name"} leaves the rest out without a
// -Wmissing-field-initializers warning.
struct TableOptions {
  std::string partition_key = "id";              // every item has it, as a non-empty string
  std::vector<std::string> secondary_keys = {};  // attributes Query() can look up (indexed)
  std::string ttl_attribute = {};  // a Number attribute in epoch seconds; once past, item is gone
};

// One table of items (JSON objects) in an SQLite database file, created on first use. Several
// tables may share a file; several threads and processes may use the same table at once. Items
// whose TTL attribute is in the past are invisible everywhere and deleted lazily.
class Table {
 public:
  Table(const std::string& database_path, const std::string& table_name, TableOptions options);
  ~Table();
  Table(const Table&) = delete;
  Table& operator=(const Table&) = delete;

  // Stores `item`, replacing any item with the same partition key.
  void Put(const Json::Value& item);
  std::optional<Json::Value> Get(std::string_view key);
  // Returns whether a (visible) item was deleted.
  bool Delete(std::string_view key);
  // Every item whose `secondary_key` (one of options.secondary_keys) equals `value`; strings
  // match strings and numbers match numbers, as in DynamoDB. Ordered by partition key.
  std::vector<Json::Value> Query(std::string_view secondary_key, const Json::Value& value);
  // Every item, ordered by partition key.
  std::vector<Json::Value> Scan();
  // Atomically adds `delta` to the integer `attribute` of item `key` (a missing attribute counts
  // as 0; a missing item is created as {partition_key: key, attribute: delta}) and returns the
  // new value. Atomic across threads and processes.
  int64_t Add(std::string_view key, std::string_view attribute, int64_t delta);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Small JSON helpers: compact UTF-8 text, and parsing that returns nullopt instead of throwing.
std::string ToJson(const Json::Value& value);
std::optional<Json::Value> ParseJson(std::string_view text);

}  // namespace wsgw::lambda
