//! The timing rule of bench_torch.py: 3 warm-up calls, then repeat until 0.4 s
//! have passed and at least 5 runs were made (at most 200); report the median.
//! On a GPU a call only queues kernels, so, as bench_torch.py's `sync`, the
//! device is synchronised after the warm-up and at the end of each timed call.

use std::time::Instant;
use tensor::Device;

pub struct Timing {
    pub median_ms: f64,
}

/// Waits for all work queued on `device`; nothing to do on the CPU.
fn sync_fn(device: Device) -> tensor::Result<impl Fn() -> tensor::Result<()>> {
    let dev = match device {
        Device::Cpu => None,
        Device::Cuda(i) => Some(tensor::cuda::device(i)?),
    };
    Ok(move || dev.as_ref().map_or(Ok(()), |d| d.synchronize()))
}

pub fn time_it(
    mut f: impl FnMut() -> tensor::Result<()>,
    device: Device,
) -> tensor::Result<Timing> {
    const MIN_TIME: f64 = 0.4;
    const MAX_REPS: usize = 200;
    let sync = sync_fn(device)?;
    for _ in 0..3 {
        f()?;
    }
    sync()?;
    let mut times = Vec::new();
    let start = Instant::now();
    while times.len() < MAX_REPS && (start.elapsed().as_secs_f64() < MIN_TIME || times.len() < 5) {
        let t0 = Instant::now();
        f()?;
        sync()?;
        times.push(t0.elapsed().as_secs_f64());
    }
    times.sort_by(f64::total_cmp);
    let n = times.len();
    let median = if n % 2 == 1 {
        times[n / 2]
    } else {
        0.5 * (times[n / 2 - 1] + times[n / 2])
    };
    Ok(Timing {
        median_ms: median * 1e3,
    })
}
