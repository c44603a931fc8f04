#include "interfaces/http/server.hpp"

#include <gtest/gtest.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <boost/json/parse.hpp>
#include <future>
#include <thread>
#include <vector>

#include "fakes/fake_catalogue_cache.hpp"
#include "fakes/fake_clock.hpp"
#include "fakes/fake_token_service.hpp"
#include "fakes/fake_waiting_room.hpp"
#include "fakes/memory_database.hpp"

namespace boxoffice::http {
namespace {

namespace asio = boost::asio;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;

struct Reply {
  int status = 0;
  std::string body;
  bhttp::fields headers;
  boost::json::value Json() const { return boost::json::parse(body); }
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
  Services services_{clock_,
                     authenticate_,
                     queue_access_,
                     create_user_,
                     issue_,
                     status_,
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
