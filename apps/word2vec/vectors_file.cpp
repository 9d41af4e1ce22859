// word2vec's text and binary vector files, written through one checked stream.
#include "apps/word2vec/vectors_file.h"

#include "apps/common/cli.h"
#include "core/error.h"

#include <fmt/format.h>

#include <bit>
#include <fstream>

namespace ember::apps::word2vec {
namespace {

static_assert(std::endian::native == std::endian::little, "the binary format stores little-endian float32");

template <typename WriteRow>
void write_vectors(const std::string& path, const std::vector<std::string>& words, const Tensor& vectors,
                   bool binary, WriteRow write_row) {
  EMBER_CHECK(vectors.dim() == 2 && vectors.dtype() == kFloat32 && vectors.is_contiguous() &&
                  vectors.size(0) == static_cast<std::int64_t>(words.size()), ShapeError,
              "word2vec: {} vectors of shape {} for {} words; expected contiguous float32 [words, dim]", path,
              shape_str(vectors.shape()), words.size());
  std::ofstream out(path, binary ? std::ios::binary | std::ios::trunc : std::ios::trunc);
  EMBER_CHECK(out.is_open(), IoError, "word2vec: cannot open {} for writing", path);
  out << vectors.size(0) << ' ' << vectors.size(1) << '\n';
  const float* v = vectors.data_ptr<float>();
  const std::int64_t D = vectors.size(1);
  for (std::size_t i = 0; i < words.size(); ++i) {
    write_row(out, words[i], v + static_cast<std::int64_t>(i) * D, D);
    if (!out) break;  // checked below: no point formatting the rest for a full disk
  }
  out.flush();
  check_written(out, "word2vec", path);
  out.close();
  check_written(out, "word2vec", path);
}

}  // namespace

void write_word2vec_text(const std::string& path, const std::vector<std::string>& words, const Tensor& vectors) {
  write_vectors(path, words, vectors, false, [](std::ofstream& out, const std::string& word, const float* row,
                                                std::int64_t D) {
    fmt::memory_buffer line;
    fmt::format_to(std::back_inserter(line), "{}", word);
    for (std::int64_t j = 0; j < D; ++j) fmt::format_to(std::back_inserter(line), " {}", row[j]);
    line.push_back('\n');
    out.write(line.data(), static_cast<std::streamsize>(line.size()));
  });
}

void write_word2vec_binary(const std::string& path, const std::vector<std::string>& words, const Tensor& vectors) {
  write_vectors(path, words, vectors, true, [](std::ofstream& out, const std::string& word, const float* row,
                                               std::int64_t D) {
    out << word << ' ';
    out.write(reinterpret_cast<const char*>(row), static_cast<std::streamsize>(sizeof(float) * D));
    out << '\n';
  });
}

}  // namespace ember::apps::word2vec
