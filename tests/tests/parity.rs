//! Every PyTorch fixture, run through the engine: one test per op family, so
//! that `cargo test -p tests --release --test parity conv` runs one family
//! alone. A family's test fails naming each of its fixtures that does not
//! match or whose op no runner handles; `every_fixture_belongs_to_a_family`
//! fails for a fixture file that no family (or more than one) claims, so
//! nothing is skipped unless `families::SKIPPED` names it.

use tests::parity::families::{check_every_fixture_claimed, check_family};

/// One `#[test]` per family of `tests::parity::families::FAMILIES`, named
/// after it, and the list of them for the table check.
macro_rules! family_tests {
    ($($family:ident),* $(,)?) => {
        const TESTED: &[&str] = &[$(stringify!($family)),*];
        $(
            #[test]
            fn $family() {
                check_family(stringify!($family));
            }
        )*
    };
}

family_tests!(
    elementwise,
    reduce,
    matmul,
    conv,
    batchnorm,
    pool,
    loss,
    dropout,
    shape,
    optim
);

#[test]
fn every_fixture_belongs_to_a_family() {
    check_every_fixture_claimed(TESTED);
}
