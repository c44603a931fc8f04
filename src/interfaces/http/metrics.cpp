#include "interfaces/http/metrics.hpp"

#include <cstdio>

namespace boxoffice::http {
namespace {

constexpr int kMaxStatus = 600;
constexpr std::array<std::string_view, 7> kKnownMethods{"GET",    "POST", "PUT",    "PATCH",
                                                        "DELETE", "HEAD", "OPTIONS"};
constexpr std::string_view kOtherMethod = "OTHER";

std::string Key(std::string_view method, std::string_view route) {
  std::string key(method);
  key += ' ';
  key += route;
  return key;
}

std::string Escape(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (c == '\\' || c == '"') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::string FormatDouble(double v) {
  char buffer[64];
  std::snprintf(buffer, sizeof(buffer), "%.6g", v);
  return buffer;
}

void Header(std::string& out, std::string_view name, std::string_view type, std::string_view help) {
  out.append("# HELP ").append(name).append(" ").append(help).append("\n");
  out.append("# TYPE ").append(name).append(" ").append(type).append("\n");
}

}  // namespace

struct Metrics::SeriesData {
  std::string route;
  std::string method;
  std::array<std::atomic<std::uint64_t>, kMaxStatus> by_status{};
  std::array<std::atomic<std::uint64_t>, kBuckets.size()> buckets{};  // not cumulative
  std::atomic<std::uint64_t> count{0};
  std::atomic<std::uint64_t> sum_nanos{0};
};

Metrics::Metrics(std::span<const RouteSpec> routes) {
  auto add = [this](std::string_view route, std::string_view method) {
    auto data = std::make_unique<SeriesData>();
    data->route = route;
    data->method = method;
    index_.emplace(Key(method, route), static_cast<int>(series_.size()));
    series_.push_back(std::move(data));
  };
  for (const auto& spec : routes) add(spec.path, spec.method);
  for (auto method : kKnownMethods) add(kUnmatchedRoute, method);
  add(kUnmatchedRoute, kOtherMethod);
}

Metrics::~Metrics() = default;

int Metrics::Series(std::string_view route, std::string_view method) const {
  if (auto it = index_.find(Key(method, route)); it != index_.end()) return it->second;
  if (auto it = index_.find(Key(method, kUnmatchedRoute)); it != index_.end()) return it->second;
  return index_.at(Key(kOtherMethod, kUnmatchedRoute));
}

void Metrics::ObserveRequest(int series, int status, double seconds) {
  if (series < 0 || static_cast<std::size_t>(series) >= series_.size()) return;
  SeriesData& data = *series_[static_cast<std::size_t>(series)];
  if (status < 0 || status >= kMaxStatus) status = 0;
  data.by_status[static_cast<std::size_t>(status)].fetch_add(1, std::memory_order_relaxed);
  for (std::size_t i = 0; i < kBuckets.size(); ++i) {
    if (seconds <= kBuckets[i]) {
      data.buckets[i].fetch_add(1, std::memory_order_relaxed);
      break;
    }
  }
  data.count.fetch_add(1, std::memory_order_relaxed);
  data.sum_nanos.fetch_add(static_cast<std::uint64_t>(seconds > 0 ? seconds * 1e9 : 0),
                           std::memory_order_relaxed);
}

std::string Metrics::Render(const Gauges& gauges) const {
  std::string out;
  out.reserve(16 * 1024);

  Header(out, "boxoffice_http_requests_total", "counter",
         "HTTP requests by route, method, status.");
  for (const auto& s : series_) {
    const std::string labels = "route=\"" + Escape(s->route) + "\",method=\"" + Escape(s->method);
    for (int status = 0; status < kMaxStatus; ++status) {
      const auto n = s->by_status[static_cast<std::size_t>(status)].load(std::memory_order_relaxed);
      if (n == 0) continue;
      out += "boxoffice_http_requests_total{" + labels + "\",status=\"" + std::to_string(status) +
             "\"} " + std::to_string(n) + "\n";
    }
  }

  Header(out, "boxoffice_http_request_duration_seconds", "histogram",
         "HTTP request latency by route and method.");
  for (const auto& s : series_) {
    const auto count = s->count.load(std::memory_order_relaxed);
    if (count == 0) continue;
    const std::string labels =
        "route=\"" + Escape(s->route) + "\",method=\"" + Escape(s->method) + "\"";
    std::uint64_t cumulative = 0;
    for (std::size_t i = 0; i < kBuckets.size(); ++i) {
      cumulative += s->buckets[i].load(std::memory_order_relaxed);
      out += "boxoffice_http_request_duration_seconds_bucket{" + labels + ",le=\"" +
             FormatDouble(kBuckets[i]) + "\"} " + std::to_string(cumulative) + "\n";
    }
    // Read separately from the buckets, so +Inf is never below the last finite bucket.
    const auto total = std::max(count, cumulative);
    out += "boxoffice_http_request_duration_seconds_bucket{" + labels + ",le=\"+Inf\"} " +
           std::to_string(total) + "\n";
    out += "boxoffice_http_request_duration_seconds_sum{" + labels + "} " +
           FormatDouble(static_cast<double>(s->sum_nanos.load(std::memory_order_relaxed)) / 1e9) +
           "\n";
    out += "boxoffice_http_request_duration_seconds_count{" + labels + "} " +
           std::to_string(total) + "\n";
  }

  auto counter = [&out](std::string_view name, std::string_view help, std::uint64_t value) {
    Header(out, name, "counter", help);
    out.append(name).append(" ").append(std::to_string(value)).append("\n");
  };
  counter("boxoffice_holds_total", "Seat holds created.", holds_.load(std::memory_order_relaxed));
  counter("boxoffice_reservations_total", "Reservations created.",
          reservations_.load(std::memory_order_relaxed));
  counter("boxoffice_payments_total", "Payments completed.",
          payments_.load(std::memory_order_relaxed));
  counter("boxoffice_seats_sold_total", "Seats sold by completed payments.",
          seats_sold_.load(std::memory_order_relaxed));

  auto queue_gauge = [&](std::string_view name, std::string_view type, std::string_view help,
                         auto value_of) {
    Header(out, name, type, help);
    for (const auto& q : gauges.queues) {
      out.append(name)
          .append("{concert=\"")
          .append(std::to_string(q.concert.value))
          .append("\"} ")
          .append(std::to_string(value_of(q.stats)))
          .append("\n");
    }
  };
  queue_gauge("boxoffice_queue_waiting", "gauge", "Users waiting in the queue of a concert.",
              [](const domain::QueueStats& s) { return s.waiting; });
  queue_gauge("boxoffice_queue_active", "gauge", "Users admitted to a concert right now.",
              [](const domain::QueueStats& s) { return s.active; });
  queue_gauge("boxoffice_queue_admitted_total", "counter", "Users admitted to a concert so far.",
              [](const domain::QueueStats& s) { return s.admitted_total; });

  if (gauges.outbox_backlog) {
    Header(out, "boxoffice_outbox_backlog", "gauge", "Outbox events not yet published.");
    out += "boxoffice_outbox_backlog " + std::to_string(*gauges.outbox_backlog) + "\n";
  }
  if (gauges.write_groups) {
    const auto& w = *gauges.write_groups;
    counter("boxoffice_sqlite_write_groups_total",
            "Write transactions committed by SQLite's group commit.", w.groups);
    counter("boxoffice_sqlite_grouped_writes_total",
            "Writes those groups held (writes per group = this / groups).", w.writes);
    Header(out, "boxoffice_sqlite_writes_queued", "gauge",
           "Writes waiting to be taken into a group.");
    out += "boxoffice_sqlite_writes_queued " + std::to_string(w.queued) + "\n";
  }
  auto batch_counter = [&](std::string_view name, std::string_view help, auto value_of) {
    if (gauges.batches.empty()) return;
    Header(out, name, "counter", help);
    for (const auto& b : gauges.batches) {
      out.append(name).append("{kind=\"").append(b.kind).append("\"} ");
      out.append(std::to_string(value_of(b))).append("\n");
    }
  };
  batch_counter("boxoffice_request_batches_total",
                "Batches of requests of one kind served together, each in one transaction at most.",
                [](const Batched& b) { return b.batches; });
  batch_counter("boxoffice_batched_requests_total",
                "Requests those batches held (requests per batch = this / batches).",
                [](const Batched& b) { return b.requests; });
  Header(out, "boxoffice_http_inflight", "gauge", "HTTP requests being processed.");
  out +=
      "boxoffice_http_inflight " + std::to_string(inflight_.load(std::memory_order_relaxed)) + "\n";
  Header(out, "boxoffice_sse_streams", "gauge", "Open event streams (GET /api/v1/queue/stream).");
  out += "boxoffice_sse_streams " + std::to_string(streams_.load(std::memory_order_relaxed)) + "\n";
  return out;
}

}  // namespace boxoffice::http
