#include "sql_race.hpp"

#include <hiredis/hiredis.h>
#include <soci/mysql/soci-mysql.h>
#include <soci/soci.h>
#include <soci/sqlite3/soci-sqlite3.h>

#include <boost/url/parse.hpp>
#include <boost/url/url.hpp>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <stdexcept>
#include <thread>

#include "application/occupy_seats.hpp"
#include "application/policy_service.hpp"
#include "infrastructure/sql/sql_database.hpp"
#include "infrastructure/system/clocks.hpp"

namespace boxoffice::bench {
namespace {

constexpr std::int64_t kHoldTtlMs = 300'000;  // the product's default hold_ttl

std::int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string Quoted(std::string_view value) {
  std::string out = "'";
  for (char c : value) {
    if (c == '\\' || c == '\'') out.push_back('\\');
    out.push_back(c);
  }
  return out + "'";
}

// mysql://user:password@host:port/<any> -> the same server, database `name`.
std::string WithDatabase(const std::string& url, const std::string& name) {
  auto parsed = boost::urls::parse_uri(url);
  if (!parsed) throw std::invalid_argument("malformed --db-url: " + parsed.error().message());
  boost::urls::url copy(*parsed);
  copy.set_path("/" + name);
  return std::string(copy.buffer());
}

std::string SociMysqlConnect(const std::string& url) {
  auto parsed = boost::urls::parse_uri(url);
  if (!parsed) throw std::invalid_argument("malformed --db-url: " + parsed.error().message());
  const auto& u = *parsed;
  std::string db = u.path();
  if (!db.empty() && db.front() == '/') db.erase(0, 1);
  std::string out = "host=" + Quoted(u.host());
  out += " port=" + (u.has_port() ? std::string(u.port()) : std::string("3306"));
  out += " dbname=" + Quoted(db);
  if (u.has_userinfo()) out += " user=" + Quoted(u.user());
  if (u.has_password()) out += " password=" + Quoted(u.password());
  return out + " charset=utf8mb4";
}

// A fixed set of hiredis connections shared by the callers (Redisson keeps a pool as well).
class RedisPool {
 public:
  RedisPool(const std::string& url, int size) {
    auto parsed = boost::urls::parse_uri(url);
    if (!parsed || parsed->scheme() != "redis") {
      throw std::invalid_argument("--redis-url must be redis://host:port[/db]");
    }
    const std::string host(parsed->host());
    const int port = parsed->has_port() ? std::stoi(std::string(parsed->port())) : 6379;
    std::string db = parsed->path();
    if (!db.empty() && db.front() == '/') db.erase(0, 1);
    for (int i = 0; i < size; ++i) {
      redisContext* c = redisConnect(host.c_str(), port);
      if (c == nullptr || c->err) {
        const std::string why = c ? c->errstr : "out of memory";
        if (c) redisFree(c);
        throw std::runtime_error("cannot connect to Redis at " + host + ":" + std::to_string(port) +
                                 ": " + why);
      }
      if (!db.empty() && db != "0") Command(c, {"SELECT", db});
      free_.push_back(c);
    }
  }
  ~RedisPool() {
    for (auto* c : free_) redisFree(c);
  }

  // SET key value NX PX lease: true when this caller took the lock.
  bool SetNx(const std::string& key, const std::string& value, int lease_ms) {
    Lease c(*this);
    return Command(c.get(), {"SET", key, value, "NX", "PX", std::to_string(lease_ms)}) == "OK";
  }
  // Deletes the key only while it still holds `value` (an expired lock may be someone else's).
  void DeleteIfEquals(const std::string& key, const std::string& value) {
    Lease c(*this);
    Command(c.get(), {"EVAL",
                      "if redis.call('GET', KEYS[1]) == ARGV[1] then "
                      "return redis.call('DEL', KEYS[1]) else return 0 end",
                      "1", key, value});
  }

 private:
  class Lease {
   public:
    explicit Lease(RedisPool& pool) : pool_(pool) {
      std::unique_lock lock(pool_.mu_);
      pool_.cv_.wait(lock, [&] { return !pool_.free_.empty(); });
      c_ = pool_.free_.back();
      pool_.free_.pop_back();
    }
    ~Lease() {
      std::lock_guard lock(pool_.mu_);
      pool_.free_.push_back(c_);
      pool_.cv_.notify_one();
    }
    redisContext* get() const { return c_; }

   private:
    RedisPool& pool_;
    redisContext* c_;
  };

  // Runs a command; returns a status or string reply as text, "" for nil, throws on errors.
  static std::string Command(redisContext* c, const std::vector<std::string>& args) {
    std::vector<const char*> argv;
    std::vector<std::size_t> lens;
    for (const auto& a : args) {
      argv.push_back(a.data());
      lens.push_back(a.size());
    }
    auto* reply = static_cast<redisReply*>(
        redisCommandArgv(c, static_cast<int>(args.size()), argv.data(), lens.data()));
    if (reply == nullptr) throw std::runtime_error(std::string("redis: ") + c->errstr);
    std::string out;
    if (reply->type == REDIS_REPLY_ERROR) {
      out = reply->str;
      freeReplyObject(reply);
      throw std::runtime_error("redis: " + out);
    }
    if (reply->type == REDIS_REPLY_STATUS || reply->type == REDIS_REPLY_STRING) {
      out.assign(reply->str, reply->len);
    }
    freeReplyObject(reply);
    return out;
  }

  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<redisContext*> free_;
};

}  // namespace

class SqlRace::Impl {
 public:
  Impl(const SqlRaceSettings& settings, int max_callers) : s_(settings) {
    OpenDatabases();
    CreateUsers(max_callers + 1);  // the last one never races (see Run)
    const auto now = clock_.Now();
    concert_ = db_->Write([&](domain::Store& store) -> domain::Result<domain::ConcertId> {
                    return store.Catalogue().CreateConcert({"Race", "Bench", ""}, now).id;
                  })
                   .value();
  }

  RaceRun Run(Strategy strategy, int callers) {
    if (callers >= static_cast<int>(users_.size())) throw std::invalid_argument("too many callers");
    const auto [event, seat, other] = FreshSeats();
    // Untimed, for every strategy alike: a user who is not racing holds the date's other seat,
    // so the date has been read once, as every date on sale has been before its hottest seat is
    // raced for. (OccupySeats remembers a date's window; the reference's holds never read it.)
    if (!occupy_->Execute({{users_.back(), concert_}, event, {other}}).ok()) {
      throw std::runtime_error("warm-up hold of the date's other seat failed");
    }
    std::function<Status(int)> call;
    switch (strategy) {
      case Strategy::kOurs:
        call = [&, event = event, seat = seat](int i) { return Ours(users_[i], event, seat); };
        break;
      case Strategy::kPessimistic:
        call = [&, event = event, seat = seat](int i) {
          return Pessimistic(users_[i], event, seat);
        };
        break;
      case Strategy::kOptimistic:
        call = [&, event = event, seat = seat](int i) {
          return Optimistic(users_[i], event, seat);
        };
        break;
      case Strategy::kFloor:
        call = [](int i) { return i == 0 ? 201 : 409; };
        break;
      case Strategy::kRedisLockPessimistic:
        if (!redis_) throw std::invalid_argument("redis-lock+pessimistic needs --redis-url");
        call = [&, event = event, seat = seat](int i) {
          return RedisLockPessimistic(i, users_[i], event, seat);
        };
        break;
    }
    return RunRace(
        callers, [](int) {}, call);
  }

 private:
  void OpenDatabases() {
    if (s_.mysql) {
      infra::MysqlSettings server{.url = s_.db_url};
      infra::RecreateMysqlDatabase(server, s_.database_name);
      infra::MysqlSettings mine{.url = WithDatabase(s_.db_url, s_.database_name),
                                .pool_size = s_.pool_size};
      infra::MigrateMysql(mine);
      db_ = infra::OpenMysql(mine);
      pool_ = std::make_unique<soci::connection_pool>(s_.pool_size);
      const std::string connect = SociMysqlConnect(mine.url);
      for (int i = 0; i < s_.pool_size; ++i) {
        auto& session = pool_->at(i);
        session.open(soci::mysql, connect);
        // As the adapter does; the reference ran MySQL's default REPEATABLE READ, which changes
        // nothing for a locking read or a version-checked update of one row.
        session << "SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED";
      }
      pool_->at(0) << "ALTER TABLE seat ADD COLUMN bench_version BIGINT NOT NULL DEFAULT 0";
    } else {
      std::filesystem::remove(s_.sqlite_path);
      std::filesystem::remove(s_.sqlite_path + "-wal");
      std::filesystem::remove(s_.sqlite_path + "-shm");
      infra::SqliteSettings settings{.path = s_.sqlite_path, .pool_size = s_.pool_size};
      infra::MigrateSqlite(settings);
      db_ = infra::OpenSqlite(settings);
      pool_ = std::make_unique<soci::connection_pool>(s_.pool_size);
      for (int i = 0; i < s_.pool_size; ++i) {
        auto& session = pool_->at(i);
        session.open(soci::sqlite3, "db=" + s_.sqlite_path);
        session << "PRAGMA busy_timeout = " + std::to_string(settings.busy_timeout_ms);
        session << "PRAGMA synchronous = FULL";
        session << "PRAGMA foreign_keys = ON";
      }
      pool_->at(0) << "ALTER TABLE seat ADD COLUMN bench_version INTEGER NOT NULL DEFAULT 0";
    }
    if (!s_.redis_url.empty())
      redis_ = std::make_unique<RedisPool>(s_.redis_url, s_.redis_pool_size);
    // Policies do not change during the bench: loaded once here, not re-read (once a second by
    // one caller, in production) inside a timed race.
    policies_ = std::make_unique<application::PolicyService>(*db_, clock_, std::chrono::hours(24));
    (void)policies_->Current();
    occupy_ = std::make_unique<application::OccupySeats>(*db_, *policies_, clock_);
  }

  void CreateUsers(int count) {
    soci::session sql(*pool_);
    const std::int64_t now = NowMs();
    soci::transaction tx(sql);
    for (int i = 0; i < count; ++i) {
      sql << "INSERT INTO users (name, created_at) VALUES ('racer', :now)", soci::use(now);
    }
    tx.commit();
    std::vector<std::int64_t> ids(count);
    sql << "SELECT id FROM users ORDER BY id", soci::into(ids);
    for (auto id : ids) users_.push_back(domain::UserId{id});
  }

  struct Date {
    domain::EventId event;
    domain::SeatId seat;   // raced for
    domain::SeatId other;  // held before the race (see Run)
  };
  // A new date of the concert, on sale now, with two seats.
  Date FreshSeats() {
    const auto now = clock_.Now();
    return db_
        ->Write([&](domain::Store& store) -> domain::Result<Date> {
          domain::NewConcertEvent e;
          e.concert_id = concert_;
          e.venue = "Bench hall";
          e.start_at = now + std::chrono::hours(24 * 31);
          e.duration_minutes = 120;
          e.reservation_start_at = now - std::chrono::hours(1);
          e.reservation_end_at = now + std::chrono::hours(24 * 30);
          e.seat_count = 2;
          e.price = domain::Money{50'000};
          const auto event = store.Catalogue().CreateEvent(e, now).id;
          const auto seats = store.Catalogue().ListSeats(event, now);
          return Date{event, seats.at(0).id, seats.at(1).id};
        })
        .value();
  }

  Status Ours(domain::UserId user, domain::EventId event, domain::SeatId seat) {
    try {
      auto hold = occupy_->Execute({{user, concert_}, event, {seat}});
      if (hold.ok()) return 201;
      return hold.error().code == domain::ErrorCode::kSeatUnavailable ? 409 : 400;
    } catch (const domain::UnavailableError&) {
      return 503;
    }
  }

  // The reference's pessimistic hold: lock the seat row, check it, write the hold. SQLite has no
  // FOR UPDATE; BEGIN IMMEDIATE (the database's write lock) stands in for it.
  Status Pessimistic(domain::UserId user, domain::EventId event, domain::SeatId seat) {
    soci::session sql(*pool_);
    try {
      sql << (s_.mysql ? "START TRANSACTION" : "BEGIN IMMEDIATE");
      std::string state;
      sql << (s_.mysql ? "SELECT state FROM seat WHERE id = :id FOR UPDATE"
                       : "SELECT state FROM seat WHERE id = :id"),
          soci::use(seat.value), soci::into(state);
      if (state != "AVAILABLE") {
        sql << "ROLLBACK";
        return 409;
      }
      const std::int64_t hold = InsertHold(sql, user, event, seat);
      const std::int64_t until = NowMs() + kHoldTtlMs;
      sql << "UPDATE seat SET state = 'HELD', hold_id = :hold, held_until = :until "
             "WHERE id = :id",
          soci::use(hold), soci::use(until), soci::use(seat.value);
      sql << "COMMIT";
      return 201;
    } catch (const std::exception&) {
      Rollback(sql);
      return 503;
    }
  }

  // The reference's optimistic hold without retry: read the seat and its version, then update
  // it only if the version is unchanged. `bench_version` is a bench-only column (our schema
  // decides races with the conditional update instead). The versioned update runs before the
  // inserts, so InnoDB takes the seat's exclusive lock first and racing holds never deadlock.
  Status Optimistic(domain::UserId user, domain::EventId event, domain::SeatId seat) {
    soci::session sql(*pool_);
    try {
      sql << (s_.mysql ? "START TRANSACTION" : "BEGIN");
      std::string state;
      std::int64_t version = 0;
      sql << "SELECT state, bench_version FROM seat WHERE id = :id", soci::use(seat.value),
          soci::into(state), soci::into(version);
      if (state != "AVAILABLE") {
        sql << "ROLLBACK";
        return 409;
      }
      const std::int64_t until = NowMs() + kHoldTtlMs;
      soci::statement update =
          (sql.prepare << "UPDATE seat SET state = 'HELD', held_until = :until, "
                          "bench_version = bench_version + 1 WHERE id = :id AND bench_version = :v",
           soci::use(until), soci::use(seat.value), soci::use(version));
      try {
        update.execute(true);
      } catch (const soci::soci_error&) {
        // SQLite: a reader whose snapshot is older than the last commit cannot write
        // (SQLITE_BUSY_SNAPSHOT): the same conflict the version check reports, found earlier.
        if (s_.mysql) throw;
        Rollback(sql);
        return 409;
      }
      if (update.get_affected_rows() != 1) {
        sql << "ROLLBACK";
        return 409;  // the version moved: the reference answered a conflict, no retry
      }
      const std::int64_t hold = InsertHold(sql, user, event, seat);
      sql << "UPDATE seat SET hold_id = :hold WHERE id = :id", soci::use(hold),
          soci::use(seat.value);
      sql << "COMMIT";
      return 201;
    } catch (const std::exception&) {
      Rollback(sql);
      return 503;
    }
  }

  // The reference's best: a Redis lock on the seat (SET NX PX), retried for lock_wait_ms, and
  // the pessimistic hold under it. A caller that cannot take the lock in time is refused.
  Status RedisLockPessimistic(int caller, domain::UserId user, domain::EventId event,
                              domain::SeatId seat) {
    const std::string key = "boxoffice-race-bench:lock:seat:" + std::to_string(seat.value);
    const std::string token = std::to_string(caller);
    const auto deadline =
        std::chrono::steady_clock::now() + std::chrono::milliseconds(s_.lock_wait_ms);
    try {
      while (!redis_->SetNx(key, token, s_.lock_lease_ms)) {
        if (std::chrono::steady_clock::now() >= deadline) return 409;
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
      }
    } catch (const std::exception&) {
      return 503;
    }
    const Status status = Pessimistic(user, event, seat);
    try {
      redis_->DeleteIfEquals(key, token);
    } catch (const std::exception&) {
      // The lease ends it.
    }
    return status;
  }

  std::int64_t InsertHold(soci::session& sql, domain::UserId user, domain::EventId event,
                          domain::SeatId seat) {
    const std::int64_t now = NowMs();
    const std::int64_t until = now + kHoldTtlMs;
    sql << "INSERT INTO occupation (user_id, concert_event_id, status, expires_at, created_at, "
           "updated_at) VALUES (:user, :event, 'ACTIVE', :until, :now, :now2)",
        soci::use(user.value), soci::use(event.value), soci::use(until), soci::use(now),
        soci::use(now);
    long long id = 0;
    if (!sql.get_last_insert_id("occupation", id)) throw std::runtime_error("no insert id");
    const std::int64_t hold = id;
    std::int32_t number = 1;
    std::int64_t price = 50'000;
    sql << "INSERT INTO occupation_seat (occupation_id, seat_id, seat_number, price) "
           "VALUES (:hold, :seat, :number, :price)",
        soci::use(hold), soci::use(seat.value), soci::use(number), soci::use(price);
    return hold;
  }

  static void Rollback(soci::session& sql) {
    try {
      sql << "ROLLBACK";
    } catch (const std::exception&) {
      // Nothing was open, or the connection is gone; either way nothing to undo.
    }
  }

  SqlRaceSettings s_;
  infra::SystemClock clock_;
  std::unique_ptr<infra::SqlDatabase> db_;
  std::unique_ptr<soci::connection_pool> pool_;
  std::unique_ptr<RedisPool> redis_;
  std::unique_ptr<application::PolicyService> policies_;
  std::unique_ptr<application::OccupySeats> occupy_;
  std::vector<domain::UserId> users_;
  domain::ConcertId concert_;
};

SqlRace::SqlRace(const SqlRaceSettings& settings, int max_callers)
    : impl_(std::make_unique<Impl>(settings, max_callers)) {}
SqlRace::~SqlRace() = default;

RaceRun SqlRace::Run(Strategy strategy, int callers) { return impl_->Run(strategy, callers); }

}  // namespace boxoffice::bench
