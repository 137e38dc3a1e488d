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
__device__ __forceinline__ void adam_elem(float* p, const float* grad, float* m, float* v,
                                          unsigned long long i, float w1, float b2,
                                          float one_m_b2, float eps, float wd, float step_size,
                                          float bc2_sqrt) {
    float x = p[i], g = grad[i];
    if (wd != 0.0f) g = add(g, mul(wd, x));
    float mi = lerp(m[i], g, w1);
    float vi = add(mul(v[i], b2), mul(mul(one_m_b2, g), g));
    float denom = add(__fdiv_rn(__fsqrt_rn(vi), bc2_sqrt), eps);
    m[i] = mi;
    v[i] = vi;
    p[i] = add(x, mul(-step_size, __fdiv_rn(mi, denom)));
}

extern "C" __global__ void adam_f32(float* __restrict__ p, const float* __restrict__ grad,
                                    float* __restrict__ m, float* __restrict__ v,
                                    unsigned long long n, float w1, float b2, float one_m_b2,
                                    float eps, float wd, float step_size, float bc2_sqrt) {
    unsigned long long step = (unsigned long long)gridDim.x * blockDim.x;
    for (unsigned long long i = (unsigned long long)blockIdx.x * blockDim.x + threadIdx.x; i < n;
         i += step)
        adam_elem(p, grad, m, v, i, w1, b2, one_m_b2, eps, wd, step_size, bc2_sqrt);
}

// SGD with momentum, dampening, weight decay and Nesterov, as torch.optim.SGD:
//   g = grad + wd p
//   buf = first ? g : momentum buf + (1 - dampening) g      (when momentum != 0)
//   g = nesterov ? g + momentum buf : buf
//   p -= lr g
// `buf` may be null when momentum is 0.
__device__ __forceinline__ void sgd_elem(float* p, const float* grad, float* buf,
                                         unsigned long long i, float lr, float momentum,
                                         float dampening, float wd, int nesterov, int first) {
    float x = p[i], g = grad[i];
    if (wd != 0.0f) g = add(g, mul(wd, x));
    if (momentum != 0.0f) {
        float b = first ? g : add(mul(momentum, buf[i]), mul(sub(1.0f, dampening), g));
        buf[i] = b;
        g = nesterov ? add(g, mul(momentum, b)) : b;
    }
    p[i] = add(x, mul(-lr, g));
}

extern "C" __global__ void sgd_f32(float* __restrict__ p, const float* __restrict__ grad,
                                   float* __restrict__ buf, unsigned long long n, float lr,
                                   float momentum, float dampening, float wd, int nesterov,
                                   int first) {
    unsigned long long step = (unsigned long long)gridDim.x * blockDim.x;
    for (unsigned long long i = (unsigned long long)blockIdx.x * blockDim.x + threadIdx.x; i < n;
         i += step)
        sgd_elem(p, grad, buf, i, lr, momentum, dampening, wd, nesterov, first);
}

// Multi-tensor updates (PyTorch's multi_tensor_apply): one launch updates up
// to MT_MAX parameters. The tensors' pointers and sizes travel in the kernel's
// arguments (no upload); each block takes one chunk of MT_CHUNK elements of
// one tensor, found from the prefix sums of the tensors' chunk counts.
#define MT_MAX 24
#define MT_CHUNK 4096

struct TensorList {
    float* p[MT_MAX];
    const float* g[MT_MAX];
    float* a[MT_MAX];  // Adam's m, SGD's momentum buffer (may be null)
    float* b[MT_MAX];  // Adam's v
    unsigned long long n[MT_MAX];
    unsigned long long chunk_start[MT_MAX + 1];
    int first[MT_MAX];  // SGD: the buffer is new (set it to the gradient)
    int count;
};

// The tensor of this block and the range [begin, end) of its elements.
__device__ __forceinline__ int chunk_of(const TensorList& L, unsigned long long& begin,
                                        unsigned long long& end) {
    const unsigned long long blk = blockIdx.x;
    int t = 0;
    while (t + 1 < L.count && L.chunk_start[t + 1] <= blk) ++t;
    begin = (blk - L.chunk_start[t]) * MT_CHUNK;
    end = min(begin + MT_CHUNK, L.n[t]);
    return t;
}

extern "C" __global__ void adam_multi_f32(TensorList L, float w1, float b2, float one_m_b2,
                                          float eps, float wd, float step_size, float bc2_sqrt) {
    unsigned long long begin, end;
    const int t = chunk_of(L, begin, end);
    for (unsigned long long i = begin + threadIdx.x; i < end; i += blockDim.x)
        adam_elem(L.p[t], L.g[t], L.a[t], L.b[t], i, w1, b2, one_m_b2, eps, wd, step_size,
                  bc2_sqrt);
}

extern "C" __global__ void sgd_multi_f32(TensorList L, float lr, float momentum, float dampening,
                                         float wd, int nesterov) {
    unsigned long long begin, end;
    const int t = chunk_of(L, begin, end);
    for (unsigned long long i = begin + threadIdx.x; i < end; i += blockDim.x)
        sgd_elem(L.p[t], L.g[t], L.a[t], i, lr, momentum, dampening, wd, nesterov, L.first[t]);
}

// Weight averaging (an EMA of the parameters: torch._foreach_lerp_(avg, p,
// 1 - decay)): avg = lerp(avg, value, w), the averages in p, the values in g.
extern "C" __global__ void lerp_multi_f32(TensorList L, float w) {
    unsigned long long begin, end;
    const int t = chunk_of(L, begin, end);
    for (unsigned long long i = begin + threadIdx.x; i < end; i += blockDim.x)
        L.p[t][i] = lerp(L.p[t][i], L.g[t][i], w);
}
