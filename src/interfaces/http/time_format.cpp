#include "interfaces/http/time_format.hpp"

#include <chrono>
#include <cstdio>

namespace boxoffice::http {
namespace {

// Reads exactly `n` ASCII digits at `pos`.
std::optional<int> Digits(std::string_view s, std::size_t pos, std::size_t n) {
  if (pos + n > s.size()) return std::nullopt;
  int value = 0;
  for (std::size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return std::nullopt;
    value = value * 10 + (s[i] - '0');
  }
  return value;
}

bool CharAt(std::string_view s, std::size_t pos, char c) { return pos < s.size() && s[pos] == c; }

}  // namespace

std::optional<domain::Instant> ParseTime(std::string_view s) {
  using namespace std::chrono;
  auto year = Digits(s, 0, 4);
  auto month = Digits(s, 5, 2);
  auto day = Digits(s, 8, 2);
  auto hour = Digits(s, 11, 2);
  auto minute = Digits(s, 14, 2);
  auto second = Digits(s, 17, 2);
  if (!year || !month || !day || !hour || !minute || !second || !CharAt(s, 4, '-') ||
      !CharAt(s, 7, '-') || !(CharAt(s, 10, 'T') || CharAt(s, 10, 't')) || !CharAt(s, 13, ':') ||
      !CharAt(s, 16, ':')) {
    return std::nullopt;
  }
  if (*hour > 23 || *minute > 59 || *second > 59) return std::nullopt;
  const year_month_day date{std::chrono::year(*year), std::chrono::month(*month),
                            std::chrono::day(*day)};
  if (!date.ok()) return std::nullopt;

  std::size_t pos = 19;
  int millis = 0;
  if (CharAt(s, pos, '.')) {
    ++pos;
    std::size_t digits = 0;
    // Bounded: nanosecond precision is the most any sane client sends.
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9' && digits < 9) {
      if (digits < 3) millis = millis * 10 + (s[pos] - '0');
      ++digits;
      ++pos;
    }
    if (digits == 0) return std::nullopt;
    for (std::size_t i = digits; i < 3; ++i) millis *= 10;
  }

  minutes offset{0};
  if (CharAt(s, pos, 'Z') || CharAt(s, pos, 'z')) {
    ++pos;
  } else if (CharAt(s, pos, '+') || CharAt(s, pos, '-')) {
    const bool negative = s[pos] == '-';
    auto oh = Digits(s, pos + 1, 2);
    auto om = Digits(s, pos + 4, 2);
    if (!oh || !om || !CharAt(s, pos + 3, ':') || *oh > 23 || *om > 59) return std::nullopt;
    offset = hours(*oh) + minutes(*om);
    if (negative) offset = -offset;
    pos += 6;
  } else {
    return std::nullopt;
  }
  if (pos != s.size()) return std::nullopt;

  auto local =
      sys_days(date) + hours(*hour) + minutes(*minute) + seconds(*second) + milliseconds(millis);
  return time_point_cast<milliseconds>(local - offset);
}

std::string FormatTime(domain::Instant t) {
  using namespace std::chrono;
  const auto secs = floor<seconds>(t);
  const auto days = floor<std::chrono::days>(secs);
  const year_month_day date{days};
  const hh_mm_ss<seconds> time{secs - days};
  char buffer[32];
  std::snprintf(buffer, sizeof(buffer), "%04d-%02u-%02uT%02d:%02d:%02dZ", int(date.year()),
                unsigned(date.month()), unsigned(date.day()), int(time.hours().count()),
                int(time.minutes().count()), int(time.seconds().count()));
  return buffer;
}

}  // namespace boxoffice::http
