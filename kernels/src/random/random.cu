// Counter-based random numbers: Philox4x32-10 (Salmon et al., SC'11), the
// generator of cuRAND and PyTorch's CUDA backend.
//
// Element i of a draw uses word i % 4 of philox(counter, key) with
// counter = (q lo, q hi, offset lo, offset hi), q = i / 4, and key = the seed.
// Every element is a pure function of (seed, offset, i): no state, any launch
// shape, and `kernels::random`'s CPU version produces the same bits.

#define PHILOX_M0 0xD2511F53u
#define PHILOX_M1 0xCD9E8D57u
#define PHILOX_W0 0x9E3779B9u
#define PHILOX_W1 0xBB67AE85u

__device__ __forceinline__ uint4 philox4x32_10(uint4 c, uint2 k) {
#pragma unroll
    for (int r = 0; r < 10; ++r) {
        if (r > 0) {
            k.x += PHILOX_W0;
            k.y += PHILOX_W1;
        }
        unsigned int hi0 = __umulhi(PHILOX_M0, c.x), lo0 = PHILOX_M0 * c.x;
        unsigned int hi1 = __umulhi(PHILOX_M1, c.z), lo1 = PHILOX_M1 * c.z;
        c = make_uint4(hi1 ^ c.y ^ k.x, lo1, hi0 ^ c.w ^ k.y, lo0);
    }
    return c;
}

__device__ __forceinline__ uint4 block_of(unsigned long long q, unsigned long long seed,
                                          unsigned long long offset) {
    uint4 c = make_uint4((unsigned int)q, (unsigned int)(q >> 32), (unsigned int)offset,
                         (unsigned int)(offset >> 32));
    uint2 k = make_uint2((unsigned int)seed, (unsigned int)(seed >> 32));
    return philox4x32_10(c, k);
}

// [0, 1) with 24 random bits: exact in f32, identical on the CPU.
__device__ __forceinline__ float unit(unsigned int x) { return (float)(x >> 8) * 5.9604645e-08f; }
// (0, 1]: safe for log.
__device__ __forceinline__ float unit_open0(unsigned int x) {
    return (float)((x >> 8) + 1u) * 5.9604645e-08f;
}

// Each thread fills groups of 4 elements from one Philox block; `f(w, v)`
// maps the block's words w to the 4 values v.
template <typename F>
__device__ __forceinline__ void for_each_group(float* __restrict__ y, unsigned long long n,
                                               unsigned long long seed, unsigned long long offset,
                                               F f) {
    unsigned long long groups = (n + 3) / 4;
    unsigned long long step = (unsigned long long)gridDim.x * blockDim.x;
    for (unsigned long long q = (unsigned long long)blockIdx.x * blockDim.x + threadIdx.x;
         q < groups; q += step) {
        float v[4];
        f(block_of(q, seed, offset), v);
        unsigned long long base = q * 4;
#pragma unroll
        for (int j = 0; j < 4; ++j)
            if (base + j < n) y[base + j] = v[j];
    }
}

// y = lo + (hi - lo) u, u uniform in [0, 1).
extern "C" __global__ void uniform_f32(float* __restrict__ y, unsigned long long n,
                                       unsigned long long seed, unsigned long long offset,
                                       float lo, float hi) {
    float span = hi - lo;
    for_each_group(y, n, seed, offset, [&](uint4 w, float* v) {
        v[0] = fmaf(span, unit(w.x), lo);
        v[1] = fmaf(span, unit(w.y), lo);
        v[2] = fmaf(span, unit(w.z), lo);
        v[3] = fmaf(span, unit(w.w), lo);
    });
}

// y = mean + std z, z standard normal by Box-Muller on word pairs (x, y), (z, w).
extern "C" __global__ void normal_f32(float* __restrict__ y, unsigned long long n,
                                      unsigned long long seed, unsigned long long offset,
                                      float mean, float std) {
    for_each_group(y, n, seed, offset, [&](uint4 w, float* v) {
        float r0 = sqrtf(-2.0f * logf(unit_open0(w.x)));
        float t0 = 6.2831855f * unit(w.y);
        float r1 = sqrtf(-2.0f * logf(unit_open0(w.z)));
        float t1 = 6.2831855f * unit(w.w);
        v[0] = fmaf(std, r0 * cosf(t0), mean);
        v[1] = fmaf(std, r0 * sinf(t0), mean);
        v[2] = fmaf(std, r1 * cosf(t1), mean);
        v[3] = fmaf(std, r1 * sinf(t1), mean);
    });
}

// Inverted-dropout mask: 0 with probability p, else `scale` = 1 / (1 - p).
__device__ __forceinline__ void dropout_values(uint4 w, float* v, float p, float scale) {
    v[0] = unit(w.x) < p ? 0.0f : scale;
    v[1] = unit(w.y) < p ? 0.0f : scale;
    v[2] = unit(w.z) < p ? 0.0f : scale;
    v[3] = unit(w.w) < p ? 0.0f : scale;
}

extern "C" __global__ void dropout_mask_f32(float* __restrict__ y, unsigned long long n,
                                            unsigned long long seed, unsigned long long offset,
                                            float p, float scale) {
    for_each_group(y, n, seed, offset, [&](uint4 w, float* v) { dropout_values(w, v, p, scale); });
}

// Dropout applied in the same launch: the mask of dropout_mask_f32 (the same
// words, so the same decisions) into `mask`, and y = x · mask.
extern "C" __global__ void dropout_f32(const float* __restrict__ x, float* __restrict__ y,
                                       float* __restrict__ mask, unsigned long long n,
                                       unsigned long long seed, unsigned long long offset,
                                       float p, float scale) {
    for_each_group(mask, n, seed, offset, [&](uint4 w, float* v) { dropout_values(w, v, p, scale); });
    // Each thread reads back only the mask values it wrote itself.
    unsigned long long groups = (n + 3) / 4;
    unsigned long long step = (unsigned long long)gridDim.x * blockDim.x;
    for (unsigned long long q = (unsigned long long)blockIdx.x * blockDim.x + threadIdx.x;
         q < groups; q += step) {
        unsigned long long base = q * 4;
#pragma unroll
        for (int j = 0; j < 4; ++j)
            if (base + j < n) y[base + j] = x[base + j] * mask[base + j];
    }
}

// Raw Philox words for (counter, key) pairs, for the known-answer test.
extern "C" __global__ void philox_words(const unsigned int* __restrict__ in,
                                        unsigned int* __restrict__ out, unsigned int count) {
    unsigned int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= count) return;
    const unsigned int* r = in + 6 * i;
    uint4 w = philox4x32_10(make_uint4(r[0], r[1], r[2], r[3]), make_uint2(r[4], r[5]));
    out[4 * i] = w.x;
    out[4 * i + 1] = w.y;
    out[4 * i + 2] = w.z;
    out[4 * i + 3] = w.w;
}
