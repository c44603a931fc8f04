#include "infrastructure/kafka/kafka_topic.hpp"

#include <librdkafka/rdkafka.h>

#include <memory>
#include <string>

#include "infrastructure/kafka/kafka_log.hpp"

namespace boxoffice::infra {
namespace {

// librdkafka's admin API exists only in C; these own its objects.
struct NewTopicDeleter {
  void operator()(rd_kafka_NewTopic_t* p) const { rd_kafka_NewTopic_destroy(p); }
};
struct OptionsDeleter {
  void operator()(rd_kafka_AdminOptions_t* p) const { rd_kafka_AdminOptions_destroy(p); }
};
struct QueueDeleter {
  void operator()(rd_kafka_queue_t* p) const { rd_kafka_queue_destroy(p); }
};
struct EventDeleter {
  void operator()(rd_kafka_event_t* p) const { rd_kafka_event_destroy(p); }
};

void Refused(const KafkaSettings& settings, const std::string& error) {
  LogKafka(spdlog::level::warn, "kafka topic not ensured",
           {{"topic", settings.topic}, {"error", error}});
}

}  // namespace

bool EnsureKafkaTopic(RdKafka::Handle& client, const KafkaSettings& settings,
                      std::chrono::milliseconds timeout) {
  rd_kafka_t* rk = client.c_ptr();
  char errstr[512] = {};
  std::unique_ptr<rd_kafka_NewTopic_t, NewTopicDeleter> topic(
      rd_kafka_NewTopic_new(settings.topic.c_str(), settings.partitions,
                            settings.replication_factor, errstr, sizeof(errstr)));
  if (!topic) {
    Refused(settings, errstr);
    return false;
  }
  std::unique_ptr<rd_kafka_AdminOptions_t, OptionsDeleter> options(
      rd_kafka_AdminOptions_new(rk, RD_KAFKA_ADMIN_OP_CREATETOPICS));
  const int timeout_ms = static_cast<int>(timeout.count());
  if (rd_kafka_AdminOptions_set_request_timeout(options.get(), timeout_ms, errstr,
                                                sizeof(errstr)) != RD_KAFKA_RESP_ERR_NO_ERROR ||
      rd_kafka_AdminOptions_set_operation_timeout(options.get(), timeout_ms, errstr,
                                                  sizeof(errstr)) != RD_KAFKA_RESP_ERR_NO_ERROR) {
    Refused(settings, errstr);
    return false;
  }
  std::unique_ptr<rd_kafka_queue_t, QueueDeleter> queue(rd_kafka_queue_new(rk));
  rd_kafka_NewTopic_t* topics[] = {topic.get()};
  rd_kafka_CreateTopics(rk, topics, 1, options.get(), queue.get());
  // The request itself times out after `timeout`; the margin lets its answer arrive.
  std::unique_ptr<rd_kafka_event_t, EventDeleter> result(
      rd_kafka_queue_poll(queue.get(), timeout_ms + 2000));
  if (!result) {
    Refused(settings, "no answer in time");
    return false;
  }
  if (rd_kafka_event_error(result.get()) != RD_KAFKA_RESP_ERR_NO_ERROR) {
    Refused(settings, rd_kafka_event_error_string(result.get()));
    return false;
  }
  std::size_t count = 0;
  const rd_kafka_topic_result_t** results =
      rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(result.get()), &count);
  if (count != 1) {
    Refused(settings, "unexpected answer");
    return false;
  }
  const rd_kafka_resp_err_t err = rd_kafka_topic_result_error(results[0]);
  if (err == RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) return true;
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    const char* detail = rd_kafka_topic_result_error_string(results[0]);
    Refused(settings, detail != nullptr ? detail : rd_kafka_err2str(err));
    return false;
  }
  LogKafka(spdlog::level::info, "kafka topic created",
           {{"topic", settings.topic}, {"partitions", settings.partitions}});
  return true;
}

}  // namespace boxoffice::infra
