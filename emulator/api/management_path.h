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

// nullopt when the path is not an @connections path at all. `decode` percent-decodes each
// segment; pass false for a path that was decoded already (libwebsockets decodes the URI it
// hands to the HTTP callback, and decoding twice would turn "%2541" into "A").
std::optional<ManagementTarget> ParseManagementPath(std::string_view path, bool decode = true);

// The API id in a Host header of API Gateway's own form,
// `{apiId}.execute-api.{region}.amazonaws.com` (any case, an optional port and final dot),
// lowercased; nullopt for any other host. Deployed code that hard-codes its endpoint reaches wsgw
// with such a Host (WSGW_AWS_REDIRECT).
std::optional<std::string> ExecuteApiIdFromHost(std::string_view host);

}  // namespace wsgw
