// echo_handler: the C++ function behind wsgw's echo benchmarks, written on lambda-bridge's runtime
// (wsgw/lambda.h) like any handler a user would write. Every message route answers with the
// message itself: through the route response (a two-way route) by default, or, for
// {"action":"reply"}, through PostToConnection to the sender and an empty result. $connect and
// $disconnect accept.
#include <wsgw/lambda.h>

#include <iostream>
#include <string>

namespace lambda = wsgw::lambda;

namespace {

Json::Value Status(int code) {
  Json::Value result;
  result["statusCode"] = code;
  return result;
}

Json::Value Handle(const Json::Value& event, const lambda::Context&) {
  const Json::Value& request = event["requestContext"];
  const std::string route = request["routeKey"].asString();
  if (route == "$connect" || route == "$disconnect") return Status(200);
  if (route == "reply") {
    lambda::ManagementClient management(event);
    lambda::ManagementResult posted =
        management.Post(request["connectionId"].asString(), event["body"].asString());
    if (!posted.ok()) std::cerr << "reply not delivered: " << posted.message << "\n";
    return Status(posted.ok() ? 200 : 500);
  }
  Json::Value result = Status(200);
  result["body"] = event["body"];
  return result;
}

}  // namespace

int main(int argc, char** argv) { return lambda::Run(Handle, argc, argv); }
