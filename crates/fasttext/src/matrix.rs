//! Dense and product-quantized matrices.
//!
//! A quantized (`.ftz`) matrix stores, per row, one byte per sub-vector: the index of a centroid
//! among 256 for that sub-vector (`ProductQuantizer`, `dsub` floats per sub-vector, the last one
//! possibly shorter), optionally times a per-row norm that is itself quantized to one of 256
//! values. Row `i` is `norm_i * centroid[m][code[i][m]]`. Rows are decoded on the fly, with the
//! reference's operations (`x += alpha * c` with `alpha = norm`): the codes of lid.176's 50 000
//! rows take 400 KB and stay in L2, where the decoded floats would take 3.2 MB (measured: no
//! faster decoded).

use crate::error::Error;
use crate::reader::{Reader, Writer};

/// Centroids per sub-quantizer (8-bit codes).
const KSUB: usize = 256;

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
    /// Per row: its `nsubq` centroid codes, then its norm code when the norms are quantized
    /// (interleaved here so that a row is one memory access).
    codes: Vec<u8>,
    stride: usize,
    pq: ProductQuantizer,
    /// The 256 norm values, when saved with `-qnorm`.
    norms: Option<Vec<f32>>,
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
        let codes = r.take(codesize as u64, section)?;
        let (pq, dim) = ProductQuantizer::read(r, section)?;
        if dim as i64 != n {
            return Err(Error::malformed(
                section,
                format!("quantizer dimension {dim} differs from the matrix's {n} columns"),
            ));
        }
        if (m as u64).checked_mul(pq.nsubq as u64) != Some(codesize as u64) {
            return Err(Error::malformed(
                section,
                format!(
                    "codesize {codesize} is not rows {m} × sub-quantizers {}",
                    pq.nsubq
                ),
            ));
        }
        let rows = m as usize;
        let ns = pq.nsubq;
        let (codes, stride, norms) = if qnorm {
            let norm_codes = r.take(m as u64, section)?;
            let (npq, ndim) = ProductQuantizer::read(r, section)?;
            if ndim != 1 || npq.nsubq != 1 {
                return Err(Error::malformed(
                    section,
                    format!("norm quantizer has dimension {ndim}, expected 1"),
                ));
            }
            let mut joined = Vec::with_capacity(rows * (ns + 1));
            for (row, &norm) in codes.chunks_exact(ns).zip(norm_codes) {
                joined.extend_from_slice(row);
                joined.push(norm);
            }
            (joined, ns + 1, Some(npq.centroids))
        } else {
            (codes.to_vec(), ns, None)
        };
        Ok(QuantMatrix {
            rows,
            cols: n as usize,
            codes,
            stride,
            pq,
            norms,
        })
    }

    /// Row `i`'s centroid codes and its norm (1 without norm quantization).
    #[inline(always)]
    fn row(&self, i: usize) -> (&[u8], f32) {
        let row = &self.codes[i * self.stride..(i + 1) * self.stride];
        let ns = self.pq.nsubq;
        match &self.norms {
            Some(values) => (&row[..ns], values[row[ns] as usize]),
            None => (row, 1.0),
        }
    }

    /// `x += row i` exactly as the reference's `addcode` (each term is `norm * c`).
    #[inline]
    pub(crate) fn add_row_to(&self, i: usize, x: &mut [f32]) {
        let (code, alpha) = self.row(i);
        if self.pq.dsub == 2 && self.pq.lastdsub == 2 {
            // The default `-dsub 2` with an even dim: every centroid is a pair at
            // `(m * 256 + code) * 2`. Same operations as below, without the slicing.
            let cents = &self.pq.centroids;
            for (m, (&c, out)) in code.iter().zip(x.chunks_exact_mut(2)).enumerate() {
                let s = (m * KSUB + c as usize) * 2;
                if let Some(v) = cents.get(s..s + 2) {
                    out[0] += alpha * v[0];
                    out[1] += alpha * v[1];
                }
            }
            return;
        }
        for (m, &c) in code.iter().enumerate() {
            let cent = self.pq.centroid(m, c);
            let out = &mut x[m * self.pq.dsub..m * self.pq.dsub + cent.len()];
            for (o, &v) in out.iter_mut().zip(cent) {
                *o += alpha * v;
            }
        }
    }

    /// `x += row r` for each `r` of `rows`, in order: the same operations as
    /// [`QuantMatrix::add_row_to`] row after row, with `x` held in registers for the common
    /// shapes and no call per row, so that the loads of the next rows' codes overlap.
    #[inline]
    pub(crate) fn add_rows_to(&self, rows: &[u32], x: &mut [f32]) {
        if self.pq.dsub == 2 && self.pq.lastdsub == 2 {
            match self.pq.nsubq {
                8 => return self.add_rows_pairs::<8>(rows, x), // dim 16 (lid.176)
                50 => return self.add_rows_pairs::<50>(rows, x), // dim 100
                _ => {}
            }
        }
        for &r in rows {
            self.add_row_to(r as usize, x);
        }
    }

    /// [`QuantMatrix::add_rows_to`] for `NS` sub-quantizers of two floats.
    #[inline]
    fn add_rows_pairs<const NS: usize>(&self, rows: &[u32], x: &mut [f32]) {
        let mut acc = [[0.0f32; 2]; NS];
        for (a, c) in acc.iter_mut().zip(x.chunks_exact(2)) {
            *a = [c[0], c[1]];
        }
        let cents = &self.pq.centroids[..NS * KSUB * 2];
        for &r in rows {
            let (code, alpha) = self.row(r as usize);
            let code: &[u8; NS] = code.try_into().expect("NS codes per row");
            for (m, a) in acc.iter_mut().enumerate() {
                let s = (m * KSUB + code[m] as usize) * 2;
                a[0] += alpha * cents[s];
                a[1] += alpha * cents[s + 1];
            }
        }
        for (a, c) in acc.iter().zip(x.chunks_exact_mut(2)) {
            c[0] = a[0];
            c[1] = a[1];
        }
    }

    /// `x · row i` as the reference's `mulcode`: the dot with the centroids, then times the norm.
    #[inline]
    pub(crate) fn dot_row(&self, x: &[f32], i: usize) -> f32 {
        let (code, norm) = self.row(i);
        let mut res = 0.0f32;
        for (m, &c) in code.iter().enumerate() {
            let cent = self.pq.centroid(m, c);
            let xs = &x[m * self.pq.dsub..m * self.pq.dsub + cent.len()];
            for (&a, &b) in xs.iter().zip(cent) {
                res += a * b;
            }
        }
        res * norm
    }

    /// A copy whose rows are `0..keep` followed by `keep + order[r]` for each `r`: used to put
    /// the rows of a pruned matrix in the order of the [`crate::dictionary::BucketMap`].
    pub(crate) fn reorder(&self, keep: usize, order: &[u32]) -> QuantMatrix {
        let st = self.stride;
        let mut codes = Vec::with_capacity((keep + order.len()) * st);
        for i in (0..keep).chain(order.iter().map(|&o| keep + o as usize)) {
            codes.extend_from_slice(&self.codes[i * st..(i + 1) * st]);
        }
        QuantMatrix {
            rows: keep + order.len(),
            cols: self.cols,
            codes,
            stride: st,
            pq: self.pq.clone(),
            norms: self.norms.clone(),
        }
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

    /// `x += row r` for each `r` of `rows`, in order.
    #[inline]
    pub(crate) fn add_rows_to(&self, rows: &[u32], x: &mut [f32]) {
        match self {
            Matrix::Dense(d) => {
                for &r in rows {
                    add_assign(x, d.row(r as usize));
                }
            }
            Matrix::Quant(q) => q.add_rows_to(rows, x),
        }
    }

    /// `x · row i`.
    #[inline(always)]
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
#[inline(always)]
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
