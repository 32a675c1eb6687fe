#include "tls/certificate_names.h"

#include <arpa/inet.h>

#include <algorithm>

namespace wsgw {

const std::vector<std::string>& AwsCommercialRegions() {
  static const std::vector<std::string> kRegions = {
      "us-east-1",      "us-east-2",      "us-west-1",      "us-west-2",      "ca-central-1",
      "eu-west-1",      "eu-west-2",      "eu-west-3",      "eu-central-1",   "eu-central-2",
      "eu-north-1",     "eu-south-1",     "eu-south-2",     "ap-south-1",     "ap-south-2",
      "ap-northeast-1", "ap-northeast-2", "ap-northeast-3", "ap-southeast-1", "ap-southeast-2",
      "ap-southeast-3", "ap-southeast-4", "ap-east-1",      "sa-east-1",      "me-south-1",
      "me-central-1",   "af-south-1",     "il-central-1",
  };
  return kRegions;
}

bool IsIpAddressName(const std::string& name) {
  unsigned char buffer[16];
  return inet_pton(AF_INET, name.c_str(), buffer) == 1 ||
         inet_pton(AF_INET6, name.c_str(), buffer) == 1;
}

std::vector<std::string> ServerCertificateNames(const std::string& host) {
  std::vector<std::string> names = {"127.0.0.1", "::1", "localhost"};
  auto add = [&names](const std::string& name) {
    if (!name.empty() && std::find(names.begin(), names.end(), name) == names.end()) {
      names.push_back(name);
    }
  };
  add(host);
  for (const std::string& region : AwsCommercialRegions()) {
    add("*.execute-api." + region + ".amazonaws.com");
    add("dynamodb." + region + ".amazonaws.com");
  }
  return names;
}

}  // namespace wsgw
