#include "gateway/http/multipart.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace gw::http {
namespace {

// Records every event as text so splits can be compared with the unsplit parse.
class Recorder final : public MultipartSink {
 public:
  core::Status on_part_begin(const PartHeaders& h) override {
    log += "[begin " + h.name + (h.filename ? " file=" + *h.filename : "") +
           " type=" + h.content_type + "]";
    return core::Status();
  }
  core::Status on_part_data(std::string_view d) override {
    log.append(d);
    return core::Status();
  }
  core::Status on_part_end() override {
    log += "[end]";
    return core::Status();
  }
  std::string log;
};

const std::string kBoundary = "----sl7MA4YWxkTrZu0gW";

std::string sample_body() {
  std::string b;
  b += "preamble to ignore\r\n";
  b += "--" + kBoundary + "\r\n";
  b += "Content-Disposition: form-data; name=\"sessionId\"\r\n\r\n";
  b += "s1\r\n";
  b += "--" + kBoundary + "\r\n";
  b += "Content-Disposition: form-data; name=\"file\"; filename=\"../../etc/a b.png\"\r\n";
  b += "Content-Type: image/png\r\n\r\n";
  // Binary data that contains almost-delimiters.
  b += std::string("\x89PNG\r\n\x1a\n\r\n--", 12) + "----sl7MA4YWxkTrZu0g" + "\r\n-";
  b += "\r\n--" + kBoundary + "\r\n";
  b += "Content-Disposition: form-data; name=\"caption\"\r\n\r\n";
  b += "hello\r\nworld";
  b += "\r\n--" + kBoundary + "--\r\nepilogue";
  return b;
}

std::string parse_whole(const std::string& body) {
  Recorder rec;
  MultipartParser p(kBoundary, rec);
  EXPECT_TRUE(p.feed(body).ok());
  EXPECT_TRUE(p.finish().ok());
  return rec.log;
}

TEST(Multipart, ParsesFieldsAndFiles) {
  auto log = parse_whole(sample_body());
  EXPECT_EQ(log,
            "[begin sessionId type=text/plain]s1[end]"
            "[begin file file=a b.png type=image/png]" +
                std::string("\x89PNG\r\n\x1a\n\r\n--", 12) +
                "----sl7MA4YWxkTrZu0g\r\n-[end]"
                "[begin caption type=text/plain]hello\r\nworld[end]");
}

TEST(Multipart, EverySplitPointGivesTheSameEvents) {
  const auto body = sample_body();
  const auto expected = parse_whole(body);
  for (size_t cut = 0; cut <= body.size(); ++cut) {
    Recorder rec;
    MultipartParser p(kBoundary, rec);
    ASSERT_TRUE(p.feed(std::string_view(body).substr(0, cut)).ok()) << cut;
    ASSERT_TRUE(p.feed(std::string_view(body).substr(cut)).ok()) << cut;
    ASSERT_TRUE(p.finish().ok()) << cut;
    // Data may arrive in different chunks, but the concatenation is the same.
    EXPECT_EQ(rec.log, expected) << "split at " << cut;
  }
}

TEST(Multipart, ByteByByte) {
  const auto body = sample_body();
  Recorder rec;
  MultipartParser p(kBoundary, rec);
  for (char c : body) ASSERT_TRUE(p.feed(std::string_view(&c, 1)).ok());
  ASSERT_TRUE(p.finish().ok());
  EXPECT_EQ(rec.log, parse_whole(body));
}

TEST(Multipart, BoundaryFromContentType) {
  EXPECT_EQ(*multipart_boundary("multipart/form-data; boundary=abc"), "abc");
  EXPECT_EQ(*multipart_boundary("Multipart/Form-Data; charset=utf-8; boundary=\"a b\""), "a b");
  EXPECT_FALSE(multipart_boundary("multipart/form-data").ok());
  EXPECT_FALSE(multipart_boundary("application/json; boundary=x").ok());
  EXPECT_FALSE(multipart_boundary("multipart/form-data; boundary=" + std::string(71, 'x')).ok());
  EXPECT_TRUE(is_multipart_form("multipart/form-data;boundary=x"));
}

TEST(Multipart, MalformedInputsAreErrors) {
  auto fails = [](const std::string& body) {
    Recorder rec;
    MultipartParser p("b", rec);
    auto st = p.feed(body);
    if (st.ok()) st = p.finish();
    return !st.ok();
  };
  EXPECT_TRUE(fails(""));                                // no boundary at all
  EXPECT_TRUE(fails("--b\r\n\r\nno headers\r\n--b--"));  // no Content-Disposition
  EXPECT_TRUE(fails("--b\r\nContent-Disposition: form-data\r\n\r\nx\r\n--b--"));  // no name
  EXPECT_TRUE(fails("--b\r\nContent-Disposition: attachment; name=\"a\"\r\n\r\nx\r\n--b--"));
  EXPECT_TRUE(fails("--b\r\nBroken header line\r\n\r\nx\r\n--b--"));
  EXPECT_TRUE(fails("--bX\r\n"));  // garbage after boundary
  EXPECT_TRUE(fails("--b\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\ntruncated"));
  EXPECT_TRUE(fails("--b\r\n" + std::string(10000, 'h')));  // header block too large
  EXPECT_FALSE(fails("--b\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nx\r\n--b--"));
  // Transport padding after the boundary is allowed.
  EXPECT_FALSE(fails("--b  \r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nx\r\n--b--"));
}

TEST(Multipart, FailedParserStaysFailed) {
  Recorder rec;
  MultipartParser p("b", rec);
  EXPECT_FALSE(p.feed("--bX").ok());
  EXPECT_FALSE(p.feed("\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n").ok());
  EXPECT_FALSE(p.finish().ok());
}

TEST(Multipart, TooManyParts) {
  Recorder rec;
  MultipartLimits limits;
  limits.max_parts = 2;
  MultipartParser p("b", rec, limits);
  std::string body;
  for (int i = 0; i < 3; ++i)
    body += "--b\r\nContent-Disposition: form-data; name=\"f\"\r\n\r\nv\r\n";
  body += "--b--";
  auto st = p.feed(body);
  EXPECT_EQ(st.code(), core::StatusCode::kOutOfRange);
}

class FormCollectorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("sl-mp-" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  size_t files_in_dir() const {
    if (!std::filesystem::exists(dir_)) return 0;
    return static_cast<size_t>(std::distance(std::filesystem::directory_iterator(dir_),
                                             std::filesystem::directory_iterator()));
  }
  std::filesystem::path dir_;
};

TEST_F(FormCollectorTest, StreamsFilesToDiskAndCleansUp) {
  const auto body = sample_body();
  std::filesystem::path kept = dir_ / "kept.png";
  {
    FormCollector collector(dir_);
    MultipartParser p(kBoundary, collector);
    // Feed in odd-sized chunks.
    for (size_t i = 0; i < body.size(); i += 7) {
      ASSERT_TRUE(p.feed(std::string_view(body).substr(i, 7)).ok());
    }
    ASSERT_TRUE(p.finish().ok());
    auto form = collector.take();
    ASSERT_TRUE(form);
    EXPECT_EQ(form->field("sessionId").value_or(""), "s1");
    EXPECT_EQ(form->field("caption").value_or(""), "hello\r\nworld");
    const UploadedFile* f = form->file("file");
    ASSERT_NE(f, nullptr);
    EXPECT_EQ(f->filename, "a b.png");  // path components stripped
    EXPECT_EQ(f->content_type, "image/png");
    std::ifstream in(f->path, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    EXPECT_EQ(ss.str().size(), f->size);
    EXPECT_EQ(ss.str().substr(0, 4), "\x89PNG");
    auto perms = std::filesystem::status(f->path).permissions();
    EXPECT_EQ(perms & std::filesystem::perms::group_read, std::filesystem::perms::none);
    EXPECT_EQ(files_in_dir(), 1u);
    ASSERT_TRUE(form->keep_file(*f, kept).ok());
    EXPECT_TRUE(form->files.empty());
  }
  // The kept file stays; nothing else.
  EXPECT_TRUE(std::filesystem::exists(kept));
  EXPECT_EQ(files_in_dir(), 1u);
}

TEST_F(FormCollectorTest, FileLimitEnforcedWhileWritingAndFileRemoved) {
  std::string body =
      "--b\r\nContent-Disposition: form-data; name=\"f\"; filename=\"x.bin\"\r\n\r\n";
  MultipartLimits limits;
  limits.max_file_bytes = 1000;
  {
    FormCollector collector(dir_, limits);
    MultipartParser p("b", collector, limits);
    ASSERT_TRUE(p.feed(body).ok());
    core::Status st;
    for (int i = 0; i < 100 && st.ok(); ++i) st = p.feed(std::string(100, 'x'));
    EXPECT_EQ(st.code(), core::StatusCode::kOutOfRange);
    // Never more than the limit on disk.
    for (auto& e : std::filesystem::directory_iterator(dir_)) {
      EXPECT_LE(std::filesystem::file_size(e.path()), 1000u);
    }
  }
  EXPECT_EQ(files_in_dir(), 0u);  // the collector's Form removed the partial file
}

TEST_F(FormCollectorTest, FieldLimit) {
  MultipartLimits limits;
  limits.max_field_bytes = 10;
  FormCollector collector(dir_, limits);
  MultipartParser p("b", collector, limits);
  auto st = p.feed("--b\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n" +
                   std::string(50, 'x') + "\r\n--b--");
  EXPECT_EQ(st.code(), core::StatusCode::kOutOfRange);
}

}  // namespace
}  // namespace gw::http
