//! The timing rule of bench_torch.py: 3 warm-up calls, then repeat until 0.4 s
//! have passed and at least 5 runs were made (at most 200); report the median.

use std::time::Instant;

pub struct Timing {
    pub median_ms: f64,
}

pub fn time_it(mut f: impl FnMut() -> tensor::Result<()>) -> tensor::Result<Timing> {
    const MIN_TIME: f64 = 0.4;
    const MAX_REPS: usize = 200;
    for _ in 0..3 {
        f()?;
    }
    let mut times = Vec::new();
    let start = Instant::now();
    while times.len() < MAX_REPS && (start.elapsed().as_secs_f64() < MIN_TIME || times.len() < 5) {
        let t0 = Instant::now();
        f()?;
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
