// Tag bytes of the WABinary format (docs/wa-protocol.md section 3.2). Internal to wa/binary.
// Threading: constants only.
#pragma once

#include <cstddef>
#include <cstdint>

namespace wa::binary::tag {

inline constexpr uint8_t kListEmpty = 0;
inline constexpr uint8_t kDictionary0 = 236;
inline constexpr uint8_t kDictionary3 = 239;
inline constexpr uint8_t kInteropJid = 245;
inline constexpr uint8_t kFbJid = 246;
inline constexpr uint8_t kAdJid = 247;
inline constexpr uint8_t kList8 = 248;
inline constexpr uint8_t kList16 = 249;
inline constexpr uint8_t kJidPair = 250;
inline constexpr uint8_t kHex8 = 251;
inline constexpr uint8_t kBinary8 = 252;
inline constexpr uint8_t kBinary20 = 253;
inline constexpr uint8_t kBinary32 = 254;
inline constexpr uint8_t kNibble8 = 255;
inline constexpr size_t kPackedMax = 127;

}  // namespace wa::binary::tag
