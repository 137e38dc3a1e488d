//! Compiling a CUDA C program with the host C++ compiler into a shared object.
//!
//! Objects are cached by a hash of everything that goes into them (shim,
//! source, headers, options, compiler version), so each test binary after
//! the first loads its modules without compiling.

use crate::scan;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;

pub const SHIM: &str = include_str!("shim.h");

/// Flags of the module build. -ffp-contract=off: `__fadd_rn` and friends must
/// round each operation (and plain float code is not contracted either);
/// -fno-ipa-reference: shared-memory statics must be re-read after a barrier,
/// where other threads of the block have run.
const FLAGS: &[&str] = &[
    "-O2",
    "-fPIC",
    "-shared",
    "-fvisibility=hidden",
    "-fno-exceptions",
    "-fno-rtti",
    "-ffp-contract=off",
    "-fno-strict-aliasing",
    "-fno-ipa-reference",
    "-fno-math-errno",
    "-w",
];

/// The program as NVRTC received it.
pub struct Input<'a> {
    pub name: &'a str,
    pub source: &'a str,
    pub headers: &'a [(String, String)],
    /// `-std=...`, `-D...`, `-I...` translated from NVRTC's options.
    pub cxx_options: &'a [String],
}

/// `$CUDASIM_CXX`, else `c++`, else `g++`.
fn compiler() -> String {
    static C: OnceLock<String> = OnceLock::new();
    C.get_or_init(|| {
        if let Ok(c) = std::env::var("CUDASIM_CXX") {
            return c;
        }
        let runs = |c: &str| {
            Command::new(c)
                .arg("--version")
                .output()
                .is_ok_and(|o| o.status.success())
        };
        if runs("c++") { "c++" } else { "g++" }.to_string()
    })
    .clone()
}

fn compiler_version() -> &'static str {
    static V: OnceLock<String> = OnceLock::new();
    V.get_or_init(|| {
        Command::new(compiler())
            .arg("--version")
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
            .unwrap_or_default()
    })
}

/// Where compiled modules are kept: `$CUDASIM_CACHE`, else the user's cache.
pub fn cache_dir() -> PathBuf {
    if let Some(d) = std::env::var_os("CUDASIM_CACHE") {
        return PathBuf::from(d);
    }
    let base = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
        .unwrap_or_else(std::env::temp_dir);
    base.join("gan-rs").join("cudasim")
}

/// 128-bit FNV-1a over length-prefixed parts, as hex.
pub fn hash(parts: &[&[u8]]) -> String {
    let mut h: u128 = 0x6c62272e07bb014262b821756295c58d;
    let prime: u128 = 0x0000000001000000000000000000013B;
    for p in parts {
        for b in (p.len() as u64).to_le_bytes().iter().chain(p.iter()) {
            h ^= *b as u128;
            h = h.wrapping_mul(prime);
        }
    }
    format!("{h:032x}")
}

fn run(cmd: &mut Command, what: &str) -> Result<Vec<u8>, String> {
    let out = cmd.output().map_err(|e| {
        format!(
            "cudasim: cannot run the host C++ compiler `{}` ({e}); set CUDASIM_CXX",
            compiler()
        )
    })?;
    if out.status.success() {
        Ok(out.stdout)
    } else {
        Err(format!(
            "cudasim: {what} failed ({}):\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        ))
    }
}

/// A fresh scratch folder in the cache, removed when dropped.
struct Scratch(PathBuf);

impl Scratch {
    fn new(cache: &Path) -> Result<Self, String> {
        static N: AtomicU64 = AtomicU64::new(0);
        let d = cache.join(format!(
            "tmp-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&d)
            .map_err(|e| format!("cudasim: creating {}: {e}", d.display()))?;
        Ok(Scratch(d))
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn write(path: &Path, text: &str) -> Result<(), String> {
    std::fs::write(path, text).map_err(|e| format!("cudasim: writing {}: {e}", path.display()))
}

/// The shared object of `input` (from the cache, or compiled now) and its path.
pub fn build(input: &Input<'_>) -> Result<(Vec<u8>, PathBuf), String> {
    let cache = cache_dir();
    let mut parts: Vec<&[u8]> = vec![
        SHIM.as_bytes(),
        input.name.as_bytes(),
        input.source.as_bytes(),
        compiler_version().as_bytes(),
    ];
    for (n, s) in input.headers {
        parts.push(n.as_bytes());
        parts.push(s.as_bytes());
    }
    for o in input
        .cxx_options
        .iter()
        .map(String::as_str)
        .chain(FLAGS.iter().copied())
    {
        parts.push(o.as_bytes());
    }
    let key = hash(&parts);
    let target = cache.join(format!("{key}.so"));
    if let Ok(bytes) = std::fs::read(&target) {
        return Ok((bytes, target));
    }
    let scratch = Scratch::new(&cache)?;
    let dir = &scratch.0;
    write(&dir.join("cudasim_shim.h"), SHIM)?;
    for (n, s) in input.headers {
        write(&dir.join(n), s)?;
    }
    let unit = format!(
        "#include \"cudasim_shim.h\"\n#line 1 \"{}\"\n{}\n",
        input.name, input.source
    );
    write(&dir.join("scan.cpp"), &unit)?;
    let cxx = compiler();
    let pre = run(
        Command::new(&cxx)
            .args(["-E", "-D__CUDASIM_SCAN__", "-x", "c++"])
            .args(input.cxx_options)
            .arg("-I")
            .arg(dir)
            .arg(dir.join("scan.cpp")),
        "preprocessing",
    )?;
    let (kernels, _mangled) = scan::kernels(&String::from_utf8_lossy(&pre));
    let full = format!(
        "{unit}#line 1 \"<cudasim launch wrappers>\"\n{}",
        scan::wrappers(&kernels)
    );
    write(&dir.join("module.cpp"), &full)?;
    let out = dir.join("module.so");
    run(
        Command::new(&cxx)
            .args(["-x", "c++"])
            .args(input.cxx_options)
            .args(FLAGS)
            .arg("-I")
            .arg(dir)
            .arg(dir.join("module.cpp"))
            .arg("-o")
            .arg(&out)
            .arg("-lm"),
        "compiling",
    )?;
    // Rename into place: concurrent builders of the same key both succeed.
    std::fs::rename(&out, &target)
        .map_err(|e| format!("cudasim: caching {}: {e}", target.display()))?;
    let bytes = std::fs::read(&target)
        .map_err(|e| format!("cudasim: reading {}: {e}", target.display()))?;
    Ok((bytes, target))
}
