// MediaFetcher against a local HTTP origin on loopback: refused when private addresses are not
// allowed, stored like an upload when they are (type sniffed, owner/session recorded), and every
// failure mode (404, redirect not followed, too big with and without Content-Length, wrong type,
// timeout, bad scheme) leaves no file and no row behind. Also the audio/video sniffing the media
// messages need.
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "gateway/api/media_fetch.h"
#include "gateway/api/messaging_routes.h"
#include "gateway/services.h"
#include "storage/password.h"
#include "storage/storage.h"
#include "tests/unit/gateway_groups/http_stub.h"

namespace gw {
namespace {

using testing::HttpStub;

const std::string kPng = std::string("\x89PNG\r\n\x1A\n", 8) + std::string(200, 'p');

core::Bytes bytes(std::string_view s) { return core::Bytes(s.begin(), s.end()); }

class MediaFetchTest : public ::testing::Test {
 protected:
  void SetUp() override {
    static std::atomic<int> counter{0};
    dir_ = std::filesystem::temp_directory_path() /
           ("sl-fetch-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    storage::StorageOptions o;
    o.database.url = "sqlite://" + (dir_ / "test.db").string();
    o.encryption_key_hex = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
    o.key_file = dir_ / "secret.key";
    auto s = storage::Storage::open(o, clock_, core::SecureRandom::instance());
    ASSERT_TRUE(s.ok()) << s.status().to_string();
    services_ = std::make_unique<Services>(
        std::move(*s),
        [this](std::function<void()> fn) {
          std::lock_guard lock(mu_);
          posted_.push_back(std::move(fn));
        },
        clock_, core::SecureRandom::instance());
    // media_files references its session and owner.
    for (const char* sid : {"s1", "s9"}) {
      storage::WaSession ws;
      ws.id = sid;
      ASSERT_TRUE(services_->storage().wa_sessions().create(ws).ok());
    }
    for (const char* email : {"u1@example.com", "u2@example.com"}) {
      storage::User u;
      u.email = email;
      auto hash = storage::hash_password("password-123", storage::PasswordCost::kMinimal);
      ASSERT_TRUE(hash.ok());
      u.password_hash = *hash;
      auto created = services_->storage().users().create(u);
      ASSERT_TRUE(created.ok()) << created.status().to_string();
      user_ids_.push_back(created->id);
    }
  }
  void TearDown() override {
    services_->stop();
    services_.reset();
    std::filesystem::remove_all(dir_);
  }

  std::unique_ptr<api::MediaFetcher> fetcher(
      bool allow_private, size_t max_bytes = 4096,
      std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    UrlPolicy::Options po;
    po.allow_private = allow_private;
    policy_ = std::make_unique<UrlPolicy>(po);
    api::MediaFetcher::Options fo;
    fo.dir = dir_ / "media";
    fo.max_bytes = max_bytes;
    fo.timeout = timeout;
    return std::make_unique<api::MediaFetcher>(*services_, *policy_, fo);
  }

  size_t stored_files() const {
    if (!std::filesystem::exists(dir_ / "media")) return 0;
    size_t n = 0;
    for (const auto& e : std::filesystem::directory_iterator(dir_ / "media")) {
      (void)e;
      ++n;
    }
    return n;
  }

  // "u1" / "u2": the users created in SetUp.
  auth::Principal user(const std::string& name) const {
    auth::Principal p;
    p.kind = auth::Principal::Kind::kUser;
    p.user_id = name == "u1" ? user_ids_.at(0) : user_ids_.at(1);
    p.role = "user";
    return p;
  }

  std::filesystem::path dir_;
  core::FakeClock clock_;
  std::mutex mu_;
  std::vector<std::function<void()>> posted_;
  std::unique_ptr<Services> services_;
  std::unique_ptr<UrlPolicy> policy_;
  std::vector<std::string> user_ids_;
};

TEST_F(MediaFetchTest, LoopbackRefusedWhenPrivateAddressesAreNotAllowed) {
  HttpStub origin([](const std::string&) { return HttpStub::ok(kPng, "image/png"); });
  auto f = fetcher(false);
  auto r = f->fetch_blocking(origin.url("/a.png"), user("u1"), "s1");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), core::StatusCode::kPermissionDenied) << r.status().message();
  EXPECT_TRUE(origin.targets().empty()) << "no request may reach a refused address";
  EXPECT_EQ(stored_files(), 0u);
}

TEST_F(MediaFetchTest, StoresLikeAnUploadWhenAllowed) {
  HttpStub origin([](const std::string&) {
    return HttpStub::ok(kPng, "text/html");  // the remote type is ignored: content decides
  });
  auto f = fetcher(true);
  auto r = f->fetch_blocking(origin.url("/pics/cat%20photo.png?sig=secret"), user("u1"), "s1");
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_EQ(r->mime_type, "image/png");
  EXPECT_EQ(r->file_name, "cat20photo.png");
  auto row = services_->storage().media().find(r->media_id);
  ASSERT_TRUE(row.ok());
  ASSERT_TRUE(row->has_value());
  const storage::MediaFile& m = **row;
  EXPECT_EQ(m.mime, "image/png");
  EXPECT_EQ(m.size, static_cast<long long>(kPng.size()));
  EXPECT_EQ(m.session_id, std::optional<std::string>("s1"));
  EXPECT_EQ(m.owner_id, std::optional<std::string>(user_ids_.at(0)));
  EXPECT_EQ(std::filesystem::path(m.path).parent_path(), dir_ / "media");
  std::ifstream in(m.path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  EXPECT_EQ(ss.str(), kPng);
  // Ownership like an upload: the owner and the session's token may use it, others not.
  EXPECT_TRUE(api::may_use_media(user("u1"), m));
  EXPECT_FALSE(api::may_use_media(user("u2"), m));
  auth::Principal token;
  token.kind = auth::Principal::Kind::kSessionToken;
  token.session_scope = "s1";
  EXPECT_TRUE(api::may_use_media(token, m));
  token.session_scope = "s2";
  EXPECT_FALSE(api::may_use_media(token, m));
  // Another session of the same owner may use it (as the send path allows), a stranger's not.
  EXPECT_TRUE(api::may_use_media(token, m, user_ids_.at(0)));
  EXPECT_FALSE(api::may_use_media(token, m, std::string("someone-else")));
  // A file uploaded with a session's token belongs to that session's owner too.
  storage::MediaFile by_token = m;
  by_token.owner_id.reset();
  EXPECT_FALSE(api::may_use_media(user("u1"), by_token));
  EXPECT_TRUE(api::may_use_media(user("u1"), by_token, std::nullopt, user_ids_.at(0)));
  EXPECT_FALSE(api::may_use_media(user("u2"), by_token, std::nullopt, user_ids_.at(0)));
}

TEST_F(MediaFetchTest, AsyncFetchAnswersThroughPost) {
  HttpStub origin([](const std::string&) { return HttpStub::ok("%PDF-1.7 hello", "x/y"); });
  auto f = fetcher(true);
  std::optional<core::Result<api::FetchedMedia>> got;
  auth::Principal token;
  token.kind = auth::Principal::Kind::kSessionToken;
  token.session_scope = "s9";
  f->fetch(origin.url("/doc"), token, "s9",
           [&](core::Result<api::FetchedMedia> r) { got = std::move(r); });
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!got && std::chrono::steady_clock::now() < deadline) {
    std::vector<std::function<void()>> run;
    {
      std::lock_guard lock(mu_);
      run.swap(posted_);
    }
    for (auto& fn : run) fn();
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ASSERT_TRUE(got.has_value());
  ASSERT_TRUE(got->ok()) << got->status().to_string();
  EXPECT_EQ((*got)->mime_type, "application/pdf");
  EXPECT_EQ((*got)->file_name, "doc");
  auto row = services_->storage().media().find((*got)->media_id);
  ASSERT_TRUE(row.ok() && row->has_value());
  EXPECT_EQ((*row)->session_id, std::optional<std::string>("s9"));
  EXPECT_FALSE((*row)->owner_id.has_value());
}

TEST_F(MediaFetchTest, HttpErrorStatusIsRefused) {
  HttpStub origin([](const std::string&) {
    return HttpStub::Answer{
        "HTTP/1.1 404 Not Found\r\nContent-Length: 9\r\nConnection: close\r\n\r\nnot found"};
  });
  auto r = fetcher(true)->fetch_blocking(origin.url("/missing.png"), user("u1"), "s1");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), core::StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("404"), std::string::npos) << r.status().message();
  EXPECT_EQ(stored_files(), 0u);
}

TEST_F(MediaFetchTest, RedirectIsNotFollowed) {
  HttpStub origin([](const std::string& target) {
    if (target == "/real.png") return HttpStub::ok(kPng, "image/png");
    return HttpStub::Answer{
        "HTTP/1.1 302 Found\r\nLocation: /real.png\r\nContent-Length: 0\r\nConnection: "
        "close\r\n\r\n"};
  });
  auto r = fetcher(true)->fetch_blocking(origin.url("/start.png"), user("u1"), "s1");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), core::StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("redirect"), std::string::npos) << r.status().message();
  EXPECT_EQ(origin.targets(), std::vector<std::string>{"/start.png"});
  EXPECT_EQ(stored_files(), 0u);
}

TEST_F(MediaFetchTest, TooBigWithContentLength) {
  const std::string big = std::string("\x89PNG\r\n\x1A\n", 8) + std::string(5000, 'x');
  HttpStub origin([&](const std::string&) { return HttpStub::ok(big, "image/png"); });
  auto r = fetcher(true, 4096)->fetch_blocking(origin.url("/big.png"), user("u1"), "s1");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), core::StatusCode::kOutOfRange) << r.status().to_string();
  EXPECT_EQ(stored_files(), 0u);
}

TEST_F(MediaFetchTest, TooBigWithoutContentLength) {
  // No Content-Length (body until close): the limit must be enforced while reading.
  const std::string big = std::string("\x89PNG\r\n\x1A\n", 8) + std::string(100000, 'x');
  HttpStub origin([&](const std::string&) {
    return HttpStub::Answer{"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n" + big};
  });
  auto r = fetcher(true, 4096)->fetch_blocking(origin.url("/stream.png"), user("u1"), "s1");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), core::StatusCode::kOutOfRange) << r.status().to_string();
  EXPECT_EQ(stored_files(), 0u);
}

TEST_F(MediaFetchTest, ExactlyAtTheLimitIsAccepted) {
  const std::string png = std::string("\x89PNG\r\n\x1A\n", 8) + std::string(4096 - 8, 'x');
  HttpStub origin([&](const std::string&) { return HttpStub::ok(png, "image/png"); });
  auto r = fetcher(true, 4096)->fetch_blocking(origin.url("/edge.png"), user("u1"), "s1");
  ASSERT_TRUE(r.ok()) << r.status().to_string();
}

TEST_F(MediaFetchTest, WrongTypeIsRefusedAndNothingStored) {
  HttpStub origin([](const std::string&) {
    return HttpStub::ok("<html><script>alert(1)</script></html>", "image/png");
  });
  auto r = fetcher(true)->fetch_blocking(origin.url("/fake.png"), user("u1"), "s1");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), core::StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("Invalid file type"), std::string::npos);
  EXPECT_EQ(stored_files(), 0u);
}

TEST_F(MediaFetchTest, EmptyBodyIsRefused) {
  HttpStub origin([](const std::string&) { return HttpStub::ok("", "image/png"); });
  auto r = fetcher(true)->fetch_blocking(origin.url("/empty.png"), user("u1"), "s1");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), core::StatusCode::kInvalidArgument);
}

TEST_F(MediaFetchTest, SlowOriginTimesOut) {
  HttpStub origin([](const std::string&) {
    HttpStub::Answer a = HttpStub::ok(kPng, "image/png");
    a.delay = std::chrono::milliseconds(1500);
    return a;
  });
  auto r = fetcher(true, 4096, std::chrono::milliseconds(300))
               ->fetch_blocking(origin.url("/slow.png"), user("u1"), "s1");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), core::StatusCode::kDeadlineExceeded) << r.status().to_string();
}

TEST_F(MediaFetchTest, BadUrlsAreRefusedBeforeAnyRequest) {
  auto f = fetcher(true);
  for (std::string bad : {"ftp://127.0.0.1/a.png", "file:///etc/passwd", "not a url",
                          "http://user:pw@127.0.0.1/a.png", "gopher://127.0.0.1/"}) {
    auto r = f->fetch_blocking(bad, user("u1"), "s1");
    EXPECT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.status().code(), core::StatusCode::kInvalidArgument) << bad;
  }
}

TEST_F(MediaFetchTest, ClosedPortIsUnavailable) {
  int port = 0;
  {
    HttpStub gone([](const std::string&) { return HttpStub::ok("x"); });
    port = gone.port();
  }
  auto r = fetcher(true)->fetch_blocking("http://127.0.0.1:" + std::to_string(port) + "/a.png",
                                         user("u1"), "s1");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), core::StatusCode::kUnavailable) << r.status().to_string();
}

TEST(MediaSniffAvTest, AudioAndVideoTypes) {
  std::string ogg = "OggS" + std::string(24, '\0') + "OpusHead";
  EXPECT_EQ(api::sniff_media_type(bytes(ogg), ""), "audio/ogg; codecs=opus");
  EXPECT_EQ(api::sniff_media_type(bytes("OggS" + std::string(24, '\0') + "\x01vorbis"), ""),
            "audio/ogg");
  EXPECT_EQ(api::sniff_media_type(bytes(std::string("\0\0\0\x18", 4) + "ftypisom0000"), "a.bin"),
            "video/mp4");
  EXPECT_EQ(api::sniff_media_type(bytes(std::string("\0\0\0\x18", 4) + "ftypmp420000"), ""),
            "video/mp4");
  EXPECT_EQ(api::sniff_media_type(bytes(std::string("\0\0\0\x18", 4) + "ftypM4A 0000"), ""),
            "audio/mp4");
  EXPECT_FALSE(api::sniff_media_type(bytes(std::string("\0\0\0\x18", 4) + "ftypheic0000"), ""))
      << "unknown ISO-BMFF brands (HEIC images) are not video";
  EXPECT_FALSE(api::sniff_media_type(bytes(std::string("\0\0\0\x18", 4) + "ftyp"), ""));
  EXPECT_EQ(api::sniff_media_type(bytes("ID3\x04\x00"), ""), "audio/mpeg");
  EXPECT_EQ(api::sniff_media_type(bytes("\xFF\xFB\x90\x00"), ""), "audio/mpeg");
  EXPECT_EQ(api::sniff_media_type(bytes("\xFF\xF1\x50\x80"), ""), "audio/aac");
  EXPECT_EQ(api::sniff_media_type(bytes("\xFF\xD8\xFF\xE0"), ""), "image/jpeg");
  EXPECT_FALSE(api::sniff_media_type(bytes("\xFF"), ""));
  EXPECT_FALSE(api::sniff_media_type(bytes("Ogg"), ""));
}

}  // namespace
}  // namespace gw
