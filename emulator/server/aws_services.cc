#include "server/aws_services.h"

#include <zlib.h>

#include <utility>
#include <vector>

#include "base/ids.h"
#include "base/log.h"
#include "server/http_responses.h"

namespace wsgw {
namespace {

std::string TargetHeader(lws* wsi) {
  static constexpr char kName[] = "x-amz-target:";
  int length = lws_hdr_custom_length(wsi, kName, sizeof kName - 1);
  if (length <= 0) return "";
  std::string value(static_cast<size_t>(length) + 1, '\0');
  int copied = lws_hdr_custom_copy(wsi, value.data(), length + 1, kName, sizeof kName - 1);
  if (copied < 0) return "";
  value.resize(static_cast<size_t>(copied));
  return value;
}

}  // namespace

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

bool AwsServices::Claim(lws* wsi, const std::string& method) {
  if (server_.options.awsServices.empty() || method != "POST") return false;
  std::string target = TargetHeader(wsi);
  if (target.empty()) return false;
  // A target no service names goes to the first with no operation, for it to answer as AWS
  // does (DynamoDB: UnknownOperationException).
  const AwsJsonService* chosen = &server_.options.awsServices.front();
  std::string operation;
  for (const AwsJsonService& service : server_.options.awsServices) {
    if (target.starts_with(service.targetPrefix)) {
      chosen = &service;
      operation = target.substr(service.targetPrefix.size());
      break;
    }
  }
  Request& request = requests_[wsi];
  request.serial = nextSerial_++;
  request.service = chosen;
  request.operation = std::move(operation);
  return true;
}

int AwsServices::OnBody(lws* wsi, const char* data, size_t length) {
  auto it = requests_.find(wsi);
  if (it == requests_.end()) return 0;
  Request& request = it->second;
  if (request.body.size() + length > request.service->maxBodyBytes) {
    request.tooLarge = true;
    request.body.clear();
  } else if (!request.tooLarge) {
    request.body.append(data, length);
  }
  return 0;
}

int AwsServices::OnBodyComplete(lws* wsi) {
  auto it = requests_.find(wsi);
  if (it == requests_.end()) return 0;
  Request& request = it->second;
  if (request.tooLarge) {
    request.answer = request.service->tooLarge();
    request.answered = true;
    return OnWritable(wsi);
  }
  const AwsJsonService* service = request.service;
  uint64_t serial = request.serial;
  std::string operation = request.operation;
  std::string body = std::move(request.body);
  {
    std::lock_guard<std::mutex> lock(mutex_);
    jobs_.push_back([this, wsi, serial, service, operation = std::move(operation),
                     body = std::move(body)]() mutable {
      AwsJsonAnswer answer = service->handle(operation, std::move(body));
      server_.Post([this, wsi, serial, answer = std::move(answer)]() mutable {
        // The client may have gone, and lws may have reused the wsi's memory for another.
        auto it = requests_.find(wsi);
        if (it == requests_.end() || it->second.serial != serial) return;
        it->second.answer = std::move(answer);
        it->second.answered = true;
        lws_callback_on_writable(wsi);
      });
    });
  }
  wake_.notify_one();
  return 0;
}

int AwsServices::OnWritable(lws* wsi) {
  auto it = requests_.find(wsi);
  if (it == requests_.end() || !it->second.answered) return 0;
  Request request = std::move(it->second);
  requests_.erase(it);
  // DynamoDB sends the body's CRC32; boto3 and the JS SDK check it when it is there.
  const std::string& body = request.answer.body;
  uLong crc = crc32(crc32(0L, Z_NULL, 0), reinterpret_cast<const Bytef*>(body.data()),
                    static_cast<uInt>(body.size()));
  std::vector<std::pair<std::string, std::string>> headers = {
      {"x-amzn-RequestId", NewAmznRequestId()}, {"x-amz-crc32", std::to_string(crc)}};
  return WriteHttpResponse(wsi, request.answer.status, request.service->contentType, headers,
                           request.answer.body);
}

void AwsServices::OnClosed(lws* wsi) { requests_.erase(wsi); }

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
