// Media encryption as WhatsApp does it (wa-protocol.md §10): a random 32-byte media key is
// expanded with HKDF("WhatsApp <Kind> Keys", 112) into iv / cipher key / MAC key; the blob is
// AES-256-CBC(PKCS#7) ciphertext followed by the first 10 bytes of HMAC-SHA256(iv ‖ ciphertext).
// Downloads are checked against fileEncSha256, the MAC and fileSha256 before anything is
// returned. Also the upload URL form (§10.4).
//
// Threading: pure functions.
#pragma once

#include <string>

#include "core/bytes.h"
#include "core/random.h"
#include "core/status.h"

namespace wa::client {

enum class MediaKind { kImage, kVideo, kAudio, kDocument, kSticker, kHistory, kAppState };

// "WhatsApp Image Keys" etc.
std::string media_hkdf_info(MediaKind kind);
// Upload path segment: image (stickers too), video, audio, document, md-msg-hist, md-app-state.
std::string media_path_segment(MediaKind kind);

struct MediaKeys {
  core::Bytes iv, cipher_key, mac_key;
};
core::Result<MediaKeys> expand_media_key(core::ByteView media_key, MediaKind kind);

struct EncryptedMedia {
  core::Bytes media_key;        // 32
  core::Bytes blob;             // ciphertext ‖ mac10 (what is uploaded)
  core::Bytes file_sha256;      // of the plaintext
  core::Bytes file_enc_sha256;  // of the blob
  uint64_t file_length = 0;
};

core::Result<EncryptedMedia> encrypt_media(core::ByteView plaintext, MediaKind kind,
                                           core::Random& random);
// Verifies enc hash (when given), MAC and plaintext hash (when given). Unauthenticated on any
// mismatch.
core::Result<core::Bytes> decrypt_media(core::ByteView blob, core::ByteView media_key,
                                        MediaKind kind, core::ByteView expected_enc_sha256,
                                        core::ByteView expected_sha256);

// https://HOST/mms/<segment>/<token>?auth=<urlencoded auth>&token=<token>, token =
// base64url(fileEncSha256) without padding.
std::string media_upload_url(std::string_view host, MediaKind kind, core::ByteView enc_sha256,
                             std::string_view auth);
std::string url_encode(std::string_view s);

}  // namespace wa::client
