// WAL positions (LSN) in PostgreSQL's text form "16/B374D848".
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace pg2sr::codecs {

/// "X/X" as PostgreSQL writes it (upper-case hex, no leading zeros).
std::string format_lsn(std::uint64_t lsn);

/// Parses "X/X"; nullopt when the text is not an LSN.
std::optional<std::uint64_t> parse_lsn(std::string_view text);

}  // namespace pg2sr::codecs
