// BlockingExecutor: where storage work runs. Repositories block on disk and network I/O, so the
// gateway posts their calls to an executor backed by a thread pool and resumes its coroutine
// with the result; the network threads never touch a database connection. ThreadPoolExecutor is
// the simple implementation used by tests, commands and (until the gateway supplies its own)
// the server.
//
// Ownership: the executor owns its threads; tasks own their captures.
// Threading: post() is thread-safe. Tasks run on the pool's threads in FIFO order per pool
// (several at once when there is more than one thread). The destructor runs every task already
// posted, then joins.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <future>
#include <mutex>
#include <thread>
#include <type_traits>
#include <vector>

namespace storage {

class BlockingExecutor {
 public:
  virtual ~BlockingExecutor() = default;
  virtual void post(std::function<void()> task) = 0;
};

class ThreadPoolExecutor final : public BlockingExecutor {
 public:
  explicit ThreadPoolExecutor(size_t threads);
  ~ThreadPoolExecutor() override;
  ThreadPoolExecutor(const ThreadPoolExecutor&) = delete;
  ThreadPoolExecutor& operator=(const ThreadPoolExecutor&) = delete;

  void post(std::function<void()> task) override;

 private:
  void loop();

  std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> queue_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

// Posts `fn` and returns a future for its result (for tests and synchronous callers; the
// gateway resumes a coroutine instead of blocking on a future).
template <typename F>
auto submit(BlockingExecutor& executor, F fn) -> std::future<std::invoke_result_t<F>> {
  using R = std::invoke_result_t<F>;
  auto task = std::make_shared<std::packaged_task<R()>>(std::move(fn));
  std::future<R> future = task->get_future();
  executor.post([task] { (*task)(); });
  return future;
}

}  // namespace storage
