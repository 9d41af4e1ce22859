// TSV and CSV record parsing. CSV follows RFC 4180 and is lenient where the RFC is silent:
// a quote inside an unquoted field is kept as a character, and text after a closing quote is
// appended to the field.
#include "data/delimited_file.h"

#include "core/error.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

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
  std::ifstream file(path, std::ios::binary);
  EMBER_CHECK(file.is_open(), IoError, "cannot open {}: {}", path, std::strerror(errno));
  std::ostringstream content;
  content << file.rdbuf();
  EMBER_CHECK(!file.bad(), IoError, "reading {} failed: {}", path, std::strerror(errno));
  return std::move(content).str();
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
