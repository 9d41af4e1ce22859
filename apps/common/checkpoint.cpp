// Crash-safe checkpoint folders (see checkpoint.h).
#include "apps/common/checkpoint.h"

#include "core/error.h"

#include <fcntl.h>
#include <unistd.h>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

namespace fs = std::filesystem;

namespace ember::apps {
namespace {
void fsync_path(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY);
  if (fd < 0) return;
  ::fsync(fd);
  ::close(fd);
}
constexpr const char* kCompleteMarker = "state.json";  // written last by the caller
constexpr const char* kChecksums = "checksums.json";  // then this, by write_checkpoint

// FNV-1a over the file's bytes: not a defence against tampering, but any truncation or flipped
// byte changes it, so a damaged file is refused instead of being loaded half-way.
std::uint64_t file_checksum(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  EMBER_CHECK(in.good(), IoError, "cannot open {}", path);
  std::uint64_t hash = 14695981039346656037ull;
  std::vector<char> chunk(1 << 16);
  while (in.read(chunk.data(), static_cast<std::streamsize>(chunk.size())) || in.gcount() > 0)
    for (std::streamsize i = 0; i < in.gcount(); ++i)
      hash = (hash ^ static_cast<unsigned char>(chunk[static_cast<std::size_t>(i)])) * 1099511628211ull;
  return hash;
}

}  // namespace

// {"model.safetensors": {"bytes": N, "fnv1a64": "..."}, ...} for every file of the folder.
void seal_checkpoint(const std::string& folder) {
  nlohmann::ordered_json sums = nlohmann::ordered_json::object();
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(folder))
    if (entry.is_regular_file() && entry.path().filename() != kChecksums) names.push_back(entry.path().filename());
  std::sort(names.begin(), names.end());
  for (const std::string& name : names) {
    const std::string path = folder + "/" + name;
    sums[name] = {{"bytes", fs::file_size(path)}, {"fnv1a64", fmt::format("{:016x}", file_checksum(path))}};
  }
  write_file_atomic(folder + "/" + kChecksums, sums.dump(2));
}

namespace {

// Throws IoError naming the first file of `folder` that is missing, truncated or altered.
void verify_checksums(const std::string& dir, const std::string& folder) {
  const std::string sums_path = folder + "/" + kChecksums;
  EMBER_CHECK(fs::exists(sums_path), IoError, "checkpoint {}: {} is missing; the checkpoint is incomplete", dir,
              sums_path);
  nlohmann::json sums;
  try {
    sums = nlohmann::json::parse(read_file(sums_path));
    EMBER_CHECK(sums.is_object(), IoError, "checkpoint {}: {} is not a JSON object", dir, sums_path);
    for (const auto& [name, expected] : sums.items()) {
      const std::string path = folder + "/" + name;
      EMBER_CHECK(fs::exists(path), IoError, "checkpoint {}: {} is missing", dir, path);
      EMBER_CHECK(expected.at("bytes").is_number_unsigned(), IoError, "checkpoint {}: {} has no byte count for {}", dir,
                  sums_path, name);
      const std::uint64_t bytes = fs::file_size(path), expected_bytes = expected.at("bytes").get<std::uint64_t>();
      EMBER_CHECK(bytes == expected_bytes, IoError,
                  "checkpoint {}: {} has {} bytes; expected {}: the file is truncated or was replaced", dir, path,
                  bytes, expected_bytes);
      const std::string sum = fmt::format("{:016x}", file_checksum(path));
      EMBER_CHECK(sum == expected.at("fnv1a64").get<std::string>(), IoError,
                  "checkpoint {}: {} is corrupted (checksum {}; expected {}); refusing to load it", dir, path, sum,
                  expected.at("fnv1a64").get<std::string>());
    }
  } catch (const nlohmann::json::exception& e) {
    throw IoError(fmt::format("checkpoint {}: {} is malformed: {}", dir, sums_path, e.what()));
  }
}
}  // namespace

void write_file_atomic(const std::string& path, const std::string& text) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    EMBER_CHECK(out.good(), IoError, "cannot open {} for writing", tmp);
    out << text;
    out.flush();
    EMBER_CHECK(out.good(), IoError, "writing {} failed (disk full?)", tmp);
  }
  fsync_path(tmp);
  fs::rename(tmp, path);
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  EMBER_CHECK(in.good(), IoError, "cannot open {}", path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

void write_checkpoint(const std::string& dir, const std::function<void(const std::string&)>& write_files) {
  const std::string staging = dir + ".staging", old = dir + ".old";
  // A swap interrupted between its two renames left the only complete checkpoint in DIR.old:
  // put it back first, so that removing DIR.old below never deletes the last good checkpoint.
  if (!fs::exists(fs::path(dir) / kChecksums) && fs::exists(fs::path(old) / kChecksums)) {
    fs::remove_all(dir);
    fs::rename(old, dir);
  }
  fs::remove_all(staging);
  fs::create_directories(staging);
  write_files(staging);
  seal_checkpoint(staging);
  for (const auto& entry : fs::directory_iterator(staging)) fsync_path(entry.path().string());
  fsync_path(staging);
  // From here on a complete checkpoint is always at DIR or DIR.old.
  fs::remove_all(old);
  if (fs::exists(dir)) fs::rename(dir, old);
  fs::rename(staging, dir);
  const fs::path parent = fs::absolute(dir).parent_path();
  fsync_path(parent.string());
  fs::remove_all(old);
}

std::string checkpoint_to_read(const std::string& dir) {
  for (const std::string& candidate : {dir, dir + ".old"}) {
    if (!fs::exists(fs::path(candidate) / kChecksums)) continue;
    verify_checksums(dir, candidate);
    return candidate;
  }
  throw IoError(fmt::format("checkpoint {}: no complete checkpoint found (expected {}/{})", dir, dir, kChecksums));
}

}  // namespace ember::apps
