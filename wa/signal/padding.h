// WhatsApp's message padding (protocol §8.1): a serialized Message is followed by N bytes of
// value N before Signal encryption, so ciphertext lengths leak less. This is the application's
// job; libsignal's own PKCS#7 inside AES-CBC is separate.
//
// Sending: N = (random & 0x0F) + 1, so 1..16 (as Baileys). Receiving is liberal like Baileys:
// any N in 1..length is stripped without checking the other pad bytes (whatsmeow pads with
// 1..15, other clients may differ), but N = 0 or N > length is rejected.
//
// Threading: pure functions; pad() draws one byte from the Random passed in.
#pragma once

#include "core/bytes.h"
#include "core/random.h"
#include "core/status.h"

namespace wa::signal {

core::Bytes pad(core::ByteView message, core::Random& random);

// InvalidArgument on empty input, a zero pad byte or a pad longer than the input.
core::Result<core::Bytes> unpad(core::ByteView padded);

}  // namespace wa::signal
