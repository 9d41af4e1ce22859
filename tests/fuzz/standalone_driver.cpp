// A stand-in for libFuzzer's main, linked into the fuzz targets when they are built without
// clang (the normal and sanitized builds, where ctest runs them): it replays every corpus file
// given on the command line, then runs -runs=N inputs mutated from them with a fixed -seed, so
// each run is reproducible. A crash, an uncaught exception or an input that takes longer than
// -timeout seconds fails the run; the offending input is saved as crash-<pid>.bin.
//   fuzz_safetensors [-runs=N] [-seed=S] [-max_len=L] [-timeout=T] CORPUS_DIR_OR_FILE...
#include <algorithm>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <vector>

#include <fcntl.h>
#include <unistd.h>

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/common_interface_defs.h>
#endif

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

namespace {

using Bytes = std::vector<std::uint8_t>;

// The input being run, saved by the crash handlers (async-signal-safe: open/write only).
const std::uint8_t* g_current = nullptr;
std::size_t g_current_size = 0;

void save_current_input() {
  char name[64];
  std::snprintf(name, sizeof name, "crash-%d.bin", static_cast<int>(::getpid()));
  const int fd = ::open(name, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) return;
  if (g_current_size > 0 && ::write(fd, g_current, g_current_size) < 0) {
  }
  ::close(fd);
  const char note[] = "fuzz: the input that failed is saved as crash-<pid>.bin\n";
  if (::write(2, note, sizeof note - 1) < 0) {
  }
}

void on_timeout(int) {
  const char message[] = "fuzz: timeout: an input ran longer than -timeout seconds (a hang)\n";
  if (::write(2, message, sizeof message - 1) < 0) {
  }
  save_current_input();
  ::_exit(70);
}

void on_terminate() {
  const char message[] = "fuzz: uncaught exception (not an ember::Error)\n";
  if (::write(2, message, sizeof message - 1) < 0) {
  }
  if (auto e = std::current_exception()) {
    try {
      std::rethrow_exception(e);
    } catch (const std::exception& ex) {
      std::fprintf(stderr, "  what(): %s\n", ex.what());
    } catch (...) {
    }
  }
  save_current_input();
  std::_Exit(71);
}

void run_one(const Bytes& input, unsigned timeout_seconds) {
  g_current = input.data();
  g_current_size = input.size();
  ::alarm(timeout_seconds);
  LLVMFuzzerTestOneInput(input.data(), input.size());
  ::alarm(0);
}

// Tokens that parsers treat specially: separators, JSON punctuation, numbers at the edges.
const std::vector<std::string>& dictionary() {
  static const std::vector<std::string> words = {
      "\t", ",", "\"", "\n", "\r\n", " ", "{", "}", "[", "]", ":", "\"dtype\"", "\"shape\"", "\"data_offsets\"",
      "\"F32\"", "\"I64\"", "\"tokens\"", "\"__metadata__\"", "0", "1", "-1", "nan", "inf", "-inf", "1e308",
      "4294967296", "9223372036854775807", "18446744073709551615", "99999999999999999999", "\xef\xbb\xbf",
      "\xff", "\xc3", std::string("\0", 1), std::string("\xff\xff\xff\xff\xff\xff\xff\x7f", 8)};
  return words;
}

// One to four random edits of `input` (libFuzzer's basic mutations), spliced with `other` at times.
Bytes mutate(Bytes input, const Bytes& other, std::mt19937_64& rng, std::size_t max_len) {
  auto below = [&](std::size_t n) { return n == 0 ? std::size_t{0} : static_cast<std::size_t>(rng() % n); };
  const int edits = 1 + static_cast<int>(below(4));
  for (int e = 0; e < edits; ++e) {
    const std::size_t at = below(input.size() + 1);
    switch (below(8)) {
      case 0:  // flip a bit
        if (!input.empty()) input[below(input.size())] ^= static_cast<std::uint8_t>(1u << below(8));
        break;
      case 1:  // set a random byte
        if (!input.empty()) input[below(input.size())] = static_cast<std::uint8_t>(rng());
        break;
      case 2:  // erase a range
        if (!input.empty()) {
          const std::size_t from = below(input.size()), n = 1 + below(std::min<std::size_t>(16, input.size() - from));
          input.erase(input.begin() + from, input.begin() + from + n);
        }
        break;
      case 3: {  // insert random bytes
        Bytes noise(1 + below(8));
        for (auto& b : noise) b = static_cast<std::uint8_t>(rng());
        input.insert(input.begin() + at, noise.begin(), noise.end());
        break;
      }
      case 4: {  // insert a dictionary word
        const std::string& w = dictionary()[below(dictionary().size())];
        input.insert(input.begin() + at, w.begin(), w.end());
        break;
      }
      case 5:  // duplicate a range
        if (!input.empty()) {
          const std::size_t from = below(input.size()), n = 1 + below(std::min<std::size_t>(64, input.size() - from));
          const Bytes chunk(input.begin() + from, input.begin() + from + n);
          input.insert(input.begin() + at, chunk.begin(), chunk.end());
        }
        break;
      case 6:  // splice: keep a prefix, continue with a suffix of another input
        if (!other.empty()) {
          input.resize(at);
          const std::size_t from = below(other.size());
          input.insert(input.end(), other.begin() + from, other.end());
        }
        break;
      default:  // truncate
        input.resize(at);
        break;
    }
  }
  if (input.size() > max_len) input.resize(max_len);
  return input;
}

Bytes read_bytes(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return Bytes(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

}  // namespace

int main(int argc, char** argv) {
  long runs = 0, max_len = 4096, timeout = 10;
  unsigned long seed = 1;
  std::vector<std::filesystem::path> files;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    auto value = [&](const char* flag) { return std::strtol(arg.c_str() + std::strlen(flag), nullptr, 10); };
    if (arg.rfind("-runs=", 0) == 0) runs = value("-runs=");
    else if (arg.rfind("-seed=", 0) == 0) seed = static_cast<unsigned long>(value("-seed="));
    else if (arg.rfind("-max_len=", 0) == 0) max_len = value("-max_len=");
    else if (arg.rfind("-timeout=", 0) == 0) timeout = value("-timeout=");
    else if (arg.rfind("-", 0) == 0) std::fprintf(stderr, "fuzz: ignoring unknown flag %s\n", arg.c_str());
    else if (std::filesystem::is_directory(arg))
      for (const auto& entry : std::filesystem::directory_iterator(arg)) files.push_back(entry.path());
    else files.emplace_back(arg);
  }
  std::sort(files.begin(), files.end());  // directory order differs between machines
  std::set_terminate(on_terminate);
  std::signal(SIGALRM, on_timeout);
#if defined(__SANITIZE_ADDRESS__)
  __sanitizer_set_death_callback(save_current_input);
#endif

  std::vector<Bytes> corpus;
  for (const auto& file : files) corpus.push_back(read_bytes(file));
  if (corpus.empty()) corpus.emplace_back();
  for (const Bytes& input : corpus) run_one(input, static_cast<unsigned>(timeout));
  std::printf("fuzz: replayed %zu corpus inputs\n", files.size());

  // Half of the inputs mutate the previous one further, so edits accumulate; the others start
  // again from a corpus input.
  std::mt19937_64 rng(seed);
  Bytes previous = corpus[0];
  for (long r = 0; r < runs; ++r) {
    const Bytes& base = rng() % 2 ? previous : corpus[rng() % corpus.size()];
    const Bytes& other = corpus[rng() % corpus.size()];
    Bytes input = mutate(base, other, rng, static_cast<std::size_t>(max_len));
    run_one(input, static_cast<unsigned>(timeout));
    previous = std::move(input);
  }
  std::printf("fuzz: %ld mutated inputs (seed %lu): no crash\n", runs, seed);
  return 0;
}
