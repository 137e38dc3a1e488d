// Strided copies: `contiguous` and writes into views (`copy_into`, `cat`).
// The strided-index prelude (cuda/strided.cuh) is prepended by the host.

template <typename I>
__device__ __forceinline__ void copy_impl(const float* __restrict__ src, float* __restrict__ dst, I n,
                                          const Strides& L) {
    I step = (I)gridDim.x * blockDim.x;
    for (I i = (I)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += step) {
        long long o[2];
        offsets<I, 2>(L, i, o);
        dst[o[1]] = src[o[0]];
    }
}

// dst (strides L.s[1]) = src (strides L.s[0]): `contiguous` and writes into views.
extern "C" __global__ void copy_f32(const float* __restrict__ src, float* __restrict__ dst,
                                    unsigned long long n, Strides L) {
    if (SMALL(n)) copy_impl<unsigned int>(src, dst, (unsigned int)n, L);
    else copy_impl<unsigned long long>(src, dst, n, L);
}
