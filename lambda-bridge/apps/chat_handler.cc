// chat-handler: chat rooms. A client picks its room when it connects (?room=, default "lobby")
// and joins the conversation once it has a name (?name= or setName); then it can sendPublic to
// its room and sendPrivate to a member of its room by name. The protocol is in apps/README.md.
// One process serves every route, like a single Lambda function; connections, names and rooms
// live in SQLite (TABLE_DB, default chat.sqlite), so a restarted handler loses nothing.
#include <wsgw/lambda.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

namespace lambda = wsgw::lambda;

namespace {

constexpr int64_t kConnectionTtlSeconds = 2 * 60 * 60;  // API Gateway's connection lifetime
// The gateway answers 410 for a connection whose $connect has not finished yet; such a young
// connection is not gone, so it is kept.
constexpr int64_t kConnectGraceMs = 30000;
constexpr size_t kMaxNameBytes = 64;
constexpr size_t kMaxRoomBytes = 64;
constexpr const char* kDefaultRoom = "lobby";

int64_t NowMs() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

std::string DatabasePath() {
  const char* path = std::getenv("TABLE_DB");
  return path && *path ? path : "chat.sqlite";
}

// Items: {"connectionId", "room", "name" (once chosen), "connectedAt", "expiresAt"}.
lambda::Table& Connections() {
  static lambda::Table table(
      DatabasePath(), "connections",
      {.partition_key = "connectionId", .secondary_keys = {"room"}, .ttl_attribute = "expiresAt"});
  return table;
}

std::string Trim(const std::string& text) {
  const char* kSpace = " \t\r\n";
  size_t first = text.find_first_not_of(kSpace);
  if (first == std::string::npos) return "";
  return text.substr(first, text.find_last_not_of(kSpace) - first + 1);
}

std::string NameOf(const Json::Value& connection) { return connection["name"].asString(); }

// The connections of `room` that have a name: the room's members.
std::vector<Json::Value> MembersOf(const std::string& room) {
  std::vector<Json::Value> members;
  for (Json::Value& connection : Connections().Query("room", room)) {
    if (!NameOf(connection).empty()) members.push_back(std::move(connection));
  }
  return members;
}

Json::Value Message(const char* kind, const std::string& text) {
  Json::Value message;
  message[kind] = text;
  return message;
}

Json::Value MemberList(const std::vector<Json::Value>& members) {
  std::vector<std::string> names;
  for (const Json::Value& member : members) names.push_back(NameOf(member));
  std::sort(names.begin(), names.end());
  Json::Value list(Json::arrayValue);
  for (const std::string& name : names) list.append(name);
  Json::Value message;
  message["members"] = list;
  return message;
}

class Chat {
 public:
  explicit Chat(const Json::Value& event) : management_(event) {}

  void Send(const Json::Value& connection, const Json::Value& message) const {
    const std::string id = connection["connectionId"].asString();
    lambda::ManagementResult result = management_.Post(id, lambda::ToJson(message));
    if (result.gone() && NowMs() - connection["connectedAt"].asInt64() > kConnectGraceMs) {
      Connections().Delete(id);
    } else if (!result.ok() && !result.gone()) {
      std::cerr << "cannot post to " << id << ": " << result.message << "\n";
    }
  }

  void SendAll(const std::vector<Json::Value>& connections, const Json::Value& message,
               const std::string& except_id = "") const {
    for (const Json::Value& connection : connections) {
      if (connection["connectionId"].asString() != except_id) Send(connection, message);
    }
  }

 private:
  lambda::ManagementClient management_;
};

Json::Value Status(int code) {
  Json::Value result;
  result["statusCode"] = code;
  return result;
}

Json::Value Connect(const Json::Value& event) {
  const Json::Value& request = event["requestContext"];
  const Json::Value& query = event["queryStringParameters"];
  std::string room = Trim(query["room"].asString());
  if (room.empty()) room = kDefaultRoom;
  const std::string name = Trim(query["name"].asString());
  if (room.size() > kMaxRoomBytes || name.size() > kMaxNameBytes) return Status(400);

  const std::string id = request["connectionId"].asString();
  Json::Value connection;
  connection["connectionId"] = id;
  connection["room"] = room;
  if (!name.empty()) connection["name"] = name;
  connection["connectedAt"] = Json::Int64(request["connectedAt"].asInt64());
  connection["expiresAt"] = Json::Int64(NowMs() / 1000 + kConnectionTtlSeconds);
  Connections().Put(connection);

  if (!name.empty()) {
    // The newcomer cannot be posted to before its $connect returns: it asks with getMembers.
    Chat chat(event);
    std::vector<Json::Value> members = MembersOf(room);
    chat.SendAll(members, Message("systemMessage", name + " joined"), id);
    chat.SendAll(members, MemberList(members), id);
  }
  return Status(200);
}

Json::Value Disconnect(const Json::Value& event) {
  const std::string id = event["requestContext"]["connectionId"].asString();
  std::optional<Json::Value> connection = Connections().Get(id);
  if (!connection) return Status(200);
  Connections().Delete(id);
  const std::string name = NameOf(*connection);
  if (!name.empty()) {
    Chat chat(event);
    std::vector<Json::Value> members = MembersOf((*connection)["room"].asString());
    chat.SendAll(members, Message("systemMessage", name + " left"));
    chat.SendAll(members, MemberList(members));
  }
  return Status(200);
}

Json::Value OnMessage(const Json::Value& event) {
  const Json::Value& request = event["requestContext"];
  const std::string id = request["connectionId"].asString();
  Chat chat(event);

  Json::Value self;
  if (std::optional<Json::Value> stored = Connections().Get(id)) {
    self = std::move(*stored);
  } else {
    // Only a deleted database loses a live connection; it carries on in the default room.
    self["connectionId"] = id;
    self["room"] = kDefaultRoom;
    self["connectedAt"] = Json::Int64(request["connectedAt"].asInt64());
    self["expiresAt"] = Json::Int64(NowMs() / 1000 + kConnectionTtlSeconds);
  }
  const std::string room = self["room"].asString();
  const std::string name = NameOf(self);
  auto reply_error = [&](const std::string& text) {
    chat.Send(self, Message("error", text));
    return Status(400);
  };

  std::optional<Json::Value> body = lambda::ParseJson(event["body"].asString());
  if (!body || !body->isObject()) return reply_error("messages must be JSON objects");
  // Served as $default too, the action is then read from the body.
  std::string route = request["routeKey"].asString();
  if (route == "$default") route = (*body)["action"].asString();

  if (route == "getMembers") {
    chat.Send(self, MemberList(MembersOf(room)));
    return Status(200);
  }

  if (route == "setName") {
    const std::string new_name = Trim((*body)["name"].asString());
    if (!(*body)["name"].isString() || new_name.empty() || new_name.size() > kMaxNameBytes) {
      return reply_error("a name is 1 to " + std::to_string(kMaxNameBytes) + " bytes of text");
    }
    self["name"] = new_name;
    Connections().Put(self);
    std::vector<Json::Value> members = MembersOf(room);
    if (name.empty()) {
      chat.SendAll(members, Message("systemMessage", new_name + " joined"));
    } else if (name != new_name) {
      chat.SendAll(members, Message("systemMessage", name + " is now " + new_name));
    }
    chat.SendAll(members, MemberList(members));
    return Status(200);
  }

  if (name.empty()) {
    return reply_error("choose a name first: {\"action\":\"setName\",\"name\":...}");
  }
  const Json::Value& text = (*body)["message"];
  if (!text.isString()) return reply_error("\"message\" must be a string");

  if (route == "sendPublic") {
    chat.SendAll(MembersOf(room), Message("publicMessage", name + ": " + text.asString()));
    return Status(200);
  }

  if (route == "sendPrivate") {
    const std::string to = Trim((*body)["to"].asString());
    std::vector<Json::Value> targets;
    for (Json::Value& member : MembersOf(room)) {
      if (NameOf(member) == to) targets.push_back(std::move(member));
    }
    if (targets.empty()) return reply_error("nobody named \"" + to + "\" in room " + room);
    chat.SendAll(targets, Message("privateMessage", name + ": " + text.asString()));
    return Status(200);
  }

  return reply_error("unknown action \"" + route + "\"");
}

Json::Value Handle(const Json::Value& event, const lambda::Context&) {
  const std::string route = event["requestContext"]["routeKey"].asString();
  if (route == "$connect") return Connect(event);
  if (route == "$disconnect") return Disconnect(event);
  return OnMessage(event);
}

}  // namespace

int main(int argc, char** argv) { return lambda::Run(Handle, argc, argv); }
