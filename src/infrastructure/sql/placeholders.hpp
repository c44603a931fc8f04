#pragma once

#include <string>
#include <string_view>

namespace boxoffice::infra::sql {

// `sql` with each of SOCI's ":name" placeholders outside quoted text ('...', "...", `...`)
// replaced: `replace(name, out)` appends the replacement to `out`. Quoted text is copied as it
// is. MySQL statements are rewritten this way for the server (MysqlPrepared: "?") and for held
// writes sent as text (DeferredWrites: the escaped value).
template <class Replace>
std::string ReplacePlaceholders(std::string_view sql, Replace&& replace) {
  const auto is_name_char = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
  };
  std::string out;
  out.reserve(sql.size() + 64);
  char quote = 0;  // the quote character of the literal being copied, or 0
  for (std::size_t i = 0; i < sql.size();) {
    const char c = sql[i];
    if (quote) {
      out += c;
      ++i;
      if (c == '\\' && i < sql.size()) {
        out += sql[i++];
      } else if (c == quote) {
        quote = 0;
      }
    } else if (c == '\'' || c == '"' || c == '`') {
      quote = c;
      out += c;
      ++i;
    } else if (c == ':' && i + 1 < sql.size() && is_name_char(sql[i + 1])) {
      std::size_t end = i + 1;
      while (end < sql.size() && is_name_char(sql[end])) ++end;
      replace(sql.substr(i + 1, end - i - 1), out);
      i = end;
    } else {
      out += c;
      ++i;
    }
  }
  return out;
}

}  // namespace boxoffice::infra::sql
