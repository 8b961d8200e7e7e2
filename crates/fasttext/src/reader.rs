//! A bounds-checked little-endian cursor over the model bytes.
//!
//! fastText writes its structs with `ostream::write` on little-endian machines, so every field
//! is a plain little-endian integer or IEEE float. The cursor refuses to hand out more bytes than
//! remain, and the `*_vec` helpers check the byte count *before* allocating, which is what keeps a
//! hostile header from asking for terabytes.

use crate::error::Error;

pub(crate) struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    pub(crate) fn new(buf: &'a [u8]) -> Self {
        Reader { buf, pos: 0 }
    }

    pub(crate) fn position(&self) -> usize {
        self.pos
    }

    pub(crate) fn remaining(&self) -> usize {
        self.buf.len() - self.pos
    }

    /// `n` bytes, or `Truncated` naming `section`.
    pub(crate) fn take(&mut self, n: u64, section: &'static str) -> Result<&'a [u8], Error> {
        let available = self.remaining();
        if n > available as u64 {
            return Err(Error::Truncated {
                section,
                offset: self.pos,
                needed: n,
                available,
            });
        }
        let n = n as usize;
        let out = &self.buf[self.pos..self.pos + n];
        self.pos += n;
        Ok(out)
    }

    fn array<const N: usize>(&mut self, section: &'static str) -> Result<[u8; N], Error> {
        let bytes = self.take(N as u64, section)?;
        let mut out = [0u8; N];
        out.copy_from_slice(bytes);
        Ok(out)
    }

    pub(crate) fn u8(&mut self, section: &'static str) -> Result<u8, Error> {
        Ok(self.array::<1>(section)?[0])
    }

    /// A C++ `bool`: one byte that must be 0 or 1 (anything else is undefined behaviour in the
    /// reference, so it can only come from a corrupt file).
    pub(crate) fn bool(&mut self, section: &'static str) -> Result<bool, Error> {
        match self.u8(section)? {
            0 => Ok(false),
            1 => Ok(true),
            other => Err(Error::malformed(
                section,
                format!("boolean byte is {other}, expected 0 or 1"),
            )),
        }
    }

    pub(crate) fn i32(&mut self, section: &'static str) -> Result<i32, Error> {
        Ok(i32::from_le_bytes(self.array(section)?))
    }

    pub(crate) fn i64(&mut self, section: &'static str) -> Result<i64, Error> {
        Ok(i64::from_le_bytes(self.array(section)?))
    }

    pub(crate) fn f64(&mut self, section: &'static str) -> Result<f64, Error> {
        Ok(f64::from_le_bytes(self.array(section)?))
    }

    /// `count` floats; the byte count is checked before the vector is allocated.
    pub(crate) fn f32_vec(&mut self, count: u64, section: &'static str) -> Result<Vec<f32>, Error> {
        let bytes = match count.checked_mul(4) {
            Some(b) => self.take(b, section)?,
            None => {
                return Err(Error::malformed(
                    section,
                    format!("{count} floats overflow"),
                ))
            }
        };
        Ok(bytes
            .chunks_exact(4)
            .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect())
    }

    /// Bytes up to (not including) the next NUL, which is consumed.
    pub(crate) fn cstr(&mut self, section: &'static str) -> Result<&'a [u8], Error> {
        let rest = &self.buf[self.pos..];
        match rest.iter().position(|&b| b == 0) {
            Some(len) => {
                self.pos += len + 1;
                Ok(&rest[..len])
            }
            None => Err(Error::Truncated {
                section,
                offset: self.pos,
                needed: rest.len() as u64 + 1,
                available: rest.len(),
            }),
        }
    }
}

/// The little-endian writer side, used to save trained models in the reference's format.
pub(crate) struct Writer {
    pub(crate) buf: Vec<u8>,
}

impl Writer {
    pub(crate) fn new() -> Self {
        Writer { buf: Vec::new() }
    }
    pub(crate) fn u8(&mut self, v: u8) {
        self.buf.push(v);
    }
    pub(crate) fn i32(&mut self, v: i32) {
        self.buf.extend_from_slice(&v.to_le_bytes());
    }
    pub(crate) fn i64(&mut self, v: i64) {
        self.buf.extend_from_slice(&v.to_le_bytes());
    }
    pub(crate) fn f64(&mut self, v: f64) {
        self.buf.extend_from_slice(&v.to_le_bytes());
    }
    pub(crate) fn f32s(&mut self, v: &[f32]) {
        self.buf.reserve(v.len() * 4);
        for x in v {
            self.buf.extend_from_slice(&x.to_le_bytes());
        }
    }
    pub(crate) fn bytes(&mut self, v: &[u8]) {
        self.buf.extend_from_slice(v);
    }
}
