//! Every second-order PyTorch fixture (`GRADGRAD_FIXTURES`, default
//! `../shared/reference/fixtures-gradgrad`), run through the engine on the
//! CPU: the first-order gradients taken with `create_graph`, then
//! differentiated again; one test per op family, plus the whole WGAN-GP and
//! R1 penalties. `every_fixture_belongs_to_a_family` fails for a fixture
//! file that no family (or more than one) claims. The same fixtures run on
//! CUDA in `cuda_gradgrad.rs`.

use tests::parity::families::SECOND_ORDER;

macro_rules! family_tests {
    ($($family:ident),* $(,)?) => {
        const TESTED: &[&str] = &[$(stringify!($family)),*];
        $(
            #[test]
            fn $family() {
                SECOND_ORDER.check_family(stringify!($family));
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
    penalty
);

#[test]
fn every_fixture_belongs_to_a_family() {
    SECOND_ORDER.check_every_fixture_claimed(TESTED);
}
