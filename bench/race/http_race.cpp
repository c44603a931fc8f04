#include "http_race.hpp"

#include <boost/json.hpp>
#include <chrono>
#include <ctime>
#include <stdexcept>
#include <thread>

#include "http_client.hpp"

namespace boxoffice::bench {
namespace {

constexpr int kSetupThreads = 8;
constexpr auto kAdmissionDeadline = std::chrono::seconds(120);

std::string Iso(std::chrono::system_clock::time_point t) {
  const std::time_t secs = std::chrono::system_clock::to_time_t(t);
  std::tm utc{};
  gmtime_r(&secs, &utc);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return text;
}

// data.<key> (or list.<index>.<key>) of an envelope, as the API documents it.
const boost::json::value& DataField(const boost::json::value& v, std::string_view key) {
  return v.as_object().at("data").as_object().at(key);
}

boost::json::value Expect(const HttpResponse& r, int status, std::string_view what) {
  if (r.status != status) {
    throw std::runtime_error(std::string(what) + ": expected " + std::to_string(status) + ", got " +
                             std::to_string(r.status) + " " + r.body.substr(0, 300));
  }
  return r.body.empty() ? boost::json::value() : boost::json::parse(r.body);
}

}  // namespace

class HttpRace::Impl {
 public:
  Impl(const HttpRaceSettings& settings, int max_callers) : s_(settings) {
    std::tie(host_, port_) = HostAndPort(s_.server_url);
    HttpConnection admin(host_, port_);
    Expect(admin.Request("PUT", "/api/v1/admin/policies", Admin(),
                         R"({"admitBatch":1000000,"admitIntervalMs":10,"maxActive":10000000,)"
                         R"("activeIdleTtlSeconds":86400,"waitingGraceSeconds":86400})"),
           200, "setting policies");
    auto concert = Expect(admin.Request("POST", "/api/v1/admin/concerts", Admin(),
                                        R"({"title":"Race","singer":"Bench","description":""})"),
                          201, "creating the concert");
    concert_ = DataField(concert, "id").as_int64();
    CreateDate(admin);  // the queue admits only to a concert with a date on sale
    SignUpAndQueue(max_callers);
    AwaitAdmission(admin, max_callers);
  }

  RaceRun Run(int callers) {
    if (callers > static_cast<int>(queue_tokens_.size())) {
      throw std::invalid_argument("too many callers");
    }
    HttpConnection admin(host_, port_);
    const std::int64_t event_id = CreateDate(admin);
    auto seats =
        Expect(admin.Request("GET", "/api/v1/concert-events/" + std::to_string(event_id) + "/seats",
                             {{"User-Token", queue_tokens_[0]}}),
               200, "listing seats");
    const std::int64_t seat =
        seats.as_object().at("list").as_array().at(0).as_object().at("id").as_int64();

    const std::string target = "/api/v1/concert-events/" + std::to_string(event_id) + "/occupy";
    const std::string body = R"({"seatId":)" + std::to_string(seat) + "}";
    std::vector<std::unique_ptr<HttpConnection>> connections(callers);
    auto run = RunRace(
        callers, [&](int i) { connections[i] = std::make_unique<HttpConnection>(host_, port_); },
        [&](int i) {
          return connections[i]
              ->Request("POST", target, {{"User-Token", queue_tokens_[i]}}, body)
              .status;
        },
        128 * 1024);
    return run;
  }

 private:
  // A new date of the concert, on sale now, with two seats.
  std::int64_t CreateDate(HttpConnection& admin) {
    const auto now = std::chrono::system_clock::now();
    const std::string body =
        R"({"venue":"Bench hall","startAt":")" + Iso(now + std::chrono::hours(24 * 31)) +
        R"(","durationMinutes":120,"reservationStartAt":")" + Iso(now - std::chrono::hours(1)) +
        R"(","reservationEndAt":")" + Iso(now + std::chrono::hours(24 * 30)) +
        R"(","seatCount":2,"price":50000})";
    auto event = Expect(
        admin.Request("POST", "/api/v1/admin/concerts/" + std::to_string(concert_) + "/events",
                      Admin(), body),
        201, "creating a date");
    return DataField(event, "id").as_int64();
  }

  HttpHeaders Admin() const { return {{"Authorization", "Bearer " + s_.admin_token}}; }

  void SignUpAndQueue(int count) {
    queue_tokens_.assign(count, "");
    std::vector<std::thread> workers;
    std::vector<std::string> errors(kSetupThreads);
    for (int w = 0; w < kSetupThreads; ++w) {
      workers.emplace_back([&, w] {
        try {
          HttpConnection c(host_, port_);
          for (int i = w; i < count; i += kSetupThreads) {
            auto user = Expect(c.Request("POST", "/api/v1/users", {},
                                         R"({"name":"racer-)" + std::to_string(i) + R"("})"),
                               201, "signing up");
            const std::string access(DataField(user, "accessToken").as_string());
            auto token = Expect(
                c.Request("POST", "/api/v1/queue/token", {{"Authorization", "Bearer " + access}},
                          R"({"concertId":)" + std::to_string(concert_) + "}"),
                201, "joining the queue");
            queue_tokens_[i] = std::string(DataField(token, "token").as_string());
          }
        } catch (const std::exception& e) {
          errors[w] = e.what();
        }
      });
    }
    for (auto& t : workers) t.join();
    for (const auto& e : errors) {
      if (!e.empty()) throw std::runtime_error(e);
    }
  }

  void AwaitAdmission(HttpConnection& admin, int count) {
    const auto deadline = std::chrono::steady_clock::now() + kAdmissionDeadline;
    const std::string target = "/api/v1/admin/concerts/" + std::to_string(concert_) + "/queue";
    while (true) {
      auto stats = Expect(admin.Request("GET", target, Admin()), 200, "reading queue stats");
      if (DataField(stats, "active").to_number<std::int64_t>() >= count) return;
      if (std::chrono::steady_clock::now() > deadline) {
        throw std::runtime_error("users not admitted within 120 s: " +
                                 boost::json::serialize(stats));
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));  // the server's admission tick
    }
  }

  HttpRaceSettings s_;
  std::string host_;
  int port_ = 0;
  std::int64_t concert_ = 0;
  std::vector<std::string> queue_tokens_;
};

HttpRace::HttpRace(const HttpRaceSettings& settings, int max_callers)
    : impl_(std::make_unique<Impl>(settings, max_callers)) {}
HttpRace::~HttpRace() = default;

RaceRun HttpRace::Run(int callers) { return impl_->Run(callers); }

}  // namespace boxoffice::bench
