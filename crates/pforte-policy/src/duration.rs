//! Human-readable durations in policy files: `"90s"`, `"15m"`, `"24h"`, `"7d"`
//! or combinations such as `"1h30m"`.

use chrono::TimeDelta;

/// Parses a duration; `None` when the text is not one or overflows.
pub fn parse_duration(text: &str) -> Option<TimeDelta> {
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    let mut total = TimeDelta::zero();
    let mut number: Option<i64> = None;
    for character in text.chars() {
        if let Some(digit) = character
            .to_digit(10)
            .filter(|_| character.is_ascii_digit())
        {
            let value = number
                .unwrap_or(0)
                .checked_mul(10)?
                .checked_add(i64::from(digit))?;
            number = Some(value);
            continue;
        }
        let value = number.take()?;
        let part = match character {
            's' => TimeDelta::try_seconds(value)?,
            'm' => TimeDelta::try_minutes(value)?,
            'h' => TimeDelta::try_hours(value)?,
            'd' => TimeDelta::try_days(value)?,
            _ => return None,
        };
        total = total.checked_add(&part)?;
    }
    if number.is_some() {
        // A bare trailing number has no unit.
        return None;
    }
    Some(total)
}

/// Formats a duration the way [`parse_duration`] reads it (largest units first).
pub fn format_duration(duration: TimeDelta) -> String {
    let mut seconds = duration.num_seconds();
    if seconds == 0 {
        return "0s".into();
    }
    let mut text = String::new();
    for (unit, size) in [('d', 86_400), ('h', 3_600), ('m', 60), ('s', 1)] {
        if seconds >= size {
            text.push_str(&format!("{}{unit}", seconds / size));
            seconds %= size;
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse_with_units_and_combinations() {
        assert_eq!(parse_duration("24h"), Some(TimeDelta::hours(24)));
        assert_eq!(parse_duration("15m"), Some(TimeDelta::minutes(15)));
        assert_eq!(parse_duration(" 90s "), Some(TimeDelta::seconds(90)));
        assert_eq!(parse_duration("1d"), Some(TimeDelta::days(1)));
        assert_eq!(parse_duration("1h30m"), Some(TimeDelta::minutes(90)));
        assert_eq!(parse_duration("0s"), Some(TimeDelta::zero()));
    }

    #[test]
    fn malformed_durations_are_rejected() {
        for text in [
            "",
            "24",
            "h",
            "1x",
            "-5m",
            "1.5h",
            "1h 30m",
            "99999999999999999999s",
        ] {
            assert_eq!(parse_duration(text), None, "{text:?}");
        }
    }

    #[test]
    fn durations_format_back() {
        assert_eq!(format_duration(TimeDelta::hours(24)), "1d");
        assert_eq!(format_duration(TimeDelta::minutes(90)), "1h30m");
        assert_eq!(format_duration(TimeDelta::zero()), "0s");
    }
}
