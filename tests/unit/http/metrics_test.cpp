#include "interfaces/http/metrics.hpp"

#include <gtest/gtest.h>

#include <regex>
#include <set>
#include <sstream>

namespace boxoffice::http {
namespace {

bool Contains(const std::string& text, const std::string& needle) {
  return text.find(needle) != std::string::npos;
}

TEST(MetricsTest, CountsRequestsByRouteMethodStatus) {
  Metrics metrics(AllRoutes());
  const int seats = metrics.Series("/api/v1/concert-events/{eventId}/seats", "GET");
  metrics.ObserveRequest(seats, 200, 0.002);
  metrics.ObserveRequest(seats, 200, 0.02);
  metrics.ObserveRequest(seats, 404, 7);
  const auto text = metrics.Render({});
  EXPECT_TRUE(Contains(text,
                       "boxoffice_http_requests_total{route=\"/api/v1/concert-events/"
                       "{eventId}/seats\",method=\"GET\",status=\"200\"} 2\n"));
  EXPECT_TRUE(Contains(text, "status=\"404\"} 1\n"));
  const std::string labels = "route=\"/api/v1/concert-events/{eventId}/seats\",method=\"GET\"";
  EXPECT_TRUE(Contains(
      text, "boxoffice_http_request_duration_seconds_bucket{" + labels + ",le=\"0.001\"} 0\n"));
  EXPECT_TRUE(Contains(
      text, "boxoffice_http_request_duration_seconds_bucket{" + labels + ",le=\"0.0025\"} 1\n"));
  EXPECT_TRUE(Contains(
      text, "boxoffice_http_request_duration_seconds_bucket{" + labels + ",le=\"5\"} 2\n"));
  EXPECT_TRUE(Contains(
      text, "boxoffice_http_request_duration_seconds_bucket{" + labels + ",le=\"+Inf\"} 3\n"));
  EXPECT_TRUE(Contains(text, "boxoffice_http_request_duration_seconds_count{" + labels + "} 3\n"));
  EXPECT_TRUE(
      Contains(text, "boxoffice_http_request_duration_seconds_sum{" + labels + "} 7.022\n"));
}

TEST(MetricsTest, UnknownRoutesAndMethodsShareBoundedSeries) {
  Metrics metrics(AllRoutes());
  const int a = metrics.Series("/nope", "GET");
  EXPECT_EQ(a, metrics.Series(Metrics::kUnmatchedRoute, "GET"));
  EXPECT_EQ(metrics.Series("/x", "BREW"), metrics.Series("/y", "FROB"));
  metrics.ObserveRequest(metrics.Series("/x", "BREW"), 404, 0.001);
  EXPECT_TRUE(
      Contains(metrics.Render({}), "route=\"unmatched\",method=\"OTHER\",status=\"404\"} 1"));
}

TEST(MetricsTest, BusinessCountersAndGauges) {
  Metrics metrics(AllRoutes());
  metrics.HoldCreated();
  metrics.ReservationCreated();
  metrics.PaymentCompleted(3);
  metrics.RequestStarted();
  Metrics::Gauges gauges;
  gauges.queues.push_back(
      {domain::ConcertId{7}, {.waiting = 12, .active = 5, .admitted_total = 40}});
  gauges.outbox_backlog = 2;
  const auto text = metrics.Render(gauges);
  EXPECT_TRUE(Contains(text, "\nboxoffice_holds_total 1\n"));
  EXPECT_TRUE(Contains(text, "\nboxoffice_reservations_total 1\n"));
  EXPECT_TRUE(Contains(text, "\nboxoffice_payments_total 1\n"));
  EXPECT_TRUE(Contains(text, "\nboxoffice_seats_sold_total 3\n"));
  EXPECT_TRUE(Contains(text, "\nboxoffice_queue_waiting{concert=\"7\"} 12\n"));
  EXPECT_TRUE(Contains(text, "\nboxoffice_queue_active{concert=\"7\"} 5\n"));
  EXPECT_TRUE(Contains(text, "\nboxoffice_queue_admitted_total{concert=\"7\"} 40\n"));
  EXPECT_TRUE(Contains(text, "\nboxoffice_outbox_backlog 2\n"));
  EXPECT_TRUE(Contains(text, "\nboxoffice_http_inflight 1\n"));
  EXPECT_TRUE(Contains(text, "\nboxoffice_sse_streams 0\n"));
}

TEST(MetricsTest, SqliteWriteGroupsOnlyWhenGiven) {
  Metrics metrics(AllRoutes());
  EXPECT_FALSE(Contains(metrics.Render({}), "boxoffice_sqlite_"));
  Metrics::Gauges gauges;
  gauges.write_groups = Metrics::WriteGroups{.groups = 40, .writes = 130, .queued = 3};
  const auto text = metrics.Render(gauges);
  EXPECT_TRUE(Contains(text, "# TYPE boxoffice_sqlite_write_groups_total counter\n"));
  EXPECT_TRUE(Contains(text, "\nboxoffice_sqlite_write_groups_total 40\n"));
  EXPECT_TRUE(Contains(text, "\nboxoffice_sqlite_grouped_writes_total 130\n"));
  EXPECT_TRUE(Contains(text, "# TYPE boxoffice_sqlite_writes_queued gauge\n"));
  EXPECT_TRUE(Contains(text, "\nboxoffice_sqlite_writes_queued 3\n"));
}

TEST(MetricsTest, RequestBatchesByKindOnlyWhenGiven) {
  Metrics metrics(AllRoutes());
  EXPECT_FALSE(Contains(metrics.Render({}), "batch"));
  Metrics::Gauges gauges;
  gauges.batches = {{"charge", 4, 30}, {"signup", 2, 5}};
  const auto text = metrics.Render(gauges);
  EXPECT_TRUE(Contains(text, "# TYPE boxoffice_request_batches_total counter\n"));
  EXPECT_TRUE(Contains(text, "\nboxoffice_request_batches_total{kind=\"charge\"} 4\n"));
  EXPECT_TRUE(Contains(text, "\nboxoffice_request_batches_total{kind=\"signup\"} 2\n"));
  EXPECT_TRUE(Contains(text, "# TYPE boxoffice_batched_requests_total counter\n"));
  EXPECT_TRUE(Contains(text, "\nboxoffice_batched_requests_total{kind=\"charge\"} 30\n"));
  EXPECT_TRUE(Contains(text, "\nboxoffice_batched_requests_total{kind=\"signup\"} 5\n"));
}

TEST(MetricsTest, CountsOpenStreams) {
  Metrics metrics(AllRoutes());
  metrics.StreamOpened();
  metrics.StreamOpened();
  metrics.StreamClosed();
  const auto text = metrics.Render({});
  EXPECT_TRUE(Contains(text, "# TYPE boxoffice_sse_streams gauge\n"));
  EXPECT_TRUE(Contains(text, "\nboxoffice_sse_streams 1\n"));
}

// Every line is a comment (# HELP / # TYPE) or `name{labels} value` per text format 0.0.4,
// and every sample's family was declared by a TYPE line before it.
TEST(MetricsTest, TextFormatIsWellFormed) {
  Metrics metrics(AllRoutes());
  metrics.ObserveRequest(metrics.Series("/api/v1/concerts", "GET"), 200, 0.01);
  Metrics::Gauges gauges;
  gauges.queues.push_back({domain::ConcertId{1}, {}});
  const auto text = metrics.Render(gauges);
  ASSERT_FALSE(text.empty());
  EXPECT_EQ(text.back(), '\n');
  const std::regex sample(
      R"(^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\]|\\.)*"(?:,[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\]|\\.)*")*\})? -?[0-9.e+Inf-]+$)");
  const std::regex type_line(R"(^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram)$)");
  std::set<std::string> declared;
  std::istringstream lines(text);
  std::string line;
  int samples = 0;
  while (std::getline(lines, line)) {
    std::smatch m;
    if (std::regex_match(line, m, type_line)) {
      EXPECT_TRUE(declared.insert(m[1]).second) << "declared twice: " << line;
      continue;
    }
    if (line.rfind("# HELP ", 0) == 0) continue;
    ASSERT_TRUE(std::regex_match(line, m, sample)) << line;
    std::string family = m[1];
    for (auto suffix : {"_bucket", "_sum", "_count"}) {
      if (!declared.count(family) && family.size() > std::string(suffix).size() &&
          family.ends_with(suffix)) {
        family = family.substr(0, family.size() - std::string(suffix).size());
      }
    }
    EXPECT_TRUE(declared.count(family)) << "undeclared family: " << line;
    ++samples;
  }
  EXPECT_GT(samples, 10);
}

}  // namespace
}  // namespace boxoffice::http
