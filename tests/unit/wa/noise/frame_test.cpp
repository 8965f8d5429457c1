#include "wa/noise/frame.h"

#include <gtest/gtest.h>

#include <vector>

#include "core/random.h"

namespace wa::noise {
namespace {

core::Bytes payload_of(size_t n, uint8_t seed) {
  core::Bytes b(n);
  for (size_t i = 0; i < n; ++i) b[i] = static_cast<uint8_t>(seed + i * 7);
  return b;
}

core::Bytes frame_of(core::ByteView payload) {
  auto f = make_frame(payload);
  EXPECT_TRUE(f.ok());
  return *f;
}

// Drains every complete frame; fails the test on an error.
std::vector<core::Bytes> drain(FrameParser& parser) {
  std::vector<core::Bytes> out;
  for (;;) {
    auto next = parser.next();
    EXPECT_TRUE(next.ok()) << next.status().to_string();
    if (!next.ok() || !next->has_value()) return out;
    out.push_back(std::move(**next));
  }
}

TEST(MakeFrame, PrefixesBigEndianLength) {
  core::Bytes payload = payload_of(0x0102, 1);
  core::Bytes frame = frame_of(payload);
  ASSERT_EQ(frame.size(), payload.size() + 3);
  EXPECT_EQ(frame[0], 0x00);
  EXPECT_EQ(frame[1], 0x01);
  EXPECT_EQ(frame[2], 0x02);
  EXPECT_TRUE(std::equal(payload.begin(), payload.end(), frame.begin() + 3));
}

TEST(MakeFrame, EmptyPayload) { EXPECT_EQ(frame_of({}), (core::Bytes{0, 0, 0})); }

TEST(MakeFrame, RejectsOversizePayload) {
  core::Bytes big(kMaxFramePayload + 1);
  auto f = make_frame(big);
  ASSERT_FALSE(f.ok());
  EXPECT_EQ(f.status().code(), core::StatusCode::kOutOfRange);
}

TEST(MakeIntro, BareAndWithRouting) {
  EXPECT_EQ(make_intro(), (core::Bytes{0x57, 0x41, 0x06, 0x03}));
  core::Bytes routing{0xaa, 0xbb, 0xcc};
  EXPECT_EQ(make_intro(routing),
            (core::Bytes{'E', 'D', 0, 1, 0, 0, 3, 0xaa, 0xbb, 0xcc, 0x57, 0x41, 0x06, 0x03}));
}

TEST(FrameParser, SplitAtEveryByteBoundary) {
  core::Bytes p1 = payload_of(5, 3), p2 = payload_of(0, 0), p3 = payload_of(300, 9);
  core::Bytes stream = core::concat({frame_of(p1), frame_of(p2), frame_of(p3)});
  for (size_t cut = 0; cut <= stream.size(); ++cut) {
    FrameParser parser;
    parser.feed(core::ByteView(stream).first(cut));
    auto first = drain(parser);
    parser.feed(core::ByteView(stream).subspan(cut));
    auto second = drain(parser);
    first.insert(first.end(), second.begin(), second.end());
    ASSERT_EQ(first.size(), 3u) << "cut at " << cut;
    EXPECT_EQ(first[0], p1);
    EXPECT_EQ(first[1], p2);
    EXPECT_EQ(first[2], p3);
    EXPECT_EQ(parser.consumed(), stream.size());
    EXPECT_EQ(parser.buffered(), 0u);
  }
}

TEST(FrameParser, ByteAtATime) {
  core::Bytes p1 = payload_of(40, 1), p2 = payload_of(2, 5);
  core::Bytes stream = core::concat({frame_of(p1), frame_of(p2)});
  FrameParser parser;
  std::vector<core::Bytes> frames;
  for (uint8_t b : stream) {
    parser.feed(core::ByteView(&b, 1));
    auto got = drain(parser);
    frames.insert(frames.end(), got.begin(), got.end());
  }
  ASSERT_EQ(frames.size(), 2u);
  EXPECT_EQ(frames[0], p1);
  EXPECT_EQ(frames[1], p2);
}

TEST(FrameParser, CoalescedFramesInOneFeed) {
  std::vector<core::Bytes> payloads;
  core::Bytes stream;
  for (int i = 0; i < 20; ++i) {
    payloads.push_back(payload_of(static_cast<size_t>(i * 13), static_cast<uint8_t>(i)));
    core::append(stream, frame_of(payloads.back()));
  }
  FrameParser parser;
  parser.feed(stream);
  EXPECT_EQ(drain(parser), payloads);
}

TEST(FrameParser, RandomChunking) {
  core::FakeRandom random(7);
  std::vector<core::Bytes> payloads;
  core::Bytes stream;
  for (int i = 0; i < 50; ++i) {
    payloads.push_back(random.bytes(random.uniform(600)));
    core::append(stream, frame_of(payloads.back()));
  }
  FrameParser parser;
  std::vector<core::Bytes> got;
  size_t pos = 0;
  while (pos < stream.size()) {
    size_t n = std::min<size_t>(stream.size() - pos, 1 + random.uniform(900));
    parser.feed(core::ByteView(stream).subspan(pos, n));
    pos += n;
    auto frames = drain(parser);
    got.insert(got.end(), frames.begin(), frames.end());
  }
  EXPECT_EQ(got, payloads);
}

TEST(FrameParser, OversizeLengthFailsAndStaysFailed) {
  FrameParser parser(1000);
  core::Bytes header{0x00, 0x03, 0xe9};  // 1001
  parser.feed(header);
  auto r = parser.next();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), core::StatusCode::kOutOfRange);
  EXPECT_TRUE(parser.failed());
  parser.feed(frame_of(payload_of(3, 0)));
  auto again = parser.next();
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.status().code(), core::StatusCode::kOutOfRange);
}

TEST(FrameParser, LimitIsInclusive) {
  FrameParser parser(4);
  core::Bytes p = payload_of(4, 1);
  parser.feed(frame_of(p));
  auto r = parser.next();
  ASSERT_TRUE(r.ok());
  ASSERT_TRUE(r->has_value());
  EXPECT_EQ(**r, p);
}

TEST(FrameParser, DefaultLimitAcceptsMaxDeclaredLength) {
  FrameParser parser;
  parser.feed(core::Bytes{0xff, 0xff, 0xff, 0x00});
  auto r = parser.next();
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->has_value());  // waits for the rest rather than failing
}

TEST(IntroParser, PlainIntroThenFrame) {
  core::Bytes p = payload_of(36, 2);
  core::Bytes stream = core::concat({make_intro(), frame_of(p)});
  auto parser = FrameParser::for_server();
  EXPECT_FALSE(parser.intro_done());
  parser.feed(stream);
  auto frames = drain(parser);
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_EQ(frames[0], p);
  EXPECT_TRUE(parser.intro_done());
  EXPECT_FALSE(parser.routing_info().has_value());
  EXPECT_EQ(parser.consumed(), stream.size());
}

TEST(IntroParser, EdgeRoutingPrefixSplitEverywhere) {
  core::Bytes routing = payload_of(11, 40);
  core::Bytes p1 = payload_of(36, 2), p2 = payload_of(1, 1);
  core::Bytes stream = core::concat({make_intro(routing), frame_of(p1), frame_of(p2)});
  for (size_t cut = 0; cut <= stream.size(); ++cut) {
    auto parser = FrameParser::for_server();
    parser.feed(core::ByteView(stream).first(cut));
    auto frames = drain(parser);
    parser.feed(core::ByteView(stream).subspan(cut));
    auto rest = drain(parser);
    frames.insert(frames.end(), rest.begin(), rest.end());
    ASSERT_EQ(frames.size(), 2u) << "cut at " << cut;
    EXPECT_EQ(frames[0], p1);
    EXPECT_EQ(frames[1], p2);
    ASSERT_TRUE(parser.routing_info().has_value());
    EXPECT_EQ(*parser.routing_info(), routing);
    EXPECT_EQ(parser.consumed(), stream.size());
  }
}

TEST(IntroParser, SplitPlainIntroByteAtATime) {
  core::Bytes stream = core::concat({make_intro(), frame_of(payload_of(2, 0))});
  auto parser = FrameParser::for_server();
  size_t frames = 0;
  for (uint8_t b : stream) {
    parser.feed(core::ByteView(&b, 1));
    frames += drain(parser).size();
  }
  EXPECT_EQ(frames, 1u);
  EXPECT_TRUE(parser.intro_done());
}

TEST(IntroParser, EmptyRoutingInfoIsAccepted) {
  core::Bytes stream{'E', 'D', 0, 1, 0, 0, 0, 'W', 'A', 6, 3, 0, 0, 1, 0x42};
  auto parser = FrameParser::for_server();
  parser.feed(stream);
  auto frames = drain(parser);
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_EQ(frames[0], core::Bytes{0x42});
  ASSERT_TRUE(parser.routing_info().has_value());
  EXPECT_TRUE(parser.routing_info()->empty());
}

core::Status intro_error(core::ByteView stream) {
  auto parser = FrameParser::for_server();
  parser.feed(stream);
  auto r = parser.next();
  return r.status();
}

TEST(IntroParser, BadMagic) {
  auto s = intro_error(core::Bytes{'W', 'B', 6, 3, 0, 0, 0});
  EXPECT_EQ(s.code(), core::StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("magic"), std::string::npos) << s.to_string();
  EXPECT_EQ(intro_error(core::Bytes{'W', 'A', 5, 3}).code(), core::StatusCode::kInvalidArgument);
  // A plain frame with no intro at all is rejected by its first byte.
  EXPECT_EQ(intro_error(core::Bytes{0x00}).code(), core::StatusCode::kInvalidArgument);
}

TEST(IntroParser, WrongDictionaryVersion) {
  auto s = intro_error(core::Bytes{'W', 'A', 6, 2});
  EXPECT_EQ(s.code(), core::StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("dictionary version 2"), std::string::npos) << s.to_string();
}

TEST(IntroParser, BadHeaderAfterRoutingPrefix) {
  auto s = intro_error(core::Bytes{'E', 'D', 0, 1, 0, 0, 1, 0x99, 'W', 'A', 6, 4});
  EXPECT_EQ(s.code(), core::StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("dictionary version 4"), std::string::npos) << s.to_string();
}

TEST(IntroParser, BadRoutingPrefixVersion) {
  EXPECT_EQ(intro_error(core::Bytes{'E', 'D', 0, 2}).code(), core::StatusCode::kInvalidArgument);
  EXPECT_EQ(intro_error(core::Bytes{'E', 'X'}).code(), core::StatusCode::kInvalidArgument);
}

TEST(IntroParser, OversizeRoutingInfo) {
  auto s = intro_error(core::Bytes{'E', 'D', 0, 1, 0xff, 0xff, 0xff});
  EXPECT_EQ(s.code(), core::StatusCode::kOutOfRange);
}

TEST(IntroParser, RejectsEarlyOnPartialGarbage) {
  // The first byte already disagrees; the parser must not wait for four bytes.
  auto parser = FrameParser::for_server();
  parser.feed(core::Bytes{'X'});
  EXPECT_FALSE(parser.next().ok());
}

TEST(IntroParser, IncompleteIntroWaits) {
  auto parser = FrameParser::for_server();
  parser.feed(core::Bytes{'W', 'A', 6});
  auto r = parser.next();
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->has_value());
  EXPECT_FALSE(parser.intro_done());
}

}  // namespace
}  // namespace wa::noise
