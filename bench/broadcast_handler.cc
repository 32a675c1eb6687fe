// broadcast_handler: the C++ function behind wsgw's broadcast benchmark, on lambda-bridge's
// runtime. $connect and $disconnect keep the set of connection ids in memory (one process serves
// every route, like one warm Lambda instance); any other message is posted as it is to every
// connection through @connections, from a few threads at once as a handler would with an async
// SDK, and answers once every post returned.
#include <wsgw/lambda.h>

#include <condition_variable>
#include <cstdint>
#include <iostream>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace lambda = wsgw::lambda;

namespace {

// Parallel PostToConnection calls. The threads live as long as the process so that each keeps
// its keep-alive connection to the gateway, as an SDK client's connection pool would.
constexpr size_t kPosters = 8;

std::mutex g_mutex;
std::set<std::string> g_connections;  // guarded by g_mutex

Json::Value Status(int code) {
  Json::Value result;
  result["statusCode"] = code;
  return result;
}

// Posts one message to many connections from kPosters threads; one fan-out at a time.
class Poster {
 public:
  Poster() {
    for (size_t t = 0; t < kPosters; ++t) threads_.emplace_back([this] { Work(); });
  }
  ~Poster() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stopping_ = true;
    }
    wake_.notify_all();
    for (std::thread& thread : threads_) thread.join();
  }

  // Returns how many posts failed.
  size_t PostToAll(const std::string& endpoint, std::vector<std::string> ids, std::string data) {
    std::lock_guard<std::mutex> one_at_a_time(fan_out_);
    std::unique_lock<std::mutex> lock(mutex_);
    endpoint_ = endpoint;
    ids_ = std::move(ids);
    data_ = std::move(data);
    next_ = 0;
    done_ = 0;
    failed_ = 0;
    ++generation_;
    wake_.notify_all();
    finished_.wait(lock, [this] { return done_ == ids_.size(); });
    return failed_;
  }

 private:
  void Work() {
    uint64_t seen = 0;
    std::unique_lock<std::mutex> lock(mutex_);
    for (;;) {
      wake_.wait(lock, [&] { return stopping_ || generation_ != seen; });
      if (stopping_) return;
      seen = generation_;
      const lambda::ManagementClient management(endpoint_);
      while (next_ < ids_.size()) {
        size_t i = next_++;
        lock.unlock();
        bool ok = management.Post(ids_[i], data_).ok();
        lock.lock();
        if (!ok) ++failed_;
        if (++done_ == ids_.size()) finished_.notify_all();
      }
    }
  }

  std::mutex fan_out_;
  std::mutex mutex_;
  std::condition_variable wake_, finished_;
  std::string endpoint_;
  std::vector<std::string> ids_;
  std::string data_;
  size_t next_ = 0, done_ = 0, failed_ = 0;
  uint64_t generation_ = 0;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

Json::Value Broadcast(const Json::Value& event) {
  std::vector<std::string> ids;
  {
    std::lock_guard<std::mutex> lock(g_mutex);
    ids.assign(g_connections.begin(), g_connections.end());
  }
  if (ids.empty()) return Status(200);
  static Poster poster;
  size_t total = ids.size();
  size_t failed = poster.PostToAll(lambda::ManagementClient(event).endpoint(), std::move(ids),
                                   event["body"].asString());
  if (failed > 0) std::cerr << failed << " of " << total << " posts failed\n";
  return Status(200);
}

Json::Value Handle(const Json::Value& event, const lambda::Context&) {
  const Json::Value& request = event["requestContext"];
  const std::string route = request["routeKey"].asString();
  const std::string id = request["connectionId"].asString();
  if (route == "$connect") {
    std::lock_guard<std::mutex> lock(g_mutex);
    g_connections.insert(id);
    return Status(200);
  }
  if (route == "$disconnect") {
    std::lock_guard<std::mutex> lock(g_mutex);
    g_connections.erase(id);
    return Status(200);
  }
  return Broadcast(event);
}

}  // namespace

int main(int argc, char** argv) { return lambda::Run(Handle, argc, argv); }
