//! Each check of the simulator, shown to catch a bug planted in a small
//! kernel or host program. Run with `CUDASIM_DISABLE=<check>` and the test
//! planted for that check fails (tried once for each; see the README).
//!
//! The simulated machine here: cuda:0 forward order, cuda:1 reverse order,
//! cuda:2 a seeded shuffle, with 132, 8 and 4 SMs.

use cudarc::driver::sys::CUresult;
use cudarc::driver::{
    CudaContext, CudaFunction, CudaStream, DriverError, LaunchConfig, PushKernelArg,
};
use cudarc::nvrtc::{compile_ptx_with_opts, CompileOptions};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};

/// Error texts are per status code: the tests take turns so that each reads its own.
fn serial() -> MutexGuard<'static, ()> {
    static M: Mutex<()> = Mutex::new(());
    M.lock().unwrap_or_else(|e| e.into_inner())
}

fn simulator() {
    static ONCE: OnceLock<()> = OnceLock::new();
    ONCE.get_or_init(|| {
        let dir = tensor::cuda::simulator::find(None).expect("simulator libraries");
        tensor::cuda::simulator::load(
            &dir,
            Some("devices=3 sms=132,8,4 order=forward,reverse,shuffle:7"),
        )
        .expect("load the simulator");
    });
}

fn ctx(ordinal: usize) -> Arc<CudaContext> {
    simulator();
    CudaContext::new(ordinal).expect("simulated context")
}

fn kernel(ctx: &Arc<CudaContext>, src: &str, name: &str) -> CudaFunction {
    let opts = CompileOptions {
        arch: Some("sm_90"),
        ..Default::default()
    };
    let ptx = compile_ptx_with_opts(src, opts).expect("compiles");
    ctx.load_module(ptx)
        .expect("loads")
        .load_function(name)
        .expect("has the kernel")
}

fn cfg(blocks: u32, threads: u32) -> LaunchConfig {
    LaunchConfig {
        grid_dim: (blocks, 1, 1),
        block_dim: (threads, 1, 1),
        shared_mem_bytes: 0,
    }
}

fn code(e: &DriverError) -> CUresult {
    e.0
}

const COPY: &str = r#"
extern "C" __global__ void copy(const float* x, float* y, int n) {
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i < n) y[i] = x[i];
}
extern "C" __global__ void write_one_past(float* y, int n) {
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i <= n) y[i] = 1.0f;  // planted: <= instead of <
}
"#;

#[test]
fn uninitialised_device_memory_reads_as_nan() {
    let _s = serial();
    let c = ctx(0);
    let st = c.default_stream();
    let f = kernel(&c, COPY, "copy");
    // SAFETY: deliberately uninitialised: the planted bug reads it.
    let x = unsafe { st.alloc::<f32>(64) }.unwrap();
    let mut y = st.alloc_zeros::<f32>(64).unwrap();
    let n = 64i32;
    let mut b = st.launch_builder(&f);
    b.arg(&x).arg(&mut y).arg(&n);
    unsafe { b.launch(cfg(1, 64)) }.unwrap();
    let out = st.clone_dtoh(&y).unwrap();
    assert!(
        out.iter().all(|v| v.is_nan()),
        "fresh memory must read as NaN: {:?}",
        &out[..4]
    );
}

#[test]
fn a_write_past_the_end_is_an_illegal_address_naming_kernel_and_offset() {
    let _s = serial();
    let c = ctx(0);
    let st = c.default_stream();
    let f = kernel(&c, COPY, "write_one_past");
    let mut y = st.alloc_zeros::<f32>(100).unwrap();
    let n = 100i32;
    let mut b = st.launch_builder(&f);
    b.arg(&mut y).arg(&n);
    unsafe { b.launch(cfg(1, 128)) }.unwrap();
    let e = st
        .synchronize()
        .expect_err("the write past the end must fault");
    assert_eq!(code(&e), CUresult::CUDA_ERROR_ILLEGAL_ADDRESS);
    let msg = format!("{e:?}");
    assert!(
        msg.contains("write_one_past")
            && msg.contains("0 bytes past the end of a 400-byte device allocation"),
        "{msg}"
    );
    assert!(
        msg.contains("thread (100,0,0)") && msg.contains("illegal write"),
        "{msg}"
    );
    // The context goes on working after the failure.
    let out = st.clone_dtoh(&y).unwrap();
    assert_eq!(out.len(), 100);
}

#[test]
fn a_read_of_freed_memory_is_an_illegal_address() {
    let _s = serial();
    let c = ctx(0);
    let st = c.default_stream();
    let f = kernel(&c, COPY, "copy");
    let x = st.clone_htod(&[1.0f32; 32]).unwrap();
    let stale = {
        use cudarc::driver::DevicePtr;
        let (p, _g) = x.device_ptr(&st);
        p
    };
    drop(x);
    st.synchronize().unwrap();
    let mut y = st.alloc_zeros::<f32>(32).unwrap();
    let n = 32i32;
    let mut b = st.launch_builder(&f);
    b.arg(&stale).arg(&mut y).arg(&n);
    unsafe { b.launch(cfg(1, 32)) }.unwrap();
    let e = st
        .synchronize()
        .expect_err("reading freed memory must fault");
    assert_eq!(code(&e), CUresult::CUDA_ERROR_ILLEGAL_ADDRESS);
    assert!(
        format!("{e:?}").contains("freed 128-byte device allocation"),
        "{e:?}"
    );
}

const NEIGHBOUR: &str = r#"
// Each thread stores its index, then reads its left neighbour's.
extern "C" __global__ void neighbour(float* y, int with_barrier) {
    __shared__ float s[256];
    int t = threadIdx.x;
    s[t] = (float)(t + 1000 * blockIdx.x);
    if (with_barrier) __syncthreads();
    y[blockIdx.x * blockDim.x + t] = t > 0 ? s[t - 1] : -1.0f;
}
"#;

fn neighbour(ordinal: usize, with_barrier: i32) -> Vec<f32> {
    let c = ctx(ordinal);
    let st = c.default_stream();
    let f = kernel(&c, NEIGHBOUR, "neighbour");
    let mut y = st.alloc_zeros::<f32>(512).unwrap();
    let mut b = st.launch_builder(&f);
    b.arg(&mut y).arg(&with_barrier);
    unsafe { b.launch(cfg(2, 256)) }.unwrap();
    st.clone_dtoh(&y).unwrap()
}

fn neighbour_expected() -> Vec<f32> {
    (0..512)
        .map(|i| {
            if i % 256 == 0 {
                -1.0
            } else {
                (i % 256 - 1 + 1000 * (i / 256)) as f32
            }
        })
        .collect()
}

#[test]
fn a_missing_barrier_shows_in_reverse_and_shuffled_order() {
    let _s = serial();
    let want = neighbour_expected();
    // With the barrier every order gives the right answer.
    for d in 0..3 {
        assert_eq!(neighbour(d, 1), want, "cuda:{d} with the barrier");
    }
    // Without it, forward order is lucky (each thread runs after its left
    // neighbour); reverse and shuffled order read stale shared memory.
    assert_eq!(neighbour(0, 0), want, "forward order hides the bug");
    assert_ne!(
        neighbour(1, 0),
        want,
        "reverse order must expose the missing barrier"
    );
    assert_ne!(
        neighbour(2, 0),
        want,
        "shuffled order must expose the missing barrier"
    );
}

const DIVERGENT: &str = r#"
extern "C" __global__ void half_barrier(float* y) {
    if (threadIdx.x < 16) __syncthreads();   // planted: not every thread gets here
    y[threadIdx.x] = 1.0f;
}
extern "C" __global__ void early_exit(float* y) {
    if (threadIdx.x >= 48) return;           // planted: these never reach the barrier
    __syncthreads();
    y[threadIdx.x] = 1.0f;
}
extern "C" __global__ void half_shuffle(float* y) {
    float v = threadIdx.x;
    if ((threadIdx.x & 31) < 16) v = __shfl_down_sync(0xffffffffu, v, 1);  // planted
    y[threadIdx.x] = v;
}
"#;

fn divergent(name: &str) -> DriverError {
    let c = ctx(0);
    let st = c.default_stream();
    let f = kernel(&c, DIVERGENT, name);
    let mut y = st.alloc_zeros::<f32>(64).unwrap();
    let mut b = st.launch_builder(&f);
    b.arg(&mut y);
    unsafe { b.launch(cfg(1, 64)) }.unwrap();
    st.synchronize()
        .expect_err("a divergent barrier must fail, not hang")
}

#[test]
fn divergent_barriers_and_shuffles_fail_naming_the_kernel() {
    let _s = serial();
    for (name, words) in [
        ("half_barrier", "__syncthreads"),
        ("early_exit", "exited"),
        ("half_shuffle", "shuffle"),
    ] {
        let e = divergent(name);
        assert_eq!(code(&e), CUresult::CUDA_ERROR_LAUNCH_FAILED, "{name}");
        let msg = format!("{e:?}");
        assert!(msg.contains(name) && msg.contains(words), "{name}: {msg}");
    }
}

const ADD_ONE: &str = r#"
extern "C" __global__ void add_one(const float* x, float* y, int n) {
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i < n) y[i] = x[i] + 1.0f;
}
"#;

/// Upload through a pinned buffer on a copy stream, compute on another.
fn two_streams(wait: bool, overwrite_staging: bool) -> Vec<f32> {
    let c = ctx(0);
    unsafe { c.disable_event_tracking() };
    let (compute, copy) = (c.new_stream().unwrap(), c.new_stream().unwrap());
    let f = kernel(&c, ADD_ONE, "add_one");
    let mut staging = unsafe { c.alloc_pinned::<f32>(256) }.unwrap();
    staging.as_mut_slice().unwrap().fill(1.0);
    let mut x = unsafe { copy.alloc::<f32>(256) }.unwrap();
    let mut y = compute.alloc_zeros::<f32>(256).unwrap();
    copy.memcpy_htod(&staging, &mut x).unwrap();
    if overwrite_staging {
        // planted: the staging buffer is refilled before the copy has run
        staging.as_mut_slice().unwrap().fill(7.0);
    }
    let copied = c.new_event(None).unwrap();
    copied.record(&copy).unwrap();
    if wait {
        compute.wait(&copied).unwrap();
    }
    let n = 256i32;
    let mut b = compute.launch_builder(&f);
    b.arg(&x).arg(&mut y).arg(&n);
    unsafe { b.launch(cfg(1, 256)) }.unwrap();
    let out = compute.clone_dtoh(&y).unwrap();
    copy.synchronize().unwrap();
    out
}

#[test]
fn missing_stream_waits_and_early_staging_overwrites_give_wrong_data() {
    let _s = serial();
    assert!(
        two_streams(true, false).iter().all(|&v| v == 2.0),
        "correct program"
    );
    // Without the wait the kernel runs before the copy: it reads NaN.
    assert!(
        two_streams(false, false).iter().all(|v| v.is_nan()),
        "missing wait must show"
    );
    // Pinned memory is read when the copy runs, not when it is queued.
    assert!(
        two_streams(true, true).iter().all(|&v| v == 8.0),
        "early overwrite must show"
    );
}

const BOUNDED: &str = r#"
extern "C" __global__ void __launch_bounds__(128) bounded(float* y) { y[threadIdx.x] = 0.0f; }
"#;

#[test]
fn launches_are_checked_as_the_hardware_does() {
    let _s = serial();
    let c = ctx(0);
    let st = c.default_stream();
    let f = kernel(&c, BOUNDED, "bounded");
    let mut y = st.alloc_zeros::<f32>(2048).unwrap();
    let mut launch = |cfg: LaunchConfig| {
        let mut b = st.launch_builder(&f);
        b.arg(&mut y);
        unsafe { b.launch(cfg) }.map(|_| ()).map_err(|e| code(&e))
    };
    assert_eq!(launch(cfg(1, 128)), Ok(()));
    assert_eq!(
        launch(cfg(1, 256)),
        Err(CUresult::CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES)
    );
    assert_eq!(
        launch(cfg(1, 1025)),
        Err(CUresult::CUDA_ERROR_INVALID_VALUE)
    );
    assert_eq!(launch(cfg(0, 32)), Err(CUresult::CUDA_ERROR_INVALID_VALUE));
    let big_y = LaunchConfig {
        grid_dim: (1, 70_000, 1),
        block_dim: (32, 1, 1),
        shared_mem_bytes: 0,
    };
    assert_eq!(launch(big_y), Err(CUresult::CUDA_ERROR_INVALID_VALUE));
    st.synchronize().unwrap();
}

#[test]
fn compile_errors_come_back_with_the_compilers_log() {
    let _s = serial();
    simulator();
    let opts = || CompileOptions {
        arch: Some("sm_90"),
        ..Default::default()
    };
    let e = compile_ptx_with_opts(
        "extern \"C\" __global__ void k() { undeclared = 1; }",
        opts(),
    )
    .expect_err("must not compile");
    let msg = format!("{e:?}");
    assert!(msg.contains("undeclared"), "{msg}");
    // Host C++ that NVRTC rejects: caught when the real NVRTC is on the path.
    let host_only = "#include <vector>\nextern \"C\" __global__ void k(float* y) { std::vector<int> v; y[0] = v.size(); }";
    // SAFETY: only probes whether the library loads.
    let real = std::env::var("CUDASIM_REAL_NVRTC").as_deref() != Ok("0")
        && unsafe { !libc::dlopen(c"libnvrtc.so.13".as_ptr(), libc::RTLD_LAZY).is_null() };
    match compile_ptx_with_opts(host_only, opts()) {
        Err(e) => assert!(format!("{e:?}").contains("real NVRTC"), "{e:?}"),
        Ok(_) if !real => {
            println!("no real NVRTC on the library path: the NVRTC-only check was not exercised")
        }
        Ok(_) => panic!("the real NVRTC is on the path but the NVRTC-only error was not reported"),
    }
}

#[test]
fn the_configured_machine_is_what_the_driver_reports() {
    let _s = serial();
    use cudarc::driver::sys::CUdevice_attribute::CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT as SMS;
    let sms: Vec<i32> = (0..3).map(|d| ctx(d).attribute(SMS).unwrap()).collect();
    assert_eq!(sms, [132, 8, 4]);
    assert_eq!(ctx(1).compute_capability().unwrap(), (9, 0));
    assert_eq!(CudaContext::device_count().unwrap(), 3);
    assert!(ctx(1).name().unwrap().contains("reverse order"));
    // cudarc's probe opens and closes the library; it must survive that.
    assert!(unsafe { cudarc::driver::sys::is_culib_present() });
    assert!(unsafe { cudarc::driver::sys::is_culib_present() });
    let _keep: Arc<CudaStream> = ctx(0).default_stream();
}
