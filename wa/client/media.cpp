#include "wa/client/media.h"

#include "core/encoding.h"
#include "crypto/aes.h"
#include "crypto/hash.h"
#include "crypto/hmac.h"
#include "crypto/kdf.h"
#include "crypto/util.h"

namespace wa::client {

std::string media_hkdf_info(MediaKind kind) {
  switch (kind) {
    case MediaKind::kImage:
    case MediaKind::kSticker:
      return "WhatsApp Image Keys";
    case MediaKind::kVideo:
      return "WhatsApp Video Keys";
    case MediaKind::kAudio:
      return "WhatsApp Audio Keys";
    case MediaKind::kDocument:
      return "WhatsApp Document Keys";
    case MediaKind::kHistory:
      return "WhatsApp History Keys";
    case MediaKind::kAppState:
      return "WhatsApp App State Keys";
  }
  return "WhatsApp Document Keys";
}

std::string media_path_segment(MediaKind kind) {
  switch (kind) {
    case MediaKind::kImage:
    case MediaKind::kSticker:
      return "image";
    case MediaKind::kVideo:
      return "video";
    case MediaKind::kAudio:
      return "audio";
    case MediaKind::kDocument:
      return "document";
    case MediaKind::kHistory:
      return "md-msg-hist";
    case MediaKind::kAppState:
      return "md-app-state";
  }
  return "document";
}

core::Result<MediaKeys> expand_media_key(core::ByteView media_key, MediaKind kind) {
  if (media_key.size() != 32) return core::Status::invalid_argument("media key must be 32 bytes");
  auto info = media_hkdf_info(kind);
  CORE_ASSIGN_OR_RETURN(auto expanded,
                        crypto::hkdf_sha256(media_key, {}, core::as_view(info), 112));
  MediaKeys k;
  k.iv.assign(expanded.begin(), expanded.begin() + 16);
  k.cipher_key.assign(expanded.begin() + 16, expanded.begin() + 48);
  k.mac_key.assign(expanded.begin() + 48, expanded.begin() + 80);
  return k;
}

core::Result<EncryptedMedia> encrypt_media(core::ByteView plaintext, MediaKind kind,
                                           core::Random& random) {
  EncryptedMedia out;
  out.media_key = random.bytes(32);
  CORE_ASSIGN_OR_RETURN(auto keys, expand_media_key(out.media_key, kind));
  CORE_ASSIGN_OR_RETURN(auto ct, crypto::aes256_cbc_encrypt(keys.cipher_key, keys.iv, plaintext));
  auto mac = crypto::hmac_sha256(keys.mac_key, core::concat({keys.iv, ct}));
  out.blob = std::move(ct);
  out.blob.insert(out.blob.end(), mac.begin(), mac.begin() + 10);
  out.file_sha256 = crypto::sha256(plaintext);
  out.file_enc_sha256 = crypto::sha256(out.blob);
  out.file_length = plaintext.size();
  return out;
}

core::Result<core::Bytes> decrypt_media(core::ByteView blob, core::ByteView media_key,
                                        MediaKind kind, core::ByteView expected_enc_sha256,
                                        core::ByteView expected_sha256) {
  if (blob.size() < 10 + 16) return core::Status::invalid_argument("media blob too short");
  if (!expected_enc_sha256.empty() &&
      !crypto::constant_time_equal(crypto::sha256(blob), expected_enc_sha256)) {
    return core::Status::unauthenticated("media fileEncSha256 mismatch");
  }
  CORE_ASSIGN_OR_RETURN(auto keys, expand_media_key(media_key, kind));
  auto ct = blob.subspan(0, blob.size() - 10);
  auto mac = crypto::hmac_sha256(keys.mac_key, core::concat({keys.iv, ct}));
  if (!crypto::constant_time_equal(core::ByteView(mac).subspan(0, 10), blob.subspan(ct.size()))) {
    return core::Status::unauthenticated("media MAC mismatch");
  }
  auto plain = crypto::aes256_cbc_decrypt(keys.cipher_key, keys.iv, ct);
  if (!plain.ok()) return core::Status::unauthenticated("media decrypt failed");
  if (!expected_sha256.empty() &&
      !crypto::constant_time_equal(crypto::sha256(*plain), expected_sha256)) {
    return core::Status::unauthenticated("media fileSha256 mismatch");
  }
  return plain;
}

std::string url_encode(std::string_view s) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

std::string media_upload_url(std::string_view host, MediaKind kind, core::ByteView enc_sha256,
                             std::string_view auth) {
  std::string token = core::base64url_encode(enc_sha256, false);
  return "https://" + std::string(host) + "/mms/" + media_path_segment(kind) + "/" + token +
         "?auth=" + url_encode(auth) + "&token=" + token;
}

}  // namespace wa::client
