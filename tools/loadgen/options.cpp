#include "options.hpp"

#include <CLI/CLI.hpp>
#include <charconv>
#include <cstdlib>

namespace boxoffice::loadgen {
namespace {

// http://host[:port][/]: the tool speaks plain HTTP/1.1 to one server or load balancer.
std::optional<std::string> ParseUrl(const std::string& url, Options& out) {
  constexpr std::string_view kScheme = "http://";
  if (url.rfind(kScheme, 0) != 0) return "--url must start with http:// (no TLS)";
  std::string rest = url.substr(kScheme.size());
  if (!rest.empty() && rest.back() == '/') rest.pop_back();
  if (rest.find('/') != std::string::npos) return "--url takes no path: http://host:port";
  const auto colon = rest.rfind(':');
  std::string host = rest;
  int port = 80;
  if (colon != std::string::npos) {
    host = rest.substr(0, colon);
    const std::string digits = rest.substr(colon + 1);
    const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), port);
    if (ec != std::errc() || end != digits.data() + digits.size() || port < 1 || port > 65535) {
      return "--url has a bad port: " + digits;
    }
  }
  if (host.empty()) return "--url has no host";
  out.host = host;
  out.port = static_cast<std::uint16_t>(port);
  return std::nullopt;
}

}  // namespace

std::variant<Options, OptionsError, HelpShown> ParseOptions(int argc, char** argv) {
  Options o;
  CLI::App app{
      "boxoffice-loadgen: a ticket-opening rush against a boxoffice server.\n"
      "N virtual users arrive over T seconds, queue, poll as pollAfterMs says, are admitted,\n"
      "list dates and seats, hold (most want the front rows; on 409 they pick another seat),\n"
      "reserve, charge their wallet and pay. Then the invariants are checked through the API.\n"
      "Exit code: 0 all good; 1 an invariant failed, a request failed unexpectedly or the run\n"
      "hit --max-run-seconds; 2 bad flags; 3 setup or the server unusable.",
      "boxoffice-loadgen"};
  std::string url = "http://127.0.0.1:8080";
  std::string arrival = "uniform";
  std::string date_choice = "first";
  int admit_batch = *o.admit_batch, admit_interval = *o.admit_interval_ms,
      max_active = *o.max_active;
  bool keep_policies = false;
  bool no_setup = false;

  app.add_option("--url", url, "server base URL, http://host:port")->capture_default_str();
  app.add_option("--admin-token", o.admin_token,
                 "admin bearer token (default: $BOXOFFICE_ADMIN_TOKEN)");
  app.add_option("--users", o.users, "virtual users")
      ->check(CLI::Range(1, 1'000'000))
      ->capture_default_str();
  app.add_option("--arrival-seconds", o.arrival_seconds, "users arrive over this many seconds")
      ->check(CLI::Range(0.0, 3600.0))
      ->capture_default_str();
  app.add_option("--arrival", arrival, "arrival process: uniform or poisson")
      ->check(CLI::IsMember({"uniform", "poisson"}))
      ->capture_default_str();
  app.add_option("--seed", o.seed, "random seed (arrivals, seat picks)")->capture_default_str();
  app.add_flag("--no-setup", no_setup,
               "use the existing concert --concert-id and the policies in force; users still "
               "sign up and charge during the run (needs sign-up enabled)");
  app.add_option("--concert-id", o.concert_id, "concert to use with --no-setup")
      ->check(CLI::Range(std::int64_t{1}, std::int64_t{1} << 53));
  app.add_option("--seats", o.seats, "seats per date created by the setup")
      ->check(CLI::Range(1, 10'000))
      ->capture_default_str();
  app.add_option("--dates", o.dates, "dates created by the setup")
      ->check(CLI::Range(1, 50))
      ->capture_default_str();
  app.add_option("--price", o.price, "price per seat (KRW) set by the setup")
      ->check(CLI::Range(std::int64_t{1}, std::int64_t{100'000'000}))
      ->capture_default_str();
  app.add_option("--admit-batch", admit_batch, "admission policy: users admitted per round")
      ->check(CLI::Range(1, 1'000'000))
      ->capture_default_str();
  app.add_option("--admit-interval-ms", admit_interval, "admission policy: ms between rounds")
      ->check(CLI::Range(10, 3'600'000))
      ->capture_default_str();
  app.add_option("--max-active", max_active, "admission policy: admitted users at once")
      ->check(CLI::Range(1, 10'000'000))
      ->capture_default_str();
  app.add_flag("--keep-policies", keep_policies,
               "do not change the admission policy (the setup still creates the concert)");
  app.add_option("--max-seats-per-user", o.max_seats_per_user, "each user wants 1..this many seats")
      ->check(CLI::Range(1, 100))
      ->capture_default_str();
  app.add_option("--date-choice", date_choice,
                 "which date a user tries: first (the earliest with a free seat) or weighted "
                 "(any with a free seat, in proportion to its free seats)")
      ->check(CLI::IsMember({"first", "weighted"}))
      ->capture_default_str();
  app.add_option("--zipf", o.zipf_exponent,
                 "front-row bias: seat n is picked with weight 1/n^s (0 = uniform)")
      ->check(CLI::Range(0.0, 10.0))
      ->capture_default_str();
  app.add_option("--hold-retries", o.hold_retries,
                 "fresh seat picks after 409 seat_unavailable before a user gives up")
      ->check(CLI::Range(0, 1000))
      ->capture_default_str();
  app.add_option("--busy-retries", o.busy_retries,
                 "retries of a 429 or 503 answer, after its Retry-After (each is a failure)")
      ->check(CLI::Range(0, 100))
      ->capture_default_str();
  app.add_option("--connections", o.connections, "keep-alive connections to the server, at most")
      ->check(CLI::Range(1, 20'000))
      ->capture_default_str();
  app.add_option("--threads", o.threads,
                 "client I/O threads (each runs its own event loop over a share of the users "
                 "and connections)")
      ->check(CLI::Range(1, 2))
      ->capture_default_str();
  app.add_option("--request-timeout-ms", o.request_timeout_ms, "per request")
      ->check(CLI::Range(100, 600'000))
      ->capture_default_str();
  app.add_option("--max-run-seconds", o.max_run_seconds,
                 "stop the rush after this long (users still in flight count as failed)")
      ->check(CLI::Range(1.0, 86'400.0))
      ->capture_default_str();
  app.add_option("--json", o.json_path, "write the report as JSON to FILE");
  app.add_flag("--quiet", o.quiet, "no human summary on stdout");

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp&) {
    return HelpShown{app.help()};
  } catch (const CLI::ParseError& e) {
    return OptionsError{e.what()};
  }

  if (auto error = ParseUrl(url, o)) return OptionsError{*error};
  o.arrival = arrival == "poisson" ? Arrival::kPoisson : Arrival::kUniform;
  o.date_choice = date_choice == "weighted" ? DateChoice::kWeighted : DateChoice::kFirst;
  o.setup = !no_setup;
  if (!o.setup && o.concert_id == 0) return OptionsError{"--no-setup needs --concert-id"};
  if (o.setup && o.concert_id != 0) return OptionsError{"--concert-id goes with --no-setup"};
  if (o.admin_token.empty()) {
    if (const char* env = std::getenv("BOXOFFICE_ADMIN_TOKEN")) o.admin_token = env;
  }
  if (o.setup && o.admin_token.empty()) {
    return OptionsError{"the setup needs --admin-token or BOXOFFICE_ADMIN_TOKEN"};
  }
  if (!o.setup || keep_policies) {
    o.admit_batch.reset();
    o.admit_interval_ms.reset();
    o.max_active.reset();
  } else {
    o.admit_batch = admit_batch;
    o.admit_interval_ms = admit_interval;
    o.max_active = max_active;
  }
  if (o.connections < o.threads) return OptionsError{"--connections must be >= --threads"};
  return o;
}

}  // namespace boxoffice::loadgen
