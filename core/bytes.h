// Byte buffers: the owning `Bytes`, the non-owning `ByteView`, and a bounds-checked reader and
// an appending writer for big-endian wire formats (WhatsApp frames, binary nodes, Signal ids).
//
// Ownership: ByteReader borrows the view it reads; the caller keeps the bytes alive.
// Threading: plain values, no shared state.
#pragma once

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace core {

using Bytes = std::vector<uint8_t>;
using ByteView = std::span<const uint8_t>;

inline ByteView as_view(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}
inline Bytes to_bytes(std::string_view s) { return Bytes(s.begin(), s.end()); }
inline Bytes to_bytes(ByteView v) { return Bytes(v.begin(), v.end()); }
inline std::string to_string(ByteView v) { return std::string(v.begin(), v.end()); }
inline std::string_view as_string_view(ByteView v) {
  return {reinterpret_cast<const char*>(v.data()), v.size()};
}

// Concatenates any number of byte views: concat({a, b, c}).
Bytes concat(std::initializer_list<ByteView> parts);
inline void append(Bytes& out, ByteView v) { out.insert(out.end(), v.begin(), v.end()); }

// Writes `value` big-endian in `width` bytes (1..8).
void put_uint_be(Bytes& out, uint64_t value, int width);
// Reads `width` big-endian bytes from `v` (caller guarantees v.size() >= width).
uint64_t get_uint_be(ByteView v, int width);
// Fixed-size big-endian encodings used by WhatsApp (ids are 3 bytes, registration ids 4).
Bytes uint_be_bytes(uint64_t value, int width);

// Sequential, bounds-checked reads. Every read returns an error Status instead of reading past
// the end, so decoders fed hostile input never touch memory they do not own.
class ByteReader {
 public:
  explicit ByteReader(ByteView data) : data_(data) {}

  size_t remaining() const { return data_.size() - pos_; }
  size_t position() const { return pos_; }
  bool empty() const { return remaining() == 0; }

  Result<uint8_t> read_u8();
  Result<uint64_t> read_uint_be(int width);
  Result<ByteView> read(size_t n);
  ByteView rest() const { return data_.subspan(pos_); }

 private:
  ByteView data_;
  size_t pos_ = 0;
};

}  // namespace core
