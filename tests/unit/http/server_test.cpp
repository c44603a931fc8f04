#include "interfaces/http/server.hpp"

#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <boost/json/parse.hpp>
#include <chrono>
#include <cstring>
#include <functional>
#include <future>
#include <set>
#include <thread>
#include <vector>

#include "fakes/fake_catalogue_cache.hpp"
#include "fakes/fake_clock.hpp"
#include "fakes/fake_token_service.hpp"
#include "fakes/fake_waiting_room.hpp"
#include "fakes/memory_database.hpp"
#include "interfaces/http/handlers/handlers.hpp"

namespace boxoffice::http {
namespace {

namespace asio = boost::asio;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;

using std::chrono::steady_clock;

// One raw HTTP connection read with deadlines, for responses that do not end by themselves: a
// broken server fails the test instead of hanging it.
class RawClient {
 public:
  RawClient(std::uint16_t port, std::string_view target,
            std::vector<std::pair<std::string, std::string>> headers = {})
      : socket_(ioc_) {
    socket_.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
    std::string request = "GET " + std::string(target) + " HTTP/1.1\r\nHost: localhost\r\n";
    for (auto& [name, value] : headers) request += name + ": " + value + "\r\n";
    request += "\r\n";
    asio::write(socket_, asio::buffer(request));
  }

  // Reads until `needle` is in what arrived after `from`, the peer closes, or the deadline.
  bool ReadUntil(std::string_view needle, std::size_t from = 0,
                 std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    const auto deadline = steady_clock::now() + timeout;
    while (received_.find(needle, from) == std::string::npos) {
      if (closed_ || !ReadSome(deadline)) return false;
    }
    return true;
  }
  // Reads until the peer closes the connection; false at the deadline.
  bool ReadToEnd(std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    const auto deadline = steady_clock::now() + timeout;
    while (!closed_) {
      if (!ReadSome(deadline)) return false;
    }
    return true;
  }
  const std::string& Received() const { return received_; }

 private:
  bool ReadSome(steady_clock::time_point deadline) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - steady_clock::now());
    if (left.count() <= 0) return false;
    pollfd fd{.fd = socket_.native_handle(), .events = POLLIN, .revents = 0};
    if (::poll(&fd, 1, static_cast<int>(left.count())) <= 0) return false;
    char buffer[4096];
    const auto n = ::recv(socket_.native_handle(), buffer, sizeof(buffer), 0);
    if (n <= 0) {
      closed_ = true;
    } else {
      received_.append(buffer, static_cast<std::size_t>(n));
    }
    return true;
  }

  asio::io_context ioc_;
  tcp::socket socket_;
  std::string received_;
  bool closed_ = false;
};

struct Reply {
  int status = 0;
  std::string body;
  bhttp::fields headers;
  boost::json::value Json() const { return boost::json::parse(body); }
};

// A readiness probe that, once asked, holds the worker running it until Release().
class StuckProbe {
 public:
  std::function<bool()> Probe() {
    return [this] {
      entered_.set_value();
      released_.wait();
      return true;
    };
  }
  void WaitUntilStuck() { entered_.get_future().wait(); }
  void Release() { release_.set_value(); }

 private:
  std::promise<void> release_;
  std::shared_future<void> released_ = release_.get_future().share();
  std::promise<void> entered_;
};

// The real use cases over in-memory fakes, served on a loopback port chosen by the kernel.
class ServerTest : public ::testing::Test {
 protected:
  void StartServer(HttpSettings settings = {}) {
    settings.address = "127.0.0.1";
    settings.port = 0;
    settings.access_log = false;
    settings.admin_token = "admin-secret";
    server_.emplace(std::move(settings), services_);
    server_->Start();
  }
  void TearDown() override {
    if (server_) server_->Stop();
  }
  // A server with one worker of each kind, whose checkout worker `probe` holds once /readyz asks.
  void StartWithOneWorkerEach(StuckProbe& probe) {
    services_.ready = probe.Probe();
    HttpSettings settings;
    settings.worker_threads = 1;
    settings.queue_worker_threads = 1;
    StartServer(settings);
  }

  Reply Send(bhttp::verb method, std::string target, std::string body = "",
             std::vector<std::pair<std::string, std::string>> headers = {}) {
    asio::io_context ioc;
    tcp::socket socket(ioc);
    socket.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), server_->Port()));
    bhttp::request<bhttp::string_body> req{method, target, 11};
    req.set(bhttp::field::host, "localhost");
    for (auto& [k, v] : headers) req.set(k, v);
    if (!body.empty()) req.set(bhttp::field::content_type, "application/json");
    req.body() = std::move(body);
    req.prepare_payload();
    bhttp::write(socket, req);
    boost::beast::flat_buffer buffer;
    bhttp::response<bhttp::string_body> res;
    bhttp::read(socket, buffer, res);
    return {static_cast<int>(res.result_int()), res.body(), res.base()};
  }

  // A date of `concert` on sale since an hour ago for a day: 4 seats at 1,000.
  static domain::EventId AddOpenDate(domain::Store& s, domain::ConcertId concert,
                                     domain::Instant now) {
    domain::NewConcertEvent e;
    e.concert_id = concert;
    e.venue = "Hall";
    e.start_at = now + std::chrono::hours(48);
    e.duration_minutes = 120;
    e.reservation_start_at = now - std::chrono::hours(1);
    e.reservation_end_at = now + std::chrono::hours(24);
    e.seat_count = 4;
    e.price = domain::Money{1000};
    return s.Catalogue().CreateEvent(e, now).id;
  }

  std::string ErrorCode(const Reply& r) {
    return std::string(r.Json().at("error").at("code").as_string());
  }

  fakes::MemoryDatabase db_;
  fakes::FakeClock clock_;
  fakes::FakeTokenService tokens_;
  fakes::FakeWaitingRoom room_;
  fakes::FakeCatalogueCache cache_;
  application::PolicyService policies_{db_, clock_, domain::Duration{0}};
  application::Authenticate authenticate_{tokens_, clock_};
  application::QueueAccess queue_access_{tokens_, room_, policies_, clock_};
  application::CreateUser create_user_{db_, tokens_, clock_};
  application::IssueQueueToken issue_{db_, cache_, room_, tokens_, policies_, clock_};
  application::GetQueueStatus status_{room_, tokens_, policies_, clock_};
  application::LeaveQueue leave_{room_, tokens_, policies_, clock_};
  application::ListConcerts concerts_{db_, cache_};
  application::ListAvailableEvents events_{db_, clock_};
  application::ListSeats seats_{db_, clock_};
  application::OccupySeats occupy_{db_, policies_, clock_};
  application::ReleaseHold release_{db_, clock_};
  application::ReserveSeats reserve_{db_, clock_};
  application::CancelReservation cancel_{db_, clock_};
  application::PayReservation pay_{db_, clock_};
  application::ChargeWallet charge_{db_, clock_};
  application::UserQueries queries_{db_};
  application::ManageCatalogue catalogue_{db_, cache_, clock_};
  application::GetQueueStats stats_{db_, room_, clock_};
  application::IdempotencyGuard idempotency_{db_, clock_};
  bool ready_ = true;
  // The fixture's services, with the two queue use cases given.
  Services ServicesWith(application::IssueQueueToken& issue, application::GetQueueStatus& status,
                        application::QueueAccess* access = nullptr) {
    return {clock_,
            authenticate_,
            access ? *access : queue_access_,
            create_user_,
            issue,
            status,
            leave_,
            concerts_,
            events_,
            seats_,
            occupy_,
            release_,
            reserve_,
            cancel_,
            pay_,
            charge_,
            queries_,
            catalogue_,
            policies_,
            stats_,
            idempotency_,
            room_,
            [this] { return ready_; },
            [] { return std::int64_t{0}; },
            {},
            {}};
  }
  Services services_ = ServicesWith(issue_, status_);
  std::optional<Server> server_;
};

TEST_F(ServerTest, BindsAnEphemeralPortAndAnswersHealth) {
  StartServer();
  EXPECT_NE(server_->Port(), 0);
  auto r = Send(bhttp::verb::get, "/healthz");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, R"({"data":{"status":"ok"}})");
  EXPECT_EQ(r.headers[bhttp::field::content_type], "application/json");
  EXPECT_FALSE(r.headers["X-Request-Id"].empty());
  EXPECT_EQ(
      Send(bhttp::verb::get, "/healthz", "", {{"X-Request-Id", "abc-1"}}).headers["X-Request-Id"],
      "abc-1");
}

TEST_F(ServerTest, ReadinessFollowsTheProbe) {
  StartServer();
  EXPECT_EQ(Send(bhttp::verb::get, "/readyz").status, 200);
  ready_ = false;
  auto r = Send(bhttp::verb::get, "/readyz");
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(ErrorCode(r), "unavailable");
}

TEST_F(ServerTest, RoutingErrors) {
  StartServer();
  auto r = Send(bhttp::verb::get, "/nope");
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(ErrorCode(r), "not_found");
  r = Send(bhttp::verb::put, "/api/v1/concerts");
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(r.headers["Allow"], "GET");
  EXPECT_EQ(ErrorCode(r), "method_not_allowed");
  r = Send(bhttp::verb::get, "/api/v1/users/abc/wallet");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(ErrorCode(r), "invalid_request");
}

TEST_F(ServerTest, OversizedBodyIs413) {
  HttpSettings settings;
  settings.body_limit = 64;
  StartServer(settings);
  auto r = Send(bhttp::verb::post, "/api/v1/users", std::string(1000, ' '));
  EXPECT_EQ(r.status, 413);
  EXPECT_EQ(ErrorCode(r), "payload_too_large");
}

// A client (or a proxy) that goes on sending a refused body after the 413 arrived must not have
// its connection reset under it: the server stops sending and drains what still arrives (bounded)
// before it closes. haproxy, for one, drops the answer when its upload fails.
TEST_F(ServerTest, OversizedBodyIsDrainedAfterThe413) {
  HttpSettings settings;
  settings.body_limit = 64;
  StartServer(settings);
  asio::io_context ioc;
  tcp::socket socket(ioc);
  socket.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), server_->Port()));
  const int fd = socket.native_handle();
  const std::string head =
      "POST /api/v1/users HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
      "Content-Length: 1048576\r\n\r\n";
  ASSERT_EQ(::send(fd, head.data(), head.size(), MSG_NOSIGNAL), static_cast<ssize_t>(head.size()));
  std::string received;
  char buffer[4096];
  auto read_some = [&] {
    pollfd p{.fd = fd, .events = POLLIN, .revents = 0};
    if (::poll(&p, 1, 10'000) <= 0) return false;
    const auto n = ::recv(fd, buffer, sizeof(buffer), 0);
    if (n > 0) received.append(buffer, static_cast<std::size_t>(n));
    return n > 0;
  };
  while (received.find("payload_too_large") == std::string::npos) {
    ASSERT_TRUE(read_some()) << "no 413 within 10 s: " << received;
  }
  EXPECT_NE(received.find("HTTP/1.1 413"), std::string::npos) << received;
  // The answer is in; the rest of the body follows, as a proxy relaying an upload would send it.
  const std::string chunk(64 * 1024, 'x');
  for (int i = 0; i < 16; ++i) {
    ASSERT_EQ(::send(fd, chunk.data(), chunk.size(), MSG_NOSIGNAL),
              static_cast<ssize_t>(chunk.size()))
        << "chunk " << i << ": " << std::strerror(errno);
  }
  ::shutdown(fd, SHUT_WR);
  pollfd p{.fd = fd, .events = POLLIN, .revents = 0};
  ASSERT_GT(::poll(&p, 1, 10'000), 0);
  EXPECT_EQ(::recv(fd, buffer, sizeof(buffer), 0), 0) << "expected an orderly close";
}

// Queue polls have their own lane: with every checkout worker stuck on a slow dependency, a
// status request is still answered.
TEST_F(ServerTest, QueueRoutesAreAnsweredWhileEveryWorkerIsBusy) {
  StuckProbe probe;
  StartWithOneWorkerEach(probe);
  RawClient blocked(server_->Port(), "/readyz");
  probe.WaitUntilStuck();  // the only checkout worker is now taken

  RawClient poll(server_->Port(), "/api/v1/queue/status", {{"User-Token", "not-a-token"}});
  const bool answered = poll.ReadUntil("\r\n\r\n", 0, std::chrono::seconds(5));
  probe.Release();
  ASSERT_TRUE(answered) << "queue status waited behind the checkout workers";
  EXPECT_NE(poll.Received().find("HTTP/1.1 401"), std::string::npos) << poll.Received();
  EXPECT_TRUE(blocked.ReadUntil("HTTP/1.1 200"));
}

// The concert list, once in this process's catalogue cache, is answered on the I/O thread: with
// the only worker stuck, it still comes back, with the bytes the worker's read gave. A miss is a
// database read and waits for a worker.
TEST_F(ServerTest, ACachedConcertListIsAnsweredWhileEveryWorkerIsBusy) {
  auto seeded = db_.Write([&](domain::Store& s) -> domain::Result<bool> {
    s.Catalogue().CreateConcert({"Title", "Singer", "Notes"}, clock_.Now());
    return true;
  });
  ASSERT_TRUE(seeded);
  StuckProbe probe;
  StartWithOneWorkerEach(probe);
  const Reply read = Send(bhttp::verb::get, "/api/v1/concerts");  // a miss: read on the worker
  ASSERT_EQ(read.status, 200);
  ASSERT_EQ(read.Json().at("list").as_array().size(), 1u);
  RawClient blocked(server_->Port(), "/readyz");
  probe.WaitUntilStuck();  // the only checkout worker is now taken

  RawClient cached(server_->Port(), "/api/v1/concerts");
  const bool answered = cached.ReadUntil(read.body, 0, std::chrono::seconds(5));
  cache_.Invalidate();
  RawClient missed(server_->Port(), "/api/v1/concerts");
  const bool missed_early = missed.ReadUntil("HTTP/1.1", 0, std::chrono::milliseconds(200));
  probe.Release();
  EXPECT_TRUE(answered) << "the cached concert list waited for a worker: " << cached.Received();
  EXPECT_NE(cached.Received().find("HTTP/1.1 200"), std::string::npos) << cached.Received();
  EXPECT_FALSE(missed_early) << "a miss was answered without a worker: " << missed.Received();
  EXPECT_TRUE(missed.ReadUntil(read.body)) << missed.Received();
  EXPECT_TRUE(blocked.ReadUntil("HTTP/1.1 200"));
}

// With a waiting room that answers without blocking, token issues and status polls are answered
// on the I/O threads: the room's reply completes them, not a worker. Where a database read is due
// they go to the waiting-room lane as before.
class AsyncQueueServerTest : public ServerTest {
 protected:
  void SetUp() override {
    const auto now = clock_.Now();
    auto seeded = db_.Write([&](domain::Store& s) -> domain::Result<bool> {
      concert_ = s.Catalogue().CreateConcert({"Title", "Singer", ""}, now).id;
      AddOpenDate(s, concert_, now);
      return true;
    });
    ASSERT_TRUE(seeded.ok());
    // Warm, as a server is after its first requests: the dates cached, the policies loaded.
    ASSERT_TRUE(async_issue_.Execute({user_, concert_}).ok());
    room_.SetAsync(true);
    HttpSettings settings;
    settings.address = "127.0.0.1";
    settings.port = 0;
    settings.access_log = false;
    server_.emplace(std::move(settings), async_services_);
    server_->Start();
  }

  Reply IssueToken() {
    return Send(bhttp::verb::post, "/api/v1/queue/token",
                R"({"concertId": )" + std::to_string(concert_.value) + "}",
                {{"Authorization", "Bearer access:" + std::to_string(user_.value)}});
  }
  // Waits (bounded) until the server has handed `n` calls to the room.
  bool RoomHolds(std::size_t n) {
    const auto deadline = steady_clock::now() + std::chrono::seconds(10);
    while (room_.Held() < n) {
      if (steady_clock::now() > deadline) return false;
      std::this_thread::yield();
    }
    return true;
  }

  domain::UserId user_{7};
  domain::ConcertId concert_;
  application::PolicyService cached_policies_{db_, clock_, std::chrono::seconds(1)};
  application::IssueQueueToken async_issue_{db_, cache_, room_, tokens_, cached_policies_, clock_};
  application::GetQueueStatus async_status_{room_, tokens_, cached_policies_, clock_};
  application::QueueAccess async_access_{tokens_, room_, cached_policies_, clock_};
  Services async_services_ = ServicesWith(async_issue_, async_status_, &async_access_);
};

TEST_F(AsyncQueueServerTest, ARequestWaitsForTheRoomsReplyNotForAWorker) {
  auto issued = std::async(std::launch::async, [&] { return IssueToken(); });
  ASSERT_TRUE(RoomHolds(1)) << "the token issue never reached the room's async form";
  EXPECT_EQ(issued.wait_for(std::chrono::milliseconds(0)), std::future_status::timeout)
      << "answered before the room replied";
  room_.CompleteHeld();
  const Reply ticket = issued.get();
  ASSERT_EQ(ticket.status, 201) << ticket.body;
  const std::string token(ticket.Json().at("data").at("token").as_string());
  EXPECT_EQ(ticket.Json().at("data").at("status").as_string(), "WAITING");

  auto polled = std::async(std::launch::async, [&] {
    return Send(bhttp::verb::get, "/api/v1/queue/status", "", {{"User-Token", token}});
  });
  ASSERT_TRUE(RoomHolds(1));
  room_.CompleteHeld();
  const Reply status = polled.get();
  EXPECT_EQ(status.status, 200) << status.body;
  EXPECT_EQ(status.Json().at("data").at("position").as_int64(), 1);
}

// An admitted user's queue token is checked the same way before a seat step's handler runs:
// the request waits for the room's reply, and the handler uses that answer.
TEST_F(AsyncQueueServerTest, AnAdmittedUsersCheckWaitsForTheRoomNotForAWorker) {
  const auto place = room_.Admitted(concert_, user_, clock_.Now() + std::chrono::minutes(5));
  const std::string token =
      tokens_.IssueQueue({user_, concert_, place.sequence, place.generation}, clock_.Now());
  const std::string dates =
      "/api/v1/concerts/" + std::to_string(concert_.value) + "/available-events";
  auto listed = std::async(std::launch::async, [&] {
    return Send(bhttp::verb::get, dates, "", {{"User-Token", token}});
  });
  ASSERT_TRUE(RoomHolds(1)) << "the check never reached the room's async form";
  EXPECT_EQ(listed.wait_for(std::chrono::milliseconds(0)), std::future_status::timeout)
      << "answered before the room replied";
  room_.CompleteHeld();
  const Reply ok = listed.get();
  ASSERT_EQ(ok.status, 200) << ok.body;
  EXPECT_EQ(ok.Json().at("list").as_array().size(), 1u);
  EXPECT_EQ(room_.Touches(), 1) << "the handler asked the room again";

  // The room's answer decides: a place that is no longer admitted is refused.
  room_.SetView(concert_, user_, {domain::QueueState::kWaiting, 3, {}});
  auto refused = std::async(std::launch::async, [&] {
    return Send(bhttp::verb::get, dates, "", {{"User-Token", token}});
  });
  ASSERT_TRUE(RoomHolds(1));
  room_.CompleteHeld();
  EXPECT_EQ(ErrorCode(refused.get()), "token_not_processable");

  // A room that fails to answer leaves the check to the worker, which asks it again.
  room_.SetView(concert_, user_, {domain::QueueState::kActive, 0, clock_.Now()});
  auto retried = std::async(std::launch::async, [&] {
    return Send(bhttp::verb::get, dates, "", {{"User-Token", token}});
  });
  ASSERT_TRUE(RoomHolds(1));
  room_.FailHeld(std::make_exception_ptr(domain::UnavailableError("redis: down")));
  EXPECT_EQ(retried.get().status, 200);
  EXPECT_EQ(room_.Touches(), 3) << "one check each, and the worker's after the failure";
}

TEST_F(AsyncQueueServerTest, TheRoomsFailureIsA503AndRulesAreAnsweredInPlace) {
  auto issued = std::async(std::launch::async, [&] { return IssueToken(); });
  ASSERT_TRUE(RoomHolds(1));
  room_.FailHeld(std::make_exception_ptr(domain::UnavailableError("redis: down")));
  const Reply failed = issued.get();
  EXPECT_EQ(failed.status, 503) << failed.body;
  EXPECT_EQ(ErrorCode(failed), "unavailable");

  // Refused before the room is asked: a bad body, a forged queue token.
  EXPECT_EQ(Send(bhttp::verb::post, "/api/v1/queue/token", R"({"concertId": "x"})",
                 {{"Authorization", "Bearer access:7"}})
                .status,
            400);
  EXPECT_EQ(ErrorCode(Send(bhttp::verb::get, "/api/v1/queue/status", "",
                           {{"User-Token", "queue:forged"}})),
            "invalid_token");
  EXPECT_EQ(room_.Held(), 0u);
}

TEST_F(AsyncQueueServerTest, WhereADatabaseReadIsDueTheLaneAnswers) {
  clock_.Advance(std::chrono::seconds(1));  // the policies are due for a refresh
  const Reply ticket = IssueToken();
  EXPECT_EQ(ticket.status, 201) << ticket.body;
  EXPECT_EQ(room_.Held(), 0u);  // the synchronous form ran on a worker
  // Refreshed by that request: the next one goes to the room's async form again.
  auto issued = std::async(std::launch::async, [&] { return IssueToken(); });
  ASSERT_TRUE(RoomHolds(1));
  room_.CompleteHeld();
  EXPECT_EQ(issued.get().status, 201);
}

TEST_F(ServerTest, MalformedInputIs400NotA500) {
  StartServer();
  for (auto body : {"", "{", "[]", R"({"name": 5})", R"({"name": "x", "extra": 1})"}) {
    auto r = Send(bhttp::verb::post, "/api/v1/users", body);
    EXPECT_EQ(r.status, 400) << body;
    EXPECT_EQ(ErrorCode(r), "invalid_request") << body;
  }
}

TEST_F(ServerTest, WalletNeedsTheOwner) {
  StartServer();
  auto alice = Send(bhttp::verb::post, "/api/v1/users", R"({"name": "alice"})");
  ASSERT_EQ(alice.status, 201) << alice.body;
  const auto id = alice.Json().at("data").at("id").as_int64();
  const std::string token(alice.Json().at("data").at("accessToken").as_string());
  const std::string wallet = "/api/v1/users/" + std::to_string(id) + "/wallet";

  EXPECT_EQ(ErrorCode(Send(bhttp::verb::get, wallet)), "unauthenticated");
  EXPECT_EQ(Send(bhttp::verb::get, "/api/v1/users/" + std::to_string(id + 1) + "/wallet", "",
                 {{"Authorization", "Bearer " + token}})
                .status,
            403);
  auto r = Send(bhttp::verb::get, wallet, "", {{"Authorization", "Bearer " + token}});
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, R"({"data":{"balance":0}})");
}

TEST_F(ServerTest, ConcurrentIdenticalChargesApplyOnce) {
  StartServer();
  auto alice = Send(bhttp::verb::post, "/api/v1/users", R"({"name": "alice"})");
  ASSERT_EQ(alice.status, 201);
  const auto id = alice.Json().at("data").at("id").as_int64();
  const std::string auth =
      "Bearer " + std::string(alice.Json().at("data").at("accessToken").as_string());
  const std::string charge = "/api/v1/users/" + std::to_string(id) + "/wallet/charge";

  EXPECT_EQ(
      Send(bhttp::verb::patch, charge, R"({"amount": 1000})", {{"Authorization", auth}}).status,
      400);  // no Idempotency-Key
  EXPECT_EQ(ErrorCode(Send(bhttp::verb::patch, charge, R"({"amount": 1.5})",
                           {{"Authorization", auth}, {"Idempotency-Key", "k0"}})),
            "invalid_amount");

  constexpr int kClients = 20;
  std::vector<std::future<Reply>> replies;
  for (int i = 0; i < kClients; ++i) {
    replies.push_back(std::async(std::launch::async, [&] {
      return Send(bhttp::verb::patch, charge, R"({"amount": 1000})",
                  {{"Authorization", auth}, {"Idempotency-Key", "k1"}});
    }));
  }
  int replays = 0;
  for (auto& f : replies) {
    auto r = f.get();
    EXPECT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.body, R"({"data":{"balance":1000}})");
    if (r.headers["Idempotent-Replay"] == "true") ++replays;
  }
  EXPECT_EQ(replays, kClients - 1);
  auto other = Send(bhttp::verb::patch, charge, R"({"amount": 5})",
                    {{"Authorization", auth}, {"Idempotency-Key", "k1"}});
  EXPECT_EQ(ErrorCode(other), "idempotency_key_reused");
}

// Charges are served in batches (ADR 0021): many users charging at once, each twice with one
// key, are each charged once and answered with their own balance, and the ledger agrees.
TEST_F(ServerTest, ConcurrentChargesOfManyUsersApplyOnceEachWithTheirOwnAnswers) {
  // One checkout worker, so that charges arriving while it runs a batch queue for the next.
  HttpSettings settings;
  settings.worker_threads = 1;
  StartServer(settings);
  constexpr int kUsers = 16;
  struct User {
    std::int64_t id = 0;
    std::string auth;
  };
  std::vector<User> users;
  for (int i = 0; i < kUsers; ++i) {
    auto created = Send(bhttp::verb::post, "/api/v1/users", R"({"name": "u"})");
    ASSERT_EQ(created.status, 201);
    users.push_back(
        {created.Json().at("data").at("id").as_int64(),
         "Bearer " + std::string(created.Json().at("data").at("accessToken").as_string())});
  }
  auto charge = [&](const User& user, std::int64_t amount) {
    return Send(bhttp::verb::patch, "/api/v1/users/" + std::to_string(user.id) + "/wallet/charge",
                R"({"amount": )" + std::to_string(amount) + "}",
                {{"Authorization", user.auth}, {"Idempotency-Key", "once"}});
  };
  std::vector<std::future<Reply>> replies;
  for (int round = 0; round < 2; ++round) {
    for (int i = 0; i < kUsers; ++i) {
      replies.push_back(
          std::async(std::launch::async, [&, i] { return charge(users[i], 100 + i); }));
    }
  }
  std::vector<int> replays(kUsers, 0);
  for (std::size_t n = 0; n < replies.size(); ++n) {
    const int i = static_cast<int>(n % kUsers);
    auto r = replies[n].get();
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.body, R"({"data":{"balance":)" + std::to_string(100 + i) + "}}");
    if (r.headers["Idempotent-Replay"] == "true") ++replays[static_cast<std::size_t>(i)];
  }
  const auto tables = db_.Snapshot();
  for (int i = 0; i < kUsers; ++i) {
    EXPECT_EQ(replays[static_cast<std::size_t>(i)], 1) << "user " << i;
    EXPECT_EQ(tables.wallets.at(users[static_cast<std::size_t>(i)].id), domain::Money{100 + i});
  }
  std::int64_t ledger = 0;
  for (const auto& entry : tables.entries) ledger += entry.amount.won;
  EXPECT_EQ(ledger, kUsers * 100 + kUsers * (kUsers - 1) / 2);
  // Every charge went through the batches, those answered together and those handed back.
  const auto metrics = Send(bhttp::verb::get, "/metrics").body;
  EXPECT_NE(metrics.find("\nboxoffice_batched_requests_total{kind=\"charge\"} " +
                         std::to_string(2 * kUsers) + "\n"),
            std::string::npos)
      << metrics;
  EXPECT_NE(metrics.find("\nboxoffice_batched_requests_total{kind=\"signup\"} " +
                         std::to_string(kUsers) + "\n"),
            std::string::npos)
      << metrics;
}

// A batch as a worker runs it: answered together, each with its own balance, when every charge
// goes through; otherwise every charge is handed back to run alone (RetryLater).
TEST_F(ServerTest, AChargeBatchAnswersEachChargeOrHandsThemAllBack) {
  std::vector<domain::UserId> users;
  auto seeded = db_.Write([&](domain::Store& s) -> domain::Result<bool> {
    for (int i = 0; i < 3; ++i) {
      users.push_back(s.Users().Create("u", clock_.Now()).id);
      s.Wallets().Create(users.back(), clock_.Now());
    }
    return true;
  });
  ASSERT_TRUE(seeded.ok());
  std::vector<std::optional<Outcome>> outcomes(3);
  auto batch_of = [&](const std::vector<std::pair<domain::UserId, std::string>>& charges) {
    std::vector<BatchedCharge> batch;
    for (std::size_t i = 0; i < charges.size(); ++i) {
      const auto& [user, key] = charges[i];
      batch.push_back(
          {.charge = {.command = {user, domain::Money{100 * static_cast<std::int64_t>(i + 1)}, key},
                      .request = {user, "wallet.charge", key, "h"}},
           .reply = [&outcomes, i](std::exception_ptr error, Outcome outcome) {
             ASSERT_FALSE(error);
             outcomes[i] = std::move(outcome);
           }});
    }
    return batch;
  };
  auto batch = batch_of({{users[0], "a"}, {users[1], "b"}, {users[2], "c"}});
  handlers::RunChargeBatch(services_, batch);
  for (std::size_t i = 0; i < 3; ++i) {
    ASSERT_TRUE(outcomes[i].has_value());
    const auto* response = std::get_if<Response>(&*outcomes[i]);
    ASSERT_NE(response, nullptr);
    EXPECT_EQ(response->status, 200);
    EXPECT_EQ(response->body, R"({"data":{"balance":)" + std::to_string(100 * (i + 1)) + "}}");
  }
  // Key "b" again, first this time: the whole batch is handed back, and nothing is written.
  outcomes.assign(3, std::nullopt);
  const auto before = db_.Snapshot();
  auto repeat = batch_of({{users[1], "b"}, {users[0], "x"}, {users[2], "y"}});
  handlers::RunChargeBatch(services_, repeat);
  for (const auto& outcome : outcomes) {
    ASSERT_TRUE(outcome.has_value());
    EXPECT_TRUE(std::holds_alternative<RetryLater>(*outcome));
  }
  EXPECT_EQ(db_.Snapshot().entries.size(), before.entries.size());
  EXPECT_EQ(db_.Snapshot().wallets, before.wallets);
}

// Sign-ups are served in batches too: many at once each get their own user, wallet and token.
TEST_F(ServerTest, ConcurrentSignUpsGetTheirOwnUsersWalletsAndTokens) {
  HttpSettings settings;
  settings.worker_threads = 1;
  StartServer(settings);
  constexpr int kUsers = 24;
  std::vector<std::future<Reply>> replies;
  for (int i = 0; i < kUsers; ++i) {
    replies.push_back(std::async(std::launch::async, [this, i] {
      return Send(bhttp::verb::post, "/api/v1/users",
                  R"({"name": "user )" + std::to_string(i) + R"("})");
    }));
  }
  std::set<std::int64_t> ids;
  for (int i = 0; i < kUsers; ++i) {
    auto r = replies[static_cast<std::size_t>(i)].get();
    ASSERT_EQ(r.status, 201) << r.body;
    const auto data = r.Json().at("data");
    const auto id = data.at("id").as_int64();
    EXPECT_EQ(data.at("name").as_string(), "user " + std::to_string(i));
    ids.insert(id);
    auto wallet =
        Send(bhttp::verb::get, "/api/v1/users/" + std::to_string(id) + "/wallet", "",
             {{"Authorization", "Bearer " + std::string(data.at("accessToken").as_string())}});
    EXPECT_EQ(wallet.status, 200) << wallet.body;
    EXPECT_EQ(wallet.body, R"({"data":{"balance":0}})");
  }
  EXPECT_EQ(ids.size(), static_cast<std::size_t>(kUsers));
  const auto tables = db_.Snapshot();
  for (auto id : ids) EXPECT_EQ(tables.wallets.count(id), 1u) << id;
}

TEST_F(ServerTest, ASignUpBatchAnswersEachOrHandsThemAllBack) {
  std::vector<std::optional<Outcome>> outcomes(3);
  auto batch_of = [&](const std::vector<std::string>& names) {
    std::vector<BatchedSignup> batch;
    for (std::size_t i = 0; i < names.size(); ++i) {
      batch.push_back({.command = {.name = names[i]},
                       .reply = [&outcomes, i](std::exception_ptr error, Outcome outcome) {
                         ASSERT_FALSE(error);
                         outcomes[i] = std::move(outcome);
                       }});
    }
    return batch;
  };
  auto batch = batch_of({"ann", "bo", "cy"});
  handlers::RunSignupBatch(services_, batch);
  std::set<std::int64_t> ids;
  for (std::size_t i = 0; i < 3; ++i) {
    ASSERT_TRUE(outcomes[i].has_value());
    const auto* response = std::get_if<Response>(&*outcomes[i]);
    ASSERT_NE(response, nullptr);
    EXPECT_EQ(response->status, 201);
    const auto data = boost::json::parse(response->body).at("data");
    EXPECT_EQ(data.at("name").as_string(), std::vector<std::string>({"ann", "bo", "cy"})[i]);
    ids.insert(data.at("id").as_int64());
  }
  EXPECT_EQ(ids.size(), 3u);
  // A name the use case refuses hands the whole batch back; nothing is written.
  outcomes.assign(3, std::nullopt);
  const auto users = db_.Snapshot().wallets.size();
  auto refused = batch_of({"dee", "   ", "eve"});
  handlers::RunSignupBatch(services_, refused);
  for (const auto& outcome : outcomes) {
    ASSERT_TRUE(outcome.has_value());
    EXPECT_TRUE(std::holds_alternative<RetryLater>(*outcome));
  }
  EXPECT_EQ(db_.Snapshot().wallets.size(), users);
}

// A user with 5,000 won, admitted to a concert, with a PENDING reservation of two seats (2,000
// won), for the Idempotency-Key paths of charges and payments. Transactions are counted with
// the in-memory database: a first charge or payment must be ONE write transaction (ADR 0003).
class IdempotentWriteTest : public ServerTest {
 protected:
  using Money = domain::Money;
  using PaidReservation = application::PaidReservation;
  using StoredResponse = application::StoredResponse;
  template <class T>
  using Hooks = application::TransactionHooks<T>;

  void SetUp() override {
    const auto now = clock_.Now();
    std::vector<domain::SeatId> seats;
    auto seeded = db_.Write([&](domain::Store& s) -> domain::Result<bool> {
      user_ = s.Users().Create("payer", now).id;
      s.Wallets().Create(user_, now);
      s.Wallets().Credit(user_, Money{5000}, domain::kMaxWalletBalance, now);
      (void)s.Wallets().AppendEntry(
          {0, user_, domain::WalletEntryType::kCharge, Money{5000}, std::nullopt, now});
      concert_ = s.Catalogue().CreateConcert({"Title", "Singer", ""}, now).id;
      event_ = AddOpenDate(s, concert_, now);
      for (const auto& seat : s.Catalogue().ListSeats(event_, now)) seats.push_back(seat.id);
      return true;
    });
    ASSERT_TRUE(seeded.ok());
    const auto place = room_.Admitted(concert_, user_, now + std::chrono::hours(1));
    queue_token_ = tokens_.IssueQueue({.user_id = user_,
                                       .concert_id = concert_,
                                       .sequence = place.sequence,
                                       .generation = place.generation},
                                      now);
    auth_ = "Bearer " + tokens_.IssueAccess(user_, now);
    auto hold = occupy_.Execute({{user_, concert_}, event_, {seats[0], seats[1]}});
    ASSERT_TRUE(hold.ok());
    auto reservation = reserve_.Execute({{user_, concert_}, event_, hold->id});
    ASSERT_TRUE(reservation.ok());
    reservation_ = reservation->id;
    StartServer();
  }

  Reply Charge(const std::string& key, std::int64_t amount) {
    return Send(bhttp::verb::patch,
                "/api/v1/users/" + std::to_string(user_.value) + "/wallet/charge",
                R"({"amount": )" + std::to_string(amount) + "}",
                {{"Authorization", auth_}, {"Idempotency-Key", key}});
  }
  Reply Pay(const std::string& key, std::int64_t reservation) {
    return Send(bhttp::verb::post, "/api/v1/payments",
                R"({"reservationId": )" + std::to_string(reservation) + "}",
                {{"User-Token", queue_token_}, {"Idempotency-Key", key}});
  }
  Money Balance() { return db_.Snapshot().wallets.at(user_.value); }
  std::optional<domain::IdempotencyRecord> Record(const std::string& scope,
                                                  const std::string& key) {
    auto tables = db_.Snapshot();
    auto it = tables.idempotency.find({user_.value, scope, key});
    if (it == tables.idempotency.end()) return std::nullopt;
    return it->second;
  }
  // The use cases run with the guard's lookup left out, as for a repeat whose lookup ran before
  // the first request committed (MySQL, READ COMMITTED); the insert of the record still counts.
  template <class T>
  static Hooks<T> Blind(const Hooks<T>& hooks) {
    Hooks<T> blind = hooks;
    blind.at_start = nullptr;
    return blind;
  }
  template <class T>
  static StoredResponse Respond(const domain::Result<T>& result) {
    if (result) return {200, "fresh"};
    return {409, result.error().message};
  }

  domain::UserId user_;
  domain::ConcertId concert_;
  domain::EventId event_;
  domain::ReservationId reservation_;
  std::string queue_token_;
  std::string auth_;
};

TEST_F(IdempotentWriteTest, AFirstChargeIsOneWriteTransactionAndARepeatWritesNothing) {
  const int commits = db_.Commits();
  const int rollbacks = db_.Rollbacks();
  auto first = Charge("c1", 1000);
  EXPECT_EQ(first.status, 200) << first.body;
  EXPECT_EQ(first.body, R"({"data":{"balance":6000}})");
  EXPECT_EQ(first.headers["Idempotent-Replay"], "");
  EXPECT_EQ(db_.Commits() - commits, 1);
  EXPECT_EQ(db_.Rollbacks() - rollbacks, 0);
  auto record = Record("wallet.charge", "c1");
  ASSERT_TRUE(record.has_value());
  EXPECT_TRUE(record->completed);
  EXPECT_EQ(record->status, 200);
  EXPECT_EQ(record->body, first.body);

  auto again = Charge("c1", 1000);
  EXPECT_EQ(again.status, 200);
  EXPECT_EQ(again.body, first.body);
  EXPECT_EQ(again.headers["Idempotent-Replay"], "true");
  EXPECT_EQ(db_.Commits() - commits, 1) << "a replay commits nothing";
  EXPECT_EQ(Balance(), Money{6000});
  EXPECT_EQ(ErrorCode(Charge("c1", 999)), "idempotency_key_reused");
  EXPECT_EQ(db_.Commits() - commits, 1);
}

TEST_F(IdempotentWriteTest, AFirstPaymentIsOneWriteTransactionAndARepeatReplaysIt) {
  const int commits = db_.Commits();
  const int rollbacks = db_.Rollbacks();
  auto first = Pay("p1", reservation_.value);
  EXPECT_EQ(first.status, 201) << first.body;
  EXPECT_EQ(first.headers["Idempotent-Replay"], "");
  EXPECT_EQ(db_.Commits() - commits, 1);
  EXPECT_EQ(db_.Rollbacks() - rollbacks, 0);
  EXPECT_EQ(Balance(), Money{3000});

  // The repeat's payment finds the reservation paid (409), and storing that 409 finds the
  // record: replayed, with nothing written.
  const auto outbox = db_.Snapshot().outbox.size();
  auto again = Pay("p1", reservation_.value);
  EXPECT_EQ(again.status, 201);
  EXPECT_EQ(again.body, first.body);
  EXPECT_EQ(again.headers["Idempotent-Replay"], "true");
  EXPECT_EQ(Balance(), Money{3000});
  EXPECT_EQ(db_.Snapshot().payments.size(), 1u);
  EXPECT_EQ(db_.Snapshot().outbox.size(), outbox);
  EXPECT_EQ(Record("payments", "p1")->body, first.body);
}

TEST_F(IdempotentWriteTest, ABusinessErrorIsStoredBesideTheRolledBackWorkAndReplayed) {
  const int commits = db_.Commits();
  auto first = Pay("p404", reservation_.value + 1000);
  EXPECT_EQ(first.status, 404);
  EXPECT_EQ(ErrorCode(first), "reservation_not_found");
  EXPECT_EQ(db_.Commits() - commits, 1) << "only the record of the 404";
  const auto stored = Record("payments", "p404");
  ASSERT_TRUE(stored.has_value());
  const auto records = db_.Snapshot().idempotency.size();
  auto again = Pay("p404", reservation_.value + 1000);
  EXPECT_EQ(again.status, 404);
  EXPECT_EQ(again.body, first.body);
  EXPECT_EQ(again.headers["Idempotent-Replay"], "true");
  EXPECT_EQ(Record("payments", "p404")->created_at, stored->created_at) << "the record is kept";
  EXPECT_EQ(db_.Snapshot().idempotency.size(), records);
}

TEST_F(IdempotentWriteTest, ARepeatThatMissedThePaymentsRecordGetsTheWinnersResponse) {
  auto winner = Pay("p2", reservation_.value);
  ASSERT_EQ(winner.status, 201) << winner.body;
  const auto hash = Record("payments", "p2")->request_hash;
  // Its payment finds the reservation confirmed (409), and storing that finds the winner's record.
  auto reply = idempotency_.Run<PaidReservation>(
      {user_, "payments", "p2", hash},
      [&](const Hooks<PaidReservation>& hooks) {
        return pay_.Execute({{user_, concert_}, reservation_}, Blind(hooks));
      },
      Respond<PaidReservation>);
  ASSERT_TRUE(reply.ok()) << reply.error().message;
  EXPECT_TRUE(reply->replay);
  EXPECT_EQ(reply->response.status, 201);
  EXPECT_EQ(reply->response.body, winner.body);
  EXPECT_EQ(Balance(), Money{3000});
  EXPECT_EQ(db_.Snapshot().payments.size(), 1u);
}

TEST_F(IdempotentWriteTest, ARepeatThatMissedTheChargesRecordGetsTheWinnersResponse) {
  auto winner = Charge("c2", 1000);
  ASSERT_EQ(winner.status, 200) << winner.body;
  const auto hash = Record("wallet.charge", "c2")->request_hash;
  // Its charge finds the winner's ledger row (a no-op success); its record insert finds the
  // winner's record, so it rolls back and replays it.
  auto reply = idempotency_.Run<Money>(
      {user_, "wallet.charge", "c2", hash},
      [&](const Hooks<Money>& hooks) {
        return charge_.Execute({user_, Money{1000}, std::string("c2")}, Blind(hooks));
      },
      Respond<Money>);
  ASSERT_TRUE(reply.ok()) << reply.error().message;
  EXPECT_TRUE(reply->replay);
  EXPECT_EQ(reply->response.body, winner.body);
  EXPECT_EQ(Balance(), Money{6000});
}

TEST_F(IdempotentWriteTest, TheRecordsKeyLetsOneOutcomeCommit) {
  // A record stored first (here a 409) makes a later success under the same key roll back whole.
  ASSERT_TRUE(db_.Write([&](domain::Store& s) -> domain::Result<bool> {
                   return s.Idempotency().TryStore(
                       user_, "wallet.charge", "c3",
                       {"h", true, 409, R"({"error":"first"})", clock_.Now()});
                 })
                  .ok());
  const int commits = db_.Commits();
  auto reply = idempotency_.Run<Money>(
      {user_, "wallet.charge", "c3", "h"},
      [&](const Hooks<Money>& hooks) {
        return charge_.Execute({user_, Money{1000}, std::string("c3")}, Blind(hooks));
      },
      Respond<Money>);
  ASSERT_TRUE(reply.ok()) << reply.error().message;
  EXPECT_TRUE(reply->replay);
  EXPECT_EQ(reply->response.status, 409);
  EXPECT_EQ(reply->response.body, R"({"error":"first"})");
  EXPECT_EQ(db_.Commits(), commits);
  EXPECT_EQ(Balance(), Money{5000});
  for (const auto& entry : db_.Snapshot().entries) {
    EXPECT_NE(entry.idempotency_key, std::optional<std::string>("c3"));
  }
}

// A record written in flight by the two-phase form of an older version (rolling upgrade).
TEST_F(IdempotentWriteTest, AnInFlightRecordOfAnOlderVersionWaitsThenIsTakenOver) {
  ASSERT_TRUE(db_.Write([&](domain::Store& s) -> domain::Result<bool> {
                   return s.Idempotency().TryStore(user_, "wallet.charge", "c4",
                                                   {"h", false, 0, "", clock_.Now()});
                 })
                  .value());
  auto run = [&] {
    return idempotency_.Run<Money>(
        {user_, "wallet.charge", "c4", "h"},
        [&](const Hooks<Money>& hooks) {
          return charge_.Execute({user_, Money{1000}, std::string("c4")}, hooks);
        },
        Respond<Money>);
  };
  auto waiting = run();
  ASSERT_FALSE(waiting.ok());
  EXPECT_EQ(waiting.error().code, domain::ErrorCode::kIdempotencyInProgress);
  EXPECT_EQ(Balance(), Money{5000});
  clock_.Advance(std::chrono::seconds(61));  // abandoned: its process died mid-request
  const int commits = db_.Commits();
  auto taken = run();
  ASSERT_TRUE(taken.ok()) << taken.error().message;
  EXPECT_FALSE(taken->replay);
  EXPECT_EQ(taken->response.body, "fresh");
  EXPECT_EQ(db_.Commits() - commits, 1);
  EXPECT_EQ(Balance(), Money{6000});
  EXPECT_TRUE(Record("wallet.charge", "c4")->completed);
  auto again = run();
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->replay);
}

TEST_F(IdempotentWriteTest, KeyLengthIsChecked) {
  EXPECT_EQ(ErrorCode(Charge(std::string(256, 'k'), 1000)), "invalid_request");
  EXPECT_EQ(Charge(std::string(255, 'k'), 1000).status, 200);
}

TEST_F(ServerTest, RateLimitAnswers429) {
  HttpSettings settings;
  settings.rate_limit_per_second = 0.001;
  settings.rate_limit_burst = 2;
  StartServer(settings);
  EXPECT_EQ(Send(bhttp::verb::get, "/api/v1/concerts").status, 200);
  EXPECT_EQ(Send(bhttp::verb::get, "/api/v1/concerts").status, 200);
  auto r = Send(bhttp::verb::get, "/api/v1/concerts");
  EXPECT_EQ(r.status, 429);
  EXPECT_EQ(ErrorCode(r), "rate_limited");
  EXPECT_FALSE(r.headers["Retry-After"].empty());
  EXPECT_EQ(Send(bhttp::verb::get, "/healthz").status, 200);  // probes are never throttled
}

// Behind a trusted balancer each client has its own limit; a client that is not a trusted proxy
// cannot pick a fresh limit by writing the header itself.
TEST_F(ServerTest, RateLimitKeysOnTheForwardedClientOnlyBehindATrustedProxy) {
  HttpSettings settings;
  settings.rate_limit_per_second = 0.001;
  settings.rate_limit_burst = 1;
  settings.trusted_proxies = {"127.0.0.1", "::1"};
  StartServer(settings);
  auto from = [&](const std::string& client) {
    return Send(bhttp::verb::get, "/api/v1/concerts", "", {{"X-Forwarded-For", client}}).status;
  };
  EXPECT_EQ(from("203.0.113.1"), 200);
  EXPECT_EQ(from("203.0.113.1"), 429);
  EXPECT_EQ(from("203.0.113.2"), 200);               // another client behind the same balancer
  EXPECT_EQ(from("203.0.113.9, 203.0.113.2"), 429);  // what the client wrote is ignored
}

TEST_F(ServerTest, ForwardedForIsIgnoredWithoutTrustedProxies) {
  HttpSettings settings;
  settings.rate_limit_per_second = 0.001;
  settings.rate_limit_burst = 1;
  StartServer(settings);
  auto from = [&](const std::string& client) {
    return Send(bhttp::verb::get, "/api/v1/concerts", "", {{"X-Forwarded-For", client}}).status;
  };
  EXPECT_EQ(from("203.0.113.1"), 200);
  EXPECT_EQ(from("203.0.113.2"), 429);  // the same peer, whatever the header says
}

TEST_F(ServerTest, AdminNeedsTheToken) {
  StartServer();
  EXPECT_EQ(ErrorCode(Send(bhttp::verb::get, "/api/v1/admin/policies")), "unauthenticated");
  EXPECT_EQ(ErrorCode(Send(bhttp::verb::get, "/api/v1/admin/policies", "",
                           {{"Authorization", "Bearer wrong"}})),
            "invalid_token");
  auto r = Send(bhttp::verb::put, "/api/v1/admin/policies", R"({"holdTtlSeconds": 60})",
                {{"Authorization", "Bearer admin-secret"}});
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.Json().at("data").at("holdTtlSeconds").as_int64(), 60);
  EXPECT_EQ(Send(bhttp::verb::put, "/api/v1/admin/policies", R"({"bogus": 1})",
                 {{"Authorization", "Bearer admin-secret"}})
                .status,
            400);
}

TEST_F(ServerTest, MetricsAndOpenApi) {
  StartServer();
  Send(bhttp::verb::get, "/healthz");
  auto metrics = Send(bhttp::verb::get, "/metrics");
  EXPECT_EQ(metrics.status, 200);
  EXPECT_NE(metrics.body.find("boxoffice_http_requests_total{route=\"/healthz\",method=\"GET\","
                              "status=\"200\"} 1"),
            std::string::npos);
  auto spec = Send(bhttp::verb::get, "/openapi.yaml");
  EXPECT_EQ(spec.status, 200);
  EXPECT_EQ(spec.headers[bhttp::field::content_type], "application/yaml");
  EXPECT_EQ(spec.body.rfind("openapi: 3.0.3", 0), 0u);
}

// A waiting place of user 7 in concert 1 and its queue token.
class StreamTest : public ServerTest {
 protected:
  void SetUp() override {
    const auto place = room_.Join(kConcert, kUser, clock_.Now(), clock_.Now(), policies_.Current());
    token_ = tokens_.IssueQueue({.user_id = kUser,
                                 .concert_id = kConcert,
                                 .sequence = place.sequence,
                                 .generation = place.generation},
                                clock_.Now());
  }
  static constexpr domain::ConcertId kConcert{1};
  static constexpr domain::UserId kUser{7};
  std::string token_;
};

TEST_F(StreamTest, SendsTheStatusThenAdmissionAndEnds) {
  StartServer();
  RawClient client(server_->Port(), "/api/v1/queue/stream", {{"User-Token", token_}});
  ASSERT_TRUE(client.ReadUntil("}\n\n")) << client.Received();
  const auto& text = client.Received();
  EXPECT_EQ(text.rfind("HTTP/1.1 200 OK\r\n", 0), 0u) << text;
  EXPECT_NE(text.find("Content-Type: text/event-stream\r\n"), std::string::npos);
  EXPECT_NE(text.find("Cache-Control: no-cache\r\n"), std::string::npos);
  EXPECT_NE(text.find("Transfer-Encoding: chunked\r\n"), std::string::npos);
  EXPECT_NE(text.find(R"(data: {"status":"WAITING","position":1,)"), std::string::npos) << text;
  const int touches = room_.Touches();

  room_.SetView(kConcert, kUser, {domain::QueueState::kActive, 0, clock_.Now()});
  ASSERT_TRUE(client.ReadToEnd()) << client.Received();
  EXPECT_NE(client.Received().find(R"(data: {"status":"ACTIVE","position":0,)"), std::string::npos)
      << client.Received();
  EXPECT_TRUE(client.Received().ends_with("\r\n0\r\n\r\n")) << client.Received();
  EXPECT_GT(room_.Touches(), touches);  // every check is a sign of life
}

TEST_F(StreamTest, TheQueryParameterCarriesTheTokenAndAGonePlaceEndsWithAnError) {
  StartServer();
  RawClient client(server_->Port(), "/api/v1/queue/stream?token=" + token_);
  ASSERT_TRUE(client.ReadUntil(R"("position":1)")) << client.Received();
  room_.Leave(kConcert, kUser);
  ASSERT_TRUE(client.ReadToEnd()) << client.Received();
  EXPECT_NE(client.Received().find("event: error\n"), std::string::npos);
  EXPECT_NE(client.Received().find(R"(data: {"code":"queue_token_not_found",)"), std::string::npos)
      << client.Received();
}

TEST_F(StreamTest, TokenErrorsAreAnsweredBeforeAnyStream) {
  StartServer();
  auto r = Send(bhttp::verb::get, "/api/v1/queue/stream");
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(ErrorCode(r), "unauthenticated");
  r = Send(bhttp::verb::get, "/api/v1/queue/stream", "", {{"User-Token", "forged"}});
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(ErrorCode(r), "invalid_token");
  r = Send(bhttp::verb::get, "/api/v1/queue/stream?token=%zz");
  EXPECT_EQ(ErrorCode(r), "invalid_token");
  room_.Leave(kConcert, kUser);
  r = Send(bhttp::verb::get, "/api/v1/queue/stream?token=" + token_);
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(ErrorCode(r), "queue_token_not_found");
}

TEST_F(StreamTest, BoundsOpenStreamsAndCountsThem) {
  HttpSettings settings;
  settings.max_streams = 1;
  StartServer(settings);
  RawClient first(server_->Port(), "/api/v1/queue/stream", {{"User-Token", token_}});
  ASSERT_TRUE(first.ReadUntil("event: status"));
  auto r = Send(bhttp::verb::get, "/api/v1/queue/stream", "", {{"User-Token", token_}});
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(ErrorCode(r), "unavailable");
  EXPECT_NE(Send(bhttp::verb::get, "/metrics").body.find("\nboxoffice_sse_streams 1\n"),
            std::string::npos);
}

TEST_F(StreamTest, AClientThatLeavesEndsItsStream) {
  StartServer();
  const auto open_streams = [this] {
    const auto body = Send(bhttp::verb::get, "/metrics").body;
    const auto at = body.find("\nboxoffice_sse_streams ");
    return at == std::string::npos ? -1 : std::stoi(body.substr(at + 23));
  };
  {
    RawClient client(server_->Port(), "/api/v1/queue/stream", {{"User-Token", token_}});
    ASSERT_TRUE(client.ReadUntil("event: status"));
    EXPECT_EQ(open_streams(), 1);
  }  // closes the connection between two checks
  // Noticed at once, not at the next check or keep-alive: a few round trips at most.
  const auto deadline = steady_clock::now() + std::chrono::milliseconds(500);
  int open = open_streams();
  while (open != 0 && steady_clock::now() < deadline) open = open_streams();
  EXPECT_EQ(open, 0);
}

TEST_F(StreamTest, StopEndsOpenStreamsPromptly) {
  StartServer();
  RawClient client(server_->Port(), "/api/v1/queue/stream", {{"User-Token", token_}});
  ASSERT_TRUE(client.ReadUntil("event: status"));
  const auto start = steady_clock::now();
  server_->Stop();
  // Stop waits up to 2 s for connections that do not end; a stream must end at once.
  EXPECT_LT(steady_clock::now() - start, std::chrono::seconds(1));
  EXPECT_TRUE(client.ReadToEnd(std::chrono::seconds(1)));
}

TEST_F(ServerTest, StopIsIdempotentAndRefusesNewConnections) {
  StartServer();
  const auto port = server_->Port();
  server_->Stop();
  server_->Stop();
  asio::io_context ioc;
  tcp::socket socket(ioc);
  boost::system::error_code ec;
  socket.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port), ec);
  EXPECT_TRUE(ec);
}

}  // namespace
}  // namespace boxoffice::http
