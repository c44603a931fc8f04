#include "infrastructure/redis/redis_catalogue_cache.hpp"

#include <spdlog/spdlog.h>

#include <boost/json.hpp>
#include <random>
#include <utility>

#include "domain/errors.hpp"
#include "infrastructure/redis/redis_pool.hpp"

namespace boxoffice::infra {
namespace {

namespace json = boost::json;
using domain::Concert;
using domain::ConcertEvent;
using domain::ConcertId;
using domain::Instant;

// KEYS: version, entry. -> the entry's JSON if it was stored at the current version, else nil.
constexpr const char* kGet = R"lua(
local current = redis.call('GET', KEYS[1]) or '0'
local entry = redis.call('HMGET', KEYS[2], 'version', 'json')
if entry[1] == current then return entry[2] end
return false
)lua";

// KEYS: version, entry. ARGV: read_at, json, ttl_ms. A fill read at an older version is dropped.
constexpr const char* kPut = R"lua(
local current = redis.call('GET', KEYS[1]) or '0'
if current ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[2], 'version', ARGV[1], 'json', ARGV[2])
redis.call('PEXPIRE', KEYS[2], ARGV[3])
return 1
)lua";

std::int64_t Ms(Instant t) { return t.time_since_epoch().count(); }
Instant FromMs(std::int64_t ms) { return Instant{domain::Duration{ms}}; }

std::string ToJson(const std::vector<Concert>& concerts) {
  json::array array;
  for (const Concert& c : concerts) {
    array.push_back(json::object{{"id", c.id.value},
                                 {"title", c.title},
                                 {"singer", c.singer},
                                 {"description", c.description}});
  }
  return json::serialize(array);
}

std::string ToJson(const std::vector<ConcertEvent>& events) {
  json::array array;
  for (const ConcertEvent& e : events) {
    array.push_back(json::object{{"id", e.id.value},
                                 {"concert_id", e.concert_id.value},
                                 {"venue", e.venue},
                                 {"start_at", Ms(e.start_at)},
                                 {"duration_minutes", e.duration_minutes},
                                 {"reservation_start_at", Ms(e.reservation_start_at)},
                                 {"reservation_end_at", Ms(e.reservation_end_at)},
                                 {"max_seat_count", e.max_seat_count}});
  }
  return json::serialize(array);
}

// An entry that does not parse (written by another version) reads as a miss.
std::optional<json::array> ParseArray(const std::string& text) {
  json::error_code ec;
  json::value value = json::parse(text, ec);
  if (ec || !value.is_array()) return std::nullopt;
  return std::move(value.as_array());
}

std::optional<std::vector<Concert>> ConcertsFromJson(const std::string& text) {
  auto array = ParseArray(text);
  if (!array) return std::nullopt;
  std::vector<Concert> concerts;
  try {
    for (const json::value& v : *array) {
      const json::object& o = v.as_object();
      concerts.push_back(Concert{
          ConcertId{o.at("id").to_number<std::int64_t>()}, std::string(o.at("title").as_string()),
          std::string(o.at("singer").as_string()), std::string(o.at("description").as_string())});
    }
  } catch (const std::exception&) {
    return std::nullopt;
  }
  return concerts;
}

std::optional<std::vector<ConcertEvent>> EventsFromJson(const std::string& text) {
  auto array = ParseArray(text);
  if (!array) return std::nullopt;
  std::vector<ConcertEvent> events;
  try {
    for (const json::value& v : *array) {
      const json::object& o = v.as_object();
      ConcertEvent e;
      e.id = domain::EventId{o.at("id").to_number<std::int64_t>()};
      e.concert_id = ConcertId{o.at("concert_id").to_number<std::int64_t>()};
      e.venue = std::string(o.at("venue").as_string());
      e.start_at = FromMs(o.at("start_at").to_number<std::int64_t>());
      e.duration_minutes = o.at("duration_minutes").to_number<std::int32_t>();
      e.reservation_start_at = FromMs(o.at("reservation_start_at").to_number<std::int64_t>());
      e.reservation_end_at = FromMs(o.at("reservation_end_at").to_number<std::int64_t>());
      e.max_seat_count = o.at("max_seat_count").to_number<std::int32_t>();
      events.push_back(std::move(e));
    }
  } catch (const std::exception&) {
    return std::nullopt;
  }
  return events;
}

}  // namespace

struct RedisCatalogueCache::Scripts {
  RedisScript get{kGet};
  RedisScript put{kPut};
};

RedisCatalogueCache::RedisCatalogueCache(std::shared_ptr<RedisPool> pool, std::string key_prefix,
                                         std::chrono::seconds ttl)
    : pool_(std::move(pool)),
      version_key_(key_prefix + ":{catalogue}:version"),
      concerts_key_(key_prefix + ":{catalogue}:concerts"),
      events_prefix_(key_prefix + ":{catalogue}:events:"),
      ttl_(ttl),
      scripts_(std::make_unique<Scripts>()) {}

RedisCatalogueCache::~RedisCatalogueCache() = default;

void RedisCatalogueCache::Failed(const char* operation, const std::exception& e) {
  // Once per outage: every read fails while Redis is down.
  if (!failing_.exchange(true)) {
    spdlog::warn("catalogue cache: redis {} failed, reading from the database: {}", operation,
                 e.what());
  }
}

void RedisCatalogueCache::Succeeded() {
  if (failing_.exchange(false)) spdlog::info("catalogue cache: redis reachable again");
}

std::uint64_t RedisCatalogueCache::Version() {
  try {
    const RedisValue value = pool_->Command({"GET", version_key_});
    Succeeded();
    return value.IsNil() ? 0 : static_cast<std::uint64_t>(value.AsInteger());
  } catch (const domain::UnavailableError& e) {
    Failed("version read", e);
    return kNoVersion;  // never current: the fill that follows is skipped
  }
}

std::optional<std::string> RedisCatalogueCache::Get(const std::string& key) {
  try {
    RedisValue value = pool_->Eval(scripts_->get, {version_key_, key}, {});
    Succeeded();
    if (value.IsNil()) return std::nullopt;
    return std::move(value.string);
  } catch (const domain::UnavailableError& e) {
    Failed("read", e);
    return std::nullopt;
  }
}

void RedisCatalogueCache::Put(const std::string& key, std::string json, std::uint64_t read_at) {
  if (read_at == kNoVersion) return;
  const auto ttl_ms = std::chrono::duration_cast<std::chrono::milliseconds>(ttl_).count();
  try {
    pool_->Eval(scripts_->put, {version_key_, key},
                {std::to_string(read_at), std::move(json), std::to_string(ttl_ms)});
    Succeeded();
  } catch (const domain::UnavailableError& e) {
    Failed("write", e);
  }
}

std::optional<std::vector<Concert>> RedisCatalogueCache::GetConcerts() {
  auto text = Get(concerts_key_);
  if (!text) return std::nullopt;
  return ConcertsFromJson(*text);
}

void RedisCatalogueCache::PutConcerts(const std::vector<Concert>& concerts, std::uint64_t read_at) {
  Put(concerts_key_, ToJson(concerts), read_at);
}

std::optional<std::vector<ConcertEvent>> RedisCatalogueCache::GetEvents(ConcertId concert) {
  auto text = Get(events_prefix_ + std::to_string(concert.value));
  if (!text) return std::nullopt;
  return EventsFromJson(*text);
}

void RedisCatalogueCache::PutEvents(ConcertId concert, const std::vector<ConcertEvent>& events,
                                    std::uint64_t read_at) {
  Put(events_prefix_ + std::to_string(concert.value), ToJson(events), read_at);
}

void RedisCatalogueCache::Invalidate() {
  // A fresh random version rather than INCR: a counter that restarts (Redis restart, restore)
  // would hand out numbers that readers already hold. Entries stored at other versions read as
  // misses from now on and expire with their TTL.
  thread_local std::mt19937_64 rng{std::random_device{}()};
  std::uniform_int_distribution<std::uint64_t> versions(1, kMaxVersion);
  try {
    pool_->Command({"SET", version_key_, std::to_string(versions(rng))});
    Succeeded();
  } catch (const domain::UnavailableError& e) {
    // The database change has committed; failing the request would not undo it. Entries still
    // expire with their TTL.
    spdlog::error(
        "catalogue cache: invalidation failed, entries may be stale until they expire: {}",
        e.what());
  }
}

}  // namespace boxoffice::infra
