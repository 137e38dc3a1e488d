// Shared by the kernels over strided, broadcast views of up to MAX_RANK dims
// (elementwise.cu, copy.cu): prepended to their source before NVRTC compiles
// it. `kernels::cuda::launch::StridesArg` mirrors `struct Strides`.
//
// The host merges dimensions that are contiguous in every operand before a
// launch (`tensor::Layout::merge_dims`), so the common case (dense operands)
// reaches here as rank 1 and the index loop does no division at all. Operand
// offsets are applied to the pointers on the host; broadcast dims carry
// stride 0.

#define MAX_RANK 8

struct Strides {
    int rank;
    int pad;
    long long shape[MAX_RANK];
    long long s[3][MAX_RANK];
};

// Element offsets of linear index `i` (row-major over L.shape) in K operands.
// I is 32-bit when the element count allows: 64-bit division is slow on GPUs.
template <typename I, int K>
__device__ __forceinline__ void offsets(const Strides& L, I i, long long* off) {
#pragma unroll
    for (int k = 0; k < K; ++k) off[k] = 0;
    for (int d = L.rank - 1; d > 0; --d) {
        I sz = (I)L.shape[d];
        I q = i / sz;
        I r = i - q * sz;
#pragma unroll
        for (int k = 0; k < K; ++k) off[k] += (long long)r * L.s[k][d];
        i = q;
    }
#pragma unroll
    for (int k = 0; k < K; ++k) off[k] += (long long)i * L.s[k][0];
}

// Below 2^31 elements the loop index (plus one grid stride) fits in 32 bits.
#define SMALL(n) ((n) < 0x80000000ull)
