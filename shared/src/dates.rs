//! Dates as the blog writes them: "September 19th, 2018" for readers, fixed-width UTC for keys.

use std::fmt;

use time::format_description::well_known::{Rfc2822, Rfc3339};
use time::macros::format_description;
use time::{OffsetDateTime, PrimitiveDateTime, UtcOffset};

/// Fixed-width UTC, `2018-09-19T00:00:00Z`: its text order is time order, so it can lead a key.
pub fn sortable(when: OffsetDateTime) -> String {
    let utc = when.to_offset(UtcOffset::UTC);
    utc.format(format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second]Z"
    ))
    .expect("a four-digit year always formats")
}

/// Reads back what [`sortable`] wrote.
pub fn parse_sortable(text: &str) -> Option<OffsetDateTime> {
    let format = format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]Z");
    PrimitiveDateTime::parse(text, format)
        .ok()
        .map(PrimitiveDateTime::assume_utc)
}

/// RFC 3339, as in feeds and JSON.
pub fn rfc3339(when: OffsetDateTime) -> String {
    Rfc3339Time(when).to_string()
}

/// A time as [`rfc3339`] writes it, written where it is wanted (a page being rendered) rather
/// than into a string of its own.
#[derive(Debug, Clone, Copy)]
pub struct Rfc3339Time(pub OffsetDateTime);

impl fmt::Display for Rfc3339Time {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The longest RFC 3339 time `time` writes: `2018-09-19T00:00:00.123456789+01:00`.
        let mut buffer = [0u8; 40];
        let mut cursor = std::io::Cursor::new(&mut buffer[..]);
        match self.0.format_into(&mut cursor, &Rfc3339) {
            // The cursor's position, not the count answered, which falls short of what a
            // fraction of a second wrote (time 0.3.55).
            Ok(_) => {
                let written = usize::try_from(cursor.position()).map_err(|_| fmt::Error)?;
                let text = std::str::from_utf8(&buffer[..written]).map_err(|_| fmt::Error)?;
                f.write_str(text)
            }
            // What RFC 3339 cannot write (an offset with seconds): the sortable UTC form.
            Err(_) => f.write_str(&sortable(self.0)),
        }
    }
}

/// RFC 2822, as RSS 2.0 wants its dates.
pub fn rfc2822(when: OffsetDateTime) -> String {
    when.format(&Rfc2822).unwrap_or_else(|_| sortable(when))
}

/// The date a reader sees, in the author's own time zone: `September 19th, 2018`.
pub fn long_date(when: OffsetDateTime) -> String {
    LongDate(when).to_string()
}

/// The date as [`long_date`] writes it, written where it is wanted.
#[derive(Debug, Clone, Copy)]
pub struct LongDate(pub OffsetDateTime);

impl fmt::Display for LongDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let day = self.0.day();
        write!(
            f,
            "{} {day}{}, {}",
            self.0.month(),
            ordinal_suffix(day.into()),
            self.0.year()
        )
    }
}

/// The English ordinal suffix: 1st, 2nd, 3rd, 4th … 11th, 12th, 13th … 21st, 22nd, 23rd.
pub fn ordinal_suffix(n: u32) -> &'static str {
    match (n % 10, n % 100) {
        (_, 11..=13) => "th",
        (1, _) => "st",
        (2, _) => "nd",
        (3, _) => "rd",
        _ => "th",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn ordinals_follow_english() {
        let expected = [
            (1, "st"),
            (2, "nd"),
            (3, "rd"),
            (4, "th"),
            (10, "th"),
            (11, "th"),
            (12, "th"),
            (13, "th"),
            (14, "th"),
            (20, "th"),
            (21, "st"),
            (22, "nd"),
            (23, "rd"),
            (24, "th"),
            (30, "th"),
            (31, "st"),
        ];
        for (n, suffix) in expected {
            assert_eq!(ordinal_suffix(n), suffix, "{n}");
        }
    }

    #[test]
    fn the_date_line_reads_like_the_seed() {
        // The whole line, with its linked authors, is the templates' and is checked on the
        // rendered pages (tests/tests/e2e/pages.rs, the seed golden test).
        for (when, line) in [
            (datetime!(2018-09-19 0:00 UTC), "September 19th, 2018"),
            (datetime!(2017-12-07 0:00 UTC), "December 7th, 2017"),
            (datetime!(2016-08-22 0:00 UTC), "August 22nd, 2016"),
            (datetime!(2016-08-13 0:00 UTC), "August 13th, 2016"),
        ] {
            assert_eq!(long_date(when), line);
        }
    }

    #[test]
    fn rfc3339_times_are_written_as_the_time_crate_formats_them() {
        for when in [
            datetime!(2018-09-19 0:00 UTC),
            datetime!(2018-09-19 23:30:05.123456789 -5),
            datetime!(0001-01-01 0:00 +14),
            datetime!(9999-12-31 23:59:59.999999999 -23:59),
        ] {
            assert_eq!(rfc3339(when), when.format(&Rfc3339).unwrap());
        }
        // An offset RFC 3339 cannot write (with seconds): the sortable UTC form stands in.
        let odd = datetime!(2018-09-19 0:00 +01:00:30);
        assert!(odd.format(&Rfc3339).is_err());
        assert_eq!(rfc3339(odd), "2018-09-18T22:59:30Z");
    }

    #[test]
    fn the_reader_sees_the_authors_own_date_while_keys_use_utc() {
        let late_evening = datetime!(2018-09-19 23:30 -5);
        assert_eq!(long_date(late_evening), "September 19th, 2018");
        assert_eq!(sortable(late_evening), "2018-09-20T04:30:00Z");
        assert_eq!(parse_sortable(&sortable(late_evening)), Some(late_evening));
    }
}
