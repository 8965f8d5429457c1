// Inbound message + ratchet update per DB transaction (the decrypt commit path), against
// DATABASE_URL (default: a fresh SQLite file in /tmp). Counter "msgs/s" is the headline.
//   DATABASE_URL=postgres://… build/release/tests/bench/storage_bench
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>

#include "storage/storage.h"

namespace {

std::unique_ptr<storage::Storage> open_storage() {
  storage::StorageOptions o;
  const char* url = std::getenv("DATABASE_URL");
  static std::string sqlite_path = (std::filesystem::temp_directory_path() /
                                    ("sl-storage-bench-" + std::to_string(::getpid()) + ".db"))
                                       .string();
  o.database.url = url && *url ? url : "sqlite://" + sqlite_path;
  o.encryption_key_hex = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
  o.key_file = std::filesystem::temp_directory_path() / "sl-storage-bench.key";
  auto s = storage::Storage::open(o);
  if (!s.ok()) {
    std::fprintf(stderr, "storage_bench: %s\n", s.status().to_string().c_str());
    std::exit(1);
  }
  return std::move(s).value();
}

void BM_InboundMessageWithRatchetUpdate(benchmark::State& state) {
  static auto storage = open_storage();
  std::string session = "bench" + std::to_string(::getpid());
  (void)storage->wa_sessions().ensure(session, std::nullopt);
  auto store = storage->device_store(session);
  wa::store::SignalAddress addr{"15550001234", 0};
  core::Bytes record(900, 0x42);  // a typical serialized session record is ~0.5–2 KiB
  long long n = 0;
  for (auto _ : state) {
    auto txn = store->begin();
    record[n % record.size()] ^= 1;
    (void)txn->store_session(addr, record);
    txn->add_commit_hook([&]() -> core::Status {
      storage::MessageRecord m;
      m.session_id = session;
      m.chat_jid = "15550001234@s.whatsapp.net";
      m.message_id = "BENCH" + std::to_string(n);
      m.body_json = R"({"conversation":"hello there, this is a benchmark message"})";
      return storage->messages().record_inbound(m).status();
    });
    core::Status st = txn->commit();
    if (!st.ok()) state.SkipWithError(st.to_string().c_str());
    ++n;
  }
  state.counters["msgs/s"] =
      benchmark::Counter(static_cast<double>(n), benchmark::Counter::kIsRate);
  state.SetLabel(std::string(storage::dialect_name(storage->db().dialect())));
  (void)storage->wa_sessions().remove(session);
}
BENCHMARK(BM_InboundMessageWithRatchetUpdate)
    ->Unit(benchmark::kMicrosecond)
    ->MinTime(2.0)
    ->UseRealTime();

}  // namespace
