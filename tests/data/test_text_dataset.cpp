// TextDataset: TSV and CSV reading, labels, vocabulary, truncation, padding collate, and every
// error path with its file:line message, on files written to a temporary directory.
#include "data/text_dataset.h"

#include "data/dataloader.h"
#include "temp_dir.h"

#include <catch2/catch.hpp>

#include <algorithm>
#include <numeric>

using Catch::Contains;
using ember::testing::TempDir;
using namespace ember::data;
using Indices = std::vector<std::int64_t>;
using Tokens = std::vector<std::string>;

namespace {

const char* kReviews =
    "pos\tGreat movie!\n"
    "neg\tTerrible, awful movie.\n"
    "pos\tgreat fun\n";

Tokens tokens_of(const TextDataset& dataset, std::int64_t index) {
  return dataset.vocab()->decode(dataset.get(index).tokens);
}

}  // namespace

TEST_CASE("TextDataset reads a TSV file into labels, vocabulary and token indices", "[data]") {
  TempDir dir;
  TextDataset dataset(TextDatasetOptions(dir.write("train.tsv", kReviews)));
  REQUIRE(dataset.size() == 3);
  CHECK(dataset.labels() == Tokens{"neg", "pos"});  // sorted
  CHECK(dataset.get(0).label == 1);
  CHECK(dataset.get(1).label == 0);
  // movie: 2, great: 2 (tie: "great" < "movie"), then the singletons in byte order.
  CHECK(dataset.vocab()->tokens() == Tokens{"<pad>", "<unk>", "great", "movie", "!", ",", ".",
                                            "awful", "fun", "terrible"});
  CHECK(dataset.get(0).tokens == Indices{2, 3, 4});
  CHECK(tokens_of(dataset, 1) == Tokens{"terrible", ",", "awful", "movie", "."});
  CHECK(dataset.lengths() == Indices{3, 5, 2});
  CHECK(dataset.bad_lines().count == 0);
  REQUIRE_THROWS_WITH(dataset.get(3), Contains("index 3 is out of range [0, 3)"));
}

TEST_CASE("TextDataset label order: sorted, numeric when integers, or first seen", "[data]") {
  TempDir dir;
  const std::string reviews = dir.write("train.tsv", kReviews);
  CHECK(TextDataset(TextDatasetOptions(reviews).label_order(LabelOrder::kFirstSeen)).labels() ==
        Tokens{"pos", "neg"});
  const std::string numeric = dir.write("numeric.tsv", "10\ta\n2\tb\n1\tc\n2\td\n");
  TextDataset dataset{TextDatasetOptions(numeric)};
  CHECK(dataset.labels() == Tokens{"1", "2", "10"});
  CHECK(dataset.get(0).label == 2);
}

TEST_CASE("TextDataset label order: integer labels of equal value are ordered by bytes whatever the file order",
          "[data]") {
  TempDir dir;
  // "1" and "01" are both 1; "-3" sorts first by value. Every file order gives the same mapping.
  const std::vector<std::string> lines = {"1\ta\n", "01\tb\n", "2\tc\n", "-3\td\n", "001\te\n", "1\tf\n"};
  std::vector<std::size_t> order(lines.size());
  std::iota(order.begin(), order.end(), 0);
  int files = 0;
  do {
    std::string content;
    for (std::size_t i : order) content += lines[i];
    TextDataset dataset{TextDatasetOptions(dir.write("ints.tsv", content))};
    INFO(content);
    REQUIRE(dataset.labels() == Tokens{"-3", "001", "01", "1", "2"});
    // Examples per label, in that order.
    CHECK(dataset.label_counts() == Indices{1, 1, 1, 2, 1});
    ++files;
  } while (std::next_permutation(order.begin(), order.end()) && files < 120);
  CHECK(files == 120);
}

TEST_CASE("TextDataset with a fixed label set and a given vocabulary (validation data)",
          "[data]") {
  TempDir dir;
  TextDataset train(TextDatasetOptions(dir.write("train.tsv", kReviews)));
  const std::string valid_path = dir.write("valid.tsv", "neg\tawful plot\npos\tgreat\n");
  TextDataset valid(TextDatasetOptions(valid_path).vocab(train.vocab()).labels(train.labels()));
  CHECK(valid.vocab() == train.vocab());
  CHECK(valid.labels() == train.labels());
  CHECK(valid.get(0).tokens == Indices{7, 1});  // "plot" is unknown
  CHECK(valid.get(0).label == 0);
  CHECK(valid.get(1).label == 1);

  const std::string bad = dir.write("valid2.tsv", "neg\tok\nmaybe\tunsure about it\n");
  REQUIRE_THROWS_WITH(TextDataset(TextDatasetOptions(bad).labels(train.labels())),
                      Contains("valid2.tsv:2: unknown label \"maybe\"; "
                               "expected one of [neg, pos]") &&
                          Contains("\"maybe\\tunsure about it\""));
  REQUIRE_THROWS_WITH(TextDataset(TextDatasetOptions(bad).labels({"a", "a"})),
                      Contains("label \"a\" appears twice"));
}

TEST_CASE("TextDataset truncates to max_length and builds the vocabulary after it", "[data]") {
  TempDir dir;
  const std::string path = dir.write("train.tsv", "a\tone two three four\nb\tfive\n");
  TextDataset dataset(TextDatasetOptions(path).max_length(2));
  CHECK(dataset.lengths() == Indices{2, 1});
  CHECK(tokens_of(dataset, 0) == Tokens{"one", "two"});
  CHECK_FALSE(dataset.vocab()->contains("three"));
  REQUIRE_THROWS_WITH(TextDataset(TextDatasetOptions(path).max_length(0)),
                      Contains("max_length=0 is invalid; expected >= 1"));
}

TEST_CASE("TextDataset reads RFC 4180 CSV: commas, doubled quotes, newlines in quotes",
          "[data]") {
  TempDir dir;
  const std::string path = dir.write("train.csv",
                                     "label,text\r\n"
                                     "1,\"Hello, world\"\r\n"
                                     "2,\"She said \"\"hi\"\"\"\r\n"
                                     "3,\"line one\nline two\"\r\n"
                                     "4,plain text, with comma\r\n"
                                     "5,\"\"\"quoted\"\" start\",tail\r\n");
  TextDataset dataset(TextDatasetOptions(path).header(true));
  REQUIRE(dataset.size() == 5);
  CHECK(dataset.labels() == Tokens{"1", "2", "3", "4", "5"});
  CHECK(tokens_of(dataset, 0) == Tokens{"hello", ",", "world"});
  CHECK(tokens_of(dataset, 1) == Tokens{"she", "said", "\"", "hi", "\""});
  CHECK(tokens_of(dataset, 2) == Tokens{"line", "one", "line", "two"});
  CHECK(tokens_of(dataset, 3) == Tokens{"plain", "text", ",", "with", "comma"});
  CHECK(tokens_of(dataset, 4) == Tokens{"\"", "quoted", "\"", "start", ",", "tail"});
}

TEST_CASE("CSV line numbers count newlines inside quoted fields", "[data]") {
  TempDir dir;
  const std::string path = dir.write("train.csv",
                                     "a,\"two\nlines\"\n"  // lines 1-2
                                     "b,fine\n"            // line 3
                                     "c,\"never closed\n"  // line 4
                                     "d,after\n");         // line 5
  REQUIRE_THROWS_WITH(TextDataset(TextDatasetOptions(path)),
                      Contains("train.csv:4: unterminated quote: \"c,\\\"never closed\""));
  TextDataset skipping(TextDatasetOptions(path).skip_bad_lines(true));
  CHECK(skipping.size() == 3);  // parsing resumes on the line after the bad record
  CHECK(skipping.bad_lines().first_lines == Indices{4});
  CHECK(skipping.labels() == Tokens{"a", "b", "d"});
}

TEST_CASE("TextDataset handles CRLF, a byte order mark, blank lines and tabs in text",
          "[data]") {
  TempDir dir;
  const std::string path =
      dir.write("train.tsv", "\xEF\xBB\xBFpos\tgood\r\n\r\n\nneg\tbad\tworse\r\n");
  TextDataset dataset{TextDatasetOptions(path)};
  REQUIRE(dataset.size() == 2);
  CHECK(dataset.labels() == Tokens{"neg", "pos"});
  CHECK(tokens_of(dataset, 0) == Tokens{"good"});
  CHECK(tokens_of(dataset, 1) == Tokens{"bad", "worse"});
}

TEST_CASE("TextDataset with the character tokenizer", "[data]") {
  TempDir dir;
  const std::string path = dir.write("train.tsv", "x\tcafé\n");
  TextDataset dataset(TextDatasetOptions(path).tokenizer(char_tokenize));
  CHECK(tokens_of(dataset, 0) == Tokens{"c", "a", "f", "é"});
}

TEST_CASE("TextDataset errors: missing and empty files", "[data]") {
  TempDir dir;
  REQUIRE_THROWS_AS(TextDataset(TextDatasetOptions(dir.path("nowhere.tsv"))), ember::IoError);
  REQUIRE_THROWS_WITH(TextDataset(TextDatasetOptions(dir.path("nowhere.tsv"))),
                      Contains("cannot open") && Contains("nowhere.tsv"));
  REQUIRE_THROWS_WITH(TextDataset(TextDatasetOptions(dir.write("empty.tsv", ""))),
                      Contains("empty.tsv is empty"));
  REQUIRE_THROWS_WITH(TextDataset(TextDatasetOptions(dir.write("blank.tsv", "\n\r\n\n"))),
                      Contains("blank.tsv is empty"));
  REQUIRE_THROWS_WITH(
      TextDataset(TextDatasetOptions(dir.write("header.csv", "label,text\n")).header(true)),
      Contains("header.csv is empty (nothing after the header)"));
}

TEST_CASE("TextDataset errors: each malformed line names file:line and quotes it", "[data]") {
  TempDir dir;
  const auto error_for = [&](const std::string& third_line) -> std::string {
    const std::string path = dir.write("train.tsv", "pos\tfine\nneg\talso fine\n" + third_line);
    try {
      TextDataset dataset{TextDatasetOptions(path)};
    } catch (const ember::IoError& error) {
      return error.what();
    }
    return "no error";
  };
  CHECK_THAT(error_for("no tab here\n"),
             Contains("train.tsv:3: missing field: expected label<TAB>text: \"no tab here\""));
  CHECK_THAT(error_for("pos\t   \n"), Contains("train.tsv:3: empty text: \"pos\\t   \""));
  CHECK_THAT(error_for("\tsome text\n"), Contains("train.tsv:3: empty label"));
  CHECK_THAT(error_for("pos\tbad \xFF byte\n"),
             Contains("train.tsv:3: invalid UTF-8 (byte 0xFF at column 9): "
                      "\"pos\\tbad \\xFF byte\""));
  CHECK_THAT(error_for("pos\t\xE2\x80\x83\n"), Contains("train.tsv:3: no tokens in text"));
  const std::string long_text(200, 'w');
  const std::string message = error_for(long_text + "\n");
  CHECK_THAT(message, Contains("train.tsv:3: missing field") &&
                          Contains("\"" + std::string(60, 'w') + "...\""));
  CHECK_THAT(message, !Contains(std::string(61, 'w')));
}

TEST_CASE("TextDataset errors: CSV missing field", "[data]") {
  TempDir dir;
  const std::string path = dir.write("train.csv", "a,b\nonly one field\n");
  REQUIRE_THROWS_WITH(TextDataset(TextDatasetOptions(path)),
                      Contains("train.csv:2: missing field: expected label,text"));
}

TEST_CASE("TextDataset skip_bad_lines counts and reports bad lines", "[data]") {
  TempDir dir;
  const std::string path = dir.write("train.tsv",
                                     "pos\tgood\n"
                                     "broken\n"
                                     "neg\tbad\n"
                                     "\t\n"
                                     "pos\tnice\n");
  TextDataset dataset(TextDatasetOptions(path).skip_bad_lines(true));
  CHECK(dataset.size() == 3);
  CHECK(dataset.bad_lines().count == 2);
  CHECK(dataset.bad_lines().first_lines == Indices{2, 4});
  CHECK_THAT(dataset.bad_lines().first_error, Contains("train.tsv:2: missing field"));
  CHECK_THAT(dataset.bad_lines().summary(path),
             Contains("skipped 2 bad lines (lines 2, 4); first: ") && Contains("train.tsv:2"));

  std::string many;
  for (int i = 0; i < 8; ++i) many += "junk\n";
  many += "pos\tok\n";
  TextDataset lots(TextDatasetOptions(dir.write("many.tsv", many)).skip_bad_lines(true));
  CHECK(lots.bad_lines().count == 8);
  CHECK(lots.bad_lines().first_lines == Indices{1, 2, 3, 4, 5});
  CHECK_THAT(lots.bad_lines().summary("many.tsv"), Contains("(lines 1, 2, 3, 4, 5, ...)"));

  const std::string all_bad = dir.write("all_bad.tsv", "junk\nmore junk\n");
  REQUIRE_THROWS_WITH(TextDataset(TextDatasetOptions(all_bad).skip_bad_lines(true)),
                      Contains("all_bad.tsv has no valid line") &&
                          Contains("skipped 2 bad lines (lines 1, 2)"));
}

TEST_CASE("pad_collate pads to the longest sequence, at the end or the start", "[data]") {
  std::vector<TextExample> examples = {{{5, 6, 7}, 1}, {{8}, 0}, {{9, 4}, 2}};
  const TextBatch end = pad_collate(examples, 0, PaddingSide::kEnd);
  CHECK(end.tokens.shape() == ember::Shape{3, 3});
  CHECK(end.tokens.to_vector<std::int64_t>() == Indices{5, 6, 7, 8, 0, 0, 9, 4, 0});
  CHECK(end.lengths.to_vector<std::int64_t>() == Indices{3, 1, 2});
  CHECK(end.labels.to_vector<std::int64_t>() == Indices{1, 0, 2});
  const TextBatch start = pad_collate(examples, 1, PaddingSide::kStart);
  CHECK(start.tokens.to_vector<std::int64_t>() == Indices{5, 6, 7, 1, 1, 8, 1, 9, 4});
  CHECK(start.lengths.to_vector<std::int64_t>() == Indices{3, 1, 2});
  REQUIRE_THROWS_WITH(pad_collate({}, 0), Contains("the batch is empty"));
}

TEST_CASE("TextDataset through a DataLoader with bucketing gives padded batches", "[data]") {
  TempDir dir;
  std::string content;
  for (int i = 0; i < 40; ++i) {
    content += (i % 2 ? "pos\t" : "neg\t");
    for (int w = 0; w <= i % 7; ++w) content += "word" + std::to_string(w) + " ";
    content += "\n";
  }
  auto dataset = std::make_shared<TextDataset>(
      TextDatasetOptions(dir.write("train.tsv", content)).padding_side(PaddingSide::kStart));
  auto sampler = std::make_shared<BucketSampler>(
      dataset->lengths(), BucketSamplerOptions(8).generator(ember::Generator(0)));
  DataLoader loader(dataset, DataLoaderOptions().batch_sampler(sampler).num_workers(2),
                    dataset->collate());
  std::int64_t examples = 0;
  for (TextBatch& batch : loader) {
    const auto lengths = batch.lengths.to_vector<std::int64_t>();
    const std::int64_t longest = *std::max_element(lengths.begin(), lengths.end());
    CHECK(batch.tokens.shape() == ember::Shape{8, longest});
    // Padding at the start: the first column is pad exactly for the shorter rows.
    const auto tokens = batch.tokens.to_vector<std::int64_t>();
    for (std::size_t b = 0; b < lengths.size(); ++b) {
      CHECK((tokens[b * longest] == dataset->vocab()->pad_index()) == (lengths[b] < longest));
    }
    examples += static_cast<std::int64_t>(lengths.size());
  }
  CHECK(examples == 40);
}
