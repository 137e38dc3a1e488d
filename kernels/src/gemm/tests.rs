//! Tests of the f32 GEMM kernel against a naive product, and an ignored
//! throughput probe beside matrixmultiply.

mod correct {
    use super::super::microkernel::Isa;
    use super::super::sgemm::*;

    fn naive(a: &[f32], b: &[f32], m: usize, k: usize, n: usize) -> Vec<f64> {
        let mut c = vec![0f64; m * n];
        for i in 0..m {
            for j in 0..n {
                c[i * n + j] = (0..k)
                    .map(|p| a[i * k + p] as f64 * b[p * n + j] as f64)
                    .sum();
            }
        }
        c
    }

    fn close(c: &[f32], want: &[f64], shift: f64, what: &str) {
        for (x, y) in c.iter().zip(want) {
            let d = (*x as f64 - shift - y).abs();
            assert!(d < 1e-3 * (1.0 + y.abs()), "{what}: {x} vs {y}");
        }
    }

    #[test]
    fn matches_naive_product_on_edge_shapes_and_strides() {
        for isa in [Isa::Avx2, Isa::Avx512] {
            if isa.supported() {
                edge_shapes_and_strides(isa);
            }
        }
    }

    fn edge_shapes_and_strides(isa: Isa) {
        for &(m, k, n) in &[
            (1, 1, 1),
            (7, 300, 17),
            (13, 5, 33),
            (125, 260, 1030),
            (6, 256, 16),
            (12, 193, 32),
            (25, 400, 65),
        ] {
            let what = format!("{isa:?} {m}x{k}x{n}");
            let a: Vec<f32> = (0..m * k)
                .map(|i| ((i * 7 % 13) as f32 - 6.0) / 8.0)
                .collect();
            let b: Vec<f32> = (0..k * n)
                .map(|i| ((i * 5 % 11) as f32 - 5.0) / 4.0)
                .collect();
            let want = naive(&a, &b, m, k, n);
            // B given transposed (column-contiguous), C accumulating onto 1s
            let bt: Vec<f32> = (0..n * k).map(|i| b[(i % k) * n + i / k]).collect();
            let mut c = vec![1f32; m * n];
            let lhs = Lhs::Strided(a.as_ptr(), (k, 1));
            unsafe {
                sgemm_on(
                    isa,
                    m,
                    k,
                    n,
                    lhs,
                    Rhs::Strided(bt.as_ptr(), (1, k)),
                    true,
                    c.as_mut_ptr(),
                    n,
                )
            };
            close(&c, &want, 1.0, &what);
            // A transposed, C overwritten (NaN must not leak through)
            let at: Vec<f32> = (0..k * m).map(|i| a[(i % m) * k + i / m]).collect();
            let mut c = vec![f32::NAN; m * n];
            let lhs = Lhs::Strided(at.as_ptr(), (1, m));
            unsafe {
                sgemm_on(
                    isa,
                    m,
                    k,
                    n,
                    lhs,
                    Rhs::Strided(b.as_ptr(), (n, 1)),
                    false,
                    c.as_mut_ptr(),
                    n,
                )
            };
            close(&c, &want, 0.0, &what);
            // A packed beforehand, from its transpose
            let packed = unsafe { PackedA::new_for(isa, m, k, at.as_ptr(), (1, m)) };
            let mut c = vec![f32::NAN; m * n];
            let lhs = Lhs::Packed(&packed);
            unsafe {
                sgemm_on(
                    isa,
                    m,
                    k,
                    n,
                    lhs,
                    Rhs::Strided(b.as_ptr(), (n, 1)),
                    false,
                    c.as_mut_ptr(),
                    n,
                )
            };
            close(&c, &want, 0.0, &what);
            // B gathered through offset tables: B[p][j] = b[rows[p] + cols[j]]
            let rows: Vec<usize> = (0..k).map(|p| p * n).collect();
            let cols: Vec<usize> = (0..n).collect();
            let mut c = vec![f32::NAN; m * n];
            let rhs = Rhs::Gather(b.as_ptr(), &rows, &cols);
            let lhs = Lhs::Strided(a.as_ptr(), (k, 1));
            unsafe { sgemm_on(isa, m, k, n, lhs, rhs, false, c.as_mut_ptr(), n) };
            close(&c, &want, 0.0, &what);
        }
    }
}

mod speed {
    use super::super::sgemm::*;

    fn thread_cpu_s() -> f64 {
        let s = std::fs::read_to_string("/proc/thread-self/stat").unwrap_or_default();
        let rest = s.rsplit_once(')').map(|r| r.1).unwrap_or("");
        let f: Vec<&str> = rest.split_whitespace().collect();
        let t = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
        (t(11) + t(12)) / 100.0
    }

    /// GFLOP/s per thread-CPU-second of this kernel and of matrixmultiply
    /// (`cargo test -p kernels --release sgemm_speed -- --ignored --nocapture`;
    /// set MATMUL_NUM_THREADS=1 for a like-for-like comparison).
    #[test]
    #[ignore]
    fn sgemm_speed() {
        for &(m, k, n, ta, tb) in &[
            (128, 1024, 256, false, false),
            (128, 256, 1024, false, true),
            (1024, 128, 256, true, false),
            (512, 4096, 16, false, false),
            (56, 448, 294, false, false),
        ] {
            let a = vec![0.5f32; m * k];
            let b = vec![0.25f32; k * n];
            let mut c = vec![0f32; m * n];
            let sa = if ta { (1, m) } else { (k, 1) };
            let sb = if tb { (1, k) } else { (n, 1) };
            let reps = (2e10 / (2.0 * (m * n * k) as f64)) as usize + 1;
            let run = |f: &mut dyn FnMut()| {
                let t0 = thread_cpu_s();
                for _ in 0..reps {
                    f();
                }
                2.0 * (m * n * k * reps) as f64 / (thread_cpu_s() - t0).max(1e-9) / 1e9
            };
            let (pa, pb, pc) = (a.as_ptr(), b.as_ptr(), c.as_mut_ptr());
            let ours = run(&mut || unsafe {
                sgemm(
                    m,
                    k,
                    n,
                    Lhs::Strided(pa, sa),
                    Rhs::Strided(pb, sb),
                    false,
                    pc,
                    n,
                )
            });
            let packed = unsafe { PackedA::new(m, k, pa, sa) };
            let prepacked = run(&mut || unsafe {
                sgemm(
                    m,
                    k,
                    n,
                    Lhs::Packed(&packed),
                    Rhs::Strided(pb, sb),
                    false,
                    pc,
                    n,
                )
            });
            let (rsa, csa) = (sa.0 as isize, sa.1 as isize);
            let (rsb, csb) = (sb.0 as isize, sb.1 as isize);
            let mm = run(&mut || unsafe {
                matrixmultiply::sgemm(
                    m, k, n, 1.0, pa, rsa, csa, pb, rsb, csb, 0.0, pc, n as isize, 1,
                )
            });
            println!(
                "{m}x{k}x{n} ta={ta} tb={tb}: ours {ours:.1} GF/s (A prepacked {prepacked:.1}), \
                 matrixmultiply {mm:.1} GF/s"
            );
        }
    }
}
