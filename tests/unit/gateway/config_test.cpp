#include "gateway/config/config.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>

namespace gw::config {
namespace {

core::Result<Config> load_map(std::map<std::string, std::string> m) {
  return load(map_lookup(std::move(m)));
}

std::string error_of(std::map<std::string, std::string> m) {
  auto r = load_map(std::move(m));
  EXPECT_FALSE(r.ok());
  return r.ok() ? "" : r.status().message();
}

TEST(Config, SeedDefaults) {
  auto c = load_map({});
  ASSERT_TRUE(c.ok()) << c.status().to_string();
  EXPECT_EQ(c->port, 3100);
  EXPECT_EQ(c->host, "0.0.0.0");
  EXPECT_EQ(c->max_sessions, 10);
  EXPECT_EQ(c->session_timeout_hours, 24);
  EXPECT_EQ(c->database_url, "sqlite://./data/superlight.db");
  EXPECT_EQ(c->data_dir, "./data");
  EXPECT_EQ(c->max_upload_mb, 25u);
  EXPECT_EQ(c->webhook_retry_horizon_hours, 24);
  EXPECT_EQ(c->log_level, "info");
  EXPECT_FALSE(c->sandbox);
  EXPECT_FALSE(c->allow_private_webhooks);
  EXPECT_TRUE(c->master_api_key.empty());
  EXPECT_TRUE(c->admin_dashboard_password.empty());
  // TRUST_PROXY empty = loopback, like the seed.
  EXPECT_EQ(c->trust_proxy.client_address("127.0.0.1", "203.0.113.9"), "203.0.113.9");
  EXPECT_EQ(c->trust_proxy.client_address("198.51.100.1", "203.0.113.9"), "198.51.100.1");
}

TEST(Config, ReadsValues) {
  auto c = load_map({{"PORT", "8080"},
                     {"HOST", "127.0.0.1"},
                     {"TRUST_PROXY", "false"},
                     {"MAX_SESSIONS", "50"},
                     {"SESSION_TIMEOUT_HOURS", "1.5"},
                     {"MASTER_API_KEY", " k3y "},
                     {"WEBHOOK_URL", "https://example.com/hook"},
                     {"ALLOW_PRIVATE_WEBHOOKS", "yes"},
                     {"SANDBOX", "1"},
                     {"LOG_LEVEL", "DEBUG"},
                     {"LOG_FORMAT", "json"},
                     {"WA_WS_URL", "ws://127.0.0.1:5222/ws/chat"},
                     {"WA_NOISE_ROOT_KEY", std::string(64, 'A')},
                     {"DATABASE_URL", "postgresql://u:p@db/sl"},
                     {"MAX_UPLOAD_MB", "100"},
                     {"TOKEN_RATE_LIMIT_PER_MINUTE", "0"},
                     {"DATA_DIR", "/var/lib/sl"}});
  ASSERT_TRUE(c.ok()) << c.status().to_string();
  EXPECT_EQ(c->port, 8080);
  EXPECT_EQ(c->host, "127.0.0.1");
  EXPECT_EQ(c->trust_proxy.client_address("127.0.0.1", "203.0.113.9"), "127.0.0.1");
  EXPECT_EQ(c->max_sessions, 50);
  EXPECT_DOUBLE_EQ(c->session_timeout_hours, 1.5);
  EXPECT_EQ(c->master_api_key, "k3y");
  EXPECT_TRUE(c->allow_private_webhooks);
  EXPECT_TRUE(c->sandbox);
  EXPECT_EQ(c->log_level, "debug");
  EXPECT_TRUE(c->log_json);
  EXPECT_EQ(c->wa_noise_root_key, std::string(64, 'a'));
  EXPECT_EQ(c->max_upload_mb, 100u);
  EXPECT_EQ(c->upload_dir(), std::filesystem::path("/var/lib/sl/tmp/uploads"));
  EXPECT_EQ(c->token_rate_limit_per_minute, 0);
  EXPECT_FALSE(load_map({{"TOKEN_RATE_LIMIT_PER_MINUTE", "-1"}}).ok());
  EXPECT_EQ(load_map({})->token_rate_limit_per_minute, 600);
}

TEST(Config, OneClearLinePerBadValue) {
  EXPECT_EQ(error_of({{"PORT", "abc"}}), "PORT must be a port number (1-65535), got \"abc\"");
  EXPECT_EQ(error_of({{"PORT", "70000"}}), "PORT must be a port number (1-65535), got \"70000\"");
  EXPECT_EQ(error_of({{"PORT", "-1"}}), "PORT must be a port number (1-65535), got \"-1\"");
  EXPECT_EQ(error_of({{"MAX_SESSIONS", "0"}}),
            "MAX_SESSIONS must be a whole number from 1 to 100000, got \"0\"");
  EXPECT_EQ(error_of({{"SESSION_TIMEOUT_HOURS", "soon"}}).rfind("SESSION_TIMEOUT_HOURS must be", 0),
            0u);
  EXPECT_EQ(error_of({{"SANDBOX", "maybe"}}).rfind("SANDBOX must be a boolean", 0), 0u);
  EXPECT_EQ(error_of({{"HOST", "localhost"}}).rfind("HOST must be an IP address", 0), 0u);
  EXPECT_EQ(error_of({{"TRUST_PROXY", "not-an-ip"}}).rfind("TRUST_PROXY must be", 0), 0u);
  EXPECT_EQ(error_of({{"WEBHOOK_URL", "ftp://x"}}).rfind("WEBHOOK_URL must be", 0), 0u);
  EXPECT_EQ(error_of({{"DATABASE_URL", "mongodb://x"}}).rfind("DATABASE_URL must be", 0), 0u);
  EXPECT_EQ(error_of({{"LOG_LEVEL", "loud"}}).rfind("LOG_LEVEL must be one of", 0), 0u);
  EXPECT_EQ(error_of({{"LOG_FORMAT", "xml"}}).rfind("LOG_FORMAT must be", 0), 0u);
  EXPECT_EQ(error_of({{"WA_WS_URL", "http://x"}}).rfind("WA_WS_URL must be", 0), 0u);
  EXPECT_EQ(error_of({{"WA_NOISE_ROOT_KEY", "abcd"}}).rfind("WA_NOISE_ROOT_KEY must be 64 hex", 0),
            0u);
  EXPECT_EQ(error_of({{"WA_MEDIA_CA_FILE", "/nonexistent/ca.pem"}}).rfind("WA_MEDIA_CA_FILE", 0),
            0u);
  EXPECT_EQ(error_of({{"MAX_UPLOAD_MB", "0"}}).rfind("MAX_UPLOAD_MB must be", 0), 0u);
  EXPECT_EQ(error_of({{"SESSION_SECRET", "change_this_secret"}}).rfind("SESSION_SECRET", 0), 0u);
  // Control characters in the echoed value are neutralised (one line, always).
  EXPECT_EQ(error_of({{"PORT", "1\n2"}}).find('\n'), std::string::npos);
}

TEST(Config, EmptyValuesMeanDefaults) {
  auto c = load_map({{"PORT", ""}, {"MAX_SESSIONS", " "}, {"TRUST_PROXY", ""}});
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->port, 3100);
  EXPECT_EQ(c->max_sessions, 10);
}

TEST(Config, TrustProxyForms) {
  auto hops = load_map({{"TRUST_PROXY", "1"}});
  ASSERT_TRUE(hops.ok());
  EXPECT_EQ(hops->trust_proxy.client_address("10.0.0.1", "1.1.1.1, 2.2.2.2"), "2.2.2.2");
  auto list = load_map({{"TRUST_PROXY", "loopback, 10.0.0.0/8"}});
  ASSERT_TRUE(list.ok());
  EXPECT_EQ(list->trust_proxy.client_address("10.1.2.3", "9.9.9.9, 127.0.0.1"), "9.9.9.9");
}

TEST(Dotenv, ParsesQuotesCommentsAndExport) {
  auto m = parse_dotenv(
      "# comment\n"
      "\n"
      "PORT=8080\n"
      "export HOST = 127.0.0.1 \n"
      "A=\"quoted # not a comment\"\n"
      "B='single $literal \\n'\n"
      "C=\"line1\\nline2\"  # trailing\n"
      "D=value # trailing comment\n"
      "E=\n"
      "F=a=b\r\n");
  ASSERT_TRUE(m.ok()) << m.status().to_string();
  EXPECT_EQ(m->at("PORT"), "8080");
  EXPECT_EQ(m->at("HOST"), "127.0.0.1");
  EXPECT_EQ(m->at("A"), "quoted # not a comment");
  EXPECT_EQ(m->at("B"), "single $literal \\n");
  EXPECT_EQ(m->at("C"), "line1\nline2");
  EXPECT_EQ(m->at("D"), "value");
  EXPECT_EQ(m->at("E"), "");
  EXPECT_EQ(m->at("F"), "a=b");
}

TEST(Dotenv, ErrorsNameTheLine) {
  auto a = parse_dotenv("OK=1\nnot a pair\n");
  ASSERT_FALSE(a.ok());
  EXPECT_EQ(a.status().message(), ".env line 2: expected KEY=VALUE");
  EXPECT_FALSE(parse_dotenv("A=\"unterminated\n").ok());
  EXPECT_FALSE(parse_dotenv("1BAD=x\n").ok());
  EXPECT_FALSE(parse_dotenv("A=\"x\" junk\n").ok());
}

TEST(Dotenv, RealEnvironmentWinsOverFile) {
  auto dir = std::filesystem::temp_directory_path() / "sl-config-test";
  std::filesystem::create_directories(dir);
  auto file = dir / ".env";
  {
    std::ofstream out(file);
    out << "MAX_SESSIONS=7\nSL_TEST_ONLY_IN_FILE=1\nPORT=4000\n";
  }
  ::setenv("MAX_SESSIONS", "9", 1);
  ::unsetenv("PORT");
  auto c = load_from_process(file);
  ::unsetenv("MAX_SESSIONS");
  ASSERT_TRUE(c.ok()) << c.status().to_string();
  EXPECT_EQ(c->max_sessions, 9);
  EXPECT_EQ(c->port, 4000);
  // A missing file is fine; a malformed one is an error.
  EXPECT_TRUE(load_from_process(dir / "missing.env").ok());
  {
    std::ofstream out(file);
    out << "garbage\n";
  }
  EXPECT_FALSE(load_from_process(file).ok());
  std::filesystem::remove_all(dir);
}

// Components that read their own settings (webhook delivery, URL policy) see .env values
// through the environment; a variable set in the real environment keeps its value.
TEST(Dotenv, ExportFillsOnlyUnsetVariables) {
  auto dir = std::filesystem::temp_directory_path() / "sl-config-export-test";
  std::filesystem::create_directories(dir);
  auto file = dir / ".env";
  {
    std::ofstream out(file);
    out << "SL_TEST_EXPORT_A=from-file\nSL_TEST_EXPORT_B=from-file\n";
  }
  ::unsetenv("SL_TEST_EXPORT_A");
  ::setenv("SL_TEST_EXPORT_B", "from-env", 1);
  ASSERT_TRUE(export_dotenv(file).ok());
  EXPECT_STREQ(std::getenv("SL_TEST_EXPORT_A"), "from-file");
  EXPECT_STREQ(std::getenv("SL_TEST_EXPORT_B"), "from-env");
  EXPECT_TRUE(export_dotenv(dir / "missing.env").ok());
  {
    std::ofstream out(file);
    out << "garbage\n";
  }
  EXPECT_FALSE(export_dotenv(file).ok());
  ::unsetenv("SL_TEST_EXPORT_A");
  ::unsetenv("SL_TEST_EXPORT_B");
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace gw::config
