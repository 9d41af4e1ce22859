// safetensors reader and writer (format: https://huggingface.co/docs/safetensors).
#include "core/safetensors.h"

#include "core/kernels.h"

#include "core/json_limits.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <set>
#include <unistd.h>

namespace ember {
namespace {

constexpr std::uint64_t kMaxHeaderBytes = 100u << 20;  // 100 MiB, as the reference implementation

const char* safetensors_dtype(DType dtype) {
  switch (dtype) {
    case kFloat32: return "F32";
    case kFloat64: return "F64";
    case kInt64: return "I64";
    case kBool: return "BOOL";
    case kInt32: return "I32";
  }
  return "";
}

DType parse_dtype(const std::string& name, const std::string& path, const std::string& key) {
  if (name == "F32") return kFloat32;
  if (name == "F64") return kFloat64;
  if (name == "I64") return kInt64;
  if (name == "BOOL") return kBool;
  if (name == "I32") return kInt32;
  throw IoError(fmt::format("{}: tensor \"{}\" has unsupported dtype {}; expected F32, F64, I64, I32 or BOOL", path,
                            excerpt(key), excerpt(name)));
}

}  // namespace

void save_safetensors(const std::string& path, const NamedTensorList& tensors,
                      const std::map<std::string, std::string>& metadata) {
  nlohmann::ordered_json header = nlohmann::ordered_json::object();
  if (!metadata.empty()) header["__metadata__"] = metadata;
  std::uint64_t offset = 0;
  std::vector<Tensor> contiguous;
  // Everything is checked before the file is opened: a refused save writes nothing.
  std::set<std::string> names;
  for (const auto& [name, t] : tensors) {
    EMBER_CHECK(name != "__metadata__", ValueError,
                "save_safetensors: a tensor is named \"__metadata__\", the key safetensors reserves for metadata; "
                "expected another name");
    EMBER_CHECK(names.insert(name).second, ValueError,
                "save_safetensors: two tensors are named \"{}\"; expected unique names", excerpt(name));
    EMBER_CHECK(t.defined(), ValueError, "save_safetensors: tensor \"{}\" is undefined", excerpt(name));
  }
  for (const auto& [name, t] : tensors) {
    const std::uint64_t nbytes = static_cast<std::uint64_t>(t.numel()) * t.element_size();
    header[name] = {{"dtype", safetensors_dtype(t.dtype())}, {"shape", t.shape()}, {"data_offsets", {offset, offset + nbytes}}};
    offset += nbytes;
    contiguous.push_back(kernels::contiguous(t));
  }
  std::string text = header.dump();
  text.append((8 - text.size() % 8) % 8, ' ');  // pad so the data starts 8-byte aligned
  const std::uint64_t header_size = text.size();

  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    EMBER_CHECK(out.good(), IoError, "save_safetensors: cannot open {} for writing", tmp);
    out.write(reinterpret_cast<const char*>(&header_size), 8);  // little-endian on x86-64
    out.write(text.data(), static_cast<std::streamsize>(text.size()));
    for (const Tensor& t : contiguous)
      if (t.numel() > 0) out.write(static_cast<const char*>(t.raw_data()), static_cast<std::streamsize>(t.numel() * t.element_size()));
    out.flush();
    EMBER_CHECK(out.good(), IoError, "save_safetensors: writing {} failed (disk full?)", tmp);
  }
  // fsync the file, rename over the target, then fsync the folder so the rename is durable.
  const int fd = ::open(tmp.c_str(), O_RDONLY);
  EMBER_CHECK(fd >= 0 && ::fsync(fd) == 0, IoError, "save_safetensors: fsync of {} failed", tmp);
  ::close(fd);
  EMBER_CHECK(std::rename(tmp.c_str(), path.c_str()) == 0, IoError, "save_safetensors: cannot rename {} to {}", tmp, path);
  const auto slash = path.find_last_of('/');
  const std::string dir = slash == std::string::npos ? "." : path.substr(0, slash);
  if (const int dfd = ::open(dir.c_str(), O_RDONLY); dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
}

SafetensorsFile load_safetensors(const std::string& path) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  EMBER_CHECK(in.good(), IoError, "load_safetensors: cannot open {}", path);
  const std::uint64_t file_size = static_cast<std::uint64_t>(in.tellg());
  in.seekg(0);
  std::uint64_t header_size = 0;
  EMBER_CHECK(file_size >= 8 && in.read(reinterpret_cast<char*>(&header_size), 8), IoError,
              "{}: file of {} bytes is too short to be a safetensors file", path, file_size);
  EMBER_CHECK(header_size <= kMaxHeaderBytes && header_size <= file_size - 8, IoError,
              "{}: header claims {} bytes but the file has {} bytes after the length field; the file is truncated or "
              "not a safetensors file",
              path, header_size, file_size - 8);
  std::string text(header_size, '\0');
  in.read(text.data(), static_cast<std::streamsize>(header_size));
  const auto header = parse_json<IoError, nlohmann::ordered_json>(text, fmt::format("{}: malformed JSON header", path));
  EMBER_CHECK(header.is_object(), IoError, "{}: header is not a JSON object", path);
  const std::uint64_t data_size = file_size - 8 - header_size;

  SafetensorsFile result;
  // Validate every entry before reading any data.
  struct Entry { std::string name; DType dtype; Shape shape; std::uint64_t begin, end; };
  std::vector<Entry> entries;
  try {
    for (auto it = header.begin(); it != header.end(); ++it) {
      if (it.key() == "__metadata__") {
        for (auto m = it.value().begin(); m != it.value().end(); ++m) result.metadata[m.key()] = m.value().get<std::string>();
        continue;
      }
      // Integers only: nlohmann converts a float such as 1e22 to int64 with undefined behaviour.
      const auto integers = [](const nlohmann::ordered_json& list, bool non_negative) {
        return list.is_array() && std::all_of(list.begin(), list.end(), [&](const auto& v) {
                 return non_negative ? v.is_number_unsigned() : v.is_number_integer();
               });
      };
      EMBER_CHECK(integers(it.value().at("shape"), false) && integers(it.value().at("data_offsets"), true), IoError,
                  "{}: tensor \"{}\" needs a list of integers as shape and two non-negative integers as "
                  "data_offsets",
                  path, excerpt(it.key()));
      Entry e{it.key(), parse_dtype(it.value().at("dtype").get<std::string>(), path, it.key()),
              it.value().at("shape").get<Shape>(), 0, 0};
      auto offsets = it.value().at("data_offsets").get<std::vector<std::uint64_t>>();
      EMBER_CHECK(offsets.size() == 2, IoError, "{}: tensor \"{}\" has {} data_offsets; expected 2", path, excerpt(e.name), offsets.size());
      e.begin = offsets[0];
      e.end = offsets[1];
      std::uint64_t count = 1;
      // A zero dim makes the tensor empty, so the data bound does not apply; the other dims must
      // still multiply to at most INT64_MAX, or the tensor's strides would overflow.
      const bool has_zero_dim = std::find(e.shape.begin(), e.shape.end(), 0) != e.shape.end();
      std::uint64_t nonzero_product = 1;
      for (std::int64_t s : e.shape) {
        const auto n = static_cast<std::uint64_t>(s);
        EMBER_CHECK(s >= 0 && (has_zero_dim || count <= data_size / n) &&
                        (s == 0 || nonzero_product <= static_cast<std::uint64_t>(INT64_MAX) / n),
                    IoError, "{}: tensor \"{}\" has invalid shape {}", path, excerpt(e.name), shape_str(e.shape));
        count *= n;
        if (s > 0) nonzero_product *= n;
      }
      EMBER_CHECK(e.begin <= e.end && e.end <= data_size && e.end - e.begin == count * element_size(e.dtype), IoError,
                  "{}: tensor \"{}\" ({} {}) claims bytes [{}, {}) but the data section has {} bytes; the file is "
                  "truncated or corrupted",
                  path, excerpt(e.name), dtype_name(e.dtype), shape_str(e.shape), e.begin, e.end, data_size);
      entries.push_back(std::move(e));
    }
  } catch (const nlohmann::json::exception& ex) {
    throw IoError(fmt::format("{}: malformed tensor entry in header: {}", path, excerpt(ex.what(), 200)));
  }
  // The tensors tile the data section: in offset order each starts where the previous one ended,
  // and the last ends at the end of the file (no overlap, no gap, no trailing bytes).
  std::vector<const Entry*> by_offset;
  for (const Entry& e : entries) by_offset.push_back(&e);
  std::stable_sort(by_offset.begin(), by_offset.end(), [](const Entry* a, const Entry* b) {
    return a->begin != b->begin ? a->begin < b->begin : a->end < b->end;
  });
  std::uint64_t expected_begin = 0;
  const Entry* previous = nullptr;
  for (const Entry* e : by_offset) {
    EMBER_CHECK(e->begin == expected_begin, IoError,
                "{}: tensor \"{}\" claims bytes [{}, {}), which {} {}; expected each tensor to start where the "
                "previous one ends, at byte {}",
                path, excerpt(e->name), e->begin, e->end, e->begin < expected_begin ? "overlap" : "leave a gap after",
                previous ? fmt::format("tensor \"{}\" [{}, {})", excerpt(previous->name), previous->begin,
                                       previous->end)
                         : std::string("the start of the data section"),
                expected_begin);
    expected_begin = e->end;
    previous = e;
  }
  EMBER_CHECK(expected_begin == data_size, IoError,
              "{}: the tensors cover bytes [0, {}) of a data section of {} bytes; expected no trailing bytes", path,
              expected_begin, data_size);
  for (const Entry& e : entries) {
    Tensor t = empty(e.shape, e.dtype);
    in.seekg(static_cast<std::streamoff>(8 + header_size + e.begin));
    if (e.end > e.begin) in.read(static_cast<char*>(t.raw_data()), static_cast<std::streamsize>(e.end - e.begin));
    EMBER_CHECK(in.good(), IoError, "{}: reading tensor \"{}\" failed", path, excerpt(e.name));
    if (e.dtype == kBool) {  // any other byte is not a valid C++ bool: reading it would be undefined
      const auto* bytes = static_cast<const unsigned char*>(t.raw_data());
      for (std::uint64_t i = 0; i < e.end - e.begin; ++i)
        EMBER_CHECK(bytes[i] <= 1, IoError, "{}: BOOL tensor \"{}\" holds the byte {:#04x} at element {}; expected 0 or 1",
                    path, excerpt(e.name), bytes[i], i);
    }
    result.tensors.emplace_back(e.name, std::move(t));
  }
  return result;
}

}  // namespace ember
