#pragma once

#include <optional>
#include <string>
#include <vector>

#include "infrastructure/kafka/kafka_settings.hpp"
#include "infrastructure/redis/redis_pool.hpp"
#include "infrastructure/sql/sql_database.hpp"
#include "interfaces/http/server.hpp"

namespace boxoffice::config {

enum class Profile { kEmbedded, kCluster };
enum class Command { kServe, kMigrate, kSeed };

struct Config {
  Command command = Command::kServe;
  bool seed_demo = false;  // `seed --demo`
  Profile profile = Profile::kEmbedded;
  std::string data_dir = "./data";
  std::string jwt_secret;  // BOXOFFICE_JWT_SECRET; when empty, read or created in data_dir
  int access_token_ttl_seconds = 86'400;
  std::string webhook_url;  // BOXOFFICE_WEBHOOK_URL; empty: notifications off
  int scheduler_tick_ms = 100;
  // Cluster: how long an instance serves its own copy of the shared catalogue cache; 0 reads
  // Redis on every catalogue read (see NearCatalogueCache).
  int catalogue_near_ttl_ms = 1000;
  std::string log_level = "info";
  http::HttpSettings http;
  infra::SqliteSettings sqlite;  // path defaults to <data_dir>/boxoffice.db
  // Cluster profile only (BOXOFFICE_PROFILE=cluster); ParseConfig rejects them otherwise.
  infra::MysqlSettings mysql;                  // url from BOXOFFICE_DB_URL (required in cluster)
  infra::RedisSettings redis;                  // url from BOXOFFICE_REDIS_URL (required in cluster)
  std::string redis_key_prefix = "boxoffice";  // BOXOFFICE_REDIS_KEY_PREFIX
  // BOXOFFICE_KAFKA_*: with brokers set, events travel through Kafka; without, through the
  // in-process bus. client_id is the instance id.
  infra::KafkaSettings kafka;
  std::string instance_id;  // BOXOFFICE_INSTANCE_ID; defaults to <hostname>-<pid>
};

// Builds the configuration from defaults < file (boxoffice.toml, or --config) < environment
// (BOXOFFICE_*) < command-line flags, and validates it. On bad input returns an error message
// naming the setting and the accepted range; on --help returns the usage text with `help` set.
struct ParseOutcome {
  std::optional<Config> config;
  std::string message;  // error or help text
  bool help = false;
};
ParseOutcome ParseConfig(int argc, char** argv, const std::vector<std::string>& environment);

}  // namespace boxoffice::config
