#include "server/aws_services.h"

#include <zlib.h>

#include <optional>
#include <utility>
#include <vector>

#include "base/ids.h"
#include "base/log.h"
#include "server/http_responses.h"

namespace wsgw {

AwsServices::AwsServices(ServerContext& server) : server_(server) {
  if (!server_.options.awsServices.empty()) worker_ = std::thread([this] { RunWorker(); });
}

AwsServices::~AwsServices() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (worker_.joinable()) worker_.join();
}

const AwsJsonService* AwsServices::ServiceFor(const HttpHead& head) const {
  if (server_.options.awsServices.empty() || head.method != "POST") return nullptr;
  std::optional<std::string> target = head.Header("X-Amz-Target");
  if (!target || target->empty()) return nullptr;
  for (const AwsJsonService& service : server_.options.awsServices) {
    if (target->starts_with(service.targetPrefix)) return &service;
  }
  // A target no service names goes to the first, for it to answer as AWS does (DynamoDB:
  // UnknownOperationException).
  return &server_.options.awsServices.front();
}

HttpResponse AwsServices::AnswerOf(const AwsJsonService& service,
                                 const AwsJsonAnswer& answer) const {
  // DynamoDB sends the body's CRC32; boto3 and the JS SDK check it when it is there.
  uLong crc = crc32(crc32(0L, Z_NULL, 0), reinterpret_cast<const Bytef*>(answer.body.data()),
                    static_cast<uInt>(answer.body.size()));
  HttpResponse http;
  http.status = answer.status;
  http.contentType = service.contentType;
  http.headers = {{"x-amzn-RequestId", NewAmznRequestId()}, {"x-amz-crc32", std::to_string(crc)}};
  http.body = answer.body;
  return http;
}

HttpResponse AwsServices::TooLarge(const AwsJsonService& service) const {
  // The service's own words and status (DynamoDB: 400 ValidationException), decided from the
  // head before the body is read; the connection closes after it.
  return AnswerOf(service, service.tooLarge());
}

void AwsServices::Handle(const AwsJsonService& service, HttpRequest request, HttpReply reply) {
  std::string target = request.head.Header("X-Amz-Target").value_or("");
  std::string operation =
      target.starts_with(service.targetPrefix) ? target.substr(service.targetPrefix.size()) : "";
  const AwsJsonService* chosen = &service;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    jobs_.push_back([this, chosen, operation = std::move(operation),
                     body = std::move(request.body), reply = std::move(reply)]() mutable {
      AwsJsonAnswer answer = chosen->handle(operation, std::move(body));
      server_.Post([this, chosen, answer = std::move(answer), reply = std::move(reply)] {
        reply(AnswerOf(*chosen, answer));
      });
    });
  }
  wake_.notify_one();
}

void AwsServices::RunWorker() {
  while (true) {
    std::function<void()> job;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      wake_.wait(lock, [this] { return stopping_ || !jobs_.empty(); });
      if (stopping_) return;
      job = std::move(jobs_.front());
      jobs_.pop_front();
    }
    job();
  }
}

}  // namespace wsgw
