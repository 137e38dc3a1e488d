// Fused optimiser updates, one pass over a parameter and its state, in place,
// with torch.optim's single-tensor semantics.
//
// The arithmetic goes through the _rn intrinsics: they round each operation
// on its own and are never contracted into an FMA, so the update is the same
// sequence of f32 operations as the CPU loop (and as PyTorch's CPU path).

__device__ __forceinline__ float mul(float a, float b) { return __fmul_rn(a, b); }
__device__ __forceinline__ float add(float a, float b) { return __fadd_rn(a, b); }
__device__ __forceinline__ float sub(float a, float b) { return __fsub_rn(a, b); }

// torch's lerp: a + w (b - a) for |w| < 0.5, else b - (b - a)(1 - w).
__device__ __forceinline__ float lerp(float a, float b, float w) {
    return fabsf(w) < 0.5f ? add(a, mul(w, sub(b, a))) : sub(b, mul(sub(b, a), sub(1.0f, w)));
}

// Adam (no amsgrad). The host folds the bias corrections into
// step_size = lr / (1 - beta1^t) and bc2_sqrt = sqrt(1 - beta2^t), as torch does.
//   g = grad + wd p;  m = lerp(m, g, 1 - beta1);  v = beta2 v + (1 - beta2) g^2
//   p -= step_size * m / (sqrt(v) / bc2_sqrt + eps)
extern "C" __global__ void adam_f32(float* __restrict__ p, const float* __restrict__ grad,
                                    float* __restrict__ m, float* __restrict__ v,
                                    unsigned long long n, float w1, float b2, float one_m_b2,
                                    float eps, float wd, float step_size, float bc2_sqrt) {
    unsigned long long step = (unsigned long long)gridDim.x * blockDim.x;
    for (unsigned long long i = (unsigned long long)blockIdx.x * blockDim.x + threadIdx.x; i < n;
         i += step) {
        float x = p[i], g = grad[i];
        if (wd != 0.0f) g = add(g, mul(wd, x));
        float mi = lerp(m[i], g, w1);
        float vi = add(mul(v[i], b2), mul(mul(one_m_b2, g), g));
        float denom = add(__fdiv_rn(__fsqrt_rn(vi), bc2_sqrt), eps);
        m[i] = mi;
        v[i] = vi;
        p[i] = add(x, mul(-step_size, __fdiv_rn(mi, denom)));
    }
}

// SGD with momentum, dampening, weight decay and Nesterov, as torch.optim.SGD:
//   g = grad + wd p
//   buf = first ? g : momentum buf + (1 - dampening) g      (when momentum != 0)
//   g = nesterov ? g + momentum buf : buf
//   p -= lr g
// `buf` may be null when momentum is 0.
extern "C" __global__ void sgd_f32(float* __restrict__ p, const float* __restrict__ grad,
                                   float* __restrict__ buf, unsigned long long n, float lr,
                                   float momentum, float dampening, float wd, int nesterov,
                                   int first) {
    unsigned long long step = (unsigned long long)gridDim.x * blockDim.x;
    for (unsigned long long i = (unsigned long long)blockIdx.x * blockDim.x + threadIdx.x; i < n;
         i += step) {
        float x = p[i], g = grad[i];
        if (wd != 0.0f) g = add(g, mul(wd, x));
        if (momentum != 0.0f) {
            float b = first ? g : add(mul(momentum, buf[i]), mul(sub(1.0f, dampening), g));
            buf[i] = b;
            g = nesterov ? add(g, mul(momentum, b)) : b;
        }
        p[i] = add(x, mul(-lr, g));
    }
}
