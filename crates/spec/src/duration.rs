//! The OpenSLO duration shorthand: a positive integer and a one-letter,
//! case-sensitive unit (`5m`, `28d`, `1Q`).
//!
//! Parsing and printing only; which units a given property accepts (fixed
//! lengths for rolling windows, calendar units for calendar windows) is
//! decided by the decoders, not here.

use std::fmt;

#[cfg(test)]
mod tests;

/// A duration unit of the shorthand.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DurationUnit {
    /// `m`
    Minute,
    /// `h`
    Hour,
    /// `d`
    Day,
    /// `w`
    Week,
    /// `M` (calendar month)
    Month,
    /// `Q` (calendar quarter)
    Quarter,
    /// `Y` (calendar year)
    Year,
}

impl DurationUnit {
    /// The shorthand letter.
    pub fn letter(self) -> char {
        match self {
            DurationUnit::Minute => 'm',
            DurationUnit::Hour => 'h',
            DurationUnit::Day => 'd',
            DurationUnit::Week => 'w',
            DurationUnit::Month => 'M',
            DurationUnit::Quarter => 'Q',
            DurationUnit::Year => 'Y',
        }
    }

    fn from_letter(c: char) -> Option<DurationUnit> {
        Some(match c {
            'm' => DurationUnit::Minute,
            'h' => DurationUnit::Hour,
            'd' => DurationUnit::Day,
            'w' => DurationUnit::Week,
            'M' => DurationUnit::Month,
            'Q' => DurationUnit::Quarter,
            'Y' => DurationUnit::Year,
            _ => return None,
        })
    }

    /// Minutes in one unit, for the fixed-length units `m h d w`.
    pub fn minutes(self) -> Option<i64> {
        match self {
            DurationUnit::Minute => Some(1),
            DurationUnit::Hour => Some(60),
            DurationUnit::Day => Some(1_440),
            DurationUnit::Week => Some(10_080),
            DurationUnit::Month | DurationUnit::Quarter | DurationUnit::Year => None,
        }
    }
}

/// `<positive int><unit>`, e.g. `28d`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct DurationShorthand {
    /// How many units; at least 1.
    pub value: u32,
    /// Which unit.
    pub unit: DurationUnit,
}

impl DurationShorthand {
    /// Parses `28d`; the error says what was expected.
    pub fn parse(text: &str) -> Result<DurationShorthand, String> {
        let expected =
            || format!("expected a duration like 5m, 1h, 28d, 4w, 1M, 1Q or 1Y, got {text:?}");
        let Some(unit_char) = text.chars().last() else {
            return Err(expected());
        };
        let digits = &text[..text.len() - unit_char.len_utf8()];
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(expected());
        }
        if unit_char.is_ascii_digit() {
            return Err(format!(
                "expected a duration with a unit, like 5m, 1h, 28d, 4w, 1M, 1Q or 1Y, got {text:?}"
            ));
        }
        let Some(unit) = DurationUnit::from_letter(unit_char) else {
            return Err(format!(
                "unknown duration unit {unit_char:?} in {text:?}; expected one of m, h, d, w, M, Q, Y"
            ));
        };
        let value: u32 = digits
            .parse()
            .map_err(|_| format!("duration {text:?} is too large"))?;
        if value == 0 {
            return Err(format!("expected a positive duration, got {text:?}"));
        }
        Ok(DurationShorthand { value, unit })
    }

    /// Length in minutes for `m h d w`; `None` for calendar units (`M Q Y`),
    /// whose length depends on where they fall.
    pub fn minutes(&self) -> Option<i64> {
        self.unit.minutes().map(|m| m * i64::from(self.value))
    }
}

impl fmt::Display for DurationShorthand {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}", self.value, self.unit.letter())
    }
}
