#include "core/bytes.h"

#include <cassert>

namespace core {

Bytes concat(std::initializer_list<ByteView> parts) {
  size_t total = 0;
  for (auto p : parts) total += p.size();
  Bytes out;
  out.reserve(total);
  for (auto p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

void put_uint_be(Bytes& out, uint64_t value, int width) {
  assert(width >= 1 && width <= 8);
  for (int i = width - 1; i >= 0; --i) out.push_back(static_cast<uint8_t>(value >> (8 * i)));
}

uint64_t get_uint_be(ByteView v, int width) {
  assert(width >= 1 && width <= 8 && v.size() >= static_cast<size_t>(width));
  uint64_t value = 0;
  for (int i = 0; i < width; ++i) value = (value << 8) | v[i];
  return value;
}

Bytes uint_be_bytes(uint64_t value, int width) {
  Bytes out;
  put_uint_be(out, value, width);
  return out;
}

Result<uint8_t> ByteReader::read_u8() {
  if (remaining() < 1) return Status::invalid_argument("unexpected end of data");
  return data_[pos_++];
}

Result<uint64_t> ByteReader::read_uint_be(int width) {
  if (remaining() < static_cast<size_t>(width)) {
    return Status::invalid_argument("unexpected end of data");
  }
  uint64_t v = get_uint_be(data_.subspan(pos_), width);
  pos_ += width;
  return v;
}

Result<ByteView> ByteReader::read(size_t n) {
  if (remaining() < n) return Status::invalid_argument("unexpected end of data");
  ByteView v = data_.subspan(pos_, n);
  pos_ += n;
  return v;
}

}  // namespace core
