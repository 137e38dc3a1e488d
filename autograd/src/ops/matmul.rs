//! Matrix products.

use crate::Var;
use kernels::{matmul, reshape, sum_axes, sum_to_shape};
use tensor::Result;

impl Var {
    /// `torch.matmul` semantics (batched, broadcast, 1-D promotion).
    pub fn matmul(&self, other: &Var) -> Result<Var> {
        let y = matmul(self.data(), other.data())?;
        let (a, b) = (self.data().clone(), other.data().clone());
        let (need_a, need_b) = (self.requires_grad(), other.requires_grad());
        Ok(Var::from_op(
            "matmul",
            y,
            vec![self.clone(), other.clone()],
            move |g| {
                // Work on the promoted (rank ≥ 2) operands, then undo the promotion.
                let a2 = if a.rank() == 1 {
                    a.unsqueeze(0)?
                } else {
                    a.clone()
                };
                let b2 = if b.rank() == 1 {
                    b.unsqueeze(1)?
                } else {
                    b.clone()
                };
                let mut gshape = g.shape().to_vec();
                if a.rank() == 1 {
                    gshape.insert(gshape.len() - if b.rank() == 1 { 0 } else { 1 }, 1);
                }
                if b.rank() == 1 {
                    gshape.push(1);
                }
                let g2 = reshape(g, &gshape)?;
                let ga = if need_a {
                    // GEMM: dA [.., m, k] = G [.., m, n] · Bᵀ [.., n, k]
                    let full = matmul(&g2, &b2.transpose(-1, -2)?)?;
                    Some(reshape(&sum_to_shape(&full, a2.shape())?, a.shape())?)
                } else {
                    None
                };
                let gb = if need_b {
                    // GEMM: dB [.., k, n] = Aᵀ [.., k, m] · G [.., m, n]
                    let full = matmul(&a2.transpose(-1, -2)?, &g2)?;
                    Some(reshape(&sum_to_shape(&full, b2.shape())?, b.shape())?)
                } else {
                    None
                };
                Ok(vec![ga, gb])
            },
        ))
    }

    /// y = x·Wᵀ + b with W [out, in], as `torch.nn.functional.linear`.
    pub fn linear(&self, w: &Var, b: Option<&Var>) -> Result<Var> {
        let y = kernels::linear(self.data(), w.data(), b.map(|b| b.data()))?;
        let (x, wt) = (self.data().clone(), w.data().clone());
        let (need_x, need_w) = (self.requires_grad(), w.requires_grad());
        let need_b = b.is_some_and(|b| b.requires_grad());
        let mut inputs = vec![self.clone(), w.clone()];
        inputs.extend(b.cloned());
        let has_b = b.is_some();
        Ok(Var::from_op("linear", y, inputs, move |g| {
            let (o, i) = (wt.shape()[0], wt.shape()[1]);
            let rows = x.numel() / i.max(1);
            let g2 = reshape(g, &[rows, o])?;
            let gx = if need_x {
                // GEMM: dx [rows, in] = G [rows, out] · W [out, in]
                Some(reshape(&matmul(&g2, &wt)?, x.shape())?)
            } else {
                None
            };
            let gw = if need_w {
                // GEMM: dW [out, in] = Gᵀ [out, rows] · x [rows, in]
                Some(matmul(&g2.t()?, &reshape(&x, &[rows, i])?)?)
            } else {
                None
            };
            let mut out = vec![gx, gw];
            if has_b {
                out.push(if need_b {
                    Some(sum_axes(&g2, &[0], false)?)
                } else {
                    None
                });
            }
            Ok(out)
        }))
    }
}
