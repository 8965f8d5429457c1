// Binary node encoder (WABinary dictionary v3, docs/wa-protocol.md section 3). Output is
// byte-identical to Baileys 7.0.0-rc14's encodeBinaryNode for every well-formed stanza, so the
// two can be cross-checked; where Baileys would lose information (a JID it cannot express, such
// as "u:0@s.whatsapp.net" or "u:5@g.us") we pick an encoding that Baileys' decoder, and ours,
// read back as exactly the original string (FB_JID or raw bytes).
//
// Strings are written as: single-byte token, double-byte token, NIBBLE_8, HEX_8 (uppercase
// only), a JID token if the string has the form user@server, else raw bytes with a
// BINARY_8/20/32 length. Empty strings are BINARY_8 length 0. Byte content is always raw.
//
// A node needs a non-empty tag, at most 32767 attributes and at most 65535 children (the LIST_16
// limit); breaking those is a programming error and throws std::length_error, as does byte
// content of 4 GiB or more.
//
// Threading: pure functions.
#pragma once

#include "core/bytes.h"
#include "wa/binary/node.h"

namespace wa::binary {

// The encoded node, without the frame's flags byte.
core::Bytes encode_node(const Node& node);
// A transport frame payload: flags byte 0x00 (uncompressed) followed by the encoded node.
core::Bytes marshal(const Node& node);
// Appends the encoded node to `out` (lets callers reuse a buffer).
void encode_node_to(const Node& node, core::Bytes& out);

}  // namespace wa::binary
