// Services: the composition root the gateway components share — the opened Storage, the
// blocking thread pool every repository call runs on, the clock and randomness, and the way
// results come back to the network thread. Components receive a Services& in their install_*
// function; nothing here knows about HTTP routes.
//
//   services.run_blocking(
//       [&] { return services.storage().users().find_by_email(email); },   // pool thread
//       [respond = std::move(respond)](core::Result<std::optional<User>> r) mutable {
//         respond(...);                                                     // network thread
//       });
//
// In the server, gateway/components.cpp opens it with ServeContext::post as `post` and stops the
// pool in a shutdown hook.
//
// Ownership: Services owns the Storage and the pool; it borrows the clock, randomness and the
// `post` function (ServeContext::post in the server, a test queue in unit tests), which must
// outlive it. Destroying Services (or stop()) finishes every task already posted, then joins.
// Threading: run_blocking/post are thread-safe. `fn` runs on a pool thread and must only touch
// thread-safe things (repositories are); `on_done` runs on the network thread via `post`.
#pragma once

#include <functional>
#include <memory>
#include <type_traits>
#include <utility>

#include "core/clock.h"
#include "core/random.h"
#include "core/status.h"
#include "storage/executor.h"
#include "storage/storage.h"

namespace gw {

namespace config {
struct Config;
}

class Services {
 public:
  using Post = std::function<void(std::function<void()>)>;

  static constexpr size_t kBlockingThreads = 2;

  // Opens storage from config.database_url with TOKEN_ENCRYPTION_KEY (or data_dir/secret.key),
  // migrating it. Blocks (call before the server runs).
  static core::Result<std::unique_ptr<Services>> open(
      const config::Config& config, Post post,
      const core::Clock& clock = core::SystemClock::instance(),
      core::Random& random = core::SecureRandom::instance());

  // Over an already opened Storage (tests, tools).
  Services(std::unique_ptr<storage::Storage> storage, Post post, const core::Clock& clock,
           core::Random& random, size_t threads = kBlockingThreads);
  ~Services();
  Services(const Services&) = delete;
  Services& operator=(const Services&) = delete;

  storage::Storage& storage() { return *storage_; }
  storage::BlockingExecutor& executor() { return *pool_; }
  const core::Clock& clock() const { return clock_; }
  // Thread-safe randomness for secrets (tickets, CSRF keys). Never a FakeRandom shared across
  // threads: tests pass SecureRandom here and FakeRandom only to Storage.
  core::Random& random() { return random_; }

  // Runs `fn` on the network thread.
  void post(std::function<void()> fn) { post_(std::move(fn)); }

  // Runs `fn()` on the pool, then `on_done(result)` on the network thread. Exceptions thrown by
  // `fn` are not caught here: fn should return Status/Result (repositories never throw).
  // `fn` and `on_done` may be move-only (e.g. capture a Responder).
  template <typename Fn, typename Done>
  void run_blocking(Fn fn, Done on_done) {
    using R = std::invoke_result_t<Fn&>;
    if (!pool_) return;  // after stop(): dropped (a captured Responder then answers 500)
    auto state = std::make_shared<std::pair<Fn, Done>>(std::move(fn), std::move(on_done));
    pool_->post([this, state] {
      if constexpr (std::is_void_v<R>) {
        state->first();
        post_([state] { state->second(); });
      } else {
        auto result = std::make_shared<R>(state->first());
        post_([state, result] { state->second(std::move(*result)); });
      }
    });
  }

  // Finishes queued tasks and joins the pool; run_blocking must not be called afterwards.
  void stop();

 private:
  std::unique_ptr<storage::Storage> storage_;
  Post post_;
  const core::Clock& clock_;
  core::Random& random_;
  std::unique_ptr<storage::ThreadPoolExecutor> pool_;
};

}  // namespace gw
