#include "infrastructure/system/http_webhook_sender.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>
#include <boost/url/parse.hpp>
#include <stdexcept>
#include <utility>

namespace boxoffice::infra {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace json = boost::json;
using tcp = boost::asio::ip::tcp;

struct Target {
  std::string host;
  std::string port;
  std::string path;
};

Target ParseTarget(const std::string& url) {
  auto parsed = boost::urls::parse_uri(url);
  if (!parsed) throw std::invalid_argument("webhook URL is not a valid URI: " + url);
  const boost::urls::url_view& u = *parsed;
  if (u.scheme_id() == boost::urls::scheme::https) {
    throw std::invalid_argument(
        "webhook URL: https is not supported in this build (no TLS client); use http:// or a "
        "local relay: " +
        url);
  }
  if (u.scheme_id() != boost::urls::scheme::http) {
    throw std::invalid_argument("webhook URL must start with http://: " + url);
  }
  if (u.host().empty()) throw std::invalid_argument("webhook URL has no host: " + url);
  Target t;
  t.host = u.host();
  t.port = u.has_port() ? std::string(u.port()) : "80";
  t.path = std::string(u.encoded_path());
  if (t.path.empty()) t.path = "/";
  if (u.has_query()) t.path += "?" + std::string(u.encoded_query());
  return t;
}

std::string Payload(const domain::OutboxRecord& record) {
  json::object body;
  body["event"] = domain::EventType(record.event);
  body["eventId"] = record.id;
  std::visit(
      [&body](const auto& e) {
        using E = std::decay_t<decltype(e)>;
        body["reservationId"] = e.reservation_id.value;
        body["userId"] = e.user_id.value;
        body["concertId"] = e.concert_id.value;
        if constexpr (std::is_same_v<E, domain::PaymentCompleted>) {
          body["paymentId"] = e.payment_id.value;
          body["amount"] = e.amount.won;
          body["seatCount"] = e.seat_count;
          body["text"] = "Payment completed: reservation " +
                         std::to_string(e.reservation_id.value) + ", user " +
                         std::to_string(e.user_id.value) + ", amount " +
                         std::to_string(e.amount.won) + " KRW";
        } else {
          body["text"] = "Reservation cancelled: reservation " +
                         std::to_string(e.reservation_id.value) + ", user " +
                         std::to_string(e.user_id.value);
        }
      },
      record.event);
  return json::serialize(body);
}

}  // namespace

HttpWebhookSender::HttpWebhookSender(std::string url, std::chrono::milliseconds timeout)
    : url_(std::move(url)), timeout_(timeout) {
  ParseTarget(url_);
}

bool HttpWebhookSender::Notify(const domain::OutboxRecord& record) {
  const Target target = ParseTarget(url_);
  try {
    boost::asio::io_context ioc;
    tcp::resolver resolver(ioc);
    beast::tcp_stream stream(ioc);
    bool ok = false;

    http::request<http::string_body> req{http::verb::post, target.path, 11};
    req.set(http::field::host, target.host);
    req.set(http::field::content_type, "application/json");
    req.set(http::field::user_agent, "boxoffice");
    req.body() = Payload(record);
    req.prepare_payload();
    beast::flat_buffer buffer;
    http::response<http::string_body> res;

    // Asynchronous operations on a private io_context so that one deadline covers resolve,
    // connect, write and read; blocking calls would ignore expires_after.
    stream.expires_after(timeout_);
    resolver.async_resolve(
        target.host, target.port, [&](beast::error_code ec, tcp::resolver::results_type results) {
          if (ec) return;
          stream.async_connect(results, [&](beast::error_code ec2, const tcp::endpoint&) {
            if (ec2) return;
            http::async_write(stream, req, [&](beast::error_code ec3, std::size_t) {
              if (ec3) return;
              http::async_read(stream, buffer, res, [&](beast::error_code ec4, std::size_t) {
                if (ec4) return;
                const unsigned status = res.result_int();
                ok = status >= 200 && status < 300;
                beast::error_code ignored;
                stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
              });
            });
          });
        });
    // Resolution is not covered by the stream's timer; bound the whole exchange here too.
    ioc.run_for(timeout_ + std::chrono::milliseconds(100));
    return ok;
  } catch (const std::exception&) {
    return false;
  }
}

}  // namespace boxoffice::infra
