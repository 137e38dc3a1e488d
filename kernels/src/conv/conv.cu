// Convolution helpers for the CUDA backend: im2col, col2im and the layout
// permutes around one big SGEMM (sgemm.cu). Everything is in conv2d's terms
// (see kernels/src/conv/pass.rs): u = images [n, c, h, w], W = filters
// [o, c·kh·kw], v = images [n, o, oh, ow]. A chunk of nb images is unfolded
// into one column matrix col [c·kh·kw, nb·oh·ow] (column j = b·oh·ow + pixel),
// so each of the three products is a single GEMM:
//
//   fwd:  rows [o, nb·ohw] = W · col          then rows → v (NCHW) + bias
//   dw:   dW += rows(v) · colᵀ               (rows = v permuted to [o, nb·ohw])
//   data: col = Wᵀ · rows(v)                  then col2im → u (+ bias)
//
// col2im is a gather (each u element sums the columns that read it), so no
// atomics and the result does not depend on scheduling.

struct ConvGeom {
    int n, c, h, w;
    int o, kh, kw, stride;
    int pad, oh, ow, pad2;
};

// col[r][j] for r = (ci, ky, kx), j = (b, oy, ox), images x = u + n0·c·h·w.
extern "C" __global__ void conv_im2col_f32(const float* __restrict__ x, float* __restrict__ col,
                                           ConvGeom g, int nb) {
    const long long ohw = (long long)g.oh * g.ow;
    const long long cols = (long long)nb * ohw;
    const long long total = (long long)g.c * g.kh * g.kw * cols;
    const int khw = g.kh * g.kw;
    for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < total;
         i += (long long)gridDim.x * blockDim.x) {
        const long long r = i / cols;
        const long long j = i - r * cols;
        const int b = (int)(j / ohw);
        const int p = (int)(j - (long long)b * ohw);
        const int oy = p / g.ow, ox = p - (p / g.ow) * g.ow;
        const int ci = (int)(r / khw);
        const int t = (int)(r - (long long)ci * khw);
        const int ky = t / g.kw, kx = t - (t / g.kw) * g.kw;
        const int iy = oy * g.stride - g.pad + ky;
        const int ix = ox * g.stride - g.pad + kx;
        float v = 0.0f;
        if (iy >= 0 && iy < g.h && ix >= 0 && ix < g.w)
            v = x[(((long long)b * g.c + ci) * g.h + iy) * g.w + ix];
        col[i] = v;
    }
}

// u[b][ci][iy][ix] = Σ col[(ci, ky, kx)][(b, oy, ox)] over the taps that read
// (iy, ix), plus bias[ci] when bias is not null. Overwrites u.
extern "C" __global__ void conv_col2im_f32(const float* __restrict__ col, float* __restrict__ u,
                                           const float* __restrict__ bias, ConvGeom g, int nb) {
    const long long ohw = (long long)g.oh * g.ow;
    const long long cols = (long long)nb * ohw;
    const long long total = (long long)nb * g.c * g.h * g.w;
    for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < total;
         i += (long long)gridDim.x * blockDim.x) {
        const int ix = (int)(i % g.w);
        const int iy = (int)((i / g.w) % g.h);
        const int ci = (int)((i / ((long long)g.w * g.h)) % g.c);
        const int b = (int)(i / ((long long)g.w * g.h * g.c));
        float acc = bias ? bias[ci] : 0.0f;
        for (int ky = 0; ky < g.kh; ++ky) {
            const int ty = iy + g.pad - ky;
            if (ty < 0 || ty % g.stride != 0) continue;
            const int oy = ty / g.stride;
            if (oy >= g.oh) continue;
            for (int kx = 0; kx < g.kw; ++kx) {
                const int tx = ix + g.pad - kx;
                if (tx < 0 || tx % g.stride != 0) continue;
                const int ox = tx / g.stride;
                if (ox >= g.ow) continue;
                const long long r = ((long long)ci * g.kh + ky) * g.kw + kx;
                acc += col[r * cols + (long long)b * ohw + (long long)oy * g.ow + ox];
            }
        }
        u[i] = acc;
    }
}

// [nb, ch, p] → [ch, nb·p]
extern "C" __global__ void conv_to_rows_f32(const float* __restrict__ src, float* __restrict__ dst,
                                            int nb, int ch, long long p) {
    const long long total = (long long)nb * ch * p;
    for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < total;
         i += (long long)gridDim.x * blockDim.x) {
        const long long q = i % p;
        const long long bc = i / p;
        const int k = (int)(bc % ch);
        const long long b = bc / ch;
        dst[((long long)k * nb + b) * p + q] = src[i];
    }
}

// [ch, nb·p] → [nb, ch, p], plus bias[ch] when bias is not null.
extern "C" __global__ void conv_from_rows_f32(const float* __restrict__ src, float* __restrict__ dst,
                                              const float* __restrict__ bias, int nb, int ch,
                                              long long p) {
    const long long total = (long long)nb * ch * p;
    for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < total;
         i += (long long)gridDim.x * blockDim.x) {
        const long long q = i % p;
        const long long bc = i / p;
        const int k = (int)(bc % ch);
        const long long b = bc / ch;
        const float v = src[((long long)k * nb + b) * p + q];
        dst[i] = bias ? v + bias[k] : v;
    }
}

