#include "dynamodb_endpoint.h"

#include <chrono>
#include <filesystem>
#include <stdexcept>

#include "base/log.h"
#include "dynamodb/api_error.h"

namespace wsgw {
namespace {

// DynamoDB's own limit on a request (BatchWriteItem's 16 MB).
constexpr size_t kMaxRequestBytes = 16 * 1024 * 1024;

dynamodb::DeclaredKey DeclaredKeyOf(const TableKeyConfig& key) { return {key.name, key.type}; }

dynamodb::TableDeclaration DeclarationOf(const TableConfig& table) {
  dynamodb::TableDeclaration declaration;
  declaration.name = table.name;
  declaration.hash_key = DeclaredKeyOf(table.hashKey);
  if (table.rangeKey) declaration.range_key = DeclaredKeyOf(*table.rangeKey);
  for (const TableIndexConfig& index : table.indexes) {
    dynamodb::DeclaredIndex declared;
    declared.name = index.name;
    declared.global = !index.local;
    declared.hash_key = DeclaredKeyOf(index.hashKey);
    if (index.rangeKey) declared.range_key = DeclaredKeyOf(*index.rangeKey);
    declared.projection = index.projection;
    declared.non_key_attributes = index.nonKeyAttributes;
    declaration.indexes.push_back(std::move(declared));
  }
  declaration.ttl_attribute = table.ttlAttribute;
  return declaration;
}

}  // namespace

std::unique_ptr<DynamoDbEndpoint> DynamoDbEndpoint::Open(const std::string& database_path,
                                                         std::string* error) {
  if (database_path != ":memory:") {
    std::error_code code;
    std::filesystem::create_directories(std::filesystem::path(database_path).parent_path(), code);
    if (code) {
      *error = "cannot create the folder of " + database_path + ": " + code.message();
      return nullptr;
    }
  }
  try {
    dynamodb::ServiceOptions options;
    options.database_path = database_path;
    options.max_body_bytes = kMaxRequestBytes;
    return std::unique_ptr<DynamoDbEndpoint>(
        new DynamoDbEndpoint(std::make_unique<dynamodb::Service>(options)));
  } catch (const std::exception& e) {
    *error = "cannot open the DynamoDB database " + database_path + ": " + e.what();
    return nullptr;
  }
}

DynamoDbEndpoint::~DynamoDbEndpoint() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (sweeper_.joinable()) sweeper_.join();
}

bool DynamoDbEndpoint::DeclareTables(const std::vector<ApiConfig>& apis, std::string* error) {
  for (const ApiConfig& api : apis) {
    for (const TableConfig& table : api.tables) {
      try {
        service_->EnsureTable(DeclarationOf(table));
      } catch (const std::exception& e) {
        *error = api.file + ": $.tables." + table.name + ": DynamoDB refuses the table: " +
                 e.what();
        return false;
      }
    }
  }
  return true;
}

AwsJsonService DynamoDbEndpoint::AsService() {
  AwsJsonService service;
  service.targetPrefix = "DynamoDB_20120810.";
  service.contentType = "application/x-amz-json-1.0";
  service.maxBodyBytes = kMaxRequestBytes;
  dynamodb::Service* stand_in = service_.get();
  service.handle = [stand_in](const std::string& operation, std::string body) {
    dynamodb::Response response = stand_in->Handle(operation, body);
    return AwsJsonAnswer{response.status, std::move(response.body)};
  };
  service.tooLarge = [] {
    dynamodb::ApiError error = dynamodb::ValidationError(
        "Request body is larger than " + std::to_string(kMaxRequestBytes) + " bytes");
    Json::StreamWriterBuilder builder;
    builder["indentation"] = "";
    return AwsJsonAnswer{error.status(), Json::writeString(builder, dynamodb::ErrorBody(error))};
  };
  return service;
}

void DynamoDbEndpoint::StartSweeping(int interval_ms) {
  sweeper_ = std::thread([this, interval_ms] {
    std::unique_lock<std::mutex> lock(mutex_);
    while (!wake_.wait_for(lock, std::chrono::milliseconds(interval_ms),
                           [this] { return stopping_; })) {
      lock.unlock();
      int64_t removed = service_->SweepExpired();
      if (removed > 0) Log::Debug("dynamodb ttl sweep", {Num("removed", static_cast<long long>(removed))});
      lock.lock();
    }
  });
}

}  // namespace wsgw
