//! Unit tests of the elementwise entries and of the generated op tables.

use super::*;

fn t(v: &[f32], s: &[usize]) -> Tensor {
    Tensor::from_slice(v, s).unwrap()
}

#[test]
fn broadcast_add_matches_manual() {
    let a = t(&[1., 2., 3., 4., 5., 6.], &[2, 3]);
    let b = t(&[10., 20., 30.], &[3]);
    let c = t(&[100., 200.], &[2, 1]);
    assert_eq!(
        binary(&a, &b, BinaryOp::Add).unwrap().to_vec_f32().unwrap(),
        vec![11., 22., 33., 14., 25., 36.]
    );
    assert_eq!(
        binary(&a, &c, BinaryOp::Mul).unwrap().to_vec_f32().unwrap(),
        vec![100., 200., 300., 800., 1000., 1200.]
    );
    let e = binary(&a, &t(&[1., 2.], &[2]), BinaryOp::Add).unwrap_err();
    assert!(
        e.to_string().contains("[2, 3]") && e.to_string().contains("[2]"),
        "{e}"
    );
}

#[test]
fn transposed_and_large_inputs() {
    let n = 300;
    let v: Vec<f32> = (0..n * n).map(|i| i as f32).collect();
    let a = t(&v, &[n, n]);
    let at = a.t().unwrap();
    let s = binary(&a, &at, BinaryOp::Add)
        .unwrap()
        .to_vec_f32()
        .unwrap();
    for i in [0, 1, 7 * n + 3, n * n - 1] {
        let (r, c) = (i / n, i % n);
        assert_eq!(s[i], v[r * n + c] + v[c * n + r]);
    }
    let r = unary(&at, UnaryOp::Neg).unwrap().to_vec_f32().unwrap();
    assert_eq!(r[1], -(n as f32));
}

#[test]
fn sigmoid_is_stable_at_extremes() {
    let y = unary(&t(&[-1000., 0., 1000.], &[3]), UnaryOp::Sigmoid)
        .unwrap()
        .to_vec_f32()
        .unwrap();
    assert_eq!(y, vec![0.0, 0.5, 1.0]);
}

/// Every op of both tables has its own code, the codes are the table
/// positions 0..n, and each reaches its own `case` in the CUDA source that
/// NVRTC compiles (the marker lines replaced, none left over).
#[test]
fn every_op_has_its_own_code_and_cuda_case() {
    let code = cuda::source().code;
    assert!(!code.contains("@UNARY_OPS@") && !code.contains("@BINARY_OPS@"));
    let unary: Vec<(i32, &str, &str)> = UnaryOp::variants()
        .into_iter()
        .map(|op| (op.code(), op.name(), op.cuda_expr()))
        .collect();
    let binary: Vec<(i32, &str, &str)> = BinaryOp::variants()
        .into_iter()
        .map(|op| (op.code(), op.name(), op.cuda_expr()))
        .collect();
    for (table, switch) in [(&unary, "unary_op(int op"), (&binary, "binary_op(int op")] {
        let codes: Vec<i32> = table.iter().map(|r| r.0).collect();
        assert_eq!(codes, (0..table.len() as i32).collect::<Vec<_>>());
        let start = code
            .find(switch)
            .expect("the switch function is in the source");
        let body = &code[start..start + code[start..].find("default:").unwrap()];
        for (c, name, expr) in table {
            let line = format!("case {c}: return {expr}; // {name}\n");
            assert_eq!(body.matches(&line).count(), 1, "{name}: {line}");
        }
        assert_eq!(body.matches("case ").count(), table.len());
    }
    assert_eq!(unary.len(), 16);
    assert_eq!(binary.len(), 13);
}

/// The parameters each op hands the kernels, rounded as the CPU rounds them.
#[test]
fn op_parameters_come_from_the_table_rows() {
    assert_eq!(UnaryOp::Clamp(-1.5, 2.0).params(), [-1.5, 2.0]);
    assert_eq!(UnaryOp::LeakyRelu(0.2).params(), [0.2, 0.0]);
    assert_eq!(UnaryOp::Neg.params(), [0.0, 0.0]);
    assert_eq!(BinaryOp::PowBackward(3.0).params(), [3.0, 2.0]);
    assert_eq!(BinaryOp::Add.name(), "Add");
}
