use super::ranges::*;
use super::*;

/// Decode a rendered PNG to (width, height, RGB bytes).
fn decode(png: &[u8]) -> (u32, u32, Vec<u8>) {
    let img = image::load_from_memory(png).unwrap().to_rgb8();
    (img.width(), img.height(), img.into_raw())
}

/// How many pixels of `rgb` are exactly `c`.
fn count(rgb: &[u8], c: [u8; 3]) -> usize {
    rgb.chunks_exact(3).filter(|p| *p == c).count()
}

#[test]
fn ticks_are_nice() {
    assert_eq!(
        ticks(0.0, 10.0, 10),
        (0..=10).map(f64::from).collect::<Vec<_>>()
    );
    let t = ticks(0.0, 1.0, 5);
    let want = [0.0, 0.2, 0.4, 0.6, 0.8, 1.0];
    assert_eq!(t.len(), want.len());
    assert!(t.iter().zip(want).all(|(a, b)| (a - b).abs() < 1e-12));
    assert_eq!(label(t[3]), "0.6");
    assert_eq!(label(0.30000000000000004), "0.3");
}

#[test]
fn renders_empty_single_and_many_points() {
    assert!(render("t", "x", &[("a", vec![])], 300, 200).is_ok());
    assert!(render("t", "x", &[("a", vec![(0.5, 1.0)])], 300, 200).is_ok());
    let p: Vec<_> = (0..500)
        .map(|i| (i as f64 / 50.0, (i as f64).sin()))
        .collect();
    assert!(render("t", "x", &[("a", p.clone()), ("b", p)], 300, 200).is_ok());
}

#[test]
fn labels_stay_short_at_any_magnitude() {
    assert_eq!(label(0.0), "0");
    assert_eq!(label(-0.0), "0");
    assert_eq!(label(1500.0), "1500");
    assert_eq!(label(-2.5), "-2.5");
    assert_eq!(label(2.5e12), "2.5e12");
    assert_eq!(label(1e5), "1e5");
    assert_eq!(label(2e-5), "2e-5");
    assert_eq!(label(-1.25e-7), "-1.25e-7");
}

#[test]
fn bounds_start_at_zero_and_widen_degenerate_ranges() {
    let b = bounds(&[(1.0, 2.0), (3.0, 4.0)]);
    assert_eq!(b.x, (0.0, 3.0));
    assert_eq!(b.y.0, 0.0);
    assert!((b.y.1 - 4.2).abs() < 1e-12, "5 % headroom: {b:?}");
    // No point, or only unplottable ones: the unit square.
    let unit = Bounds {
        x: (0.0, 1.0),
        y: (0.0, 1.0),
    };
    assert_eq!(bounds(&[]), unit);
    assert_eq!(bounds(&[(f64::NAN, 1.0), (1.0, f64::INFINITY)]), unit);
    // A point at the origin, and constant negative values: spans of 1.
    assert_eq!(bounds(&[(0.0, 0.0)]), unit);
    let neg = bounds(&[(0.0, -5.0), (0.0, -5.0)]);
    assert_eq!(neg.x, (0.0, 1.0));
    assert_eq!(neg.y, (-5.0, -4.0));
    // A value beyond 1e300 is as unplottable as infinity.
    assert!(!plottable(&(0.0, 1e301)));
    assert_eq!(bounds(&[(1.0, 1e301), (1.0, 1.0)]).y.1, 1.05);
}

#[test]
fn ticks_stay_few_for_huge_or_far_windows() {
    let t = ticks(-1e300, 1e300, 8);
    assert!((2..=9).contains(&t.len()), "{t:?}");
    assert!(t.iter().all(|v| v.is_finite()));
    let far = ticks(1e12, 1e12 + 1e-3, 8);
    assert!((2..=9).contains(&far.len()), "{far:?}");
    // An empty window far from zero saturates the tick indices: its two ends.
    assert_eq!(ticks(1e12, 1e12, 8), vec![1e12, 1e12]);
}

#[test]
fn segments_break_at_unplottable_points() {
    let p = [
        (0.0, 1.0),
        (1.0, f64::NAN),
        (2.0, 2.0),
        (3.0, 3.0),
        (4.0, f64::INFINITY),
        (5.0, f64::NEG_INFINITY),
    ];
    assert_eq!(
        segments(&p),
        vec![vec![(0.0, 1.0)], vec![(2.0, 2.0), (3.0, 3.0)]]
    );
    assert!(segments(&[(0.0, f64::NAN)]).is_empty());
}

#[test]
fn legend_avoids_the_curves() {
    let b = Bounds {
        x: (0.0, 10.0),
        y: (0.0, 10.0),
    };
    let patch = (0.25, 0.2);
    // Nothing top right: the preferred corner.
    assert_eq!(
        legend_corner(&[(1.0, 1.0)], b, patch),
        (Corner::UpperRight, 0)
    );
    // A curve ending high on the right: the legend moves to the free upper left.
    let rising: Vec<_> = (0..=10).map(|i| (i as f64, i as f64 * 0.95)).collect();
    assert_eq!(legend_corner(&rising, b, patch), (Corner::UpperLeft, 0));
    // Curves along the top and the bottom: every corner is taken, so the
    // window grows upwards until a band of the legend's height is free.
    let both: Vec<_> = (0..=10)
        .flat_map(|i| [(i as f64, 9.0), (i as f64, 0.5)])
        .collect();
    assert!(legend_corner(&both, b, patch).1 > 0);
    let raised = room_above(&both, b, 0.25);
    assert_eq!(raised.x, b.x);
    assert!((raised.y.1 - 12.0).abs() < 1e-12, "{raised:?}");
    assert_eq!(legend_corner(&both, raised, patch), (Corner::UpperRight, 0));
}

#[test]
fn the_picture_has_its_size_curves_and_text() {
    let d: Vec<_> = (1..=20).map(|i| (i as f64 / 4.0, 0.7)).collect();
    let g: Vec<_> = (1..=20)
        .map(|i| (i as f64 / 4.0, 1.0 + i as f64 / 10.0))
        .collect();
    let png = render(
        "mlp on mnist",
        "epoch",
        &[("d_loss", d), ("g_loss", g)],
        900,
        500,
    )
    .unwrap();
    let (w, h, rgb) = decode(&png);
    assert_eq!((w, h), (900, 500));
    for c in COLORS {
        assert!(count(&rgb, c) > 100, "too few pixels of {c:?}");
    }
    // The title's glyphs: dark pixels in the top rows, from the embedded font.
    let title_rows = &rgb[..900 * 30 * 3];
    let dark = title_rows.chunks_exact(3).filter(|p| p[0] < 100).count();
    assert!(dark > 50, "no title text drawn ({dark} dark pixels)");
}

#[test]
fn edge_cases_render_without_panic() {
    let cases: Vec<(&str, Vec<(f64, f64)>)> = vec![
        ("one point", vec![(0.5, std::f64::consts::LN_2)]),
        (
            "constant",
            vec![
                (0.5, std::f64::consts::LN_2),
                (1.0, std::f64::consts::LN_2),
                (1.5, std::f64::consts::LN_2),
            ],
        ),
        ("zeros", vec![(0.0, 0.0), (0.0, 0.0)]),
        (
            "nan and inf",
            vec![
                (0.5, 0.7),
                (1.0, f64::NAN),
                (1.5, f64::INFINITY),
                (2.0, 0.3),
            ],
        ),
        ("all nan", vec![(f64::NAN, f64::NAN), (1.0, f64::NAN)]),
        (
            "huge range",
            vec![(0.0, 0.7), (1.0, 1e12), (2.0, -3e15), (3.0, f64::MAX)],
        ),
        ("extremes", vec![(-1e300, -1e300), (1e300, 1e300)]),
        ("tiny", vec![(0.5, 2e-5), (1.0, 1e-5)]),
        ("far x", vec![(1e9, 1.0), (1e9 + 1.0, 2.0)]),
    ];
    for (name, p) in cases {
        let q: Vec<_> = p.iter().map(|&(x, y)| (x, -y)).collect();
        let png = render(name, "epoch", &[("a", p), ("b", q)], 900, 500)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(decode(&png).0, 900, "{name}");
    }
}

#[test]
fn a_plot_too_small_to_draw_is_an_error() {
    let err = render("t", "x", &[("a", vec![(0.0, 1.0)])], 50, 20).unwrap_err();
    assert!(err.to_string().contains("50×20"), "{err}");
}

#[test]
fn save_loss_plot_writes_a_png_atomically() {
    let dir = std::env::temp_dir().join(format!("gan-plot-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("losses.png");
    let d = vec![(0.5, 0.8), (1.0, f64::NAN), (1.5, 0.4)];
    let g = vec![(0.5, 1.2), (1.0, 2.0), (1.5, 3.0)];
    save_loss_plot(&path, "mlp on mnist", d, g).unwrap();
    let (w, h, _) = decode(&std::fs::read(&path).unwrap());
    assert_eq!((w, h), (900, 500));
    assert!(!crate::io::tmp_path(&path).exists());
    let _ = std::fs::remove_dir_all(&dir);
}
