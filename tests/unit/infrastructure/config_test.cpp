#include "config/config.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

namespace boxoffice::config {
namespace {

namespace fs = std::filesystem;

ParseOutcome Parse(std::vector<std::string> args, const std::vector<std::string>& env = {}) {
  args.insert(args.begin(), "boxoffice");
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  return ParseConfig(static_cast<int>(args.size()), argv.data(), env);
}

Config MustParse(std::vector<std::string> args, const std::vector<std::string>& env = {}) {
  auto outcome = Parse(std::move(args), env);
  EXPECT_TRUE(outcome.config.has_value()) << outcome.message;
  return outcome.config.value_or(Config{});
}

std::string ErrorOf(std::vector<std::string> args, const std::vector<std::string>& env = {}) {
  auto outcome = Parse(std::move(args), env);
  EXPECT_FALSE(outcome.config.has_value());
  EXPECT_FALSE(outcome.help);
  return outcome.message;
}

class TempDir {
 public:
  TempDir() {
    std::random_device rd;
    path_ = fs::temp_directory_path() / ("boxoffice-config-test-" + std::to_string(rd()));
    fs::create_directories(path_);
  }
  ~TempDir() { fs::remove_all(path_); }
  std::string Write(const std::string& name, const std::string& text) const {
    std::ofstream(path_ / name) << text;
    return (path_ / name).string();
  }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

TEST(ConfigTest, Defaults) {
  const Config c = MustParse({});
  EXPECT_EQ(c.command, Command::kServe);
  EXPECT_FALSE(c.seed_demo);
  EXPECT_EQ(c.profile, Profile::kEmbedded);
  EXPECT_EQ(c.data_dir, "./data");
  EXPECT_EQ(c.sqlite.path, (fs::path("./data") / "boxoffice.db").string());
  EXPECT_EQ(c.http.address, "0.0.0.0");
  EXPECT_EQ(c.http.port, 8080);
  EXPECT_EQ(c.http.io_threads, 2);
  EXPECT_EQ(c.http.worker_threads, 16);
  EXPECT_EQ(c.http.queue_worker_threads, 4);
  EXPECT_EQ(c.catalogue_near_ttl_ms, 1000);
  EXPECT_EQ(c.http.max_pending, 1024);
  EXPECT_EQ(c.sqlite.pool_size, 8);
  EXPECT_EQ(c.sqlite.busy_timeout_ms, 5000);
  EXPECT_TRUE(c.sqlite.synchronous_full);
  EXPECT_EQ(c.access_token_ttl_seconds, 86'400);
  EXPECT_TRUE(c.http.signup_enabled);
  EXPECT_EQ(c.http.rate_limit_per_second, 100);
  EXPECT_EQ(c.http.rate_limit_burst, 200);
  EXPECT_TRUE(c.http.access_log);
  EXPECT_EQ(c.log_level, "info");
  EXPECT_EQ(c.scheduler_tick_ms, 100);
  EXPECT_FALSE(c.http.test_hooks);
  EXPECT_TRUE(c.jwt_secret.empty());
  EXPECT_TRUE(c.http.admin_token.empty());
  EXPECT_TRUE(c.webhook_url.empty());
}

TEST(ConfigTest, Subcommands) {
  EXPECT_EQ(MustParse({"serve"}).command, Command::kServe);
  EXPECT_EQ(MustParse({"migrate"}).command, Command::kMigrate);
  const Config seed = MustParse({"seed", "--demo"});
  EXPECT_EQ(seed.command, Command::kSeed);
  EXPECT_TRUE(seed.seed_demo);
  EXPECT_TRUE(MustParse({"serve", "--demo"}).seed_demo);
  EXPECT_NE(ErrorOf({"seed"}).find("--demo"), std::string::npos);
  EXPECT_FALSE(Parse({"explode"}).config.has_value());
}

TEST(ConfigTest, HelpIsReportedAsHelp) {
  const auto outcome = Parse({"--help"});
  EXPECT_TRUE(outcome.help);
  EXPECT_FALSE(outcome.config.has_value());
  EXPECT_NE(outcome.message.find("--port"), std::string::npos);
}

TEST(ConfigTest, EveryEnvironmentVariableIsApplied) {
  const Config c = MustParse({}, {"BOXOFFICE_PROFILE=embedded",
                                  "BOXOFFICE_HTTP_ADDRESS=127.0.0.1",
                                  "BOXOFFICE_HTTP_PORT=0",
                                  "BOXOFFICE_HTTP_IO_THREADS=3",
                                  "BOXOFFICE_WORKER_THREADS=5",
                                  "BOXOFFICE_QUEUE_WORKER_THREADS=3",
                                  "BOXOFFICE_MAX_PENDING=77",
                                  "BOXOFFICE_MAX_STREAMS=12",
                                  "BOXOFFICE_DATA_DIR=/tmp/bx",
                                  "BOXOFFICE_DB_PATH=/tmp/other.db",
                                  "BOXOFFICE_DB_POOL_SIZE=4",
                                  "BOXOFFICE_DB_BUSY_TIMEOUT_MS=250",
                                  "BOXOFFICE_DB_SYNCHRONOUS=NORMAL",
                                  "BOXOFFICE_ADMIN_TOKEN=adm1n-token",
                                  "BOXOFFICE_JWT_SECRET=" + std::string(40, 'k'),
                                  "BOXOFFICE_ACCESS_TOKEN_TTL_SECONDS=3600",
                                  "BOXOFFICE_SIGNUP_ENABLED=false",
                                  "BOXOFFICE_WEBHOOK_URL=http://127.0.0.1:9/hook",
                                  "BOXOFFICE_RATE_LIMIT_PER_SECOND=0",
                                  "BOXOFFICE_RATE_LIMIT_BURST=2.5",
                                  "BOXOFFICE_ACCESS_LOG=off",
                                  "BOXOFFICE_TRUSTED_PROXIES=127.0.0.1, ::1",
                                  "BOXOFFICE_LOG_LEVEL=debug",
                                  "BOXOFFICE_SCHEDULER_TICK_MS=20",
                                  "BOXOFFICE_TEST_HOOKS=1",
                                  "BOXOFFICE_SEED_DEMO=true",
                                  "UNRELATED=x"});
  EXPECT_EQ(c.http.address, "127.0.0.1");
  EXPECT_EQ(c.http.port, 0);
  EXPECT_EQ(c.http.io_threads, 3);
  EXPECT_EQ(c.http.worker_threads, 5);
  EXPECT_EQ(c.http.queue_worker_threads, 3);
  EXPECT_EQ(c.http.max_pending, 77);
  EXPECT_EQ(c.http.max_streams, 12);
  EXPECT_EQ(c.http.trusted_proxies, (std::vector<std::string>{"127.0.0.1", "::1"}));
  EXPECT_EQ(c.data_dir, "/tmp/bx");
  EXPECT_EQ(c.sqlite.path, "/tmp/other.db");
  EXPECT_EQ(c.sqlite.pool_size, 4);
  EXPECT_EQ(c.sqlite.busy_timeout_ms, 250);
  EXPECT_FALSE(c.sqlite.synchronous_full);
  EXPECT_EQ(c.http.admin_token, "adm1n-token");
  EXPECT_EQ(c.jwt_secret, std::string(40, 'k'));
  EXPECT_EQ(c.access_token_ttl_seconds, 3600);
  EXPECT_FALSE(c.http.signup_enabled);
  EXPECT_EQ(c.webhook_url, "http://127.0.0.1:9/hook");
  EXPECT_EQ(c.http.rate_limit_per_second, 0);
  EXPECT_EQ(c.http.rate_limit_burst, 2.5);
  EXPECT_FALSE(c.http.access_log);
  EXPECT_EQ(c.log_level, "debug");
  EXPECT_EQ(c.scheduler_tick_ms, 20);
  EXPECT_TRUE(c.http.test_hooks);
  EXPECT_TRUE(c.seed_demo);
}

TEST(ConfigTest, DbPathFollowsTheFinalDataDir) {
  EXPECT_EQ(MustParse({"--data-dir", "/srv/bx"}, {"BOXOFFICE_DATA_DIR=/env"}).sqlite.path,
            (fs::path("/srv/bx") / "boxoffice.db").string());
}

TEST(ConfigTest, EmptyEnvironmentValueCountsAsUnset) {
  EXPECT_EQ(MustParse({}, {"BOXOFFICE_HTTP_PORT="}).http.port, 8080);
}

TEST(ConfigTest, PrecedenceIsDefaultsThenFileThenEnvironmentThenFlags) {
  TempDir dir;
  const std::string file = dir.Write("a.toml",
                                     "http_port = 1111\n"
                                     "data_dir = \"/file\"\n"
                                     "log_level = \"warn\"\n"
                                     "[http]\n"
                                     "address = \"127.0.0.2\"\n");
  const Config from_file = MustParse({"--config", file});
  EXPECT_EQ(from_file.http.port, 1111);
  EXPECT_EQ(from_file.data_dir, "/file");
  EXPECT_EQ(from_file.log_level, "warn");
  EXPECT_EQ(from_file.http.address, "127.0.0.2");
  EXPECT_EQ(from_file.http.worker_threads, 16);

  const Config env_over_file =
      MustParse({"--config", file}, {"BOXOFFICE_HTTP_PORT=2222", "BOXOFFICE_DATA_DIR=/env"});
  EXPECT_EQ(env_over_file.http.port, 2222);
  EXPECT_EQ(env_over_file.data_dir, "/env");
  EXPECT_EQ(env_over_file.log_level, "warn");

  const Config flags_over_env = MustParse(
      {"serve", "--config", file, "--port", "3333", "--data-dir", "/flag", "--address", "::1"},
      {"BOXOFFICE_HTTP_PORT=2222", "BOXOFFICE_DATA_DIR=/env", "BOXOFFICE_HTTP_ADDRESS=127.0.0.3"});
  EXPECT_EQ(flags_over_env.http.port, 3333);
  EXPECT_EQ(flags_over_env.data_dir, "/flag");
  EXPECT_EQ(flags_over_env.http.address, "::1");
  EXPECT_EQ(flags_over_env.log_level, "warn");
}

TEST(ConfigTest, FileTypesAreChecked) {
  TempDir dir;
  EXPECT_EQ(MustParse({"--config", dir.Write("ok.toml",
                                             "signup_enabled = false\n"
                                             "rate_limit_burst = 3.5\n"
                                             "http_port = \"4444\"\n")})
                .http.port,
            4444);
  EXPECT_EQ(
      ErrorOf({"--config", dir.Write("bad.toml", "http_port = 70000\n")}),
      dir.path().string() + "/bad.toml: http_port: expected an integer 0..65535, got \"70000\"");
  EXPECT_NE(ErrorOf({"--config", dir.Write("arr.toml", "http_port = [1]\n")}).find("http_port"),
            std::string::npos);
  EXPECT_NE(ErrorOf({"--config", dir.Write("typo.toml", "htp_port = 1\n")}).find("unknown setting"),
            std::string::npos);
  EXPECT_NE(ErrorOf({"--config", dir.Write("syntax.toml", "http_port = \n")}).find("syntax.toml"),
            std::string::npos);
}

TEST(ConfigTest, MissingConfigFileIsAnError) {
  EXPECT_EQ(ErrorOf({"--config", "/nonexistent/boxoffice.toml"}),
            "--config: no such file \"/nonexistent/boxoffice.toml\"");
}

TEST(ConfigTest, ReadsBoxofficeTomlFromTheWorkingDirectory) {
  TempDir dir;
  dir.Write("boxoffice.toml", "http_port = 5555\n");
  const fs::path previous = fs::current_path();
  fs::current_path(dir.path());
  const auto outcome = Parse({});
  fs::current_path(previous);
  ASSERT_TRUE(outcome.config.has_value()) << outcome.message;
  EXPECT_EQ(outcome.config->http.port, 5555);
}

struct BadValue {
  std::string name;
  std::string value;
  std::string message;
};

class ConfigValidationTest : public ::testing::TestWithParam<BadValue> {};

TEST_P(ConfigValidationTest, RejectsWithAMessageNamingTheSetting) {
  const BadValue& bad = GetParam();
  EXPECT_EQ(ErrorOf({}, {"BOXOFFICE_" + bad.name + "=" + bad.value}),
            "BOXOFFICE_" + bad.name + ": " + bad.message);
}

INSTANTIATE_TEST_SUITE_P(
    EveryValidation, ConfigValidationTest,
    ::testing::Values(
        BadValue{"DB_URL", "postgres://u:p@h:5432/db",
                 "expected a URL mysql://user:password@host:port/database, got "
                 "\"postgres://u:***@h:5432/db\""},
        BadValue{"DB_URL", "mysql://u:p@db.local:3306",
                 "expected a URL mysql://user:password@host:port/database (no database), got "
                 "\"mysql://u:***@db.local:3306\""},
        BadValue{"DB_URL", "mysql://u:p@db.local:3306/",
                 "expected a URL mysql://user:password@host:port/database (bad database name), "
                 "got \"mysql://u:***@db.local:3306/\""},
        BadValue{"DB_URL", "mysql://u:p@/boxoffice",
                 "expected a URL mysql://user:password@host:port/database (bad host or port), "
                 "got \"mysql://u:***@/boxoffice\""},
        BadValue{"DB_URL", "mysql://u@h:99999/boxoffice",
                 "expected a URL mysql://user:password@host:port/database (bad host or port), "
                 "got \"mysql://u@h:99999/boxoffice\""},
        BadValue{"DB_URL", "mysql://h/box;office",
                 "expected a URL mysql://user:password@host:port/database (bad database name), "
                 "got \"mysql://h/box;office\""},
        BadValue{"REDIS_URL", "http://127.0.0.1:6379",
                 "expected a URL redis://host:port[/db], got \"http://127.0.0.1:6379\""},
        BadValue{"REDIS_URL", "redis://:6379",
                 "expected a URL redis://host:port[/db] (bad host or port), got "
                 "\"redis://:6379\""},
        BadValue{"REDIS_URL", "redis://127.0.0.1:6379/x",
                 "expected a URL redis://host:port[/db] (bad db number), got "
                 "\"redis://127.0.0.1:6379/x\""},
        BadValue{"INSTANCE_ID", "two words",
                 "expected 1..64 printable ASCII characters without spaces, got \"two words\""},
        BadValue{"REDIS_KEY_PREFIX", "a b",
                 "expected 1..64 printable ASCII characters without spaces, got \"a b\""},
        BadValue{"PROFILE", "laptop", "expected one of embedded, cluster, got \"laptop\""},
        BadValue{"HTTP_ADDRESS", "localhost",
                 "expected an IPv4 or IPv6 address such as 0.0.0.0 or 127.0.0.1, got "
                 "\"localhost\""},
        BadValue{"HTTP_PORT", "abc", "expected an integer 0..65535, got \"abc\""},
        BadValue{"HTTP_PORT", "65536", "expected an integer 0..65535, got \"65536\""},
        BadValue{"HTTP_PORT", "-1", "expected an integer 0..65535, got \"-1\""},
        BadValue{"HTTP_PORT", "80x", "expected an integer 0..65535, got \"80x\""},
        BadValue{"HTTP_PORT", "99999999999999999999999",
                 "expected an integer 0..65535, got \"99999999999999999999999\""},
        BadValue{"HTTP_IO_THREADS", "0", "expected an integer 1..64, got \"0\""},
        BadValue{"WORKER_THREADS", "2000", "expected an integer 1..1024, got \"2000\""},
        BadValue{"QUEUE_WORKER_THREADS", "0", "expected an integer 1..256, got \"0\""},
        BadValue{"CATALOGUE_NEAR_TTL_MS", "-1", "expected an integer 0..60000, got \"-1\""},
        BadValue{"MAX_PENDING", "0", "expected an integer 1..1000000, got \"0\""},
        BadValue{"MAX_STREAMS", "0", "expected an integer 1..1000000, got \"0\""},
        BadValue{"DATA_DIR", " ", "expected a non-empty value, got \" \""},
        BadValue{"DB_PATH", " ", "expected a non-empty value, got \" \""},
        BadValue{"DB_POOL_SIZE", "0", "expected an integer 1..256, got \"0\""},
        BadValue{"DB_READ_POOL_SIZE", "0", "expected an integer 1..256, got \"0\""},
        BadValue{"DB_PREPARED_STATEMENTS", "sometimes",
                 "expected true or false, got \"sometimes\""},
        BadValue{"DB_BUSY_TIMEOUT_MS", "-5", "expected an integer 0..600000, got \"-5\""},
        BadValue{"DB_SYNCHRONOUS", "off", "expected one of full, normal, got \"off\""},
        BadValue{"ADMIN_TOKEN", "has space", "expected printable ASCII without spaces"},
        BadValue{"JWT_SECRET", "short", "expected at least 32 characters, got 5"},
        BadValue{"ACCESS_TOKEN_TTL_SECONDS", "10", "expected an integer 60..31536000, got \"10\""},
        BadValue{"SIGNUP_ENABLED", "maybe", "expected true or false, got \"maybe\""},
        BadValue{"WEBHOOK_URL", "https://hooks.slack.com/x",
                 "https webhooks are not supported in this build (no TLS client); use an http:// "
                 "URL, got \"https://hooks.slack.com/x\""},
        BadValue{"WEBHOOK_URL", "hooks.example.com",
                 "expected an http://host[:port]/path URL, got \"hooks.example.com\""},
        BadValue{"RATE_LIMIT_PER_SECOND", "-1", "expected a number 0..1e+06, got \"-1\""},
        BadValue{"RATE_LIMIT_PER_SECOND", "fast", "expected a number 0..1e+06, got \"fast\""},
        BadValue{"RATE_LIMIT_BURST", "0", "expected a number 1..1e+06, got \"0\""},
        BadValue{"ACCESS_LOG", "2", "expected true or false, got \"2\""},
        BadValue{"TRUSTED_PROXIES", "10.0.0.0/8",
                 "expected a comma-separated list of IP addresses, got \"10.0.0.0/8\""},
        BadValue{"LOG_LEVEL", "loud",
                 "expected one of trace, debug, info, warn, error, critical, off, got \"loud\""},
        BadValue{"SCHEDULER_TICK_MS", "1", "expected an integer 10..60000, got \"1\""},
        BadValue{"TEST_HOOKS", "yes please", "expected true or false, got \"yes please\""},
        BadValue{"SEED_DEMO", "nah", "expected true or false, got \"nah\""}));

TEST(ConfigTest, FlagValuesAreValidatedToo) {
  EXPECT_EQ(ErrorOf({"--port", "http"}), "--port: expected an integer 0..65535, got \"http\"");
  EXPECT_EQ(ErrorOf({"serve", "--address", "nowhere"}),
            "--address: expected an IPv4 or IPv6 address such as 0.0.0.0 or 127.0.0.1, got "
            "\"nowhere\"");
}

TEST(ConfigTest, JwtSecretIsNotEchoedInErrors) {
  EXPECT_EQ(ErrorOf({}, {"BOXOFFICE_JWT_SECRET=hunter2"}).find("hunter2"), std::string::npos);
}

// The smallest valid cluster environment; tests add or remove one entry.
std::vector<std::string> ClusterEnv() {
  return {"BOXOFFICE_PROFILE=cluster",
          "BOXOFFICE_DB_URL=mysql://box:secret-pw@127.0.0.1:3307/boxoffice",
          "BOXOFFICE_REDIS_URL=redis://127.0.0.1:6380/2", "BOXOFFICE_ADMIN_TOKEN=shared-admin",
          "BOXOFFICE_JWT_SECRET=" + std::string(40, 's')};
}

std::vector<std::string> Without(std::vector<std::string> env, const std::string& name) {
  std::erase_if(env, [&](const std::string& e) { return e.rfind(name + "=", 0) == 0; });
  return env;
}

TEST(ConfigClusterTest, ClusterProfileWithItsRequiredSettings) {
  const Config c = MustParse({}, ClusterEnv());
  EXPECT_EQ(c.profile, Profile::kCluster);
  EXPECT_EQ(c.mysql.url, "mysql://box:secret-pw@127.0.0.1:3307/boxoffice");
  EXPECT_EQ(c.mysql.pool_size, 16);
  EXPECT_EQ(c.redis.url, "redis://127.0.0.1:6380/2");
  EXPECT_EQ(c.redis_key_prefix, "boxoffice");
  EXPECT_EQ(c.http.admin_token, "shared-admin");
  EXPECT_EQ(c.jwt_secret, std::string(40, 's'));
  // Without brokers the events stay on the in-process bus; the rest has working defaults.
  EXPECT_TRUE(c.kafka.brokers.empty());
  EXPECT_EQ(c.kafka.topic, "boxoffice.events");
  EXPECT_EQ(c.kafka.group, "boxoffice");
  EXPECT_EQ(c.kafka.partitions, 6);
  EXPECT_EQ(c.kafka.replication_factor, 1);
  EXPECT_EQ(c.kafka.publish_timeout, std::chrono::milliseconds(10'000));
  EXPECT_EQ(c.kafka.client_id, c.instance_id);
  // One Redis connection per worker of both lanes plus the background runners.
  EXPECT_EQ(c.redis.pool_size, c.http.worker_threads + c.http.queue_worker_threads + 4);
  // The waiting-room lane waits on Redis here: twice the embedded profile's threads.
  EXPECT_EQ(c.http.queue_worker_threads, 8);
}

TEST(ConfigClusterTest, AnExplicitQueueLaneSizeWinsOverTheClusterDefault) {
  auto env = ClusterEnv();
  env.push_back("BOXOFFICE_QUEUE_WORKER_THREADS=4");
  EXPECT_EQ(MustParse({}, env).http.queue_worker_threads, 4);
}

TEST(ConfigClusterTest, OptionalClusterSettings) {
  auto env = ClusterEnv();
  env.insert(env.end(), {"BOXOFFICE_INSTANCE_ID=node-7", "BOXOFFICE_DB_POOL_SIZE=5",
                         "BOXOFFICE_DB_READ_POOL_SIZE=3", "BOXOFFICE_DB_PREPARED_STATEMENTS=off",
                         "BOXOFFICE_KAFKA_BROKERS=127.0.0.1:9092,127.0.0.1:9093",
                         "BOXOFFICE_REDIS_KEY_PREFIX=bx_test", "BOXOFFICE_WORKER_THREADS=6"});
  const Config c = MustParse({}, env);
  EXPECT_EQ(c.instance_id, "node-7");
  EXPECT_EQ(c.mysql.pool_size, 5);
  EXPECT_EQ(c.sqlite.pool_size, 5);
  EXPECT_EQ(c.mysql.read_pool_size, 3);
  EXPECT_FALSE(c.mysql.prepared_statements);
  EXPECT_TRUE(MustParse({}, ClusterEnv()).mysql.prepared_statements);  // the default
  EXPECT_EQ(c.kafka.brokers, "127.0.0.1:9092,127.0.0.1:9093");
  EXPECT_EQ(c.kafka.client_id, "node-7");
  EXPECT_EQ(c.redis_key_prefix, "bx_test");
  EXPECT_EQ(c.redis.pool_size, 6 + 8 + 4);  // 6 workers, 8 in the queue lane, 4 runners
}

TEST(ConfigClusterTest, KafkaSettings) {
  auto env = ClusterEnv();
  env.insert(env.end(),
             {"BOXOFFICE_KAFKA_BROKERS=kafka-1:9092, [::1]:19092,kafka-3",
              "BOXOFFICE_KAFKA_TOPIC=prod.boxoffice-events_v2", "BOXOFFICE_KAFKA_GROUP=box-group",
              "BOXOFFICE_KAFKA_PARTITIONS=12", "BOXOFFICE_KAFKA_REPLICATION_FACTOR=3",
              "BOXOFFICE_KAFKA_PUBLISH_TIMEOUT_MS=2500"});
  const Config c = MustParse({}, env);
  EXPECT_EQ(c.kafka.brokers, "kafka-1:9092, [::1]:19092,kafka-3");
  EXPECT_EQ(c.kafka.topic, "prod.boxoffice-events_v2");
  EXPECT_EQ(c.kafka.group, "box-group");
  EXPECT_EQ(c.kafka.partitions, 12);
  EXPECT_EQ(c.kafka.replication_factor, 3);
  EXPECT_EQ(c.kafka.publish_timeout, std::chrono::milliseconds(2500));

  TempDir dir;
  const std::string path = dir.Write("kafka.toml",
                                     "[kafka]\nbrokers = \"127.0.0.1:9092\"\ntopic = \"t1\"\n"
                                     "partitions = 3\n");
  const Config from_file = MustParse({"--config", path}, ClusterEnv());
  EXPECT_EQ(from_file.kafka.brokers, "127.0.0.1:9092");
  EXPECT_EQ(from_file.kafka.topic, "t1");
  EXPECT_EQ(from_file.kafka.partitions, 3);
}

TEST(ConfigClusterTest, BadKafkaSettingsAreNamed) {
  const std::vector<std::pair<std::string, std::string>> bad = {
      {"BOXOFFICE_KAFKA_BROKERS=127.0.0.1:9092,", "BOXOFFICE_KAFKA_BROKERS: expected a list"},
      {"BOXOFFICE_KAFKA_BROKERS=h:0", "BOXOFFICE_KAFKA_BROKERS: expected a list"},
      {"BOXOFFICE_KAFKA_BROKERS=kafka://h:9092", "BOXOFFICE_KAFKA_BROKERS: expected a list"},
      {"BOXOFFICE_KAFKA_TOPIC=a topic", "BOXOFFICE_KAFKA_TOPIC: expected a Kafka topic name"},
      {"BOXOFFICE_KAFKA_TOPIC=..", "BOXOFFICE_KAFKA_TOPIC: expected a Kafka topic name"},
      {"BOXOFFICE_KAFKA_TOPIC=" + std::string(250, 't'),
       "BOXOFFICE_KAFKA_TOPIC: expected a Kafka topic name"},
      {"BOXOFFICE_KAFKA_GROUP=two words", "BOXOFFICE_KAFKA_GROUP: expected 1..255 printable"},
      {"BOXOFFICE_KAFKA_PARTITIONS=0", "BOXOFFICE_KAFKA_PARTITIONS: expected an integer 1..1000"},
      {"BOXOFFICE_KAFKA_PARTITIONS=1001",
       "BOXOFFICE_KAFKA_PARTITIONS: expected an integer 1..1000"},
      {"BOXOFFICE_KAFKA_REPLICATION_FACTOR=0",
       "BOXOFFICE_KAFKA_REPLICATION_FACTOR: expected an integer 1..16"},
      {"BOXOFFICE_KAFKA_PUBLISH_TIMEOUT_MS=99",
       "BOXOFFICE_KAFKA_PUBLISH_TIMEOUT_MS: expected an integer 100..20000"},
      {"BOXOFFICE_KAFKA_PUBLISH_TIMEOUT_MS=30000",
       "BOXOFFICE_KAFKA_PUBLISH_TIMEOUT_MS: expected an integer 100..20000"},
  };
  for (const auto& [entry, prefix] : bad) {
    auto env = ClusterEnv();
    env.push_back(entry);
    EXPECT_EQ(ErrorOf({}, env).rfind(prefix, 0), 0u) << entry << " -> " << ErrorOf({}, env);
  }
}

TEST(ConfigClusterTest, UrlVariantsAreAccepted) {
  for (const std::string url : {"mysql://box:pw@db.internal/boxoffice",
                                "mysql://box@[::1]:3306/b_1", "mysql://db:3306/boxoffice_ab12"}) {
    auto env = Without(ClusterEnv(), "BOXOFFICE_DB_URL");
    env.push_back("BOXOFFICE_DB_URL=" + url);
    EXPECT_EQ(MustParse({}, env).mysql.url, url);
  }
  for (const std::string url : {"redis://cache", "redis://:pw@cache:6379", "redis://127.0.0.1:1/",
                                "redis://[::1]:6379/15"}) {
    auto env = Without(ClusterEnv(), "BOXOFFICE_REDIS_URL");
    env.push_back("BOXOFFICE_REDIS_URL=" + url);
    EXPECT_EQ(MustParse({}, env).redis.url, url);
  }
}

TEST(ConfigClusterTest, InstanceIdDefaultsToHostnameAndPid) {
  char host[256] = {};
  ASSERT_EQ(gethostname(host, sizeof(host) - 1), 0);
  const std::string expected = std::string(host) + "-" + std::to_string(getpid());
  EXPECT_EQ(MustParse({}, ClusterEnv()).instance_id, expected);
  EXPECT_EQ(MustParse({}).instance_id, expected);
}

TEST(ConfigClusterTest, EachRequiredSettingIsNamedWhenMissing) {
  const std::vector<std::pair<std::string, std::string>> required = {
      {"BOXOFFICE_DB_URL",
       "BOXOFFICE_PROFILE=cluster requires BOXOFFICE_DB_URL (or db_url in the file): the "
       "MySQL/MariaDB URL mysql://user:password@host:port/database"},
      {"BOXOFFICE_REDIS_URL",
       "BOXOFFICE_PROFILE=cluster requires BOXOFFICE_REDIS_URL (or redis_url in the file): the "
       "Redis URL redis://host:port[/db]"},
      {"BOXOFFICE_ADMIN_TOKEN",
       "BOXOFFICE_PROFILE=cluster requires BOXOFFICE_ADMIN_TOKEN (or admin_token in the file): "
       "every instance must accept the same admin token, so none is generated"},
      {"BOXOFFICE_JWT_SECRET",
       "BOXOFFICE_PROFILE=cluster requires BOXOFFICE_JWT_SECRET (or jwt_secret in the file): "
       "every instance must verify the same tokens, so none is generated"},
  };
  for (const auto& [name, message] : required) {
    EXPECT_EQ(ErrorOf({}, Without(ClusterEnv(), name)), message) << name;
    // An empty variable counts as unset.
    auto env = Without(ClusterEnv(), name);
    env.push_back(name + "=");
    EXPECT_EQ(ErrorOf({}, env), message) << name;
  }
  EXPECT_EQ(ErrorOf({}, {"BOXOFFICE_PROFILE=cluster"}), required[0].second);
}

TEST(ConfigClusterTest, CommandsWorkInTheClusterProfile) {
  EXPECT_EQ(MustParse({"migrate"}, ClusterEnv()).command, Command::kMigrate);
  const Config seed = MustParse({"seed", "--demo"}, ClusterEnv());
  EXPECT_EQ(seed.command, Command::kSeed);
  EXPECT_TRUE(seed.seed_demo);
  EXPECT_EQ(seed.profile, Profile::kCluster);
}

TEST(ConfigClusterTest, ClusterSettingsAreRejectedInTheEmbeddedProfile) {
  EXPECT_EQ(ErrorOf({}, {"BOXOFFICE_DB_URL=mysql://u:p@h:3306/db"}),
            "BOXOFFICE_DB_URL: only used with BOXOFFICE_PROFILE=cluster (the embedded profile "
            "uses SQLite and in-process state)");
  EXPECT_EQ(ErrorOf({}, {"BOXOFFICE_PROFILE=embedded", "BOXOFFICE_REDIS_URL=redis://h:6379"}),
            "BOXOFFICE_REDIS_URL: only used with BOXOFFICE_PROFILE=cluster (the embedded profile "
            "uses SQLite and in-process state)");
  for (const std::string entry :
       {"BOXOFFICE_KAFKA_BROKERS=h:9092", "BOXOFFICE_KAFKA_TOPIC=t", "BOXOFFICE_KAFKA_GROUP=g",
        "BOXOFFICE_KAFKA_PARTITIONS=3", "BOXOFFICE_KAFKA_REPLICATION_FACTOR=1",
        "BOXOFFICE_KAFKA_PUBLISH_TIMEOUT_MS=1000", "BOXOFFICE_DB_READ_POOL_SIZE=2"}) {
    EXPECT_NE(ErrorOf({}, {entry}).find("only used with BOXOFFICE_PROFILE=cluster"),
              std::string::npos)
        << entry;
  }
}

TEST(ConfigClusterTest, ClusterSettingsFromTheFile) {
  TempDir dir;
  const std::string path =
      dir.Write("cluster.toml",
                "profile = \"cluster\"\ndb_url = \"mysql://box:pw@127.0.0.1:3306/boxoffice\"\n"
                "redis_url = \"redis://127.0.0.1:6379\"\nadmin_token = \"adm\"\n"
                "jwt_secret = \"" +
                    std::string(32, 'j') + "\"\ninstance_id = \"file-node\"\n");
  const Config c = MustParse({"--config", path});
  EXPECT_EQ(c.profile, Profile::kCluster);
  EXPECT_EQ(c.mysql.url, "mysql://box:pw@127.0.0.1:3306/boxoffice");
  EXPECT_EQ(c.redis.url, "redis://127.0.0.1:6379");
  EXPECT_EQ(c.instance_id, "file-node");
}

TEST(ConfigClusterTest, UrlPasswordsAreNotEchoedInErrors) {
  auto env = Without(ClusterEnv(), "BOXOFFICE_DB_URL");
  env.push_back("BOXOFFICE_DB_URL=mysql://box:hunter2@127.0.0.1:3306/");
  EXPECT_EQ(ErrorOf({}, env).find("hunter2"), std::string::npos);
  env = Without(ClusterEnv(), "BOXOFFICE_REDIS_URL");
  env.push_back("BOXOFFICE_REDIS_URL=redis://:hunter2@127.0.0.1:x");
  EXPECT_EQ(ErrorOf({}, env).find("hunter2"), std::string::npos);
}

}  // namespace
}  // namespace boxoffice::config
