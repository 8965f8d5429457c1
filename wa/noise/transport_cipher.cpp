#include "wa/noise/transport_cipher.h"

#include <utility>

#include "crypto/aes.h"
#include "crypto/util.h"
#include "wa/noise/handshake_state.h"

namespace wa::noise {
namespace {

constexpr uint64_t kCounterLimit = uint64_t{1} << 32;

}  // namespace

TransportCipher::TransportCipher(core::Bytes write_key, core::Bytes read_key,
                                 uint32_t write_counter, uint32_t read_counter)
    : write_key_(std::move(write_key)),
      read_key_(std::move(read_key)),
      write_counter_(write_counter),
      read_counter_(read_counter) {}

TransportCipher::~TransportCipher() {
  crypto::secure_wipe(write_key_);
  crypto::secure_wipe(read_key_);
}

core::Result<core::Bytes> TransportCipher::encrypt(core::ByteView plaintext) {
  if (write_counter_ >= kCounterLimit) {
    return core::Status::out_of_range("transport write nonce exhausted");
  }
  auto iv = HandshakeState::nonce(static_cast<uint32_t>(write_counter_));
  CORE_ASSIGN_OR_RETURN(core::Bytes ciphertext,
                        crypto::aes256_gcm_encrypt(write_key_, iv, plaintext, {}));
  ++write_counter_;
  return ciphertext;
}

core::Result<core::Bytes> TransportCipher::decrypt(core::ByteView ciphertext) {
  if (read_counter_ >= kCounterLimit) {
    return core::Status::out_of_range("transport read nonce exhausted");
  }
  auto iv = HandshakeState::nonce(static_cast<uint32_t>(read_counter_));
  auto plaintext = crypto::aes256_gcm_decrypt(read_key_, iv, ciphertext, {});
  if (!plaintext.ok()) {
    if (plaintext.status().code() == core::StatusCode::kUnauthenticated) {
      return core::Status::unauthenticated("transport frame failed authentication");
    }
    return plaintext.status().with_context("transport decrypt");
  }
  ++read_counter_;
  return std::move(plaintext).value();
}

}  // namespace wa::noise
