// The composition root: the only place that knows every concrete type. Each service is built
// with its dependencies passed in, and its stop is registered (Defer) right after its start, so
// shutdown runs in exactly the reverse order.

#include <fcntl.h>
#include <openssl/rand.h>
#include <signal.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <boost/json.hpp>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <memory>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "application/authenticate.hpp"
#include "application/cancel_reservation.hpp"
#include "application/charge_wallet.hpp"
#include "application/consumers.hpp"
#include "application/create_user.hpp"
#include "application/get_queue_stats.hpp"
#include "application/get_queue_status.hpp"
#include "application/idempotency_guard.hpp"
#include "application/issue_queue_token.hpp"
#include "application/leave_queue.hpp"
#include "application/list_available_events.hpp"
#include "application/list_concerts.hpp"
#include "application/list_seats.hpp"
#include "application/manage_catalogue.hpp"
#include "application/occupy_seats.hpp"
#include "application/pay_reservation.hpp"
#include "application/policy_service.hpp"
#include "application/queue_access.hpp"
#include "application/relay_outbox.hpp"
#include "application/release_hold.hpp"
#include "application/reserve_seats.hpp"
#include "application/run_admission.hpp"
#include "application/sweep_expired.hpp"
#include "application/user_queries.hpp"
#include "config/config.hpp"
#include "infrastructure/auth/jwt_token_service.hpp"
#include "infrastructure/kafka/kafka_event_consumer.hpp"
#include "infrastructure/kafka/kafka_event_publisher.hpp"
#include "infrastructure/memory/memory_catalogue_cache.hpp"
#include "infrastructure/memory/memory_lease.hpp"
#include "infrastructure/memory/memory_waiting_room.hpp"
#include "infrastructure/memory/near_catalogue_cache.hpp"
#include "infrastructure/redis/redis_catalogue_cache.hpp"
#include "infrastructure/redis/redis_lease.hpp"
#include "infrastructure/redis/redis_multiplexer.hpp"
#include "infrastructure/redis/redis_pool.hpp"
#include "infrastructure/redis/redis_waiting_room.hpp"
#include "infrastructure/sql/sql_database.hpp"
#include "infrastructure/system/clocks.hpp"
#include "infrastructure/system/http_webhook_sender.hpp"
#include "interfaces/consumers/in_process_event_bus.hpp"
#include "interfaces/http/server.hpp"
#include "interfaces/http/services.hpp"
#include "interfaces/schedulers/periodic_runner.hpp"

extern char** environ;

namespace boxoffice {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

constexpr std::size_t kGeneratedSecretBytes = 32;
constexpr std::size_t kMinSecretLength = 32;
// A queue token only names a place; the waiting room decides whether the place is still live,
// so the signature may outlive any realistic wait.
constexpr domain::Duration kQueueTokenTtl = 24h;
constexpr auto kWebhookTimeout = 5s;
constexpr auto kSweepPeriod = 1s;
constexpr auto kRelayPeriod = 200ms;

// Runs a stop action when the scope ends; the stop of each service sits next to its start.
class Defer {
 public:
  explicit Defer(std::function<void()> action) : action_(std::move(action)) {}
  ~Defer() {
    try {
      action_();
    } catch (const std::exception& e) {
      spdlog::error("{}",
                    boost::json::serialize(boost::json::object{
                        {"level", "error"}, {"msg", "shutdown step failed"}, {"error", e.what()}}));
    }
  }
  Defer(const Defer&) = delete;
  Defer& operator=(const Defer&) = delete;

 private:
  std::function<void()> action_;
};

void Log(spdlog::level::level_enum level, std::string_view msg, boost::json::object fields = {}) {
  boost::json::object line;
  line["level"] = spdlog::level::to_string_view(level).data();
  line["msg"] = msg;
  for (auto& [k, v] : fields) line[k] = std::move(v);
  spdlog::log(level, "{}", boost::json::serialize(line));
}

void SetUpLogging(const std::string& level) {
  // One JSON object per line on stdout, as the HTTP access log writes; no spdlog decoration.
  auto logger = spdlog::stdout_logger_mt("boxoffice");
  logger->set_pattern("%v");
  logger->set_level(spdlog::level::from_str(level));
  // Flushed per line: black-box tests read the "listening" line from a pipe.
  logger->flush_on(spdlog::level::trace);
  spdlog::set_default_logger(logger);
}

std::string RandomHex(std::size_t bytes) {
  std::vector<unsigned char> buf(bytes);
  if (RAND_bytes(buf.data(), static_cast<int>(buf.size())) != 1) {
    throw std::runtime_error("RAND_bytes failed: no entropy for a secret");
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes * 2);
  for (unsigned char b : buf) {
    out += kHex[b >> 4];
    out += kHex[b & 15];
  }
  return out;
}

std::string ReadSecretFile(const fs::path& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot read " + path.string());
  std::string secret;
  std::getline(in, secret);
  while (!secret.empty() && (secret.back() == '\r' || secret.back() == ' ')) secret.pop_back();
  if (secret.size() < kMinSecretLength) {
    throw std::runtime_error(path.string() + ": the JWT secret must be at least 32 characters");
  }
  return secret;
}

// The JWT secret from the configuration, or from <data_dir>/jwt-secret, created on first start
// so that tokens survive restarts without anyone having to invent a secret.
std::string LoadOrCreateJwtSecret(const config::Config& config) {
  if (!config.jwt_secret.empty()) return config.jwt_secret;
  const fs::path path = fs::path(config.data_dir) / "jwt-secret";
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    if (errno == EEXIST) return ReadSecretFile(path);
    throw std::system_error(errno, std::generic_category(), "cannot create " + path.string());
  }
  const std::string secret = RandomHex(kGeneratedSecretBytes);
  const std::string line = secret + "\n";
  const bool written = ::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size());
  const bool synced = ::fsync(fd) == 0;
  ::close(fd);
  if (!written || !synced) {
    fs::remove(path);
    throw std::runtime_error("cannot write " + path.string());
  }
  Log(spdlog::level::info, "created JWT secret", {{"path", path.string()}});
  return secret;
}

bool IsCluster(const config::Config& config) { return config.profile == config::Profile::kCluster; }

std::string_view ProfileName(const config::Config& config) {
  return IsCluster(config) ? "cluster" : "embedded";
}

// The cluster profile keeps nothing on local disk, so it creates no directories.
void PrepareDirectories(const config::Config& config) {
  if (IsCluster(config)) return;
  fs::create_directories(config.data_dir);
  const fs::path db_parent = fs::path(config.sqlite.path).parent_path();
  if (!db_parent.empty()) fs::create_directories(db_parent);
}

struct DemoConcert {
  const char* title;
  const char* singer;
  const char* description;
  const char* venue;
  std::int64_t price;
};

constexpr std::array<DemoConcert, 3> kDemoConcerts{{
    {"Midnight Bloom Tour 2026", "Han Yerin",
     "Yerin's first arena tour: the Midnight Bloom album live, with a string section.",
     "Olympic Hall, Seoul", 99'000},
    {"Neon Harbor Live", "The Blue Hour",
     "Five-piece synth-rock band back on stage after three years, full light show.",
     "KSPO Dome, Seoul", 130'000},
    {"Winter Symphony Night", "Kim Jiwoo & Seoul Chamber Ensemble",
     "Crossover evening: film scores and ballads with a 40-piece orchestra.",
     "Lotte Concert Hall, Seoul", 165'000},
}};

// Creates the demo catalogue unless any concert exists. Windows are open from an hour ago
// until each date, so a fresh `make run` can be tried right away.
void SeedDemo(domain::Database& db, domain::CatalogueCache& cache, const domain::Clock& clock) {
  application::ListConcerts list(db, cache);
  const auto existing = list.Execute();
  if (!existing) {
    throw std::runtime_error("seed: cannot list concerts: " + existing.error().message);
  }
  if (!existing->empty()) {
    Log(spdlog::level::info, "demo seed skipped: concerts exist",
        {{"concerts", static_cast<std::int64_t>(existing->size())}});
    return;
  }
  application::ManageCatalogue catalogue(db, cache, clock);
  const domain::Instant now = clock.Now();
  const auto today = std::chrono::floor<std::chrono::days>(now);
  int dates = 0;
  for (std::size_t i = 0; i < kDemoConcerts.size(); ++i) {
    const DemoConcert& demo = kDemoConcerts[i];
    const auto concert = catalogue.CreateConcert({demo.title, demo.singer, demo.description});
    if (!concert) throw std::runtime_error("seed: " + concert.error().message);
    for (int week = 1; week <= 3; ++week) {
      // 19:00 UTC on a different weekday for each concert, in each of the next three weeks.
      const domain::Instant start =
          today + std::chrono::days(7 * week + static_cast<int>(i) * 2) + 19h;
      domain::NewConcertEvent event;
      event.concert_id = concert->id;
      event.venue = demo.venue;
      event.start_at = start;
      event.duration_minutes = 120;
      event.reservation_start_at = now - 1h;
      event.reservation_end_at = start;
      event.seat_count = 50;
      event.price = domain::Money{demo.price};
      const auto created = catalogue.CreateEvent(event);
      if (!created) throw std::runtime_error("seed: " + created.error().message);
      ++dates;
    }
  }
  Log(spdlog::level::info, "demo data created",
      {{"concerts", static_cast<std::int64_t>(kDemoConcerts.size())}, {"dates", dates}});
}

// The database URL for log lines, without its password.
std::string RedactedUrl(const std::string& url) {
  const auto scheme = url.find("://");
  const auto at = url.rfind('@');
  if (scheme == std::string::npos || at == std::string::npos || at < scheme) return url;
  const auto colon = url.find(':', scheme + 3);
  if (colon == std::string::npos || colon > at) return url;
  return url.substr(0, colon + 1) + "***" + url.substr(at);
}

int Migrate(const config::Config& config) {
  if (IsCluster(config)) {
    const int applied = infra::MigrateMysql(config.mysql);
    Log(spdlog::level::info, "migrations applied",
        {{"applied", applied}, {"database", RedactedUrl(config.mysql.url)}});
    return 0;
  }
  const int applied = infra::MigrateSqlite(config.sqlite);
  Log(spdlog::level::info, "migrations applied",
      {{"applied", applied}, {"database", config.sqlite.path}});
  return 0;
}

// Migrates, then opens the database of the profile.
std::unique_ptr<infra::SqlDatabase> OpenDatabase(const config::Config& config) {
  Migrate(config);
  return IsCluster(config) ? infra::OpenMysql(config.mysql) : infra::OpenSqlite(config.sqlite);
}

// The waiting room and catalogue cache: in process (embedded) or shared through Redis (cluster).
struct SharedState {
  std::shared_ptr<infra::RedisPool> redis;        // cluster only
  infra::RedisWaitingRoom* redis_room = nullptr;  // `room`, in the cluster profile
  std::unique_ptr<domain::WaitingRoom> room;
  std::unique_ptr<domain::CatalogueCache> cache;
  std::unique_ptr<domain::Lease> lease;  // who runs each concert's admission tick

  // True when Redis answers PING; always true without Redis.
  bool Ping() const {
    if (!redis) return true;
    try {
      const infra::RedisValue reply = redis->Command({"PING"});
      return reply.string == "PONG";
    } catch (const std::exception&) {
      return false;
    }
  }
};

SharedState MakeSharedState(const config::Config& config, const domain::Clock& clock) {
  SharedState state;
  if (IsCluster(config)) {
    state.redis = std::make_shared<infra::RedisPool>(config.redis);
    auto redis_room =
        std::make_unique<infra::RedisWaitingRoom>(state.redis, config.redis_key_prefix);
    state.redis_room = redis_room.get();
    state.room = std::move(redis_room);
    auto shared_cache =
        std::make_unique<infra::RedisCatalogueCache>(state.redis, config.redis_key_prefix);
    if (config.catalogue_near_ttl_ms > 0) {
      state.cache = std::make_unique<infra::NearCatalogueCache>(
          std::move(shared_cache), clock, std::chrono::milliseconds(config.catalogue_near_ttl_ms));
    } else {
      state.cache = std::move(shared_cache);
    }
    state.lease = std::make_unique<infra::RedisLease>(state.redis, config.redis_key_prefix);
  } else {
    state.room = std::make_unique<infra::MemoryWaitingRoom>();
    state.cache = std::make_unique<infra::MemoryCatalogueCache>();
    state.lease = std::make_unique<infra::MemoryLease>();
  }
  return state;
}

int Seed(const config::Config& config) {
  const auto db = OpenDatabase(config);
  infra::SystemClock clock;
  // In the cluster profile the shared cache sees the new catalogue (Invalidate) at once.
  const SharedState state = MakeSharedState(config, clock);
  SeedDemo(*db, *state.cache, clock);
  return 0;
}

// Blocks SIGINT and SIGTERM in every thread (threads inherit the mask), so that only the
// sigwait below receives them.
sigset_t BlockStopSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  if (pthread_sigmask(SIG_BLOCK, &set, nullptr) != 0) {
    throw std::runtime_error("cannot block SIGINT/SIGTERM");
  }
  return set;
}

int Serve(config::Config config, const sigset_t& stop_signals) {
  Log(spdlog::level::info, "starting",
      {{"profile", ProfileName(config)}, {"instance", config.instance_id}});
  const std::string jwt_secret = LoadOrCreateJwtSecret(config);
  if (config.http.admin_token.empty()) {
    config.http.admin_token = RandomHex(24);
    std::cerr << "boxoffice: admin token (BOXOFFICE_ADMIN_TOKEN not set): "
              << config.http.admin_token << std::endl;
  }

  const auto db = OpenDatabase(config);
  Defer close_db([&] { Log(spdlog::level::info, "database closed"); });

  infra::SystemClock system_clock;
  infra::ManualClock manual_clock;
  const domain::Clock& clock =
      config.http.test_hooks ? static_cast<const domain::Clock&>(manual_clock) : system_clock;
  const SharedState shared = MakeSharedState(config, clock);
  if (shared.redis && !shared.Ping()) {
    // Not fatal: /readyz answers 503 until Redis is reachable, and requests needing it 503.
    Log(spdlog::level::warn, "redis not reachable at start",
        {{"url", RedactedUrl(config.redis.url)}});
  }
  domain::WaitingRoom& room = *shared.room;
  domain::CatalogueCache& cache = *shared.cache;
  infra::JwtTokenService tokens(jwt_secret, std::chrono::seconds(config.access_token_ttl_seconds),
                                kQueueTokenTtl);

  if (config.seed_demo) SeedDemo(*db, cache, clock);

  application::PolicyService policies(*db, clock);
  application::Authenticate authenticate(tokens, clock);
  application::QueueAccess queue_access(tokens, room, policies, clock);
  application::CreateUser create_user(*db, tokens, clock);
  application::IssueQueueToken issue_queue_token(*db, cache, room, tokens, policies, clock);
  application::GetQueueStatus get_queue_status(room, tokens, policies, clock);
  application::LeaveQueue leave_queue(room, tokens, policies, clock);
  application::ListConcerts list_concerts(*db, cache);
  application::ListAvailableEvents list_available_events(*db, clock);
  application::ListSeats list_seats(*db, clock);
  application::OccupySeats occupy_seats(*db, policies, clock);
  application::ReleaseHold release_hold(*db, clock);
  application::ReserveSeats reserve_seats(*db, clock);
  application::CancelReservation cancel_reservation(*db, clock);
  application::PayReservation pay_reservation(*db, clock);
  application::ChargeWallet charge_wallet(*db, clock);
  application::UserQueries user_queries(*db);
  application::ManageCatalogue manage_catalogue(*db, cache, clock);
  application::GetQueueStats queue_stats(*db, room, clock);
  application::IdempotencyGuard idempotency(*db, clock);

  consumers::InProcessEventBus bus;
  application::FreeQueueSlot free_queue_slot(*db, room, clock);
  bus.Subscribe(application::FreeQueueSlot::kName,
                [&](const domain::OutboxRecord& r) { return free_queue_slot.Handle(r); });
  std::optional<infra::HttpWebhookSender> webhook_sender;
  std::optional<application::NotifyWebhook> notify_webhook;
  if (!config.webhook_url.empty()) {
    webhook_sender.emplace(config.webhook_url, kWebhookTimeout);
    notify_webhook.emplace(*db, *webhook_sender, clock);
    bus.Subscribe(application::NotifyWebhook::kName,
                  [&](const domain::OutboxRecord& r) { return notify_webhook->Handle(r); });
  }

  // Cluster profile with brokers: the relay publishes to Kafka, and this instance's member of the
  // consumer group hands what it receives to the same in-process consumers, so each event is
  // handled by whichever instance owns its partition. Kafka being down delays events (they wait
  // in the outbox, the relay backing off) but fails no request and no readiness check.
  std::optional<infra::KafkaEventPublisher> kafka_publisher;
  std::optional<infra::KafkaEventConsumer> kafka_consumer;
  domain::EventPublisher* relay_target = &bus;
  if (IsCluster(config) && !config.kafka.brokers.empty()) {
    kafka_publisher.emplace(config.kafka);
    relay_target = &*kafka_publisher;
    kafka_consumer.emplace(config.kafka,
                           [&](const domain::OutboxRecord& r) { return bus.Publish(r); });
    kafka_consumer->Start();
    Log(spdlog::level::info, "event bus: kafka",
        {{"brokers", config.kafka.brokers},
         {"topic", config.kafka.topic},
         {"group", config.kafka.group}});
  } else if (IsCluster(config)) {
    Log(spdlog::level::warn,
        "BOXOFFICE_KAFKA_BROKERS not set: events go to this instance's in-process consumers");
  }
  // Runs after the relay's final pass (registered below, so stopped first): the consumer leaves
  // the group, then the producer waits for what is still in flight.
  Defer flush_kafka([&] {
    if (!kafka_publisher) return;
    const int unacknowledged = kafka_publisher->Flush(config.kafka.publish_timeout);
    Log(unacknowledged == 0 ? spdlog::level::info : spdlog::level::warn, "kafka producer flushed",
        {{"unacknowledged", unacknowledged}});
  });
  Defer stop_kafka_consumer([&] {
    if (kafka_consumer) kafka_consumer->Stop();
  });

  application::RunAdmission run_admission(*db, room, policies, *shared.lease, config.instance_id,
                                          clock);
  application::SweepExpired sweep_expired(*db, clock);
  application::RelayOutbox relay_outbox(*db, *relay_target, clock);
  // Admission and sweeping never wait behind the relay, whose consumers may call a slow webhook.
  schedulers::PeriodicRunner housekeeping;
  housekeeping.Add("admission", std::chrono::milliseconds(config.scheduler_tick_ms),
                   [&] { run_admission.Execute(); });
  housekeeping.Add("sweep-expired", kSweepPeriod, [&] { sweep_expired.Execute(); });
  housekeeping.Start();
  Defer stop_housekeeping([&] { housekeeping.Stop(); });
  schedulers::PeriodicRunner relay;
  relay.Add("relay-outbox", kRelayPeriod, [&] { relay_outbox.Execute(); });
  relay.Start();
  Defer stop_relay([&] {
    relay.Stop();
    // Hands over events committed since the last pass, so a clean stop leaves no backlog.
    relay_outbox.Execute();
  });

  http::Services services{
      .clock = clock,
      .authenticate = authenticate,
      .queue_access = queue_access,
      .create_user = create_user,
      .issue_queue_token = issue_queue_token,
      .get_queue_status = get_queue_status,
      .leave_queue = leave_queue,
      .list_concerts = list_concerts,
      .list_available_events = list_available_events,
      .list_seats = list_seats,
      .occupy_seats = occupy_seats,
      .release_hold = release_hold,
      .reserve_seats = reserve_seats,
      .cancel_reservation = cancel_reservation,
      .pay_reservation = pay_reservation,
      .charge_wallet = charge_wallet,
      .user_queries = user_queries,
      .manage_catalogue = manage_catalogue,
      .policies = policies,
      .queue_stats = queue_stats,
      .idempotency = idempotency,
      .waiting_room = room,
      .ready = [&] { return db->Ping() && shared.Ping(); },
      .outbox_backlog =
          [&] {
            const auto count = db->Read([](domain::Store& store) -> domain::Result<std::int64_t> {
              return store.Outbox().CountUnpublished();
            });
            return count.ok() ? count.value() : std::int64_t{-1};
          },
      .write_groups = IsCluster(config)
                          ? std::function<http::Metrics::WriteGroups()>{}
                          : [&db] {
                              const auto w = db->WriteGroups();
                              return http::Metrics::WriteGroups{
                                  .groups = w.groups, .writes = w.writes, .queued = w.queued};
                            },
      .advance_clock = {},
      .run_background_once = {},
  };
  if (config.http.test_hooks) {
    services.advance_clock = [&](domain::Duration by) { manual_clock.Advance(by); };
    services.run_background_once = [&] {
      housekeeping.RunAllOnce();
      relay.RunAllOnce();
    };
  }

  http::Server server(config.http, services);
  // In the cluster profile token issues and status checks wait for Redis on the server's I/O
  // threads, over one pipelined connection per thread
  // (docs/adr/0015-waiting-room-calls-on-the-io-threads.md).
  if (shared.redis_room != nullptr) {
    shared.redis_room->UseMultiplexer(std::make_shared<infra::RedisMultiplexer>(
        server.Io(), config.redis, std::max(1, config.http.io_threads)));
  }
  server.Start();
  Defer stop_server([&] {
    server.Stop();
    // Before the server (and its I/O context) is destroyed: the connections live on it.
    if (shared.redis_room != nullptr) shared.redis_room->UseMultiplexer(nullptr);
  });
  // Written whatever the log level: black-box tests and scripts wait for this line.
  const boost::json::object listening{{"msg", "listening"}, {"port", server.Port()}};
  const std::string line = boost::json::serialize(listening) + "\n";
  std::fwrite(line.data(), 1, line.size(), stdout);
  std::fflush(stdout);

  int signal_number = 0;
  if (sigwait(&stop_signals, &signal_number) != 0) {
    throw std::runtime_error("sigwait failed");
  }
  Log(spdlog::level::info, "stopping", {{"signal", strsignal(signal_number)}});
  return 0;
}

int RunCommand(const config::Config& config, const sigset_t& stop_signals) {
  PrepareDirectories(config);
  switch (config.command) {
    case config::Command::kMigrate:
      return Migrate(config);
    case config::Command::kSeed:
      return Seed(config);
    case config::Command::kServe:
      return Serve(config, stop_signals);
  }
  return 2;
}

int Run(const config::Config& config, const sigset_t& stop_signals) {
  SetUpLogging(config.log_level);
  // The access log is written asynchronously; this flushes it once a second and at the end.
  spdlog::flush_every(std::chrono::seconds(1));
  Defer flush_logs([] { spdlog::shutdown(); });
  return RunCommand(config, stop_signals);
}

}  // namespace
}  // namespace boxoffice

int main(int argc, char** argv) {
  std::vector<std::string> environment;
  for (char** e = environ; *e != nullptr; ++e) environment.emplace_back(*e);
  const auto outcome = boxoffice::config::ParseConfig(argc, argv, environment);
  if (!outcome.config) {
    if (outcome.help) {
      std::cout << outcome.message;
      return 0;
    }
    std::cerr << "boxoffice: " << outcome.message << std::endl;
    return 2;
  }
  // A peer that closes a socket mid-write must cost an error code, not the process (hiredis and
  // the SQL client libraries write with plain write()).
  std::signal(SIGPIPE, SIG_IGN);
  try {
    // Before any thread starts, so every thread inherits the blocked mask.
    const sigset_t stop_signals = boxoffice::BlockStopSignals();
    return boxoffice::Run(*outcome.config, stop_signals);
  } catch (const std::exception& e) {
    std::cerr << "boxoffice: fatal: " << e.what() << std::endl;
    return 1;
  }
}
