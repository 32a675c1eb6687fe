#include "dynamodb/consumed_capacity.h"

#include <algorithm>
#include <cmath>

#include "dynamodb/request_fields.h"

namespace wsgw::dynamodb {
namespace {

Json::Value UnitsJson(double read, double write) {
  Json::Value out;
  out["CapacityUnits"] = read + write;
  if (read > 0) out["ReadCapacityUnits"] = read;
  if (write > 0) out["WriteCapacityUnits"] = write;
  return out;
}

}  // namespace

ConsumedCapacity::ConsumedCapacity(const Json::Value& request)
    : mode_(EnumField(request, "ReturnConsumedCapacity", "returnConsumedCapacity",
                      {"INDEXES", "TOTAL", "NONE"}, "NONE")) {}

double ConsumedCapacity::ReadUnits(int64_t bytes, bool consistent, bool transactional) {
  double units = std::max<double>(1, std::ceil(static_cast<double>(bytes) / 4096));
  if (transactional) return units * 2;
  return consistent ? units : units / 2;
}

double ConsumedCapacity::WriteUnits(int64_t bytes, bool transactional) {
  double units = std::max<double>(1, std::ceil(static_cast<double>(bytes) / 1024));
  return transactional ? units * 2 : units;
}

void ConsumedCapacity::Add(const std::string& table, const std::string& index, bool global,
                           Units units) {
  if (mode_ == "NONE") return;
  TableUnits& entry = tables_[table];
  Units& target = index.empty() ? entry.table
                  : global      ? entry.global_indexes[index]
                                : entry.local_indexes[index];
  target.read += units.read;
  target.write += units.write;
}

void ConsumedCapacity::AddRead(const std::string& table, const std::string& index, bool global,
                               double units) {
  Add(table, index, global, {units, 0});
}

void ConsumedCapacity::AddWrite(const std::string& table, const std::string& index, bool global,
                                double units) {
  Add(table, index, global, {0, units});
}

void ConsumedCapacity::Report(Json::Value& response, bool as_list) const {
  if (mode_ == "NONE") return;
  Json::Value list(Json::arrayValue);
  for (const auto& [table, units] : tables_) {
    double read = units.table.read;
    double write = units.table.write;
    for (const auto* indexes : {&units.global_indexes, &units.local_indexes}) {
      for (const auto& [name, index] : *indexes) {
        read += index.read;
        write += index.write;
      }
    }
    Json::Value entry = UnitsJson(read, write);
    entry["TableName"] = table;
    if (mode_ == "INDEXES") {
      entry["Table"] = UnitsJson(units.table.read, units.table.write);
      for (const auto& [name, index] : units.global_indexes) {
        entry["GlobalSecondaryIndexes"][name] = UnitsJson(index.read, index.write);
      }
      for (const auto& [name, index] : units.local_indexes) {
        entry["LocalSecondaryIndexes"][name] = UnitsJson(index.read, index.write);
      }
    }
    list.append(entry);
  }
  if (as_list) {
    response["ConsumedCapacity"] = list;
  } else if (!list.empty()) {
    response["ConsumedCapacity"] = list[0];
  }
}

}  // namespace wsgw::dynamodb
