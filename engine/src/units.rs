//! Durations and sizes as scripts write them (docs/reference/api.md, Duration and Size).

use std::time::Duration;

/// Parses a duration: a number of seconds, or `<float><unit>` with unit ms/s/m/h/d. Apart
/// from `ms`, only the first letter of the unit counts, as in Pipy (where `'100ms'` is read as
/// 100 minutes: here it is 100 milliseconds).
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let t = s.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let n: f64 = num.parse().map_err(|_| format!("invalid duration: {s}"))?;
    let unit = unit.trim();
    if unit.eq_ignore_ascii_case("ms") {
        return Ok(Duration::from_secs_f64(n / 1000.0));
    }
    let mult = match unit.chars().next().map(|c| c.to_ascii_lowercase()) {
        None | Some('s') => 1.0,
        Some('m') => 60.0,
        Some('h') => 3600.0,
        Some('d') => 86400.0,
        _ => return Err(format!("invalid duration unit: {s}")),
    };
    Ok(Duration::from_secs_f64(n * mult))
}

/// Parses a size: bytes, or `<int>[k|m|g|t]` in binary multiples.
pub fn parse_size(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let n: u64 = num.parse().map_err(|_| format!("invalid size: {s}"))?;
    let shift = match unit.trim().chars().next().map(|c| c.to_ascii_lowercase()) {
        None => 0,
        Some('k') => 10,
        Some('m') => 20,
        Some('g') => 30,
        Some('t') => 40,
        _ => return Err(format!("invalid size unit: {s}")),
    };
    Ok(n << shift)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_follow_pipy_units_with_milliseconds_too() {
        assert_eq!(parse_duration("5s").unwrap(), Duration::from_secs(5));
        assert_eq!(parse_duration("1.5").unwrap(), Duration::from_millis(1500));
        assert_eq!(parse_duration("2m").unwrap(), Duration::from_secs(120));
        // 'ms' is milliseconds (Pipy reads '100ms' as 100 minutes: only the first unit letter
        // counts there, as it still does here for the other units: '5sec', '2min').
        assert_eq!(parse_duration("100ms").unwrap(), Duration::from_millis(100));
        assert_eq!(
            parse_duration("2.5 MS").unwrap(),
            Duration::from_micros(2500)
        );
        assert_eq!(parse_duration("5sec").unwrap(), Duration::from_secs(5));
        assert_eq!(parse_duration("2min").unwrap(), Duration::from_secs(120));
        assert!(parse_duration("fast").is_err());
    }

    #[test]
    fn sizes_are_binary_multiples() {
        assert_eq!(parse_size("16k").unwrap(), 16384);
        assert_eq!(parse_size("1m").unwrap(), 1 << 20);
        assert_eq!(parse_size("100").unwrap(), 100);
        assert!(parse_size("x").is_err());
    }
}
