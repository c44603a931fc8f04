#include "interfaces/http/server.hpp"

#include <spdlog/spdlog.h>

#include <array>
#include <atomic>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <thread>
#include <tuple>
#include <unordered_map>
#include <vector>

#include "interfaces/http/access_log.hpp"
#include "interfaces/http/client_address.hpp"
#include "interfaces/http/handlers/common.hpp"
#include "interfaces/http/handlers/context.hpp"
#include "interfaces/http/handlers/handlers.hpp"
#include "interfaces/http/metrics.hpp"
#include "interfaces/http/rate_limiter.hpp"
#include "interfaces/http/responses.hpp"
#include "interfaces/http/router.hpp"
#include "interfaces/http/sse.hpp"

namespace boxoffice::http {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

constexpr auto kAsTuple = asio::as_tuple(asio::use_awaitable);

// Suspends the calling coroutine until `start`, called at once with a `wake` function, or the
// work it started calls `wake` (once, from any thread). The coroutine resumes through its own
// executor, never inside `wake`: a completion may come before `start` returns, or on another
// thread.
template <class Start>
asio::awaitable<void> SuspendUntilWoken(Start start) {
  co_await asio::async_initiate<const asio::use_awaitable_t<>&, void()>(
      [&](auto resume) {
        auto shared = std::make_shared<decltype(resume)>(std::move(resume));
        start([shared] {
          auto executor = asio::get_associated_executor(*shared);
          asio::post(executor, [shared] {
            auto resume_now = std::move(*shared);
            resume_now();
          });
        });
      },
      asio::use_awaitable);
}
constexpr std::size_t kHeaderLimit = 16 * 1024;
constexpr auto kIdempotencyPollInterval = std::chrono::milliseconds(20);
constexpr auto kStopGrace = std::chrono::seconds(2);
// A stream whose status check found the worker pool full tries again after this long.
constexpr auto kStreamBusyRetry = std::chrono::seconds(1);
// Requests of one kind served in one transaction at most, and batches of them posted or
// running at once (ADR 0021): a run takes the requests that queued while it waited for a
// worker.
constexpr std::size_t kMaxBatch = 64;
constexpr std::size_t kBatchRuns = 2;

std::vector<RouteSpec> ActiveRoutes(const HttpSettings& settings) {
  std::vector<RouteSpec> routes;
  for (const auto& spec : AllRoutes()) {
    if (!spec.test_hook || settings.test_hooks) routes.push_back(spec);
  }
  return routes;
}

// Probes and scrapes must keep working while a client is being throttled.
bool IsRateLimited(RouteId id) {
  return id != RouteId::kHealth && id != RouteId::kReady && id != RouteId::kMetrics;
}

// A request the parser rejected (as opposed to a connection that closed or timed out).
bool IsMalformedRequest(const boost::system::error_code& ec) {
  static const auto& kHttpCategory = bhttp::make_error_code(bhttp::error::bad_method).category();
  return ec && ec.category() == kHttpCategory && ec != bhttp::error::end_of_stream &&
         ec != bhttp::error::partial_message;
}

// The X-Forwarded-For headers of the message as one list (several headers join with commas).
std::optional<std::string> ForwardedFor(const bhttp::request<bhttp::string_body>& message) {
  std::optional<std::string> joined;
  auto [first, last] = message.equal_range("X-Forwarded-For");
  for (auto it = first; it != last; ++it) {
    joined = joined ? *joined + "," + std::string(it->value()) : std::string(it->value());
  }
  return joined;
}

Request ToRequest(bhttp::request<bhttp::string_body>&& message, const std::string& peer,
                  const ClientAddressResolver& clients) {
  const std::string client =
      clients.Enabled() ? clients.Resolve(peer, ForwardedFor(message)) : peer;
  Request request;
  request.method = std::string(message.method_string());
  const std::string_view target = message.target();
  const auto question = target.find('?');
  request.path = std::string(target.substr(0, question));
  if (question != std::string_view::npos) request.query = std::string(target.substr(question + 1));
  for (const auto& field : message) {
    request.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
  }
  request.body = std::move(message.body());
  request.client_address = client;
  return request;
}

bhttp::response<bhttp::string_body> ToMessage(Response&& response, unsigned version,
                                              bool keep_alive) {
  bhttp::response<bhttp::string_body> message{static_cast<bhttp::status>(response.status), version};
  message.set(bhttp::field::server, "boxoffice");
  if (!response.content_type.empty()) {
    message.set(bhttp::field::content_type, response.content_type);
  }
  for (auto& [name, value] : response.headers) message.set(name, value);
  message.body() = std::move(response.body);
  message.keep_alive(keep_alive);
  message.prepare_payload();
  return message;
}

std::string RequestIdOf(const Request& request) {
  auto client_id = request.Header("X-Request-Id");
  return client_id && IsSaneRequestId(*client_id) ? std::string(*client_id) : GenerateRequestId();
}

// Completes when the client closes the connection or sends anything (nothing may follow a request
// whose response is an event stream), and when Stop closes the socket.
asio::awaitable<void> WatchPeer(tcp::socket& socket) {
  std::array<char, 256> scratch{};
  try {
    co_await socket.async_read_some(asio::buffer(scratch), kAsTuple);
  } catch (const boost::system::system_error&) {
    // Cancelled before the read began: the stream ended first.
  }
}

// Ends a connection whose request body was refused unread (413, malformed): stops sending, then
// reads and discards what the client is still sending for a bounded time and amount, so that its
// TCP stack (or a proxy in front) receives the answer instead of a reset for unread data.
asio::awaitable<void> DrainAndClose(beast::tcp_stream& stream) {
  constexpr std::size_t kMaxDrainBytes = 8 << 20;
  constexpr auto kDrainTime = std::chrono::seconds(2);
  boost::system::error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
  stream.expires_after(kDrainTime);
  std::array<char, 16 * 1024> scratch{};
  std::size_t drained = 0;
  while (drained < kMaxDrainBytes) {
    auto [ec, n] = co_await stream.async_read_some(asio::buffer(scratch), kAsTuple);
    if (ec) break;  // the client finished (EOF), went away, or the drain time is up
    drained += n;
  }
  stream.socket().close(ignored);
}

// Routes served by the waiting-room lane: they touch the waiting room and cached catalogue data,
// rarely the database, and must stay responsive while checkout requests wait for it.
bool IsQueueRoute(RouteId id) {
  return id == RouteId::kIssueQueueToken || id == RouteId::kQueueStatus ||
         id == RouteId::kLeaveQueue;
}

// Releases a slot of a counter that admission control incremented.
class SlotGuard {
 public:
  explicit SlotGuard(std::atomic<int>& counter) : counter_(counter) {}
  SlotGuard(const SlotGuard&) = delete;
  SlotGuard& operator=(const SlotGuard&) = delete;
  ~SlotGuard() { counter_.fetch_sub(1, std::memory_order_acq_rel); }

 private:
  std::atomic<int>& counter_;
};

}  // namespace

struct Server::Impl {
  Impl(HttpSettings s, Services& svc)
      : settings(std::move(s)),
        services(svc),
        router(ActiveRoutes(settings)),
        metrics(AllRoutes()),
        limiter(settings.rate_limit_per_second, settings.rate_limit_burst),
        clients(settings.trusted_proxies) {}

  void Start();
  void Stop();

  asio::awaitable<void> Accept();
  asio::awaitable<void> Session(tcp::socket socket);
  asio::awaitable<void> Serve(beast::tcp_stream& stream, const std::string& client);
  asio::awaitable<Response> Handle(Request& request, const RouteMatch& match);
  std::optional<Response> Throttle(const Request& request, const RouteMatch& match);
  // GET /api/v1/queue/stream, from the request to the end of the stream. Returns whether the
  // connection may carry another request (only after a refusal).
  asio::awaitable<bool> ServeQueueStream(beast::tcp_stream& stream, const Request& request,
                                         const RouteMatch& match, unsigned version,
                                         bool keep_alive);
  // Checks and events after the first one; true when the stream reached its last event.
  asio::awaitable<bool> FeedQueueStream(beast::tcp_stream& stream, QueueStreamFeed& feed,
                                        const std::string& token,
                                        std::chrono::milliseconds first_check, bool chunked);
  // One status check on a worker; nullopt when the pool is saturated (or the wait was cancelled).
  asio::awaitable<std::optional<domain::Result<application::QueueStatusView>>> CheckQueue(
      const std::string& token);
  domain::Result<application::QueueStatusView> RunQueueCheck(const std::string& token);
  asio::awaitable<bool> WriteEvent(beast::tcp_stream& stream, std::string_view frame, bool chunked);
  asio::awaitable<Response> Dispatch(Request& request, const RouteMatch& match,
                                     const std::string& request_id);
  Outcome Invoke(Request& request, const RouteMatch& match, int attempt,
                 const std::string& request_id,
                 const domain::Result<application::ActiveUser>* active = nullptr);
  // The queue token's check for a route that needs an admitted user, made here on the I/O
  // thread; nullopt when the waiting room cannot answer without blocking (or failed): the
  // handler then checks on its worker, as it always could.
  asio::awaitable<std::optional<domain::Result<application::ActiveUser>>> CheckActiveInPlace(
      const Request& request);
  // Runs the route's non-blocking handler here, on the I/O thread; nullopt when it declined (the
  // blocking handler then runs on a worker).
  // `active`: the queue token's check, for a route that needs an admitted user.
  asio::awaitable<std::optional<Response>> AnswerInPlace(
      AsyncHandler handler, Request& request, const RouteMatch& match,
      const std::string& request_id,
      const domain::Result<application::ActiveUser>* active = nullptr);
  RequestContext ContextFor(const Request& request, const RouteMatch& match, int attempt,
                            const domain::Result<application::ActiveUser>* active = nullptr) {
    return {.request = request,
            .params = match.params,
            .route = *match.route,
            .services = services,
            .settings = settings,
            .metrics = metrics,
            .attempt = attempt,
            .active = active,
            .batches = batches ? &*batches : nullptr};
  }
  // The response to an exception a handler threw.
  Response FailureResponse(std::exception_ptr error, const Request& request,
                           const RouteMatch& match, const std::string& request_id);
  void Record(const Request& request, std::string_view route, const Response& response,
              std::string_view request_id, Clock::time_point start);
  void RunIo();

  // Declared first so it is destroyed last: coroutine frames it still owns are destroyed with it.
  asio::io_context ioc;
  HttpSettings settings;
  Services& services;
  Router router;
  Metrics metrics;
  RateLimiter limiter;
  ClientAddressResolver clients;
  std::optional<asio::thread_pool> workers;
  std::optional<asio::thread_pool> queue_workers;  // the waiting-room lane
  // Runs on the checkout lane's workers, as the requests it holds would (ADR 0021).
  std::optional<Batches> batches;
  std::optional<tcp::acceptor> acceptor;
  std::vector<std::thread> threads;
  std::atomic<int> pending{0};
  std::atomic<int> open_streams{0};
  std::atomic<bool> started{false};
  std::atomic<bool> stopped{false};
  std::uint16_t port = 0;

  std::mutex connections_mu;
  std::condition_variable connections_cv;
  std::uint64_t next_connection = 0;
  std::unordered_map<std::uint64_t, std::weak_ptr<beast::tcp_stream>> connections;
};

void Server::Impl::Start() {
  if (started.exchange(true)) throw std::logic_error("Server::Start called twice");
  try {
    const tcp::endpoint endpoint(asio::ip::make_address(settings.address), settings.port);
    acceptor.emplace(asio::make_strand(ioc));
    acceptor->open(endpoint.protocol());
    acceptor->set_option(asio::socket_base::reuse_address(true));
    acceptor->bind(endpoint);
    acceptor->listen(asio::socket_base::max_listen_connections);
    port = acceptor->local_endpoint().port();
  } catch (const boost::system::system_error& e) {
    throw std::runtime_error("cannot listen on " + settings.address + ":" +
                             std::to_string(settings.port) + ": " + e.what());
  }
  workers.emplace(static_cast<std::size_t>(std::max(1, settings.worker_threads)));
  queue_workers.emplace(static_cast<std::size_t>(std::max(1, settings.queue_worker_threads)));
  batches.emplace([this](std::function<void()> run) { asio::post(*workers, std::move(run)); },
                  services, metrics, kMaxBatch, kBatchRuns);
  asio::co_spawn(acceptor->get_executor(), Accept(), [](std::exception_ptr e) {
    if (e) spdlog::error("HTTP accept loop ended by an exception");
  });
  const int io_threads = std::max(1, settings.io_threads);
  for (int i = 0; i < io_threads; ++i) threads.emplace_back([this] { RunIo(); });
}

void Server::Impl::RunIo() {
  // run() returns when the context stops or runs out of work; an exception escaping a handler
  // is a bug that must not take the whole thread pool down with it.
  while (true) {
    try {
      ioc.run();
      return;
    } catch (const std::exception& e) {
      spdlog::error("exception on an HTTP I/O thread: {}", e.what());
    }
  }
}

void Server::Impl::Stop() {
  if (stopped.exchange(true)) return;
  if (acceptor) {
    asio::post(acceptor->get_executor(), [this] {
      boost::system::error_code ec;
      acceptor->close(ec);
    });
  }
  {
    std::unique_lock lock(connections_mu);
    for (auto& [id, weak] : connections) {
      if (auto stream = weak.lock()) {
        asio::post(stream->get_executor(), [stream] {
          boost::system::error_code ec;
          stream->socket().shutdown(tcp::socket::shutdown_both, ec);
          stream->socket().close(ec);
        });
      }
    }
    if (!threads.empty()) {
      connections_cv.wait_for(lock, kStopGrace, [this] { return connections.empty(); });
    }
  }
  ioc.stop();
  for (auto& thread : threads) thread.join();
  threads.clear();
  // The posted close may not have run before stop(); with the I/O threads gone it is safe here.
  if (acceptor) {
    boost::system::error_code ec;
    acceptor->close(ec);
  }
  if (workers) workers->join();
  if (queue_workers) queue_workers->join();
}

asio::awaitable<void> Server::Impl::Accept() {
  asio::steady_timer backoff(co_await asio::this_coro::executor);
  while (!stopped) {
    auto [ec, socket] = co_await acceptor->async_accept(asio::make_strand(ioc), kAsTuple);
    if (ec) {
      if (ec == asio::error::operation_aborted || stopped || !acceptor->is_open()) co_return;
      // Out of file descriptors and the like: pause rather than spin.
      spdlog::warn("accept failed: {}", ec.message());
      backoff.expires_after(std::chrono::milliseconds(50));
      co_await backoff.async_wait(kAsTuple);
      continue;
    }
    auto executor = socket.get_executor();
    asio::co_spawn(executor, Session(std::move(socket)), asio::detached);
  }
}

asio::awaitable<void> Server::Impl::Session(tcp::socket socket) {
  auto stream = std::make_shared<beast::tcp_stream>(std::move(socket));
  std::string client;
  {
    boost::system::error_code ec;
    auto remote = stream->socket().remote_endpoint(ec);
    if (!ec) client = remote.address().to_string();
  }
  std::uint64_t id = 0;
  {
    std::lock_guard lock(connections_mu);
    if (stopped) co_return;
    id = next_connection++;
    connections.emplace(id, stream);
  }
  try {
    co_await Serve(*stream, client);
  } catch (const std::exception& e) {
    spdlog::debug("connection ended: {}", e.what());
  }
  boost::system::error_code ec;
  stream->socket().shutdown(tcp::socket::shutdown_both, ec);
  stream->socket().close(ec);
  {
    std::lock_guard lock(connections_mu);
    connections.erase(id);
  }
  connections_cv.notify_all();
}

asio::awaitable<void> Server::Impl::Serve(beast::tcp_stream& stream, const std::string& client) {
  beast::flat_buffer buffer;
  bool first = true;
  while (!stopped) {
    // Waiting for the next request is bounded by the idle timeout; once its first byte is here,
    // the whole header must arrive within the header timeout (no slow-loris).
    if (buffer.size() == 0) {
      stream.expires_after(first ? settings.header_timeout : settings.idle_timeout);
      auto [ec, n] = co_await stream.async_read_some(buffer.prepare(4096), kAsTuple);
      if (ec) co_return;
      buffer.commit(n);
    }
    first = false;
    const auto start = Clock::now();

    bhttp::request_parser<bhttp::string_body> parser;
    parser.header_limit(kHeaderLimit);
    parser.body_limit(settings.body_limit);
    stream.expires_after(settings.header_timeout);
    auto [header_ec, header_n] =
        co_await bhttp::async_read_header(stream, buffer, parser, kAsTuple);

    std::optional<Response> early;  // an answer decided before the request is complete
    if (!header_ec && parser.content_length() && *parser.content_length() > settings.body_limit) {
      header_ec = bhttp::error::body_limit;
    }
    if (!header_ec && !parser.is_done()) {
      if (auto expect = parser.get()[bhttp::field::expect];
          EqualsIgnoreCase(expect, "100-continue")) {
        bhttp::response<bhttp::empty_body> proceed{bhttp::status::continue_,
                                                   parser.get().version()};
        auto [ec, n] = co_await bhttp::async_write(stream, proceed, kAsTuple);
        if (ec) co_return;
      }
      auto [body_ec, body_n] = co_await bhttp::async_read(stream, buffer, parser, kAsTuple);
      header_ec = body_ec;
    }
    if (header_ec == bhttp::error::body_limit) {
      early =
          ErrorResponse(domain::ErrorCode::kPayloadTooLarge,
                        "request body exceeds " + std::to_string(settings.body_limit) + " bytes");
    } else if (IsMalformedRequest(header_ec)) {
      early = ErrorResponse(domain::ErrorCode::kInvalidRequest, "malformed HTTP request");
    } else if (header_ec) {
      co_return;  // the peer went away or timed out: nobody to answer
    }

    if (early) {
      Request request;
      request.method = std::string(parser.get().method_string());
      request.path = std::string(parser.get().target().substr(0, parser.get().target().find('?')));
      request.client_address = client;
      std::string request_id = GenerateRequestId();
      early->headers.emplace_back("X-Request-Id", request_id);
      metrics.RequestStarted();
      Record(request, Metrics::kUnmatchedRoute, *early, request_id, start);
      auto message = ToMessage(std::move(*early), 11, false);
      stream.expires_after(settings.header_timeout);
      auto [write_ec, written] = co_await bhttp::async_write(stream, message, kAsTuple);
      if (!write_ec) co_await DrainAndClose(stream);
      co_return;
    }

    auto incoming = parser.release();
    const bool keep_alive = incoming.keep_alive() && !stopped;
    const unsigned version = incoming.version();
    Request request = ToRequest(std::move(incoming), client, clients);
    stream.expires_never();  // handling time is bounded by the worker pool, not the socket
    const RouteMatch match = router.Match(request.method, request.path);
    if (match.kind == RouteMatch::Kind::kMatched && match.route->id == RouteId::kQueueStream) {
      if (!co_await ServeQueueStream(stream, request, match, version, keep_alive)) co_return;
      continue;
    }
    Response response = co_await Handle(request, match);
    auto message = ToMessage(std::move(response), version, keep_alive);
    stream.expires_after(settings.idle_timeout);
    auto [write_ec, written] = co_await bhttp::async_write(stream, message, kAsTuple);
    if (write_ec || !keep_alive) co_return;
  }
}

asio::awaitable<Response> Server::Impl::Handle(Request& request, const RouteMatch& match) {
  const auto start = Clock::now();
  metrics.RequestStarted();
  const std::string request_id = RequestIdOf(request);

  Response response;
  switch (match.kind) {
    case RouteMatch::Kind::kNotFound:
      response = ErrorResponse(domain::ErrorCode::kNotFound, "no such endpoint");
      break;
    case RouteMatch::Kind::kMethodNotAllowed:
      response = ErrorResponse(domain::ErrorCode::kMethodNotAllowed,
                               request.method + " is not allowed here; use " + match.allow);
      response.headers.emplace_back("Allow", match.allow);
      break;
    case RouteMatch::Kind::kBadParameter:
      response = ErrorResponse(domain::ErrorCode::kInvalidRequest, match.message);
      break;
    case RouteMatch::Kind::kMatched:
      response = co_await Dispatch(request, match, request_id);
      break;
  }
  response.headers.emplace_back("X-Request-Id", request_id);
  Record(request, match.route ? match.route->path : Metrics::kUnmatchedRoute, response, request_id,
         start);
  co_return response;
}

std::optional<Response> Server::Impl::Throttle(const Request& request, const RouteMatch& match) {
  if (!IsRateLimited(match.route->id) || !limiter.Enabled()) return std::nullopt;
  std::string key;
  if (auto auth = request.Header("Authorization"); auth && !auth->empty()) {
    key = "a:" + std::string(*auth);
  } else if (auto token = request.Header("User-Token"); token && !token->empty()) {
    key = "t:" + std::string(*token);
  } else if (auto param = request.QueryParam("token");
             match.route->id == RouteId::kQueueStream && param && !param->empty()) {
    key = "t:" + std::string(*param);
  } else {
    key = "ip:" + request.client_address;
  }
  const auto decision = limiter.Acquire(key, Clock::now());
  if (decision.allowed) return std::nullopt;
  Response refused = ErrorResponse(domain::ErrorCode::kRateLimited, "too many requests");
  refused.headers.clear();
  refused.headers.emplace_back("Retry-After", std::to_string(decision.retry_after_seconds));
  return refused;
}

asio::awaitable<Response> Server::Impl::Dispatch(Request& request, const RouteMatch& match,
                                                 const std::string& request_id) {
  if (auto refused = Throttle(request, match)) co_return std::move(*refused);
  // Liveness is answered here, with no blocking work: a saturated worker pool is busy, not dead.
  if (match.route->id == RouteId::kHealth) {
    co_return std::get<Response>(Invoke(request, match, 0, request_id));
  }

  // Admission control: never queue more blocking work than max_pending.
  if (pending.fetch_add(1, std::memory_order_acq_rel) >= settings.max_pending) {
    pending.fetch_sub(1, std::memory_order_acq_rel);
    co_return ErrorResponse(domain::ErrorCode::kUnavailable, "server busy, retry shortly");
  }
  if (AsyncHandler async = AsyncHandlerFor(match.route->id)) {
    // A route for admitted users answers here only when its queue token could be checked here.
    std::optional<domain::Result<application::ActiveUser>> active;
    if (NeedsActiveUser(match.route->id)) active = co_await CheckActiveInPlace(request);
    if (active || !NeedsActiveUser(match.route->id)) {
      std::optional<Response> answered =
          co_await AnswerInPlace(async, request, match, request_id, active ? &*active : nullptr);
      if (answered) {
        pending.fetch_sub(1, std::memory_order_acq_rel);
        co_return std::move(*answered);
      }
    }
  }
  Response response;
  asio::steady_timer timer(co_await asio::this_coro::executor);
  // Bounded: a handler answers RetryLater only while attempt < kIdempotencyMaxAttempts.
  for (int attempt = 0; attempt <= kIdempotencyMaxAttempts; ++attempt) {
    std::optional<domain::Result<application::ActiveUser>> active;
    if (NeedsActiveUser(match.route->id)) active = co_await CheckActiveInPlace(request);
    Outcome outcome = co_await asio::co_spawn(
        IsQueueRoute(match.route->id) ? queue_workers->get_executor() : workers->get_executor(),
        [&]() -> asio::awaitable<Outcome> {
          co_return Invoke(request, match, attempt, request_id, active ? &*active : nullptr);
        },
        asio::use_awaitable);
    if (auto* done = std::get_if<Response>(&outcome)) {
      response = std::move(*done);
      break;
    }
    if (attempt == kIdempotencyMaxAttempts || stopped) {
      response = ErrorResponse(domain::ErrorCode::kIdempotencyInProgress,
                               "a request with this Idempotency-Key is still in progress");
      break;
    }
    timer.expires_after(kIdempotencyPollInterval);
    co_await timer.async_wait(kAsTuple);
  }
  pending.fetch_sub(1, std::memory_order_acq_rel);
  co_return response;
}

asio::awaitable<bool> Server::Impl::ServeQueueStream(beast::tcp_stream& stream,
                                                     const Request& request,
                                                     const RouteMatch& match, unsigned version,
                                                     bool keep_alive) {
  const auto start = Clock::now();
  metrics.RequestStarted();
  const std::string request_id = RequestIdOf(request);
  const std::string_view route = match.route->path;

  // Until the first check succeeds this is an ordinary request, refused exactly like a poll.
  std::optional<Response> refusal = Throttle(request, match);
  // The slot is taken even by a refused request, and given back once it is answered.
  const bool over_limit =
      open_streams.fetch_add(1, std::memory_order_acq_rel) >= settings.max_streams;
  const SlotGuard slot(open_streams);
  if (over_limit && !refusal) {
    refusal = ErrorResponse(domain::ErrorCode::kUnavailable, "too many open streams, retry later");
  }
  std::string token;
  if (!refusal) {
    auto parsed = handlers::QueueStreamToken(request);
    if (parsed) {
      token = std::move(*parsed);
    } else {
      refusal = ErrorResponse(parsed.error());
    }
  }
  std::optional<domain::Result<application::QueueStatusView>> first;
  if (!refusal) {
    first = co_await CheckQueue(token);
    if (!first) {
      refusal = ErrorResponse(domain::ErrorCode::kUnavailable, "server busy, retry shortly");
    } else if (!*first) {
      refusal = ErrorResponse(first->error());
    }
  }
  if (refusal) {
    refusal->headers.emplace_back("X-Request-Id", request_id);
    Record(request, route, *refusal, request_id, start);
    auto message = ToMessage(std::move(*refusal), version, keep_alive);
    stream.expires_after(settings.idle_timeout);
    auto [ec, written] = co_await bhttp::async_write(stream, message, kAsTuple);
    co_return !ec && keep_alive;
  }

  metrics.StreamOpened();
  // HTTP/1.1 frames the events as chunks, so the client sees a clean end; HTTP/1.0 reads to EOF.
  const bool chunked = version >= 11;
  bhttp::response<bhttp::empty_body> head{bhttp::status::ok, version};
  head.set(bhttp::field::server, "boxoffice");
  head.set(bhttp::field::content_type, "text/event-stream");
  head.set(bhttp::field::cache_control, "no-cache");
  head.set("X-Accel-Buffering", "no");  // a buffering proxy (nginx) would hold the events back
  head.set("X-Request-Id", request_id);
  head.keep_alive(false);  // the connection ends with the stream
  head.chunked(chunked);
  bool finished = false;  // reached its last event, as opposed to the client leaving or Stop
  try {
    bhttp::response_serializer<bhttp::empty_body> serializer{head};
    stream.expires_after(settings.idle_timeout);
    auto [head_ec, head_written] = co_await bhttp::async_write_header(stream, serializer, kAsTuple);
    stream.expires_never();
    QueueStreamFeed feed;
    const auto step = feed.OnStatus(**first);
    if (!head_ec && co_await WriteEvent(stream, step.frame, chunked)) {
      if (step.last) {
        finished = true;
      } else if (!stopped) {
        using asio::experimental::awaitable_operators::operator||;
        auto ended = co_await (FeedQueueStream(stream, feed, token, step.next_check, chunked) ||
                               WatchPeer(stream.socket()));
        finished = ended.index() == 0 && std::get<0>(ended);
      }
    }
    if (finished && chunked) {
      stream.expires_after(settings.idle_timeout);
      co_await asio::async_write(stream, bhttp::make_chunk_last(), kAsTuple);
    }
  } catch (const std::exception& e) {
    spdlog::warn("request {} queue stream ended by an exception: {}", request_id, e.what());
  }
  metrics.StreamClosed();
  Record(request, route, Response{.status = 200}, request_id, start);
  co_return false;
}

asio::awaitable<bool> Server::Impl::FeedQueueStream(beast::tcp_stream& stream,
                                                    QueueStreamFeed& feed, const std::string& token,
                                                    std::chrono::milliseconds first_check,
                                                    bool chunked) {
  // When WatchPeer ends first this coroutine is cancelled: the pending wait completes with
  // operation_aborted, and the loop checks the state rather than unwinding by exception.
  co_await asio::this_coro::throw_if_cancelled(false);
  const auto cancellation = co_await asio::this_coro::cancellation_state;
  auto cancelled = [&] { return cancellation.cancelled() != asio::cancellation_type::none; };
  asio::steady_timer timer(co_await asio::this_coro::executor);
  auto next_check = Clock::now() + first_check;
  auto next_keep_alive = Clock::now() + kSseKeepAliveInterval;
  try {
    // Ends with the place (admitted, sold out, gone), the client, or Stop.
    while (!stopped) {
      timer.expires_at(std::min(next_check, next_keep_alive));
      co_await timer.async_wait(kAsTuple);
      if (cancelled() || stopped) co_return false;
      if (Clock::now() >= next_check) {
        auto checked = co_await CheckQueue(token);
        if (cancelled()) co_return false;
        if (!checked) {  // workers saturated: try again soon rather than queue behind them
          next_check = Clock::now() + kStreamBusyRetry;
          continue;
        }
        const auto step = *checked ? feed.OnStatus(**checked) : feed.OnError(checked->error());
        next_check = Clock::now() + step.next_check;
        if (!step.frame.empty()) {
          if (!co_await WriteEvent(stream, step.frame, chunked)) co_return false;
          next_keep_alive = Clock::now() + kSseKeepAliveInterval;
        }
        if (step.last) co_return true;
      }
      if (Clock::now() >= next_keep_alive) {
        if (!co_await WriteEvent(stream, kSseKeepAlive, chunked)) co_return false;
        next_keep_alive = Clock::now() + kSseKeepAliveInterval;
      }
    }
  } catch (const std::exception& e) {
    // Must not escape: the other side of the || would keep the stream open.
    spdlog::warn("queue stream feed failed: {}", e.what());
  }
  co_return false;
}

asio::awaitable<std::optional<domain::Result<application::QueueStatusView>>>
Server::Impl::CheckQueue(const std::string& token) {
  using Checked = domain::Result<application::QueueStatusView>;
  // The same admission control as requests: never queue more blocking work than max_pending.
  if (pending.fetch_add(1, std::memory_order_acq_rel) >= settings.max_pending) {
    pending.fetch_sub(1, std::memory_order_acq_rel);
    co_return std::nullopt;
  }
  const SlotGuard slot(pending);
  std::optional<Checked> checked;
  try {
    checked = co_await asio::co_spawn(
        queue_workers->get_executor(),
        // co_spawn needs a default-constructible result, which Result is not.
        [this, &token]() -> asio::awaitable<std::optional<Checked>> {
          co_return RunQueueCheck(token);
        },
        asio::use_awaitable);
  } catch (const boost::system::system_error&) {
    // The stream is being cancelled; the caller sees that and stops.
  }
  co_return checked;
}

domain::Result<application::QueueStatusView> Server::Impl::RunQueueCheck(const std::string& token) {
  try {
    return handlers::QueueStreamCheck(services, token);
  } catch (const domain::UnavailableError& e) {
    spdlog::warn("queue stream check: dependency unavailable: {}", e.what());
    return domain::Fail(domain::ErrorCode::kUnavailable, "a dependency is unavailable");
  } catch (const std::exception& e) {
    spdlog::error("queue stream check failed: {}", e.what());
    return domain::Fail(domain::ErrorCode::kInternal, "internal error");
  }
}

asio::awaitable<bool> Server::Impl::WriteEvent(beast::tcp_stream& stream, std::string_view frame,
                                               bool chunked) {
  if (frame.empty()) co_return true;  // an empty chunk would end the chunked body
  // A client that stops reading is dropped after the idle timeout rather than held forever.
  stream.expires_after(settings.idle_timeout);
  const auto data = asio::buffer(frame.data(), frame.size());
  boost::system::error_code ec;
  if (chunked) {
    std::tie(ec, std::ignore) =
        co_await asio::async_write(stream, bhttp::make_chunk(data), kAsTuple);
  } else {
    std::tie(ec, std::ignore) = co_await asio::async_write(stream, data, kAsTuple);
  }
  stream.expires_never();
  co_return !ec;
}

Outcome Server::Impl::Invoke(Request& request, const RouteMatch& match, int attempt,
                             const std::string& request_id,
                             const domain::Result<application::ActiveUser>* active) {
  RequestContext ctx = ContextFor(request, match, attempt, active);
  try {
    Handler handler = HandlerFor(match.route->id);
    if (handler == nullptr) throw std::logic_error("route without a handler");
    return handler(ctx);
  } catch (...) {
    return FailureResponse(std::current_exception(), request, match, request_id);
  }
}

Response Server::Impl::FailureResponse(std::exception_ptr error, const Request& request,
                                       const RouteMatch& match, const std::string& request_id) {
  try {
    std::rethrow_exception(error);
  } catch (const domain::UnavailableError& e) {
    spdlog::warn("request {} {} {}: dependency unavailable: {}", request_id, request.method,
                 match.route->path, e.what());
    return ErrorResponse(domain::ErrorCode::kUnavailable, "a dependency is unavailable");
  } catch (const std::exception& e) {
    spdlog::error("request {} {} {} failed: {}", request_id, request.method, match.route->path,
                  e.what());
  } catch (...) {
    spdlog::error("request {} {} {} failed with a non-standard exception", request_id,
                  request.method, match.route->path);
  }
  return ErrorResponse(domain::ErrorCode::kInternal, "internal error");
}

asio::awaitable<std::optional<Response>> Server::Impl::AnswerInPlace(
    AsyncHandler handler, Request& request, const RouteMatch& match, const std::string& request_id,
    const domain::Result<application::ActiveUser>* active) {
  RequestContext ctx = ContextFor(request, match, 0, active);
  // Written once, by whichever ends the work first (the reply, or the handler's own throw),
  // before this coroutine is resumed; read after.
  struct Answer {
    std::atomic<bool> given{false};
    std::optional<Response> response;
  };
  Answer answer;
  auto give = [&](std::exception_ptr error, Outcome outcome) {
    if (answer.given.exchange(true, std::memory_order_acq_rel)) return false;
    if (error) {
      answer.response = FailureResponse(error, request, match, request_id);
    } else if (auto* response = std::get_if<Response>(&outcome)) {
      answer.response = std::move(*response);
    }  // RetryLater: the blocking handler serves the request (answer.response stays empty)
    return true;
  };
  co_await SuspendUntilWoken([&](auto wake) {
    bool started = false;
    try {
      started = handler(ctx, [give, wake](std::exception_ptr error, Outcome outcome) {
        if (give(error, std::move(outcome))) wake();
      });
    } catch (...) {
      started = true;
      if (give(std::current_exception(), Response{})) wake();
    }
    // Declined: the handler started nothing, so nothing will reply.
    if (!started && !answer.given.exchange(true, std::memory_order_acq_rel)) wake();
  });
  co_return std::move(answer.response);
}

asio::awaitable<std::optional<domain::Result<application::ActiveUser>>>
Server::Impl::CheckActiveInPlace(const Request& request) {
  auto token = request.Header("User-Token");
  if (!token || token->empty()) co_return std::nullopt;  // the handler answers 401
  // Written once, by the check's completion or by the decline, before this coroutine resumes.
  struct Check {
    std::atomic<bool> given{false};
    std::optional<domain::Result<application::ActiveUser>> result;
  };
  // Shared with the completion, which may outlive this frame if the check threw after starting.
  auto check = std::make_shared<Check>();
  co_await SuspendUntilWoken([&](auto wake) {
    bool started = false;
    try {
      started = services.queue_access.RequireActiveAsync(
          *token,
          [check, wake](std::exception_ptr error, domain::Result<application::ActiveUser> result) {
            if (check->given.exchange(true, std::memory_order_acq_rel)) return;
            if (!error) check->result = std::move(result);
            wake();
          });
    } catch (...) {
      // Declined: a reply that still comes finds `given` set. The worker checks again.
    }
    if (!started && !check->given.exchange(true, std::memory_order_acq_rel)) wake();
  });
  co_return std::move(check->result);
}

void Server::Impl::Record(const Request& request, std::string_view route, const Response& response,
                          std::string_view request_id, Clock::time_point start) {
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  metrics.ObserveRequest(metrics.Series(route, request.method), response.status, seconds);
  metrics.RequestFinished();
  if (settings.access_log) {
    WriteAccessLine({.ts = std::chrono::system_clock::now(),
                     .request_id = request_id,
                     .method = request.method,
                     .path = request.path,
                     .route = route,
                     .status = response.status,
                     .duration_ms = seconds * 1000});
  }
}

Server::Server(HttpSettings settings, Services& services)
    : impl_(std::make_unique<Impl>(std::move(settings), services)) {}

Server::~Server() { Stop(); }

void Server::Start() { impl_->Start(); }

boost::asio::io_context& Server::Io() { return impl_->ioc; }

std::uint16_t Server::Port() const { return impl_->port; }

void Server::Stop() { impl_->Stop(); }

}  // namespace boxoffice::http
