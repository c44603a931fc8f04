#include "race_harness.hpp"

#include <pthread.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <latch>
#include <stdexcept>
#include <string>

namespace boxoffice::bench {
namespace {

using SteadyClock = std::chrono::steady_clock;

struct Shared {
  explicit Shared(int n) : ready(n), start(1), done(1), remaining(n), statuses(n, 0) {}
  const std::function<void(int)>* prepare = nullptr;
  const std::function<Status(int)>* call = nullptr;
  std::latch ready;  // every caller prepared and about to park
  std::latch start;  // opened once: the race begins
  std::latch done;   // opened by the last caller to answer
  std::atomic<int> remaining;
  bool aborted = false;  // set before `start` opens when not every thread could be created
  SteadyClock::time_point finished;
  std::vector<Status> statuses;
};

struct Caller {
  Shared* shared;
  int index;
};

void* CallerMain(void* arg) {
  auto* caller = static_cast<Caller*>(arg);
  Shared& s = *caller->shared;
  const int i = caller->index;
  try {
    (*s.prepare)(i);
  } catch (...) {
    s.statuses[i] = -1;  // failed before the race; reported as a setup error
  }
  s.ready.count_down();
  s.start.wait();
  if (s.aborted) return nullptr;
  Status status = 500;
  if (s.statuses[i] == 0) {
    try {
      status = (*s.call)(i);
    } catch (...) {
      status = 500;
    }
  }
  s.statuses[i] = status;
  if (s.remaining.fetch_sub(1, std::memory_order_acq_rel) == 1) {
    s.finished = SteadyClock::now();
    s.done.count_down();
  }
  return nullptr;
}

}  // namespace

RaceRun RunRace(int n, const std::function<void(int)>& prepare,
                const std::function<Status(int)>& call, std::size_t stack_bytes) {
  Shared shared(n);
  shared.prepare = &prepare;
  shared.call = &call;
  std::vector<Caller> callers(n);
  std::vector<pthread_t> threads(n);
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setstacksize(&attr, stack_bytes);
  for (int i = 0; i < n; ++i) {
    callers[i] = {&shared, i};
    if (int rc = pthread_create(&threads[i], &attr, CallerMain, &callers[i]); rc != 0) {
      // Let the threads already parked go without calling, then report.
      pthread_attr_destroy(&attr);
      shared.ready.count_down(n - i);
      shared.ready.wait();
      shared.aborted = true;
      shared.start.count_down();
      for (int j = 0; j < i; ++j) pthread_join(threads[j], nullptr);
      throw std::runtime_error("cannot create caller thread " + std::to_string(i) + " of " +
                               std::to_string(n) + ": " + std::strerror(rc));
    }
  }
  pthread_attr_destroy(&attr);
  shared.ready.wait();
  const auto started = SteadyClock::now();
  shared.start.count_down();
  shared.done.wait();
  for (auto& t : threads) pthread_join(t, nullptr);
  RaceRun run;
  run.elapsed_ms = std::chrono::duration<double, std::milli>(shared.finished - started).count();
  run.statuses = std::move(shared.statuses);
  return run;
}

}  // namespace boxoffice::bench
