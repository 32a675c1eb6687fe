#include "base/install_paths.h"

#include <cstdlib>
#include <filesystem>

namespace wsgw {
namespace {

std::string InstalledOr(const std::filesystem::path& installed, const std::string& source) {
  std::error_code error;
  if (std::filesystem::is_directory(installed, error)) {
    return std::filesystem::weakly_canonical(installed, error).string();
  }
  return source;
}

}  // namespace

std::string ExecutableDirectory() {
  std::error_code error;
  std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe", error);
  return error ? std::string(".") : self.parent_path().string();
}

std::string ShareDirectory() {
  if (const char* configured = std::getenv("WSGW_SHARE_DIR")) return configured;
  return InstalledOr(std::filesystem::path(ExecutableDirectory()) / ".." / "share" / "wsgw",
                     std::string(WSGW_SOURCE_DIR) + "/share");
}

std::string HostsDirectory() {
  if (const char* configured = std::getenv("WSGW_HOSTS_DIR")) return configured;
  return InstalledOr(
      std::filesystem::path(ExecutableDirectory()) / ".." / "share" / "wsgw" / "hosts",
      std::string(WSGW_SOURCE_DIR) + "/lambda-bridge/hosts");
}

}  // namespace wsgw
