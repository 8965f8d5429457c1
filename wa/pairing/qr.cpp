#include "wa/pairing/qr.h"

#include <qrencode.h>
#include <zlib.h>

#include <memory>

#include "core/encoding.h"

namespace wa::pairing {

std::string make_qr_string(std::string_view ref, core::ByteView noise_pub,
                           core::ByteView identity_pub, core::ByteView adv_secret,
                           std::string_view platform) {
  std::string s = "https://wa.me/settings/linked_devices#";
  s += ref;
  s += ",";
  s += core::base64_encode(noise_pub);
  s += ",";
  s += core::base64_encode(identity_pub);
  s += ",";
  s += core::base64_encode(adv_secret);
  s += ",";
  s += platform;
  return s;
}

std::chrono::seconds qr_ref_lifetime(size_t index) {
  return std::chrono::seconds(index == 0 ? 60 : 20);
}

core::Result<QrMatrix> encode_qr(std::string_view text) {
  std::string t(text);
  std::unique_ptr<QRcode, void (*)(QRcode*)> code(
      QRcode_encodeString8bit(t.c_str(), 0, QR_ECLEVEL_L), QRcode_free);
  if (!code) return core::Status::invalid_argument("QR encoding failed (text too long?)");
  QrMatrix m;
  m.size = code->width;
  m.modules.resize(static_cast<size_t>(m.size * m.size));
  for (int i = 0; i < m.size * m.size; ++i) m.modules[static_cast<size_t>(i)] = code->data[i] & 1;
  return m;
}

core::Result<std::string> render_qr_svg(std::string_view text, int module_px) {
  CORE_ASSIGN_OR_RETURN(auto m, encode_qr(text));
  const int border = 4;
  int dim = (m.size + 2 * border) * module_px;
  std::string svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + std::to_string(dim) +
                    "\" height=\"" + std::to_string(dim) + "\" viewBox=\"0 0 " +
                    std::to_string(m.size + 2 * border) + " " +
                    std::to_string(m.size + 2 * border) +
                    "\" shape-rendering=\"crispEdges\"><rect width=\"100%\" height=\"100%\" "
                    "fill=\"#fff\"/><path fill=\"#000\" d=\"";
  for (int y = 0; y < m.size; ++y) {
    for (int x = 0; x < m.size; ++x) {
      if (m.dark(x, y)) {
        svg += "M" + std::to_string(x + border) + " " + std::to_string(y + border) + "h1v1h-1z";
      }
    }
  }
  svg += "\"/></svg>\n";
  return svg;
}

namespace {
void put32(core::Bytes& out, uint32_t v) { core::put_uint_be(out, v, 4); }
void chunk(core::Bytes& out, const char* type, core::ByteView data) {
  put32(out, static_cast<uint32_t>(data.size()));
  size_t start = out.size();
  out.insert(out.end(), type, type + 4);
  core::append(out, data);
  uLong crc = crc32(0L, out.data() + start, static_cast<uInt>(out.size() - start));
  put32(out, static_cast<uint32_t>(crc));
}
}  // namespace

core::Result<core::Bytes> encode_png_gray(int width, int height, core::ByteView pixels) {
  if (width <= 0 || height <= 0 ||
      pixels.size() != static_cast<size_t>(width) * static_cast<size_t>(height)) {
    return core::Status::invalid_argument("pixel buffer does not match the size");
  }
  core::Bytes raw;
  raw.reserve(static_cast<size_t>(height) * (static_cast<size_t>(width) + 1));
  for (int y = 0; y < height; ++y) {
    raw.push_back(0);  // filter: none
    auto row = pixels.subspan(static_cast<size_t>(y) * static_cast<size_t>(width),
                              static_cast<size_t>(width));
    core::append(raw, row);
  }
  uLongf zlen = compressBound(static_cast<uLong>(raw.size()));
  core::Bytes z(zlen);
  if (compress2(z.data(), &zlen, raw.data(), static_cast<uLong>(raw.size()), 9) != Z_OK) {
    return core::Status::internal("zlib compress failed");
  }
  z.resize(zlen);
  core::Bytes png = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
  core::Bytes ihdr;
  put32(ihdr, static_cast<uint32_t>(width));
  put32(ihdr, static_cast<uint32_t>(height));
  ihdr.insert(ihdr.end(), {8, 0, 0, 0, 0});  // 8-bit, grayscale, deflate, no filter, no interlace
  chunk(png, "IHDR", ihdr);
  chunk(png, "IDAT", z);
  chunk(png, "IEND", {});
  return png;
}

core::Result<core::Bytes> render_qr_png(std::string_view text, int module_px) {
  CORE_ASSIGN_OR_RETURN(auto m, encode_qr(text));
  if (module_px < 1 || module_px > 64) return core::Status::invalid_argument("bad module size");
  const int border = 4;
  int dim = (m.size + 2 * border) * module_px;
  core::Bytes px(static_cast<size_t>(dim) * static_cast<size_t>(dim), 255);
  for (int y = 0; y < m.size; ++y) {
    for (int x = 0; x < m.size; ++x) {
      if (!m.dark(x, y)) continue;
      for (int dy = 0; dy < module_px; ++dy) {
        for (int dx = 0; dx < module_px; ++dx) {
          px[static_cast<size_t>(((y + border) * module_px + dy) * dim + (x + border) * module_px +
                                 dx)] = 0;
        }
      }
    }
  }
  return encode_png_gray(dim, dim, px);
}

core::Result<std::string> render_qr_terminal(std::string_view text) {
  CORE_ASSIGN_OR_RETURN(auto m, encode_qr(text));
  const int border = 2;
  int n = m.size + 2 * border;
  auto dark = [&](int x, int y) {
    x -= border;
    y -= border;
    if (x < 0 || y < 0 || x >= m.size || y >= m.size) return false;
    return m.dark(x, y);
  };
  std::string out;
  for (int y = 0; y < n; y += 2) {
    for (int x = 0; x < n; ++x) {
      // Light modules are drawn as blocks, so the code reads correctly on dark terminals.
      bool top = !dark(x, y);
      bool bottom = y + 1 < n ? !dark(x, y + 1) : false;
      if (top && bottom)
        out += "\u2588";
      else if (top)
        out += "\u2580";
      else if (bottom)
        out += "\u2584";
      else
        out += " ";
    }
    out += "\n";
  }
  return out;
}

}  // namespace wa::pairing
