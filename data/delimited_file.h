// Reading TSV and CSV files into records (fields plus the line each record starts on). Pure
// parsing: what the fields must contain is checked by the caller (TextDataset).
#pragma once

#include <cstddef>
#include <cstdint>
#include <istream>
#include <string>
#include <string_view>
#include <vector>

namespace ember::data {

enum class FileFormat {
  kAuto,  // by extension: ".csv" is CSV, anything else TSV
  kTsv,   // one record per line, fields separated by tabs, no quoting
  kCsv,   // RFC 4180: commas; quoted fields may hold commas, newlines and doubled quotes ("")
};

struct Record {
  std::vector<std::string> fields;
  std::int64_t line = 0;  // 1-based line on which the record starts
  std::string_view text;  // the record as it appears in the file, for error messages
  std::string error;      // non-empty when the record could not be parsed (unterminated quote)
};

// The whole file as a string. Throws IoError naming the path when it cannot be read. A FIFO or
// a device is read up to kMaxStreamBytes (`/dev/zero` would otherwise fill memory).
constexpr std::size_t kMaxStreamBytes = std::size_t{256} << 20;
std::string read_file(const std::string& path);

// std::getline with a bound: a line longer than `max_bytes` (an endless device, a file without
// newlines) throws IoError naming `source` and the line instead of growing until memory runs out.
// Returns false at the end of the input, as getline does; `line` excludes the '\n'.
constexpr std::size_t kMaxLineBytes = std::size_t{16} << 20;
bool getline_bounded(std::istream& in, std::string& line, const std::string& source, std::int64_t line_number,
                     std::size_t max_bytes = kMaxLineBytes);

// The format `format` stands for, resolving kAuto from the extension of `path`.
FileFormat resolve_format(FileFormat format, const std::string& path);

// Splits `content` into records. Empty lines (after a trailing '\r' is removed) are skipped and a
// leading UTF-8 byte order mark is ignored. An unterminated CSV quote yields one record with
// `error` set, and parsing resumes on the line after the one where that record began. The
// returned views point into `content`.
std::vector<Record> parse_records(std::string_view content, FileFormat format);

}  // namespace ember::data
