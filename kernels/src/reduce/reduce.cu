// Reductions over dense buffers: the host permutes and copies so that the
// reduced elements form either rows ([outer, r] -> [outer]) or the middle axis
// of [outer, r, inner] -> [outer, inner]. Warp shuffles do the in-warp sums.

#define FULL_MASK 0xffffffffu

__device__ __forceinline__ float warp_sum(float v) {
#pragma unroll
    for (int o = 16; o > 0; o >>= 1) v += __shfl_down_sync(FULL_MASK, v, o);
    return v;
}

// Sum of a whole block's values; the result is valid in thread 0.
__device__ __forceinline__ float block_sum(float v) {
    __shared__ float partial[32];
    int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
    v = warp_sum(v);
    if (lane == 0) partial[warp] = v;
    __syncthreads();
    int nwarps = (blockDim.x + 31) >> 5;
    v = (threadIdx.x < nwarps) ? partial[lane] : 0.0f;
    if (warp == 0) v = warp_sum(v);
    return v;
}

// [outer, r] -> [outer]: one warp per row, for many or short rows. Every lane
// of a warp shares its row, so the shuffles always see a full warp.
extern "C" __global__ void sum_rows_warp(const float* __restrict__ x, float* __restrict__ y,
                                         unsigned long long outer, unsigned long long r) {
    unsigned long long warp = ((unsigned long long)blockIdx.x * blockDim.x + threadIdx.x) >> 5;
    unsigned long long nwarps = ((unsigned long long)gridDim.x * blockDim.x) >> 5;
    unsigned int lane = threadIdx.x & 31;
    for (unsigned long long row = warp; row < outer; row += nwarps) {
        const float* p = x + row * r;
        float s = 0.0f;
        for (unsigned long long j = lane; j < r; j += 32) s += p[j];
        s = warp_sum(s);
        if (lane == 0) y[row] = s;
    }
}

// [outer, r] -> [outer, splits]: block (row, split) sums the split-th chunk of
// `chunk` elements of a row, for few long rows. With splits > 1 the host sums
// the partials with a second launch: no atomics, so results are reproducible.
extern "C" __global__ void sum_rows_block(const float* __restrict__ x, float* __restrict__ y,
                                          unsigned long long outer, unsigned long long r,
                                          unsigned long long chunk) {
    unsigned long long split = blockIdx.y, splits = gridDim.y;
    unsigned long long lo = split * chunk;
    unsigned long long hi = lo + chunk < r ? lo + chunk : r;
    for (unsigned long long row = blockIdx.x; row < outer; row += gridDim.x) {
        const float* p = x + row * r;
        float s = 0.0f;
        for (unsigned long long j = lo + threadIdx.x; j < hi; j += blockDim.x) s += p[j];
        s = block_sum(s);
        if (threadIdx.x == 0) y[row * splits + split] = s;
        __syncthreads();  // `partial` is reused by the next row
    }
}

// [outer, r, inner] -> [outer, inner] with a 32 x 8 block: x indexes `inner`
// (coalesced), y splits `r` eight ways; shared memory adds the eight partials.
extern "C" __global__ void sum_mid(const float* __restrict__ x, float* __restrict__ y,
                                   unsigned long long outer, unsigned long long r,
                                   unsigned long long inner) {
    __shared__ float part[8][33];
    unsigned long long j = (unsigned long long)blockIdx.x * 32 + threadIdx.x;
    for (unsigned long long o = blockIdx.y; o < outer; o += gridDim.y) {
        float s = 0.0f;
        if (j < inner) {
            const float* p = x + o * r * inner + j;
            for (unsigned long long k = threadIdx.y; k < r; k += 8) s += p[k * inner];
        }
        part[threadIdx.y][threadIdx.x] = s;
        __syncthreads();
        if (threadIdx.y == 0 && j < inner) {
            float t = 0.0f;
#pragma unroll
            for (int q = 0; q < 8; ++q) t += part[q][threadIdx.x];
            y[o * inner + j] = t;
        }
        __syncthreads();
    }
}

// Is candidate (v, i) preferred over (bv, bi)? The first NaN wins, else the
// larger value, ties to the smaller index: PyTorch's (and the CPU's) argmax.
// An index of ~0 marks "no element" and always loses.
__device__ __forceinline__ bool better(float v, unsigned int i, float bv, unsigned int bi) {
    if (i == 0xffffffffu) return false;
    if (bi == 0xffffffffu) return true;
    bool vn = isnan(v), bn = isnan(bv);
    if (vn || bn) return vn && (!bn || i < bi);
    return v > bv || (v == bv && i < bi);
}

// [rows, len] -> values [rows] and argmax indices [rows] (u32 bit patterns in a
// float buffer, so that one allocator serves both). One warp per row.
extern "C" __global__ void max_rows(const float* __restrict__ x, float* __restrict__ vals,
                                    unsigned int* __restrict__ idx, unsigned long long rows,
                                    unsigned int len) {
    unsigned long long warp = ((unsigned long long)blockIdx.x * blockDim.x + threadIdx.x) >> 5;
    unsigned long long nwarps = ((unsigned long long)gridDim.x * blockDim.x) >> 5;
    unsigned int lane = threadIdx.x & 31;
    for (unsigned long long row = warp; row < rows; row += nwarps) {
        const float* p = x + row * len;
        float bv = 0.0f;
        unsigned int bi = 0xffffffffu;
        for (unsigned int j = lane; j < len; j += 32) {
            float v = p[j];
            if (better(v, j, bv, bi)) { bv = v; bi = j; }
        }
#pragma unroll
        for (int o = 16; o > 0; o >>= 1) {
            float ov = __shfl_down_sync(FULL_MASK, bv, o);
            unsigned int oi = __shfl_down_sync(FULL_MASK, bi, o);
            if (better(ov, oi, bv, bi)) { bv = ov; bi = oi; }
        }
        if (lane == 0) { vals[row] = bv; idx[row] = bi; }
    }
}

// The backward of max_rows: out (zeroed, [rows, len]) gets g[row] at its argmax.
extern "C" __global__ void scatter_rows(const float* __restrict__ g,
                                        const unsigned int* __restrict__ idx,
                                        float* __restrict__ out, unsigned long long rows,
                                        unsigned int len) {
    unsigned long long step = (unsigned long long)gridDim.x * blockDim.x;
    for (unsigned long long r = (unsigned long long)blockIdx.x * blockDim.x + threadIdx.x; r < rows;
         r += step)
        out[r * len + idx[r]] = g[r];
}

// The means of up to MEANS_MAX dense tensors into out[0..count], one block
// each, accumulated in double (with σ applied to the elements first where
// `sigmoid` says): a training step's logged figures in one launch.
#define MEANS_MAX 8

struct MeanList {
    const float* x[MEANS_MAX];
    unsigned long long n[MEANS_MAX];
    int sigmoid[MEANS_MAX];
    int count;
};

extern "C" __global__ void mean_each(MeanList L, float* __restrict__ out) {
    __shared__ double warps[32];
    const int t = blockIdx.x;
    const float* x = L.x[t];
    double s = 0.0;
    for (unsigned long long i = threadIdx.x; i < L.n[t]; i += blockDim.x) {
        const float v = x[i];
        s += L.sigmoid[t] ? 1.0 / (1.0 + exp(-(double)v)) : (double)v;
    }
#pragma unroll
    for (int o = 16; o > 0; o >>= 1) s += __shfl_down_sync(FULL_MASK, s, o);
    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
    if (lane == 0) warps[warp] = s;
    __syncthreads();
    if (warp == 0) {
        s = lane < (int)((blockDim.x + 31) >> 5) ? warps[lane] : 0.0;
#pragma unroll
        for (int o = 16; o > 0; o >>= 1) s += __shfl_down_sync(FULL_MASK, s, o);
        if (lane == 0) out[t] = (float)(s / (double)(L.n[t] > 0 ? L.n[t] : 1));
    }
}
