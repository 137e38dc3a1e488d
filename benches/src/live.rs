//! PyTorch timed case by case, right beside ours: one Python process imports
//! bench_torch.py and times each case when asked (its own `op_case` and
//! `timeit`, so the semantics are exactly the script's), and each of our cases
//! is timed just after PyTorch's. On a shared, noisy machine this keeps both
//! figures of a ratio within seconds of each other, where running the whole
//! script first would compare minutes apart.

use serde_json::Value;
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};

/// Reads case names on stdin, answers one JSON line per case.
const DRIVER: &str = r#"
import json, sys
sys.path.insert(0, sys.argv[1])
import torch
import bench_torch as bt
dev = torch.device(sys.argv[2])
if int(sys.argv[3]):
    torch.set_num_threads(int(sys.argv[3]))
cases = {c["name"]: c for c in json.load(open(sys.argv[4]))["cases"]}
print(json.dumps(dict(torch=torch.__version__, threads=torch.get_num_threads(),
                      capability=torch.backends.cpu.get_cpu_capability())), flush=True)
for line in sys.stdin:
    name = line.strip()
    ms, reps = bt.timeit(bt.op_case(cases[name], dev), dev)
    print(json.dumps(dict(name=name, ms=ms, reps=reps)), flush=True)
"#;

pub struct LiveTorch {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
    /// torch version, threads and CPU capability, as the driver reported them.
    pub meta: Value,
}

impl LiveTorch {
    pub fn start(
        python: &Path,
        reference: &Path,
        cases: &Path,
        device: &str,
        threads: usize,
    ) -> Result<LiveTorch, String> {
        eprintln!(
            "timing PyTorch case by case beside ours: {} with {}",
            python.display(),
            reference.join("bench_torch.py").display()
        );
        let mut child = Command::new(python)
            .arg("-c")
            .arg(DRIVER)
            .arg(reference)
            .arg(device)
            .arg(threads.to_string())
            .arg(cases)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .map_err(|e| format!("cannot run {}: {e}", python.display()))?;
        let stdin = child.stdin.take().ok_or("no stdin to PyTorch")?;
        let stdout = BufReader::new(child.stdout.take().ok_or("no stdout from PyTorch")?);
        let mut live = LiveTorch {
            child,
            stdin,
            stdout,
            meta: Value::Null,
        };
        live.meta = live.read_line()?;
        Ok(live)
    }

    fn read_line(&mut self) -> Result<Value, String> {
        let mut line = String::new();
        let n = self
            .stdout
            .read_line(&mut line)
            .map_err(|e| format!("reading from PyTorch: {e}"))?;
        if n == 0 {
            return Err("PyTorch exited early (see its error above)".into());
        }
        serde_json::from_str(&line).map_err(|e| format!("PyTorch said {line:?}: {e}"))
    }

    /// PyTorch's median ms for one case.
    pub fn time(&mut self, name: &str) -> Result<f64, String> {
        writeln!(self.stdin, "{name}").map_err(|e| format!("writing to PyTorch: {e}"))?;
        self.stdin
            .flush()
            .map_err(|e| format!("writing to PyTorch: {e}"))?;
        let v = self.read_line()?;
        v["ms"]
            .as_f64()
            .ok_or_else(|| format!("PyTorch gave no time for {name}: {v}"))
    }
}

impl Drop for LiveTorch {
    fn drop(&mut self) {
        // Closing stdin ends the driver's loop; then reap it.
        let _ = self.stdin.flush();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
