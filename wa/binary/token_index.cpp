// Reverse index over the generated token tables: string -> (dict, index), so the encoder never
// scans the 1260 tokens. Open addressing with linear probing over a power-of-two table that is
// at most ~60% full, keyed by FNV-1a.
#include <cstdint>
#include <vector>

#include "wa/binary/tokens.h"

namespace wa::binary {
namespace {

constexpr size_t kSlots = 2048;  // > 1260 / 0.6, power of two

uint32_t fnv1a(std::string_view s) {
  uint32_t h = 2166136261u;
  for (unsigned char c : s) {
    h ^= c;
    h *= 16777619u;
  }
  return h;
}

struct Slot {
  std::string_view key;  // empty = free
  int16_t dict = -1;
  uint8_t index = 0;
};

class TokenIndex {
 public:
  TokenIndex() : slots_(kSlots) {
    for (size_t i = 1; i < kSingleByteTokens.size(); ++i) {
      insert(kSingleByteTokens[i], -1, static_cast<uint8_t>(i));
    }
    for (size_t d = 0; d < kDoubleByteTokens.size(); ++d) {
      for (size_t i = 0; i < kDoubleByteTokens[d].size(); ++i) {
        insert(kDoubleByteTokens[d][i], static_cast<int16_t>(d), static_cast<uint8_t>(i));
      }
    }
  }

  const Slot* find(std::string_view key) const {
    size_t pos = fnv1a(key) & (kSlots - 1);
    while (!slots_[pos].key.empty()) {
      if (slots_[pos].key == key) return &slots_[pos];
      pos = (pos + 1) & (kSlots - 1);
    }
    return nullptr;
  }

 private:
  void insert(std::string_view key, int16_t dict, uint8_t index) {
    if (key.empty()) return;
    size_t pos = fnv1a(key) & (kSlots - 1);
    while (!slots_[pos].key.empty()) {
      // The tables have no duplicates (docs/wa-protocol.md 3.3). Should that change, the later
      // entry wins, as in Baileys' TOKEN_MAP, so both encoders stay byte-identical.
      if (slots_[pos].key == key) {
        slots_[pos] = Slot{key, dict, index};
        return;
      }
      pos = (pos + 1) & (kSlots - 1);
    }
    slots_[pos] = Slot{key, dict, index};
  }

  std::vector<Slot> slots_;
};

const TokenIndex& token_index() {
  static const TokenIndex index;
  return index;
}

}  // namespace

std::optional<std::pair<int, uint8_t>> find_token(std::string_view s) {
  if (s.empty()) return std::nullopt;
  const Slot* slot = token_index().find(s);
  if (slot == nullptr) return std::nullopt;
  return std::make_pair(static_cast<int>(slot->dict), slot->index);
}

std::optional<std::string_view> single_token(uint8_t index) {
  if (index == 0 || index >= kSingleByteTokens.size()) return std::nullopt;
  return kSingleByteTokens[index];
}

std::optional<std::string_view> double_token(int dict, uint8_t index) {
  if (dict < 0 || dict >= static_cast<int>(kDoubleByteTokens.size())) return std::nullopt;
  return kDoubleByteTokens[static_cast<size_t>(dict)][index];
}

}  // namespace wa::binary
