// SIGKILL crash test on the REAL Signal layer: a child process (child_main.cpp, signal-crash)
// opens the receiver's SqlDeviceStore and decrypts a pre-generated stream from two deterministic
// senders (signal_fixture.h: pkmsgs, then msgs after a DH ratchet step), each decrypt in a
// wa/store Transaction whose commit hook records the inbound message (row + status history) and
// its webhook outbox event. The test kills it at random points many times; after every kill:
//   * the recorded messages are exactly m-0 … m-(n-1), each with one history row and one outbox
//     event (nothing half-recorded);
//   * for every sender, re-decrypting its last recorded ciphertext reports a duplicate (the
//     ratchet advanced with the record) and its next ciphertext decrypts (the ratchet did not
//     advance without the record), and its one-time pre-key is gone iff one of its messages was
//     recorded;
// then the next child carries on from message n.
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <random>
#include <set>
#include <thread>

#include "storage/internal/sql_util.h"
#include "tests/unit/storage/signal_fixture.h"
#include "tests/unit/storage/test_db.h"
#include "wa/signal/cipher.h"
#include "wa/signal/padding.h"

namespace storage {
namespace {

using testing::CipherEntry;

class CrashTest : public testing::StorageTest {};

int env_int(const char* name, int fallback) {
  if (const char* v = std::getenv(name); v && *v) return std::atoi(v);
  return fallback;
}

int kills_wanted() { return env_int("SL_CRASH_KILLS", testing::testing_server() ? 50 : 200); }

struct Recorded {
  std::set<std::string> message_ids;
  std::set<std::string> event_ids;
  long long history_rows = 0;
  long long messages_with_history = 0;
};

core::Result<Recorded> read_recorded(Database& db, const std::string& session) {
  return db.query<Recorded>("checking", [&](soci::session& sql) -> core::Result<Recorded> {
    Recorded r;
    soci::rowset<std::string> ids =
        (sql.prepare << "SELECT message_id FROM messages WHERE session_id = :s",
         soci::use(session));
    for (const auto& id : ids) r.message_ids.insert(id);
    soci::rowset<std::string> evs =
        (sql.prepare << "SELECT event_id FROM webhook_outbox WHERE session_id = :s",
         soci::use(session));
    for (const auto& id : evs) r.event_ids.insert(id);
    sql << "SELECT COUNT(*), COUNT(DISTINCT h.message_row_id) FROM message_status_history h "
           "JOIN messages m ON m.id = h.message_row_id WHERE m.session_id = :s",
        soci::use(session), soci::into(r.history_rows), soci::into(r.messages_with_history);
    return r;
  });
}

// Connections to the test database (servers only). After a SIGKILL the server may still be
// finishing a COMMIT the child sent just before it died; the check must see the final state, so
// it waits until the child's connections are gone (the count is back to the parent's own).
core::Result<long long> server_connections(Database& db) {
  return db.query<long long>("counting connections",
                             [&](soci::session& sql) -> core::Result<long long> {
                               long long n = 0;
                               if (db.dialect() == Dialect::kMysql) {
                                 sql << "SELECT COUNT(*) FROM information_schema.processlist "
                                        "WHERE db = DATABASE()",
                                     soci::into(n);
                               } else {
                                 sql << "SELECT COUNT(*) FROM pg_stat_activity WHERE datname = "
                                        "current_database()",
                                     soci::into(n);
                               }
                               return n;
                             });
}

core::Status wait_for_connections(Database& db, long long baseline) {
  for (int i = 0; i < 5000; ++i) {
    CORE_ASSIGN_OR_RETURN(long long n, server_connections(db));
    if (n <= baseline) return core::Status();
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return core::Status::deadline_exceeded("the killed child's connections did not go away");
}

// Decrypts entry `i` in a transaction that is then dropped (the store does not change).
core::Result<std::string> try_decrypt(wa::signal::SignalProtocol& protocol,
                                      testing::ReceiverRandom& random,
                                      wa::store::SignalStore& store,
                                      const std::vector<CipherEntry>& entries, size_t i) {
  const CipherEntry& e = entries[i];
  random.reseed(i);
  auto txn = store.begin();
  CORE_ASSIGN_OR_RETURN(
      auto dec, protocol.decrypt(*txn, testing::peer_address(e.peer), e.type, e.ciphertext));
  CORE_ASSIGN_OR_RETURN(auto text, wa::signal::unpad(dec.plaintext));
  return core::to_string(text);
}

TEST_F(CrashTest, SigkillNeverSplitsRatchetAndMessageRecord) {
  const std::string session = "crash";
  ASSERT_TRUE(storage_->wa_sessions().ensure(session, std::nullopt).ok());
  auto store = storage_->device_store(session);
  const testing::ReceiverKeys keys = testing::receiver_keys();
  ASSERT_TRUE(testing::install_receiver_keys(*store, keys).ok());
  testing::ReceiverRandom random;
  auto protocol = wa::signal::SignalProtocol::create(*store, keys.identity, &random);
  ASSERT_TRUE(protocol.ok()) << protocol.status().to_string();
  wa::signal::SignalProtocol& receiver = **protocol;

  // Generated once per run (and extended when the children get close to its end); the
  // children only read and decrypt.
  const size_t margin =
      static_cast<size_t>(env_int("SL_CRASH_STREAM", testing::testing_server() ? 2000 : 4000));
  testing::StreamGenerator generator;
  ASSERT_TRUE(generator.init().ok());
  std::vector<CipherEntry> entries;
  const std::string stream_path = (dir_ / "stream.bin").string();
  auto ensure_stream = [&](size_t recorded) -> core::Status {
    if (entries.size() >= recorded + margin) return core::Status();
    CORE_RETURN_IF_ERROR(generator.extend(entries, 2 * margin));
    return testing::write_stream(stream_path, entries);
  };
  ASSERT_TRUE(ensure_stream(0).ok());
  ASSERT_EQ(entries[0].type, wa::signal::MessageType::kPreKey);
  ASSERT_EQ(entries.back().type, wa::signal::MessageType::kWhisper);

  const bool server = storage_->db().dialect() != Dialect::kSqlite;
  std::mt19937 rng(12345);
  const int kills = kills_wanted();
  size_t last_n = 0;
  for (int k = 0; k < kills; ++k) {
    ASSERT_TRUE(ensure_stream(last_n).ok());
    long long baseline = 0;
    if (server) {
      auto c = server_connections(storage_->db());
      ASSERT_TRUE(c.ok()) << c.status().to_string();
      baseline = *c;
    }
    auto child =
        testing::spawn_child({"signal-crash", url_, testing::kTestKeyHex, session, stream_path});
    ASSERT_GT(child.pid, 0);
    // Wait for "ready" (the child opened its storage), then let it work for a random while.
    pollfd pfd{child.out_fd, POLLIN, 0};
    ASSERT_EQ(::poll(&pfd, 1, 20000), 1) << "child did not start";
    char buf[16];
    ASSERT_GT(::read(child.out_fd, buf, sizeof buf), 0);
    if (server && k == 0) {
      // The wait below is only meaningful if the child's connections are visible to us.
      auto c = server_connections(storage_->db());
      ASSERT_TRUE(c.ok());
      ASSERT_GT(*c, baseline) << "cannot see the child's server connections";
    }
    std::this_thread::sleep_for(std::chrono::microseconds(rng() % 25000));
    ::kill(child.pid, SIGKILL);
    auto [status, out] = testing::finish_child(child);
    ASSERT_TRUE(WIFSIGNALED(status))
        << "child exited by itself with " << (WIFEXITED(status) ? WEXITSTATUS(status) : -1)
        << " at kill " << k;
    ASSERT_EQ(out.find("exhausted"), std::string::npos)
        << "the child used up all " << entries.size()
        << " ciphertexts; raise SL_CRASH_STREAM (the margin)";

    if (server) {
      core::Status gone = wait_for_connections(storage_->db(), baseline);
      ASSERT_TRUE(gone.ok()) << gone.to_string();
    }

    // Nothing half-recorded: messages ⇔ status history ⇔ outbox, and no gaps.
    auto rec = read_recorded(storage_->db(), session);
    ASSERT_TRUE(rec.ok()) << rec.status().to_string();
    const size_t n = rec->message_ids.size();
    ASSERT_GE(n, last_n) << "recorded messages went away, kill " << k;
    std::set<std::string> want_ids, want_events;
    for (size_t i = 0; i < n; ++i) {
      want_ids.insert(testing::entry_message_id(i));
      want_events.insert("ev-" + testing::entry_message_id(i));
    }
    ASSERT_EQ(rec->message_ids, want_ids) << "gap in the message log, kill " << k;
    ASSERT_EQ(rec->event_ids, want_events) << "webhook outbox out of step, kill " << k;
    ASSERT_EQ(rec->history_rows, static_cast<long long>(n)) << "history out of step, kill " << k;
    ASSERT_EQ(rec->messages_with_history, static_cast<long long>(n));

    // The stored ratchets took exactly n steps in total.
    for (int p = 0; p < testing::kSignalPeers; ++p) {
      std::optional<size_t> last, next;
      for (size_t i = p; i < entries.size(); i += testing::kSignalPeers) {
        if (i < n) last = i;
        if (i >= n) {
          next = i;
          break;
        }
      }
      ASSERT_TRUE(next.has_value());
      auto got = try_decrypt(receiver, random, *store, entries, *next);
      ASSERT_TRUE(got.ok()) << "sender " << p << " cannot decrypt message " << *next
                            << " after kill " << k << ": " << got.status().to_string();
      EXPECT_EQ(*got, testing::entry_plaintext(*next));
      if (last) {
        auto again = try_decrypt(receiver, random, *store, entries, *last);
        ASSERT_FALSE(again.ok()) << "message " << *last << " decrypted twice, kill " << k;
        EXPECT_TRUE(wa::signal::is_duplicate(again.status()))
            << "message " << *last << ": " << again.status().to_string() << ", kill " << k;
      }
      auto pre_key = store->load_pre_key(keys.pre_keys[static_cast<size_t>(p)].id);
      ASSERT_TRUE(pre_key.ok());
      EXPECT_EQ(pre_key->has_value(), !last.has_value())
          << "one-time pre-key of sender " << p << " out of step, kill " << k;
    }
    last_n = n;
    if (HasFailure()) return;
  }
  // Not vacuous: the children made real progress between kills, well past the pkmsgs.
  EXPECT_GT(last_n, static_cast<size_t>(kills / 2)) << "too few messages recorded to mean anything";
  EXPECT_GT(last_n, static_cast<size_t>(testing::kSignalPeers * (testing::kPreKeyMessages + 1)));
  std::printf("[ crash    ] %d kills, %zu messages recorded on %s\n", kills, last_n,
              std::string(dialect_name(storage_->db().dialect())).c_str());
}

// The fixture itself: the stream decrypts in order on a fresh receiver, pkmsgs first.
TEST(SignalFixtureTest, StreamDecryptsInOrderAndRoundTripsThroughTheFile) {
  auto stream = testing::generate_stream(40);
  ASSERT_TRUE(stream.ok()) << stream.status().to_string();
  for (size_t i = 0; i < stream->size(); ++i) {
    EXPECT_EQ((*stream)[i].type, i < testing::kSignalPeers * testing::kPreKeyMessages
                                     ? wa::signal::MessageType::kPreKey
                                     : wa::signal::MessageType::kWhisper)
        << i;
  }
  auto dir = testing::scratch_dir();
  std::filesystem::create_directories(dir);
  const std::string path = (dir / "stream.bin").string();
  ASSERT_TRUE(testing::write_stream(path, *stream).ok());
  auto read = testing::read_stream(path);
  ASSERT_TRUE(read.ok()) << read.status().to_string();
  ASSERT_EQ(read->size(), stream->size());

  wa::store::InMemoryStore store;
  const auto keys = testing::receiver_keys();
  ASSERT_TRUE(testing::install_receiver_keys(store, keys).ok());
  testing::ReceiverRandom random;
  auto receiver = wa::signal::SignalProtocol::create(store, keys.identity, &random);
  ASSERT_TRUE(receiver.ok());
  for (size_t i = 0; i < read->size(); ++i) {
    const auto& e = (*read)[i];
    random.reseed(i);
    EXPECT_EQ(e.ciphertext, (*stream)[i].ciphertext);
    auto dec = (*receiver)->decrypt(testing::peer_address(e.peer), e.type, e.ciphertext);
    ASSERT_TRUE(dec.ok()) << i << ": " << dec.status().to_string();
    EXPECT_EQ(core::to_string(*wa::signal::unpad(dec->plaintext)), testing::entry_plaintext(i));
  }
  // A truncated file is an error, not a crash.
  std::filesystem::resize_file(path, std::filesystem::file_size(path) - 3);
  EXPECT_FALSE(testing::read_stream(path).ok());
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace storage
