// Shared by the fuzz targets: the input written to a scratch file (the parsers under test read
// files), the rule "a result or an ember::Error, nothing else", and invariant checks that abort.
#pragma once

#include "core/error.h"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <unistd.h>

namespace ember::fuzz {

// A per-process scratch folder (in /dev/shm when there is one: no disk I/O per input), removed
// when the process exits normally.
class ScratchDir {
 public:
  ScratchDir() {
    const std::filesystem::path base =
        std::filesystem::is_directory("/dev/shm") ? "/dev/shm" : std::filesystem::temp_directory_path();
    path_ = base / ("ember_fuzz_" + std::to_string(::getpid()));
    std::filesystem::create_directories(path_);
  }
  ~ScratchDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

// Writes the fuzz input to `name` in the scratch folder and returns its path. The extension of
// `name` matters to readers that pick a format by it (".csv").
inline std::string write_input(const std::uint8_t* data, std::size_t size, const std::string& name) {
  static ScratchDir dir;
  const std::string path = dir.file(name);
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  out.close();
  if (!out) {
    std::fprintf(stderr, "fuzz: cannot write %s\n", path.c_str());
    std::abort();
  }
  return path;
}

// Runs `parse`. Refusing the input with an ember::Error (IoError, ValueError, ...) is a valid
// outcome; any other exception (std::bad_alloc, a leaked nlohmann::json or std::filesystem
// error, ember's InternalError) escapes and the fuzzer reports it as a crash.
template <typename Parse>
void result_or_error(Parse&& parse) {
  try {
    parse();
  } catch (const ember::Error&) {
  }
}

}  // namespace ember::fuzz

// An invariant of a successful parse; on failure the fuzzer gets a crash with this message.
#define FUZZ_CHECK(cond)                                                                 \
  do {                                                                                   \
    if (!(cond)) {                                                                       \
      std::fprintf(stderr, "fuzz: invariant failed: %s (%s:%d)\n", #cond, __FILE__, __LINE__); \
      std::abort();                                                                      \
    }                                                                                    \
  } while (0)
