//! What ptxas makes of each kernel (registers per thread, spills, static
//! shared memory, barriers), read from NVRTC's log when a source is compiled
//! with `--ptxas-options=-v`, and the theoretical occupancy a launch shape
//! reaches with those resources on an SM of a given architecture (the CUDA
//! occupancy calculator's arithmetic). No GPU is needed: NVRTC is a library.

use super::compile::{compile_with, Source, Target};
use tensor::{Error, Result};

/// One kernel's resources as ptxas reports them for one architecture.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KernelResources {
    /// The source file.
    pub source: &'static str,
    /// The kernel (its `extern "C"` name).
    pub name: String,
    /// `sm_XY` as XY.
    pub arch: u32,
    /// Registers per thread.
    pub registers: u32,
    /// Named barriers used.
    pub barriers: u32,
    /// Static shared memory per block, bytes.
    pub static_smem: u32,
    /// Stack frame per thread, bytes.
    pub stack: u32,
    /// Bytes spilled to local memory (stores, loads).
    pub spill_stores: u32,
    /// Bytes reloaded from spills.
    pub spill_loads: u32,
}

/// The first number before `unit` in `line` (`"Used 40 registers"`, unit
/// `"registers"` → 40).
fn number_before(line: &str, unit: &str) -> Option<u32> {
    let i = line.find(unit)?;
    line[..i].split_whitespace().last()?.parse().ok()
}

/// Parse ptxas' verbose report (NVRTC's program log) for `source`.
pub fn parse_ptxas_log(source: &'static str, arch: u32, log: &str) -> Vec<KernelResources> {
    let mut out: Vec<KernelResources> = Vec::new();
    for line in log.lines() {
        if let Some(rest) = line.split("Compiling entry function '").nth(1) {
            let name = rest.split('\'').next().unwrap_or("").to_string();
            out.push(KernelResources {
                source,
                name,
                arch,
                registers: 0,
                barriers: 0,
                static_smem: 0,
                stack: 0,
                spill_stores: 0,
                spill_loads: 0,
            });
            continue;
        }
        let Some(k) = out.last_mut() else { continue };
        if line.contains("bytes stack frame") {
            k.stack = number_before(line, "bytes stack frame").unwrap_or(0);
            k.spill_stores = number_before(line, "bytes spill stores").unwrap_or(0);
            k.spill_loads = number_before(line, "bytes spill loads").unwrap_or(0);
        } else if line.contains("Used") && line.contains("registers") {
            k.registers = number_before(line, "registers").unwrap_or(0);
            k.barriers = number_before(line, "barriers").unwrap_or(0);
            k.static_smem = number_before(line, "bytes smem").unwrap_or(0);
        }
    }
    out
}

/// Compile `src` for `sm_{arch}` with ptxas' verbose report and read it.
pub fn ptxas_report(src: Source, arch: u32) -> Result<Vec<KernelResources>> {
    let (_, log) = compile_with(src, Target::Cubin(arch), &["--ptxas-options=-v"])?;
    let r = parse_ptxas_log(src.name, arch, &log);
    if r.is_empty() {
        return Err(Error::Cuda(format!(
            "{} for sm_{arch}: no kernel in ptxas' report:\n{log}",
            src.name
        )));
    }
    Ok(r)
}

/// An SM's limits, as NVIDIA's occupancy calculator takes them.
#[derive(Clone, Copy, Debug)]
pub struct SmLimits {
    /// 32-bit registers per SM.
    pub registers: u32,
    /// Register allocation unit per warp.
    pub register_unit: u32,
    /// Resident threads per SM.
    pub threads: u32,
    /// Resident blocks per SM.
    pub blocks: u32,
    /// Shared memory per SM, bytes.
    pub smem: u32,
    /// Shared memory the runtime keeps per block, bytes.
    pub smem_reserved: u32,
}

/// The limits of `sm_{arch}`: 90 (H100: 228 KB of shared memory per SM) and
/// 80 (A100: 164 KB); `None` for others.
pub fn sm_limits(arch: u32) -> Option<SmLimits> {
    let base = SmLimits {
        registers: 65_536,
        register_unit: 256,
        threads: 2048,
        blocks: 32,
        smem: 0,
        smem_reserved: 1024,
    };
    match arch {
        90 => Some(SmLimits {
            smem: 228 * 1024,
            ..base
        }),
        80 => Some(SmLimits {
            smem: 164 * 1024,
            ..base
        }),
        _ => None,
    }
}

/// The theoretical occupancy of a launch shape.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Occupancy {
    /// Resident blocks per SM (0: the launch cannot run).
    pub blocks: u32,
    /// Resident warps over the SM's maximum.
    pub fraction: f64,
    /// What bounds `blocks`: "threads", "registers", "shared memory" or
    /// "blocks".
    pub limiter: &'static str,
}

/// Blocks of `threads` threads and `dynamic_smem` bytes of dynamic shared
/// memory of kernel `k` that fit on one SM of `lim`, and the warps they keep.
pub fn occupancy(
    k: &KernelResources,
    threads: u32,
    dynamic_smem: u32,
    lim: &SmLimits,
) -> Occupancy {
    let max_warps = lim.threads / 32;
    let warps = threads.div_ceil(32).max(1);
    let by_threads = max_warps / warps;
    let regs_per_warp = (k.registers * 32).div_ceil(lim.register_unit) * lim.register_unit;
    let by_registers = lim
        .registers
        .checked_div(regs_per_warp)
        .map_or(u32::MAX, |w| w / warps);
    let smem = k.static_smem + dynamic_smem;
    let by_smem = if smem == 0 {
        u32::MAX
    } else {
        lim.smem / (smem + lim.smem_reserved)
    };
    let candidates = [
        (by_threads, "threads"),
        (by_registers, "registers"),
        (by_smem, "shared memory"),
        (lim.blocks, "blocks"),
    ];
    let (blocks, limiter) = candidates
        .into_iter()
        .min_by_key(|(b, _)| *b)
        .expect("four candidates");
    Occupancy {
        blocks,
        fraction: (blocks * warps) as f64 / max_warps as f64,
        limiter,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LOG: &str = "ptxas info    : 0 bytes gmem
ptxas info    : Compiling entry function 'sgemm_128x128' for 'sm_90'
ptxas info    : Function properties for sgemm_128x128
ptxas         .     0 bytes stack frame, 8 bytes spill stores, 12 bytes spill loads
ptxas info    : Used 180 registers, used 1 barriers, 8448 bytes smem
ptxas info    : Compiling entry function 'unary_f32' for 'sm_90'
ptxas info    : Function properties for unary_f32
ptxas         .     0 bytes stack frame, 0 bytes spill stores, 0 bytes spill loads
ptxas info    : Used 40 registers, used 0 barriers
";

    #[test]
    fn the_report_parses() {
        let r = parse_ptxas_log("x.cu", 90, LOG);
        assert_eq!(r.len(), 2);
        assert_eq!(
            (
                r[0].name.as_str(),
                r[0].registers,
                r[0].barriers,
                r[0].static_smem
            ),
            ("sgemm_128x128", 180, 1, 8448)
        );
        assert_eq!((r[0].spill_stores, r[0].spill_loads), (8, 12));
        assert_eq!(
            (r[1].registers, r[1].static_smem, r[1].spill_stores),
            (40, 0, 0)
        );
    }

    #[test]
    fn occupancy_as_the_calculator_computes_it() {
        let lim = sm_limits(90).unwrap();
        let r = parse_ptxas_log("x.cu", 90, LOG);
        // 180 registers × 32 = 5760 → 5888 per warp; 65536 / 5888 = 11 warps: 1 block of 8
        let o = occupancy(&r[0], 256, 0, &lim);
        assert_eq!((o.blocks, o.limiter), (1, "registers"));
        assert!((o.fraction - 8.0 / 64.0).abs() < 1e-12);
        // 40 registers × 32 = 1280 per warp: 51 warps → 6 blocks of 8 (48 warps)
        let o = occupancy(&r[1], 256, 0, &lim);
        assert_eq!((o.blocks, o.limiter), (6, "registers"));
        // 1024 threads of 40 registers need 40,960 registers: 1 block
        assert_eq!(occupancy(&r[1], 1024, 0, &lim).blocks, 1);
        // shared memory: 100 KB dynamic fits twice in 228 KB
        let o = occupancy(&r[1], 64, 100 * 1024, &lim);
        assert_eq!((o.blocks, o.limiter), (2, "shared memory"));
        // 255 registers at 1024 threads cannot fit
        let mut big = r[1].clone();
        big.registers = 255;
        assert_eq!(occupancy(&big, 1024, 0, &lim).blocks, 0);
    }
}
