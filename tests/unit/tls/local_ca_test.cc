#include "tls/local_ca.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <set>
#include <sstream>
#include <thread>

#include "tls/certificate_names.h"

namespace wsgw {
namespace {

std::string Read(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream content;
  content << in.rdbuf();
  return content.str();
}

void Write(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << text;
}

struct FreeCert {
  void operator()(X509* cert) const { X509_free(cert); }
};
using Cert = std::unique_ptr<X509, FreeCert>;

Cert Load(const std::string& path) {
  FILE* file = std::fopen(path.c_str(), "r");
  if (file == nullptr) return nullptr;
  X509* cert = PEM_read_X509(file, nullptr, nullptr, nullptr);
  std::fclose(file);
  return Cert(cert);
}

std::set<std::string> AltNames(X509* cert) {
  std::set<std::string> names;
  auto* general =
      static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr));
  for (int i = 0; general != nullptr && i < sk_GENERAL_NAME_num(general); ++i) {
    const GENERAL_NAME* entry = sk_GENERAL_NAME_value(general, i);
    if (entry->type == GEN_DNS) {
      names.insert(reinterpret_cast<const char*>(ASN1_STRING_get0_data(entry->d.dNSName)));
    } else if (entry->type == GEN_IPADD) {
      char text[INET6_ADDRSTRLEN] = {};
      int family = ASN1_STRING_length(entry->d.iPAddress) == 4 ? AF_INET : AF_INET6;
      inet_ntop(family, ASN1_STRING_get0_data(entry->d.iPAddress), text, sizeof text);
      names.insert(text);
    }
  }
  GENERAL_NAMES_free(general);
  return names;
}

int DaysLeft(X509* cert) {
  int days = 0;
  int seconds = 0;
  ASN1_TIME_diff(&days, &seconds, nullptr, X509_get0_notAfter(cert));
  return days;
}

class LocalCaTest : public testing::Test {
 protected:
  void SetUp() override {
    base_ = std::filesystem::temp_directory_path() /
            ("wsgw-tls-" + std::to_string(getpid()) + "-" +
             testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(base_);
    dir_ = (base_ / "tls").string();
    roots_ = (base_ / "roots.pem").string();
    std::filesystem::create_directories(base_);
    Write(roots_, "-----BEGIN CERTIFICATE-----\nSYSTEMROOTS\n-----END CERTIFICATE-----\n");
  }
  void TearDown() override { std::filesystem::remove_all(base_); }

  TlsFiles Ensure(const std::string& host) {
    TlsFiles files;
    std::string error;
    EXPECT_TRUE(EnsureLocalCa(dir_, ServerCertificateNames(host), &files, &error, roots_)) << error;
    return files;
  }

  std::filesystem::path base_;
  std::string dir_;
  std::string roots_;
};

TEST_F(LocalCaTest, MakesTheCaOnceAndReusesItAndTheServerPair) {
  TlsFiles first = Ensure("127.0.0.1");
  std::string ca = Read(first.caFile);
  std::string server = Read(first.certFile);
  ASSERT_FALSE(ca.empty());
  TlsFiles second = Ensure("127.0.0.1");
  EXPECT_EQ(Read(second.caFile), ca);
  EXPECT_EQ(Read(second.certFile), server);
  std::string printed;
  std::string error;
  ASSERT_TRUE(EnsureCaOnly(dir_, &printed, &error)) << error;
  EXPECT_EQ(printed, first.caFile);
  EXPECT_EQ(Read(printed), ca);
}

TEST_F(LocalCaTest, KeysAreMode0600) {
  Ensure("127.0.0.1");
  for (const char* name : {"ca-key.pem", "server-key.pem"}) {
    struct stat info {};
    ASSERT_EQ(stat((dir_ + "/" + name).c_str(), &info), 0) << name;
    EXPECT_EQ(info.st_mode & 0777, 0600u) << name;
  }
}

TEST_F(LocalCaTest, TheCaIsACaAndTheServerCertificateIsItsServerCertificate) {
  TlsFiles files = Ensure("127.0.0.1");
  Cert ca = Load(files.caFile);
  Cert server = Load(files.certFile);
  ASSERT_TRUE(ca && server);
  int critical = 0;
  auto* constraints = static_cast<BASIC_CONSTRAINTS*>(
      X509_get_ext_d2i(ca.get(), NID_basic_constraints, &critical, nullptr));
  ASSERT_NE(constraints, nullptr);
  EXPECT_TRUE(constraints->ca);
  EXPECT_EQ(critical, 1);
  BASIC_CONSTRAINTS_free(constraints);
  EXPECT_TRUE(X509_get_key_usage(ca.get()) & KU_KEY_CERT_SIGN);
  EXPECT_GT(DaysLeft(ca.get()), 3600);

  EXPECT_EQ(X509_check_issued(ca.get(), server.get()), X509_V_OK);
  EXPECT_EQ(X509_verify(server.get(), X509_get0_pubkey(ca.get())), 1);
  EXPECT_TRUE(X509_get_extended_key_usage(server.get()) & XKU_SSL_SERVER);
  EXPECT_LE(DaysLeft(server.get()), 397);
  EXPECT_GT(DaysLeft(server.get()), 390);
  EXPECT_EQ(EVP_PKEY_get_base_id(X509_get0_pubkey(server.get())), EVP_PKEY_EC);
  EXPECT_EQ(X509_get_signature_nid(server.get()), NID_ecdsa_with_SHA256);
}

TEST_F(LocalCaTest, TheServerCertificateCoversLoopbackTheHostAndAwsNames) {
  TlsFiles files = Ensure("wsgw.test");
  Cert server = Load(files.certFile);
  std::set<std::string> names = AltNames(server.get());
  for (const char* expected :
       {"127.0.0.1", "::1", "localhost", "wsgw.test", "*.execute-api.us-east-1.amazonaws.com",
        "dynamodb.us-east-1.amazonaws.com", "*.execute-api.il-central-1.amazonaws.com",
        "dynamodb.ap-southeast-4.amazonaws.com"}) {
    EXPECT_TRUE(names.count(expected)) << expected;
  }
  EXPECT_EQ(names.size(), 4 + 2 * AwsCommercialRegions().size());
}

TEST_F(LocalCaTest, ReissuesTheServerCertificateWhenTheNamesChangeAndKeepsTheCa) {
  TlsFiles first = Ensure("127.0.0.1");
  std::string ca = Read(first.caFile);
  std::string server = Read(first.certFile);
  TlsFiles second = Ensure("10.1.2.3");
  EXPECT_EQ(Read(second.caFile), ca);
  EXPECT_NE(Read(second.certFile), server);
  EXPECT_TRUE(AltNames(Load(second.certFile).get()).count("10.1.2.3"));
}

TEST_F(LocalCaTest, ReissuesAnUnreadableServerCertificateOrOneWithAnotherKey) {
  TlsFiles first = Ensure("127.0.0.1");
  Write(first.certFile, "garbage");
  TlsFiles second = Ensure("127.0.0.1");
  ASSERT_TRUE(Load(second.certFile));
  std::string server = Read(second.certFile);
  Write(second.keyFile, Read(dir_ + "/ca-key.pem"));  // a key that is not the certificate's
  TlsFiles third = Ensure("127.0.0.1");
  EXPECT_NE(Read(third.certFile), server);
  std::string error;
  EXPECT_TRUE(CheckCertificatePair(third.certFile, third.keyFile, &error)) << error;
}

TEST_F(LocalCaTest, AnUnusableCaIsMadeAgainAndTheServerCertificateFollowsIt) {
  TlsFiles first = Ensure("127.0.0.1");
  std::string ca = Read(first.caFile);
  Write(first.caFile, "not a certificate");
  TlsFiles second = Ensure("127.0.0.1");
  EXPECT_NE(Read(second.caFile), ca);
  Cert new_ca = Load(second.caFile);
  Cert server = Load(second.certFile);
  EXPECT_EQ(X509_verify(server.get(), X509_get0_pubkey(new_ca.get())), 1);
}

TEST_F(LocalCaTest, TheBundleIsTheCaThenTheSystemRoots) {
  TlsFiles files = Ensure("127.0.0.1");
  EXPECT_EQ(Read(files.caBundleFile), Read(files.caFile) + Read(roots_));
}

TEST_F(LocalCaTest, ConcurrentFirstStartsAgreeOnOneCa) {
  TlsFiles a;
  TlsFiles b;
  bool ok_a = false;
  bool ok_b = false;
  std::string error_a;
  std::string error_b;
  std::vector<std::string> names = ServerCertificateNames("127.0.0.1");
  std::thread first([&] { ok_a = EnsureLocalCa(dir_, names, &a, &error_a, roots_); });
  std::thread second([&] { ok_b = EnsureLocalCa(dir_, names, &b, &error_b, roots_); });
  first.join();
  second.join();
  ASSERT_TRUE(ok_a) << error_a;
  ASSERT_TRUE(ok_b) << error_b;
  Cert ca = Load(a.caFile);
  Cert server = Load(b.certFile);
  EXPECT_EQ(X509_verify(server.get(), X509_get0_pubkey(ca.get())), 1);
  std::string error;
  EXPECT_TRUE(CheckCertificatePair(a.certFile, a.keyFile, &error)) << error;
}

TEST_F(LocalCaTest, AFolderThatCannotBeMadeIsAnError) {
  Write((base_ / "file").string(), "x");
  TlsFiles files;
  std::string error;
  EXPECT_FALSE(EnsureLocalCa((base_ / "file" / "tls").string(), ServerCertificateNames(""), &files,
                             &error, roots_));
  EXPECT_NE(error.find("cannot create"), std::string::npos) << error;
}

TEST_F(LocalCaTest, BundleWithHoldsTheCaAndTheInheritedFile) {
  TlsFiles files = Ensure("127.0.0.1");
  std::string bundle;
  std::string error;
  ASSERT_TRUE(BundleWith(dir_, files.caFile, roots_, &bundle, &error)) << error;
  EXPECT_EQ(Read(bundle), Read(files.caFile) + Read(roots_));
  EXPECT_FALSE(BundleWith(dir_, files.caFile, "/no/such/file", &bundle, &error));
  EXPECT_NE(error.find("/no/such/file"), std::string::npos);
}

TEST_F(LocalCaTest, CheckCertificatePairNamesWhatIsWrong) {
  TlsFiles files = Ensure("127.0.0.1");
  std::string error;
  EXPECT_TRUE(CheckCertificatePair(files.certFile, files.keyFile, &error)) << error;
  EXPECT_FALSE(CheckCertificatePair(dir_ + "/missing.pem", files.keyFile, &error));
  EXPECT_NE(error.find("--tls-cert"), std::string::npos) << error;
  EXPECT_NE(error.find("No such file"), std::string::npos) << error;
  EXPECT_FALSE(CheckCertificatePair(files.keyFile, files.keyFile, &error));
  EXPECT_NE(error.find("not a PEM certificate"), std::string::npos) << error;
  EXPECT_FALSE(CheckCertificatePair(files.certFile, files.certFile, &error));
  EXPECT_NE(error.find("not a PEM private key"), std::string::npos) << error;
  EXPECT_FALSE(CheckCertificatePair(files.certFile, dir_ + "/ca-key.pem", &error));
  EXPECT_NE(error.find("is not the key of"), std::string::npos) << error;
}

TEST(CertificateNamesTest, ListsLoopbackTheHostAndEveryRegionOnce) {
  std::vector<std::string> names = ServerCertificateNames("localhost");
  EXPECT_EQ(names.size(), 3 + 2 * AwsCommercialRegions().size());
  EXPECT_EQ(AwsCommercialRegions().size(), 28u);
  EXPECT_EQ(names[0], "127.0.0.1");
  EXPECT_EQ(ServerCertificateNames("").size(), names.size());
  EXPECT_TRUE(IsIpAddressName("::1"));
  EXPECT_TRUE(IsIpAddressName("10.0.0.1"));
  EXPECT_FALSE(IsIpAddressName("localhost"));
  EXPECT_FALSE(IsIpAddressName("1.2.3"));
}

}  // namespace
}  // namespace wsgw
