//! glibc malloc settings for a process that allocates and frees tensors of
//! megabytes every step.
//!
//! Why: by default glibc serves every allocation above 128 KB–32 MB (the
//! threshold adapts) with a fresh mmap and returns it with munmap on free, and
//! trims the heap top back to the OS as soon as 128 KB are free there. Each new
//! buffer then costs a page fault and a kernel page clear per 4 KB page, which
//! profiles of the memory-bound ops (batch norm on 128×64×32×32, activations
//! on 2²⁰ elements) showed as 30–40 % of their time, in the kernel. Serving
//! large blocks from the heap and keeping freed memory mapped lets the next
//! step reuse the same, already faulted pages; the heap only grows to the
//! working set's peak, so resident memory stays flat from step to step.

/// Apply the settings; call once at program start, before threads are spawned.
/// A no-op where the C library is not glibc.
pub fn tune_malloc() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        // mallopt parameter numbers, from glibc's <malloc.h>.
        const M_TRIM_THRESHOLD: libc::c_int = -1;
        const M_MMAP_MAX: libc::c_int = -4;
        // Free heap top kept before trimming: 256 MB.
        const KEEP: libc::c_int = 256 << 20;
        // SAFETY: mallopt only changes allocator parameters; it is called
        // before other threads allocate.
        unsafe {
            libc::mallopt(M_TRIM_THRESHOLD, KEEP);
            // No per-allocation mappings at all: raising M_MMAP_THRESHOLD
            // is capped at 32 MB, and the 33 MB activations of dcgan64
            // would still be mapped and faulted in anew on every use.
            libc::mallopt(M_MMAP_MAX, 0);
        }
    }
}
