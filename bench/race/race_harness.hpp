#pragma once

#include <cstddef>
#include <functional>
#include <vector>

namespace boxoffice::bench {

// A caller's answer as an HTTP status: 201 held, 409 refused, 503 unavailable, 500 anything else.
using Status = int;

struct RaceRun {
  double elapsed_ms = 0;         // from opening the latch until the last caller had its answer
  std::vector<Status> statuses;  // by caller
};

// Starts `n` caller threads with small stacks. Each runs `prepare(i)` (untimed: connect, warm
// up), then parks on a latch. The clock starts when the latch opens and stops when the last
// `call(i)` returns. Throws std::runtime_error when a thread cannot be created.
RaceRun RunRace(int n, const std::function<void(int)>& prepare,
                const std::function<Status(int)>& call, std::size_t stack_bytes = 256 * 1024);

}  // namespace boxoffice::bench
