#include "dynamodb/service.h"

#include <json/json.h>

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <stdexcept>

#include "dynamodb/api_error.h"
#include "dynamodb/item_operations.h"
#include "dynamodb/item_store.h"
#include "dynamodb/legacy_parameters.h"
#include "dynamodb/operation_context.h"
#include "dynamodb/query_operations.h"
#include "dynamodb/sqlite_database.h"
#include "dynamodb/table_catalog.h"
#include "dynamodb/table_operations.h"
#include "dynamodb/transaction_operations.h"

namespace wsgw::dynamodb {
namespace {

struct OperationEntry {
  Operation run;
  Transaction::Kind transaction;  // kRead: the operation never writes
};

const std::map<std::string, OperationEntry, std::less<>>& Operations() {
  using enum Transaction::Kind;
  static const auto* operations = new std::map<std::string, OperationEntry, std::less<>>{
      {"BatchGetItem", {BatchGetItem, kRead}},
      {"BatchWriteItem", {BatchWriteItem, kWrite}},
      {"CreateTable", {CreateTable, kWrite}},
      {"DeleteItem", {DeleteItem, kWrite}},
      {"DeleteTable", {DeleteTable, kWrite}},
      {"DescribeTable", {DescribeTable, kRead}},
      {"DescribeTimeToLive", {DescribeTimeToLive, kRead}},
      {"GetItem", {GetItem, kRead}},
      {"ListTables", {ListTables, kRead}},
      {"PutItem", {PutItem, kWrite}},
      {"Query", {Query, kRead}},
      {"Scan", {Scan, kRead}},
      {"TransactGetItems", {TransactGetItems, kRead}},
      {"TransactWriteItems", {TransactWriteItems, kWrite}},
      {"UpdateItem", {UpdateItem, kWrite}},
      {"UpdateTable", {UpdateTable, kWrite}},
      {"UpdateTimeToLive", {UpdateTimeToLive, kWrite}},
  };
  return *operations;
}

// The request body as a JSON object, or SerializationException.
Json::Value ParseRequest(std::string_view body) {
  static const Json::CharReaderBuilder* builder = [] {
    auto* b = new Json::CharReaderBuilder();
    (*b)["rejectDupKeys"] = false;
    (*b)["failIfExtra"] = true;
    return b;
  }();
  if (body.empty()) body = "{}";
  std::unique_ptr<Json::CharReader> reader(builder->newCharReader());
  Json::Value request;
  std::string errors;
  // DynamoDB names no reason for a body that is not a JSON object: the __type alone.
  if (!reader->parse(body.data(), body.data() + body.size(), &request, &errors) ||
      !request.isObject()) {
    throw SerializationError("");
  }
  return request;
}

Response ErrorResponse(const ApiError& error) {
  return {error.status(), ItemText(ErrorBody(error))};
}

double SystemNow() {
  using namespace std::chrono;
  return duration_cast<duration<double>>(system_clock::now().time_since_epoch()).count();
}

}  // namespace

struct Service::Impl {
  explicit Impl(ServiceOptions service_options)
      : options(std::move(service_options)), db(options.database_path), catalog(db) {
    if (!options.clock) options.clock = SystemNow;
  }

  // Runs `operation` in one transaction; on any failure rolls back and resyncs the catalog.
  Json::Value Run(const std::function<Json::Value(OperationContext&)>& operation, double now,
                  Transaction::Kind kind = Transaction::Kind::kWrite) {
    OperationContext context{db, catalog, options.region, now};
    try {
      Transaction transaction(db, kind);
      catalog.Refresh();
      Json::Value response = operation(context);
      transaction.Commit();
      return response;
    } catch (...) {
      catalog.Refresh();
      throw;
    }
  }

  ServiceOptions options;
  std::mutex mutex;  // one SQLite connection, one request at a time
  SqliteDatabase db;
  TableCatalog catalog;
};

Service::Service(ServiceOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {}

Service::~Service() = default;

Response Service::Handle(std::string_view operation_name, std::string_view body) {
  try {
    constexpr std::string_view kTargetPrefix = "DynamoDB_20120810.";
    if (operation_name.starts_with(kTargetPrefix))
      operation_name.remove_prefix(kTargetPrefix.size());
    auto operation = Operations().find(operation_name);
    if (operation == Operations().end()) throw UnknownOperationError();
    if (body.size() > impl_->options.max_body_bytes) {
      throw ValidationError("Request body is larger than " +
                            std::to_string(impl_->options.max_body_bytes) + " bytes");
    }
    Json::Value request = WithExpressions(ParseRequest(body));
    std::lock_guard<std::mutex> lock(impl_->mutex);
    Json::Value response = impl_->Run(
        [&](OperationContext& context) { return operation->second.run(context, request); },
        impl_->options.clock(), operation->second.transaction);
    return {200, ItemText(response)};
  } catch (const ApiError& error) {
    return ErrorResponse(error);
  } catch (const Json::Exception& error) {
    // A member of the wrong JSON type that a reader did not check before using it.
    return ErrorResponse(
        SerializationError(std::string("Unexpected value type in payload: ") + error.what()));
  } catch (const std::exception& error) {
    return ErrorResponse(InternalServerError(error.what()));
  }
}

void Service::EnsureTable(const TableDeclaration& declaration) {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  double now = impl_->options.clock();
  try {
    impl_->Run(
        [&](OperationContext& context) {
          if (context.catalog.Find(declaration.name)) return Json::Value();
          Json::Value response = CreateTable(context, CreateTableRequest(declaration));
          if (declaration.ttl_attribute) {
            Json::Value request;
            request["TableName"] = declaration.name;
            request["TimeToLiveSpecification"]["AttributeName"] = *declaration.ttl_attribute;
            request["TimeToLiveSpecification"]["Enabled"] = true;
            UpdateTimeToLive(context, request);
          }
          return response;
        },
        now);
  } catch (const ApiError& error) {
    throw std::runtime_error("table \"" + declaration.name + "\": " + error.what());
  }
}

int64_t Service::SweepExpired(int64_t now) {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  int64_t deleted = 0;
  Transaction transaction(impl_->db);
  impl_->catalog.Refresh();
  for (const std::string& name : impl_->catalog.Names()) {
    const TableSchema& schema = impl_->catalog.Require(name);
    if (!schema.ttl_attribute) continue;
    deleted += ItemStore(impl_->db, schema, now).DeleteExpired();
  }
  transaction.Commit();
  return deleted;
}

int64_t Service::SweepExpired() {
  return SweepExpired(static_cast<int64_t>(impl_->options.clock()));
}

}  // namespace wsgw::dynamodb
