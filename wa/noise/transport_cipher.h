// Post-handshake frame encryption (wa-protocol.md §1.4 "Split"): AES-256-GCM with empty AAD and
// one counter per direction, each starting at 0, IV = 8 zero bytes ‖ BE32(counter).
//
// Failure policy: a failed decrypt (bad tag, wrong key, replayed or reordered frame) returns
// Unauthenticated and does NOT advance the read counter, so the object's state depends only on
// the frames that verified. The caller must still close the connection: a stream with one bad
// frame cannot be trusted. After 2^32 frames in one direction that direction returns OutOfRange
// rather than reuse a nonce.
//
// Ownership: owns both keys (wiped on destruction). Move-only: a copy would reuse nonces.
// Threading: not thread-safe; use from the connection's single thread or strand.
#pragma once

#include <cstdint>

#include "core/bytes.h"
#include "core/status.h"

namespace wa::noise {

class TransportCipher {
 public:
  // Keys are 32 bytes (from HandshakeState::split). A wrong size makes every call fail with
  // InvalidArgument. The initial counters exist for tests of the nonce limit.
  TransportCipher(core::Bytes write_key, core::Bytes read_key, uint32_t write_counter = 0,
                  uint32_t read_counter = 0);
  ~TransportCipher();
  TransportCipher(TransportCipher&&) noexcept = default;
  TransportCipher& operator=(TransportCipher&&) noexcept = default;
  TransportCipher(const TransportCipher&) = delete;
  TransportCipher& operator=(const TransportCipher&) = delete;

  // Returns ciphertext ‖ 16-byte tag for the next outgoing frame.
  core::Result<core::Bytes> encrypt(core::ByteView plaintext);
  // Decrypts the next incoming frame; Unauthenticated if it does not verify.
  core::Result<core::Bytes> decrypt(core::ByteView ciphertext);

  uint64_t write_counter() const { return write_counter_; }
  uint64_t read_counter() const { return read_counter_; }

 private:
  core::Bytes write_key_;
  core::Bytes read_key_;
  // 64-bit so that the value 2^32 can mark an exhausted direction.
  uint64_t write_counter_;
  uint64_t read_counter_;
};

}  // namespace wa::noise
