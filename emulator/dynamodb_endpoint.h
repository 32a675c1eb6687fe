// wsgw-emulate's DynamoDB: the stand-in (dynamodb/) on its database, the tables the routes files
// declare, the AwsJsonService through which the gateway answers it on its port, and the
// background sweep of expired TTL items. Wiring only; the semantics are in dynamodb/.
#pragma once

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "api/routes_config.h"
#include "dynamodb/service.h"
#include "server/gateway.h"

namespace wsgw {

class DynamoDbEndpoint {
 public:
  // `database_path`: a file (created with its folder when missing) or ":memory:". Null, with
  // the reason in *error, when the database cannot be opened.
  static std::unique_ptr<DynamoDbEndpoint> Open(const std::string& database_path,
                                                std::string* error);
  ~DynamoDbEndpoint();  // stops the sweep

  // Creates every table of every API's "tables" that does not exist yet. False, with the file,
  // the table and DynamoDB's words in *error, when a declaration is refused.
  bool DeclareTables(const std::vector<ApiConfig>& apis, std::string* error);

  // What the gateway serves: POSTs with X-Amz-Target: DynamoDB_20120810.<Operation>.
  AwsJsonService AsService();

  // Deletes expired TTL items every `interval_ms` on a thread of its own.
  void StartSweeping(int interval_ms);

 private:
  explicit DynamoDbEndpoint(std::unique_ptr<dynamodb::Service> service)
      : service_(std::move(service)) {}

  std::unique_ptr<dynamodb::Service> service_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread sweeper_;
};

}  // namespace wsgw
