// TableDeclaration: a table the emulator's configuration (routes.json, serverless.yml or SAM
// resources) declares, created at start-up by Service::EnsureTable when missing. As a CreateTable
// request (PAY_PER_REQUEST) plus UpdateTimeToLive, so a declaration is validated exactly like a
// client's CreateTable.
#pragma once

#include <json/json.h>

#include <optional>
#include <string>
#include <vector>

namespace wsgw::dynamodb {

struct DeclaredKey {
  std::string name;
  std::string type = "S";  // "S", "N" or "B"
};

struct DeclaredIndex {
  std::string name;
  bool global = true;  // false: a local secondary index
  DeclaredKey hash_key;
  std::optional<DeclaredKey> range_key;
  std::string projection = "ALL";               // "ALL", "KEYS_ONLY" or "INCLUDE"
  std::vector<std::string> non_key_attributes;  // INCLUDE
};

struct TableDeclaration {
  std::string name;
  DeclaredKey hash_key;
  std::optional<DeclaredKey> range_key;
  std::vector<DeclaredIndex> indexes;
  std::optional<std::string> ttl_attribute;
};

// The CreateTable request body for the declaration.
Json::Value CreateTableRequest(const TableDeclaration& declaration);

}  // namespace wsgw::dynamodb
