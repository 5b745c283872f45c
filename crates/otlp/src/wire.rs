//! The protobuf wire format, read in place: tags, varints, fixed-width
//! fields and length-delimited payloads of one message, with absolute byte
//! offsets for error messages.
//!
//! A [`Msg`] is a message's payload and where it starts in the body; a
//! [`Reader`] walks its fields. Reading a known field checks its wire type
//! (a known field with another wire type is an error, as in prost and the
//! collector); unknown fields are skipped by wire type, as protobuf requires.
//! This module knows no OTLP message; it must not allocate (errors aside)
//! and must not panic on any input.

#[cfg(test)]
mod tests;

use crate::error::{Segment, WireError, WireProblem};

pub(crate) const VARINT: u8 = 0;
pub(crate) const I64: u8 = 1;
pub(crate) const LEN: u8 = 2;
pub(crate) const I32: u8 = 5;

/// A message payload and the offset of its first byte in the body.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Msg<'a> {
    pub(crate) bytes: &'a [u8],
    pub(crate) at: usize,
}

impl<'a> Msg<'a> {
    pub(crate) fn whole(body: &'a [u8]) -> Self {
        Msg { bytes: body, at: 0 }
    }

    /// The payload as a `string` field: it must be UTF-8.
    #[inline]
    pub(crate) fn text(self, segment: Segment) -> Result<&'a str, WireError> {
        if self.bytes.is_empty() {
            return Ok("");
        }
        std::str::from_utf8(self.bytes).map_err(|e| {
            WireError::at(self.at + e.valid_up_to(), WireProblem::InvalidUtf8).within(segment)
        })
    }
}

/// A field's tag.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Tag {
    pub(crate) field: u64,
    pub(crate) wire: u8,
    /// Offset of the tag's first byte.
    pub(crate) at: usize,
}

/// A cursor over the fields of one message.
pub(crate) struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
    base: usize,
}

impl<'a> Reader<'a> {
    #[inline]
    pub(crate) fn new(msg: Msg<'a>) -> Self {
        Reader {
            bytes: msg.bytes,
            pos: 0,
            base: msg.at,
        }
    }

    /// Offset in the body of the next byte to read.
    #[inline]
    pub(crate) fn offset(&self) -> usize {
        self.base + self.pos
    }

    #[inline]
    pub(crate) fn done(&self) -> bool {
        self.pos >= self.bytes.len()
    }

    #[inline(always)]
    fn varint(&mut self) -> Result<u64, WireError> {
        if let Some(&b) = self.bytes.get(self.pos)
            && b < 0x80
        {
            self.pos += 1;
            return Ok(u64::from(b));
        }
        self.varint_slow()
    }

    fn varint_slow(&mut self) -> Result<u64, WireError> {
        let start = self.pos;
        let mut x = 0u64;
        for i in 0..10 {
            let Some(&b) = self.bytes.get(self.pos) else {
                return Err(WireError::at(
                    self.base + start,
                    WireProblem::TruncatedVarint,
                ));
            };
            self.pos += 1;
            // The tenth byte holds only the 64th bit.
            if i == 9 && b > 1 {
                return Err(WireError::at(self.base + start, WireProblem::VarintTooLong));
            }
            x |= u64::from(b & 0x7f) << (7 * i);
            if b < 0x80 {
                return Ok(x);
            }
        }
        Err(WireError::at(self.base + start, WireProblem::VarintTooLong))
    }

    /// A bare varint, as packed repeated fields hold them.
    #[inline]
    pub(crate) fn packed_varint(&mut self, segment: Segment) -> Result<u64, WireError> {
        self.varint().map_err(|e| e.within(segment))
    }

    /// A bare 64-bit word, as packed repeated `fixed64` and `double` hold them.
    #[inline]
    pub(crate) fn packed_fixed64(&mut self, segment: Segment) -> Result<u64, WireError> {
        let m = self
            .take(8, "a 64-bit field")
            .map_err(|e| e.within(segment))?;
        let mut word = [0u8; 8];
        word.copy_from_slice(m.bytes);
        Ok(u64::from_le_bytes(word))
    }

    /// The next field's tag; call only when not [`done`](Self::done).
    #[inline(always)]
    pub(crate) fn tag(&mut self) -> Result<Tag, WireError> {
        let at = self.base + self.pos;
        let tag = self.varint()?;
        let field = tag >> 3;
        if field == 0 {
            return Err(WireError::at(at, WireProblem::FieldNumberZero));
        }
        Ok(Tag {
            field,
            wire: (tag & 7) as u8,
            at,
        })
    }

    #[inline(always)]
    fn expect(tag: Tag, expected: u8, segment: Segment) -> Result<(), WireError> {
        if tag.wire == expected {
            Ok(())
        } else {
            Err(WireError::at(
                tag.at,
                WireProblem::WrongWireType {
                    found: tag.wire,
                    expected,
                },
            )
            .within(segment))
        }
    }

    #[inline(always)]
    fn take(&mut self, n: u64, what: &'static str) -> Result<Msg<'a>, WireError> {
        let left = self.bytes.len() - self.pos;
        match usize::try_from(n) {
            Ok(n) if n <= left => {
                let msg = Msg {
                    bytes: &self.bytes[self.pos..self.pos + n],
                    at: self.base + self.pos,
                };
                self.pos += n;
                Ok(msg)
            }
            _ => Err(WireError::at(
                self.base + self.pos,
                WireProblem::Truncated {
                    what,
                    needed: n,
                    left,
                },
            )),
        }
    }

    /// A varint field (`int64`, `uint32`, `bool`, enums).
    #[inline(always)]
    pub(crate) fn uint(&mut self, tag: Tag, segment: Segment) -> Result<u64, WireError> {
        Self::expect(tag, VARINT, segment)?;
        self.varint().map_err(|e| e.within(segment))
    }

    /// A `fixed64` or `double` field.
    #[inline(always)]
    pub(crate) fn fixed64(&mut self, tag: Tag, segment: Segment) -> Result<u64, WireError> {
        Self::expect(tag, I64, segment)?;
        let m = self
            .take(8, "a 64-bit field")
            .map_err(|e| e.within(segment))?;
        let mut word = [0u8; 8];
        word.copy_from_slice(m.bytes);
        Ok(u64::from_le_bytes(word))
    }

    /// A length-delimited field (`string`, `bytes`, a message).
    #[inline(always)]
    pub(crate) fn bytes(&mut self, tag: Tag, segment: Segment) -> Result<Msg<'a>, WireError> {
        Self::expect(tag, LEN, segment)?;
        let len = self.varint().map_err(|e| e.within(segment))?;
        self.take(len, "a length-delimited field")
            .map_err(|e| e.within(segment))
    }

    /// Skips a field this walk does not read.
    pub(crate) fn skip(&mut self, tag: Tag) -> Result<(), WireError> {
        let segment = Segment::Unknown(tag.field);
        let result = match tag.wire {
            VARINT => self.varint().map(drop),
            I64 => self.take(8, "a 64-bit field").map(drop),
            LEN => self
                .varint()
                .and_then(|len| self.take(len, "a length-delimited field"))
                .map(drop),
            I32 => self.take(4, "a 32-bit field").map(drop),
            w @ (3 | 4) => Err(WireError::at(tag.at, WireProblem::Group(w))),
            w => Err(WireError::at(tag.at, WireProblem::InvalidWireType(w))),
        };
        result.map_err(|e| e.within(segment))
    }
}
