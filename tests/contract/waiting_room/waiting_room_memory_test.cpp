#include <memory>

#include "infrastructure/memory/memory_waiting_room.hpp"
#include "waiting_room_contract.hpp"

namespace boxoffice::contract {
namespace {

std::unique_ptr<domain::WaitingRoom> MakeMemoryWaitingRoom() {
  return std::make_unique<infra::MemoryWaitingRoom>();
}

INSTANTIATE_TEST_SUITE_P(Memory, WaitingRoomContract,
                         ::testing::Values(WaitingRoomBackend{"Memory", MakeMemoryWaitingRoom}));

}  // namespace
}  // namespace boxoffice::contract
