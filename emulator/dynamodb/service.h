// Service: DynamoDB's JSON 1.0 API (API version 2012-08-10) on one SQLite database, without a
// transport. The gateway's HTTP front hands it the operation named by X-Amz-Target
// ("DynamoDB_20120810.PutItem" -> "PutItem") and the request body, and writes back the status
// and body it returns, with Content-Type application/x-amz-json-1.0.
//
//   wsgw::dynamodb::Service service({.database_path = "/var/lib/wsgw/dynamodb.sqlite"});
//   service.EnsureTable({.name = "connections", .hash_key = {"connectionId", "S"}});
//   Response response = service.Handle("GetItem", R"({"TableName":"connections",...})");
//
// Every request is one SQLite transaction: a write (BEGIN IMMEDIATE) is applied whole or, on any
// error, not at all; a read sees one consistent snapshot. Refusals have DynamoDB's exact error
// bodies (see api_error.h).
//
// Thread-safety: every public method may be called from any thread; calls are serialised by one
// internal mutex (one SQLite connection). Several processes may share a file database (WAL mode,
// busy timeout), each request still atomic.
//
// Time to live: reads never return an item whose TTL attribute (a number of epoch seconds) is
// before the clock's now; SweepExpired() deletes such items for good. The owner calls it
// periodically.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "dynamodb/table_declaration.h"

namespace wsgw::dynamodb {

struct ServiceOptions {
  // A file (created when missing, tables kept across restarts) or ":memory:".
  std::string database_path = ":memory:";
  // Names the region in ARNs.
  std::string region = "us-east-1";
  // Epoch seconds now, as a double for CreationDateTime; the system clock when empty.
  std::function<double()> clock;
  // Request bodies longer than this are refused (DynamoDB's own limit is 16 MB).
  size_t max_body_bytes = 16 * 1024 * 1024;
};

struct Response {
  int status = 200;
  std::string body;  // JSON
};

class Service {
 public:
  // Opens (or creates) the database; throws std::runtime_error when it cannot.
  explicit Service(ServiceOptions options = {});
  ~Service();
  Service(const Service&) = delete;
  Service& operator=(const Service&) = delete;

  // Runs one operation ("PutItem", "Query", ...; the whole X-Amz-Target value is accepted too).
  // Never throws for bad input: every problem is an error response. Status 200, 400, or 500 when
  // the database itself failed.
  Response Handle(std::string_view operation, std::string_view body);

  // Creates the declared table when no table of that name exists (an existing table is left as
  // it is, whatever its schema). Throws std::runtime_error with DynamoDB's message when the
  // declaration is invalid.
  void EnsureTable(const TableDeclaration& declaration);

  // Deletes every item whose TTL attribute is before `now` (epoch seconds) in every table with
  // TTL enabled; returns how many. SweepExpired() uses the clock.
  int64_t SweepExpired(int64_t now);
  int64_t SweepExpired();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace wsgw::dynamodb
