// Crash-safe checkpoint folders (see checkpoint.h).
#include "apps/text_classifier/checkpoint.h"

#include "core/error.h"

#include <fcntl.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace fs = std::filesystem;

namespace ember::apps {
namespace {
void fsync_path(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY);
  if (fd < 0) return;
  ::fsync(fd);
  ::close(fd);
}
constexpr const char* kCompleteMarker = "state.json";  // written last
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
  fs::remove_all(staging);
  fs::create_directories(staging);
  write_files(staging);
  for (const auto& entry : fs::directory_iterator(staging)) fsync_path(entry.path().string());
  fsync_path(staging);
  EMBER_CHECK(fs::exists(fs::path(staging) / kCompleteMarker), IoError, "checkpoint {}: {} was not written", dir,
              kCompleteMarker);
  // A crash between the two renames below leaves the only complete checkpoint in DIR.old:
  // put it back before anything deletes DIR.old.
  if (!fs::exists(dir) && fs::exists(fs::path(old) / kCompleteMarker)) fs::rename(old, dir);
  fs::remove_all(old);
  if (fs::exists(dir)) fs::rename(dir, old);
  fs::rename(staging, dir);
  const fs::path parent = fs::absolute(dir).parent_path();
  fsync_path(parent.string());
  fs::remove_all(old);
}

std::string checkpoint_to_read(const std::string& dir) {
  for (const std::string& candidate : {dir, dir + ".old"})
    if (fs::exists(fs::path(candidate) / kCompleteMarker)) return candidate;
  throw IoError(fmt::format("checkpoint {}: no complete checkpoint found (expected {}/{})", dir, dir, kCompleteMarker));
}

}  // namespace ember::apps
