// Human-readable rendering of binary nodes for logs and test failures: XML-ish text, one line
// for a leaf, indented lines for a node with children. Byte content is shown as text when it is
// printable UTF-8, otherwise as hex; either way at most `max_bytes_shown` bytes, then a note of
// the full size. Not a serialisation format: nothing parses it back.
//
// Threading: pure function.
#pragma once

#include <cstddef>
#include <string>

#include "wa/binary/node.h"

namespace wa::binary {

std::string to_xml(const Node& node, size_t max_bytes_shown = 64);

}  // namespace wa::binary
