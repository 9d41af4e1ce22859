// Fuzz target: the TSV/CSV reader (data::parse_records) and TextDataset on top of it, as a .tsv
// and a .csv file, strict and with skip_bad_lines.
#include "data/text_dataset.h"
#include "tests/fuzz/fuzz_input.h"

#include <string_view>

using namespace ember;

namespace {

void check_records(std::string_view content, data::FileFormat format) {
  const std::vector<data::Record> records = data::parse_records(content, format);  // pure: never throws
  std::int64_t previous_line = 0;
  for (const data::Record& r : records) {
    FUZZ_CHECK(r.line > previous_line);
    previous_line = r.line;
    // The record's text is a view into the content.
    FUZZ_CHECK(r.text.empty() || (r.text.data() >= content.data() &&
                                  r.text.data() + r.text.size() <= content.data() + content.size()));
    FUZZ_CHECK(r.error.empty() ? !r.fields.empty() : r.fields.empty());
  }
}

void check_dataset(const data::TextDataset& dataset) {
  FUZZ_CHECK(dataset.size() > 0);
  const auto vocab_size = dataset.vocab()->size();
  const auto num_labels = static_cast<std::int64_t>(dataset.labels().size());
  std::vector<data::TextExample> batch;
  for (std::int64_t i = 0; i < dataset.size(); ++i) {
    data::TextExample ex = dataset.get(i);
    FUZZ_CHECK(!ex.tokens.empty() && ex.tokens.size() <= 16);
    FUZZ_CHECK(ex.label >= 0 && ex.label < num_labels);
    for (std::int64_t t : ex.tokens) FUZZ_CHECK(t >= 0 && t < vocab_size);
    if (batch.size() < 4) batch.push_back(std::move(ex));
  }
  const data::TextBatch padded = dataset.collate()(batch);
  FUZZ_CHECK(padded.tokens.size(0) == static_cast<std::int64_t>(batch.size()));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view content(reinterpret_cast<const char*>(data), size);
  check_records(content, data::FileFormat::kTsv);
  check_records(content, data::FileFormat::kCsv);
  for (const char* name : {"input.tsv", "input.csv"}) {
    const std::string path = fuzz::write_input(data, size, name);
    for (bool skip : {false, true}) {
      fuzz::result_or_error([&] {
        check_dataset(data::TextDataset(data::TextDatasetOptions(path).max_length(16).skip_bad_lines(skip)));
      });
    }
  }
  return 0;
}
