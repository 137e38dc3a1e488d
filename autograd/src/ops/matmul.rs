//! Matrix products. Their rules are matrix products again (plus views and
//! sums back over broadcast batch dimensions), so they differentiate to any
//! order.

use crate::Var;
use tensor::Result;

impl Var {
    /// `torch.matmul` semantics (batched, broadcast, 1-D promotion).
    pub fn matmul(&self, other: &Var) -> Result<Var> {
        let y = kernels::matmul(self.data(), other.data())?;
        Ok(Var::from_op(
            "matmul",
            y,
            vec![self.clone(), other.clone()],
            move |c| {
                let (a, b, g) = (c.input(0), c.input(1), c.grad);
                // Work on the promoted (rank ≥ 2) operands, then undo the promotion.
                let a2 = if a.shape().len() == 1 {
                    a.unsqueeze(0)?
                } else {
                    a.clone()
                };
                let b2 = if b.shape().len() == 1 {
                    b.unsqueeze(1)?
                } else {
                    b.clone()
                };
                let mut gshape = g.shape().to_vec();
                if a.shape().len() == 1 {
                    let at = gshape.len() - if b.shape().len() == 1 { 0 } else { 1 };
                    gshape.insert(at, 1);
                }
                if b.shape().len() == 1 {
                    gshape.push(1);
                }
                let g2 = g.reshape(&gshape)?;
                let ga = if c.need(0) {
                    // GEMM: dA [.., m, k] = G [.., m, n] · Bᵀ [.., n, k]
                    let full = g2.matmul(&b2.transpose(-1, -2)?)?;
                    Some(full.sum_to_shape(a2.shape())?.reshape(a.shape())?)
                } else {
                    None
                };
                let gb = if c.need(1) {
                    // GEMM: dB [.., k, n] = Aᵀ [.., k, m] · G [.., m, n]
                    let full = a2.transpose(-1, -2)?.matmul(&g2)?;
                    Some(full.sum_to_shape(b2.shape())?.reshape(b.shape())?)
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
        let mut inputs = vec![self.clone(), w.clone()];
        inputs.extend(b.cloned());
        Ok(Var::from_op("linear", y, inputs, move |c| {
            let (x, w, g) = (c.input(0), c.input(1), c.grad);
            let (o, i) = (w.shape()[0], w.shape()[1]);
            let rows = x.data().numel() / i.max(1);
            let g2 = g.reshape(&[rows, o])?;
            let gx = if c.need(0) {
                // GEMM: dx [rows, in] = G [rows, out] · W [out, in]
                Some(g2.matmul(w)?.reshape(x.shape())?)
            } else {
                None
            };
            let gw = if c.need(1) {
                // GEMM: dW [out, in] = Gᵀ [out, rows] · x [rows, in]
                Some(g2.t()?.matmul(&x.reshape(&[rows, i])?)?)
            } else {
                None
            };
            let mut out = vec![gx, gw];
            if c.inputs.len() == 3 {
                out.push(c.need(2).then(|| g2.sum(&[0], false)).transpose()?);
            }
            Ok(out)
        }))
    }
}
