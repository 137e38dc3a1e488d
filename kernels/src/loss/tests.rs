//! Unit tests of the loss kind table.

use super::cuda::{source, Kind};

/// Every kind has its own code, and loss.cu receives it as a `#define`
/// (the marker line replaced).
#[test]
fn every_kind_has_its_own_code_and_cuda_define() {
    let code = source().code;
    assert!(!code.contains("@LOSS_KINDS@"));
    for (i, k) in Kind::ALL.iter().enumerate() {
        assert_eq!(k.code(), i as i32);
        let line = format!("#define {} {i}\n", k.cuda_name());
        assert_eq!(code.matches(&line).count(), 1, "{line}");
        assert!(code.contains(&format!("case {}", k.cuda_name())), "{k:?}");
    }
}
