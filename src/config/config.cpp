#include "config/config.hpp"

#include <arpa/inet.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cctype>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <map>
#include <sstream>
#include <stdexcept>
#include <toml.hpp>
#include <utility>

#include "interfaces/http/client_address.hpp"

namespace boxoffice::config {
namespace {

constexpr std::string_view kEnvPrefix = "BOXOFFICE_";
constexpr int kClusterQueueWorkerThreads = 8;  // the embedded default is HttpSettings' (4)
constexpr const char* kDefaultConfigFile = "boxoffice.toml";

// Raised while reading settings; turned into ParseOutcome::message at the top. Configuration
// errors are expected input errors, but they are all fatal and reported once, so unwinding to
// ParseConfig keeps every reader a one-liner.
struct ConfigError {
  std::string message;
};

// A setting's text and where it came from, for messages ("BOXOFFICE_HTTP_PORT", "--port",
// "boxoffice.toml: http_port").
struct RawValue {
  std::string text;
  std::string origin;
};

[[noreturn]] void Reject(const RawValue& raw, std::string_view expected) {
  throw ConfigError{raw.origin + ": expected " + std::string(expected) + ", got \"" + raw.text +
                    "\""};
}

std::string Lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::string Trim(std::string_view s) {
  const auto first = s.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) return {};
  const auto last = s.find_last_not_of(" \t\r\n");
  return std::string(s.substr(first, last - first + 1));
}

std::int64_t ReadInt(const RawValue& raw, std::int64_t min, std::int64_t max) {
  const std::string expected = "an integer " + std::to_string(min) + ".." + std::to_string(max);
  const std::string text = Trim(raw.text);
  std::int64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() || value < min ||
      value > max) {
    Reject(raw, expected);
  }
  return value;
}

double ReadNumber(const RawValue& raw, double min, double max) {
  const std::string text = Trim(raw.text);
  std::ostringstream expected;
  expected << "a number " << min << ".." << max;
  double value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() || !(value >= min) ||
      !(value <= max)) {
    Reject(raw, expected.str());
  }
  return value;
}

bool ReadBool(const RawValue& raw) {
  const std::string text = Lower(Trim(raw.text));
  if (text == "true" || text == "1" || text == "yes" || text == "on") return true;
  if (text == "false" || text == "0" || text == "no" || text == "off") return false;
  Reject(raw, "true or false");
}

std::string ReadChoice(const RawValue& raw, std::initializer_list<std::string_view> choices) {
  const std::string text = Lower(Trim(raw.text));
  std::string expected;
  for (auto c : choices) {
    if (text == c) return text;
    expected += (expected.empty() ? "one of " : ", ") + std::string(c);
  }
  Reject(raw, expected);
}

std::string ReadNonEmpty(const RawValue& raw) {
  std::string text = Trim(raw.text);
  if (text.empty()) Reject(raw, "a non-empty value");
  return text;
}

// host[:port] or [v6]:port; false when the host is empty or the port is not 1..65535.
bool ValidHostPort(std::string_view text) {
  std::string_view host = text;
  std::string_view port;
  if (text.starts_with('[')) {
    const auto close = text.find(']');
    if (close == std::string_view::npos) return false;
    host = text.substr(1, close - 1);
    const std::string_view rest = text.substr(close + 1);
    if (!rest.empty()) {
      if (!rest.starts_with(':')) return false;
      port = rest.substr(1);
      if (port.empty()) return false;
    }
  } else if (const auto colon = text.rfind(':'); colon != std::string_view::npos) {
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
    if (port.empty()) return false;
  }
  if (host.empty() || host.find_first_of(" \t/?#@") != std::string_view::npos) return false;
  if (!port.empty()) {
    int value = 0;
    const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (ec != std::errc() || end != port.data() + port.size() || value < 1 || value > 65535) {
      return false;
    }
  }
  return true;
}

// The URL with any password replaced by ***, for messages: a URL may carry a secret.
std::string Redacted(std::string_view url) {
  const auto scheme = url.find("://");
  if (scheme == std::string_view::npos) return std::string(url);
  const std::size_t start = scheme + 3;
  const auto slash = url.find('/', start);
  const std::string_view authority =
      url.substr(start, slash == std::string_view::npos ? std::string_view::npos : slash - start);
  const auto at = authority.rfind('@');
  if (at == std::string_view::npos) return std::string(url);
  const std::string_view userinfo = authority.substr(0, at);
  const auto colon = userinfo.find(':');
  if (colon == std::string_view::npos) return std::string(url);
  return std::string(url.substr(0, start)) + std::string(userinfo.substr(0, colon)) + ":***" +
         std::string(url.substr(start + at));
}

[[noreturn]] void RejectUrl(const RawValue& raw, std::string_view expected) {
  throw ConfigError{raw.origin + ": expected " + std::string(expected) + ", got \"" +
                    Redacted(Trim(raw.text)) + "\""};
}

// mysql://user:password@host[:port]/database; the database name is letters, digits, '_', '$'.
std::string ReadMysqlUrl(const RawValue& raw) {
  constexpr std::string_view kExpected = "a URL mysql://user:password@host:port/database";
  const std::string text = Trim(raw.text);
  constexpr std::string_view kScheme = "mysql://";
  if (text.rfind(kScheme, 0) != 0) RejectUrl(raw, kExpected);
  const std::string_view rest = std::string_view(text).substr(kScheme.size());
  const auto slash = rest.find('/');
  if (slash == std::string_view::npos) RejectUrl(raw, std::string(kExpected) + " (no database)");
  std::string_view authority = rest.substr(0, slash);
  const std::string_view database = rest.substr(slash + 1);
  if (const auto at = authority.rfind('@'); at != std::string_view::npos) {
    authority = authority.substr(at + 1);
  }
  if (!ValidHostPort(authority)) RejectUrl(raw, std::string(kExpected) + " (bad host or port)");
  const bool name_ok = !database.empty() && database.size() <= 64 &&
                       std::all_of(database.begin(), database.end(), [](unsigned char ch) {
                         return std::isalnum(ch) || ch == '_' || ch == '$';
                       });
  if (!name_ok) RejectUrl(raw, std::string(kExpected) + " (bad database name)");
  return text;
}

// redis://[:password@]host[:port][/db]
std::string ReadRedisUrl(const RawValue& raw) {
  constexpr std::string_view kExpected = "a URL redis://host:port[/db]";
  const std::string text = Trim(raw.text);
  constexpr std::string_view kScheme = "redis://";
  if (text.rfind(kScheme, 0) != 0) RejectUrl(raw, kExpected);
  const std::string_view rest = std::string_view(text).substr(kScheme.size());
  const auto slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  if (const auto at = authority.rfind('@'); at != std::string_view::npos) {
    authority = authority.substr(at + 1);
  }
  if (!ValidHostPort(authority)) RejectUrl(raw, std::string(kExpected) + " (bad host or port)");
  if (slash != std::string_view::npos && slash + 1 < rest.size()) {
    const std::string_view db = rest.substr(slash + 1);
    int value = 0;
    const auto [end, ec] = std::from_chars(db.data(), db.data() + db.size(), value);
    if (ec != std::errc() || end != db.data() + db.size() || value < 0 || value > 65535) {
      RejectUrl(raw, std::string(kExpected) + " (bad db number)");
    }
  }
  return text;
}

// A single printable word: instance ids and key prefixes end up in keys and log lines.
std::string ReadWord(const RawValue& raw, std::size_t max_length) {
  const std::string text = Trim(raw.text);
  const bool printable = std::all_of(text.begin(), text.end(),
                                     [](unsigned char ch) { return ch > 0x20 && ch < 0x7F; });
  if (text.empty() || text.size() > max_length || !printable) {
    Reject(raw, "1.." + std::to_string(max_length) + " printable ASCII characters without spaces");
  }
  return text;
}

// host[:port][,host[:port]...]: the bootstrap list librdkafka takes (port 9092 by default).
std::string ReadBrokers(const RawValue& raw) {
  const std::string text = Trim(raw.text);
  constexpr std::string_view kExpected = "a list host:port[,host:port...]";
  std::istringstream entries(text);
  std::string entry;
  int count = 0;
  while (std::getline(entries, entry, ',')) {
    if (!ValidHostPort(Trim(entry))) Reject(raw, kExpected);
    ++count;
  }
  // getline drops a trailing empty entry ("h:9092,"), which is as wrong as any other.
  if (count == 0 || text.back() == ',') Reject(raw, kExpected);
  return text;
}

// ip[,ip...], or empty for none: the load balancers whose X-Forwarded-For is believed.
std::vector<std::string> ReadAddressList(const RawValue& raw) {
  std::vector<std::string> addresses;
  std::istringstream entries(Trim(raw.text));
  std::string entry;
  while (std::getline(entries, entry, ',')) {
    if (!Trim(entry).empty()) addresses.push_back(Trim(entry));
  }
  try {
    http::ClientAddressResolver check(addresses);
  } catch (const std::invalid_argument&) {
    Reject(raw, "a comma-separated list of IP addresses");
  }
  return addresses;
}

// Kafka's rule for topic names: 1..249 of [a-zA-Z0-9._-], and not "." or "..".
std::string ReadTopic(const RawValue& raw) {
  const std::string text = Trim(raw.text);
  const bool legal = std::all_of(text.begin(), text.end(), [](unsigned char ch) {
    return std::isalnum(ch) || ch == '.' || ch == '_' || ch == '-';
  });
  if (text.empty() || text.size() > 249 || !legal || text == "." || text == "..") {
    Reject(raw, "a Kafka topic name: 1..249 of letters, digits, '.', '_', '-'");
  }
  return text;
}

std::string DefaultInstanceId() {
  char host[256] = {};
  if (::gethostname(host, sizeof(host) - 1) != 0 || host[0] == '\0') {
    std::snprintf(host, sizeof(host), "%s", "boxoffice");
  }
  return std::string(host) + "-" + std::to_string(::getpid());
}

using Apply = std::function<void(Config&, const RawValue&)>;

struct Setting {
  std::string_view name;  // after BOXOFFICE_; the TOML key is its lower-case form
  Apply apply;
};

// Every setting, in one table: the environment name, the TOML key and the flag all land here.
const std::vector<Setting>& Settings() {
  static const std::vector<Setting> kSettings = {
      {"PROFILE",
       [](Config& c, const RawValue& v) {
         c.profile = ReadChoice(v, {"embedded", "cluster"}) == "cluster" ? Profile::kCluster
                                                                         : Profile::kEmbedded;
       }},
      {"INSTANCE_ID", [](Config& c, const RawValue& v) { c.instance_id = ReadWord(v, 64); }},
      {"DB_URL", [](Config& c, const RawValue& v) { c.mysql.url = ReadMysqlUrl(v); }},
      {"REDIS_URL", [](Config& c, const RawValue& v) { c.redis.url = ReadRedisUrl(v); }},
      {"REDIS_KEY_PREFIX",
       [](Config& c, const RawValue& v) { c.redis_key_prefix = ReadWord(v, 64); }},
      {"KAFKA_BROKERS", [](Config& c, const RawValue& v) { c.kafka.brokers = ReadBrokers(v); }},
      {"KAFKA_TOPIC", [](Config& c, const RawValue& v) { c.kafka.topic = ReadTopic(v); }},
      {"KAFKA_GROUP", [](Config& c, const RawValue& v) { c.kafka.group = ReadWord(v, 255); }},
      {"KAFKA_PARTITIONS",
       [](Config& c, const RawValue& v) {
         c.kafka.partitions = static_cast<int>(ReadInt(v, 1, 1000));
       }},
      {"KAFKA_REPLICATION_FACTOR",
       [](Config& c, const RawValue& v) {
         c.kafka.replication_factor = static_cast<int>(ReadInt(v, 1, 16));
       }},
      {"KAFKA_PUBLISH_TIMEOUT_MS",
       [](Config& c, const RawValue& v) {
         // Below the relay's 30 s claim on the rows it publishes, so that a slow broker never
         // lets another instance claim and send the same rows meanwhile.
         c.kafka.publish_timeout = std::chrono::milliseconds(ReadInt(v, 100, 20'000));
       }},
      {"HTTP_ADDRESS",
       [](Config& c, const RawValue& v) {
         const std::string text = Trim(v.text);
         unsigned char buf[16];
         if (inet_pton(AF_INET, text.c_str(), buf) != 1 &&
             inet_pton(AF_INET6, text.c_str(), buf) != 1) {
           Reject(v, "an IPv4 or IPv6 address such as 0.0.0.0 or 127.0.0.1");
         }
         c.http.address = text;
       }},
      {"HTTP_PORT",
       [](Config& c, const RawValue& v) {
         c.http.port = static_cast<std::uint16_t>(ReadInt(v, 0, 65535));
       }},
      {"HTTP_IO_THREADS",
       [](Config& c, const RawValue& v) {
         c.http.io_threads = static_cast<int>(ReadInt(v, 1, 64));
       }},
      {"WORKER_THREADS",
       [](Config& c, const RawValue& v) {
         c.http.worker_threads = static_cast<int>(ReadInt(v, 1, 1024));
       }},
      {"QUEUE_WORKER_THREADS",
       [](Config& c, const RawValue& v) {
         c.http.queue_worker_threads = static_cast<int>(ReadInt(v, 1, 256));
       }},
      {"MAX_PENDING",
       [](Config& c, const RawValue& v) {
         c.http.max_pending = static_cast<int>(ReadInt(v, 1, 1'000'000));
       }},
      {"MAX_STREAMS",
       [](Config& c, const RawValue& v) {
         c.http.max_streams = static_cast<int>(ReadInt(v, 1, 1'000'000));
       }},
      {"DATA_DIR", [](Config& c, const RawValue& v) { c.data_dir = ReadNonEmpty(v); }},
      {"DB_PATH", [](Config& c, const RawValue& v) { c.sqlite.path = ReadNonEmpty(v); }},
      {"DB_POOL_SIZE",
       [](Config& c, const RawValue& v) {
         c.sqlite.pool_size = static_cast<int>(ReadInt(v, 1, 256));
         c.mysql.pool_size = c.sqlite.pool_size;
       }},
      {"DB_READ_POOL_SIZE",
       [](Config& c, const RawValue& v) {
         c.mysql.read_pool_size = static_cast<int>(ReadInt(v, 1, 256));
       }},
      {"DB_PREPARED_STATEMENTS",
       [](Config& c, const RawValue& v) { c.mysql.prepared_statements = ReadBool(v); }},
      {"DB_BUSY_TIMEOUT_MS",
       [](Config& c, const RawValue& v) {
         c.sqlite.busy_timeout_ms = static_cast<int>(ReadInt(v, 0, 600'000));
       }},
      {"DB_SYNCHRONOUS",
       [](Config& c, const RawValue& v) {
         c.sqlite.synchronous_full = ReadChoice(v, {"full", "normal"}) == "full";
       }},
      {"ADMIN_TOKEN",
       [](Config& c, const RawValue& v) {
         // The token travels in an HTTP header, so it must be a single printable word.
         const bool printable = std::all_of(
             v.text.begin(), v.text.end(), [](unsigned char ch) { return ch > 0x20 && ch < 0x7F; });
         if (v.text.empty() || !printable) {
           throw ConfigError{v.origin + ": expected printable ASCII without spaces"};
         }
         c.http.admin_token = v.text;
       }},
      {"JWT_SECRET",
       [](Config& c, const RawValue& v) {
         // The value is a secret: never echo it in the message.
         if (v.text.size() < 32) {
           throw ConfigError{v.origin + ": expected at least 32 characters, got " +
                             std::to_string(v.text.size())};
         }
         c.jwt_secret = v.text;
       }},
      {"ACCESS_TOKEN_TTL_SECONDS",
       [](Config& c, const RawValue& v) {
         c.access_token_ttl_seconds = static_cast<int>(ReadInt(v, 60, 31'536'000));
       }},
      {"SIGNUP_ENABLED", [](Config& c, const RawValue& v) { c.http.signup_enabled = ReadBool(v); }},
      {"WEBHOOK_URL",
       [](Config& c, const RawValue& v) {
         const std::string text = Trim(v.text);
         if (Lower(text).rfind("https://", 0) == 0) {
           throw ConfigError{v.origin +
                             ": https webhooks are not supported in this build (no TLS client); "
                             "use an http:// URL, got \"" +
                             text + "\""};
         }
         if (Lower(text).rfind("http://", 0) != 0 || text.size() <= 7 ||
             text.find_first_of(" \t\"<>\\") != std::string::npos) {
           Reject(v, "an http://host[:port]/path URL");
         }
         c.webhook_url = text;
       }},
      {"RATE_LIMIT_PER_SECOND",
       [](Config& c, const RawValue& v) {
         c.http.rate_limit_per_second = ReadNumber(v, 0, 1'000'000);
       }},
      {"RATE_LIMIT_BURST",
       [](Config& c, const RawValue& v) { c.http.rate_limit_burst = ReadNumber(v, 1, 1'000'000); }},
      {"ACCESS_LOG", [](Config& c, const RawValue& v) { c.http.access_log = ReadBool(v); }},
      {"TRUSTED_PROXIES",
       [](Config& c, const RawValue& v) { c.http.trusted_proxies = ReadAddressList(v); }},
      {"LOG_LEVEL",
       [](Config& c, const RawValue& v) {
         c.log_level =
             ReadChoice(v, {"trace", "debug", "info", "warn", "error", "critical", "off"});
       }},
      {"CATALOGUE_NEAR_TTL_MS",
       [](Config& c, const RawValue& v) {
         c.catalogue_near_ttl_ms = static_cast<int>(ReadInt(v, 0, 60'000));
       }},
      {"SCHEDULER_TICK_MS",
       [](Config& c, const RawValue& v) {
         c.scheduler_tick_ms = static_cast<int>(ReadInt(v, 10, 60'000));
       }},
      {"TEST_HOOKS", [](Config& c, const RawValue& v) { c.http.test_hooks = ReadBool(v); }},
      {"SEED_DEMO", [](Config& c, const RawValue& v) { c.seed_demo = ReadBool(v); }},
  };
  return kSettings;
}

const Setting* FindSetting(std::string_view name) {
  for (const auto& s : Settings()) {
    if (s.name == name) return &s;
  }
  return nullptr;
}

std::string Upper(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  return out;
}

std::string TomlScalarText(const toml::value& v, const std::string& origin) {
  if (v.is_string()) return v.as_string().str;
  if (v.is_integer()) return std::to_string(v.as_integer());
  if (v.is_boolean()) return v.as_boolean() ? "true" : "false";
  if (v.is_floating()) {
    std::ostringstream out;
    out << v.as_floating();
    return out.str();
  }
  throw ConfigError{origin + ": expected a string, integer, number or boolean"};
}

// Reads the TOML file into (setting name -> raw value). Keys are the environment names
// lower-cased without the prefix, either flat (`http_port = 8080`) or one table deep
// (`[http]` + `port = 8080`); unknown keys are errors so that typos do not go unnoticed.
void ReadFile(const std::string& path, std::map<std::string, RawValue>& raw) {
  toml::value root;
  try {
    root = toml::parse(path);
  } catch (const std::exception& e) {
    throw ConfigError{path + ": " + e.what()};
  }
  if (!root.is_table()) throw ConfigError{path + ": expected a TOML table"};
  const auto add = [&](const std::string& key, const toml::value& v) {
    const std::string origin = path + ": " + key;
    const std::string name = Upper(key);
    if (FindSetting(name) == nullptr) throw ConfigError{origin + ": unknown setting"};
    raw[name] = RawValue{TomlScalarText(v, origin), origin};
  };
  for (const auto& [key, value] : root.as_table()) {
    if (value.is_table()) {
      for (const auto& [inner, inner_value] : value.as_table()) {
        add(key + "_" + inner, inner_value);
      }
    } else {
      add(key, value);
    }
  }
}

std::map<std::string, std::string> EnvironmentMap(const std::vector<std::string>& environment) {
  std::map<std::string, std::string> out;
  for (const auto& entry : environment) {
    const auto eq = entry.find('=');
    if (eq == std::string::npos) continue;
    out[entry.substr(0, eq)] = entry.substr(eq + 1);
  }
  return out;
}

// Where a setting may be given, for messages about a missing one.
std::string Sources(std::string_view name) {
  return std::string(kEnvPrefix) + std::string(name) + " (or " + Lower(name) + " in the file)";
}

// The settings each profile requires or does not take. Instances of the cluster profile must
// agree on the admin token and the JWT secret, so neither may be generated per instance.
void CheckProfile(const Config& config, const std::map<std::string, RawValue>& raw) {
  static constexpr std::string_view kClusterOnly[] = {"DB_URL",
                                                      "DB_READ_POOL_SIZE",
                                                      "REDIS_URL",
                                                      "REDIS_KEY_PREFIX",
                                                      "KAFKA_BROKERS",
                                                      "KAFKA_TOPIC",
                                                      "KAFKA_GROUP",
                                                      "KAFKA_PARTITIONS",
                                                      "KAFKA_REPLICATION_FACTOR",
                                                      "KAFKA_PUBLISH_TIMEOUT_MS"};
  if (config.profile == Profile::kEmbedded) {
    for (const auto name : kClusterOnly) {
      if (const auto it = raw.find(std::string(name)); it != raw.end()) {
        throw ConfigError{it->second.origin +
                          ": only used with BOXOFFICE_PROFILE=cluster (the embedded profile "
                          "uses SQLite and in-process state)"};
      }
    }
    return;
  }
  const auto require = [&](std::string_view name, bool present, std::string_view what) {
    if (!present) {
      throw ConfigError{"BOXOFFICE_PROFILE=cluster requires " + Sources(name) + ": " +
                        std::string(what)};
    }
  };
  require("DB_URL", !config.mysql.url.empty(),
          "the MySQL/MariaDB URL mysql://user:password@host:port/database");
  require("REDIS_URL", raw.contains("REDIS_URL"), "the Redis URL redis://host:port[/db]");
  require("ADMIN_TOKEN", !config.http.admin_token.empty(),
          "every instance must accept the same admin token, so none is generated");
  require("JWT_SECRET", !config.jwt_secret.empty(),
          "every instance must verify the same tokens, so none is generated");
}

}  // namespace

ParseOutcome ParseConfig(int argc, char** argv, const std::vector<std::string>& environment) {
  CLI::App app{"boxoffice: concert ticket reservation server"};
  app.fallthrough();
  app.require_subcommand(0, 1);
  std::string config_path;
  std::string port_flag;
  std::string data_dir_flag;
  std::string address_flag;
  bool demo = false;
  auto* config_opt = app.add_option("--config", config_path, "TOML configuration file");
  auto* port_opt = app.add_option("--port", port_flag, "HTTP port (0 picks a free one)");
  auto* data_dir_opt = app.add_option("--data-dir", data_dir_flag, "directory of the database");
  auto* address_opt = app.add_option("--address", address_flag, "HTTP listen address");
  auto* serve = app.add_subcommand("serve", "run the server (default)");
  serve->add_flag("--demo", demo, "create the demo catalogue first when it is empty");
  auto* migrate = app.add_subcommand("migrate", "apply database migrations and exit");
  auto* seed = app.add_subcommand("seed", "create data and exit");
  seed->add_flag("--demo", demo, "create the demo catalogue when it is empty");

  ParseOutcome outcome;
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    std::ostringstream out;
    std::ostringstream err;
    const int code = app.exit(e, out, err);
    outcome.help = code == 0;
    outcome.message = code == 0 ? out.str() : err.str();
    if (outcome.message.empty()) outcome.message = e.what();
    return outcome;
  }

  try {
    Config config;
    if (migrate->parsed()) {
      config.command = Command::kMigrate;
    } else if (seed->parsed()) {
      config.command = Command::kSeed;
      if (!demo) {
        throw ConfigError{"seed: only demo data is available; run `boxoffice seed --demo`"};
      }
    }

    const auto env = EnvironmentMap(environment);
    std::map<std::string, RawValue> raw;

    if (config_opt->count() == 0) {
      if (const auto it = env.find("BOXOFFICE_CONFIG"); it != env.end() && !it->second.empty()) {
        config_path = it->second;
        if (!std::filesystem::is_regular_file(config_path)) {
          throw ConfigError{"BOXOFFICE_CONFIG: no such file \"" + config_path + "\""};
        }
      }
    } else if (!std::filesystem::is_regular_file(config_path)) {
      throw ConfigError{"--config: no such file \"" + config_path + "\""};
    }
    if (config_path.empty() && std::filesystem::is_regular_file(kDefaultConfigFile)) {
      config_path = kDefaultConfigFile;
    }
    if (!config_path.empty()) ReadFile(config_path, raw);

    // An empty variable counts as unset, as shells and compose files often export them empty.
    for (const auto& setting : Settings()) {
      const std::string name = std::string(kEnvPrefix) + std::string(setting.name);
      if (const auto it = env.find(name); it != env.end() && !it->second.empty()) {
        raw[std::string(setting.name)] = RawValue{it->second, name};
      }
    }

    if (port_opt->count() > 0) raw["HTTP_PORT"] = RawValue{port_flag, "--port"};
    if (data_dir_opt->count() > 0) raw["DATA_DIR"] = RawValue{data_dir_flag, "--data-dir"};
    if (address_opt->count() > 0) raw["HTTP_ADDRESS"] = RawValue{address_flag, "--address"};

    // Table order, so that the first error reported is stable.
    for (const auto& setting : Settings()) {
      if (const auto it = raw.find(std::string(setting.name)); it != raw.end()) {
        setting.apply(config, it->second);
      }
    }
    if (demo) config.seed_demo = true;
    CheckProfile(config, raw);
    // In the cluster profile the waiting-room lane's threads wait on Redis round trips rather
    // than compute, so more of them keep more requests in flight: measured on 2 cores, 8 threads
    // served ~5-10% more status polls and ~1-3% more token issues than 4 (docs/performance.md).
    if (config.profile == Profile::kCluster && raw.find("QUEUE_WORKER_THREADS") == raw.end()) {
      config.http.queue_worker_threads = kClusterQueueWorkerThreads;
    }
    if (config.instance_id.empty()) config.instance_id = DefaultInstanceId();
    config.kafka.client_id = config.instance_id;
    // One Redis connection per worker thread of both lanes plus the background runners, so that
    // no request waits for a connection (the pool answers 503 after its timeout).
    config.redis.pool_size = config.http.worker_threads + config.http.queue_worker_threads + 4;
    if (config.sqlite.path.empty()) {
      config.sqlite.path = (std::filesystem::path(config.data_dir) / "boxoffice.db").string();
    }
    outcome.config = std::move(config);
  } catch (const ConfigError& e) {
    outcome.message = e.message;
  }
  return outcome;
}

}  // namespace boxoffice::config
