#pragma once

#include <librdkafka/rdkafkacpp.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <boost/json.hpp>
#include <chrono>
#include <map>
#include <mutex>
#include <string>
#include <string_view>

namespace boxoffice::infra {

// One JSON log line through spdlog, in the shape the rest of the server writes.
void LogKafka(spdlog::level::level_enum level, std::string_view msg,
              boost::json::object fields = {});

// Receives librdkafka's log lines and error events, which it would otherwise print to stderr,
// and writes them as JSON lines. A broker that is down makes librdkafka report the same failure
// on every reconnect: each kind of failure is logged as a warning at most once per
// kRepeatInterval, its repeats at debug level. librdkafka calls this from its own threads.
class KafkaLogger : public RdKafka::EventCb {
 public:
  static constexpr auto kRepeatInterval = std::chrono::seconds(30);
  explicit KafkaLogger(std::string role) : role_(std::move(role)) {}
  void event_cb(RdKafka::Event& event) override;
  // True once librdkafka reported a fatal error: the client is unusable and must be recreated.
  bool Fatal() const { return fatal_.load(); }

 private:
  // True when `key` was not logged as a warning within kRepeatInterval (and records it now).
  bool FirstInInterval(const std::string& key);

  std::string role_;
  std::atomic<bool> fatal_{false};
  std::mutex mu_;
  std::map<std::string, std::chrono::steady_clock::time_point> last_warned_;
};

}  // namespace boxoffice::infra
