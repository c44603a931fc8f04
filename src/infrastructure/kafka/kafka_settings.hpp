#pragma once

#include <chrono>
#include <string>

namespace boxoffice::infra {

struct KafkaSettings {
  std::string brokers;                     // bootstrap list host:port[,host:port...]
  std::string topic = "boxoffice.events";  // every domain event, keyed by reservation
  std::string group = "boxoffice";         // consumer group of the instances
  int partitions = 6;                      // when this side creates the topic
  int replication_factor = 1;              // likewise
  std::string client_id = "boxoffice";     // the instance id, in the broker's logs
  // How long Publish/PublishAll wait for the broker's acknowledgement before reporting failure
  // (the relay then backs off). Must stay well below the relay's 30 s claim.
  std::chrono::milliseconds publish_timeout{10'000};
  // Consumer: pause after a failed handler call before the message is tried again, doubling per
  // consecutive failure up to the maximum.
  std::chrono::milliseconds retry_backoff{200};
  std::chrono::milliseconds retry_backoff_max{10'000};
};

// Names of the headers every event message carries beside its JSON value.
inline constexpr const char* kEventTypeHeader = "event-type";  // domain::EventType()
inline constexpr const char* kOutboxIdHeader = "outbox-id";    // the consumers' dedupe id
inline constexpr const char* kCreatedAtHeader = "created-at";  // ms since the epoch

}  // namespace boxoffice::infra
