// tokenize: train a BPE or WordPiece tokenizer on a text file and apply it, as sentencepiece's
// spm_train / spm_encode do.
//   tokenize train --model bpe|wordpiece --corpus FILE --vocab-size N --output DIR [--threads N]
//   tokenize encode --model DIR [--ids] [--threads N]     (stdin -> stdout, one line per line)
//   tokenize decode --model DIR                           (ids -> text, one line per line)
#include "apps/common/cli.h"
#include "core/error.h"
#include "core/tensor.h"
#include "data/delimited_file.h"
#include "data/subword_tokenizer.h"

#include <fmt/format.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <set>
#include <sstream>

using namespace ember;
namespace fs = std::filesystem;

namespace {

constexpr const char* kUsage =
    "usage: tokenize train --model bpe|wordpiece --corpus FILE --vocab-size N --output DIR [options]\n"
    "       tokenize encode --model DIR [--ids] [--threads N] < text > pieces\n"
    "       tokenize decode --model DIR < ids > text\n";

// Lines read and written per batch: enough to keep every thread busy, small enough for memory.
constexpr std::size_t kBatchLines = 16384;

// The output folder must be new, empty, or a tokenizer folder this tool wrote (tokenizer.json
// says so and nothing else is inside): never replace what is not ours.
void check_output_folder(const std::string& dir) {
  const fs::file_status status = fs::symlink_status(dir);
  if (!fs::exists(status)) return;
  EMBER_CHECK(fs::is_directory(status), IoError,
              "tokenize: --output {} exists and is not a folder; refusing to replace it", dir);
  std::set<std::string> ours;
  for (const std::string model : {"bpe", "wordpiece"}) {
    for (const auto& name : data::SubwordTokenizer::file_names(model)) ours.insert(name);
  }
  std::vector<std::string> entries;
  for (const auto& entry : fs::directory_iterator(dir)) entries.push_back(entry.path().filename().string());
  if (entries.empty()) return;
  bool all_ours = fs::exists(dir + "/tokenizer.json");
  std::string foreign;
  for (const auto& name : entries) {
    if (ours.count(name) == 0) {
      all_ours = false;
      foreign = name;
    }
  }
  if (all_ours) {
    try {
      data::SubwordTokenizer::load(dir);
      return;
    } catch (const IoError&) {
      // not a complete tokenizer of ours: fall through and refuse
    }
  }
  throw IoError(fmt::format(
      "tokenize: --output {} is a non-empty folder that tokenize did not write ({} entr{}{}); refusing to "
      "overwrite it. Choose a new or empty folder",
      dir, entries.size(), entries.size() == 1 ? "y" : "ies",
      foreign.empty() ? "" : fmt::format(", e.g. \"{}\"", foreign)));
}

int train(int argc, char** argv) {
  apps::CommandLine cli("tokenize train",
                        {{"model", "", "bpe or wordpiece"},
                         {"corpus", "", "training text, read line by line"},
                         {"vocab-size", "8000", "vocabulary size, special and byte tokens included"},
                         {"output", "", "folder to write the tokenizer into (new, empty, or one tokenize wrote)"},
                         {"min-frequency", "2", "pairs seen fewer times are not merged"},
                         {"cased", "", "keep the case (default: lowercase)", true},
                         {"no-split-punctuation", "", "punctuation marks stay inside words", true},
                         {"byte-fallback", "", "bpe: unknown characters become byte tokens", true},
                         {"threads", "1", "threads"},
                         {"help", "", "show this help", true}});
  cli.parse(argc, argv, 2);
  if (cli.flag("help")) return fmt::print("{}{}", kUsage, cli.usage()), 0;
  const std::string model = cli.choice("model", {"bpe", "wordpiece"});
  EMBER_CHECK(cli.given("corpus"), ValueError, "tokenize train: --corpus FILE is required");
  EMBER_CHECK(cli.given("output"), ValueError, "tokenize train: --output DIR is required");
  const std::string corpus = cli.str("corpus"), output = cli.str("output");
  set_num_threads(static_cast<int>(cli.integer("threads", 1, 1024)));
  const auto options = data::SubwordTrainOptions(model)
                           .vocab_size(cli.integer("vocab-size", 1, INT32_MAX))
                           .min_frequency(cli.integer("min-frequency", 1, INT64_MAX))
                           .lowercase(!cli.flag("cased"))
                           .split_punctuation(!cli.flag("no-split-punctuation"))
                           .byte_fallback(cli.flag("byte-fallback"));
  check_output_folder(output);  // before the long part: a refused folder costs nothing

  const auto start = std::chrono::steady_clock::now();
  data::WordCounter counter(data::NormalizerOptions()
                                .lowercase(options.lowercase())
                                .split_punctuation(options.split_punctuation()));
  counter.add_file(corpus);
  const auto counts = counter.counts();
  EMBER_CHECK(!counts.empty(), ValueError, "tokenize train: {} holds no words", corpus);
  const data::SubwordTokenizer tokenizer = data::SubwordTokenizer::train(counts, options);
  fs::create_directories(output);
  // tokenizer.json goes first and comes back last, so an interrupted run leaves no folder that
  // looks complete; the other model's files (ours, checked above) must not linger.
  for (const std::string other : {"bpe", "wordpiece"}) {
    for (const auto& name : data::SubwordTokenizer::file_names(other)) fs::remove(output + "/" + name);
  }
  tokenizer.save(output);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  fmt::print("{}: {} tokens from {} distinct words in {:.2f} s, written to {}\n", model, tokenizer.size(),
             counts.size(), seconds, output);
  return 0;
}

// Writes a batch to stdout and fails at once when the output is lost (/dev/full, a closed pipe).
void write_checked(const std::string& text) {
  errno = 0;
  if (std::fwrite(text.data(), 1, text.size(), stdout) != text.size() || std::fflush(stdout) != 0) {
    throw IoError(fmt::format("tokenize: cannot write standard output: {}", std::strerror(errno != 0 ? errno : EIO)));
  }
}

int encode_or_decode(int argc, char** argv, bool encode) {
  apps::CommandLine cli(encode ? "tokenize encode" : "tokenize decode",
                        {{"model", "", "a folder written by tokenize train"},
                         {"ids", "", "encode: print ids instead of pieces", true},
                         {"threads", "1", "threads"},
                         {"help", "", "show this help", true}});
  cli.parse(argc, argv, 2);
  if (cli.flag("help")) return fmt::print("{}{}", kUsage, cli.usage()), 0;
  EMBER_CHECK(cli.given("model"), ValueError, "tokenize: --model DIR is required");
  set_num_threads(static_cast<int>(cli.integer("threads", 1, 1024)));
  const data::SubwordTokenizer tokenizer = data::SubwordTokenizer::load(cli.str("model"));
  const bool ids = cli.flag("ids");
  std::vector<std::string> lines;
  std::int64_t line_number = 0;
  const auto flush = [&] {
    std::string out;
    if (encode) {
      const auto encoded = tokenizer.encode_lines(lines);
      for (const auto& line : encoded) {
        for (std::size_t i = 0; i < line.size(); ++i) {
          if (i > 0) out += ' ';
          out += ids ? std::to_string(line[i]) : tokenizer.id_to_token(line[i]);
        }
        out += '\n';
      }
    } else {
      for (std::size_t l = 0; l < lines.size(); ++l) {
        std::istringstream fields(lines[l]);
        std::vector<std::int64_t> values;
        for (std::string field; fields >> field;) {
          std::size_t used = 0;
          std::int64_t value = -1;
          try {
            value = std::stoll(field, &used);
          } catch (const std::exception&) {
            used = 0;
          }
          EMBER_CHECK(used == field.size(), ValueError, "tokenize decode: stdin:{}: \"{}\" is not an id",
                      line_number - static_cast<std::int64_t>(lines.size()) + 1 + static_cast<std::int64_t>(l),
                      field.substr(0, 40));
          values.push_back(value);
        }
        out += tokenizer.decode(values);
        out += '\n';
      }
    }
    write_checked(out);
    lines.clear();
  };
  for (std::string line; data::getline_bounded(std::cin, line, "tokenize: standard input", line_number + 1);) {
    ++line_number;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    lines.push_back(std::move(line));
    if (lines.size() == kBatchLines) flush();
  }
  EMBER_CHECK(!std::cin.bad(), IoError, "tokenize: reading standard input failed: {}", std::strerror(errno));
  flush();
  return 0;
}

int run_app(int argc, char** argv) {
  try {
    const std::string command = argc > 1 ? argv[1] : "";
    if (command == "train") return train(argc, argv);
    if (command == "encode" || command == "decode") return encode_or_decode(argc, argv, command == "encode");
    if (command == "--help" || command == "-h") return fmt::print("{}", kUsage), 0;
    fmt::print(stderr, "error: tokenize: {}; expected train, encode or decode\n{}",
               command.empty() ? "no command" : fmt::format("unknown command \"{}\"", command), kUsage);
    return 2;
  } catch (const std::exception& e) {
    fmt::print(stderr, "error: {}\n", e.what());
    return 1;
  }
}

}  // namespace

int main(int argc, char** argv) {
  // Output lost on the way to stdout (a full disk, /dev/full) is an error, not exit 0.
  return apps::checked_exit_status("tokenize", run_app(argc, argv));
}
