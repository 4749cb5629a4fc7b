#include "tests/reminders/test_pki.h"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <cstdio>
#include <memory>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace tandem::reminders::testing {
namespace {

struct KeyFree {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
struct CertFree {
  void operator()(X509* cert) const { X509_free(cert); }
};
struct FileClose {
  void operator()(FILE* file) const { std::fclose(file); }
};
using Key = std::unique_ptr<EVP_PKEY, KeyFree>;
using Cert = std::unique_ptr<X509, CertFree>;
using File = std::unique_ptr<FILE, FileClose>;

absl::Status AddExtension(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
  if (ext == nullptr) return absl::InternalError(absl::StrCat("certificate extension ", value));
  const int added = X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
  return added == 1 ? absl::OkStatus() : absl::InternalError("adding a certificate extension failed");
}

// A certificate for `key` named `common_name`, valid from a minute ago for an hour; the caller signs it.
absl::StatusOr<Cert> NewCertificate(EVP_PKEY* key, const std::string& common_name, int serial) {
  Cert cert(X509_new());
  if (cert == nullptr) return absl::InternalError("X509_new failed");
  X509_set_version(cert.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), serial);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -60);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 3600);
  X509_set_pubkey(cert.get(), key);
  X509_NAME_add_entry_by_txt(X509_get_subject_name(cert.get()), "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(common_name.c_str()), -1, -1, 0);
  return cert;
}

absl::StatusOr<PemPair> Write(X509* cert, EVP_PKEY* key, const std::string& cert_file,
                              const std::string& key_file) {
  File cert_out(std::fopen(cert_file.c_str(), "w"));
  File key_out(std::fopen(key_file.c_str(), "w"));
  if (cert_out == nullptr || key_out == nullptr || PEM_write_X509(cert_out.get(), cert) != 1 ||
      PEM_write_PrivateKey(key_out.get(), key, nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    return absl::InternalError(absl::StrCat("writing ", cert_file, " failed"));
  }
  return PemPair{cert_file, key_file};
}

}  // namespace

absl::StatusOr<PemPair> MakeTestCa(const std::string& dir, const std::string& name) {
  Key key(EVP_EC_gen("P-256"));
  if (key == nullptr) return absl::InternalError("key generation failed");
  absl::StatusOr<Cert> cert = NewCertificate(key.get(), absl::StrCat("Tandem test CA ", name), 1);
  if (!cert.ok()) return cert.status();
  X509* ca = cert->get();
  X509_set_issuer_name(ca, X509_get_subject_name(ca));
  for (auto [nid, value] : {std::pair{NID_basic_constraints, "critical,CA:TRUE"},
                            std::pair{NID_key_usage, "critical,keyCertSign,cRLSign"},
                            std::pair{NID_subject_key_identifier, "hash"}}) {
    if (absl::Status added = AddExtension(ca, ca, nid, value); !added.ok()) return added;
  }
  if (X509_sign(ca, key.get(), EVP_sha256()) == 0) return absl::InternalError("signing the CA failed");
  return Write(ca, key.get(), absl::StrCat(dir, "/", name, ".ca.pem"),
               absl::StrCat(dir, "/", name, ".ca.key"));
}

absl::StatusOr<PemPair> IssueServerCertificate(const PemPair& ca, const std::string& dir,
                                               const std::string& name,
                                               const std::string& subject_alt_names) {
  File ca_cert_in(std::fopen(ca.cert_file.c_str(), "r"));
  File ca_key_in(std::fopen(ca.key_file.c_str(), "r"));
  if (ca_cert_in == nullptr || ca_key_in == nullptr) return absl::NotFoundError("CA files are missing");
  Cert ca_cert(PEM_read_X509(ca_cert_in.get(), nullptr, nullptr, nullptr));
  Key ca_key(PEM_read_PrivateKey(ca_key_in.get(), nullptr, nullptr, nullptr));
  if (ca_cert == nullptr || ca_key == nullptr) return absl::InternalError("reading the CA failed");

  Key key(EVP_EC_gen("P-256"));
  if (key == nullptr) return absl::InternalError("key generation failed");
  absl::StatusOr<Cert> cert = NewCertificate(key.get(), name, 2);
  if (!cert.ok()) return cert.status();
  X509* leaf = cert->get();
  X509_set_issuer_name(leaf, X509_get_subject_name(ca_cert.get()));
  for (auto [nid, value] :
       {std::pair{NID_basic_constraints, "critical,CA:FALSE"},
        std::pair{NID_key_usage, "critical,digitalSignature"}, std::pair{NID_ext_key_usage, "serverAuth"},
        std::pair{NID_authority_key_identifier, "keyid:always"},
        std::pair{NID_subject_alt_name, subject_alt_names.c_str()}}) {
    if (absl::Status added = AddExtension(leaf, ca_cert.get(), nid, value); !added.ok()) return added;
  }
  if (X509_sign(leaf, ca_key.get(), EVP_sha256()) == 0) return absl::InternalError("signing failed");
  return Write(leaf, key.get(), absl::StrCat(dir, "/", name, ".pem"), absl::StrCat(dir, "/", name, ".key"));
}

}  // namespace tandem::reminders::testing
