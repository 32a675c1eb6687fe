// What API Gateway makes of a function's answer (AWS-NOTES §2), as pure decisions.
#pragma once

#include <optional>
#include <string>

#include "invoke_client.h"

namespace wsgw {

struct ConnectVerdict {
  int httpStatus = 200;                    // 2xx accepts; anything else is the handshake's status
  std::optional<std::string> subprotocol;  // only Sec-WebSocket-Protocol is taken from headers
  std::string reason;                      // for the log when not accepted: "function error: ..."
  bool accepted() const { return httpStatus >= 200 && httpStatus < 300; }
};

// $connect. statusCode passed through; function error or malformed result (no statusCode,
// not an object) 502; unreachable 500; timeout 504; invoke endpoint error status 500.
ConnectVerdict InterpretConnectResult(const InvokeOutcome& outcome);

struct MessageVerdict {
  bool failed = false;               // send AWS's "Internal server error" frame
  std::optional<std::string> reply;  // two-way route: the result's "body" (string), if any
  std::string reason;                // for the log when failed
};

// A message route. statusCode ignored; `two_way` = routeResponse; a result body that is not a
// string is sent as its JSON text.
MessageVerdict InterpretMessageResult(const InvokeOutcome& outcome, bool two_way);

// AWS's gateway-generated frame, byte-exact (note the spacing):
// {"message": "Forbidden", "connectionId":"...", "requestId":"..."}
std::string GatewayErrorFrame(const std::string& message, const std::string& connection_id,
                              const std::string& request_id);

}  // namespace wsgw
