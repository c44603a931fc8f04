#include "infrastructure/system/http_webhook_sender.hpp"

#include <gtest/gtest.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>
#include <stdexcept>
#include <thread>

namespace boxoffice::infra {
namespace {

namespace beast = boost::beast;
namespace bhttp = beast::http;
using tcp = boost::asio::ip::tcp;
using namespace std::chrono_literals;

domain::OutboxRecord Paid() {
  domain::PaymentCompleted e;
  e.payment_id = domain::PaymentId{9};
  e.reservation_id = domain::ReservationId{12};
  e.user_id = domain::UserId{34};
  e.concert_id = domain::ConcertId{2};
  e.amount = domain::Money{99'000};
  e.seat_count = 1;
  domain::OutboxRecord record;
  record.id = 5;
  record.event = e;
  return record;
}

// Accepts one connection on a free port, records the request and answers with `status`.
class OneShotReceiver {
 public:
  explicit OneShotReceiver(bhttp::status status)
      : acceptor_(ioc_, tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), 0)) {
    thread_ = std::thread([this, status] {
      tcp::socket socket(ioc_);
      acceptor_.accept(socket);
      beast::flat_buffer buffer;
      bhttp::read(socket, buffer, request_);
      bhttp::response<bhttp::string_body> res{status, 11};
      res.prepare_payload();
      bhttp::write(socket, res);
    });
  }
  ~OneShotReceiver() {
    if (thread_.joinable()) thread_.join();
  }
  std::string Url() const {
    return "http://127.0.0.1:" + std::to_string(acceptor_.local_endpoint().port()) + "/hook";
  }
  const bhttp::request<bhttp::string_body>& Request() {
    thread_.join();
    return request_;
  }

 private:
  boost::asio::io_context ioc_;
  tcp::acceptor acceptor_;
  bhttp::request<bhttp::string_body> request_;
  std::thread thread_;
};

TEST(HttpWebhookSenderTest, PostsSlackCompatibleJson) {
  OneShotReceiver receiver(bhttp::status::ok);
  HttpWebhookSender sender(receiver.Url(), 10s);
  EXPECT_TRUE(sender.Notify(Paid()));
  const auto& req = receiver.Request();
  EXPECT_EQ(req.method(), bhttp::verb::post);
  EXPECT_EQ(req.target(), "/hook");
  const auto body = boost::json::parse(req.body()).as_object();
  EXPECT_EQ(body.at("text").as_string(),
            "Payment completed: reservation 12, user 34, amount 99000 KRW");
  EXPECT_EQ(body.at("event").as_string(), "PaymentCompleted");
  EXPECT_EQ(body.at("eventId").as_int64(), 5);
}

TEST(HttpWebhookSenderTest, Non2xxIsFailure) {
  OneShotReceiver receiver(bhttp::status::internal_server_error);
  HttpWebhookSender sender(receiver.Url(), 10s);
  EXPECT_FALSE(sender.Notify(Paid()));
}

TEST(HttpWebhookSenderTest, UnreachableReceiverIsFailure) {
  std::string url;
  {
    // A port that was free a moment ago and is closed now.
    boost::asio::io_context ioc;
    tcp::acceptor acceptor(ioc, tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), 0));
    url = "http://127.0.0.1:" + std::to_string(acceptor.local_endpoint().port()) + "/";
  }
  HttpWebhookSender sender(url, 2s);
  EXPECT_FALSE(sender.Notify(Paid()));
}

TEST(HttpWebhookSenderTest, HttpsAndMalformedUrlsAreRejectedAtConstruction) {
  EXPECT_THROW(HttpWebhookSender("https://hooks.example.com/x", 1s), std::invalid_argument);
  EXPECT_THROW(HttpWebhookSender("ftp://example.com/", 1s), std::invalid_argument);
  EXPECT_THROW(HttpWebhookSender("not a url", 1s), std::invalid_argument);
}

}  // namespace
}  // namespace boxoffice::infra
