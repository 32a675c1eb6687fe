// wsgw's local certificate authority, kept in one folder (DATA_DIR/tls/):
//   ca.pem, ca-key.pem (0600)        made once, EC P-256, 10 years, CA:TRUE critical, keyCertSign
//   server.pem, server-key.pem (0600) issued by it for ServerCertificateNames(); re-issued when
//                                    missing, unreadable, not the CA's, expiring within 30 days,
//                                    or covering another set of names; at most 397 days
//   ca-bundle.pem                    ca.pem followed by the system roots, for clients that take
//                                    one bundle instead of adding to theirs (AWS_CA_BUNDLE)
// Several wsgw processes may start at once on the same folder: the work runs under an flock on
// DIR/.lock, and every file is written to a temporary name (created with its final mode) and
// renamed into place.
#pragma once

#include <string>
#include <vector>

namespace wsgw {

struct TlsFiles {
  std::string caFile;        // empty with --tls-cert/--tls-key
  std::string caBundleFile;  // empty with --tls-cert/--tls-key
  std::string certFile;
  std::string keyFile;
};

// Where the system's trusted roots are read from for ca-bundle.pem.
inline constexpr char kSystemRootsFile[] = "/etc/ssl/certs/ca-certificates.crt";

// Makes (or reuses) the CA in `dir` and a server certificate for `names` (ServerCertificateNames).
// False with a sentence naming the file and what failed in *error.
bool EnsureLocalCa(const std::string& dir, const std::vector<std::string>& names, TlsFiles* files,
                   std::string* error, const std::string& system_roots = kSystemRootsFile);

// Makes (or reuses) only the CA in `dir` (for --print-ca).
bool EnsureCaOnly(const std::string& dir, std::string* ca_file, std::string* error);

// A file holding `ca_file` followed by `other` (a bundle a CA variable wsgw inherited names, such
// as NODE_EXTRA_CA_CERTS), so that a function trusts both: DIR/inherited-HASH.pem, HASH from
// `other`'s path. False when `other` cannot be read (the variable is then left as it was).
bool BundleWith(const std::string& dir, const std::string& ca_file, const std::string& other,
                std::string* bundle_file, std::string* error);

// The user's own pair (--tls-cert, --tls-key): both load as PEM and the key is the certificate's.
bool CheckCertificatePair(const std::string& cert_file, const std::string& key_file,
                          std::string* error);

}  // namespace wsgw
