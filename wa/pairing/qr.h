// QR linking (wa-protocol.md §5.1): the string a phone scans, the ref rotation schedule (first
// code 60 s, later ones 20 s each), and rendering of the code as SVG, PNG (our small encoder
// over zlib) and terminal text, using libqrencode for the symbol itself.
//
// Threading: pure functions.
#pragma once

#include <chrono>
#include <string>

#include "core/bytes.h"
#include "core/status.h"

namespace wa::pairing {

// "https://wa.me/settings/linked_devices#REF,NOISE_B64,IDENTITY_B64,ADV_B64,PLATFORM".
std::string make_qr_string(std::string_view ref, core::ByteView noise_pub,
                           core::ByteView identity_pub, core::ByteView adv_secret,
                           std::string_view platform);

// How long the index-th QR ref is shown: 60 s for the first, 20 s for the others.
std::chrono::seconds qr_ref_lifetime(size_t index);

// A QR symbol: size × size modules, row-major, true = dark.
struct QrMatrix {
  int size = 0;
  std::vector<bool> modules;
  bool dark(int x, int y) const { return modules[static_cast<size_t>(y * size + x)]; }
};

core::Result<QrMatrix> encode_qr(std::string_view text);

// SVG document; `module_px` pixels per module, 4-module quiet zone.
core::Result<std::string> render_qr_svg(std::string_view text, int module_px = 8);
// 8-bit grayscale PNG.
core::Result<core::Bytes> render_qr_png(std::string_view text, int module_px = 8);
// Unicode half blocks, two module rows per text line (dark on light terminals: inverted so the
// code scans on dark backgrounds too).
core::Result<std::string> render_qr_terminal(std::string_view text);

// A minimal PNG writer (8-bit grayscale, zlib via the system library).
core::Result<core::Bytes> encode_png_gray(int width, int height, core::ByteView pixels);

}  // namespace wa::pairing
