// The names the gateway's server certificate covers: the loopback addresses, localhost, the
// --host value, and AWS's own host names (every commercial region's *.execute-api and dynamodb
// endpoints), which functions wsgw starts resolve to the gateway (WSGW_AWS_REDIRECT).
#pragma once

#include <string>
#include <vector>

namespace wsgw {

// AWS's commercial regions, a fixed list.
const std::vector<std::string>& AwsCommercialRegions();

// The subject alternative names, in a fixed order, without duplicates. An entry that parses as
// an IPv4 or IPv6 address is an IP name; the rest are DNS names.
std::vector<std::string> ServerCertificateNames(const std::string& host);

// True when `name` is an IP address literal (IPv4 or IPv6).
bool IsIpAddressName(const std::string& name);

}  // namespace wsgw
