// Crash-safe checkpoint folders (see checkpoint.h).
#include "apps/common/checkpoint.h"

#include "core/error.h"
#include "core/json_limits.h"
#include "data/delimited_file.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <set>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

namespace fs = std::filesystem;

namespace ember::apps {
namespace {
std::string errno_text() { return std::strerror(errno); }

// fsync of a file we wrote: a failure (EIO, ENOSPC on some filesystems) is an error naming it.
// Folders are synced on a best-effort basis (some filesystems refuse fsync on a folder).
void fsync_path(const std::string& path, bool strict = true) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    EMBER_CHECK(!strict, IoError, "cannot open {} to flush it to disk: {}", path, errno_text());
    return;
  }
  const bool ok = ::fsync(fd) == 0 || errno == EINVAL || errno == EROFS;
  const std::string error = ok ? "" : errno_text();
  ::close(fd);
  EMBER_CHECK(ok || !strict, IoError, "cannot flush {} to disk: {}", path, error);
}
constexpr const char* kChecksums = "checksums.json";  // written last, by write_checkpoint
// In DIR.staging while it is being written (removed once checksums.json is there): proves that
// the folder is ours, so that a run killed mid-write can clear it.
constexpr const char* kStagingMarker = ".ember-staging";

// Writes all of `text` to `path` (created or truncated), then fsync and close, each checked.
void write_all(const std::string& path, const std::string& text) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  EMBER_CHECK(fd >= 0, IoError, "cannot open {} for writing: {}", path, errno_text());
  std::size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const std::string error = n < 0 ? errno_text() : "no progress";
      ::close(fd);
      throw IoError(fmt::format("cannot write {} ({} of {} bytes written): {}", path, done, text.size(), error));
    }
    done += static_cast<std::size_t>(n);
  }
  struct stat st {};
  const bool regular = ::fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
  if (regular && ::fsync(fd) != 0 && errno != EINVAL) {
    const std::string error = errno_text();
    ::close(fd);
    throw IoError(fmt::format("cannot flush {} to disk: {}", path, error));
  }
  EMBER_CHECK(::close(fd) == 0, IoError, "cannot write {} (on close): {}", path, errno_text());
}

// Regular files of `folder` (names) and whether it holds anything else (a subfolder, a FIFO...).
std::vector<std::string> folder_files(const std::string& folder, std::vector<std::string>* others = nullptr) {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(folder)) {
    if (entry.is_regular_file()) names.push_back(entry.path().filename().string());
    else if (others) others->push_back(entry.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

// What kind of thing is at `path` ("a regular file", "a FIFO", ...), for messages.
std::string kind_of(const std::string& path) {
  const auto status = fs::symlink_status(path);
  switch (status.type()) {
    case fs::file_type::regular: return "a regular file";
    case fs::file_type::directory: return "a folder";
    case fs::file_type::symlink: return "a symbolic link";
    case fs::file_type::fifo: return "a FIFO";
    case fs::file_type::socket: return "a socket";
    case fs::file_type::character:
    case fs::file_type::block: return "a device";
    default: return "a special file";
  }
}

// "" when `folder` is a checksums.json folder whose manifest lists every file in it (each with a
// byte count and a checksum); otherwise what is wrong with it.
std::string manifest_mismatch(const std::string& folder) {
  const std::string sums_path = folder + "/" + kChecksums;
  if (!fs::is_regular_file(sums_path)) return fmt::format("it has no {}", kChecksums);
  nlohmann::json sums;
  try {
    sums = parse_json(read_file(sums_path), kChecksums);
  } catch (const std::exception& e) {
    return fmt::format("its {} is not valid JSON", kChecksums);
  }
  if (!sums.is_object()) return fmt::format("its {} is not a JSON object", kChecksums);
  std::vector<std::string> others;
  std::vector<std::string> files = folder_files(folder, &others);
  if (!others.empty()) return fmt::format("it holds \"{}\", which is not a regular file", others.front());
  // Files it lists may be missing (a removal interrupted by a kill), but every file must be listed.
  for (const std::string& name : files)
    if (name != kChecksums && !sums.contains(name))
      return fmt::format("its {} does not list \"{}\"", kChecksums, name);
  for (const auto& [name, entry] : sums.items()) {
    if (!entry.is_object() || !entry.contains("bytes") || !entry["bytes"].is_number_unsigned() ||
        !entry.contains("fnv1a64") || !entry["fnv1a64"].is_string())
      return fmt::format("its {} entry for \"{}\" has no byte count and checksum", kChecksums, name);
  }
  return "";
}

// "" when whatever is at `path` may be replaced or removed by the writer: nothing, an empty
// folder, a staging folder we were writing, or a folder its manifest proves is an ember
// checkpoint. Otherwise a description of what is there.
std::string foreign_content(const std::string& path) {
  std::error_code ec;
  const auto status = fs::symlink_status(path, ec);
  if (ec || status.type() == fs::file_type::not_found) return "";
  if (status.type() != fs::file_type::directory) return kind_of(path);
  std::vector<std::string> others;
  std::vector<std::string> files = folder_files(path, &others);
  if (files.empty() && others.empty()) return "";
  if (others.empty() && std::find(files.begin(), files.end(), kStagingMarker) != files.end()) return "";
  const std::string why = manifest_mismatch(path);
  if (why.empty()) return "";
  std::vector<std::string> all = files;
  all.insert(all.end(), others.begin(), others.end());
  std::sort(all.begin(), all.end());
  std::string sample;
  for (std::size_t i = 0; i < std::min<std::size_t>(all.size(), 3); ++i)
    sample += fmt::format("{}\"{}\"", i ? ", " : "", all[i]);
  if (all.size() > 3) sample += ", ...";
  return fmt::format("a folder of {} entr{} ({}) that is not an ember checkpoint ({})", all.size(),
                     all.size() == 1 ? "y" : "ies", sample, why);
}

// Throws IoError when `path` (DIR, DIR.staging or DIR.old) holds something not ours.
void check_ours(const std::string& dir, const std::string& path, const std::string& app) {
  const std::string what = foreign_content(path);
  if (what.empty()) return;
  const std::string prefix = app.empty() ? "" : app + ": ";
  if (path == dir)
    throw IoError(fmt::format("{}checkpoint {} is {}; refusing to replace it. Choose a new or empty folder for "
                              "--checkpoint, or move what is there out of the way",
                              prefix, dir, what));
  throw IoError(fmt::format("{}checkpoint {}: {} is {}; the checkpoint writer would delete it. Move it out of the "
                            "way or choose another --checkpoint path",
                            prefix, dir, path, what));
}

// Removes a folder check_ours accepted, so that a kill at any moment leaves it provably ours:
// first the files, then checksums.json and the staging marker, then the folder.
void remove_ours(const std::string& folder) {
  if (!fs::exists(fs::symlink_status(folder))) return;
  const std::vector<std::string> files = folder_files(folder);
  for (const std::string& name : files)
    if (name != kChecksums && name != kStagingMarker) fs::remove(folder + "/" + name);
  fs::remove(folder + "/" + kChecksums);
  fs::remove(folder + "/" + kStagingMarker);
  fs::remove(folder);
}

// True when `path` is `folder` or inside it (after resolving ".", "..", symbolic links).
bool is_within(const std::string& path, const std::string& folder) {
  std::error_code ec;
  const fs::path p = fs::weakly_canonical(fs::absolute(path), ec);
  const fs::path f = fs::weakly_canonical(fs::absolute(folder), ec);
  auto pi = p.begin();
  for (auto fi = f.begin(); fi != f.end(); ++fi, ++pi) {
    if (fi->empty()) continue;  // a trailing separator
    if (pi == p.end() || *pi != *fi) return false;
  }
  return true;
}

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
  EMBER_CHECK(!in.bad(), IoError, "cannot read {}: {}", path, errno_text());
  return hash;
}

}  // namespace

// {"model.safetensors": {"bytes": N, "fnv1a64": "..."}, ...} for every file of the folder.
void seal_checkpoint(const std::string& folder) {
  nlohmann::ordered_json sums = nlohmann::ordered_json::object();
  std::vector<std::string> names = folder_files(folder);
  names.erase(std::remove_if(names.begin(), names.end(),
                             [](const std::string& n) { return n == kChecksums || n == kStagingMarker; }),
              names.end());
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
    sums = parse_json(read_file(sums_path), fmt::format("checkpoint {}: {} is not valid JSON", dir, sums_path));
    EMBER_CHECK(sums.is_object(), IoError, "checkpoint {}: {} is not a JSON object", dir, sums_path);
    // The manifest must account for the whole folder: a file it does not list (or `{}`) means the
    // folder was edited or assembled by hand, and nothing in it is verified.
    for (const std::string& name : folder_files(folder))
      EMBER_CHECK(name == kChecksums || sums.contains(name), IoError,
                  "checkpoint {}: {} does not list {}/{}; the manifest does not cover the folder, so it cannot be "
                  "verified (rewrite the checkpoint, or re-seal it if the change was deliberate)",
                  dir, sums_path, folder, name);
    EMBER_CHECK(!sums.empty(), IoError, "checkpoint {}: {} lists no files; the checkpoint is incomplete", dir,
                sums_path);
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
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0 && !S_ISREG(st.st_mode)) {
    // /dev/stdout, a FIFO, a device: write in place (a rename would replace the device node).
    EMBER_CHECK(!S_ISDIR(st.st_mode), IoError, "cannot write {}: it is a folder", path);
    write_all(path, text);
    return;
  }
  const std::string tmp = path + ".tmp";
  write_all(tmp, text);
  std::error_code ec;
  fs::rename(tmp, path, ec);
  EMBER_CHECK(!ec, IoError, "cannot rename {} to {}: {}", tmp, path, ec.message());
}

std::string read_file(const std::string& path) { return data::read_file(path); }

CheckpointClaim::~CheckpointClaim() {
  if (remove_lock_) ::unlink(lock_path_.c_str());  // still locked: no other run can hold this file
  if (fd_ >= 0) ::close(fd_);                     // releases the flock
}

std::string normalize_checkpoint_path(const std::string& dir) {
  EMBER_CHECK(!dir.empty(), ValueError, "the checkpoint path is empty; expected a folder name");
  std::string s = fs::path(dir).lexically_normal().string();
  while (s.size() > 1 && s.back() == '/') s.pop_back();
  const std::string name = fs::path(s).filename().string();
  if (name == "." || name == ".." || s == "/") s = fs::weakly_canonical(fs::absolute(s)).string();
  while (s.size() > 1 && s.back() == '/') s.pop_back();
  EMBER_CHECK(s != "/", ValueError, "checkpoint path {} is the root folder; expected a folder of its own", dir);
  return s;
}

std::unique_ptr<CheckpointClaim> claim_checkpoint(const std::string& given, const CheckpointUse& use) {
  const std::string dir = normalize_checkpoint_path(given);
  const std::string app = use.app.empty() ? "checkpoint" : use.app;
  const fs::path parent = fs::absolute(dir).parent_path();
  std::error_code ec;
  fs::create_directories(parent, ec);
  EMBER_CHECK(!ec, IoError, "{}: --checkpoint {}: cannot create the folder {}: {}", app, given, parent.string(),
              ec.message());
  EMBER_CHECK(::access(parent.c_str(), W_OK | X_OK) == 0, IoError,
              "{}: --checkpoint {}: cannot write in the folder {}: {}; choose a --checkpoint path in a writable folder",
              app, given, parent.string(), errno_text());

  // Exclusive use: flock on DIR.lock, which holds the owner's pid for the message below.
  const std::string lock_path = dir + ".lock";
  EMBER_CHECK(!fs::exists(fs::symlink_status(lock_path)) || fs::is_regular_file(fs::symlink_status(lock_path)),
              IoError, "{}: --checkpoint {}: {} (the lock file) is {}; move it out of the way", app, given, lock_path,
              kind_of(lock_path));
  std::unique_ptr<CheckpointClaim> claim;
  for (int attempt = 0;; ++attempt) {
    const int fd = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
    EMBER_CHECK(fd >= 0, IoError, "{}: --checkpoint {}: cannot open the lock file {}: {}", app, given, lock_path,
                errno_text());
    claim = std::make_unique<CheckpointClaim>(dir, lock_path, fd);
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0) break;  // reported below
    // The run that held it may have removed the file meanwhile: then our lock is on a lost inode.
    struct stat held {}, named {};
    if (::fstat(fd, &held) == 0 && ::stat(lock_path.c_str(), &named) == 0 && held.st_ino == named.st_ino &&
        held.st_dev == named.st_dev)
      break;
    EMBER_CHECK(attempt < 100, IoError, "{}: --checkpoint {}: cannot lock {}: it keeps being replaced", app, given,
                lock_path);
  }
  const int fd = claim->fd_;
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    const int error = errno;
    std::string holder = read_file(lock_path);
    while (!holder.empty() && (holder.back() == '\n' || holder.back() == ' ')) holder.pop_back();
    if (error == EWOULDBLOCK)
      throw IoError(fmt::format("{}: checkpoint {} is in use by another run ({}, lock file {}); wait for it to "
                                "finish, or choose another --checkpoint path",
                                app, dir, holder.rfind("pid ", 0) == 0 ? holder : "pid unknown", lock_path));
    throw IoError(fmt::format("{}: --checkpoint {}: cannot lock {}: {}", app, given, lock_path, std::strerror(error)));
  }
  const std::string previous = read_file(lock_path);
  EMBER_CHECK(previous.empty() || previous.rfind("pid ", 0) == 0, IoError,
              "{}: --checkpoint {}: {} exists and is not an ember lock file; refusing to overwrite it. Move it out "
              "of the way or choose another --checkpoint path",
              app, given, lock_path);
  claim->remove_lock_ = true;
  const std::string pid = fmt::format("pid {}\n", ::getpid());
  EMBER_CHECK(::ftruncate(fd, 0) == 0 && ::pwrite(fd, pid.data(), pid.size(), 0) == static_cast<ssize_t>(pid.size()),
              IoError, "{}: --checkpoint {}: cannot write the lock file {}: {}", app, given, lock_path, errno_text());

  for (const std::string& path : {dir, dir + ".staging", dir + ".old"}) check_ours(dir, path, app);
  if (fs::is_directory(dir))
    EMBER_CHECK(::access(dir.c_str(), W_OK | X_OK) == 0, IoError,
                "{}: checkpoint {} cannot be written: {}; choose another --checkpoint path", app, dir, errno_text());
  for (const auto& [flag, path] : use.outputs)
    for (const std::string& folder : {dir, dir + ".staging", dir + ".old"})
      EMBER_CHECK(!is_within(path, folder), ValueError,
                  "{}: {} {} is inside the checkpoint folder {}, which is replaced at every save (the file would be "
                  "deleted); write it outside the checkpoint folder",
                  app, flag, path, folder);
  for (const auto& [flag, path] : use.inputs)
    for (const std::string& folder : {dir, dir + ".staging", dir + ".old"})
      EMBER_CHECK(!is_within(path, folder), ValueError,
                  "{}: {} {} is inside the checkpoint folder {}, which is replaced at every save (the file would be "
                  "deleted); choose another --checkpoint path",
                  app, flag, path, folder);
  return claim;
}

void write_checkpoint(const std::string& given, const std::function<void(const std::string&)>& write_files) {
  const std::string dir = normalize_checkpoint_path(given);
  const std::string staging = dir + ".staging", old = dir + ".old";
  // Checked again at every save (claim_checkpoint checks before training): only what is provably
  // ours is ever removed.
  for (const std::string& path : {dir, staging, old}) check_ours(dir, path, "");
  // A swap interrupted between its two renames left the only complete checkpoint in DIR.old:
  // put it back first, so that removing DIR.old below never deletes the last good checkpoint.
  if (!fs::exists(fs::path(dir) / kChecksums) && fs::exists(fs::path(old) / kChecksums)) {
    remove_ours(dir);
    fs::rename(old, dir);
  }
  remove_ours(staging);
  fs::create_directories(staging);
  write_all(staging + "/" + kStagingMarker, "an ember checkpoint being written\n");
  write_files(staging);
  seal_checkpoint(staging);  // from here on the manifest proves the folder is ours
  fs::remove(staging + "/" + kStagingMarker);
  for (const auto& entry : fs::directory_iterator(staging)) fsync_path(entry.path().string());
  fsync_path(staging, false);
  // From here on a complete checkpoint is always at DIR or DIR.old.
  remove_ours(old);
  if (fs::exists(dir)) fs::rename(dir, old);
  fs::rename(staging, dir);
  const fs::path parent = fs::absolute(dir).parent_path();
  fsync_path(parent.string(), false);
  remove_ours(old);
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
