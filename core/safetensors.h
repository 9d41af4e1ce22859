// safetensors files: an 8-byte little-endian header length, a JSON header naming each tensor's
// dtype, shape and byte range, then the raw little-endian data. PyTorch (safetensors.torch) reads
// the files ember writes, and ember reads the files PyTorch writes.
#pragma once

#include "core/tensor.h"

#include <map>
#include <string>
#include <utility>
#include <vector>

namespace ember {

using NamedTensorList = std::vector<std::pair<std::string, Tensor>>;

struct SafetensorsFile {
  NamedTensorList tensors;                      // in file order
  std::map<std::string, std::string> metadata;  // the optional "__metadata__" entry
};

// Writes atomically: a temporary file beside `path` is written, flushed, fsync'ed and renamed,
// so a crash leaves either the old file or the new one, never half of one.
void save_safetensors(const std::string& path, const NamedTensorList& tensors,
                      const std::map<std::string, std::string>& metadata = {});

// Validates the header against the file size before allocating anything: a truncated or
// corrupted file, or a header claiming more bytes than the file has, is refused with an IoError
// naming the file. Supported dtypes: F32, F64, I64, I32, BOOL.
SafetensorsFile load_safetensors(const std::string& path);

}  // namespace ember
