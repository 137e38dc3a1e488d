// The CUDA C dialect of our .cu sources, on the host compiler.
//
// A simulated module is one translation unit: this header, then the .cu
// source, then the launch wrappers that the NVRTC stand-in generates for each
// `extern "C" __global__` kernel. The driver stand-in runs every thread of a
// block as a fiber: it writes the running thread's indices into
// `__cudasim_state` before switching to it, and the thread calls back into the
// driver (`__cudasim_api`) at every barrier and warp shuffle, where it may be
// suspended while the other threads run.
//
// ABI between this header and tests/cudasim/driver/src/abi.rs: keep the two
// in step and bump CUDASIM_ABI when either changes.

#pragma once
#define CUDASIM_ABI 1

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <utility>

// ---- types -----------------------------------------------------------------

struct uint3 { unsigned int x, y, z; };
struct dim3 {
    unsigned int x, y, z;
    constexpr dim3(unsigned int a = 1, unsigned int b = 1, unsigned int c = 1) : x(a), y(b), z(c) {}
};
struct alignas(8) uint2 { unsigned int x, y; };
struct alignas(16) uint4 { unsigned int x, y, z, w; };
struct alignas(8) int2 { int x, y; };
struct alignas(16) int4 { int x, y, z, w; };
struct alignas(8) float2 { float x, y; };
struct alignas(16) float4 { float x, y, z, w; };
struct alignas(16) double2 { double x, y; };

static inline uint2 make_uint2(unsigned int x, unsigned int y) { return uint2{x, y}; }
static inline uint4 make_uint4(unsigned int x, unsigned int y, unsigned int z, unsigned int w) {
    return uint4{x, y, z, w};
}
static inline int2 make_int2(int x, int y) { return int2{x, y}; }
static inline int4 make_int4(int x, int y, int z, int w) { return int4{x, y, z, w}; }
static inline float2 make_float2(float x, float y) { return float2{x, y}; }
static inline float4 make_float4(float x, float y, float z, float w) { return float4{x, y, z, w}; }
static inline double2 make_double2(double x, double y) { return double2{x, y}; }

namespace __cudasim {

// Written by the driver before it resumes a thread (abi.rs: ThreadState).
struct State {
    uint3 threadIdx;
    uint3 blockIdx;
    dim3 blockDim;
    dim3 gridDim;
};

// Shuffle kinds (abi.rs: ShflKind).
enum { SHFL_IDX = 0, SHFL_UP = 1, SHFL_DOWN = 2, SHFL_XOR = 3 };

// Calls into the driver (abi.rs: Api).
struct Api {
    void (*syncthreads)(int line);
    unsigned long long (*shfl)(int kind, unsigned int mask, unsigned long long bits, int arg,
                               int width, int line);
    void (*syncwarp)(unsigned int mask, int line);
    void (*trap)(const char* what, int line);
};

// One kernel (abi.rs: Kernel).
struct Kernel {
    const char* name;
    void (*entry)(void** params);
    unsigned int num_params;
    const unsigned long* param_sizes;
    int max_threads;  // __launch_bounds__, or 0
};

// The module (abi.rs: Module); its symbol is `__cudasim_module`.
struct Module {
    unsigned int abi;
    unsigned int num_kernels;
    const Kernel* const* kernels;
    State* state;
    const Api** api;
};

}  // namespace __cudasim

__attribute__((visibility("hidden"))) __cudasim::State __cudasim_state;
__attribute__((visibility("hidden"))) const __cudasim::Api* __cudasim_api;

#define threadIdx (__cudasim_state.threadIdx)
#define blockIdx (__cudasim_state.blockIdx)
#define blockDim (__cudasim_state.blockDim)
#define gridDim (__cudasim_state.gridDim)
#define warpSize 32

// ---- qualifiers ------------------------------------------------------------

// The scan pass (-D__CUDASIM_SCAN__, preprocessing only) leaves markers
// where kernels and their launch bounds are, for the wrapper generator.
#ifdef __CUDASIM_SCAN__
#define __global__ __CUDASIM_GLOBAL__
#define __launch_bounds__(...) __CUDASIM_LB__(__VA_ARGS__)
#else
#define __global__
#define __launch_bounds__(...)
#endif
#define __device__
#define __host__
#define __forceinline__ inline
#define __noinline__ __attribute__((noinline))
// A block's threads share one instance; blocks run one after another, so one
// static per variable is exactly CUDA's per-block shared memory.
#define __shared__ static
#define __constant__ static

// ---- barriers and warp shuffles --------------------------------------------

// The memory clobbers keep the compiler from caching shared or global
// memory across a point where other threads run.
#define __CUDASIM_FENCE() asm volatile("" ::: "memory")

#define __syncthreads()                                                                  \
    do {                                                                                 \
        __CUDASIM_FENCE();                                                               \
        __cudasim_api->syncthreads(__LINE__);                                            \
        __CUDASIM_FENCE();                                                               \
    } while (0)
#define __syncwarp(...) __cudasim_syncwarp_impl(__LINE__ __VA_OPT__(, ) __VA_ARGS__)
#define __threadfence() __CUDASIM_FENCE()
#define __threadfence_block() __CUDASIM_FENCE()

static inline void __cudasim_syncwarp_impl(int line, unsigned int mask = 0xffffffffu) {
    __CUDASIM_FENCE();
    __cudasim_api->syncwarp(mask, line);
    __CUDASIM_FENCE();
}

template <typename T>
static inline T __cudasim_shfl(int kind, unsigned int mask, T v, int arg, int width, int line) {
    static_assert(sizeof(T) <= 8, "shuffles move at most 8 bytes");
    unsigned long long bits = 0;
    memcpy(&bits, &v, sizeof(T));
    __CUDASIM_FENCE();
    bits = __cudasim_api->shfl(kind, mask, bits, arg, width, line);
    __CUDASIM_FENCE();
    T out;
    memcpy(&out, &bits, sizeof(T));
    return out;
}

// The line number travels first, so that the optional width keeps its default.
#define __CUDASIM_SHFL(NAME, KIND)                                                       \
    template <typename T>                                                                \
    static inline T NAME(int line, unsigned int mask, T v, int arg, int width = 32) {    \
        return __cudasim_shfl(KIND, mask, v, arg, width, line);                          \
    }
__CUDASIM_SHFL(__cudasim_shfl_idx, __cudasim::SHFL_IDX)
__CUDASIM_SHFL(__cudasim_shfl_up, __cudasim::SHFL_UP)
__CUDASIM_SHFL(__cudasim_shfl_down, __cudasim::SHFL_DOWN)
__CUDASIM_SHFL(__cudasim_shfl_xor, __cudasim::SHFL_XOR)
#define __shfl_sync(...) __cudasim_shfl_idx(__LINE__, __VA_ARGS__)
#define __shfl_up_sync(...) __cudasim_shfl_up(__LINE__, __VA_ARGS__)
#define __shfl_down_sync(...) __cudasim_shfl_down(__LINE__, __VA_ARGS__)
#define __shfl_xor_sync(...) __cudasim_shfl_xor(__LINE__, __VA_ARGS__)

#define __trap() __cudasim_api->trap("__trap()", __LINE__)
#define assert(c) ((c) ? (void)0 : __cudasim_api->trap("assert(" #c ")", __LINE__))

// ---- atomics (the threads of a launch never run at the same time) ----------

template <typename T> static inline T atomicAdd(T* p, T v) { T o = *p; *p = o + v; return o; }
template <typename T> static inline T atomicSub(T* p, T v) { T o = *p; *p = o - v; return o; }
template <typename T> static inline T atomicExch(T* p, T v) { T o = *p; *p = v; return o; }
template <typename T> static inline T atomicMax(T* p, T v) { T o = *p; *p = o > v ? o : v; return o; }
template <typename T> static inline T atomicMin(T* p, T v) { T o = *p; *p = o < v ? o : v; return o; }
template <typename T> static inline T atomicCAS(T* p, T cmp, T v) {
    T o = *p;
    *p = o == cmp ? v : o;
    return o;
}

// ---- math and intrinsics ----------------------------------------------------

static inline unsigned int __umulhi(unsigned int a, unsigned int b) {
    return (unsigned int)(((unsigned long long)a * b) >> 32);
}
static inline unsigned long long __umul64hi(unsigned long long a, unsigned long long b) {
    return (unsigned long long)(((unsigned __int128)a * b) >> 64);
}
static inline int __mulhi(int a, int b) { return (int)(((long long)a * b) >> 32); }
static inline float __int_as_float(int x) { float f; memcpy(&f, &x, 4); return f; }
static inline float __uint_as_float(unsigned int x) { float f; memcpy(&f, &x, 4); return f; }
static inline int __float_as_int(float f) { int x; memcpy(&x, &f, 4); return x; }
static inline unsigned int __float_as_uint(float f) { unsigned int x; memcpy(&x, &f, 4); return x; }
static inline double __longlong_as_double(long long x) { double d; memcpy(&d, &x, 8); return d; }
static inline long long __double_as_longlong(double d) { long long x; memcpy(&x, &d, 8); return x; }
static inline int __popc(unsigned int x) { return __builtin_popcount(x); }
static inline int __popcll(unsigned long long x) { return __builtin_popcountll(x); }
static inline int __clz(int x) { return x == 0 ? 32 : __builtin_clz((unsigned int)x); }
static inline int __ffs(int x) { return __builtin_ffs(x); }
static inline unsigned int __brev(unsigned int x) {
    x = ((x >> 1) & 0x55555555u) | ((x & 0x55555555u) << 1);
    x = ((x >> 2) & 0x33333333u) | ((x & 0x33333333u) << 2);
    x = ((x >> 4) & 0x0f0f0f0fu) | ((x & 0x0f0f0f0fu) << 4);
    return __builtin_bswap32(x);
}
template <typename T> static inline T __ldg(const T* p) { return *p; }

// Correctly rounded single operations: the module is compiled with
// -ffp-contract=off, so none of these is fused with its neighbours.
static inline float __fadd_rn(float a, float b) { return a + b; }
static inline float __fsub_rn(float a, float b) { return a - b; }
static inline float __fmul_rn(float a, float b) { return a * b; }
static inline float __fdiv_rn(float a, float b) { return a / b; }
static inline float __fsqrt_rn(float a) { return sqrtf(a); }
static inline float __frcp_rn(float a) { return 1.0f / a; }
static inline float __fmaf_rn(float a, float b, float c) { return fmaf(a, b, c); }
static inline double __dadd_rn(double a, double b) { return a + b; }
static inline double __dmul_rn(double a, double b) { return a * b; }
static inline double __fma_rn(double a, double b, double c) { return fma(a, b, c); }
// The fast approximations, computed exactly here (the GPU's are less
// precise). Macros: glibc declares functions of these names itself.
#define __expf(x) expf(x)
#define __logf(x) logf(x)
#define __sinf(x) sinf(x)
#define __cosf(x) cosf(x)
#define __powf(x, y) powf(x, y)
static inline float __fdividef(float a, float b) { return a / b; }
static inline float __saturatef(float x) { return x < 0.0f ? 0.0f : (x > 1.0f ? 1.0f : x); }
static inline float rsqrtf(float x) { return 1.0f / sqrtf(x); }
static inline double rsqrt(double x) { return 1.0 / sqrt(x); }

// CUDA's overloaded min/max for the arithmetic types.
#define __CUDASIM_MINMAX(T)                                  \
    static inline T min(T a, T b) { return a < b ? a : b; } \
    static inline T max(T a, T b) { return a > b ? a : b; }
__CUDASIM_MINMAX(int)
__CUDASIM_MINMAX(unsigned int)
__CUDASIM_MINMAX(long long)
__CUDASIM_MINMAX(unsigned long long)
static inline float min(float a, float b) { return fminf(a, b); }
static inline float max(float a, float b) { return fmaxf(a, b); }
static inline double min(double a, double b) { return fmin(a, b); }
static inline double max(double a, double b) { return fmax(a, b); }

static inline long long clock64() { return (long long)__builtin_ia32_rdtsc(); }
static inline int clock() { return (int)__builtin_ia32_rdtsc(); }

// ---- launch wrappers (used by the generated code after the source) ---------

namespace __cudasim {

template <typename T> struct Bare { typedef T type; };
template <typename T> struct Bare<const T> { typedef T type; };

template <typename... A, size_t... I>
static inline void call(void (*k)(A...), void** p, std::index_sequence<I...>) {
    k(*static_cast<typename Bare<A>::type*>(p[I])...);
}

template <typename... A> struct Sig {
    static constexpr unsigned long sizes[sizeof...(A) + 1] = {sizeof(A)..., 0};
};

template <typename... A>
constexpr Kernel describe(const char* name, void (*)(A...), void (*entry)(void**), int max_threads) {
    return Kernel{name, entry, (unsigned int)sizeof...(A), Sig<A...>::sizes, max_threads};
}

template <typename... A> static inline void invoke(void (*k)(A...), void** p) {
    call(k, p, std::index_sequence_for<A...>{});
}

constexpr int first(int a, int = 0, int = 0) { return a; }

}  // namespace __cudasim
