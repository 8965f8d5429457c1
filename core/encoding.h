// Text encodings of bytes: lowercase hex, standard base64 (padded) and base64url (padding
// optional). Decoders are strict about the alphabet and report bad input as a Status.
//
// Threading: pure functions.
#pragma once

#include <string>
#include <string_view>

#include "core/bytes.h"
#include "core/status.h"

namespace core {

std::string hex_encode(ByteView data);
// Accepts upper- or lowercase digits; odd length or a non-hex character is InvalidArgument.
Result<Bytes> hex_decode(std::string_view text);

std::string base64_encode(ByteView data);
// Accepts padded or unpadded input; rejects characters outside the alphabet.
Result<Bytes> base64_decode(std::string_view text);

std::string base64url_encode(ByteView data, bool pad = false);
Result<Bytes> base64url_decode(std::string_view text);

}  // namespace core
