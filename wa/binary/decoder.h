// Binary node decoder (WABinary dictionary v3, docs/wa-protocol.md section 3) and the frame
// payload unwrapper (flags byte, optional zlib). Reads Baileys' and whatsmeow's output; JID
// tokens decode to the same strings Baileys' decoder yields ("@s.whatsapp.net" for a server
// JID, "u:7@lid", "I-u:D@interop"), except that an AD_JID agent the server does not imply is
// kept ("u_5:2@s.whatsapp.net") where Baileys drops it.
//
// Hostile input is expected: every failure is a Status (InvalidArgument for malformed bytes,
// OutOfRange for lengths beyond the input or beyond a limit), never a crash, and no allocation
// is sized by a length field before that length is checked against the bytes that remain.
//
// Threading: pure functions.
#pragma once

#include <cstddef>

#include "core/bytes.h"
#include "core/status.h"
#include "wa/binary/node.h"

namespace wa::binary {

struct DecodeLimits {
  // Deepest node nesting accepted (the root is depth 1); nested JID tokens count as well.
  size_t max_depth = 64;
  // Largest inflated size of a compressed frame payload.
  size_t max_inflated_size = 16 << 20;
  // Most nodes plus attributes in one stanza. Each costs ~30x its wire size in memory, so this
  // bounds what a small hostile frame can make us allocate.
  size_t max_elements = 1 << 20;
};

// Decodes one node that must span all of `data` (no flags byte).
core::Result<Node> decode_node(core::ByteView data, const DecodeLimits& limits = {});

// Decodes a transport frame payload: flags byte, then the node, zlib-inflated first when
// `flags & 2`.
core::Result<Node> unmarshal(core::ByteView frame_payload, const DecodeLimits& limits = {});

// Inflates a zlib (RFC 1950) stream, failing with OutOfRange beyond `max_size` bytes.
core::Result<core::Bytes> zlib_inflate(core::ByteView data, size_t max_size);

}  // namespace wa::binary
