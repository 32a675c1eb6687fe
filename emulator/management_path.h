// Where an @connections request points: `/{stage}/@connections/{id}` or `/@connections/{id}`
// (the form a custom domain's API mapping gives), with `@` possibly sent as `%40` and the id
// percent-encoded (botocore sends `=` as `%3D`).
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace wsgw {

struct ManagementTarget {
  std::optional<std::string> stage;  // absent for `/@connections/{id}`
  std::string connectionId;          // decoded; may be empty (a request without an id)
};

// nullopt when the path is not an @connections path at all.
std::optional<ManagementTarget> ParseManagementPath(std::string_view path);

}  // namespace wsgw
