// Where wsgw's own files are: beside the installed binary (PREFIX/bin/wsgw-emulate with
// PREFIX/share/wsgw), else in the source tree it was built from.
#pragma once

#include <string>

namespace wsgw {

// The folder holding the running executable.
std::string ExecutableDirectory();

// $WSGW_SHARE_DIR, else PREFIX/share/wsgw, else the source tree's share/.
std::string ShareDirectory();

// The Node.js and Python hosts: $WSGW_HOSTS_DIR, else PREFIX/share/wsgw/hosts, else the
// source tree's lambda-bridge/hosts.
std::string HostsDirectory();

}  // namespace wsgw
