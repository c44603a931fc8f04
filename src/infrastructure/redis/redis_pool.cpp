#include "infrastructure/redis/redis_pool.hpp"

#include <hiredis/hiredis.h>
#include <openssl/evp.h>
#include <poll.h>

#include <charconv>
#include <stdexcept>
#include <string_view>
#include <utility>

#include "domain/errors.hpp"
#include "infrastructure/redis/redis_reply.hpp"

namespace boxoffice::infra {
namespace {

using domain::UnavailableError;

// The server answered with an error reply; the connection itself is still good.
class ReplyError : public UnavailableError {
 public:
  using UnavailableError::UnavailableError;
};

struct ReplyDeleter {
  void operator()(redisReply* reply) const { freeReplyObject(reply); }
};
using ReplyPtr = std::unique_ptr<redisReply, ReplyDeleter>;

timeval ToTimeval(std::chrono::milliseconds ms) {
  timeval tv{};
  tv.tv_sec = static_cast<decltype(tv.tv_sec)>(ms.count() / 1000);
  tv.tv_usec = static_cast<decltype(tv.tv_usec)>((ms.count() % 1000) * 1000);
  return tv;
}

RedisValue Convert(const redisReply& reply) {
  RedisValue value;
  switch (reply.type) {
    case REDIS_REPLY_INTEGER:
      value.type = RedisValue::Type::kInteger;
      value.integer = reply.integer;
      break;
    case REDIS_REPLY_STRING:
    case REDIS_REPLY_STATUS:
      value.type = RedisValue::Type::kString;
      value.string.assign(reply.str, reply.len);
      break;
    case REDIS_REPLY_ARRAY:
      value.type = RedisValue::Type::kArray;
      value.elements.reserve(reply.elements);
      for (std::size_t i = 0; i < reply.elements; ++i) {
        value.elements.push_back(Convert(*reply.element[i]));
      }
      break;
    case REDIS_REPLY_ERROR:
      throw ReplyError("redis: " + std::string(reply.str, reply.len));
    default:  // REDIS_REPLY_NIL
      break;
  }
  return value;
}

int ParseInt(std::string_view text, std::string_view what, const std::string& url) {
  int value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size()) {
    throw std::invalid_argument("redis url '" + url + "': bad " + std::string(what));
  }
  return value;
}

// An idle connection has nothing to read. Readable (end of file, or bytes nobody asked for),
// hung up or failed means the server closed it while it sat in the pool: a restart, a
// CLIENT KILL, an idle timeout. Checked without a round trip, before a command is sent on it,
// so a stale connection is replaced instead of failing a request.
bool ClosedWhileIdle(const redisContext& context) {
  pollfd fd{};
  fd.fd = context.fd;
  fd.events = POLLIN | POLLRDHUP;
  const int ready = ::poll(&fd, 1, 0);
  return ready != 0;  // ready > 0: an event; ready < 0: the descriptor itself is unusable
}

// The arguments of one command, pointing into strings the caller keeps alive until Append.
class Argv {
 public:
  explicit Argv(std::size_t size) {
    argv_.reserve(size);
    lengths_.reserve(size);
  }
  void Add(std::string_view arg) {
    argv_.push_back(arg.data());
    lengths_.push_back(arg.size());
  }
  void Add(const std::vector<std::string>& args) {
    for (const auto& arg : args) Add(arg);
  }
  void Append(redisContext* context) {
    if (redisAppendCommandArgv(context, static_cast<int>(argv_.size()), argv_.data(),
                               lengths_.data()) != REDIS_OK) {
      throw UnavailableError("redis: out of memory queueing a command");
    }
  }

 private:
  std::vector<const char*> argv_;
  std::vector<std::size_t> lengths_;
};

void Append(redisContext* context, const std::vector<std::string>& args) {
  Argv argv(args.size());
  argv.Add(args);
  argv.Append(context);
}

ReplyPtr NextReply(redisContext* context) {
  void* raw = nullptr;
  if (redisGetReply(context, &raw) != REDIS_OK || raw == nullptr) {
    throw UnavailableError(std::string("redis: ") +
                           (context->err != 0 ? context->errstr : "no reply"));
  }
  return ReplyPtr(static_cast<redisReply*>(raw));
}

bool IsNoScript(const redisReply& reply) {
  return reply.type == REDIS_REPLY_ERROR &&
         std::string_view(reply.str, reply.len).starts_with("NOSCRIPT");
}

}  // namespace

RedisTarget ParseRedisUrl(const std::string& full) {
  constexpr std::string_view kScheme = "redis://";
  RedisTarget target;
  std::string_view url = full;
  if (!url.starts_with(kScheme)) {
    throw std::invalid_argument("redis url '" + full + "' must start with redis://");
  }
  url.remove_prefix(kScheme.size());
  if (auto slash = url.find('/'); slash != std::string_view::npos) {
    if (slash + 1 < url.size()) target.db = ParseInt(url.substr(slash + 1), "db", full);
    url = url.substr(0, slash);
  }
  if (auto at = url.rfind('@'); at != std::string_view::npos) {
    std::string_view credentials = url.substr(0, at);
    auto colon = credentials.find(':');
    target.password =
        std::string(colon == std::string_view::npos ? credentials : credentials.substr(colon + 1));
    url = url.substr(at + 1);
  }
  if (auto colon = url.rfind(':'); colon != std::string_view::npos) {
    target.port = ParseInt(url.substr(colon + 1), "port", full);
    url = url.substr(0, colon);
  }
  target.host = url.empty() ? "127.0.0.1" : std::string(url);
  return target;
}

RedisScript::RedisScript(std::string source) : source_(std::move(source)) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  if (EVP_Digest(source_.data(), source_.size(), digest, &size, EVP_sha1(), nullptr) != 1) {
    throw std::runtime_error("cannot hash a Redis script");
  }
  static constexpr char kHex[] = "0123456789abcdef";
  digest_.reserve(2 * size);
  for (unsigned int i = 0; i < size; ++i) {
    digest_.push_back(kHex[digest[i] >> 4]);
    digest_.push_back(kHex[digest[i] & 0xf]);
  }
}

RedisValue ConvertReply(const redisReply& reply) { return Convert(reply); }

std::int64_t RedisValue::AsInteger() const {
  if (type == Type::kInteger) return integer;
  std::int64_t value = 0;
  if (type == Type::kString) {
    auto [end, ec] = std::from_chars(string.data(), string.data() + string.size(), value);
    if (ec == std::errc{} && end == string.data() + string.size()) return value;
  }
  throw UnavailableError("redis: expected an integer reply");
}

struct RedisPool::Connection {
  redisContext* context = nullptr;
  ~Connection() {
    if (context != nullptr) redisFree(context);
  }
};

// Returns the connection to the pool when done, or drops it when it broke.
class RedisPool::Lease {
 public:
  Lease(RedisPool& pool, std::unique_ptr<Connection> connection)
      : pool_(pool), connection_(std::move(connection)) {}
  ~Lease() { pool_.Release(std::move(connection_)); }
  Lease(const Lease&) = delete;
  Lease& operator=(const Lease&) = delete;

  // Runs `work` on the connection; a failure other than an error reply drops the connection.
  template <class F>
  auto With(F&& work) {
    try {
      return work(*connection_);
    } catch (const ReplyError&) {
      throw;
    } catch (...) {
      connection_.reset();  // reconnect on next use
      throw;
    }
  }

  RedisValue Run(const std::vector<std::string>& args) {
    return With([&](Connection& c) { return RedisPool::Run(c, args); });
  }

 private:
  RedisPool& pool_;
  std::unique_ptr<Connection> connection_;
};

RedisPool::RedisPool(RedisSettings settings)
    : settings_(std::move(settings)), target_(ParseRedisUrl(settings_.url)) {
  if (settings_.pool_size < 1) throw std::invalid_argument("redis pool_size must be at least 1");
}

RedisPool::~RedisPool() = default;

std::unique_ptr<RedisPool::Connection> RedisPool::Connect() const {
  auto connection = std::make_unique<Connection>();
  connection->context =
      redisConnectWithTimeout(target_.host.c_str(), target_.port, ToTimeval(settings_.timeout));
  if (connection->context == nullptr) throw UnavailableError("redis: out of memory connecting");
  if (connection->context->err != 0) {
    throw UnavailableError("redis: cannot connect to " + target_.host + ":" +
                           std::to_string(target_.port) + ": " + connection->context->errstr);
  }
  if (redisSetTimeout(connection->context, ToTimeval(settings_.timeout)) != REDIS_OK) {
    throw UnavailableError("redis: cannot set the command timeout");
  }
  if (!target_.password.empty()) Run(*connection, {"AUTH", target_.password});
  if (target_.db != 0) Run(*connection, {"SELECT", std::to_string(target_.db)});
  return connection;
}

std::unique_ptr<RedisPool::Connection> RedisPool::Acquire() {
  {
    std::unique_lock lock(mu_);
    const bool got = released_.wait_for(lock, settings_.timeout, [this] {
      return !idle_.empty() || in_use_ < settings_.pool_size;
    });
    if (!got) throw UnavailableError("redis: no free connection within the timeout");
    ++in_use_;
    while (!idle_.empty()) {
      auto connection = std::move(idle_.back());
      idle_.pop_back();
      if (!ClosedWhileIdle(*connection->context)) return connection;
    }
  }
  try {
    return Connect();  // outside the lock: connecting may take up to the timeout
  } catch (...) {
    Release(nullptr);
    throw;
  }
}

void RedisPool::Release(std::unique_ptr<Connection> connection) {
  {
    std::lock_guard lock(mu_);
    --in_use_;
    if (connection) idle_.push_back(std::move(connection));
  }
  released_.notify_one();
}

RedisValue RedisPool::Run(Connection& connection, const std::vector<std::string>& args) {
  Append(connection.context, args);
  return Convert(*NextReply(connection.context));
}

RedisValue RedisPool::Command(const std::vector<std::string>& args) {
  Lease lease(*this, Acquire());
  return lease.Run(args);
}

RedisValue RedisPool::Eval(RedisScript& script, const std::vector<std::string>& keys,
                           const std::vector<std::string>& args) {
  return EvalAfter({}, script, keys, args);
}

RedisValue RedisPool::EvalAfter(const std::vector<std::string>& before, RedisScript& script,
                                const std::vector<std::string>& keys,
                                const std::vector<std::string>& args) {
  Lease lease(*this, Acquire());
  // EVALSHA sha numkeys keys... args..., sent without copying the keys and arguments.
  const std::string key_count = std::to_string(keys.size());
  auto evalsha = [&](const std::string& sha) {
    Argv command(3 + keys.size() + args.size());
    command.Add("EVALSHA");
    command.Add(sha);
    command.Add(key_count);
    command.Add(keys);
    command.Add(args);
    return command;
  };
  auto run = [&](const std::string& sha) {
    return lease.With([&](Connection& c) {
      evalsha(sha).Append(c.context);
      return Convert(*NextReply(c.context));
    });
  };

  // At most two rounds: a NOSCRIPT answer (the script's first use on this server, a restart,
  // SCRIPT FLUSH) loads it and runs it again.
  const std::string& sha = script.Digest();
  bool before_done = before.empty();
  for (int attempt = 0;; ++attempt) {
    if (!before_done) {
      // Both commands in one round trip. A NOSCRIPT reply means the script did not run: it is
      // loaded and run alone below; `before` ran either way.
      auto [first, second] = lease.With([&](Connection& c) {
        Append(c.context, before);
        evalsha(sha).Append(c.context);
        ReplyPtr a = NextReply(c.context);
        ReplyPtr b = NextReply(c.context);
        return std::make_pair(std::move(a), std::move(b));
      });
      before_done = true;
      Convert(*first);  // throws ReplyError for an error reply
      if (!IsNoScript(*second)) return Convert(*second);
      continue;
    }
    if (attempt > 0) lease.Run({"SCRIPT", "LOAD", script.Source()});
    try {
      return run(sha);
    } catch (const ReplyError& e) {
      if (attempt > 0 || std::string_view(e.what()).find("NOSCRIPT") == std::string_view::npos) {
        throw;
      }
    }
  }
}

}  // namespace boxoffice::infra
