#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <variant>

#include "date_choice.hpp"

namespace boxoffice::loadgen {

enum class Arrival { kUniform, kPoisson };

// Everything the command line says, validated.
struct Options {
  std::string host = "127.0.0.1";
  std::uint16_t port = 8080;
  std::string admin_token;  // --admin-token, else BOXOFFICE_ADMIN_TOKEN

  int users = 1000;
  double arrival_seconds = 10;
  Arrival arrival = Arrival::kUniform;
  std::uint64_t seed = 1;

  // Catalogue made by the setup (or, with --no-setup, the concert to use).
  bool setup = true;
  std::int64_t concert_id = 0;
  int seats = 1000;  // per date
  int dates = 1;
  std::int64_t price = 50'000;

  // Admission policy set by the setup; unset leaves the server's value.
  std::optional<int> admit_batch = 500;
  std::optional<int> admit_interval_ms = 100;
  std::optional<int> max_active = 2000;

  // Virtual user behaviour.
  int max_seats_per_user = 2;  // each user wants 1..this many seats
  DateChoice date_choice = DateChoice::kFirst;
  double zipf_exponent = 1.0;  // front-row bias: weight of seat n is 1 / n^s
  int hold_retries = 20;       // fresh picks after 409 seat_unavailable before giving up
  int busy_retries = 3;        // retries of a 429/503 (each counted as a failure)

  // Transport and bounds.
  int connections = 256;
  int threads = 1;
  int request_timeout_ms = 30'000;
  double max_run_seconds = 600;  // the whole rush, arrivals included

  std::string json_path;  // --json FILE
  bool quiet = false;
};

struct OptionsError {
  std::string message;
};
struct HelpShown {
  std::string text;
};

// Parses argv; HelpShown for --help, OptionsError for anything invalid (exit code 2).
std::variant<Options, OptionsError, HelpShown> ParseOptions(int argc, char** argv);

}  // namespace boxoffice::loadgen
