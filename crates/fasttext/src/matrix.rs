//! Dense and product-quantized matrices.
//!
//! A quantized (`.ftz`) matrix stores, per row, one byte per sub-vector: the index of a centroid
//! among 256 for that sub-vector (`ProductQuantizer`, `dsub` floats per sub-vector, the last one
//! possibly shorter), optionally times a per-row norm that is itself quantized to one of 256
//! values. Decoding row `i` gives `norm_i * centroid[m][code[i][m]]`, which is bit for bit what
//! the reference adds to the hidden vector (`x += alpha * c` with `alpha = norm`), so a matrix
//! decoded once at load predicts exactly like the codes.

use crate::error::Error;
use crate::reader::{Reader, Writer};

/// Centroids per sub-quantizer (8-bit codes).
const KSUB: usize = 256;

/// Decode a quantized input matrix to floats at load when the result is at most this big;
/// larger ones (unpruned `.ftz` with millions of buckets) are decoded row by row.
pub(crate) const DECODE_LIMIT_BYTES: u64 = 64 << 20;

/// A row-major `rows × cols` float matrix.
#[derive(Clone, Debug)]
pub(crate) struct DenseMatrix {
    pub(crate) rows: usize,
    pub(crate) cols: usize,
    pub(crate) data: Vec<f32>,
}

impl DenseMatrix {
    pub(crate) fn zeros(rows: usize, cols: usize) -> Self {
        DenseMatrix {
            rows,
            cols,
            data: vec![0.0; rows * cols],
        }
    }

    fn read(r: &mut Reader<'_>, section: &'static str) -> Result<Self, Error> {
        let m = r.i64(section)?;
        let n = r.i64(section)?;
        if m < 0 || n < 0 {
            return Err(Error::malformed(section, format!("shape {m} × {n}")));
        }
        let count = (m as u64)
            .checked_mul(n as u64)
            .ok_or_else(|| Error::malformed(section, format!("shape {m} × {n} overflows")))?;
        let data = r.f32_vec(count, section)?;
        Ok(DenseMatrix {
            rows: m as usize,
            cols: n as usize,
            data,
        })
    }

    pub(crate) fn write(&self, w: &mut Writer) {
        w.i64(self.rows as i64);
        w.i64(self.cols as i64);
        w.f32s(&self.data);
    }

    #[inline(always)]
    pub(crate) fn row(&self, i: usize) -> &[f32] {
        &self.data[i * self.cols..(i + 1) * self.cols]
    }

    #[inline(always)]
    pub(crate) fn row_mut(&mut self, i: usize) -> &mut [f32] {
        &mut self.data[i * self.cols..(i + 1) * self.cols]
    }
}

/// The reference's `ProductQuantizer` (only what inference needs: centroids and their layout).
#[derive(Clone, Debug)]
struct ProductQuantizer {
    nsubq: usize,
    dsub: usize,
    lastdsub: usize,
    centroids: Vec<f32>,
}

impl ProductQuantizer {
    fn read(r: &mut Reader<'_>, section: &'static str) -> Result<(Self, usize), Error> {
        let dim = r.i32(section)?;
        let nsubq = r.i32(section)?;
        let dsub = r.i32(section)?;
        let lastdsub = r.i32(section)?;
        let consistent = dim > 0
            && nsubq > 0
            && dsub > 0
            && lastdsub > 0
            && lastdsub <= dsub
            && (nsubq as i64 - 1) * dsub as i64 + lastdsub as i64 == dim as i64;
        if !consistent {
            return Err(Error::malformed(
                section,
                format!(
                    "inconsistent quantizer: dim {dim}, nsubq {nsubq}, dsub {dsub}, \
                     lastdsub {lastdsub}"
                ),
            ));
        }
        let centroids = r.f32_vec(dim as u64 * KSUB as u64, section)?;
        Ok((
            ProductQuantizer {
                nsubq: nsubq as usize,
                dsub: dsub as usize,
                lastdsub: lastdsub as usize,
                centroids,
            },
            dim as usize,
        ))
    }

    /// Centroid `code` of sub-quantizer `m` (`get_centroids`: the last sub-quantizer's
    /// centroids are packed with its own, shorter, length).
    #[inline(always)]
    fn centroid(&self, m: usize, code: u8) -> &[f32] {
        if m == self.nsubq - 1 {
            let start = m * KSUB * self.dsub + code as usize * self.lastdsub;
            &self.centroids[start..start + self.lastdsub]
        } else {
            let start = (m * KSUB + code as usize) * self.dsub;
            &self.centroids[start..start + self.dsub]
        }
    }
}

/// The reference's `QuantMatrix`.
#[derive(Clone, Debug)]
pub(crate) struct QuantMatrix {
    rows: usize,
    cols: usize,
    codes: Vec<u8>,
    pq: ProductQuantizer,
    /// Per-row norm codes and the 256 norm values, when saved with `-qnorm`.
    norms: Option<(Vec<u8>, Vec<f32>)>,
}

impl QuantMatrix {
    fn read(r: &mut Reader<'_>, section: &'static str) -> Result<Self, Error> {
        let qnorm = r.bool(section)?;
        let m = r.i64(section)?;
        let n = r.i64(section)?;
        let codesize = r.i32(section)?;
        if m < 0 || n <= 0 || codesize < 0 {
            return Err(Error::malformed(
                section,
                format!("shape {m} × {n}, codesize {codesize}"),
            ));
        }
        let codes = r.take(codesize as u64, section)?.to_vec();
        let (pq, dim) = ProductQuantizer::read(r, section)?;
        if dim as i64 != n {
            return Err(Error::malformed(
                section,
                format!("quantizer dimension {dim} differs from the matrix's {n} columns"),
            ));
        }
        if codesize as u64 != m as u64 * pq.nsubq as u64 {
            return Err(Error::malformed(
                section,
                format!(
                    "codesize {codesize} is not rows {m} × sub-quantizers {}",
                    pq.nsubq
                ),
            ));
        }
        let norms = if qnorm {
            let norm_codes = r.take(m as u64, section)?.to_vec();
            let (npq, ndim) = ProductQuantizer::read(r, section)?;
            if ndim != 1 || npq.nsubq != 1 {
                return Err(Error::malformed(
                    section,
                    format!("norm quantizer has dimension {ndim}, expected 1"),
                ));
            }
            Some((norm_codes, npq.centroids))
        } else {
            None
        };
        Ok(QuantMatrix {
            rows: m as usize,
            cols: n as usize,
            codes,
            pq,
            norms,
        })
    }

    #[inline(always)]
    fn norm(&self, i: usize) -> f32 {
        match &self.norms {
            Some((codes, values)) => values[codes[i] as usize],
            None => 1.0,
        }
    }

    /// `x += row i` exactly as the reference's `addcode` (each term is `norm * c`).
    #[inline]
    pub(crate) fn add_row_to(&self, i: usize, x: &mut [f32]) {
        let alpha = self.norm(i);
        let code = &self.codes[i * self.pq.nsubq..(i + 1) * self.pq.nsubq];
        for (m, &c) in code.iter().enumerate() {
            let cent = self.pq.centroid(m, c);
            let out = &mut x[m * self.pq.dsub..m * self.pq.dsub + cent.len()];
            for (o, &v) in out.iter_mut().zip(cent) {
                *o += alpha * v;
            }
        }
    }

    /// `x · row i` as the reference's `mulcode`: the dot with the centroids, then times the norm.
    #[inline]
    pub(crate) fn dot_row(&self, x: &[f32], i: usize) -> f32 {
        let code = &self.codes[i * self.pq.nsubq..(i + 1) * self.pq.nsubq];
        let mut res = 0.0f32;
        for (m, &c) in code.iter().enumerate() {
            let cent = self.pq.centroid(m, c);
            let xs = &x[m * self.pq.dsub..m * self.pq.dsub + cent.len()];
            for (&a, &b) in xs.iter().zip(cent) {
                res += a * b;
            }
        }
        res * self.norm(i)
    }

    /// A copy whose rows are `0..keep` followed by `keep + order[r]` for each `r`: used to put
    /// the rows of a pruned matrix in the order of the [`crate::dictionary::BucketMap`].
    pub(crate) fn reorder(&self, keep: usize, order: &[u32]) -> QuantMatrix {
        let ns = self.pq.nsubq;
        let src_rows = (0..keep).chain(order.iter().map(|&o| keep + o as usize));
        let mut codes = Vec::with_capacity((keep + order.len()) * ns);
        let mut norm_codes = Vec::with_capacity(keep + order.len());
        for i in src_rows {
            codes.extend_from_slice(&self.codes[i * ns..(i + 1) * ns]);
            if let Some((nc, _)) = &self.norms {
                norm_codes.push(nc[i]);
            }
        }
        QuantMatrix {
            rows: keep + order.len(),
            cols: self.cols,
            codes,
            pq: self.pq.clone(),
            norms: self.norms.as_ref().map(|(_, v)| (norm_codes, v.clone())),
        }
    }

    pub(crate) fn decode(&self) -> DenseMatrix {
        let mut out = DenseMatrix::zeros(self.rows, self.cols);
        for i in 0..self.rows {
            self.add_row_to(i, out.row_mut(i));
        }
        out
    }
}

/// Either kind of matrix, as stored in the file.
#[derive(Clone, Debug)]
pub(crate) enum Matrix {
    Dense(DenseMatrix),
    Quant(QuantMatrix),
}

impl Matrix {
    pub(crate) fn read(
        r: &mut Reader<'_>,
        quantized: bool,
        section: &'static str,
    ) -> Result<Self, Error> {
        Ok(if quantized {
            Matrix::Quant(QuantMatrix::read(r, section)?)
        } else {
            Matrix::Dense(DenseMatrix::read(r, section)?)
        })
    }

    pub(crate) fn rows(&self) -> usize {
        match self {
            Matrix::Dense(d) => d.rows,
            Matrix::Quant(q) => q.rows,
        }
    }

    pub(crate) fn cols(&self) -> usize {
        match self {
            Matrix::Dense(d) => d.cols,
            Matrix::Quant(q) => q.cols,
        }
    }

    /// `x += row i`.
    #[inline]
    pub(crate) fn add_row_to(&self, i: usize, x: &mut [f32]) {
        match self {
            Matrix::Dense(d) => add_assign(x, d.row(i)),
            Matrix::Quant(q) => q.add_row_to(i, x),
        }
    }

    /// `x · row i`.
    #[inline]
    pub(crate) fn dot_row(&self, x: &[f32], i: usize) -> f32 {
        match self {
            Matrix::Dense(d) => dot(x, d.row(i)),
            Matrix::Quant(q) => q.dot_row(x, i),
        }
    }
}

/// `x += y`, element by element (the same float operations as the reference, in any order).
#[inline(always)]
pub(crate) fn add_assign(x: &mut [f32], y: &[f32]) {
    for (a, &b) in x.iter_mut().zip(y) {
        *a += b;
    }
}

/// Dot product with eight independent partial sums, so the compiler can keep them in SIMD
/// registers instead of one long dependency chain. The reference sums left to right; the result
/// differs from it only in the last bits.
#[inline]
pub(crate) fn dot(x: &[f32], y: &[f32]) -> f32 {
    let n = x.len().min(y.len());
    let (x, y) = (&x[..n], &y[..n]);
    let mut acc = [0.0f32; 8];
    let mut xc = x.chunks_exact(8);
    let mut yc = y.chunks_exact(8);
    for (a, b) in (&mut xc).zip(&mut yc) {
        for l in 0..8 {
            acc[l] += a[l] * b[l];
        }
    }
    let mut tail = 0.0f32;
    for (&a, &b) in xc.remainder().iter().zip(yc.remainder()) {
        tail += a * b;
    }
    ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7])) + tail
}
