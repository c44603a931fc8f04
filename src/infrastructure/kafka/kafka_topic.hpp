#pragma once

#include <librdkafka/rdkafkacpp.h>

#include <chrono>

#include "infrastructure/kafka/kafka_settings.hpp"

namespace boxoffice::infra {

// Creates settings.topic with settings.partitions and settings.replication_factor unless it
// exists. True when the topic exists afterwards (created now, or before by anyone); false,
// logged, when the broker did not answer within `timeout` or refused. Uses `client`'s
// connections (the admin API runs on any librdkafka handle).
bool EnsureKafkaTopic(RdKafka::Handle& client, const KafkaSettings& settings,
                      std::chrono::milliseconds timeout);

}  // namespace boxoffice::infra
