#include "interfaces/http/access_log.hpp"

#include <spdlog/async.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <cstdio>
#include <memory>
#include <random>

namespace boxoffice::http {
namespace {

std::string FormatTimestamp(std::chrono::system_clock::time_point ts) {
  using namespace std::chrono;
  const auto ms = floor<milliseconds>(ts);
  const auto days = floor<std::chrono::days>(ms);
  const year_month_day date{days};
  const hh_mm_ss<milliseconds> time{ms - days};
  char buffer[40];
  std::snprintf(buffer, sizeof(buffer), "%04d-%02u-%02uT%02d:%02d:%02d.%03dZ", int(date.year()),
                unsigned(date.month()), unsigned(date.day()), int(time.hours().count()),
                int(time.minutes().count()), int(time.seconds().count()),
                int(time.subseconds().count()));
  return buffer;
}

}  // namespace

std::string FormatAccessLine(const AccessRecord& r) {
  boost::json::object line;
  line["ts"] = FormatTimestamp(r.ts);
  line["level"] = "info";
  line["msg"] = "request";
  line["request_id"] = r.request_id;
  line["method"] = r.method;
  line["path"] = r.path;
  line["route"] = r.route;
  line["status"] = r.status;
  line["duration_ms"] = static_cast<double>(static_cast<long long>(r.duration_ms * 1000)) / 1000;
  return boost::json::serialize(line);
}

void WriteAccessLine(const AccessRecord& record) {
  // Written by spdlog's background thread through a bounded queue that drops the oldest lines
  // when full: a slow reader of stdout must never stall an I/O thread. Flushed by the
  // periodic flusher main.cpp starts, and at shutdown.
  static const std::shared_ptr<spdlog::logger> logger = [] {
    auto created = spdlog::create_async_nb<spdlog::sinks::stdout_sink_mt>("access");
    created->set_pattern("%v");
    return created;
  }();
  logger->info("{}", FormatAccessLine(record));
}

bool IsSaneRequestId(std::string_view id) {
  if (id.empty() || id.size() > 128) return false;
  for (char c : id) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '_' || c == '.';
    if (!ok) return false;
  }
  return true;
}

std::string GenerateRequestId() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  static constexpr char kHex[] = "0123456789abcdef";
  std::string id(32, '0');
  std::uint64_t a = rng();
  std::uint64_t b = rng();
  for (int i = 0; i < 16; ++i) {
    id[static_cast<std::size_t>(i)] = kHex[(a >> (i * 4)) & 0xF];
    id[static_cast<std::size_t>(16 + i)] = kHex[(b >> (i * 4)) & 0xF];
  }
  return id;
}

}  // namespace boxoffice::http
