// Batch normalisation over dense [n, c, s] buffers (s = product of the spatial
// dims, 1 for [N, C]), PyTorch's semantics:
//
// - bn_stats: one block per channel; each thread runs Welford over its share
//   of the channel's n·s values (in double), and the block merges the partial
//   (count, mean, M2) with Chan's formula. Writes stats[ch] = mean and
//   stats[c + ch] = 1/√(var_biased + eps), and, when asked, updates the
//   running statistics in place: r ← (1 − momentum)·r + momentum·batch, with
//   the unbiased variance.
// - bn_eval_stats: the same stats from the running statistics.
// - bn_apply: y = (x − mean)·inv_std·γ + β.
// - bn_grad_sums: one block per channel, Σdy and Σdy·x̂ (double), written to
//   sums[ch], sums[c + ch] and to dβ / dγ when those are asked for.
// - bn_backward_dx: dx = γ·inv_std·(dy − (Σdy + x̂·Σdy·x̂)/M) in training,
//   γ·inv_std·dy in eval.
//
// A null γ / β means 1 / 0. Per-channel parameters may be strided (one stride
// each), so the running statistics are updated in place whatever their view.

#define BN_THREADS 256

struct BnShape {
    long long n, c, s;
};

__device__ __forceinline__ void welford_merge(double& n, double& mean, double& m2, double nb,
                                              double meanb, double m2b) {
    if (nb == 0.0) return;
    if (n == 0.0) {
        n = nb;
        mean = meanb;
        m2 = m2b;
        return;
    }
    const double tot = n + nb;
    const double d = meanb - mean;
    mean += d * nb / tot;
    m2 += m2b + d * d * n * nb / tot;
    n = tot;
}

extern "C" __global__ void __launch_bounds__(BN_THREADS)
    bn_stats_f32(const float* __restrict__ x, float* __restrict__ stats, float* rmean,
                 long long rm_stride, float* rvar, long long rv_stride, BnShape d, float eps,
                 float momentum) {
    __shared__ double sn[BN_THREADS], smean[BN_THREADS], sm2[BN_THREADS];
    const long long ch = blockIdx.x;
    const long long m = d.n * d.s;
    double cnt = 0.0, mean = 0.0, m2 = 0.0;
    for (long long i = threadIdx.x; i < m; i += BN_THREADS) {
        const long long b = i / d.s, q = i - b * d.s;
        const double v = (double)x[(b * d.c + ch) * d.s + q];
        cnt += 1.0;
        const double delta = v - mean;
        mean += delta / cnt;
        m2 += delta * (v - mean);
    }
    sn[threadIdx.x] = cnt;
    smean[threadIdx.x] = mean;
    sm2[threadIdx.x] = m2;
    __syncthreads();
    for (int half = BN_THREADS / 2; half > 0; half >>= 1) {
        if (threadIdx.x < half) {
            double a = sn[threadIdx.x], am = smean[threadIdx.x], a2 = sm2[threadIdx.x];
            welford_merge(a, am, a2, sn[threadIdx.x + half], smean[threadIdx.x + half],
                          sm2[threadIdx.x + half]);
            sn[threadIdx.x] = a;
            smean[threadIdx.x] = am;
            sm2[threadIdx.x] = a2;
        }
        __syncthreads();
    }
    if (threadIdx.x == 0) {
        const double mu = smean[0], var = sm2[0] / (double)m;
        stats[ch] = (float)mu;
        stats[d.c + ch] = (float)(1.0 / sqrt(var + (double)eps));
        if (rmean) {
            float* r = rmean + ch * rm_stride;
            *r = (float)((1.0 - (double)momentum) * (double)*r + (double)momentum * mu);
        }
        if (rvar) {
            const double unbiased = sm2[0] / (double)(m - 1);
            float* r = rvar + ch * rv_stride;
            *r = (float)((1.0 - (double)momentum) * (double)*r + (double)momentum * unbiased);
        }
    }
}

extern "C" __global__ void bn_eval_stats_f32(const float* __restrict__ rmean, long long rm_stride,
                                             const float* __restrict__ rvar, long long rv_stride,
                                             float* __restrict__ stats, long long c, float eps) {
    for (long long ch = (long long)blockIdx.x * blockDim.x + threadIdx.x; ch < c;
         ch += (long long)gridDim.x * blockDim.x) {
        stats[ch] = rmean[ch * rm_stride];
        stats[c + ch] = (float)(1.0 / sqrt((double)rvar[ch * rv_stride] + (double)eps));
    }
}

extern "C" __global__ void bn_apply_f32(const float* __restrict__ x, float* __restrict__ y,
                                        const float* __restrict__ stats,
                                        const float* __restrict__ gamma, long long g_stride,
                                        const float* __restrict__ beta, long long b_stride,
                                        BnShape d) {
    const long long total = d.n * d.c * d.s;
    for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < total;
         i += (long long)gridDim.x * blockDim.x) {
        const long long ch = (i / d.s) % d.c;
        const float k = stats[d.c + ch] * (gamma ? gamma[ch * g_stride] : 1.0f);
        y[i] = (x[i] - stats[ch]) * k + (beta ? beta[ch * b_stride] : 0.0f);
    }
}

extern "C" __global__ void __launch_bounds__(BN_THREADS)
    bn_grad_sums_f32(const float* __restrict__ dy, const float* __restrict__ x,
                     const float* __restrict__ stats, float* __restrict__ sums,
                     float* __restrict__ dgamma, float* __restrict__ dbeta, BnShape d) {
    __shared__ double sg[BN_THREADS], sgx[BN_THREADS];
    const long long ch = blockIdx.x;
    const long long m = d.n * d.s;
    const double mu = (double)stats[ch], istd = (double)stats[d.c + ch];
    double a = 0.0, b = 0.0;
    for (long long i = threadIdx.x; i < m; i += BN_THREADS) {
        const long long bb = i / d.s, q = i - bb * d.s;
        const long long at = (bb * d.c + ch) * d.s + q;
        const double g = (double)dy[at];
        a += g;
        b += g * ((double)x[at] - mu) * istd;
    }
    sg[threadIdx.x] = a;
    sgx[threadIdx.x] = b;
    __syncthreads();
    for (int half = BN_THREADS / 2; half > 0; half >>= 1) {
        if (threadIdx.x < half) {
            sg[threadIdx.x] += sg[threadIdx.x + half];
            sgx[threadIdx.x] += sgx[threadIdx.x + half];
        }
        __syncthreads();
    }
    if (threadIdx.x == 0) {
        sums[ch] = (float)sg[0];
        sums[d.c + ch] = (float)sgx[0];
        if (dbeta) dbeta[ch] = (float)sg[0];
        if (dgamma) dgamma[ch] = (float)sgx[0];
    }
}

extern "C" __global__ void bn_backward_dx_f32(const float* __restrict__ dy,
                                              const float* __restrict__ x,
                                              const float* __restrict__ stats,
                                              const float* __restrict__ sums,
                                              const float* __restrict__ gamma, long long g_stride,
                                              float* __restrict__ dx, BnShape d, int training) {
    const long long total = d.n * d.c * d.s;
    const float inv_m = 1.0f / (float)(d.n * d.s);
    for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < total;
         i += (long long)gridDim.x * blockDim.x) {
        const long long ch = (i / d.s) % d.c;
        const float istd = stats[d.c + ch];
        const float k1 = istd * (gamma ? gamma[ch * g_stride] : 1.0f);
        float g = dy[i];
        if (training) {
            const float xhat = (x[i] - stats[ch]) * istd;
            g -= (sums[ch] + xhat * sums[d.c + ch]) * inv_m;
        }
        dx[i] = k1 * g;
    }
}

// Batch norm's double backward (see double.rs for the formulas). One block per
// channel sums, in double, Σg, Σg·x̂, Σu, Σu·x̂ and Σu·g (g = dy, u = the
// incoming gradient of dx) into sums[k·c + ch], and writes dγ when asked.
extern "C" __global__ void __launch_bounds__(BN_THREADS)
    bn_double_sums_f32(const float* __restrict__ dy, const float* __restrict__ u,
                       const float* __restrict__ x, const float* __restrict__ stats,
                       float* __restrict__ sums, float* __restrict__ dgamma, BnShape d,
                       int training) {
    __shared__ double sh[5][BN_THREADS];
    const long long ch = blockIdx.x;
    const long long m = d.n * d.s;
    const double mu = (double)stats[ch], istd = (double)stats[d.c + ch];
    double acc[5] = {0.0, 0.0, 0.0, 0.0, 0.0};
    for (long long i = threadIdx.x; i < m; i += BN_THREADS) {
        const long long bb = i / d.s, q = i - bb * d.s;
        const long long at = (bb * d.c + ch) * d.s + q;
        const double g = (double)dy[at], uu = (double)u[at];
        const double xhat = ((double)x[at] - mu) * istd;
        acc[0] += g;
        acc[1] += g * xhat;
        acc[2] += uu;
        acc[3] += uu * xhat;
        acc[4] += uu * g;
    }
    for (int k = 0; k < 5; ++k) sh[k][threadIdx.x] = acc[k];
    __syncthreads();
    for (int half = BN_THREADS / 2; half > 0; half >>= 1) {
        if (threadIdx.x < half) {
            for (int k = 0; k < 5; ++k) sh[k][threadIdx.x] += sh[k][threadIdx.x + half];
        }
        __syncthreads();
    }
    if (threadIdx.x == 0) {
        for (int k = 0; k < 5; ++k) sums[k * d.c + ch] = (float)sh[k][0];
        if (dgamma) {
            const double md = (double)m;
            const double gm = sh[0][0] / md, c = sh[1][0] / md, um = sh[2][0] / md;
            const double v = sh[3][0] / md, w = sh[4][0] / md;
            dgamma[ch] = (float)(training ? istd * md * (w - gm * um - c * v) : istd * sh[4][0]);
        }
    }
}

// dx = −γs²·(x̂·(w − ḡū − 3c·v) + v·(g − ḡ) + c·(u − ū)) in training.
extern "C" __global__ void bn_double_dx_f32(const float* __restrict__ dy,
                                            const float* __restrict__ u,
                                            const float* __restrict__ x,
                                            const float* __restrict__ stats,
                                            const float* __restrict__ sums,
                                            const float* __restrict__ gamma, long long g_stride,
                                            float* __restrict__ dx, BnShape d) {
    const long long total = d.n * d.c * d.s;
    const float inv_m = 1.0f / (float)(d.n * d.s);
    for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < total;
         i += (long long)gridDim.x * blockDim.x) {
        const long long ch = (i / d.s) % d.c;
        const float s = stats[d.c + ch];
        const float gm = sums[ch] * inv_m, c = sums[d.c + ch] * inv_m;
        const float um = sums[2 * d.c + ch] * inv_m, v = sums[3 * d.c + ch] * inv_m;
        const float w = sums[4 * d.c + ch] * inv_m;
        const float k = -(gamma ? gamma[ch * g_stride] : 1.0f) * s * s;
        const float xhat = (x[i] - stats[ch]) * s;
        dx[i] = k * (xhat * (w - gm * um - 3.0f * c * v) + v * (dy[i] - gm) + c * (u[i] - um));
    }
}
