#include "interfaces/consumers/in_process_event_bus.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace boxoffice::consumers {
namespace {

domain::OutboxRecord Record(std::int64_t id) {
  domain::OutboxRecord record;
  record.id = id;
  record.event = domain::PaymentCompleted{};
  return record;
}

TEST(InProcessEventBusTest, PublishWithoutSubscribersSucceeds) {
  InProcessEventBus bus;
  EXPECT_TRUE(bus.Publish(Record(1)));
}

TEST(InProcessEventBusTest, EveryHandlerReceivesTheRecord) {
  InProcessEventBus bus;
  std::vector<std::string> seen;
  bus.Subscribe("a", [&](const domain::OutboxRecord& r) {
    seen.push_back("a" + std::to_string(r.id));
    return true;
  });
  bus.Subscribe("b", [&](const domain::OutboxRecord& r) {
    seen.push_back("b" + std::to_string(r.id));
    return true;
  });
  EXPECT_TRUE(bus.Publish(Record(7)));
  EXPECT_EQ(seen, (std::vector<std::string>{"a7", "b7"}));
}

TEST(InProcessEventBusTest, FailsWhenAnyHandlerFailsButStillDeliversToTheOthers) {
  InProcessEventBus bus;
  int later_calls = 0;
  bus.Subscribe("failing", [](const domain::OutboxRecord&) { return false; });
  bus.Subscribe("later", [&](const domain::OutboxRecord&) {
    ++later_calls;
    return true;
  });
  EXPECT_FALSE(bus.Publish(Record(1)));
  EXPECT_EQ(later_calls, 1);
}

TEST(InProcessEventBusTest, FailsWhenTheLastHandlerFails) {
  InProcessEventBus bus;
  bus.Subscribe("ok", [](const domain::OutboxRecord&) { return true; });
  bus.Subscribe("failing", [](const domain::OutboxRecord&) { return false; });
  EXPECT_FALSE(bus.Publish(Record(1)));
}

}  // namespace
}  // namespace boxoffice::consumers
