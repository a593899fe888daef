//! The precompiled form's encoding, written by hand for the few types it holds: unsigned
//! integers as LEB128 varints, signed ones zigzagged first, text and sequences as a length then
//! their items, an option or a flag as one byte (0 or 1), an enum as its variant's number then
//! its fields, a struct as its fields in order. Each type says its fields once
//! (`wire_struct!`), for writing and reading alike.
//!
//! Reading is total: every malformed input (ending early, a flag or variant out of range, a
//! number past its type, text that is not UTF-8, a length longer than the bytes left) is an
//! error naming what was wrong, never a panic or an allocation the input does not pay for.

/// Bytes being read, front to back.
pub(crate) struct Reader<'a>(&'a [u8]);

/// Why bytes are not the encoding of a value.
pub(crate) type WireError = &'static str;

impl<'a> Reader<'a> {
    pub(crate) fn new(bytes: &'a [u8]) -> Self {
        Reader(bytes)
    }

    /// Whether every byte was read.
    pub(crate) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub(crate) fn byte(&mut self) -> Result<u8, WireError> {
        let (&b, rest) = self.0.split_first().ok_or("the payload ends early")?;
        self.0 = rest;
        Ok(b)
    }

    fn bytes(&mut self, n: usize) -> Result<&'a [u8], WireError> {
        let (head, rest) = self.0.split_at_checked(n).ok_or("the payload ends early")?;
        self.0 = rest;
        Ok(head)
    }

    /// A LEB128 varint of at most `bits` bits.
    fn varint(&mut self, bits: u32) -> Result<u64, WireError> {
        let mut v: u64 = 0;
        let mut shift = 0;
        loop {
            let b = self.byte()?;
            let part = u64::from(b & 0x7f);
            if shift >= bits || (shift > 0 && part >> (bits - shift).min(63) != 0) {
                return Err("a number too large for its type");
            }
            v |= part << shift;
            if b & 0x80 == 0 {
                return Ok(v);
            }
            shift += 7;
        }
    }

    /// A count of items each taking at least one byte, so never more than the bytes left.
    pub(crate) fn len(&mut self) -> Result<usize, WireError> {
        let n = usize::try_from(self.varint(32)?).map_err(|_| "a length too large")?;
        if n > self.0.len() {
            return Err("a length longer than the payload");
        }
        Ok(n)
    }

    /// A variant number or other small tag below `n`.
    pub(crate) fn tag(&mut self, n: u8) -> Result<u8, WireError> {
        let t = self.byte()?;
        if t < n {
            Ok(t)
        } else {
            Err("an unknown variant")
        }
    }
}

/// Bytes being written, and the first reason a value could not be (an expression nested
/// deeper than a reader takes).
#[derive(Default)]
pub(crate) struct Writer {
    bytes: Vec<u8>,
    failed: Option<WireError>,
}

impl Writer {
    pub(crate) fn push(&mut self, b: u8) {
        self.bytes.push(b);
    }

    pub(crate) fn fail(&mut self, why: WireError) {
        self.failed.get_or_insert(why);
    }

    fn varint(&mut self, mut v: u64) {
        while v >= 0x80 {
            self.bytes.push((v as u8 & 0x7f) | 0x80);
            v >>= 7;
        }
        self.bytes.push(v as u8);
    }

    pub(crate) fn len(&mut self, n: usize) {
        self.varint(n as u64);
    }
}

/// A value the precompiled form holds.
pub(crate) trait Wire: Sized {
    fn put(&self, w: &mut Writer);
    fn get(r: &mut Reader<'_>) -> Result<Self, WireError>;
}

impl Wire for bool {
    fn put(&self, w: &mut Writer) {
        w.push(u8::from(*self));
    }
    fn get(r: &mut Reader<'_>) -> Result<Self, WireError> {
        Ok(r.tag(2)? == 1)
    }
}

impl Wire for u32 {
    fn put(&self, w: &mut Writer) {
        w.varint(u64::from(*self));
    }
    fn get(r: &mut Reader<'_>) -> Result<Self, WireError> {
        u32::try_from(r.varint(32)?).map_err(|_| "a number too large for its type")
    }
}

impl Wire for u64 {
    fn put(&self, w: &mut Writer) {
        w.varint(*self);
    }
    fn get(r: &mut Reader<'_>) -> Result<Self, WireError> {
        r.varint(64)
    }
}

impl Wire for i64 {
    fn put(&self, w: &mut Writer) {
        w.varint(((*self << 1) ^ (*self >> 63)) as u64);
    }
    fn get(r: &mut Reader<'_>) -> Result<Self, WireError> {
        let z = r.varint(64)?;
        Ok((z >> 1) as i64 ^ -((z & 1) as i64))
    }
}

impl Wire for String {
    fn put(&self, w: &mut Writer) {
        w.len(self.len());
        w.bytes.extend_from_slice(self.as_bytes());
    }
    fn get(r: &mut Reader<'_>) -> Result<Self, WireError> {
        let n = r.len()?;
        let b = r.bytes(n)?;
        std::str::from_utf8(b)
            .map(str::to_string)
            .map_err(|_| "text that is not UTF-8")
    }
}

impl<T: Wire> Wire for Vec<T> {
    fn put(&self, w: &mut Writer) {
        w.len(self.len());
        self.iter().for_each(|x| x.put(w));
    }
    fn get(r: &mut Reader<'_>) -> Result<Self, WireError> {
        let n = r.len()?;
        let mut v = Vec::with_capacity(n);
        for _ in 0..n {
            v.push(T::get(r)?);
        }
        Ok(v)
    }
}

impl<T: Wire> Wire for Option<T> {
    fn put(&self, w: &mut Writer) {
        match self {
            None => w.push(0),
            Some(x) => {
                w.push(1);
                x.put(w);
            }
        }
    }
    fn get(r: &mut Reader<'_>) -> Result<Self, WireError> {
        Ok(if bool::get(r)? {
            Some(T::get(r)?)
        } else {
            None
        })
    }
}

impl<A: Wire, B: Wire> Wire for (A, B) {
    fn put(&self, w: &mut Writer) {
        self.0.put(w);
        self.1.put(w);
    }
    fn get(r: &mut Reader<'_>) -> Result<Self, WireError> {
        Ok((A::get(r)?, B::get(r)?))
    }
}

/// `Wire` for a struct: its fields in order, then those not stored (`skip`), made by
/// `Default` when read.
macro_rules! wire_struct {
    ($t:ty { $($f:ident),* $(,)? } $(skip { $($s:ident),* })?) => {
        impl $crate::wire::Wire for $t {
            fn put(&self, w: &mut $crate::wire::Writer) {
                $($crate::wire::Wire::put(&self.$f, w);)*
            }
            fn get(r: &mut $crate::wire::Reader<'_>) -> Result<Self, $crate::wire::WireError> {
                Ok(Self {
                    $($f: $crate::wire::Wire::get(r)?,)*
                    $($($s: Default::default(),)*)?
                })
            }
        }
    };
}

/// `Wire` for an enum of unit variants: the variant's number.
macro_rules! wire_units {
    ($t:ident { $($v:ident),* $(,)? }) => {
        impl $crate::wire::Wire for $t {
            fn put(&self, w: &mut $crate::wire::Writer) {
                w.push(*self as u8);
            }
            fn get(r: &mut $crate::wire::Reader<'_>) -> Result<Self, $crate::wire::WireError> {
                const ALL: &[$t] = &[$($t::$v),*];
                ALL.get(usize::from(r.byte()?))
                    .copied()
                    .ok_or("an unknown variant")
            }
        }
    };
}

pub(crate) use {wire_struct, wire_units};

/// The bytes of `v`, or why it cannot be written.
pub(crate) fn to_bytes<T: Wire>(v: &T) -> Result<Vec<u8>, WireError> {
    let mut w = Writer::default();
    v.put(&mut w);
    match w.failed {
        None => Ok(w.bytes),
        Some(why) => Err(why),
    }
}

/// The value `bytes` encode, every byte read.
pub(crate) fn from_bytes<T: Wire>(bytes: &[u8]) -> Result<T, WireError> {
    let mut r = Reader::new(bytes);
    let v = T::get(&mut r)?;
    if r.is_empty() {
        Ok(v)
    } else {
        Err("bytes left after the payload")
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "test helpers fail by panicking")]

    use super::*;

    fn back<T: Wire + PartialEq + std::fmt::Debug>(v: T) {
        assert_eq!(from_bytes::<T>(&to_bytes(&v).unwrap()).unwrap(), v);
    }

    #[test]
    fn values_read_back_as_written() {
        for n in [0, 1, 127, 128, 300, u64::MAX] {
            back(n);
        }
        for n in [0, -1, 1, 63, -64, 64, i64::MIN, i64::MAX] {
            back(n);
        }
        back(u32::MAX);
        back(vec![Some("é".to_string()), None, Some(String::new())]);
        back((true, vec![(3u32, -4i64)]));
        assert_eq!(to_bytes(&300u32).unwrap(), [0xac, 0x02]);
        assert_eq!(to_bytes(&-2i64).unwrap(), [3]);
    }

    #[test]
    fn malformed_bytes_are_errors_not_panics() {
        assert_eq!(from_bytes::<u32>(&[]), Err("the payload ends early"));
        assert_eq!(from_bytes::<u32>(&[0x80]), Err("the payload ends early"));
        // 2^32 does not fit a u32; eleven varint bytes do not fit a u64.
        assert!(from_bytes::<u32>(&[0x80, 0x80, 0x80, 0x80, 0x10]).is_err());
        assert!(from_bytes::<u32>(&[0xff, 0xff, 0xff, 0xff, 0x0f]).is_ok());
        assert!(from_bytes::<u64>(&[0xff; 11]).is_err());
        assert!(
            from_bytes::<u64>(&[0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02])
                .is_err()
        );
        assert_eq!(from_bytes::<bool>(&[2]), Err("an unknown variant"));
        assert_eq!(
            from_bytes::<Option<u32>>(&[7, 1]),
            Err("an unknown variant")
        );
        assert_eq!(
            from_bytes::<String>(&[2, 0xff, 0xfe]),
            Err("text that is not UTF-8")
        );
        // A length the bytes cannot hold is refused before anything is allocated.
        assert_eq!(
            from_bytes::<Vec<u64>>(&[0xff, 0xff, 0xff, 0xff, 0x0f]),
            Err("a length longer than the payload")
        );
        assert_eq!(
            from_bytes::<u32>(&[1, 2]),
            Err("bytes left after the payload")
        );
    }
}
