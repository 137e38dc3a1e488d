// Hand-written tiled SGEMM: C[b] = alpha * A[b] . B[b] (+ bias) (+ beta * C[b]).
//
// A is M x K with element (m, k) at A[m*rsa + k*csa], B is K x N at
// B[k*rsb + n*csb]: a transposed operand is passed by its strides, never
// copied. C is dense row-major with leading dimension ldc. Batches come from
// up to MAX_BATCH_RANK broadcast dims (stride 0 for a broadcast operand).
//
// Each block computes a BM x BN tile of C, looping over K in steps of BK: the
// A and B tiles are staged in shared memory, then each thread accumulates a
// TM x TN register block. A thread's rows (and columns) are split into two
// groups half a tile apart, so that a warp reads consecutive shared-memory
// words (no bank conflicts). Loads and stores are bounds-checked, so any M, N
// and K work (odd sizes, 1 x N, N x 1, K = 0).

#define MAX_BATCH_RANK 6

struct Batch {
    int rank;
    int pad;
    long long shape[MAX_BATCH_RANK];
    long long sa[MAX_BATCH_RANK];
    long long sb[MAX_BATCH_RANK];
};

struct Gemm {
    int m, n, k, pad;
    long long rsa, csa, rsb, csb, ldc;
    float alpha, beta;
};

template <int BM, int BN, int BK, int TM, int TN>
__device__ __forceinline__ void sgemm_tile(const float* __restrict__ A, const float* __restrict__ B,
                                           const float* __restrict__ bias, float* __restrict__ C,
                                           const Gemm& g, int m0, int n0) {
    constexpr int TY = BM / TM, TX = BN / TN, NT = TX * TY;
    constexpr int GM = TM / 2, GN = TN / 2;
    // +4 pads each shared row so that the transposing stores of A hit distinct banks.
    __shared__ float As[BK][BM + 4];
    __shared__ float Bs[BK][BN + 4];

    const int tid = threadIdx.x;
    const int ty = tid / TX, tx = tid % TX;
    // Read A along whichever dimension is contiguous in memory, for coalescing.
    const bool a_k_fast = g.csa == 1;
    const bool b_n_fast = g.csb == 1 || g.rsb != 1;

    float acc[TM][TN];
#pragma unroll
    for (int i = 0; i < TM; ++i)
#pragma unroll
        for (int j = 0; j < TN; ++j) acc[i][j] = 0.0f;

    for (int k0 = 0; k0 < g.k; k0 += BK) {
        for (int e = tid; e < BM * BK; e += NT) {
            int mm = a_k_fast ? e / BK : e % BM;
            int kk = a_k_fast ? e % BK : e / BM;
            int gm = m0 + mm, gk = k0 + kk;
            As[kk][mm] = (gm < g.m && gk < g.k) ? A[gm * g.rsa + gk * g.csa] : 0.0f;
        }
        for (int e = tid; e < BK * BN; e += NT) {
            int nn = b_n_fast ? e % BN : e / BK;
            int kk = b_n_fast ? e / BN : e % BK;
            int gn = n0 + nn, gk = k0 + kk;
            Bs[kk][nn] = (gn < g.n && gk < g.k) ? B[gk * g.rsb + gn * g.csb] : 0.0f;
        }
        __syncthreads();
#pragma unroll
        for (int kk = 0; kk < BK; ++kk) {
            float a[TM], b[TN];
#pragma unroll
            for (int i = 0; i < GM; ++i) {
                a[i] = As[kk][ty * GM + i];
                a[GM + i] = As[kk][BM / 2 + ty * GM + i];
            }
#pragma unroll
            for (int j = 0; j < GN; ++j) {
                b[j] = Bs[kk][tx * GN + j];
                b[GN + j] = Bs[kk][BN / 2 + tx * GN + j];
            }
#pragma unroll
            for (int i = 0; i < TM; ++i)
#pragma unroll
                for (int j = 0; j < TN; ++j) acc[i][j] += a[i] * b[j];
        }
        __syncthreads();
    }

#pragma unroll
    for (int i = 0; i < TM; ++i) {
        int gm = m0 + (i < GM ? ty * GM + i : BM / 2 + ty * GM + (i - GM));
        if (gm >= g.m) continue;
#pragma unroll
        for (int j = 0; j < TN; ++j) {
            int gn = n0 + (j < GN ? tx * GN + j : BN / 2 + tx * GN + (j - GN));
            if (gn >= g.n) continue;
            float* c = C + gm * g.ldc + gn;
            float v = g.alpha * acc[i][j];
            if (bias) v += bias[gn];
            // beta == 0 must not read C: a fresh output holds garbage (maybe NaN).
            if (g.beta != 0.0f) v += g.beta * *c;
            *c = v;
        }
    }
}

// Per-batch operand offsets from the batch index, over the broadcast batch dims.
__device__ __forceinline__ void batch_offsets(const Batch& bt, long long b, long long* oa,
                                              long long* ob) {
    *oa = 0;
    *ob = 0;
    for (int d = bt.rank - 1; d >= 0; --d) {
        long long i = b % bt.shape[d];
        b /= bt.shape[d];
        *oa += i * bt.sa[d];
        *ob += i * bt.sb[d];
    }
}

#define SGEMM_KERNEL(NAME, BM, BN, BK, TM, TN)                                                  \
    extern "C" __global__ void __launch_bounds__((BM / TM) * (BN / TN))                        \
        NAME(const float* __restrict__ A, const float* __restrict__ B,                          \
             const float* __restrict__ bias, float* __restrict__ C, Gemm g, Batch bt,           \
             long long batches) {                                                               \
        int m0 = blockIdx.y * BM, n0 = blockIdx.x * BN;                                         \
        for (long long b = blockIdx.z; b < batches; b += gridDim.z) {                           \
            long long oa, ob;                                                                   \
            batch_offsets(bt, b, &oa, &ob);                                                     \
            sgemm_tile<BM, BN, BK, TM, TN>(A + oa, B + ob, bias,                                \
                                           C + b * (long long)g.m * g.ldc, g, m0, n0);          \
        }                                                                                       \
    }

// 128 x 128 tiles, 8 x 8 per thread, 256 threads: large products.
SGEMM_KERNEL(sgemm_128x128, 128, 128, 8, 8, 8)
// 64 x 64 tiles, 4 x 4 per thread, 256 threads: small products, where big
// tiles would leave most of the GPU idle.
SGEMM_KERNEL(sgemm_64x64, 64, 64, 8, 4, 4)
