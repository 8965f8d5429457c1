// Protocol client bench (wa::Client against a `superlight sim --ephemeral` child process):
//  * BM_IdleLinkedClients: links N clients (CLIENT_BENCH_N, default 1,000) in one process on one
//    io_context, waits until all are connected and idle, and reports the RSS growth per client.
//    Each client has its own in-memory store; to measure the client and not the store, the
//    bench uploads 10 pre-keys instead of 812 (a gateway keeps pre-keys in SQL, not in RAM).
//  * BM_TextSendReceive: two linked clients in the same process; one sends K texts to the other
//    over established sessions; reports process CPU time per message (encrypt + send on one
//    side, receive + decrypt + receipt on the other; the simulator's CPU is not included).
// The simulator binary is $SUPERLIGHT or the one built with this tree.
#include <benchmark/benchmark.h>
#include <malloc.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>

#include "core/clock.h"
#include "core/encoding.h"
#include "core/log.h"
#include "core/random.h"
#include "wa/client/client.h"
#include "wa/store/in_memory_store.h"
#include "wa/transport/asio_net.h"

using json = nlohmann::json;
using namespace wa::client;
namespace transport = wa::transport;

namespace {

struct Sim {
  pid_t pid = -1;
  json info;
  ~Sim() {
    if (pid > 0) {
      kill(pid, SIGTERM);
      waitpid(pid, nullptr, 0);
    }
  }
  bool start() {
    const char* bin = getenv("SUPERLIGHT") ? getenv("SUPERLIGHT") : SL_SUPERLIGHT_BINARY;
    int fds[2];
    if (pipe(fds) != 0) return false;
    pid = fork();
    if (pid == 0) {
      dup2(fds[1], STDOUT_FILENO);
      close(fds[0]);
      execl(bin, bin, "sim", "--ephemeral", "--ws-port", "0", "--control-port", "0", "--media-port",
            "0", "--log-level", "warn", nullptr);
      _exit(127);
    }
    close(fds[1]);
    std::string line;
    char c;
    while (read(fds[0], &c, 1) == 1 && c != '\n') line += c;
    info = json::parse(line, nullptr, false);
    return !info.is_discarded() && info.value("ready", false);
  }
};

long rss_kb() {
  std::ifstream f("/proc/self/statm");
  long size = 0, resident = 0;
  f >> size >> resident;
  return resident * (sysconf(_SC_PAGESIZE) / 1024);
}

double cpu_seconds() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
         static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

struct Bench;

struct Account final : EventHandler {
  Bench* bench = nullptr;
  std::string phone;
  wa::store::InMemoryStore store;
  transport::AsioClientEnvironment env;
  std::unique_ptr<Client> client;
  bool connected = false;
  bool scanned = false;
  size_t received = 0;
  size_t acked = 0;
  void on_qr(const QrEvent& e) override;
  void on_connection(const ConnectionEvent& e) override {
    if (e.state == ConnectionState::kConnected) connected = true;
  }
  void on_message(const MessageEvent&) override { ++received; }
  void on_send_result(const SendResultEvent& e) override { acked += e.ok ? 1 : 0; }
};

struct Bench {
  net::io_context io;
  Sim sim;
  core::SystemClock clock;
  core::SecureRandom random;
  std::unique_ptr<transport::HttpClient> control;
  int scans_in_flight = 0;

  bool setup() {
    (void)core::init_logging({.level = "error"});
    if (!sim.start()) return false;
    control = transport::make_beast_http_client(io.get_executor(), {});
    return true;
  }
  void post_json(const std::string& path, const json& body, std::function<void(bool)> done) {
    transport::HttpRequest r;
    r.method = "POST";
    r.url = sim.info["control_url"].get<std::string>() + path;
    r.headers["Content-Type"] = "application/json";
    auto s = body.dump();
    r.body.assign(s.begin(), s.end());
    control->request(std::move(r), [done](core::Result<transport::HttpResponse> res) {
      done(res.ok() && res->status / 100 == 2);
    });
  }
  template <typename Pred>
  bool run_until(Pred pred, std::chrono::seconds limit) {
    auto end = std::chrono::steady_clock::now() + limit;
    while (!pred()) {
      if (std::chrono::steady_clock::now() > end) return false;
      io.run_for(std::chrono::milliseconds(20));
      io.restart();
    }
    return true;
  }
  std::unique_ptr<Account> make_account(const std::string& phone) {
    auto a = std::make_unique<Account>();
    a->bench = this;
    a->phone = phone;
    transport::TransportConfig tc;
    tc.url = sim.info["ws_url"];
    tc.noise_root_key = *core::hex_decode(sim.info["root_key"].get<std::string>());
    a->env = transport::make_asio_client_environment(net::make_strand(io), tc, {}, clock, random);
    ClientConfig cfg;
    cfg.initial_pre_keys = 10;
    ClientDeps deps{*a->env.scheduler, *a->env.transports, a->store, *a, clock, random};
    a->client = std::make_unique<Client>(cfg, deps);
    return a;
  }
  // Creates the accounts and links one client per account, `batch` pairings at a time.
  bool link(std::vector<std::unique_ptr<Account>>& accounts, size_t n, size_t first_phone) {
    bool ok = true;
    size_t created = 0;
    for (size_t i = 0; i < n; ++i) {
      std::string phone = std::to_string(first_phone + i);
      post_json("/control/accounts", {{"phone", phone}, {"name", "bench"}}, [&](bool r) {
        ok &= r;
        ++created;
      });
    }
    if (!run_until([&] { return created == n; }, std::chrono::seconds(120)) || !ok) return false;
    const size_t batch = 50;
    for (size_t i = 0; i < n; i += batch) {
      size_t end = std::min(n, i + batch);
      for (size_t j = i; j < end; ++j) {
        accounts.push_back(make_account(std::to_string(first_phone + j)));
        accounts.back()->client->connect();
      }
      if (!run_until(
              [&] {
                for (size_t j = i; j < end; ++j)
                  if (!accounts[j]->connected) return false;
                return true;
              },
              std::chrono::seconds(120))) {
        return false;
      }
    }
    return true;
  }
};

void Account::on_qr(const QrEvent& e) {
  if (scanned) return;
  scanned = true;
  bench->post_json("/control/accounts/" + phone + "/scan", {{"qr", e.code}}, [](bool) {});
}

pid_t g_sim_pid = -1;

Bench* shared_bench() {
  // Deliberately leaked (clients must not be torn down during static destruction); the
  // simulator child is stopped at exit.
  static Bench* b = [] {
    auto* x = new Bench();
    if (!x->setup()) {
      delete x;
      return static_cast<Bench*>(nullptr);
    }
    g_sim_pid = x->sim.pid;
    std::atexit([] {
      if (g_sim_pid > 0) {
        kill(g_sim_pid, SIGTERM);
        waitpid(g_sim_pid, nullptr, 0);
      }
    });
    return x;
  }();
  return b;
}

void BM_IdleLinkedClients(benchmark::State& state) {
  Bench* b = shared_bench();
  if (!b) return state.SkipWithError("simulator did not start");
  size_t n = getenv("CLIENT_BENCH_N") ? std::stoul(getenv("CLIENT_BENCH_N")) : 1000;
  for (auto _ : state) {
    std::vector<std::unique_ptr<Account>> accounts;
    accounts.reserve(n);
    long before = rss_kb();
    size_t heap_before = mallinfo2().uordblks;
    auto t0 = std::chrono::steady_clock::now();
    if (!b->link(accounts, n, 16000000000ull)) return state.SkipWithError("linking failed");
    double link_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    b->run_until([] { return false; }, std::chrono::seconds(3));  // settle: idle clients
    long after = rss_kb();
    size_t heap_after = mallinfo2().uordblks;
    // Live heap bytes (what the clients and their stores really hold) vs. RSS (adds allocator
    // fragmentation from the linking phase).
    state.counters["heap_in_use_per_client_kb"] =
        static_cast<double>(heap_after - heap_before) / 1024.0 / static_cast<double>(n);
    state.counters["clients"] = static_cast<double>(n);
    state.counters["rss_per_client_kb"] =
        static_cast<double>(after - before) / static_cast<double>(n);
    state.counters["rss_total_mb"] = static_cast<double>(after) / 1024.0;
    state.counters["link_seconds"] = link_s;
    size_t pre_keys = 0;
    for (auto& a : accounts) pre_keys += a->store.pre_key_count();
    state.counters["store_pre_keys_per_client"] =
        static_cast<double>(pre_keys) / static_cast<double>(n);
    for (auto& a : accounts) a->client->disconnect();
    b->run_until([] { return false; }, std::chrono::seconds(1));
  }
}
BENCHMARK(BM_IdleLinkedClients)->Iterations(1)->Unit(benchmark::kSecond);

void BM_TextSendReceive(benchmark::State& state) {
  Bench* b = shared_bench();
  if (!b) return state.SkipWithError("simulator did not start");
  std::vector<std::unique_ptr<Account>> accounts;
  if (!b->link(accounts, 2, 17000000000ull)) return state.SkipWithError("linking failed");
  auto& a = *accounts[0];
  auto& c = *accounts[1];
  std::string to = c.phone + "@s.whatsapp.net";
  // Establish sessions both ways first.
  a.client->send(to, make_text("warm up"));
  b->run_until([&] { return c.received >= 1; }, std::chrono::seconds(30));
  c.client->send(a.phone + "@s.whatsapp.net", make_text("warm up back"));
  b->run_until([&] { return a.received >= 1; }, std::chrono::seconds(30));
  const size_t k = 2000;
  for (auto _ : state) {
    size_t start = c.received;
    double cpu0 = cpu_seconds();
    auto t0 = std::chrono::steady_clock::now();
    for (size_t i = 0; i < k; ++i)
      a.client->send(to, make_text("bench message " + std::to_string(i)));
    if (!b->run_until([&] { return c.received >= start + k; }, std::chrono::seconds(300))) {
      return state.SkipWithError("messages did not arrive");
    }
    double cpu = cpu_seconds() - cpu0;
    double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    state.counters["messages"] = static_cast<double>(k);
    state.counters["cpu_us_per_message"] = cpu * 1e6 / static_cast<double>(k);
    state.counters["messages_per_second"] = static_cast<double>(k) / wall;
  }
}
BENCHMARK(BM_TextSendReceive)->Iterations(1)->Unit(benchmark::kSecond);

}  // namespace
