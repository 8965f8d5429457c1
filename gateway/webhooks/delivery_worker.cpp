#include "gateway/webhooks/delivery_worker.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <condition_variable>
#include <cstdlib>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <unordered_map>
#include <variant>
#include <vector>

#include "core/log.h"
#include "gateway/webhooks/event.h"
#include "gateway/webhooks/signer.h"

namespace gw::webhooks {
namespace {

constexpr size_t kMaxResponseBytes = 1 << 20;  // read and discard at most this much
constexpr size_t kKeptResponseBytes = 200;     // quoted in the delivery log on failure

void global_init_curl() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

std::string session_key(const storage::WebhookEvent& e) {
  return e.session_id ? "s:" + *e.session_id : "e:" + std::to_string(e.id);
}

// An event ready to send, or one that failed before a request could be made.
struct Job {
  storage::WebhookEvent event;
  std::optional<ResolvedUrl> target;
  std::optional<std::string> secret;
  std::optional<std::string> prep_error;  // attempt failed without a request (DNS, policy)
  bool park = false;                      // no URL configured any more: give up now
};

struct FetchDone {
  uint64_t seq = 0;
  size_t limit = 0;
  core::Status status;
  std::vector<Job> jobs;
};
struct MarkDone {
  long long id = 0;
  std::string key;
};
struct StatsDone {
  std::optional<storage::WebhookQueueStats> stats;
};
using Message = std::variant<FetchDone, MarkDone, StatsDone>;

struct Transfer {
  Job job;
  std::string key;
  std::string host;
  std::string body;
  curl_slist* headers = nullptr;
  CurlPin pin;
  CURL* easy = nullptr;
  std::string response;
  size_t response_bytes = 0;
  bool too_big = false;
  char errbuf[CURL_ERROR_SIZE] = {};
  std::chrono::steady_clock::time_point started;

  ~Transfer() {
    if (easy != nullptr) curl_easy_cleanup(easy);
    if (headers != nullptr) curl_slist_free_all(headers);
  }
};

size_t on_write(char* data, size_t size, size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  size_t len = size * n;
  t->response_bytes += len;
  if (t->response.size() < kKeptResponseBytes) {
    t->response.append(data, std::min(len, kKeptResponseBytes - t->response.size()));
  }
  if (t->response_bytes > kMaxResponseBytes) {
    t->too_big = true;
    return 0;  // abort: we have the status line, the rest is not ours to store
  }
  return len;
}

std::string printable(std::string s) {
  for (char& c : s) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = ' ';
  }
  return s;
}

}  // namespace

struct DeliveryWorker::Shared {
  std::mutex mu;
  std::condition_variable cv;
  CURLM* multi = nullptr;
  std::deque<Message> inbox;
  bool notified = true;  // scan once at start
  bool stop_requested = false;
  std::chrono::steady_clock::time_point stop_deadline{};
  int pending_tasks = 0;

  std::atomic<uint64_t> delivered{0};
  std::atomic<uint64_t> failed_attempts{0};
  std::atomic<uint64_t> dead{0};
  std::atomic<int64_t> queue_depth{0};
  std::atomic<double> lag_seconds{0};
  std::atomic<int> in_flight{0};

  // Caller holds mu.
  void wake_locked() {
    if (multi != nullptr) curl_multi_wakeup(multi);
  }
  void push(Message m) {
    std::lock_guard lock(mu);
    inbox.push_back(std::move(m));
    wake_locked();
  }
};

core::Result<DeliveryOptions> DeliveryOptions::from_environment() {
  DeliveryOptions o;
  o.version = SL_WEBHOOKS_VERSION;
  if (const char* v = std::getenv("WEBHOOK_RETRY_HORIZON_HOURS"); v != nullptr && *v != '\0') {
    // Same range as the configuration check (gateway/config): 0.01 h (36 s) to 720 h; a
    // fraction that the configuration accepted must not stop the worker from starting.
    char* end = nullptr;
    double h = std::strtod(v, &end);
    if (end == v || *end != '\0' || !(h >= 0.01 && h <= 720)) {
      return core::Status::invalid_argument(
          "WEBHOOK_RETRY_HORIZON_HOURS must be a number of hours between 0.01 and 720");
    }
    o.backoff.horizon = std::chrono::milliseconds(static_cast<long long>(h * 3600.0 * 1000.0));
  }
  // Operators (and the durability tests) can lower the backoff cap so that a receiver that
  // comes back is served within seconds instead of up to 10 minutes.
  if (const char* v = std::getenv("WEBHOOK_RETRY_MAX_DELAY_SECONDS"); v != nullptr && *v != '\0') {
    char* end = nullptr;
    long s = std::strtol(v, &end, 10);
    if (end == v || *end != '\0' || s < 1 || s > 600) {
      return core::Status::invalid_argument(
          "WEBHOOK_RETRY_MAX_DELAY_SECONDS must be a whole number of seconds between 1 and 600");
    }
    o.backoff.cap = std::chrono::seconds(s);
    o.backoff.base = std::min(o.backoff.base, std::chrono::milliseconds(o.backoff.cap));
  }
  return o;
}

DeliveryWorker::DeliveryWorker(Deps deps, DeliveryOptions options)
    : deps_(deps), options_(std::move(options)), shared_(std::make_shared<Shared>()) {
  global_init_curl();
}

DeliveryWorker::~DeliveryWorker() { stop(std::chrono::milliseconds(0)); }

core::Status DeliveryWorker::start() {
  if (thread_.joinable())
    return core::Status::failed_precondition("webhook worker already started");
  CURLM* multi = curl_multi_init();
  if (multi == nullptr) return core::Status::internal("curl_multi_init failed");
  curl_multi_setopt(multi, CURLMOPT_MAXCONNECTS, static_cast<long>(options_.max_parallel));
  {
    std::lock_guard lock(shared_->mu);
    shared_->multi = multi;
    shared_->stop_requested = false;
  }
  thread_ = std::thread([this] { run(); });
  return core::Status();
}

void DeliveryWorker::notify() {
  std::lock_guard lock(shared_->mu);
  shared_->notified = true;
  shared_->wake_locked();
}

void DeliveryWorker::stop(std::chrono::milliseconds grace) {
  {
    std::lock_guard lock(shared_->mu);
    if (!shared_->stop_requested) {
      shared_->stop_requested = true;
      shared_->stop_deadline = std::chrono::steady_clock::now() + grace;
    } else {
      // A later, shorter deadline wins (destructor after a graceful stop that is still going).
      shared_->stop_deadline =
          std::min(shared_->stop_deadline, std::chrono::steady_clock::now() + grace);
    }
    shared_->wake_locked();
  }
  if (thread_.joinable()) thread_.join();
}

DeliveryStats DeliveryWorker::stats() const {
  DeliveryStats s;
  s.delivered = shared_->delivered.load();
  s.failed_attempts = shared_->failed_attempts.load();
  s.dead = shared_->dead.load();
  s.queue_depth = shared_->queue_depth.load();
  s.lag_seconds = shared_->lag_seconds.load();
  s.in_flight = shared_->in_flight.load();
  return s;
}

// ---- the worker thread ----

namespace {

class Loop {
 public:
  Loop(DeliveryWorker::Deps& deps, const DeliveryOptions& options,
       std::shared_ptr<DeliveryWorker::Shared> shared, CURLM* multi)
      : deps_(deps),
        options_(options),
        shared_(std::move(shared)),
        multi_(multi),
        log_(core::get_logger("gw.webhooks")) {}

  void run();

 private:
  // Runs `task` on the executor; its Message (or `fallback` if it throws) comes back here.
  template <typename Task>
  void post(Task task, Message fallback);
  void post_fetch();
  void post_stats();
  void handle(Message& m);
  void handle_fetch(FetchDone& f);
  void start_transfer(Job job, const std::string& key);
  void finish_transfer(CURLMsg* msg);
  void record(const Job& job, const std::string& key, std::optional<int> http_status,
              std::optional<std::string> error, int duration_ms);
  void abandon_all();

  DeliveryWorker::Deps& deps_;
  const DeliveryOptions& options_;
  std::shared_ptr<DeliveryWorker::Shared> shared_;
  CURLM* multi_;
  std::shared_ptr<spdlog::logger> log_;

  std::map<CURL*, std::unique_ptr<Transfer>> transfers_;
  std::set<std::string> busy_sessions_;  // in flight or being recorded
  std::set<long long> busy_ids_;
  std::unordered_map<std::string, int> per_host_;
  // Event id -> number of fetches started when its result was recorded: a fetch started
  // before that (seq <= value) may have read the row as still pending and must not resend it.
  std::unordered_map<long long, uint64_t> finished_;
  uint64_t fetches_started_ = 0;
  bool fetch_outstanding_ = false;
  bool fetch_wanted_ = false;
  bool stats_outstanding_ = false;
  std::chrono::steady_clock::time_point last_fetch_{};
  std::chrono::steady_clock::time_point last_stats_{};
};

template <typename Task>
void Loop::post(Task task, Message fallback) {
  {
    std::lock_guard lock(shared_->mu);
    ++shared_->pending_tasks;
  }
  auto shared = shared_;
  deps_.executor.post([shared, task = std::move(task), m = std::move(fallback)]() mutable {
    try {
      m = task();
    } catch (const std::exception& e) {
      core::get_logger("gw.webhooks")->error("webhook task failed: {}", e.what());
    }
    std::lock_guard lock(shared->mu);
    shared->inbox.push_back(std::move(m));
    --shared->pending_tasks;
    shared->wake_locked();
    shared->cv.notify_all();
  });
}

void Loop::post_fetch() {
  uint64_t seq = ++fetches_started_;
  fetch_outstanding_ = true;
  fetch_wanted_ = false;
  last_fetch_ = std::chrono::steady_clock::now();
  size_t free_slots =
      static_cast<size_t>(std::max(0, options_.max_parallel - static_cast<int>(transfers_.size())));
  // Heads of busy sessions come back too; ask for enough to fill the free slots anyway.
  size_t limit = std::min<size_t>(free_slots + busy_sessions_.size(), 1000);
  std::set<long long> skip = busy_ids_;
  auto& deps = deps_;
  post(
      [&deps, seq, limit, skip = std::move(skip)]() -> Message {
        FetchDone out;
        out.seq = seq;
        out.limit = limit;
        auto due = deps.queries.due_session_heads(static_cast<int>(limit));
        if (!due.ok()) {
          out.status = due.status();
          return out;
        }
        std::map<std::optional<std::string>, core::Result<std::optional<WebhookTarget>>> targets;
        std::map<std::string, core::Result<ResolvedUrl>> resolved;
        for (auto& e : *due) {
          if (skip.count(e.id) != 0) continue;
          Job job;
          job.event = std::move(e);
          auto it = targets.find(job.event.session_id);
          if (it == targets.end()) {
            it = targets.emplace(job.event.session_id, deps.settings.target(job.event.session_id))
                     .first;
          }
          if (!it->second.ok()) {
            job.prep_error = "loading webhook settings: " + it->second.status().message();
          } else if (!it->second->has_value()) {
            job.park = true;
            job.prep_error = "no webhook URL configured";
          } else {
            const WebhookTarget& t = **it->second;
            job.secret = t.secret;
            auto r = resolved.find(t.url);
            if (r == resolved.end())
              r = resolved.emplace(t.url, deps.policy.check_for_request(t.url)).first;
            if (r->second.ok()) {
              job.target = *r->second;
            } else {
              job.prep_error = r->second.status().message();
            }
          }
          out.jobs.push_back(std::move(job));
        }
        return out;
      },
      FetchDone{seq, limit, core::Status::internal("outbox scan threw"), {}});
}

void Loop::post_stats() {
  stats_outstanding_ = true;
  last_stats_ = std::chrono::steady_clock::now();
  auto& deps = deps_;
  post(
      [&deps]() -> Message {
        StatsDone s;
        auto r = deps.queries.stats();
        if (r.ok()) s.stats = *r;
        return s;
      },
      StatsDone{});
}

void Loop::handle(Message& m) {
  if (auto* f = std::get_if<FetchDone>(&m)) {
    handle_fetch(*f);
  } else if (auto* d = std::get_if<MarkDone>(&m)) {
    busy_sessions_.erase(d->key);
    busy_ids_.erase(d->id);
    finished_[d->id] = fetches_started_;
    fetch_wanted_ = true;  // the session's next event may be due now
  } else if (auto* s = std::get_if<StatsDone>(&m)) {
    stats_outstanding_ = false;
    if (s->stats) {
      shared_->queue_depth = s->stats->pending;
      long long now = deps_.clock.unix_millis();
      shared_->lag_seconds =
          s->stats->oldest_due_at ? std::max(0.0, (now - *s->stats->oldest_due_at) / 1000.0) : 0.0;
    }
  }
}

void Loop::handle_fetch(FetchDone& f) {
  fetch_outstanding_ = false;
  if (!f.status.ok()) {
    log_->warn("webhook outbox scan failed: {}", f.status.to_string());
  }
  bool stopping;
  {
    std::lock_guard lock(shared_->mu);
    stopping = shared_->stop_requested;
  }
  size_t started = 0;
  for (auto& job : f.jobs) {
    if (stopping) break;
    long long id = job.event.id;
    if (auto it = finished_.find(id); it != finished_.end() && it->second >= f.seq) continue;
    std::string key = session_key(job.event);
    if (busy_ids_.count(id) != 0 || busy_sessions_.count(key) != 0) continue;
    if (job.prep_error) {
      busy_ids_.insert(id);
      busy_sessions_.insert(key);
      record(job, key, std::nullopt, job.prep_error, 0);
      ++started;
      continue;
    }
    if (static_cast<int>(transfers_.size()) >= options_.max_parallel) continue;
    std::string host = job.target->parsed.host + ":" + std::to_string(job.target->parsed.port);
    if (per_host_[host] >= options_.max_per_host) continue;
    start_transfer(std::move(job), key);
    ++started;
  }
  for (auto it = finished_.begin(); it != finished_.end();) {
    it = it->second <= f.seq ? finished_.erase(it) : std::next(it);
  }
  // A full page may mean more is due; only look again if this page made progress, so
  // sessions blocked behind a busy head never cause a busy loop.
  if (f.jobs.size() >= f.limit && f.limit > 0 && started > 0) fetch_wanted_ = true;
}

void Loop::start_transfer(Job job, const std::string& key) {
  auto t = std::make_unique<Transfer>();
  t->key = key;
  t->host = job.target->parsed.host + ":" + std::to_string(job.target->parsed.port);
  t->body = job.event.payload_json;
  bool replay = job.event.event_id.find('~') != std::string::npos;
  SignInput in;
  in.body = t->body;
  in.secret = job.secret;
  in.event_id = header_event_id(job.event.event_id);
  in.timestamp_seconds = job.event.created_at / 1000;
  in.version = options_.version;
  in.replay = replay;
  for (const auto& [name, value] : webhook_headers(in)) {
    t->headers = curl_slist_append(t->headers, (name + ": " + value).c_str());
  }
  t->headers = curl_slist_append(t->headers, "Expect:");  // no 100-continue round trip
  t->easy = curl_easy_init();
  t->job = std::move(job);
  std::optional<std::string> setup_error;
  if (t->easy == nullptr || t->headers == nullptr) {
    setup_error = "curl handle setup failed";
  } else {
    core::Status st = t->pin.apply(t->easy, *t->job.target);
    if (!st.ok()) setup_error = st.message();
  }
  if (!setup_error) {
    CURL* e = t->easy;
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_POST, 1L);
    curl_easy_setopt(e, CURLOPT_POSTFIELDS, t->body.data());
    curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(t->body.size()));
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, t->headers);
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS,
                     static_cast<long>(options_.connect_timeout.count()));
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, static_cast<long>(options_.total_timeout.count()));
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, &on_write);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, t.get());
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, t->errbuf);
    curl_easy_setopt(e, CURLOPT_PRIVATE, t.get());
    if (curl_multi_add_handle(multi_, e) != CURLM_OK) setup_error = "curl_multi_add_handle failed";
  }
  busy_ids_.insert(t->job.event.id);
  busy_sessions_.insert(key);
  if (setup_error) {
    record(t->job, key, std::nullopt, setup_error, 0);
    return;
  }
  t->started = std::chrono::steady_clock::now();
  ++per_host_[t->host];
  CURL* e = t->easy;
  transfers_.emplace(e, std::move(t));
  shared_->in_flight = static_cast<int>(transfers_.size());
}

void Loop::finish_transfer(CURLMsg* msg) {
  auto it = transfers_.find(msg->easy_handle);
  if (it == transfers_.end()) return;
  std::unique_ptr<Transfer> t = std::move(it->second);
  transfers_.erase(it);
  curl_multi_remove_handle(multi_, t->easy);
  if (--per_host_[t->host] <= 0) per_host_.erase(t->host);
  shared_->in_flight = static_cast<int>(transfers_.size());

  int duration_ms = static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                         std::chrono::steady_clock::now() - t->started)
                                         .count());
  long code = 0;
  curl_easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, &code);
  CURLcode rc = msg->data.result;
  std::optional<int> http_status;
  if (code > 0) http_status = static_cast<int>(code);
  bool ok_status = code >= 200 && code < 300;
  if (ok_status && (rc == CURLE_OK || (rc == CURLE_WRITE_ERROR && t->too_big))) {
    record(t->job, t->key, http_status, std::nullopt, duration_ms);
    return;
  }
  std::string error;
  if (rc != CURLE_OK && !(rc == CURLE_WRITE_ERROR && t->too_big)) {
    error = t->pin.refused() ? "connection refused by URL policy (address changed)"
                             : std::string(curl_easy_strerror(rc));
    if (t->errbuf[0] != '\0' && !t->pin.refused()) error += ": " + std::string(t->errbuf);
  } else if (code >= 300 && code < 400) {
    error = "HTTP " + std::to_string(code) + " (redirects are not followed)";
  } else {
    error = "HTTP " + std::to_string(code);
    std::string snippet = printable(t->response);
    if (!snippet.empty()) error += ": " + snippet;
  }
  record(t->job, t->key, http_status, error, duration_ms);
}

void Loop::record(const Job& job, const std::string& key, std::optional<int> http_status,
                  std::optional<std::string> error, int duration_ms) {
  long long id = job.event.id;
  if (!error) {
    ++shared_->delivered;
    auto& deps = deps_;
    int status = http_status.value_or(200);
    post(
        [&deps, id, key, status, duration_ms]() -> Message {
          core::Status st = deps.outbox.mark_delivered(id, status, duration_ms);
          if (!st.ok()) {
            core::get_logger("gw.webhooks")
                ->error("recording webhook {} delivered failed (it will be sent again): {}", id,
                        st.to_string());
          }
          return MarkDone{id, key};
        },
        MarkDone{id, key});
    return;
  }
  ++shared_->failed_attempts;
  std::optional<long long> next;
  if (!job.park) {
    next = options_.backoff.next_attempt(job.event.created_at, job.event.attempts + 1,
                                         deps_.clock.unix_millis(), deps_.random);
  }
  if (!next) {
    ++shared_->dead;
    log_->warn("webhook event {} ({}) parked after {} attempts: {}", job.event.event_id,
               job.event.event_type, job.event.attempts + 1, *error);
  } else {
    log_->info("webhook event {} attempt {} failed: {}", job.event.event_id, job.event.attempts + 1,
               *error);
  }
  auto& deps = deps_;
  post(
      [&deps, id, key, error = *error, http_status, duration_ms, next]() -> Message {
        core::Status st = deps.outbox.mark_failed(id, error, http_status, duration_ms, next);
        if (!st.ok()) {
          core::get_logger("gw.webhooks")
              ->error("recording webhook {} failure failed: {}", id, st.to_string());
        }
        return MarkDone{id, key};
      },
      MarkDone{id, key});
}

void Loop::abandon_all() {
  for (auto& [easy, t] : transfers_) {
    curl_multi_remove_handle(multi_, easy);
    log_->info("webhook event {} abandoned at shutdown; it stays queued", t->job.event.event_id);
  }
  transfers_.clear();
  per_host_.clear();
  shared_->in_flight = 0;
}

void Loop::run() {
  using std::chrono::steady_clock;
  for (;;) {
    std::deque<Message> inbox;
    bool notified;
    bool stopping;
    steady_clock::time_point deadline;
    {
      std::lock_guard lock(shared_->mu);
      inbox.swap(shared_->inbox);
      notified = shared_->notified;
      shared_->notified = false;
      stopping = shared_->stop_requested;
      deadline = shared_->stop_deadline;
    }
    for (auto& m : inbox) handle(m);

    auto now = steady_clock::now();
    if (stopping) {
      if (transfers_.empty() || now >= deadline) break;
    } else {
      if (notified) fetch_wanted_ = true;
      if (now - last_fetch_ >= options_.poll_interval) fetch_wanted_ = true;
      if (fetch_wanted_ && !fetch_outstanding_ &&
          static_cast<int>(transfers_.size()) < options_.max_parallel) {
        post_fetch();
      }
      if (!stats_outstanding_ && now - last_stats_ >= options_.stats_interval) post_stats();
    }

    int running = 0;
    curl_multi_perform(multi_, &running);
    int left = 0;
    while (CURLMsg* msg = curl_multi_info_read(multi_, &left)) {
      if (msg->msg == CURLMSG_DONE) finish_transfer(msg);
    }

    // Sleep until the next scan is due; socket activity, curl's own timers and wakeups (a
    // finished SQL task, notify(), stop()) end the wait early. When a scan is overdue but
    // cannot run (one in progress, or every slot busy) only those events can unblock it.
    auto wait = options_.poll_interval - (steady_clock::now() - last_fetch_);
    if (wait <= steady_clock::duration::zero()) wait = std::chrono::seconds(1);
    if (stopping) wait = deadline - steady_clock::now();
    long wait_ms =
        static_cast<long>(std::chrono::duration_cast<std::chrono::milliseconds>(wait).count());
    wait_ms = std::clamp<long>(wait_ms, 1, 1000);
    curl_multi_poll(multi_, nullptr, 0, static_cast<int>(wait_ms), nullptr);
  }
  abandon_all();
  // Wait for SQL tasks (results being recorded, a scan in progress) so nothing they touch is
  // destroyed under them; their messages are dropped — the state they wrote is in SQL.
  std::unique_lock lock(shared_->mu);
  shared_->cv.wait(lock, [&] { return shared_->pending_tasks == 0; });
  shared_->inbox.clear();
}

}  // namespace

void DeliveryWorker::run() {
  CURLM* multi;
  {
    std::lock_guard lock(shared_->mu);
    multi = shared_->multi;
  }
  {
    Loop loop(deps_, options_, shared_, multi);
    loop.run();
  }
  std::lock_guard lock(shared_->mu);
  shared_->multi = nullptr;
  curl_multi_cleanup(multi);
}

}  // namespace gw::webhooks
