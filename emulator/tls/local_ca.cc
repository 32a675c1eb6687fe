#include "tls/local_ca.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <memory>
#include <set>
#include <sstream>

#include "tls/certificate_names.h"

namespace wsgw {
namespace {

constexpr long kCaDays = 3650;
constexpr long kServerDays = 397;  // the most Chromium and Apple accept for a server certificate
constexpr long kRenewWithinSeconds = 30L * 24 * 3600;

struct FreeKey {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
struct FreeCert {
  void operator()(X509* cert) const { X509_free(cert); }
};
using Key = std::unique_ptr<EVP_PKEY, FreeKey>;
using Cert = std::unique_ptr<X509, FreeCert>;

std::string OpenSslError() {
  unsigned long code = ERR_get_error();
  ERR_clear_error();
  if (code == 0) return "unknown OpenSSL error";
  char text[256];
  ERR_error_string_n(code, text, sizeof text);
  return text;
}

std::string ReadFile(const std::string& path, bool* ok) {
  std::ifstream in(path, std::ios::binary);
  *ok = static_cast<bool>(in);
  std::stringstream content;
  content << in.rdbuf();
  return content.str();
}

Cert LoadCert(const std::string& path) {
  FILE* file = std::fopen(path.c_str(), "r");
  if (file == nullptr) return nullptr;
  X509* cert = PEM_read_X509(file, nullptr, nullptr, nullptr);
  std::fclose(file);
  ERR_clear_error();
  return Cert(cert);
}

Key LoadKey(const std::string& path) {
  FILE* file = std::fopen(path.c_str(), "r");
  if (file == nullptr) return nullptr;
  // No passphrase prompt on the terminal: an encrypted key simply does not load.
  pem_password_cb* no_passphrase = [](char*, int, int, void*) { return 0; };
  EVP_PKEY* key = PEM_read_PrivateKey(file, nullptr, no_passphrase, nullptr);
  std::fclose(file);
  ERR_clear_error();
  return Key(key);
}

std::string ToPem(X509* cert) {
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_X509(bio, cert);
  char* data = nullptr;
  long size = BIO_get_mem_data(bio, &data);
  std::string out(data, static_cast<size_t>(size));
  BIO_free(bio);
  return out;
}

std::string ToPem(EVP_PKEY* key) {
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PrivateKey(bio, key, nullptr, nullptr, 0, nullptr, nullptr);
  char* data = nullptr;
  long size = BIO_get_mem_data(bio, &data);
  std::string out(data, static_cast<size_t>(size));
  BIO_free(bio);
  return out;
}

// Writes `content` to a temporary file created with `mode` (never wider, even for a moment),
// then renames it over `path`.
bool WriteAtomically(const std::string& path, const std::string& content, mode_t mode,
                     std::string* error) {
  std::string temporary = path + ".tmp." + std::to_string(getpid());
  int fd = open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0) {
    *error = "cannot create " + temporary + ": " + strerror(errno);
    return false;
  }
  // An earlier temporary of the same name may have been made with other bits.
  fchmod(fd, mode);
  size_t written = 0;
  while (written < content.size()) {
    ssize_t n = write(fd, content.data() + written, content.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      *error = "cannot write " + temporary + ": " + strerror(errno);
      close(fd);
      unlink(temporary.c_str());
      return false;
    }
    written += static_cast<size_t>(n);
  }
  if (fsync(fd) != 0 || close(fd) != 0) {
    *error = "cannot write " + temporary + ": " + strerror(errno);
    unlink(temporary.c_str());
    return false;
  }
  if (rename(temporary.c_str(), path.c_str()) != 0) {
    *error = "cannot rename " + temporary + " to " + path + ": " + strerror(errno);
    unlink(temporary.c_str());
    return false;
  }
  return true;
}

Key NewP256Key() { return Key(EVP_EC_gen("P-256")); }

bool AddExtension(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX context;
  X509V3_set_ctx_nodb(&context);
  X509V3_set_ctx(&context, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* extension = X509V3_EXT_conf_nid(nullptr, &context, nid, value);
  if (extension == nullptr) return false;
  bool ok = X509_add_ext(cert, extension, -1) == 1;
  X509_EXTENSION_free(extension);
  return ok;
}

bool SetRandomSerial(X509* cert) {
  unsigned char bytes[16];
  if (RAND_bytes(bytes, sizeof bytes) != 1) return false;
  bytes[0] &= 0x7f;  // positive
  BIGNUM* number = BN_bin2bn(bytes, sizeof bytes, nullptr);
  bool ok = number != nullptr && BN_to_ASN1_INTEGER(number, X509_get_serialNumber(cert)) != nullptr;
  BN_free(number);
  return ok;
}

Cert NewCertificate(EVP_PKEY* key, const std::string& common_name, long days) {
  Cert cert(X509_new());
  if (!cert || X509_set_version(cert.get(), 2) != 1 || !SetRandomSerial(cert.get())) return nullptr;
  // An hour back, so that a client whose clock is slightly behind still accepts it.
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), days * 24 * 3600);
  X509_set_pubkey(cert.get(), key);
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8,
                             reinterpret_cast<const unsigned char*>("wsgw local development"), -1,
                             -1, 0);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                             reinterpret_cast<const unsigned char*>(common_name.c_str()), -1, -1,
                             0);
  return cert;
}

bool MakeCa(Key* key, Cert* cert, std::string* error) {
  char host[256] = {};
  gethostname(host, sizeof host - 1);
  *key = NewP256Key();
  if (!*key) {
    *error = "cannot make the CA's key: " + OpenSslError();
    return false;
  }
  *cert = NewCertificate(key->get(), std::string("wsgw local CA (") + host + ")", kCaDays);
  if (!*cert || X509_set_issuer_name(cert->get(), X509_get_subject_name(cert->get())) != 1 ||
      !AddExtension(cert->get(), cert->get(), NID_basic_constraints, "critical,CA:TRUE") ||
      !AddExtension(cert->get(), cert->get(), NID_key_usage, "critical,keyCertSign,cRLSign") ||
      !AddExtension(cert->get(), cert->get(), NID_subject_key_identifier, "hash") ||
      X509_sign(cert->get(), key->get(), EVP_sha256()) == 0) {
    *error = "cannot make the CA's certificate: " + OpenSslError();
    return false;
  }
  return true;
}

std::string SanValue(const std::vector<std::string>& names) {
  std::string value;
  for (const std::string& name : names) {
    if (!value.empty()) value += ",";
    value += (IsIpAddressName(name) ? "IP:" : "DNS:") + name;
  }
  return value;
}

// The certificate's subject alternative names, IP addresses in their canonical text.
std::set<std::string> NamesOf(X509* cert) {
  std::set<std::string> names;
  auto* general =
      static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr));
  if (general == nullptr) return names;
  for (int i = 0; i < sk_GENERAL_NAME_num(general); ++i) {
    const GENERAL_NAME* entry = sk_GENERAL_NAME_value(general, i);
    if (entry->type == GEN_DNS) {
      const ASN1_STRING* text = entry->d.dNSName;
      names.insert(std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(text)),
                               static_cast<size_t>(ASN1_STRING_length(text))));
    } else if (entry->type == GEN_IPADD) {
      const ASN1_OCTET_STRING* ip = entry->d.iPAddress;
      char text[INET6_ADDRSTRLEN] = {};
      int family = ASN1_STRING_length(ip) == 4 ? AF_INET : AF_INET6;
      if (inet_ntop(family, ASN1_STRING_get0_data(ip), text, sizeof text) != nullptr) {
        names.insert(text);
      }
    }
  }
  GENERAL_NAMES_free(general);
  return names;
}

std::set<std::string> CanonicalNames(const std::vector<std::string>& names) {
  std::set<std::string> out;
  for (const std::string& name : names) {
    unsigned char address[16];
    char text[INET6_ADDRSTRLEN] = {};
    if (inet_pton(AF_INET, name.c_str(), address) == 1) {
      inet_ntop(AF_INET, address, text, sizeof text);
      out.insert(text);
    } else if (inet_pton(AF_INET6, name.c_str(), address) == 1) {
      inet_ntop(AF_INET6, address, text, sizeof text);
      out.insert(text);
    } else {
      out.insert(name);
    }
  }
  return out;
}

// Seconds from now until the certificate expires (negative once it has).
long SecondsLeft(X509* cert) {
  int days = 0;
  int seconds = 0;
  if (ASN1_TIME_diff(&days, &seconds, nullptr, X509_get0_notAfter(cert)) != 1) return -1;
  return static_cast<long>(days) * 24 * 3600 + seconds;
}

// Why the server pair in `dir` must be issued again, or empty when it is good.
std::string ServerPairProblem(const std::string& cert_file, const std::string& key_file,
                              EVP_PKEY* ca_key, const std::vector<std::string>& names) {
  Cert cert = LoadCert(cert_file);
  if (!cert) return "missing or unreadable";
  Key key = LoadKey(key_file);
  if (!key) return "its key is missing or unreadable";
  if (X509_check_private_key(cert.get(), key.get()) != 1) {
    ERR_clear_error();
    return "its key does not match";
  }
  if (X509_verify(cert.get(), ca_key) != 1) {
    ERR_clear_error();
    return "not issued by the current CA";
  }
  if (SecondsLeft(cert.get()) < kRenewWithinSeconds) return "expires within 30 days";
  if (NamesOf(cert.get()) != CanonicalNames(names)) return "covers other names";
  return "";
}

bool IssueServerPair(const std::string& cert_file, const std::string& key_file, X509* ca_cert,
                     EVP_PKEY* ca_key, const std::vector<std::string>& names, std::string* error) {
  Key key = NewP256Key();
  if (!key) {
    *error = "cannot make the server's key: " + OpenSslError();
    return false;
  }
  Cert cert = NewCertificate(key.get(), "wsgw gateway", kServerDays);
  if (!cert || X509_set_issuer_name(cert.get(), X509_get_subject_name(ca_cert)) != 1 ||
      !AddExtension(cert.get(), ca_cert, NID_basic_constraints, "critical,CA:FALSE") ||
      !AddExtension(cert.get(), ca_cert, NID_key_usage, "critical,digitalSignature") ||
      !AddExtension(cert.get(), ca_cert, NID_ext_key_usage, "serverAuth") ||
      !AddExtension(cert.get(), ca_cert, NID_subject_key_identifier, "hash") ||
      !AddExtension(cert.get(), ca_cert, NID_authority_key_identifier, "keyid:always") ||
      !AddExtension(cert.get(), ca_cert, NID_subject_alt_name, SanValue(names).c_str()) ||
      X509_sign(cert.get(), ca_key, EVP_sha256()) == 0) {
    *error = "cannot issue the server certificate: " + OpenSslError();
    return false;
  }
  // The key first: a reader that sees the new certificate finds its key already in place.
  return WriteAtomically(key_file, ToPem(key.get()), 0600, error) &&
         WriteAtomically(cert_file, ToPem(cert.get()), 0644, error);
}

// Holds an exclusive flock on DIR/.lock for its lifetime.
class DirectoryLock {
 public:
  DirectoryLock(const std::string& dir, std::string* error) {
    std::string path = dir + "/.lock";
    fd_ = open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd_ < 0) {
      *error = "cannot open " + path + ": " + strerror(errno);
      return;
    }
    while (flock(fd_, LOCK_EX) != 0) {
      if (errno != EINTR) {
        *error = "cannot lock " + path + ": " + strerror(errno);
        close(fd_);
        fd_ = -1;
        return;
      }
    }
  }
  ~DirectoryLock() {
    if (fd_ >= 0) close(fd_);
  }
  bool held() const { return fd_ >= 0; }

 private:
  int fd_ = -1;
};

bool MakeDirectory(const std::string& dir, std::string* error) {
  std::error_code code;
  std::filesystem::create_directories(dir, code);
  if (code) {
    *error = "cannot create " + dir + ": " + code.message();
    return false;
  }
  chmod(dir.c_str(), 0700);
  return true;
}

// Loads the CA in `dir`, making it when missing or unusable. `*made`: a new one was made.
bool LoadOrMakeCa(const std::string& dir, Key* key, Cert* cert, bool* made, std::string* error) {
  const std::string ca_file = dir + "/ca.pem";
  const std::string ca_key_file = dir + "/ca-key.pem";
  *made = false;
  *cert = LoadCert(ca_file);
  *key = LoadKey(ca_key_file);
  if (*cert && *key && X509_check_private_key(cert->get(), key->get()) == 1 &&
      SecondsLeft(cert->get()) > kRenewWithinSeconds) {
    return true;
  }
  ERR_clear_error();
  if (!MakeCa(key, cert, error)) return false;
  *made = true;
  return WriteAtomically(ca_key_file, ToPem(key->get()), 0600, error) &&
         WriteAtomically(ca_file, ToPem(cert->get()), 0644, error);
}

}  // namespace

bool EnsureCaOnly(const std::string& dir, std::string* ca_file, std::string* error) {
  if (!MakeDirectory(dir, error)) return false;
  DirectoryLock lock(dir, error);
  if (!lock.held()) return false;
  Key key;
  Cert cert;
  bool made = false;
  if (!LoadOrMakeCa(dir, &key, &cert, &made, error)) return false;
  *ca_file = dir + "/ca.pem";
  return true;
}

bool EnsureLocalCa(const std::string& dir, const std::vector<std::string>& names, TlsFiles* files,
                   std::string* error, const std::string& system_roots) {
  if (!MakeDirectory(dir, error)) return false;
  DirectoryLock lock(dir, error);
  if (!lock.held()) return false;
  Key ca_key;
  Cert ca_cert;
  bool made = false;
  if (!LoadOrMakeCa(dir, &ca_key, &ca_cert, &made, error)) return false;

  files->caFile = dir + "/ca.pem";
  files->caBundleFile = dir + "/ca-bundle.pem";
  files->certFile = dir + "/server.pem";
  files->keyFile = dir + "/server-key.pem";
  if (ServerPairProblem(files->certFile, files->keyFile, ca_key.get(), names) != "" &&
      !IssueServerPair(files->certFile, files->keyFile, ca_cert.get(), ca_key.get(), names,
                       error)) {
    return false;
  }

  bool roots_ok = false;
  std::string bundle = ToPem(ca_cert.get()) + ReadFile(system_roots, &roots_ok);
  bool bundle_ok = false;
  if (ReadFile(files->caBundleFile, &bundle_ok) != bundle || !bundle_ok) {
    if (!WriteAtomically(files->caBundleFile, bundle, 0644, error)) return false;
  }
  return true;
}

bool BundleWith(const std::string& dir, const std::string& ca_file, const std::string& other,
                std::string* bundle_file, std::string* error) {
  bool ca_ok = false;
  bool other_ok = false;
  std::string ca = ReadFile(ca_file, &ca_ok);
  std::string inherited = ReadFile(other, &other_ok);
  if (!ca_ok || !other_ok) {
    *error = "cannot read " + (ca_ok ? other : ca_file);
    return false;
  }
  uint64_t hash = 1469598103934665603ULL;  // FNV-1a of the path: one file per inherited bundle
  for (unsigned char c : other) hash = (hash ^ c) * 1099511628211ULL;
  char name[32];
  std::snprintf(name, sizeof name, "inherited-%016llx.pem", static_cast<unsigned long long>(hash));
  *bundle_file = dir + "/" + name;
  std::string content = ca + (ca.empty() || ca.back() == '\n' ? "" : "\n") + inherited;
  bool current_ok = false;
  if (ReadFile(*bundle_file, &current_ok) == content && current_ok) return true;
  return WriteAtomically(*bundle_file, content, 0644, error);
}

bool CheckCertificatePair(const std::string& cert_file, const std::string& key_file,
                          std::string* error) {
  Cert cert = LoadCert(cert_file);
  if (!cert) {
    *error = "--tls-cert " + cert_file + ": " +
             (access(cert_file.c_str(), R_OK) != 0 ? std::string(strerror(errno))
                                                   : "not a PEM certificate");
    return false;
  }
  Key key = LoadKey(key_file);
  if (!key) {
    *error =
        "--tls-key " + key_file + ": " +
        (access(key_file.c_str(), R_OK) != 0 ? std::string(strerror(errno))
                                             : "not a PEM private key (or one with a passphrase)");
    return false;
  }
  if (X509_check_private_key(cert.get(), key.get()) != 1) {
    ERR_clear_error();
    *error = "--tls-key " + key_file + " is not the key of --tls-cert " + cert_file;
    return false;
  }
  return true;
}

}  // namespace wsgw
