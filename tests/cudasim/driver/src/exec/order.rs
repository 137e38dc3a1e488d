//! The order a pass runs a block's threads in: forward, reverse, or a
//! shuffle drawn afresh for every block and pass from the configured seed.

use crate::config::Order;

fn xorshift(s: &mut u64) -> u64 {
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    *s
}

pub(super) fn pass_order(order: Order, n: usize, block: u64, pass: u64, out: &mut Vec<usize>) {
    out.clear();
    out.extend(0..n);
    match order {
        Order::Forward => {}
        Order::Reverse => out.reverse(),
        Order::Shuffle(seed) => {
            let mut s = (seed ^ 0x9E37_79B9_7F4A_7C15)
                ^ block.wrapping_mul(0xD1B5_4A32_D192_ED03)
                ^ pass.wrapping_mul(0x8CB9_2BA7_2F3D_8DD7)
                | 1;
            for k in (1..n).rev() {
                out.swap(k, (xorshift(&mut s) % (k as u64 + 1)) as usize);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn orders_are_permutations() {
        let mut v = Vec::new();
        pass_order(Order::Shuffle(3), 100, 7, 2, &mut v);
        let mut s = v.clone();
        s.sort();
        assert_eq!(s, (0..100).collect::<Vec<_>>());
        assert_ne!(v, s);
        pass_order(Order::Reverse, 4, 0, 0, &mut v);
        assert_eq!(v, [3, 2, 1, 0]);
    }
}
