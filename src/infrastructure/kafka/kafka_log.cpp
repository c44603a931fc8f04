#include "infrastructure/kafka/kafka_log.hpp"

namespace boxoffice::infra {

void LogKafka(spdlog::level::level_enum level, std::string_view msg, boost::json::object fields) {
  boost::json::object line;
  line["level"] = spdlog::level::to_string_view(level).data();
  line["msg"] = msg;
  for (auto& [k, v] : fields) line[k] = std::move(v);
  spdlog::log(level, "{}", boost::json::serialize(line));
}

bool KafkaLogger::FirstInInterval(const std::string& key) {
  const auto now = std::chrono::steady_clock::now();
  std::lock_guard lock(mu_);
  auto [it, inserted] = last_warned_.try_emplace(key, now);
  if (inserted) return true;
  if (now - it->second < kRepeatInterval) return false;
  it->second = now;
  return true;
}

void KafkaLogger::event_cb(RdKafka::Event& event) {
  switch (event.type()) {
    case RdKafka::Event::EVENT_ERROR: {
      if (event.fatal()) {
        fatal_ = true;
        LogKafka(
            spdlog::level::err, "kafka fatal error",
            {{"client", role_}, {"error", RdKafka::err2str(event.err())}, {"detail", event.str()}});
        return;
      }
      const std::string key = "error:" + std::to_string(static_cast<int>(event.err()));
      LogKafka(
          FirstInInterval(key) ? spdlog::level::warn : spdlog::level::debug, "kafka error",
          {{"client", role_}, {"error", RdKafka::err2str(event.err())}, {"detail", event.str()}});
      return;
    }
    case RdKafka::Event::EVENT_LOG: {
      // syslog severities: 0..3 error, 4 warning, 5..6 notice/info, 7 debug.
      const int severity = static_cast<int>(event.severity());
      spdlog::level::level_enum level = spdlog::level::debug;
      if (severity <= RdKafka::Event::EVENT_SEVERITY_WARNING) {
        level = FirstInInterval("log:" + event.fac()) ? spdlog::level::warn : spdlog::level::debug;
      } else if (severity <= RdKafka::Event::EVENT_SEVERITY_INFO) {
        level = spdlog::level::info;
      }
      LogKafka(level, "kafka log",
               {{"client", role_}, {"facility", event.fac()}, {"detail", event.str()}});
      return;
    }
    case RdKafka::Event::EVENT_THROTTLE:
      LogKafka(spdlog::level::debug, "kafka throttled",
               {{"client", role_},
                {"broker", event.broker_name()},
                {"throttle_ms", event.throttle_time()}});
      return;
    case RdKafka::Event::EVENT_STATS:
      return;
  }
}

}  // namespace boxoffice::infra
