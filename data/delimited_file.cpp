// TSV and CSV record parsing. CSV follows RFC 4180 and is lenient where the RFC is silent:
// a quote inside an unquoted field is kept as a character, and text after a closing quote is
// appended to the field.
#include "data/delimited_file.h"

#include "core/error.h"

#include <fmt/format.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <new>

namespace ember::data {

namespace {

// [begin, end) of the line that starts at `pos`, without its '\n' or a trailing '\r'.
std::string_view line_at(std::string_view content, std::size_t pos, std::size_t& next) {
  std::size_t end = content.find('\n', pos);
  next = end == std::string_view::npos ? content.size() : end + 1;
  if (end == std::string_view::npos) end = content.size();
  if (end > pos && content[end - 1] == '\r') --end;
  return content.substr(pos, end - pos);
}

// A TSV record: one line, split at every tab.
Record parse_tsv_line(std::string_view line, std::int64_t line_number) {
  Record record;
  record.line = line_number;
  record.text = line;
  std::size_t start = 0;
  while (true) {
    const std::size_t tab = line.find('\t', start);
    record.fields.emplace_back(line.substr(start, tab - start));
    if (tab == std::string_view::npos) break;
    start = tab + 1;
  }
  return record;
}

// A CSV record starting at `pos`; sets `next` past its end and counts the newlines it spans.
Record parse_csv_record(std::string_view content, std::size_t pos, std::int64_t line_number,
                        std::size_t& next, std::int64_t& newlines) {
  Record record;
  record.line = line_number;
  newlines = 0;
  std::string field;
  bool quoted = false;
  bool field_start = true;  // no character of the current field read yet
  std::size_t i = pos;
  for (; i < content.size(); ++i) {
    const char c = content[i];
    const bool at_field_start = field_start;
    field_start = false;
    if (quoted) {
      if (c == '"' && i + 1 < content.size() && content[i + 1] == '"') {
        field += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        if (c == '\n') ++newlines;
        field += c;
      }
    } else if (c == '"' && at_field_start) {
      quoted = true;
    } else if (c == ',') {
      record.fields.push_back(std::move(field));
      field.clear();
      field_start = true;
    } else if (c == '\n') {
      break;
    } else {
      field += c;
    }
  }
  if (quoted) {
    // Unterminated: report the record's first line and resume right after it.
    std::size_t after_first_line = 0;
    record.text = line_at(content, pos, after_first_line);
    record.error = "unterminated quote";
    record.fields.clear();
    next = after_first_line;
    newlines = 0;
    return record;
  }
  std::size_t end = i;
  if (end > pos && content[end - 1] == '\r') {
    --end;
    if (!field.empty() && field.back() == '\r') field.pop_back();
  }
  record.fields.push_back(std::move(field));
  record.text = content.substr(pos, end - pos);
  next = i < content.size() ? i + 1 : i;
  return record;
}

}  // namespace

std::string read_file(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  EMBER_CHECK(fd >= 0, IoError, "cannot open {}: {}", path, std::strerror(errno));
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  struct stat st {};
  EMBER_CHECK(::fstat(fd, &st) == 0, IoError, "cannot read {}: {}", path, std::strerror(errno));
  EMBER_CHECK(!S_ISDIR(st.st_mode), IoError, "cannot read {}: it is a folder, not a file", path);
  const bool regular = S_ISREG(st.st_mode);
  std::string content;
  try {
    if (regular) content.reserve(static_cast<std::size_t>(st.st_size));
    std::size_t size = content.size();
    for (;;) {
      if (content.size() - size < (1 << 16)) content.resize(std::max<std::size_t>(2 * content.size(), size + (1 << 16)));
      const ssize_t n = ::read(fd, content.data() + size, content.size() - size);
      if (n < 0 && errno == EINTR) continue;
      EMBER_CHECK(n >= 0, IoError, "cannot read {} (I/O error after {} bytes): {}", path, size, std::strerror(errno));
      if (n == 0) break;
      size += static_cast<std::size_t>(n);
      EMBER_CHECK(regular || size <= kMaxStreamBytes, IoError, "cannot read {}: it is {} that gave more than {} MiB; "
                  "expected a file (save the data to a regular file first)", path,
                  S_ISFIFO(st.st_mode) ? "a FIFO (pipe)" : S_ISSOCK(st.st_mode) ? "a socket" : "a device",
                  kMaxStreamBytes >> 20);
    }
    content.resize(size);
  } catch (const std::bad_alloc&) {
    throw IoError(fmt::format("cannot read {}: out of memory after {} bytes{}", path, content.size(),
                              regular ? fmt::format(" of {}", st.st_size) : std::string()));
  }
  if (regular)
    EMBER_CHECK(content.size() >= static_cast<std::size_t>(st.st_size), IoError,
                "cannot read {}: got {} of its {} bytes (was it truncated while being read?)", path, content.size(),
                st.st_size);
  else
    EMBER_CHECK(!content.empty(), IoError, "{} is {} and gave no data; expected a file", path,
                S_ISFIFO(st.st_mode) ? "a FIFO (pipe)" : S_ISSOCK(st.st_mode) ? "a socket" : "a device");
  return content;
}

bool getline_bounded(std::istream& in, std::string& line, const std::string& source, std::int64_t line_number,
                     std::size_t max_bytes) {
  line.clear();
  std::streambuf* buffer = in.rdbuf();
  for (;;) {
    const int c = buffer->sbumpc();
    if (c == std::char_traits<char>::eof()) {
      in.setstate(line.empty() ? std::ios::eofbit | std::ios::failbit : std::ios::eofbit);
      return !line.empty();
    }
    if (c == '\n') return true;
    EMBER_CHECK(line.size() < max_bytes, IoError, "{}: line {} is longer than {}; expected text with one record per "
                "line", source, line_number,
                max_bytes % (1 << 20) == 0 ? fmt::format("{} MiB", max_bytes >> 20) : fmt::format("{} bytes", max_bytes));
    line.push_back(static_cast<char>(c));
  }
}

FileFormat resolve_format(FileFormat format, const std::string& path) {
  if (format != FileFormat::kAuto) return format;
  const bool csv = path.size() >= 4 && (path.ends_with(".csv") || path.ends_with(".CSV"));
  return csv ? FileFormat::kCsv : FileFormat::kTsv;
}

std::vector<Record> parse_records(std::string_view content, FileFormat format) {
  EMBER_INTERNAL_ASSERT(format != FileFormat::kAuto);
  if (content.starts_with("\xEF\xBB\xBF")) content.remove_prefix(3);

  std::vector<Record> records;
  std::int64_t line_number = 1;
  std::size_t pos = 0;
  while (pos < content.size()) {
    std::size_t next = 0;
    if (line_at(content, pos, next).empty()) {  // blank line
      pos = next;
      ++line_number;
      continue;
    }
    if (format == FileFormat::kTsv) {
      records.push_back(parse_tsv_line(line_at(content, pos, next), line_number));
      ++line_number;
    } else {
      std::int64_t newlines = 0;
      records.push_back(parse_csv_record(content, pos, line_number, next, newlines));
      line_number += 1 + newlines;
    }
    pos = next;
  }
  return records;
}

}  // namespace ember::data
