// The outbox relay over a real SQLite database and a real broker that is stopped and started
// again: events wait in the outbox while Kafka is down and flow once it is back. The test stops
// the broker that scripts/test-kafka-contract started (BOXOFFICE_TEST_KAFKA_DIR) through
// scripts/kafka, so it runs only there, after the other tests of this executable.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <random>
#include <set>
#include <string>

#include "application/relay_outbox.hpp"
#include "domain/result.hpp"
#include "infrastructure/kafka/kafka_event_consumer.hpp"
#include "infrastructure/kafka/kafka_event_publisher.hpp"
#include "infrastructure/sql/sql_database.hpp"
#include "infrastructure/system/clocks.hpp"
#include "kafka_test_support.hpp"

namespace boxoffice::contract {
namespace {

namespace fs = std::filesystem;

std::optional<std::string> TestKafkaDir() {
  const char* dir = std::getenv("BOXOFFICE_TEST_KAFKA_DIR");
  if (dir == nullptr || *dir == '\0') return std::nullopt;
  return std::string(dir);
}

// Runs scripts/kafka with the broker's directory; true when it succeeded.
bool RunKafkaScript(const std::string& verb, const std::string& dir, const std::string& port) {
  const std::string command = std::string("'") + BOXOFFICE_KAFKA_SCRIPT + "' " + verb + " '" + dir +
                              "'" + (port.empty() ? "" : " " + port) + " >/dev/null";
  return std::system(command.c_str()) == 0;
}

// Stops the broker for the scope and starts it again at the end whatever happens, so a failing
// test does not leave the suite without its broker.
class BrokerOutage {
 public:
  BrokerOutage(std::string dir, std::string port) : dir_(std::move(dir)), port_(std::move(port)) {
    stopped_ = RunKafkaScript("stop", dir_, "");
  }
  ~BrokerOutage() {
    if (stopped_) (void)Restart();
  }
  bool stopped() const { return stopped_; }
  bool Restart() {
    if (!stopped_) return true;
    stopped_ = !RunKafkaScript("start", dir_, port_);
    return !stopped_;
  }

 private:
  std::string dir_;
  std::string port_;
  bool stopped_ = false;
};

class TempDir {
 public:
  TempDir() {
    std::random_device rd;
    path_ = fs::temp_directory_path() / ("boxoffice-kafka-outage-" + std::to_string(rd()));
    fs::create_directories(path_);
  }
  ~TempDir() { fs::remove_all(path_); }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

std::int64_t Unpublished(domain::Database& db) {
  return db
      .Read([](domain::Store& s) -> domain::Result<std::int64_t> {
        return s.Outbox().CountUnpublished();
      })
      .value();
}

TEST(KafkaOutage, EventsWaitInTheOutboxWhileTheBrokerIsDownAndFlowWhenItIsBack) {
  const auto brokers = TestKafkaBrokers();
  const auto dir = TestKafkaDir();
  if (!brokers || !dir) {
    GTEST_SKIP() << "needs BOXOFFICE_TEST_KAFKA_BROKERS and BOXOFFICE_TEST_KAFKA_DIR "
                    "(scripts/test-kafka-contract sets both)";
  }
  const std::string port = brokers->substr(brokers->rfind(':') + 1);
  TempDir temp;
  infra::SqliteSettings sqlite{(temp.path() / "outbox.db").string(), 2, 5000, false};
  infra::MigrateSqlite(sqlite);
  const auto db = infra::OpenSqlite(sqlite);
  infra::ManualClock clock;

  infra::KafkaSettings settings = TestSettings(*brokers, "outage");
  settings.publish_timeout = 2s;
  infra::KafkaEventPublisher publisher(settings);
  // The topic exists before the outage, as it does in a running cluster.
  ASSERT_TRUE(publisher.Publish(PaidRecord(1'000'000, 1)));

  application::RelayOutbox relay(*db, publisher, clock);
  BrokerOutage outage(*dir, port);
  ASSERT_TRUE(outage.stopped()) << "scripts/kafka stop failed";

  for (std::int64_t reservation = 11; reservation <= 13; ++reservation) {
    (void)db->Write([&](domain::Store& s) -> domain::Result<bool> {
      s.Outbox().Append(PaidRecord(0, reservation).event, clock.Now());
      return true;
    });
  }
  EXPECT_EQ(relay.Execute(), 0);
  EXPECT_EQ(Unpublished(*db), 3);

  ASSERT_TRUE(outage.Restart()) << "scripts/kafka start failed";
  // The producer reconnects with its own backoff; each pass makes the rows due again.
  int published = 0;
  ASSERT_TRUE(WaitUntil(
      [&] {
        clock.Advance(std::chrono::minutes(6));
        published += relay.Execute();
        return published == 3;
      },
      90s))
      << published;
  EXPECT_EQ(Unpublished(*db), 0);

  Recorder recorder;
  infra::KafkaEventConsumer consumer(settings, recorder.Handler());
  consumer.Start();
  const std::set<std::int64_t> expected{1'000'000, 1, 2, 3};
  const auto seen = [&] {
    const auto ids = recorder.HandledIds();
    return std::set<std::int64_t>(ids.begin(), ids.end());
  };
  ASSERT_TRUE(WaitUntil([&] { return seen() == expected; }, 60s));
  for (const auto& record : recorder.Handled()) {
    if (record.id == 1'000'000) continue;
    const auto* paid = std::get_if<domain::PaymentCompleted>(&record.event);
    ASSERT_NE(paid, nullptr);
    EXPECT_EQ(paid->reservation_id.value, 10 + record.id) << "outbox row " << record.id;
  }
}

}  // namespace
}  // namespace boxoffice::contract
