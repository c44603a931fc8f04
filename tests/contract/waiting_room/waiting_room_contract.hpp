#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <memory>
#include <ostream>
#include <string>

#include "domain/ports/waiting_room.hpp"

namespace boxoffice::domain {

// Readable gtest failure messages.
inline void PrintTo(QueueState state, std::ostream* os) {
  constexpr const char* kNames[] = {"kWaiting", "kActive", "kSoldOut", "kExpired", "kSuperseded"};
  *os << kNames[static_cast<int>(state)];
}

}  // namespace boxoffice::domain

namespace boxoffice::contract {

// The admission lease token the tests pass to Admit when fencing is not what they test.
inline constexpr std::int64_t kFencingToken = 1;

// Builds an empty waiting room, or returns nullptr when the backing service is unreachable
// (the suite then skips instead of failing).
using WaitingRoomFactory = std::function<std::unique_ptr<domain::WaitingRoom>()>;

// One adapter under test; the name shows in test names and failure messages.
struct WaitingRoomBackend {
  std::string name;
  WaitingRoomFactory make;
  friend void PrintTo(const WaitingRoomBackend& backend, std::ostream* os) { *os << backend.name; }
};

// The behaviour every domain::WaitingRoom must have. The tests live in
// waiting_room_contract.cpp; an adapter joins the suite with one line:
//   INSTANTIATE_TEST_SUITE_P(Memory, WaitingRoomContract,
//                            ::testing::Values(WaitingRoomBackend{"Memory", factory}));
// Add waiting_room_contract.cpp to the test executable's sources.
class WaitingRoomContract : public ::testing::TestWithParam<WaitingRoomBackend> {
 protected:
  void SetUp() override {
    room_ = GetParam().make();
    if (!room_) GTEST_SKIP() << "waiting room backend unavailable";
  }

  domain::WaitingRoom& room() { return *room_; }

  // 2026-11-26T00:00:00Z; tests move time by hand from here.
  static domain::Instant T0() {
    using namespace std::chrono;
    return domain::Instant{sys_days{year{2026} / November / 26}.time_since_epoch()};
  }

 private:
  std::unique_ptr<domain::WaitingRoom> room_;
};

}  // namespace boxoffice::contract
