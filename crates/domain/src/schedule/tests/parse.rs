//! Expressions EventBridge accepts and refuses, with the messages we give.

use pretty_assertions::assert_eq;

use super::super::{Expression, Rate, RateUnit, time_zone};

#[test]
fn valid_expressions_parse() {
    let valid = [
        // The examples of EventBridge's cron reference and the Scheduler guide.
        "cron(0 10 * * ? *)",
        "cron(15 12 * * ? *)",
        "cron(0 18 ? * MON-FRI *)",
        "cron(0 8 1 * ? *)",
        "cron(0/15 * * * ? *)",
        "cron(0/10 * ? * MON-FRI *)",
        "cron(0/5 8-17 ? * MON-FRI *)",
        "cron(0 9 ? * 2#1 *)",
        "cron(0 0 L * ? *)",
        "cron(0 0 15W * ? *)",
        "cron(0 18 ? * 6L *)",
        "cron(0 8 ? * L *)",
        "cron(*/5 * * * ? *)",
        "cron(0 12 * jan,Feb ? 2025-2030)",
        "cron(0 12 * JUL ? *)",
        "cron(0 12 1-7,15 JAN-MAR,DEC ? 2024/4)",
        "cron(0  10  *  *  ?  *)",
        "rate(1 minute)",
        "rate(5 minutes)",
        "rate(1 hour)",
        "rate(12 hours)",
        "rate(1 day)",
        "rate(7 days)",
        "at(2025-06-01T09:00:00)",
        "at(2024-02-29T23:59:59)",
    ];
    let refused: Vec<(&str, String)> =
        valid.iter().filter_map(|text| Expression::parse(text).err().map(|error| (*text, error))).collect();
    assert_eq!(refused, vec![]);
}

#[test]
fn rate_values_and_units() {
    let rows = [
        ("rate(1 minute)", 1, RateUnit::Minutes, 60),
        ("rate(15 minutes)", 15, RateUnit::Minutes, 900),
        ("rate(2 hours)", 2, RateUnit::Hours, 7_200),
        ("rate(1 day)", 1, RateUnit::Days, 86_400),
    ];
    for (text, value, unit, seconds) in rows {
        let Ok(Expression::Rate(rate)) = Expression::parse(text) else {
            panic!("{text} is not a rate");
        };
        assert_eq!((rate, rate.interval().as_secs()), (Rate { value, unit }, seconds), "{text}");
    }
}

#[test]
fn invalid_expressions_say_why() {
    let rows = [
        ("", "The expression is empty; use cron(...), rate(...) or at(...)."),
        ("every 5 minutes", "'every 5 minutes' is not cron(...), rate(...) or at(...)."),
        ("CRON(0 10 * * ? *)", "'CRON(0 10 * * ? *)' is not cron(...), rate(...) or at(...)."),
        ("cron(0 10 * * ? *", "'cron(0 10 * * ? *' has no closing parenthesis."),
        // cron: shape and the day-field rule.
        (
            "cron(0 10 * * ?)",
            "cron(0 10 * * ?) has 5 fields; it needs six: minutes hours day-of-month month \
             day-of-week year.",
        ),
        (
            "cron(0 10 * * * * *)",
            "cron(0 10 * * * * *) has 7 fields; it needs six: minutes hours day-of-month month \
             day-of-week year.",
        ),
        ("cron(0 10 * * * *)", "Day-of-month '*' and day-of-week '*' cannot both be given; use '?' in one of them."),
        (
            "cron(0 10 1 * MON *)",
            "Day-of-month '1' and day-of-week 'MON' cannot both be given; use '?' in one of them.",
        ),
        ("cron(0 10 ? * ? *)", "Day-of-month and day-of-week cannot both be '?'; one of them chooses the days."),
        // cron: values and ranges.
        ("cron(60 10 * * ? *)", "'60' is not valid in the minutes field (0-59)."),
        ("cron(x * * * ? *)", "'x' is not valid in the minutes field (0-59)."),
        ("cron(0 24 * * ? *)", "'24' is not valid in the hours field (0-23)."),
        ("cron(0 9 32 * ? *)", "'32' is not valid in the day-of-month field (1-31)."),
        ("cron(0 9 0 * ? *)", "'0' is not valid in the day-of-month field (1-31)."),
        ("cron(0 10 * 13 ? *)", "'13' is not valid in the month field (1-12 or JAN-DEC)."),
        ("cron(0 10 * JANUARY ? *)", "'JANUARY' is not valid in the month field (1-12 or JAN-DEC)."),
        // Unix cron's Sunday is 0; EventBridge's is 1.
        ("cron(0 10 ? * 0 *)", "'0' is not valid in the day-of-week field (1-7 or SUN-SAT)."),
        ("cron(0 10 ? * 1-8 *)", "'8' is not valid in the day-of-week field (1-7 or SUN-SAT)."),
        ("cron(0 10 * * ? 1969)", "'1969' is not valid in the year field (1970-2199)."),
        ("cron(0 10 * * ? 2200)", "'2200' is not valid in the year field (1970-2199)."),
        ("cron(0 10 * * ? 20255)", "'20255' is not valid in the year field (1970-2199)."),
        (
            "cron(0 10 ? * FRI-MON *)",
            "The day-of-week field's range 'FRI-MON' runs backwards; write it from the lower value.",
        ),
        ("cron(0 22-2 * * ? *)", "The hours field's range '22-2' runs backwards; write it from the lower value."),
        ("cron(0/0 * * * ? *)", "The minutes field's increment in '0/0' must be a whole number of 1 or more."),
        ("cron(*/x * * * ? *)", "The minutes field's increment in '*/x' must be a whole number of 1 or more."),
        ("cron(0,,5 * * * ? *)", "The minutes field '0,,5' has an empty list item."),
        ("cron(0 10 ? * MON/2 *)", "The day-of-week field does not take '/' (in 'MON/2')."),
        // cron: special characters in the wrong field or the wrong shape.
        ("cron(0 ? * * ? *)", "The hours field does not take '?' (in '?'); it takes 0-23 with , - * /."),
        ("cron(0 10 * * ? L)", "The year field does not take 'L' (in 'L'); it takes 1970-2199 with , - * /."),
        ("cron(0 10 * ? ? *)", "The month field does not take '?' (in '?'); it takes 1-12 or JAN-DEC with , - * /."),
        (
            "cron(0 9 ? * 2#1,6#3 *)",
            "'#' stands alone in day-of-week: one day and its instance, as in 2#1 (AWS: \"3#1,6#3\" \
             is two expressions), not '2#1,6#3'.",
        ),
        ("cron(0 9 ? * 2#6 *)", "The instance after '#' in '2#6' must be 1-5."),
        ("cron(0 9 ? * 2#01 *)", "The instance after '#' in '2#01' must be 1-5."),
        ("cron(0 9 ? * 8#1 *)", "'8' is not valid in the day-of-week field (1-7 or SUN-SAT)."),
        ("cron(0 9 2#1 * ? *)", "'#' belongs in day-of-week, not day-of-month ('2#1')."),
        ("cron(0 9 ? * 15W *)", "'W' belongs in day-of-month, not day-of-week ('15W')."),
        ("cron(0 9 1-5W * ? *)", "'W' takes a single day, as in 15W, not '1-5W'."),
        ("cron(0 9 32W * ? *)", "'32' is not valid in the day-of-month field (1-31)."),
        ("cron(0 9 LW * ? *)", "LW is not one of EventBridge's day-of-month forms; use L or a day with W (15W)."),
        ("cron(0 9 L-3 * ? *)", "'L' and 'W' stand alone in day-of-month (L, 15W), not in 'L-3'."),
        ("cron(0 9 ? * 2-6L *)", "'L' after a day takes a single day, as in 6L, not '2-6L'."),
        ("cron(0 9 ? * L,2 *)", "'L' stands alone in day-of-week (L, 6L), not in 'L,2'."),
        // rate
        ("rate(5)", "rate(5) needs two fields, a value and a unit, as in rate(5 minutes)."),
        ("rate()", "rate() needs two fields, a value and a unit, as in rate(5 minutes)."),
        ("rate(0 minutes)", "The value '0' in rate(0 minutes) must be a positive whole number."),
        ("rate(-5 minutes)", "The value '-5' in rate(-5 minutes) must be a positive whole number."),
        ("rate(+5 minutes)", "The value '+5' in rate(+5 minutes) must be a positive whole number."),
        ("rate(1.5 hours)", "The value '1.5' in rate(1.5 hours) must be a positive whole number."),
        ("rate(1 minutes)", "rate(1 minutes) takes the singular unit for 1: rate(1 minute)."),
        ("rate(1 days)", "rate(1 days) takes the singular unit for 1: rate(1 day)."),
        ("rate(5 minute)", "rate(5 minute) takes the plural unit above 1: rate(5 minutes)."),
        ("rate(2 hour)", "rate(2 hour) takes the plural unit above 1: rate(2 hours)."),
        (
            "rate(30 seconds)",
            "The unit 'seconds' in rate(30 seconds) must be minute, minutes, hour, hours, day or \
             days.",
        ),
        ("rate(2 weeks)", "The unit 'weeks' in rate(2 weeks) must be minute, minutes, hour, hours, day or days."),
        // at
        ("at(2025-06-01 09:00:00)", "at(2025-06-01 09:00:00) must be at(yyyy-mm-ddThh:mm:ss)."),
        ("at(2025-06-01T09:00:00Z)", "at(2025-06-01T09:00:00Z) must be at(yyyy-mm-ddThh:mm:ss)."),
        ("at(2025-06-01T09:00)", "at(2025-06-01T09:00) must be at(yyyy-mm-ddThh:mm:ss)."),
        ("at(2025-06-01)", "at(2025-06-01) must be at(yyyy-mm-ddThh:mm:ss)."),
        ("at(2025-02-30T09:00:00)", "at(2025-02-30T09:00:00) is not a real date and time."),
        ("at(2025-02-29T09:00:00)", "at(2025-02-29T09:00:00) is not a real date and time."),
        ("at(2025-06-01T24:00:00)", "at(2025-06-01T24:00:00) is not a real date and time."),
    ];
    let got: Vec<(&str, String)> = rows
        .iter()
        .map(|(text, _)| (*text, Expression::parse(text).err().unwrap_or_else(|| "accepted".into())))
        .collect();
    let want: Vec<(&str, String)> = rows
        .iter()
        .map(|(text, reason)| (*text, format!("Parameter ScheduleExpression is not valid. {reason}")))
        .collect();
    assert_eq!(got, want);
}

#[test]
fn time_zone_names() {
    assert_eq!(time_zone(None).map(|tz| tz.iana_name().map(str::to_string)), Ok(Some("UTC".into())));
    assert_eq!(time_zone(Some("")).map(|tz| tz.iana_name().map(str::to_string)), Ok(Some("UTC".into())));
    assert_eq!(
        time_zone(Some("Mars/Olympus_Mons")).err(),
        Some(
            "Parameter ScheduleExpressionTimezone is not valid. 'Mars/Olympus_Mons' is not an \
             IANA time zone name such as America/New_York or UTC."
                .to_string()
        )
    );
}
