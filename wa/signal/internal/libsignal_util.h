// Private helpers for calling libsignal-protocol-c from C++: owning handles for its ref-counted
// objects and buffers, and 32↔33-byte key decoding. Only wa/signal's .cpp files include this.
//
// Threading: plain values; libsignal objects are not shared between threads.
#pragma once

#include <signal_protocol.h>

#include <memory>
#include <string>

#include "core/bytes.h"
#include "core/status.h"

namespace wa::signal::internal {

// Unrefs a libsignal ref-counted object (anything starting with signal_type_base).
struct SignalUnref {
  void operator()(void* p) const {
    if (p != nullptr) signal_type_unref(static_cast<signal_type_base*>(p));
  }
};
template <typename T>
using SignalPtr = std::unique_ptr<T, SignalUnref>;

struct BufferFree {
  void operator()(signal_buffer* b) const {
    if (b != nullptr) signal_buffer_bzero_free(b);
  }
};
using BufferPtr = std::unique_ptr<signal_buffer, BufferFree>;

inline core::Bytes buffer_bytes(const signal_buffer* b) {
  if (b == nullptr) return {};
  const uint8_t* data = signal_buffer_const_data(b);
  return core::Bytes(data, data + signal_buffer_len(b));
}

// Decodes a raw 32-byte (or already 0x05-prefixed 33-byte) public key into libsignal's type.
core::Result<SignalPtr<ec_public_key>> decode_public_key(core::ByteView key, signal_context* ctx);
core::Result<SignalPtr<ec_private_key>> decode_private_key(core::ByteView key, signal_context* ctx);
// Raw 32-byte public key of a libsignal key (strips the 0x05 prefix).
core::Result<core::Bytes> raw_public_key(const ec_public_key* key);
core::Result<core::Bytes> raw_private_key(const ec_private_key* key);

// "SG_ERR_INVALID_MAC (-1004)".
std::string signal_error_name(int code);

}  // namespace wa::signal::internal
