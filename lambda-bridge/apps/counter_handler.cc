// counter-handler: one shared counter. {"action":"increment"} adds one and {"action":"get-current"}
// asks for the value; both answer {"type":"counter-update","value":N} to every connected client.
// One process serves every route, like a single Lambda function; state lives in SQLite (TABLE_DB,
// default counter.sqlite), so restarts and concurrent copies of the process agree.
#include <wsgw/lambda.h>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <mutex>
#include <optional>
#include <string>

namespace lambda = wsgw::lambda;

namespace {

// API Gateway closes every connection after two hours, so no record needs to outlive that.
constexpr int64_t kConnectionTtlSeconds = 2 * 60 * 60;
// The gateway answers 410 for a connection whose $connect has not finished yet; such a young
// connection is not gone, so it is kept.
constexpr int64_t kConnectGraceMs = 30000;

int64_t NowMs() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

std::string DatabasePath() {
  const char* path = std::getenv("TABLE_DB");
  return path && *path ? path : "counter.sqlite";
}

// Opened once and shared by concurrent invocations, like an SDK client created outside a handler.
lambda::Table& Connections() {
  static lambda::Table table(DatabasePath(), "connections",
                             {.partition_key = "connectionId", .ttl_attribute = "expiresAt"});
  return table;
}

lambda::Table& Counters() {
  static lambda::Table table(DatabasePath(), "counters", {.partition_key = "name"});
  return table;
}

// Invocations run concurrently; holding this from reading the value to the end of its broadcast
// makes every client see the values in increasing order, so the last update it receives is the
// current count. (The count itself is kept right across processes by Table::Add.)
std::mutex broadcast_order;

void Broadcast(const lambda::ManagementClient& management, int64_t value) {
  Json::Value update;
  update["type"] = "counter-update";
  update["value"] = Json::Int64(value);
  const std::string data = lambda::ToJson(update);
  for (const Json::Value& connection : Connections().Scan()) {
    const std::string id = connection["connectionId"].asString();
    lambda::ManagementResult result = management.Post(id, data);
    if (result.gone() && NowMs() - connection["connectedAt"].asInt64() > kConnectGraceMs) {
      Connections().Delete(id);
    } else if (!result.ok() && !result.gone()) {
      std::cerr << "cannot post to " << id << ": " << result.message << "\n";
    }
  }
}

Json::Value Status(int code) {
  Json::Value result;
  result["statusCode"] = code;
  return result;
}

Json::Value Handle(const Json::Value& event, const lambda::Context&) {
  const Json::Value& request = event["requestContext"];
  const std::string route = request["routeKey"].asString();
  const std::string connection_id = request["connectionId"].asString();

  if (route == "$connect") {
    Json::Value connection;
    connection["connectionId"] = connection_id;
    connection["connectedAt"] = Json::Int64(request["connectedAt"].asInt64());
    connection["expiresAt"] = Json::Int64(NowMs() / 1000 + kConnectionTtlSeconds);
    Connections().Put(connection);
  } else if (route == "$disconnect") {
    Connections().Delete(connection_id);
  } else if (route == "increment") {
    std::lock_guard<std::mutex> lock(broadcast_order);
    Broadcast(lambda::ManagementClient(event), Counters().Add("counter", "value", 1));
  } else if (route == "get-current") {
    std::lock_guard<std::mutex> lock(broadcast_order);
    std::optional<Json::Value> counter = Counters().Get("counter");
    Broadcast(lambda::ManagementClient(event), counter ? (*counter)["value"].asInt64() : 0);
  } else {
    std::cerr << "no such action: " << route << "\n";
    return Status(400);
  }
  return Status(200);
}

}  // namespace

int main(int argc, char** argv) { return lambda::Run(Handle, argc, argv); }
