#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace boxoffice::application {

// Input text helpers shared by the use cases that validate names and titles.
inline std::string TrimSpace(std::string_view s) {
  constexpr std::string_view kSpace = " \t\r\n\f\v";
  const auto first = s.find_first_not_of(kSpace);
  if (first == std::string_view::npos) return {};
  const auto last = s.find_last_not_of(kSpace);
  return std::string(s.substr(first, last - first + 1));
}

// Counts code points, not bytes, so a non-ASCII name gets the same limit as an ASCII one.
inline std::size_t Utf8Length(std::string_view s) {
  std::size_t n = 0;
  for (unsigned char c : s) {
    if ((c & 0xC0) != 0x80) ++n;
  }
  return n;
}

}  // namespace boxoffice::application
