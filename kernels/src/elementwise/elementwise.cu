// Elementwise unary and binary kernels over strided, broadcast views.
//
// The host prepends the strided-index prelude (cuda/strided.cuh) and replaces
// the two marker lines below with the `case` lines generated from the op
// tables in ops.rs (`UnaryOp::cuda_cases`, `BinaryOp::cuda_cases`): the op
// codes and expressions are written only there.

// Overflow-safe sigmoid: never evaluates exp of a large positive number.
__device__ __forceinline__ float sigmoidf(float x) {
    if (x >= 0.0f) return 1.0f / (1.0f + expf(-x));
    float e = expf(x);
    return e / (1.0f + e);
}

__device__ __forceinline__ float unary_op(int op, float x, float p0, float p1) {
    switch (op) {
// @UNARY_OPS@
        default: return 0.0f;
    }
}

// a = saved input/output or left operand, b = upstream gradient or right operand.
__device__ __forceinline__ float binary_op(int op, float a, float b, float p0, float p1) {
    switch (op) {
// @BINARY_OPS@
        default: return 0.0f;
    }
}

template <typename I>
__device__ __forceinline__ void unary_impl(const float* __restrict__ x, float* __restrict__ y, I n,
                                           int op, float p0, float p1, const Strides& L) {
    I step = (I)gridDim.x * blockDim.x;
    for (I i = (I)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += step) {
        long long o[1];
        offsets<I, 1>(L, i, o);
        y[i] = unary_op(op, x[o[0]], p0, p1);
    }
}

template <typename I>
__device__ __forceinline__ void binary_impl(const float* __restrict__ a, const float* __restrict__ b,
                                            float* __restrict__ y, I n, int op, float p0, float p1,
                                            const Strides& L) {
    I step = (I)gridDim.x * blockDim.x;
    for (I i = (I)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += step) {
        long long o[2];
        offsets<I, 2>(L, i, o);
        y[i] = binary_op(op, a[o[0]], b[o[1]], p0, p1);
    }
}

// y[i] = op(x at L.s[0]); y is dense.
extern "C" __global__ void unary_f32(const float* __restrict__ x, float* __restrict__ y,
                                     unsigned long long n, int op, float p0, float p1, Strides L) {
    if (SMALL(n)) unary_impl<unsigned int>(x, y, (unsigned int)n, op, p0, p1, L);
    else unary_impl<unsigned long long>(x, y, n, op, p0, p1, L);
}

// y[i] = op(a at L.s[0], b at L.s[1]); y is dense.
extern "C" __global__ void binary_f32(const float* __restrict__ a, const float* __restrict__ b,
                                      float* __restrict__ y, unsigned long long n, int op, float p0,
                                      float p1, Strides L) {
    if (SMALL(n)) binary_impl<unsigned int>(a, b, y, (unsigned int)n, op, p0, p1, L);
    else binary_impl<unsigned long long>(a, b, y, n, op, p0, p1, L);
}
