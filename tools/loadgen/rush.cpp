// The rush itself: an HTTP/1.1 keep-alive connection pool and one coroutine per virtual user.
// Beast, Asio and JSON stay in this file (they cost ~35 s of compile time per file).
#include "rush.hpp"

#include <algorithm>
#include <atomic>
#include <boost/asio.hpp>
#include <boost/beast/http/verb.hpp>
#include <boost/json.hpp>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <ctime>
#include <deque>
#include <functional>
#include <memory>
#include <random>
#include <set>
#include <thread>
#include <unordered_map>

#include "date_choice.hpp"
#include "http_message.hpp"
#include "rank_correlation.hpp"

namespace boxoffice::loadgen {
namespace {

namespace asio = boost::asio;
namespace http = boost::beast::http;
namespace json = boost::json;
using asio::awaitable;
using asio::use_awaitable;
using tcp = asio::ip::tcp;
using SteadyClock = std::chrono::steady_clock;

constexpr auto kObserverAdmissionTimeout = std::chrono::seconds(60);
constexpr int kMaxProblemsShown = 10;

// ---------------------------------------------------------------------------------------------
// HTTP

struct Response {
  int status = 0;  // 0: no HTTP answer (see `transport_error`)
  std::string body;
  std::string transport_error;
  double retry_after_s = 0;      // from Retry-After, when present
  std::int64_t wire_micros = 0;  // from sending on a connection to the whole answer read
  bool Ok() const { return status >= 200 && status < 300; }
};

// A bounded pool of keep-alive connections to one endpoint, for one io_context (one thread):
// no locks. A request waits for a free connection when all `max` are busy. Requests and
// responses travel as plain bytes (http_message.hpp). A request's timeout is kept by one
// watchdog per pool, which wakes every tenth of the timeout while requests are in flight and
// closes the connection of any that has run past it: a timer armed and cancelled around every
// read and write cost the tool a timer-queue update (and often a system call) each, in a rush
// where its CPU is taken from the server it measures.
class ConnectionPool {
 public:
  ConnectionPool(asio::io_context& io, tcp::endpoint endpoint, std::string host, int max,
                 std::chrono::milliseconds timeout)
      : io_(io),
        endpoint_(endpoint),
        host_(std::move(host)),
        max_(max),
        timeout_(timeout),
        tick_(std::clamp<std::chrono::milliseconds>(timeout / 10, std::chrono::milliseconds(10),
                                                    std::chrono::milliseconds(1000))) {}

  // Not a coroutine itself: the request is built here and owned by the coroutine that sends it
  // (GCC 12 at -O3 mishandled a coroutine taking the strings and headers as parameters).
  awaitable<Response> Send(http::verb verb, std::string_view target, std::string body,
                           const Headers& headers) {
    return SendRequest(std::make_shared<const std::string>(
        FormatRequest(http::to_string(verb), target, host_, headers, body)));
  }

 private:
  struct Connection {
    explicit Connection(asio::io_context& io) : socket(io) {}
    tcp::socket socket;
    asio::streambuf in;  // bytes received and not yet consumed (grown without zero-filling)
    bool connected = false;
    bool timed_out = false;                                             // closed by the watchdog
    SteadyClock::time_point deadline = SteadyClock::time_point::max();  // max: no request
  };
  struct Waiter {
    explicit Waiter(asio::io_context& io) : timer(io, SteadyClock::time_point::max()) {}
    asio::steady_timer timer;
    Connection* conn = nullptr;
  };
  struct Attempt {
    Response response;
    bool stale = false;  // failed on a reused connection before any answer: worth a retry
  };

  // A kept-alive connection may have been closed by the server while idle: such a request
  // never reached it, so it is sent once more on a fresh connection.
  awaitable<Response> SendRequest(std::shared_ptr<const std::string> req) {
    Attempt first = co_await SendOnce(*req);
    if (!first.stale) co_return std::move(first.response);
    Attempt second = co_await SendOnce(*req);
    co_return std::move(second.response);
  }

  // Kept free of loops and branch-scoped locals around co_await: GCC 12 at -O3 miscompiled the
  // destruction of a response declared inside a retry loop of a coroutine. The head is read up
  // to its blank line, and the body's remaining bytes (if the first reads did not bring them
  // all) in one more read.
  awaitable<Attempt> SendOnce(const std::string& req) {
    Attempt out;
    Connection* conn = co_await Acquire();
    const auto started = SteadyClock::now();
    const bool reused = conn->connected;
    Arm(*conn);
    boost::system::error_code ec;
    if (!conn->connected) {
      co_await conn->socket.async_connect(endpoint_, asio::redirect_error(use_awaitable, ec));
      if (!ec) conn->socket.set_option(tcp::no_delay(true), ec);
      if (ec) {
        out.response.transport_error = "connect: " + Describe(*conn, ec);
        Release(*conn, false);
        co_return out;
      }
      conn->connected = true;
    }
    co_await asio::async_write(conn->socket, asio::buffer(req),
                               asio::redirect_error(use_awaitable, ec));
    std::size_t head_end = 0;
    if (!ec) {
      head_end = co_await asio::async_read_until(conn->socket, conn->in, "\r\n\r\n",
                                                 asio::redirect_error(use_awaitable, ec));
    }
    ResponseHead head;
    if (!ec &&
        ParseResponseHead(Received(*conn).substr(0, head_end), head) != HeadParse::kComplete) {
      ec = asio::error::invalid_argument;
    }
    const std::size_t whole = head.head_bytes + head.content_length;
    if (!ec && conn->in.size() < whole) {
      co_await asio::async_read(conn->socket, conn->in,
                                asio::transfer_exactly(whole - conn->in.size()),
                                asio::redirect_error(use_awaitable, ec));
    }
    if (ec) {
      out.stale = reused && conn->in.size() == 0 && !conn->timed_out &&
                  (ec == asio::error::eof || ec == asio::error::connection_reset ||
                   ec == asio::error::broken_pipe);
      out.response.transport_error = ec == asio::error::invalid_argument
                                         ? std::string("not a response this client reads")
                                         : Describe(*conn, ec);
      Release(*conn, false);
      co_return out;
    }
    out.response.wire_micros =
        std::chrono::duration_cast<std::chrono::microseconds>(SteadyClock::now() - started).count();
    out.response.status = head.status;
    out.response.retry_after_s = head.retry_after_s;
    out.response.body.assign(Received(*conn).substr(head.head_bytes, head.content_length));
    conn->in.consume(whole);
    Release(*conn, !head.close);
    co_return out;
  }

  static std::string_view Received(const Connection& conn) {
    const auto data = conn.in.data();
    return {static_cast<const char*>(data.data()), data.size()};
  }

  static std::string Describe(const Connection& conn, const boost::system::error_code& ec) {
    return conn.timed_out ? std::string("timeout") : ec.message();
  }

  // A connection of the pool: an idle one, a new slot (not yet connected), or the next one
  // released. Slots are never given back, so at most `max_` connections exist.
  awaitable<Connection*> Acquire() {
    if (!idle_.empty()) {
      Connection* conn = idle_.back();
      idle_.pop_back();
      co_return conn;
    }
    if (static_cast<int>(all_.size()) < max_) {
      all_.push_back(std::make_unique<Connection>(io_));
      co_return all_.back().get();
    }
    Waiter waiter(io_);
    waiters_.push_back(&waiter);
    boost::system::error_code ec;
    co_await waiter.timer.async_wait(asio::redirect_error(use_awaitable, ec));
    co_return waiter.conn;
  }

  void Release(Connection& conn, bool reusable) {
    conn.deadline = SteadyClock::time_point::max();
    if (--in_flight_ == 0) watch_timer_.cancel();  // the watchdog ends now, not at its next tick
    if (!reusable) {
      boost::system::error_code ignored;
      conn.socket.shutdown(tcp::socket::shutdown_both, ignored);
      conn.socket.close(ignored);
      conn.in.consume(conn.in.size());
      conn.connected = false;
      conn.timed_out = false;
    }
    if (waiters_.empty()) {
      idle_.push_back(&conn);
      return;
    }
    Waiter* next = waiters_.front();
    waiters_.pop_front();
    next->conn = &conn;
    next->timer.cancel();
  }

  // Starts the request's clock, and the watchdog if it is not running.
  void Arm(Connection& conn) {
    conn.deadline = SteadyClock::now() + timeout_;
    ++in_flight_;
    if (watching_) return;
    watching_ = true;
    asio::co_spawn(io_, Watch(), asio::detached);
  }

  // Runs while requests are in flight, so an idle pool leaves its io_context free to return.
  awaitable<void> Watch() {
    boost::system::error_code ec;
    while (in_flight_ > 0) {
      watch_timer_.expires_after(tick_);
      co_await watch_timer_.async_wait(asio::redirect_error(use_awaitable, ec));
      const auto now = SteadyClock::now();
      for (const auto& conn : all_) {
        if (conn->deadline > now) continue;
        conn->deadline = SteadyClock::time_point::max();
        conn->timed_out = true;
        boost::system::error_code ignored;
        conn->socket.close(ignored);  // its pending read, write or connect ends at once
      }
    }
    watching_ = false;
  }

  asio::io_context& io_;
  tcp::endpoint endpoint_;
  std::string host_;
  int max_;
  std::chrono::milliseconds timeout_;
  std::chrono::milliseconds tick_;
  std::vector<std::unique_ptr<Connection>> all_;
  std::vector<Connection*> idle_;
  std::deque<Waiter*> waiters_;
  asio::steady_timer watch_timer_{io_};
  int in_flight_ = 0;
  bool watching_ = false;
};

// ---------------------------------------------------------------------------------------------
// JSON in the API's envelopes

// The value owns a monotonic arena that all its nodes are allocated from (a few blocks instead of
// an allocation per node), released with the last object or array taken from it.
std::optional<json::value> ParseBody(const Response& r) {
  boost::system::error_code ec;
  auto v = json::parse(r.body, ec, json::make_shared_resource<json::monotonic_resource>());
  if (ec) return std::nullopt;
  return v;
}

std::optional<json::object> DataOf(const Response& r) {
  auto v = ParseBody(r);
  if (!v || !v->is_object()) return std::nullopt;
  auto* data = v->as_object().if_contains("data");
  if (!data || !data->is_object()) return std::nullopt;
  return std::move(data->as_object());
}

std::optional<json::array> ListOf(const Response& r) {
  auto v = ParseBody(r);
  if (!v || !v->is_object()) return std::nullopt;
  auto* list = v->as_object().if_contains("list");
  if (!list || !list->is_array()) return std::nullopt;
  return std::move(list->as_array());
}

std::string ErrorCodeOf(const Response& r) {
  auto v = ParseBody(r);
  if (v && v->is_object()) {
    if (const auto* e = v->as_object().if_contains("error"); e && e->is_object()) {
      if (const auto* c = e->as_object().if_contains("code"); c && c->is_string()) {
        return std::string(c->as_string());
      }
    }
  }
  return "no_error_code";
}

std::int64_t IntOf(const json::object& o, std::string_view key, std::int64_t fallback = 0) {
  const auto* v = o.if_contains(key);
  if (!v) return fallback;
  if (v->is_int64()) return v->as_int64();
  if (v->is_uint64()) return static_cast<std::int64_t>(v->as_uint64());
  return fallback;
}

std::string StringOf(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  return v && v->is_string() ? std::string(v->as_string()) : std::string();
}

std::string Serialize(const json::object& o) { return json::serialize(o); }

json::object One(std::string_view key, json::value value) {
  json::object o;
  o[key] = std::move(value);
  return o;
}

// Built outside coroutines: GCC 12 rejects braced lists of string literals inside them.
Headers BearerHeader(const std::string& token) { return {{"Authorization", "Bearer " + token}}; }

// The `seq` claim of a queue token (the server's global arrival sequence), read without
// verifying the signature: it only orders users for the fairness figure.
std::optional<std::int64_t> QueueSequence(std::string_view token) {
  const auto first = token.find('.');
  const auto second = token.find('.', first + 1);
  if (first == std::string_view::npos || second == std::string_view::npos) return std::nullopt;
  const auto payload = token.substr(first + 1, second - first - 1);
  std::string decoded;
  std::uint32_t bits = 0;
  int count = 0;
  for (char c : payload) {
    int v;
    if (c >= 'A' && c <= 'Z')
      v = c - 'A';
    else if (c >= 'a' && c <= 'z')
      v = c - 'a' + 26;
    else if (c >= '0' && c <= '9')
      v = c - '0' + 52;
    else if (c == '-')
      v = 62;
    else if (c == '_')
      v = 63;
    else
      return std::nullopt;
    bits = (bits << 6) | static_cast<std::uint32_t>(v);
    count += 6;
    if (count >= 8) {
      count -= 8;
      decoded.push_back(static_cast<char>((bits >> count) & 0xFF));
    }
  }
  boost::system::error_code ec;
  auto claims = json::parse(decoded, ec);
  if (ec || !claims.is_object()) return std::nullopt;
  const auto* seq = claims.as_object().if_contains("seq");
  if (!seq || !seq->is_int64()) return std::nullopt;
  return seq->as_int64();
}

std::string IsoUtc(std::chrono::system_clock::time_point t) {
  const std::time_t secs = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string FailureKey(const Response& r) {
  if (r.status == 0) return "transport " + r.transport_error;
  return std::to_string(r.status) + " " + ErrorCodeOf(r);
}

// ---------------------------------------------------------------------------------------------
// The rush

struct Seat {
  std::int64_t id = 0;
  std::int64_t number = 0;
};

// The seats of a listing response, nullopt when it holds no list. The parse goes into a buffer
// of this thread's that every call reuses: a listing of hundreds of seats is thousands of JSON
// nodes, which the default allocator would allocate and free one at a time (in a rush, a large
// share of the tool's own CPU, which the server it measures shares the cores with).
std::optional<std::vector<Seat>> SeatsOf(const Response& r) {
  thread_local std::vector<unsigned char> buffer(512 * 1024);
  json::monotonic_resource arena(buffer.data(), buffer.size());
  boost::system::error_code ec;
  const json::value v = json::parse(r.body, ec, &arena);
  if (ec || !v.is_object()) return std::nullopt;
  const auto* list = v.as_object().if_contains("list");
  if (!list || !list->is_array()) return std::nullopt;
  std::vector<Seat> out;
  out.reserve(list->as_array().size());
  for (const auto& s : list->as_array()) {
    if (s.is_object())
      out.push_back({IntOf(s.as_object(), "id"), IntOf(s.as_object(), "seatNumber")});
  }
  return out;
}

// One virtual user's record, written only by its own coroutine.
struct UserRecord {
  double arrival_s = 0;  // scheduled, from the rush start
  std::int64_t id = 0;
  std::string access_token;
  std::string queue_token;
  std::optional<std::int64_t> sequence;
  double token_sent_s = -1;
  double waiting_since_s = 0;  // when the last request answered WAITING was sent
  double active_by_s = -1;     // when the first ACTIVE answer arrived
  Outcome outcome = Outcome::kNotStarted;
  std::vector<std::int64_t> seats_bought;
  double paid_at_s = 0;
};

// What every shard reads and nobody writes during the rush.
struct Plan {
  const Options* options = nullptr;
  std::string run_id;
  std::int64_t concert_id = 0;
  std::vector<std::int64_t> event_ids;
  SteadyClock::time_point start;
  SteadyClock::time_point deadline;
};

// Funnel counters of one shard (one thread); merged after the rush.
struct ShardMetrics {
  std::array<LatencyHistogram, kStepCount> steps;
  std::array<LatencyHistogram, kStepCount> wire;
  std::map<std::string, std::int64_t> failures;
  std::int64_t expected_conflicts = 0;
  std::int64_t requests = 0;
};

double SecondsSince(SteadyClock::time_point start, SteadyClock::time_point t) {
  return std::chrono::duration<double>(t - start).count();
}

awaitable<void> SleepFor(std::chrono::steady_clock::duration d) {
  asio::steady_timer timer(co_await asio::this_coro::executor, d);
  boost::system::error_code ec;
  co_await timer.async_wait(asio::redirect_error(use_awaitable, ec));
}

class Shard {
 public:
  Shard(const Plan& plan, tcp::endpoint endpoint, int connections)
      : plan_(plan),
        options_(*plan.options),
        pool_(io_, endpoint, options_.host, connections,
              std::chrono::milliseconds(options_.request_timeout_ms)) {}

  void Add(UserRecord* user, std::uint64_t seed) { users_.push_back({user, seed}); }

  void Run() {
    for (auto& [user, seed] : users_) {
      asio::co_spawn(io_, VirtualUser(*user, seed), asio::detached);
    }
    io_.run();
  }

  const ShardMetrics& Metrics() const { return metrics_; }
  bool DeadlineHit() const { return deadline_hit_; }

 private:
  Headers Auth(const UserRecord& u, bool queue, std::string key = {}) const {
    Headers h{{"Authorization", "Bearer " + u.access_token}};
    if (queue) h.emplace_back("User-Token", u.queue_token);
    if (!key.empty()) h.emplace_back("Idempotency-Key", std::move(key));
    return h;
  }

  bool PastDeadline() {
    if (SteadyClock::now() < plan_.deadline) return false;
    deadline_hit_ = true;
    return true;
  }

  // One funnel request: timed into its step's histogram, failures counted by status and code.
  // 429 and 503 are retried after their Retry-After (each one still counts as a failure).
  awaitable<Response> Call(Step step, http::verb verb, std::string target, std::string body,
                           Headers headers) {
    for (int attempt = 0;; ++attempt) {
      if (PastDeadline()) co_return Response{0, {}, "run deadline"};
      const auto sent = SteadyClock::now();
      Response r = co_await pool_.Send(verb, target, body, headers);
      const auto micros =
          std::chrono::duration_cast<std::chrono::microseconds>(SteadyClock::now() - sent);
      metrics_.steps[static_cast<std::size_t>(step)].Record(micros.count());
      if (r.status != 0) metrics_.wire[static_cast<std::size_t>(step)].Record(r.wire_micros);
      ++metrics_.requests;
      if (r.Ok()) co_return r;
      if (step == Step::kHold && r.status == 409 && ErrorCodeOf(r) == "seat_unavailable") {
        ++metrics_.expected_conflicts;
        co_return r;
      }
      ++metrics_.failures[FailureKey(r)];
      const bool busy = r.status == 429 || r.status == 503;
      if (!busy || attempt >= options_.busy_retries) co_return r;
      const double pause = std::clamp(r.retry_after_s > 0 ? r.retry_after_s : 1.0, 0.05, 5.0);
      co_await SleepFor(
          std::chrono::duration_cast<SteadyClock::duration>(std::chrono::duration<double>(pause)));
    }
  }

  double Now() const { return SecondsSince(plan_.start, SteadyClock::now()); }

  // Picks up to `want` distinct seats, seat n with weight 1/n^s: most users want the front.
  std::vector<std::int64_t> PickSeats(const std::vector<Seat>& free, int want,
                                      std::mt19937_64& rng) {
    std::vector<double> weights(free.size());
    double total = 0;
    for (std::size_t i = 0; i < free.size(); ++i) {
      weights[i] = std::pow(static_cast<double>(std::max<std::int64_t>(1, free[i].number)),
                            -options_.zipf_exponent);
      total += weights[i];
    }
    std::vector<std::int64_t> picked;
    while (static_cast<int>(picked.size()) < want && total > 0) {
      double x = std::uniform_real_distribution<double>(0, total)(rng);
      std::size_t chosen = free.size();
      for (std::size_t i = 0; i < free.size(); ++i) {
        if (weights[i] == 0) continue;  // picked already
        chosen = i;
        x -= weights[i];
        if (x <= 0) break;
      }
      if (chosen == free.size()) break;  // every weight left is zero (or too small to count)
      picked.push_back(free[chosen].id);
      total -= weights[chosen];
      weights[chosen] = 0;
    }
    return picked;
  }

  awaitable<void> Leave(UserRecord& u) {
    co_await Call(Step::kLeave, http::verb::delete_, "/api/v1/queue/token", {}, Auth(u, true));
  }

  // A date with free seats (as --date-choice says) and its free seats; nullopt when the concert
  // is sold out (or a request failed: then `failed` is set).
  awaitable<std::optional<std::pair<std::int64_t, std::vector<Seat>>>> FindSeats(
      UserRecord& u, std::mt19937_64& rng, bool& failed) {
    failed = false;
    Response dates =
        co_await Call(Step::kDates, http::verb::get,
                      "/api/v1/concerts/" + std::to_string(plan_.concert_id) + "/available-events",
                      {}, Auth(u, true));
    auto list = ListOf(dates);
    if (!dates.Ok() || !list) {
      failed = true;
      co_return std::nullopt;
    }
    std::vector<std::int64_t> events, free_counts;
    for (const auto& d : *list) {
      if (!d.is_object()) continue;
      const auto& date = d.as_object();
      const auto event = IntOf(date, "id");
      if (std::find(plan_.event_ids.begin(), plan_.event_ids.end(), event) ==
          plan_.event_ids.end()) {
        continue;
      }
      events.push_back(event);
      free_counts.push_back(IntOf(date, "availableSeatCount"));
    }
    // A listing may still count a seat that is gone by now: then the next candidate is tried.
    while (true) {
      const auto chosen = ChooseDate(free_counts, options_.date_choice,
                                     std::uniform_real_distribution<double>(0, 1)(rng));
      if (!chosen) co_return std::nullopt;
      const auto event = events[*chosen];
      Response seats =
          co_await Call(Step::kSeats, http::verb::get,
                        "/api/v1/concert-events/" + std::to_string(event) + "/available-seats", {},
                        Auth(u, true));
      auto free = SeatsOf(seats);
      if (!seats.Ok() || !free) {
        failed = true;
        co_return std::nullopt;
      }
      if (!free->empty()) co_return std::make_pair(event, *std::move(free));
      free_counts[*chosen] = 0;
    }
  }

  awaitable<void> VirtualUser(UserRecord& u, std::uint64_t seed) {
    std::mt19937_64 rng(seed);
    const auto arrive_at = plan_.start + std::chrono::duration_cast<SteadyClock::duration>(
                                             std::chrono::duration<double>(u.arrival_s));
    if (arrive_at > SteadyClock::now()) co_await SleepFor(arrive_at - SteadyClock::now());
    u.outcome = co_await Visit(u, rng);
    if (u.outcome == Outcome::kTimedOut) deadline_hit_ = true;
  }

  awaitable<Outcome> Visit(UserRecord& u, std::mt19937_64& rng) {
    const auto failed_or_late = [this] {
      return PastDeadline() ? Outcome::kTimedOut : Outcome::kFailed;
    };
    const std::string index = std::to_string(&u - base_);

    // Sign up (the access token names the user).
    json::object signup = One("name", json::value("loadgen-" + plan_.run_id + "-" + index));
    Response created =
        co_await Call(Step::kSignup, http::verb::post, "/api/v1/users", Serialize(signup), {});
    auto me = DataOf(created);
    if (!created.Ok() || !me) co_return failed_or_late();
    u.id = IntOf(*me, "id");
    u.access_token = StringOf(*me, "accessToken");

    // Join the waiting room.
    json::object join = One("concertId", plan_.concert_id);
    u.token_sent_s = Now();
    Response ticket = co_await Call(Step::kToken, http::verb::post, "/api/v1/queue/token",
                                    Serialize(join), Auth(u, false));
    auto status = DataOf(ticket);
    if (!ticket.Ok() || !status) co_return failed_or_late();
    u.queue_token = StringOf(*status, "token");
    u.sequence = QueueSequence(u.queue_token);
    u.waiting_since_s = u.token_sent_s;

    // Poll as pollAfterMs says until admitted.
    for (;;) {
      const std::string state = StringOf(*status, "status");
      if (state == "ACTIVE") {
        u.active_by_s = Now();
        break;
      }
      if (state == "SOLD_OUT") {
        co_await Leave(u);
        co_return Outcome::kSoldOut;
      }
      const auto wait = std::chrono::milliseconds(
          std::clamp<std::int64_t>(IntOf(*status, "pollAfterMs", 1000), 10, 60'000));
      if (SteadyClock::now() + wait >= plan_.deadline) {
        deadline_hit_ = true;
        co_return Outcome::kTimedOut;
      }
      co_await SleepFor(wait);
      const double sent = Now();
      Response polled =
          co_await Call(Step::kStatus, http::verb::get, "/api/v1/queue/status", {}, Auth(u, true));
      status = DataOf(polled);
      if (!polled.Ok() || !status) co_return failed_or_late();
      if (StringOf(*status, "status") == "WAITING") u.waiting_since_s = sent;
    }

    // Admitted: pick a date and seats, hold; on 409 look again and pick another seat.
    const int want = std::uniform_int_distribution<int>(1, options_.max_seats_per_user)(rng);
    std::int64_t event = 0;
    json::object hold;
    for (int conflicts = 0;; ++conflicts) {
      bool failed = false;
      auto found = co_await FindSeats(u, rng, failed);
      if (failed) co_return failed_or_late();
      if (!found) {
        co_await Leave(u);
        co_return Outcome::kSoldOut;
      }
      event = found->first;
      json::array ids;
      for (auto id : PickSeats(found->second, want, rng)) ids.push_back(id);
      json::object body = One("seatIds", std::move(ids));
      Response held = co_await Call(Step::kHold, http::verb::post,
                                    "/api/v1/concert-events/" + std::to_string(event) + "/occupy",
                                    Serialize(body), Auth(u, true));
      if (held.Ok()) {
        auto data = DataOf(held);
        if (!data) co_return Outcome::kFailed;
        hold = std::move(*data);
        break;
      }
      if (held.status != 409 || ErrorCodeOf(held) != "seat_unavailable") co_return failed_or_late();
      if (conflicts >= options_.hold_retries) {
        co_await Leave(u);
        co_return Outcome::kGaveUp;
      }
    }

    // Reserve, charge the wallet by the amount, pay.
    json::object reserve_body = One("occupationId", IntOf(hold, "id"));
    Response reserved =
        co_await Call(Step::kReserve, http::verb::post,
                      "/api/v1/concert-events/" + std::to_string(event) + "/reserve",
                      Serialize(reserve_body), Auth(u, true));
    auto reservation = DataOf(reserved);
    if (!reserved.Ok() || !reservation) co_return failed_or_late();
    const std::int64_t amount = IntOf(*reservation, "totalAmount");

    json::object charge_body = One("amount", amount);
    Response charged = co_await Call(
        Step::kCharge, http::verb::patch,
        "/api/v1/users/" + std::to_string(u.id) + "/wallet/charge", Serialize(charge_body),
        Auth(u, false, "loadgen-" + plan_.run_id + "-" + index + "-charge"));
    if (!charged.Ok()) co_return failed_or_late();

    json::object pay_body = One("reservationId", IntOf(*reservation, "id"));
    Response paid =
        co_await Call(Step::kPay, http::verb::post, "/api/v1/payments", Serialize(pay_body),
                      Auth(u, true, "loadgen-" + plan_.run_id + "-" + index + "-pay"));
    auto payment = DataOf(paid);
    if (!paid.Ok() || !payment) co_return failed_or_late();
    if (StringOf(*payment, "status") != "SUCCESS") {
      ++metrics_.failures["payment status " + StringOf(*payment, "status")];
      co_return Outcome::kFailed;
    }
    u.paid_at_s = Now();
    if (const auto* seats = hold.if_contains("seats"); seats && seats->is_array()) {
      for (const auto& s : seats->as_array()) {
        if (s.is_object())
          u.seats_bought.push_back(IntOf(s.as_object(), "id"));
        else if (s.is_int64())
          u.seats_bought.push_back(s.as_int64());
      }
    }
    co_return Outcome::kPurchased;
  }

 public:
  void SetBase(const UserRecord* base) { base_ = base; }

 private:
  const Plan& plan_;
  const Options& options_;
  asio::io_context io_{1};
  ConnectionPool pool_;
  ShardMetrics metrics_;
  std::vector<std::pair<UserRecord*, std::uint64_t>> users_;
  const UserRecord* base_ = nullptr;
  bool deadline_hit_ = false;
};

// ---------------------------------------------------------------------------------------------
// Setup, the observer and the checks: plain sequential or fanned-out requests, untimed.

class Control {
 public:
  Control(const Options& options, tcp::endpoint endpoint, int connections)
      : options_(options),
        pool_(io_, endpoint, options.host, connections,
              std::chrono::milliseconds(options.request_timeout_ms)) {}

  // Runs `task` to completion on this thread.
  template <typename T>
  T Run(std::function<awaitable<T>(Control&)> task) {
    std::optional<T> out;
    std::exception_ptr error;
    asio::co_spawn(io_, task(*this), [&](std::exception_ptr e, T value) {
      error = e;
      if (!e) out = std::move(value);
    });
    io_.restart();
    io_.run();
    if (error) std::rethrow_exception(error);
    return std::move(*out);
  }

  awaitable<Response> Send(http::verb verb, std::string_view target, std::string body = {},
                           const Headers& headers = {}) {
    return pool_.Send(verb, target, std::move(body), headers);
  }
  awaitable<Response> Admin(http::verb verb, std::string_view target, const json::object& body) {
    return pool_.Send(verb, target, verb == http::verb::get ? std::string() : Serialize(body),
                      BearerHeader(options_.admin_token));
  }
  asio::io_context& Io() { return io_; }

 private:
  const Options& options_;
  asio::io_context io_{1};
  ConnectionPool pool_;
};

struct SetupError {
  std::string message;
};

std::string Describe(const Response& r) {
  if (r.status == 0) return "no answer (" + r.transport_error + ")";
  return std::to_string(r.status) + " " + r.body.substr(0, 300);
}

json::object ConcertBody(const std::string& run_id) {
  return {{"title", "Rush " + run_id},
          {"singer", "boxoffice-loadgen"},
          {"description", "ticket-opening rush of boxoffice-loadgen"}};
}

// A date on sale since yesterday, played in about 400 days.
json::object EventBody(const Options& o, int index, std::chrono::system_clock::time_point now) {
  const auto days = [](int n) { return std::chrono::hours(24 * n); };
  return {{"venue", "Hall " + std::to_string(index + 1)},
          {"startAt", IsoUtc(now + days(400 + index))},
          {"durationMinutes", 120},
          {"reservationStartAt", IsoUtc(now - days(1))},
          {"reservationEndAt", IsoUtc(now + days(365))},
          {"seatCount", o.seats},
          {"price", o.price}};
}

// Creates the concert and its dates and sets the admission policy; `saved` gets the policy
// values it replaced, to be put back after the rush.
awaitable<std::string> Setup(Control& c, const Options& o, const std::string& run_id, Plan& plan,
                             json::object& saved) {
  json::object policy;
  if (o.admit_batch) policy["admitBatch"] = *o.admit_batch;
  if (o.admit_interval_ms) policy["admitIntervalMs"] = *o.admit_interval_ms;
  if (o.max_active) policy["maxActive"] = *o.max_active;
  if (!policy.empty()) {
    Response current = co_await c.Admin(http::verb::get, "/api/v1/admin/policies", {});
    auto in_force = DataOf(current);
    if (!current.Ok() || !in_force) co_return "reading the policies: " + Describe(current);
    for (const auto& [key, value] : policy) {
      if (const auto* old = in_force->if_contains(key)) saved[key] = *old;
    }
    Response r = co_await c.Admin(http::verb::put, "/api/v1/admin/policies", policy);
    if (!r.Ok()) co_return "setting the admission policy: " + Describe(r);
  }
  Response concert =
      co_await c.Admin(http::verb::post, "/api/v1/admin/concerts", ConcertBody(run_id));
  auto created = DataOf(concert);
  if (!concert.Ok() || !created) co_return "creating the concert: " + Describe(concert);
  plan.concert_id = IntOf(*created, "id");
  const auto now = std::chrono::system_clock::now();
  for (int d = 0; d < o.dates; ++d) {
    json::object body = EventBody(o, d, now);
    Response event = co_await c.Admin(
        http::verb::post, "/api/v1/admin/concerts/" + std::to_string(plan.concert_id) + "/events",
        body);
    auto made = DataOf(event);
    if (!event.Ok() || !made) co_return "creating a date: " + Describe(event);
    plan.event_ids.push_back(IntOf(*made, "id"));
  }
  co_return std::string();
}

// A user admitted before the rush who reads the seat maps (an "active" endpoint) before and
// after it, and polls meanwhile so that its slot does not idle out.
struct Observer {
  UserRecord user;
  Headers Queue() const {
    return {{"Authorization", "Bearer " + user.access_token}, {"User-Token", user.queue_token}};
  }
};

awaitable<std::string> AdmitObserver(Control& c, const Plan& plan, Observer& obs) {
  json::object signup = One("name", json::value("loadgen-" + plan.run_id + "-observer"));
  Response created = co_await c.Send(http::verb::post, "/api/v1/users", Serialize(signup));
  auto me = DataOf(created);
  if (!created.Ok() || !me) co_return "signing up the observer: " + Describe(created);
  obs.user.id = IntOf(*me, "id");
  obs.user.access_token = StringOf(*me, "accessToken");
  json::object join = One("concertId", plan.concert_id);
  Response ticket = co_await c.Send(http::verb::post, "/api/v1/queue/token", Serialize(join),
                                    BearerHeader(obs.user.access_token));
  auto status = DataOf(ticket);
  if (!ticket.Ok() || !status) co_return "queueing the observer: " + Describe(ticket);
  obs.user.queue_token = StringOf(*status, "token");
  const auto give_up = SteadyClock::now() + kObserverAdmissionTimeout;
  while (StringOf(*status, "status") != "ACTIVE") {
    if (SteadyClock::now() > give_up) {
      co_return "the observer was not admitted within 60 s: is admission paused?";
    }
    co_await SleepFor(std::chrono::milliseconds(
        std::clamp<std::int64_t>(IntOf(*status, "pollAfterMs", 1000), 10, 5000)));
    Response polled = co_await c.Send(http::verb::get, "/api/v1/queue/status", {}, obs.Queue());
    status = DataOf(polled);
    if (!polled.Ok() || !status) co_return "observer's status: " + Describe(polled);
  }
  co_return std::string();
}

struct SeatMap {
  std::int64_t available = 0, held = 0, reserved = 0;
  bool ok = false;
};

awaitable<SeatMap> ReadSeatMaps(Control& c, const Plan& plan, const Observer& obs,
                                std::string& problem) {
  SeatMap map;
  for (auto event : plan.event_ids) {
    Response r = co_await c.Send(http::verb::get,
                                 "/api/v1/concert-events/" + std::to_string(event) + "/seats", {},
                                 obs.Queue());
    auto list = ListOf(r);
    if (!r.Ok() || !list) {
      problem = "reading the seat map of date " + std::to_string(event) + ": " + Describe(r);
      co_return map;
    }
    for (const auto& s : *list) {
      if (!s.is_object()) continue;
      const auto state = StringOf(s.as_object(), "status");
      if (state == "AVAILABLE")
        ++map.available;
      else if (state == "HELD")
        ++map.held;
      else if (state == "RESERVED")
        ++map.reserved;
    }
  }
  map.ok = true;
  co_return map;
}

// Keeps the observer's slot alive until `done`.
awaitable<void> KeepObserverAlive(Control& c, const Observer& obs, const std::atomic<bool>& done) {
  auto next = SteadyClock::now() + std::chrono::seconds(3);
  while (!done.load()) {
    co_await SleepFor(std::chrono::milliseconds(100));
    if (SteadyClock::now() < next) continue;
    co_await c.Send(http::verb::get, "/api/v1/queue/status", {}, obs.Queue());
    next = SteadyClock::now() + std::chrono::seconds(3);
  }
}

// What the API says about one user after the rush.
struct UserAudit {
  bool read = false;
  std::int64_t balance = 0;
  std::int64_t ledger_sum = 0;
  std::vector<std::int64_t> confirmed_seats;  // of the rush's dates
  std::int64_t seats_in_success_payments = 0;
  std::string problem;
};

awaitable<void> AuditUser(Control& c, const Plan& plan, const UserRecord& u, UserAudit& out) {
  const Headers auth = BearerHeader(u.access_token);
  const std::string base = "/api/v1/users/" + std::to_string(u.id);
  Response wallet = co_await c.Send(http::verb::get, base + "/wallet", {}, auth);
  Response ledger =
      co_await c.Send(http::verb::get, base + "/wallet/transactions?limit=1000", {}, auth);
  Response reservations = co_await c.Send(http::verb::get, base + "/reservations", {}, auth);
  Response payments = co_await c.Send(http::verb::get, base + "/payments", {}, auth);
  auto balance = DataOf(wallet);
  auto rows = ListOf(ledger);
  auto res = ListOf(reservations);
  auto pays = ListOf(payments);
  if (!balance || !rows || !res || !pays) {
    out.problem = "user " + std::to_string(u.id) + ": could not read wallet, ledger, " +
                  "reservations or payments (" +
                  Describe(!balance ? wallet
                           : !rows  ? ledger
                           : !res   ? reservations
                                    : payments) +
                  ")";
    co_return;
  }
  out.read = true;
  out.balance = IntOf(*balance, "balance");
  for (const auto& row : *rows) {
    if (!row.is_object()) continue;
    std::int64_t amount = IntOf(row.as_object(), "amount");
    // The wire carries uses as negative amounts; accept a positive USE too.
    if (StringOf(row.as_object(), "type") == "USE" && amount > 0) amount = -amount;
    out.ledger_sum += amount;
  }
  std::unordered_map<std::int64_t, std::int64_t> seats_of_reservation;
  for (const auto& r : *res) {
    if (!r.is_object()) continue;
    const auto& o = r.as_object();
    const auto event = IntOf(o, "concertEventId");
    const bool ours =
        std::find(plan.event_ids.begin(), plan.event_ids.end(), event) != plan.event_ids.end();
    seats_of_reservation[IntOf(o, "id")] = ours ? IntOf(o, "totalSeats") : 0;
    if (!ours || StringOf(o, "status") != "CONFIRMED") continue;
    if (const auto* seats = o.if_contains("seats"); seats && seats->is_array()) {
      for (const auto& s : seats->as_array()) {
        if (s.is_object()) out.confirmed_seats.push_back(IntOf(s.as_object(), "id"));
      }
    }
  }
  for (const auto& p : *pays) {
    if (!p.is_object() || StringOf(p.as_object(), "status") != "SUCCESS") continue;
    out.seats_in_success_payments += seats_of_reservation[IntOf(p.as_object(), "reservationId")];
  }
}

// Runs the audits with at most `width` users in flight.
awaitable<void> AuditAll(Control& c, const Plan& plan, const std::vector<UserRecord>& users,
                         std::vector<UserAudit>& audits, int width) {
  std::size_t next = 0;
  auto worker = [&]() -> awaitable<void> {
    while (next < users.size()) {
      const std::size_t i = next++;
      if (users[i].id != 0) co_await AuditUser(c, plan, users[i], audits[i]);
    }
  };
  int running = width;
  asio::steady_timer all_done(c.Io(), SteadyClock::time_point::max());
  for (int w = 0; w < width; ++w) {
    asio::co_spawn(c.Io(), worker(), [&](std::exception_ptr) {
      if (--running == 0) all_done.cancel();
    });
  }
  boost::system::error_code ec;
  co_await all_done.async_wait(asio::redirect_error(use_awaitable, ec));
}

void Note(InvariantReport& inv, std::string problem) {
  if (static_cast<int>(inv.problems.size()) < kMaxProblemsShown)
    inv.problems.push_back(std::move(problem));
}

std::string RandomRunId(std::uint64_t seed) {
  const auto now = std::chrono::system_clock::now().time_since_epoch().count();
  std::mt19937_64 rng(seed ^ static_cast<std::uint64_t>(now));
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (int i = 0; i < 8; ++i) out.push_back(kHex[rng() % 16]);
  return out;
}

std::vector<double> ArrivalTimes(const Options& o) {
  std::vector<double> out(static_cast<std::size_t>(o.users));
  if (o.arrival == Arrival::kUniform) {
    for (int i = 0; i < o.users; ++i) out[i] = o.arrival_seconds * i / o.users;
    return out;
  }
  std::mt19937_64 rng(o.seed);
  std::exponential_distribution<double> gap(o.arrival_seconds > 0 ? o.users / o.arrival_seconds
                                                                  : 1e12);
  double t = 0;
  for (int i = 0; i < o.users; ++i) {
    out[i] = t;
    t += gap(rng);
  }
  return out;
}

}  // namespace

RushReport RunRush(const Options& o) {
  RushReport report;
  report.users = o.users;
  report.arrival_seconds = o.arrival_seconds;
  report.arrival = o.arrival == Arrival::kPoisson ? "poisson" : "uniform";
  report.threads = o.threads;
  report.connections = o.connections;

  boost::system::error_code ec;
  const auto address = asio::ip::make_address(o.host, ec);
  tcp::endpoint endpoint;
  if (ec) {
    asio::io_context resolver_io;
    tcp::resolver resolver(resolver_io);
    auto results = resolver.resolve(o.host, std::to_string(o.port), ec);
    if (ec || results.empty()) {
      report.fatal = "cannot resolve " + o.host + ": " + ec.message();
      return report;
    }
    endpoint = *results.begin();
  } else {
    endpoint = tcp::endpoint(address, o.port);
  }

  Plan plan;
  plan.options = &o;
  plan.run_id = RandomRunId(o.seed);
  plan.concert_id = o.concert_id;
  Control control(o, endpoint, std::min(o.connections, 64));

  // Setup, then an observer admitted before anybody else.
  Observer observer;
  SeatMap before;
  json::object saved_policy;
  try {
    std::string problem = control.Run<std::string>([&](Control& c) -> awaitable<std::string> {
      if (o.setup) {
        auto error = co_await Setup(c, o, plan.run_id, plan, saved_policy);
        if (!error.empty()) co_return error;
      }
      auto error = co_await AdmitObserver(c, plan, observer);
      if (!error.empty()) co_return error;
      if (plan.event_ids.empty()) {
        Response dates = co_await c.Send(
            http::verb::get,
            "/api/v1/concerts/" + std::to_string(plan.concert_id) + "/available-events", {},
            observer.Queue());
        auto list = ListOf(dates);
        if (!dates.Ok() || !list) co_return "listing the concert's dates: " + Describe(dates);
        for (const auto& d : *list) {
          if (d.is_object()) plan.event_ids.push_back(IntOf(d.as_object(), "id"));
        }
        if (plan.event_ids.empty()) co_return "the concert has no date on sale";
      }
      std::string map_problem;
      before = co_await ReadSeatMaps(c, plan, observer, map_problem);
      co_return map_problem;
    });
    if (!problem.empty()) {
      report.fatal = problem;
      if (!saved_policy.empty()) {  // the setup got as far as changing it: put it back
        control.Run<bool>([&](Control& c) -> awaitable<bool> {
          Response r = co_await c.Admin(http::verb::put, "/api/v1/admin/policies", saved_policy);
          if (!r.Ok()) report.policy_problem = "putting the policies back: " + Describe(r);
          co_return true;
        });
      }
      return report;
    }
  } catch (const std::exception& e) {
    report.fatal = std::string("setup: ") + e.what();
    return report;
  }
  report.concert_id = plan.concert_id;
  report.event_ids = plan.event_ids;
  report.seats_on_sale = before.available;

  // The rush: users split over the shards, each shard one thread with its own connections.
  std::vector<UserRecord> users(static_cast<std::size_t>(o.users));
  const auto arrivals = ArrivalTimes(o);
  for (std::size_t i = 0; i < users.size(); ++i) users[i].arrival_s = arrivals[i];
  plan.start = SteadyClock::now() + std::chrono::milliseconds(100);
  plan.deadline = plan.start + std::chrono::duration_cast<SteadyClock::duration>(
                                   std::chrono::duration<double>(o.max_run_seconds));
  std::vector<std::unique_ptr<Shard>> shards;
  for (int s = 0; s < o.threads; ++s) {
    const int share = o.connections / o.threads + (s < o.connections % o.threads ? 1 : 0);
    shards.push_back(std::make_unique<Shard>(plan, endpoint, share));
    shards.back()->SetBase(users.data());
  }
  std::mt19937_64 seeds(o.seed * 0x9E3779B97F4A7C15ULL + 1);
  for (std::size_t i = 0; i < users.size(); ++i) {
    shards[i % shards.size()]->Add(&users[i], seeds());
  }
  std::atomic<bool> rush_done{false};
  std::thread keeper([&] {
    control.Run<bool>([&](Control& c) -> awaitable<bool> {
      co_await KeepObserverAlive(c, observer, rush_done);
      co_return true;
    });
  });
  std::vector<std::thread> threads;
  for (auto& shard : shards) threads.emplace_back([&shard] { shard->Run(); });
  for (auto& t : threads) t.join();
  const auto rush_end = SteadyClock::now();
  rush_done = true;
  keeper.join();

  // Figures of the rush.
  report.wall_s = std::max(1e-9, SecondsSince(plan.start, rush_end));
  for (const auto& shard : shards) {
    const auto& m = shard->Metrics();
    for (std::size_t s = 0; s < kStepCount; ++s) {
      report.steps[s].Merge(m.steps[s]);
      report.wire[s].Merge(m.wire[s]);
    }
    for (const auto& [key, count] : m.failures) report.failures[key] += count;
    report.expected_conflicts += m.expected_conflicts;
    report.funnel_requests += m.requests;
    report.deadline_hit = report.deadline_hit || shard->DeadlineHit();
  }
  double last_paid = 0;
  std::set<std::int64_t> bought;
  std::int64_t bought_twice_by_tool = 0;
  for (const auto& u : users) {
    ++report.outcomes[static_cast<std::size_t>(u.outcome)];
    if (u.outcome != Outcome::kPurchased) continue;
    ++report.purchases;
    report.seats_bought += static_cast<std::int64_t>(u.seats_bought.size());
    last_paid = std::max(last_paid, u.paid_at_s);
    for (auto seat : u.seats_bought) {
      if (!bought.insert(seat).second) ++bought_twice_by_tool;
    }
  }
  if (report.seats_on_sale > 0 && report.seats_bought >= report.seats_on_sale) {
    report.sell_out_s = last_paid - users.front().arrival_s;
  }

  // Fairness over the users who were admitted (all arrived after the opening).
  std::vector<const UserRecord*> admitted;
  bool all_sequenced = true;
  for (const auto& u : users) {
    if (u.active_by_s < 0) continue;
    admitted.push_back(&u);
    all_sequenced = all_sequenced && u.sequence.has_value();
  }
  report.arrival_order_source = all_sequenced ? "server_sequence" : "request_sent";
  std::stable_sort(admitted.begin(), admitted.end(), [&](const UserRecord* a, const UserRecord* b) {
    return all_sequenced ? *a->sequence < *b->sequence : a->token_sent_s < b->token_sent_s;
  });
  std::vector<double> arrival_rank, observed;
  std::vector<AdmissionWindow> windows;
  for (std::size_t i = 0; i < admitted.size(); ++i) {
    arrival_rank.push_back(static_cast<double>(i + 1));
    observed.push_back(admitted[i]->active_by_s);
    windows.push_back({admitted[i]->waiting_since_s, admitted[i]->active_by_s});
  }
  const auto order = ConsistentAdmissionOrder(windows);
  report.fairness_users = static_cast<std::int64_t>(admitted.size());
  report.provable_overtakes = order.provable_overtakes;
  report.fairness_spearman = SpearmanCorrelation(arrival_rank, order.ranks);
  report.fairness_spearman_observed = SpearmanCorrelation(arrival_rank, observed);

  // Invariants, through the API.
  InvariantReport& inv = report.invariants;
  std::vector<UserAudit> audits(users.size());
  SeatMap after;
  std::string map_problem;
  try {
    control.Run<bool>([&](Control& c) -> awaitable<bool> {
      after = co_await ReadSeatMaps(c, plan, observer, map_problem);
      co_await AuditAll(c, plan, users, audits, std::min(o.connections, 64));
      co_await c.Send(http::verb::delete_, "/api/v1/queue/token", {}, observer.Queue());
      if (!saved_policy.empty()) {
        Response r = co_await c.Admin(http::verb::put, "/api/v1/admin/policies", saved_policy);
        if (!r.Ok()) report.policy_problem = "putting the policies back: " + Describe(r);
      }
      co_return true;
    });
  } catch (const std::exception& e) {
    Note(inv, std::string("checks: ") + e.what());
    return report;
  }
  if (!after.ok) {
    Note(inv, map_problem);
    return report;
  }
  inv.seats_reserved_on_map = after.reserved;
  inv.seats_held_on_map = after.held;
  inv.seats_bought_by_users = report.seats_bought;
  std::map<std::int64_t, int> sold;
  bool all_read = true;
  for (std::size_t i = 0; i < users.size(); ++i) {
    if (users[i].id == 0) continue;
    const auto& a = audits[i];
    if (!a.read) {
      all_read = false;
      Note(inv, a.problem);
      continue;
    }
    ++inv.users_checked;
    if (a.balance != a.ledger_sum || a.balance < 0) {
      ++inv.wallet_mismatches;
      Note(inv, "user " + std::to_string(users[i].id) + ": balance " + std::to_string(a.balance) +
                    " but ledger sum " + std::to_string(a.ledger_sum));
    }
    for (auto seat : a.confirmed_seats) ++sold[seat];
    inv.seats_in_success_payments += a.seats_in_success_payments;
  }
  for (const auto& [seat, times] : sold) {
    if (times > 1) {
      ++inv.seats_sold_twice;
      Note(inv, "seat " + std::to_string(seat) + " is in " + std::to_string(times) +
                    " confirmed reservations");
    }
  }
  inv.seats_sold_twice += bought_twice_by_tool;
  if (bought_twice_by_tool > 0) {
    Note(inv, std::to_string(bought_twice_by_tool) + " seats were paid for by two users");
  }
  inv.checked = all_read;
  inv.seats_sold_once = inv.seats_sold_twice == 0;
  inv.wallets_match_ledgers = inv.wallet_mismatches == 0;
  inv.sold_seats_match_payments = inv.seats_reserved_on_map == inv.seats_in_success_payments;
  if (!inv.sold_seats_match_payments) {
    Note(inv, std::to_string(inv.seats_reserved_on_map) + " seats RESERVED on the map but " +
                  std::to_string(inv.seats_in_success_payments) + " in SUCCESS payments");
  }
  inv.tool_agrees = inv.seats_bought_by_users == inv.seats_in_success_payments;
  if (!inv.tool_agrees) {
    Note(inv, "users were told they bought " + std::to_string(inv.seats_bought_by_users) +
                  " seats; SUCCESS payments hold " + std::to_string(inv.seats_in_success_payments));
  }
  return report;
}

}  // namespace boxoffice::loadgen
