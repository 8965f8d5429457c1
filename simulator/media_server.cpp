#include "simulator/media_server.h"

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <string_view>

namespace sim {
namespace {

template <typename T, void (*F)(T*)>
struct Deleter {
  void operator()(T* p) const { F(p); }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY, EVP_PKEY_free>>;
using X509Ptr = std::unique_ptr<X509, Deleter<X509, X509_free>>;
using BioPtr = std::unique_ptr<BIO, Deleter<BIO, BIO_free_all>>;

constexpr long kValiditySeconds = 10L * 365 * 24 * 3600;

core::Status ossl_error(std::string_view what) {
  return core::Status::internal(std::string("openssl: ") + std::string(what));
}

core::Result<PkeyPtr> new_key() {
  PkeyPtr key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
  if (!key) return ossl_error("EC key generation failed");
  return key;
}

core::Status add_ext(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
  if (!ext) return ossl_error(std::string("bad extension ") + value);
  int ok = X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
  return ok == 1 ? core::Status() : ossl_error("X509_add_ext");
}

// A certificate for `key` named `cn`, issued by (issuer, issuer_key); self-signed when issuer
// is null.
core::Result<X509Ptr> make_cert(EVP_PKEY* key, const char* cn, X509* issuer, EVP_PKEY* issuer_key,
                                bool is_ca) {
  X509Ptr cert(X509_new());
  if (!cert) return ossl_error("X509_new");
  X509_set_version(cert.get(), 2);  // v3
  uint8_t serial_bytes[8];
  if (RAND_bytes(serial_bytes, sizeof serial_bytes) != 1) return ossl_error("RAND_bytes");
  serial_bytes[0] &= 0x7F;  // positive
  uint64_t serial = 0;
  for (uint8_t b : serial_bytes) serial = (serial << 8) | b;
  ASN1_INTEGER_set_uint64(X509_get_serialNumber(cert.get()), serial | 1);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), kValiditySeconds);
  if (X509_set_pubkey(cert.get(), key) != 1) return ossl_error("X509_set_pubkey");
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("Super Light simulator"), -1,
                             -1, 0);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>(cn),
                             -1, -1, 0);
  X509* signer = issuer ? issuer : cert.get();
  EVP_PKEY* signer_key = issuer ? issuer_key : key;
  X509_set_issuer_name(cert.get(), X509_get_subject_name(signer));

  CORE_RETURN_IF_ERROR(add_ext(cert.get(), signer, NID_subject_key_identifier, "hash"));
  CORE_RETURN_IF_ERROR(add_ext(cert.get(), signer, NID_authority_key_identifier, "keyid:always"));
  if (is_ca) {
    CORE_RETURN_IF_ERROR(add_ext(cert.get(), signer, NID_basic_constraints, "critical,CA:TRUE"));
    CORE_RETURN_IF_ERROR(
        add_ext(cert.get(), signer, NID_key_usage, "critical,keyCertSign,cRLSign"));
  } else {
    CORE_RETURN_IF_ERROR(add_ext(cert.get(), signer, NID_basic_constraints, "critical,CA:FALSE"));
    CORE_RETURN_IF_ERROR(
        add_ext(cert.get(), signer, NID_key_usage, "critical,digitalSignature,keyEncipherment"));
    CORE_RETURN_IF_ERROR(add_ext(cert.get(), signer, NID_ext_key_usage, "serverAuth"));
    CORE_RETURN_IF_ERROR(
        add_ext(cert.get(), signer, NID_subject_alt_name, "IP:127.0.0.1,IP:::1,DNS:localhost"));
  }
  if (X509_sign(cert.get(), signer_key, EVP_sha256()) <= 0) return ossl_error("X509_sign");
  return cert;
}

std::string bio_string(BIO* bio) {
  char* data = nullptr;
  long len = BIO_get_mem_data(bio, &data);
  return len > 0 ? std::string(data, static_cast<size_t>(len)) : std::string();
}

core::Result<std::string> cert_pem(X509* cert) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_X509(bio.get(), cert) != 1) return ossl_error("PEM_write_bio_X509");
  return bio_string(bio.get());
}

core::Result<std::string> key_pem(EVP_PKEY* key) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio ||
      PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    return ossl_error("PEM_write_bio_PrivateKey");
  }
  return bio_string(bio.get());
}

X509Ptr read_cert(const std::string& pem) {
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!bio) return nullptr;
  return X509Ptr(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
}

PkeyPtr read_key(const std::string& pem) {
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!bio) return nullptr;
  return PkeyPtr(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
}

// True if the set parses, the keys match their certificates, the CA signed the leaf and the
// leaf is still valid for at least a day.
bool usable(const MediaTls& t) {
  X509Ptr ca = read_cert(t.ca_pem), leaf = read_cert(t.cert_pem);
  PkeyPtr ca_key = read_key(t.ca_key_pem), key = read_key(t.key_pem);
  if (!ca || !leaf || !ca_key || !key) return false;
  if (X509_check_private_key(ca.get(), ca_key.get()) != 1) return false;
  if (X509_check_private_key(leaf.get(), key.get()) != 1) return false;
  EVP_PKEY* ca_pub = X509_get0_pubkey(ca.get());
  if (!ca_pub || X509_verify(leaf.get(), ca_pub) != 1) return false;
  time_t soon = time(nullptr) + 24 * 3600;
  return X509_cmp_time(X509_get0_notAfter(leaf.get()), &soon) > 0 &&
         X509_cmp_time(X509_get0_notAfter(ca.get()), &soon) > 0;
}

std::optional<std::string> read_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

core::Status write_file(const std::filesystem::path& p, const std::string& data, bool secret) {
  auto tmp = p;
  tmp += ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) return core::Status::unavailable("cannot write " + tmp.string());
    out << data;
    if (!out) return core::Status::unavailable("cannot write " + tmp.string());
  }
  if (secret) ::chmod(tmp.c_str(), 0600);
  std::error_code ec;
  std::filesystem::rename(tmp, p, ec);
  if (ec) return core::Status::unavailable("cannot rename " + tmp.string() + ": " + ec.message());
  return core::Status();
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// URL query component decoding ('+' is a space, %XX an escape; bad escapes stay literal).
std::string url_decode(std::string_view in) {
  std::string out;
  out.reserve(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    char c = in[i];
    if (c == '+') {
      out.push_back(' ');
    } else if (c == '%' && i + 2 < in.size() && hex_value(in[i + 1]) >= 0 &&
               hex_value(in[i + 2]) >= 0) {
      out.push_back(static_cast<char>(hex_value(in[i + 1]) * 16 + hex_value(in[i + 2])));
      i += 2;
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::optional<std::string> query_param(std::string_view query, std::string_view key) {
  size_t pos = 0;
  while (pos <= query.size()) {
    size_t end = query.find('&', pos);
    if (end == std::string_view::npos) end = query.size();
    std::string_view pair = query.substr(pos, end - pos);
    size_t eq = pair.find('=');
    std::string_view k = pair.substr(0, eq);
    if (k == key) {
      return eq == std::string_view::npos ? std::string() : url_decode(pair.substr(eq + 1));
    }
    pos = end + 1;
  }
  return std::nullopt;
}

HttpResponse media_error(const core::Status& s) { return error_response(s); }

}  // namespace

core::Result<MediaTls> generate_media_tls() {
  CORE_ASSIGN_OR_RETURN(PkeyPtr ca_key, new_key());
  CORE_ASSIGN_OR_RETURN(X509Ptr ca, make_cert(ca_key.get(), "Super Light simulator media CA",
                                              nullptr, nullptr, /*is_ca=*/true));
  CORE_ASSIGN_OR_RETURN(PkeyPtr key, new_key());
  CORE_ASSIGN_OR_RETURN(X509Ptr leaf,
                        make_cert(key.get(), "127.0.0.1", ca.get(), ca_key.get(), false));
  MediaTls t;
  CORE_ASSIGN_OR_RETURN(t.ca_pem, cert_pem(ca.get()));
  CORE_ASSIGN_OR_RETURN(t.ca_key_pem, key_pem(ca_key.get()));
  CORE_ASSIGN_OR_RETURN(t.cert_pem, cert_pem(leaf.get()));
  CORE_ASSIGN_OR_RETURN(t.key_pem, key_pem(key.get()));
  return t;
}

core::Result<MediaTls> load_or_create_media_tls(const std::string& state_dir) {
  if (state_dir.empty()) return generate_media_tls();
  namespace fs = std::filesystem;
  fs::path dir(state_dir);
  auto ca = read_file(dir / "media-ca.pem"), ca_key = read_file(dir / "media-ca.key");
  auto cert = read_file(dir / "media.pem"), key = read_file(dir / "media.key");
  if (ca && ca_key && cert && key) {
    MediaTls t{*ca, *ca_key, *cert, *key};
    if (usable(t)) return t;
  }
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return core::Status::unavailable("cannot create " + state_dir + ": " + ec.message());
  // Reuse an intact CA so clients that already trust it keep working; only the leaf is new.
  MediaTls t;
  X509Ptr old_ca = ca ? read_cert(*ca) : nullptr;
  PkeyPtr old_ca_key = ca_key ? read_key(*ca_key) : nullptr;
  if (old_ca && old_ca_key && X509_check_private_key(old_ca.get(), old_ca_key.get()) == 1) {
    CORE_ASSIGN_OR_RETURN(PkeyPtr leaf_key, new_key());
    CORE_ASSIGN_OR_RETURN(X509Ptr leaf, make_cert(leaf_key.get(), "127.0.0.1", old_ca.get(),
                                                  old_ca_key.get(), false));
    t.ca_pem = *ca;
    t.ca_key_pem = *ca_key;
    CORE_ASSIGN_OR_RETURN(t.cert_pem, cert_pem(leaf.get()));
    CORE_ASSIGN_OR_RETURN(t.key_pem, key_pem(leaf_key.get()));
  }
  if (!usable(t)) {
    CORE_ASSIGN_OR_RETURN(t, generate_media_tls());
  }
  CORE_RETURN_IF_ERROR(write_file(dir / "media-ca.key", t.ca_key_pem, true));
  CORE_RETURN_IF_ERROR(write_file(dir / "media-ca.pem", t.ca_pem, false));
  CORE_RETURN_IF_ERROR(write_file(dir / "media.key", t.key_pem, true));
  CORE_RETURN_IF_ERROR(write_file(dir / "media.pem", t.cert_pem, false));
  return t;
}

HttpResponse handle_media_request(Simulator& simulator, const HttpRequest& req) {
  std::string_view target = req.target;
  std::string_view path = target, query;
  if (auto q = target.find('?'); q != std::string_view::npos) {
    path = target.substr(0, q);
    query = target.substr(q + 1);
  }

  if (req.method == "POST") {
    // /mms/<type>/<token> or /newsletter/newsletter-<type>/<token>
    std::string_view rest;
    if (path.starts_with("/mms/")) {
      rest = path.substr(5);
    } else if (path.starts_with("/newsletter/newsletter-")) {
      rest = path.substr(23);
    } else {
      return json_error(404, "not_found", "uploads go to /mms/<type>/<token>");
    }
    size_t slash = rest.find('/');
    if (slash == std::string_view::npos || slash == 0 || slash + 1 >= rest.size() ||
        rest.find('/', slash + 1) != std::string_view::npos) {
      return json_error(400, "invalid_argument", "upload path must be /mms/<type>/<token>");
    }
    std::string type(rest.substr(0, slash));
    std::string token = url_decode(rest.substr(slash + 1));
    std::string auth = query_param(query, "auth").value_or("");
    auto result = simulator.media_upload(type, token, auth, core::to_bytes(req.body));
    if (!result.ok()) return media_error(result.status());
    HttpResponse r;
    r.body = nlohmann::json{{"url", result->url}, {"direct_path", result->direct_path}}.dump();
    return r;
  }
  if (req.method == "GET") {
    auto blob = simulator.media_download(req.target);
    if (!blob.ok()) return media_error(blob.status());
    HttpResponse r;
    r.content_type = "application/octet-stream";
    r.body = core::to_string(*blob);
    return r;
  }
  return json_error(405, "method_not_allowed", "the media host takes POST and GET");
}

}  // namespace sim
