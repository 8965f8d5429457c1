// Helper process for the storage tests.
//   migrate <url>                          apply migrations; print how many were applied
//   signal-crash <url> <key hex> <session> <stream file>
//       decrypt (real Signal layer) and record the pre-generated stream until killed
// For the CLI test (cli_test.sh):
//   legacy-fixture <dir> <key hex>   write the Node server's seed files plus one corrupt file
//   seal <url> <key hex>             store a sealed Signal record in session "cli"
//   unseal <url> <key hex>           print it back (exit 10 with the reason when open fails)
#include <unistd.h>

#include <cstdio>
#include <string>

#include "core/clock.h"
#include "storage/migrations.h"
#include "storage/password.h"
#include "storage/storage.h"
#include "tests/unit/storage/legacy_fixture.h"
#include "tests/unit/storage/signal_fixture.h"
#include "wa/signal/cipher.h"
#include "wa/signal/padding.h"

using namespace storage;

namespace {

int migrate(const std::string& url) {
  DatabaseOptions o;
  o.url = url;
  o.pool_size = 1;
  auto db = Database::open(o);
  if (!db.ok()) {
    std::fprintf(stderr, "%s\n", db.status().to_string().c_str());
    return 1;
  }
  auto n = Migrator(**db).migrate();
  if (!n.ok()) {
    std::fprintf(stderr, "%s\n", n.status().to_string().c_str());
    return 1;
  }
  std::printf("%d\n", *n);
  return 0;
}

// Receives the pre-generated Signal stream (signal_fixture.h) on the session's SQL device store
// the way the client does: the messages recorded so far were acked, so the "server" redelivers
// from the next one; each decrypt runs in a wa/store Transaction whose commit hook records the
// inbound message and its webhook event in the same DB transaction as the ratchet advance.
int signal_crash(const std::string& url, const std::string& key, const std::string& session,
                 const std::string& stream_path) {
  auto entries = testing::read_stream(stream_path);
  if (!entries.ok()) {
    std::fprintf(stderr, "stream: %s\n", entries.status().to_string().c_str());
    return 20;
  }
  StorageOptions o;
  o.database.url = url;
  o.database.pool_size = 2;
  o.encryption_key_hex = key;
  o.migrate = false;
  auto storage = Storage::open(o);
  if (!storage.ok()) {
    std::fprintf(stderr, "open: %s\n", storage.status().to_string().c_str());
    return 10;
  }
  Storage& s = **storage;
  auto store = s.device_store(session);
  testing::ReceiverRandom random;
  auto protocol =
      wa::signal::SignalProtocol::create(*store, testing::receiver_keys().identity, &random);
  if (!protocol.ok()) return 21;
  auto recorded = s.messages().count(session);
  if (!recorded.ok()) return 22;
  std::printf("ready\n");
  std::fflush(stdout);
  for (size_t i = static_cast<size_t>(*recorded);; ++i) {
    if (i >= entries->size()) {
      std::printf("exhausted\n");
      std::fflush(stdout);
      ::pause();  // wait for the kill; the test reports that the stream was too short
      return 23;
    }
    const testing::CipherEntry& e = (*entries)[i];
    auto txn = store->begin();
    random.reseed(i);
    auto dec = (*protocol)->decrypt(*txn, testing::peer_address(e.peer), e.type, e.ciphertext);
    if (!dec.ok()) {
      std::fprintf(stderr, "decrypt %zu: %s\n", i, dec.status().to_string().c_str());
      return wa::signal::is_duplicate(dec.status()) ? 13 : 14;
    }
    auto text = wa::signal::unpad(dec->plaintext);
    if (!text.ok() || core::to_string(*text) != testing::entry_plaintext(i)) return 15;
    txn->add_commit_hook([&]() -> core::Status {
      MessageRecord m;
      m.session_id = session;
      m.chat_jid = testing::peer_jid(e.peer);
      m.sender_jid = m.chat_jid;
      m.message_id = testing::entry_message_id(i);
      m.message_ts = static_cast<long long>(i);
      m.body_json = "{\"text\":\"" + testing::entry_plaintext(i) + "\"}";
      CORE_ASSIGN_OR_RETURN(bool inserted, s.messages().record_inbound(m));
      if (!inserted) return core::Status::already_exists("message recorded twice");
      WebhookEvent ev;
      ev.event_id = "ev-" + m.message_id;
      ev.session_id = session;
      ev.event_type = "message";
      ev.payload_json = m.body_json;
      CORE_ASSIGN_OR_RETURN(bool queued, s.webhooks().enqueue(ev));
      if (!queued) return core::Status::already_exists("event queued twice");
      return core::Status();
    });
    core::Status st = txn->commit();
    if (!st.ok()) {
      std::fprintf(stderr, "commit %zu: %s\n", i, st.to_string().c_str());
      return st.code() == core::StatusCode::kAlreadyExists ? 16 : 17;
    }
  }
}

int legacy_fixture(const std::string& dir, const std::string& key) {
  core::FakeRandom rng(5);
  auto hash = bcrypt_hash("123456789", 4, rng);
  if (!hash.ok()) return 1;
  testing::LegacyFixture fx(dir, key);
  fx.write_all(*hash, *hash);
  std::ofstream(std::filesystem::path(dir) / "activity_logs/activities_2025-12-02.enc")
      << "00112233445566778899aabbccddeeff:zz";
  return 0;
}

core::Result<std::unique_ptr<Storage>> open_existing(const std::string& url,
                                                     const std::string& key) {
  StorageOptions o;
  o.database.url = url;
  o.database.pool_size = 1;
  o.encryption_key_hex = key;
  o.migrate = false;
  return Storage::open(o);
}

const wa::store::SignalAddress kSealedAddress{"15550001111", 0};
constexpr const char* kSealedRecord = "a sealed session record";

int seal(const std::string& url, const std::string& key) {
  auto s = open_existing(url, key);
  if (!s.ok()) {
    std::fprintf(stderr, "%s\n", s.status().to_string().c_str());
    return 10;
  }
  if (!(*s)->wa_sessions().ensure("cli", std::nullopt).ok()) return 11;
  auto st = (*s)->device_store("cli")->store_session(kSealedAddress, core::as_view(kSealedRecord));
  return st.ok() ? 0 : 12;
}

int unseal(const std::string& url, const std::string& key) {
  auto s = open_existing(url, key);
  if (!s.ok()) {
    std::fprintf(stderr, "%s\n", std::string(s.status().message()).c_str());
    return 10;
  }
  auto rec = (*s)->device_store("cli")->load_session(kSealedAddress);
  if (!rec.ok() || !*rec) return 11;
  std::printf("%s\n", core::to_string(**rec).c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::string mode = argc > 1 ? argv[1] : "";
  if (mode == "migrate" && argc == 3) return migrate(argv[2]);
  if (mode == "legacy-fixture" && argc == 4) return legacy_fixture(argv[2], argv[3]);
  if (mode == "seal" && argc == 4) return seal(argv[2], argv[3]);
  if (mode == "unseal" && argc == 4) return unseal(argv[2], argv[3]);
  if (mode == "signal-crash" && argc == 6) return signal_crash(argv[2], argv[3], argv[4], argv[5]);
  std::fprintf(stderr,
               "usage: storage_test_child migrate <url> | signal-crash <url> <key> <session> "
               "<stream file>\n");
  return 2;
}
