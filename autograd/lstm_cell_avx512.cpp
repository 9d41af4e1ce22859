// The LSTM cell loops of lstm_cell.h built for AVX-512 (see autograd/CMakeLists.txt): 16 floats
// per instruction, picked at run time before the AVX2 build when the CPU has AVX-512F.
#include "autograd/lstm_cell.h"

namespace ember::lstm_cell {

const Kernels<float>& avx512_float_kernels() { return compiled_kernels<float>; }

}  // namespace ember::lstm_cell
