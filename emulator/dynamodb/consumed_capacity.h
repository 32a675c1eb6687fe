// ConsumedCapacity: the capacity units a request used, reported when it asks with
// ReturnConsumedCapacity TOTAL or INDEXES. Units follow DynamoDB's arithmetic on item sizes: a
// read is ceil(bytes / 4 KB) units (half for eventually consistent reads, double in a
// transaction), a write ceil(bytes / 1 KB) (double in a transaction), each at least 1; a write
// also costs its indexes one write per index row it changes.
#pragma once

#include <json/json.h>

#include <cstdint>
#include <map>
#include <string>

namespace wsgw::dynamodb {

class ConsumedCapacity {
 public:
  // Reads ReturnConsumedCapacity (NONE, TOTAL, INDEXES) from the request.
  explicit ConsumedCapacity(const Json::Value& request);

  static double ReadUnits(int64_t bytes, bool consistent, bool transactional = false);
  static double WriteUnits(int64_t bytes, bool transactional = false);

  // `index` empty for the table itself.
  void AddRead(const std::string& table, const std::string& index, bool global, double units);
  void AddWrite(const std::string& table, const std::string& index, bool global, double units);

  // Sets response["ConsumedCapacity"]: one object (single-table operations) or an array, one
  // object per table (batch and transaction operations). Nothing when NONE.
  void Report(Json::Value& response, bool as_list) const;

 private:
  struct Units {
    double read = 0;
    double write = 0;
  };
  struct TableUnits {
    Units table;
    std::map<std::string, Units> global_indexes;
    std::map<std::string, Units> local_indexes;
  };
  void Add(const std::string& table, const std::string& index, bool global, Units units);

  std::string mode_;
  std::map<std::string, TableUnits> tables_;
};

}  // namespace wsgw::dynamodb
