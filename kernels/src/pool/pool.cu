// 2-D max pooling (no padding, floor mode) on dense [planes, h, w] buffers.
// The forward records for each output the index of its window's maximum
// within the input plane (the first one on ties; NaN propagates, as PyTorch).
// The backward is a gather: each input element sums the output gradients of
// the windows that picked it, so no atomics and no zero-fill are needed.
// maxpool_gather reads an input-shaped tensor at the recorded maxima (the
// backward's own gradient, for second-order derivatives).

struct PoolGeom {
    int h, w, oh, ow;
    int k, s, pad0, pad1;
};

extern "C" __global__ void maxpool_forward_f32(const float* __restrict__ x, float* __restrict__ y,
                                               unsigned int* __restrict__ idx, PoolGeom g,
                                               long long planes) {
    const long long ohw = (long long)g.oh * g.ow;
    const long long total = planes * ohw;
    for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < total;
         i += (long long)gridDim.x * blockDim.x) {
        const long long p = i / ohw;
        const int q = (int)(i - p * ohw);
        const int oy = q / g.ow, ox = q - (q / g.ow) * g.ow;
        const float* src = x + p * g.h * g.w;
        const int first = oy * g.s * g.w + ox * g.s;
        float best = src[first];
        int at = first;
        for (int ky = 0; ky < g.k; ++ky) {
            const int row = first + ky * g.w;
            for (int kx = 0; kx < g.k; ++kx) {
                const float v = src[row + kx];
                if (v > best || isnan(v)) {
                    best = v;
                    at = row + kx;
                }
            }
        }
        y[i] = best;
        idx[i] = (unsigned int)at;
    }
}

extern "C" __global__ void maxpool_backward_f32(const float* __restrict__ dy,
                                                const unsigned int* __restrict__ idx,
                                                float* __restrict__ dx, PoolGeom g,
                                                long long planes) {
    const long long hw = (long long)g.h * g.w;
    const long long ohw = (long long)g.oh * g.ow;
    const long long total = planes * hw;
    for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < total;
         i += (long long)gridDim.x * blockDim.x) {
        const long long p = i / hw;
        const int at = (int)(i - p * hw);
        const int iy = at / g.w, ix = at - (at / g.w) * g.w;
        // windows oy with oy·s ≤ iy < oy·s + k
        const int oy0 = iy < g.k ? 0 : (iy - g.k) / g.s + 1;
        const int oy1 = min(iy / g.s, g.oh - 1);
        const int ox0 = ix < g.k ? 0 : (ix - g.k) / g.s + 1;
        const int ox1 = min(ix / g.s, g.ow - 1);
        float acc = 0.0f;
        for (int oy = oy0; oy <= oy1; ++oy)
            for (int ox = ox0; ox <= ox1; ++ox) {
                const long long o = p * ohw + (long long)oy * g.ow + ox;
                if (idx[o] == (unsigned int)at) acc += dy[o];
            }
        dx[i] = acc;
    }
}

extern "C" __global__ void maxpool_gather_f32(const float* __restrict__ x,
                                              const unsigned int* __restrict__ idx,
                                              float* __restrict__ y, PoolGeom g,
                                              long long planes) {
    const long long hw = (long long)g.h * g.w;
    const long long ohw = (long long)g.oh * g.ow;
    const long long total = planes * ohw;
    for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < total;
         i += (long long)gridDim.x * blockDim.x) {
        const long long p = i / ohw;
        y[i] = x[p * hw + idx[i]];
    }
}
