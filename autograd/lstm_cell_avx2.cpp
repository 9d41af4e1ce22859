// The LSTM cell loops of lstm_cell.h built with AVX2 and FMA (see autograd/CMakeLists.txt):
// 8 floats per instruction instead of SSE2's 4, and fused multiply-adds in exp/tanh.
#include "autograd/lstm_cell.h"

namespace ember::lstm_cell {

const Kernels<float>& avx2_float_kernels() { return compiled_kernels<float>; }

}  // namespace ember::lstm_cell
