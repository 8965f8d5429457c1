#include "wa/binary/printer.h"

#include <gtest/gtest.h>

namespace wa::binary {
namespace {

TEST(Printer, LeafOnOneLine) {
  EXPECT_EQ(to_xml(Node("ping")), "<ping/>");
  EXPECT_EQ(to_xml(Node("iq", {{"id", "1"}, {"type", "get"}})), "<iq id=\"1\" type=\"get\"/>");
}

TEST(Printer, SmallTree) {
  Node iq("iq", {{"id", "1.2-3"}, {"to", "@s.whatsapp.net"}, {"type", "get"}, {"xmlns", "w:p"}});
  iq.add_child(Node("ping"));
  Node& body = iq.add_child(Node("body"));
  body.set_text("hi <there> & \"you\"");
  Node& enc = iq.add_child(Node("enc", {{"v", "2"}}));
  enc.set_bytes({0x00, 0x01, 0xFF});
  Node& empty = iq.add_child(Node("list"));
  empty.set_children({});
  EXPECT_EQ(to_xml(iq),
            "<iq id=\"1.2-3\" to=\"@s.whatsapp.net\" type=\"get\" xmlns=\"w:p\">\n"
            "  <ping/>\n"
            "  <body>hi &lt;there&gt; &amp; \"you\"</body>\n"
            "  <enc v=\"2\">hex:0001ff (3 bytes)</enc>\n"
            "  <list></list>\n"
            "</iq>");
}

TEST(Printer, TruncatesLongContent) {
  Node text("body");
  text.set_text(std::string(100, 'a'));
  EXPECT_EQ(to_xml(text, 4), "<body>aaaa…(100 bytes)</body>");
  Node bin("enc");
  bin.set_bytes(core::Bytes(100, 0xAB));
  EXPECT_EQ(to_xml(bin, 3), "<enc>hex:ababab… (100 bytes)</enc>");
}

TEST(Printer, EscapesAttributeValues) {
  Node n("x", {{"a", "q\"<"}, {"b", std::string("\x01\xff", 2)}});
  EXPECT_EQ(to_xml(n), "<x a=\"q&quot;&lt;\" b=\"\\x01\\xff\"/>");
}

TEST(Printer, Utf8ContentIsText) {
  Node n("body");
  n.set_text("héllo ✓");
  EXPECT_EQ(to_xml(n), "<body>héllo ✓</body>");
  Node invalid("body");
  invalid.set_bytes({'h', 0xC3});
  EXPECT_EQ(to_xml(invalid), "<body>hex:68c3 (2 bytes)</body>");
}

}  // namespace
}  // namespace wa::binary
