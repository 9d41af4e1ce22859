// Matrix products: gemm, mm, bmm and matmul, all through OpenBLAS's sgemm/dgemm.
// This is the only kernel file that includes cblas.h. A transposed view reaches BLAS as a
// transpose flag; an operand is copied only when neither its rows nor its columns are unit-stride.
#include "core/dispatch.h"
#include "core/kernels.h"
#include "core/parallel.h"
#include "core/strided_loop.h"

#include <cblas.h>

extern "C" void openblas_set_num_threads(int num_threads);

#include <algorithm>
#include <climits>
#include <optional>

namespace ember::kernels {
namespace {

// How a [rows, cols] matrix with the given strides looks to row-major BLAS: as stored
// (unit column stride, ld = row stride) or as the transpose of a stored matrix (unit row stride,
// ld = column stride). A size-1 dim may have any stride.
struct BlasLayout {
  bool transposed;
  std::int64_t ld;
};

std::optional<BlasLayout> blas_layout(std::int64_t rows, std::int64_t cols, std::int64_t row_stride,
                                      std::int64_t col_stride) {
  if ((cols == 1 || col_stride == 1) && (rows == 1 || row_stride >= std::max<std::int64_t>(cols, 1)))
    return BlasLayout{false, rows == 1 ? std::max<std::int64_t>(cols, 1) : row_stride};
  if ((rows == 1 || row_stride == 1) && (cols == 1 || col_stride >= std::max<std::int64_t>(rows, 1)))
    return BlasLayout{true, cols == 1 ? std::max<std::int64_t>(rows, 1) : col_stride};
  return std::nullopt;
}

// One side of a (batched) product: a stack of [rows, cols] matrices over `batch_shape`.
struct Operand {
  Tensor tensor;  // the data (a contiguous copy when the original had no BLAS layout)
  Shape batch_shape, batch_strides;
  std::int64_t rows = 0, cols = 0, row_stride = 0, col_stride = 0;
  BlasLayout layout{false, 1};
};

// A 1-D tensor is a row vector [1, k] on the left of a product and a column [k, 1] on the right.
enum class Side { kLeft, kRight };

Operand make_operand(const Tensor& t, bool transpose, Side side) {
  Shape shape = t.shape(), strides = t.strides();
  if (t.dim() == 1) {
    if (side == Side::kLeft) {
      shape.insert(shape.begin(), 1);
      strides.insert(strides.begin(), 0);
    } else {
      shape.push_back(1);
      strides.push_back(0);
    }
  }
  const std::size_t nd = shape.size();
  if (transpose) {
    std::swap(shape[nd - 2], shape[nd - 1]);
    std::swap(strides[nd - 2], strides[nd - 1]);
  }
  Operand op;
  op.tensor = t;
  op.batch_shape.assign(shape.begin(), shape.end() - 2);
  op.batch_strides.assign(strides.begin(), strides.end() - 2);
  op.rows = shape[nd - 2];
  op.cols = shape[nd - 1];
  op.row_stride = strides[nd - 2];
  op.col_stride = strides[nd - 1];
  const std::optional<BlasLayout> layout = blas_layout(op.rows, op.cols, op.row_stride, op.col_stride);
  if (!layout) return make_operand(contiguous(t), transpose, side);  // contiguous always has one
  op.layout = *layout;
  return op;
}

// When the batch dims and the row dim of `op` are one evenly strided run of memory, folds them
// into the rows: [B, n, k] x [k, m] becomes one [B*n, k] x [k, m] call instead of B small ones.
// Returns whether it folded.
bool fold_batch_into_rows(Operand& op) {
  if (op.batch_shape.empty()) return false;
  Shape sizes = op.batch_shape, strides = op.batch_strides;
  sizes.push_back(op.rows);
  strides.push_back(op.row_stride);
  std::int64_t rows = 1, stride = op.layout.ld;
  for (std::size_t d = sizes.size(); d-- > 0;) {
    if (sizes[d] == 1) continue;
    if (rows > 1 && strides[d] != stride * rows) return false;
    if (rows == 1) stride = strides[d];
    rows *= sizes[d];
  }
  const std::optional<BlasLayout> layout = blas_layout(rows, op.cols, stride, op.col_stride);
  if (!layout) return false;
  op.batch_shape.clear();
  op.batch_strides.clear();
  op.rows = rows;
  op.row_stride = stride;
  op.layout = *layout;
  return true;
}

void check_blas_int(std::int64_t value, const char* op) {
  EMBER_CHECK(value <= INT_MAX, ValueError, "{}: matrix dimension {} is too large for BLAS; expected at most {}",
              op, value, INT_MAX);
}

// OpenBLAS runs single-threaded: ember's own pool is the only source of threads, so a product
// called from a parallel loop never starts a second set of threads on the same cores (two pools
// spinning against each other made two threads slower than one). Set once, before the first call.
void use_single_threaded_blas() {
  static const bool once = (openblas_set_num_threads(1), true);
  (void)once;
}

// Below this many multiply-adds a product runs whole on the calling thread: splitting it costs a
// pool wake-up (microseconds), more than it saves. OpenBLAS's own threshold is similar.
constexpr std::int64_t kMinSplitWork = std::int64_t{1} << 20;

// One BLAS call: c (n x m, leading dim ldc) = alpha * op(a) op(b) + beta * c.
template <typename T>
void blas_gemm(const Operand& a, const T* pa, const Operand& b, const T* pb, T* c, std::int64_t ldc,
               std::int64_t n, std::int64_t m, std::int64_t k, T alpha, T beta) {
  const auto ta = a.layout.transposed ? CblasTrans : CblasNoTrans;
  const auto tb = b.layout.transposed ? CblasTrans : CblasNoTrans;
  const int lda = static_cast<int>(a.layout.ld), ldb = static_cast<int>(b.layout.ld);
  if constexpr (std::is_same_v<T, float>)
    cblas_sgemm(CblasRowMajor, ta, tb, int(n), int(m), int(k), alpha, pa, lda, pb, ldb, beta, c, int(ldc));
  else
    cblas_dgemm(CblasRowMajor, ta, tb, int(n), int(m), int(k), alpha, pa, lda, pb, ldb, beta, c, int(ldc));
}

// c = alpha * a b + beta * c for one [n, k] x [k, m] product; c is row-major with leading dim ldc.
template <typename T>
void gemm_one(const Operand& a, const T* pa, const Operand& b, const T* pb, T* c, std::int64_t ldc,
              T alpha, T beta) {
  const std::int64_t n = a.rows, k = a.cols, m = b.cols;
  if (n == 0 || m == 0) return;
  if (k == 0) {
    // An empty inner dim: BLAS would read no A or B; C becomes beta * C (0 when beta == 0).
    for (std::int64_t i = 0; i < n; ++i)
      for (std::int64_t j = 0; j < m; ++j) c[i * ldc + j] = beta == T(0) ? T(0) : beta * c[i * ldc + j];
    return;
  }
  use_single_threaded_blas();
  if (n * m * k < kMinSplitWork) {
    blas_gemm<T>(a, pa, b, pb, c, ldc, n, m, k, alpha, beta);
    return;
  }
  // With several threads, C splits into blocks of rows (or of columns, when it has more columns),
  // each one single-threaded BLAS call on its own slice of A (or B). parallel_for runs the whole
  // product inline on one thread, or when already inside a parallel loop.
  // Rows i.. of op(A) start at pa + i * lda, or at pa + i when A is stored transposed; columns j..
  // of op(B) at pb + j, or pb + j * ldb when B is stored transposed.
  if (n >= m) {
    parallel_for(0, n, 16, [&](std::int64_t i0, std::int64_t i1) {
      const T* a_rows = pa + (a.layout.transposed ? i0 : i0 * a.layout.ld);
      blas_gemm<T>(a, a_rows, b, pb, c + i0 * ldc, ldc, i1 - i0, m, k, alpha, beta);
    });
  } else {
    parallel_for(0, m, 16, [&](std::int64_t j0, std::int64_t j1) {
      const T* b_cols = pb + (b.layout.transposed ? j0 * b.layout.ld : j0);
      blas_gemm<T>(a, pa, b, b_cols, c + j0, ldc, n, j1 - j0, k, alpha, beta);
    });
  }
}

// out[batch..., :, :] = alpha * a[batch...] b[batch...] + beta * out, with a's and b's batch dims
// broadcast to `batch`. out is row-major [batch..., a.rows, b.cols] with leading dim ldc.
void batched_gemm(const Operand& a, const Operand& b, const Shape& batch, const Tensor& out,
                  std::int64_t ldc, double alpha, double beta, const char* op) {
  for (std::int64_t v : {a.rows, a.cols, b.cols, a.layout.ld, b.layout.ld, ldc}) check_blas_int(v, op);
  // Batch strides aligned to `batch`: a broadcast (size-1 or missing) dim repeats one matrix.
  const auto aligned = [&](const Operand& x) {
    Shape strides(batch.size(), 0);
    const std::size_t lead = batch.size() - x.batch_shape.size();
    for (std::size_t d = 0; d < x.batch_shape.size(); ++d)
      if (x.batch_shape[d] != 1) strides[lead + d] = x.batch_strides[d];
    return strides;
  };
  const Shape a_strides = aligned(a), b_strides = aligned(b);
  Shape out_strides = contiguous_strides(batch);
  for (std::int64_t& s : out_strides) s *= a.rows * ldc;
  detail::dispatch_floating(out.dtype(), op, [&]<typename T>() {
    const T* pa = a.tensor.data_ptr<T>();
    const T* pb = b.tensor.data_ptr<T>();
    T* pc = out.data_ptr<T>();
    detail::for_each_row<3>(batch, {&a_strides, &b_strides, &out_strides},
                            [&](const auto& offsets, std::int64_t n, const auto& strides) {
      for (std::int64_t i = 0; i < n; ++i)
        gemm_one<T>(a, pa + offsets[0] + i * strides[0], b, pb + offsets[1] + i * strides[1],
                    pc + offsets[2] + i * strides[2], ldc, T(alpha), T(beta));
    });
  });
}

void check_operands(const Tensor& a, const Tensor& b, const char* op) {
  EMBER_CHECK(a.defined() && b.defined(), ValueError, "{}: got an undefined tensor; expected two defined tensors", op);
  EMBER_CHECK(is_floating(a.dtype()) && a.dtype() == b.dtype(), TypeError,
              "{}: dtypes {} and {} do not match; expected two float32 or two float64 tensors", op,
              dtype_name(a.dtype()), dtype_name(b.dtype()));
}

void check_inner(const Tensor& a, const Tensor& b, std::int64_t ka, std::int64_t kb, const char* op) {
  EMBER_CHECK(ka == kb, ShapeError, "{}: shapes {} and {} cannot be multiplied ({} != {}); expected "
              "a.size(-1) == b.size({})", op, shape_str(a.shape()), shape_str(b.shape()), ka, kb,
              b.dim() == 1 ? -1 : -2);
}

}  // namespace

void gemm(const Tensor& a, bool transpose_a, const Tensor& b, bool transpose_b, const Tensor& c,
          double alpha, double beta) {
  check_operands(a, b, "gemm");
  EMBER_CHECK(c.defined() && c.dtype() == a.dtype(), TypeError, "gemm: C has dtype {}; expected {} like A and B",
              c.defined() ? dtype_name(c.dtype()) : "undefined", dtype_name(a.dtype()));
  EMBER_CHECK(a.dim() == 2 && b.dim() == 2 && c.dim() == 2, ShapeError,
              "gemm: shapes A {}, B {}, C {}; expected three 2-D tensors", shape_str(a.shape()),
              shape_str(b.shape()), shape_str(c.shape()));
  EMBER_CHECK(c.is_contiguous(), ValueError, "gemm: C with shape {} and strides {} is not contiguous; "
              "expected a contiguous output", shape_str(c.shape()), shape_str(c.strides()));
  const Operand oa = make_operand(a, transpose_a, Side::kLeft);
  const Operand ob = make_operand(b, transpose_b, Side::kRight);
  EMBER_CHECK(oa.cols == ob.rows && c.size(0) == oa.rows && c.size(1) == ob.cols, ShapeError,
              "gemm: op(A) is [{}, {}], op(B) is [{}, {}] and C is {}; expected [n, k] x [k, m] -> [n, m]",
              oa.rows, oa.cols, ob.rows, ob.cols, shape_str(c.shape()));
  batched_gemm(oa, ob, {}, c, std::max<std::int64_t>(ob.cols, 1), alpha, beta, "gemm");
  c.bump_version();
}

Tensor mm(const Tensor& a, const Tensor& b) {
  check_operands(a, b, "mm");
  EMBER_CHECK(a.dim() == 2 && b.dim() == 2, ShapeError, "mm: shapes {} and {}; expected two 2-D tensors",
              shape_str(a.shape()), shape_str(b.shape()));
  check_inner(a, b, a.size(1), b.size(0), "mm");
  Tensor out = empty({a.size(0), b.size(1)}, a.dtype());
  batched_gemm(make_operand(a, false, Side::kLeft), make_operand(b, false, Side::kRight), {}, out,
               std::max<std::int64_t>(b.size(1), 1), 1.0, 0.0, "mm");
  return out;
}

Tensor bmm(const Tensor& a, const Tensor& b) {
  check_operands(a, b, "bmm");
  EMBER_CHECK(a.dim() == 3 && b.dim() == 3, ShapeError, "bmm: shapes {} and {}; expected two 3-D tensors",
              shape_str(a.shape()), shape_str(b.shape()));
  EMBER_CHECK(a.size(0) == b.size(0), ShapeError,
              "bmm: batch sizes {} and {} differ (shapes {} and {}); expected equal batch sizes", a.size(0),
              b.size(0), shape_str(a.shape()), shape_str(b.shape()));
  check_inner(a, b, a.size(2), b.size(1), "bmm");
  Tensor out = empty({a.size(0), a.size(1), b.size(2)}, a.dtype());
  batched_gemm(make_operand(a, false, Side::kLeft), make_operand(b, false, Side::kRight), {a.size(0)}, out,
               std::max<std::int64_t>(b.size(2), 1), 1.0, 0.0, "bmm");
  return out;
}

// torch.matmul: 1-D x 1-D is a dot product (0-d); a 1-D left operand is a row vector and a 1-D
// right operand a column, their unit dim dropped from the result; dims before the last two are
// batch dims and broadcast.
Tensor matmul(const Tensor& a, const Tensor& b) {
  check_operands(a, b, "matmul");
  EMBER_CHECK(a.dim() >= 1 && b.dim() >= 1, ShapeError,
              "matmul: shapes {} and {} include a 0-d tensor; expected both at least 1-D",
              shape_str(a.shape()), shape_str(b.shape()));
  check_inner(a, b, a.size(-1), b.dim() == 1 ? b.size(0) : b.size(-2), "matmul");
  Operand oa = make_operand(a, false, Side::kLeft);
  const Operand ob = make_operand(b, false, Side::kRight);
  const bool folded = ob.batch_shape.empty() && fold_batch_into_rows(oa);
  // The result's shape comes from the original operands, not the folded ones.
  const Shape batch_a(a.shape().begin(), a.shape().end() - std::min<std::int64_t>(a.dim(), 2));
  const Shape batch_b(b.shape().begin(), b.shape().end() - std::min<std::int64_t>(b.dim(), 2));
  const Shape batch = broadcast_shapes(batch_a, batch_b, "matmul");
  Shape out_shape = batch;
  if (a.dim() > 1) out_shape.push_back(a.size(-2));
  if (b.dim() > 1) out_shape.push_back(b.size(-1));
  Tensor out = empty(out_shape, a.dtype());
  batched_gemm(oa, ob, folded ? Shape{} : batch, out, std::max<std::int64_t>(ob.cols, 1),
               1.0, 0.0, "matmul");
  return out;
}

}  // namespace ember::kernels
