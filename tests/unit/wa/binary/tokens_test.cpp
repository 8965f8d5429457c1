#include "wa/binary/tokens.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <set>
#include <string>

#include "core/encoding.h"

namespace wa::binary {
namespace {

template <typename Table>
std::string joined_sha256(const Table& table) {
  std::string joined;
  for (size_t i = 0; i < table.size(); ++i) {
    if (i > 0) joined += '\n';
    joined += table[i];
  }
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(joined.data(), joined.size(), digest, &len, EVP_sha256(), nullptr);
  return core::hex_encode(core::ByteView(digest, len));
}

TEST(Tokens, TableSizes) {
  EXPECT_EQ(kSingleByteTokens.size(), 236u);
  EXPECT_EQ(kSingleByteTokens[0], "");
  EXPECT_EQ(kDoubleByteTokens.size(), 4u);
  for (const auto& dict : kDoubleByteTokens) EXPECT_EQ(dict.size(), 256u);
}

TEST(Tokens, HashesMatchTheReference) {
  EXPECT_EQ(joined_sha256(kSingleByteTokens),
            "1e8302d2aba0d8c40d09fd79fc9c70347350cb00926dd0e3565683b347be35a5");
  EXPECT_EQ(joined_sha256(kDoubleByteTokens[0]),
            "c19c763b07f7684fc58490eb838873edeec498d59bf4d56bbb33d8e7af4cb112");
  EXPECT_EQ(joined_sha256(kDoubleByteTokens[1]),
            "e8894a798e1d92bc5f5f5cd1c2ffeef43a5c03acb1775b34d121ffe0a19b8f6a");
  EXPECT_EQ(joined_sha256(kDoubleByteTokens[2]),
            "8f4081781e324d9ab95574b01ff37a44753403cebd0d1feeeb985661cc86cae8");
  EXPECT_EQ(joined_sha256(kDoubleByteTokens[3]),
            "8e397aec42a6a503621910cf3d7a8f9e287e94192031265b6e55519e0e19fadc");
}

TEST(Tokens, SingleByteAnchors) {
  const std::pair<int, const char*> anchors[] = {{1, "xmlstreamstart"},
                                                 {2, "xmlstreamend"},
                                                 {3, "s.whatsapp.net"},
                                                 {4, "type"},
                                                 {5, "participant"},
                                                 {6, "from"},
                                                 {7, "receipt"},
                                                 {8, "id"},
                                                 {9, "notification"},
                                                 {11, "status"},
                                                 {12, "jid"},
                                                 {14, "user"},
                                                 {15, "devices"},
                                                 {17, "to"},
                                                 {18, "offline"},
                                                 {19, "message"},
                                                 {20, "result"},
                                                 {21, "class"},
                                                 {22, "xmlns"},
                                                 {24, "notify"},
                                                 {25, "iq"},
                                                 {26, "t"},
                                                 {27, "ack"},
                                                 {28, "g.us"},
                                                 {29, "enc"},
                                                 {41, "get"},
                                                 {50, "skmsg"},
                                                 {54, "device-list"},
                                                 {56, "text"},
                                                 {58, "media_conn"},
                                                 {59, "device"},
                                                 {65, "count"},
                                                 {76, "success"},
                                                 {77, "msg"},
                                                 {80, "key-index"},
                                                 {83, "pkmsg"},
                                                 {86, "ping"},
                                                 {87, "w:p"},
                                                 {90, "set"},
                                                 {107, "participants"},
                                                 {108, "value"},
                                                 {113, "list"},
                                                 {118, "lid"},
                                                 {121, "usync"},
                                                 {156, "identity"},
                                                 {157, "stream:error"},
                                                 {158, "key"},
                                                 {168, "error"},
                                                 {173, "registration"},
                                                 {203, "encrypt"},
                                                 {212, "signature"},
                                                 {230, "device-identity"},
                                                 {235, "screen_height"}};
  for (const auto& [index, token] : anchors) {
    EXPECT_EQ(single_token(static_cast<uint8_t>(index)), token) << index;
    auto found = find_token(token);
    ASSERT_TRUE(found.has_value()) << token;
    EXPECT_EQ(found->first, -1);
    EXPECT_EQ(found->second, index);
  }
}

TEST(Tokens, DoubleByteAnchors) {
  struct Anchor {
    int dict;
    int index;
    const char* token;
  };
  const Anchor anchors[] = {
      {0, 0, "read-self"}, {0, 1, "active"},   {0, 11, "retry"},        {0, 14, "conflict"},
      {0, 17, "replaced"}, {0, 24, "passive"}, {0, 32, "w:gp2"},        {0, 37, "sender"},
      {0, 45, "skey"},     {0, 95, "phash"},   {0, 255, "mute_v2"},     {1, 0, "reject"},
      {1, 51, "w:g2"},     {1, 80, "ref"},     {1, 238, "pair-device"}, {2, 0, "64"},
      {2, 60, "failure"},  {3, 0, "1724"},     {3, 255, "1961"}};
  for (const auto& a : anchors) {
    EXPECT_EQ(double_token(a.dict, static_cast<uint8_t>(a.index)), a.token) << a.token;
    auto found = find_token(a.token);
    ASSERT_TRUE(found.has_value()) << a.token;
    EXPECT_EQ(found->first, a.dict);
    EXPECT_EQ(found->second, a.index);
  }
}

TEST(Tokens, NonTokensAreNotFound) {
  for (const char* s :
       {"ib", "pair-success", "pair-device-sign", "addressing_mode", "sender_lid", "participant_pn",
        "link_code_companion_reg", "plaintext", "device_removed", "md", "leave", "", "IQ", "iq "}) {
    EXPECT_FALSE(find_token(s).has_value()) << s;
  }
}

TEST(Tokens, EveryEntryRoundTripsAndIsUnique) {
  std::set<std::string_view> seen;
  for (size_t i = 1; i < kSingleByteTokens.size(); ++i) {
    auto found = find_token(kSingleByteTokens[i]);
    ASSERT_TRUE(found.has_value());
    EXPECT_EQ(found->first, -1);
    EXPECT_EQ(found->second, i);
    EXPECT_TRUE(seen.insert(kSingleByteTokens[i]).second) << kSingleByteTokens[i];
  }
  for (int d = 0; d < 4; ++d) {
    for (int i = 0; i < 256; ++i) {
      std::string_view token = kDoubleByteTokens[d][i];
      auto found = find_token(token);
      ASSERT_TRUE(found.has_value()) << token;
      EXPECT_EQ(found->first, d);
      EXPECT_EQ(found->second, i);
      EXPECT_TRUE(seen.insert(token).second) << token;
    }
  }
}

TEST(Tokens, LookupBounds) {
  EXPECT_FALSE(single_token(0).has_value());
  EXPECT_FALSE(single_token(236).has_value());
  EXPECT_FALSE(single_token(255).has_value());
  EXPECT_FALSE(double_token(-1, 0).has_value());
  EXPECT_FALSE(double_token(4, 0).has_value());
  EXPECT_TRUE(double_token(3, 255).has_value());
}

}  // namespace
}  // namespace wa::binary
