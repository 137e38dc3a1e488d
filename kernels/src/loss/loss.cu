// Losses with mean reduction, PyTorch's semantics, on dense buffers.
//
// Forward: each block sums its elements' losses into partial[block]; a second
// one-block launch adds the partials (in double) and divides by the count. No
// atomics, so the result does not depend on scheduling.
// Backward: the upstream gradient g is a one-element device buffer, read by
// the kernel itself, so a backward pass never waits for the host.
//
// The kinds' codes are defined by the host from `Kind` (loss/cuda.rs) at the
// marker line below: LOSS_BCE, LOSS_BCE_WITH_LOGITS, LOSS_MSE.

// @LOSS_KINDS@

#define FULL_MASK 0xffffffffu
#define NEG_INF __int_as_float(0xff800000)

__device__ __forceinline__ float warp_sum(float v) {
#pragma unroll
    for (int o = 16; o > 0; o >>= 1) v += __shfl_down_sync(FULL_MASK, v, o);
    return v;
}

__device__ __forceinline__ double warp_sum_d(double v) {
#pragma unroll
    for (int o = 16; o > 0; o >>= 1) v += __shfl_down_sync(FULL_MASK, v, o);
    return v;
}

__device__ __forceinline__ float warp_max(float v) {
#pragma unroll
    for (int o = 16; o > 0; o >>= 1) v = fmaxf(v, __shfl_xor_sync(FULL_MASK, v, o));
    return v;
}

__device__ __forceinline__ float sigmoidf(float x) {
    if (x >= 0.0f) return 1.0f / (1.0f + expf(-x));
    float e = expf(x);
    return e / (1.0f + e);
}

__device__ __forceinline__ float loss_elem(int kind, float x, float y) {
    switch (kind) {
        case LOSS_BCE: {  // -[y ln p + (1-y) ln(1-p)], each log clamped at -100
            float lp = fmaxf(logf(x), -100.0f), lq = fmaxf(logf(1.0f - x), -100.0f);
            return -(y * lp + (1.0f - y) * lq);
        }
        case LOSS_BCE_WITH_LOGITS:  // max(x, 0) - x y + ln(1 + e^-|x|): never overflows
            return fmaxf(x, 0.0f) - x * y + log1pf(expf(-fabsf(x)));
        case LOSS_MSE: {
            float d = x - y;
            return d * d;
        }
        default: return 0.0f;
    }
}

// partial[blockIdx.x] = sum of loss_elem over a grid-stride share of [0, n).
// The sum of loss_elem over this block's grid-stride share of [0, n), in
// float, as thread 0 sees it.
__device__ __forceinline__ float block_loss_sum(int kind, const float* __restrict__ x,
                                                const float* __restrict__ y,
                                                unsigned long long n) {
    __shared__ float warps[32];
    float s = 0.0f;
    unsigned long long step = (unsigned long long)gridDim.x * blockDim.x;
    for (unsigned long long i = (unsigned long long)blockIdx.x * blockDim.x + threadIdx.x; i < n;
         i += step)
        s += loss_elem(kind, x[i], y[i]);
    s = warp_sum(s);
    int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
    if (lane == 0) warps[warp] = s;
    __syncthreads();
    if (warp == 0) {
        s = lane < (int)((blockDim.x + 31) >> 5) ? warps[lane] : 0.0f;
        s = warp_sum(s);
    }
    return s;
}

extern "C" __global__ void loss_partial(int kind, const float* __restrict__ x,
                                        const float* __restrict__ y, float* __restrict__ partial,
                                        unsigned long long n) {
    float s = block_loss_sum(kind, x, y, n);
    if (threadIdx.x == 0) partial[blockIdx.x] = s;
}

// The whole mean in one launch when one block covers the input: the same
// float block sum as loss_partial's single block, divided in double as
// mean_finish divides it, so the value is the two-launch path's bit for bit.
extern "C" __global__ void loss_mean_block(int kind, const float* __restrict__ x,
                                           const float* __restrict__ y, float* __restrict__ out,
                                           unsigned long long n, double denom) {
    float s = block_loss_sum(kind, x, y, n);
    if (threadIdx.x == 0) out[0] = (float)((double)s / denom);
}

// out[0] = (sum of parts[0..count]) / denom, accumulated in double; one block.
extern "C" __global__ void mean_finish(const float* __restrict__ parts, unsigned long long count,
                                       float* __restrict__ out, double denom) {
    __shared__ double warps[32];
    double s = 0.0;
    for (unsigned long long i = threadIdx.x; i < count; i += blockDim.x) s += (double)parts[i];
    s = warp_sum_d(s);
    int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
    if (lane == 0) warps[warp] = s;
    __syncthreads();
    if (warp == 0) {
        s = lane < (int)((blockDim.x + 31) >> 5) ? warps[lane] : 0.0;
        s = warp_sum_d(s);
        if (lane == 0) out[0] = (float)(s / denom);
    }
}

// dx = g/N * dloss/dx. The scale is formed in double, as the CPU does.
extern "C" __global__ void loss_backward(int kind, const float* __restrict__ x,
                                         const float* __restrict__ y, const float* __restrict__ g,
                                         float* __restrict__ dx, unsigned long long n) {
    double sd = (double)g[0] / (double)n;
    if (kind == LOSS_MSE) sd *= 2.0;
    float s = (float)sd;
    unsigned long long step = (unsigned long long)gridDim.x * blockDim.x;
    for (unsigned long long i = (unsigned long long)blockIdx.x * blockDim.x + threadIdx.x; i < n;
         i += step) {
        float xv = x[i], yv = y[i], r;
        switch (kind) {
            case LOSS_BCE: r = s * (xv - yv) / fmaxf(xv * (1.0f - xv), 1e-12f); break;
            case LOSS_BCE_WITH_LOGITS: r = s * (sigmoidf(xv) - yv); break;
            default: r = s * (xv - yv); break;
        }
        dx[i] = r;
    }
}

// Cross-entropy over [n, c] logits and n labels (u32): one warp per row.
// rowloss[row] = logsumexp(x[row]) - x[row][label].
extern "C" __global__ void ce_forward(const float* __restrict__ x,
                                      const unsigned int* __restrict__ labels,
                                      float* __restrict__ rowloss, unsigned long long n,
                                      unsigned long long c) {
    unsigned long long warp = ((unsigned long long)blockIdx.x * blockDim.x + threadIdx.x) >> 5;
    unsigned long long nwarps = ((unsigned long long)gridDim.x * blockDim.x) >> 5;
    unsigned int lane = threadIdx.x & 31;
    for (unsigned long long row = warp; row < n; row += nwarps) {
        const float* p = x + row * c;
        float m = NEG_INF;
        for (unsigned long long j = lane; j < c; j += 32) m = fmaxf(m, p[j]);
        m = warp_max(m);
        float s = 0.0f;
        for (unsigned long long j = lane; j < c; j += 32) s += expf(p[j] - m);
        s = warp_sum(s);
        if (lane == 0) rowloss[row] = (logf(s) + m) - p[labels[row]];
    }
}

// dx[row] = g/n * (softmax(x[row]) - onehot(label)): one warp per row.
extern "C" __global__ void ce_backward(const float* __restrict__ x,
                                       const unsigned int* __restrict__ labels,
                                       const float* __restrict__ g, float* __restrict__ dx,
                                       unsigned long long n, unsigned long long c) {
    float sc = (float)((double)g[0] / (double)n);
    unsigned long long warp = ((unsigned long long)blockIdx.x * blockDim.x + threadIdx.x) >> 5;
    unsigned long long nwarps = ((unsigned long long)gridDim.x * blockDim.x) >> 5;
    unsigned int lane = threadIdx.x & 31;
    for (unsigned long long row = warp; row < n; row += nwarps) {
        const float* p = x + row * c;
        float m = NEG_INF;
        for (unsigned long long j = lane; j < c; j += 32) m = fmaxf(m, p[j]);
        m = warp_max(m);
        float s = 0.0f;
        for (unsigned long long j = lane; j < c; j += 32) s += expf(p[j] - m);
        s = __shfl_sync(FULL_MASK, warp_sum(s), 0);
        unsigned int lab = labels[row];
        for (unsigned long long j = lane; j < c; j += 32) {
            float q = expf(p[j] - m) / s;
            if (j == lab) q -= 1.0f;
            dx[row * c + j] = q * sc;
        }
    }
}
