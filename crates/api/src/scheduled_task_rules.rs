//! Apply-time rules of the ScheduledTask kind (rules.rs holds the other kinds'): what CEL can check
//! of EventBridge Scheduler's input, worded after Scheduler's own messages. The expression's form
//! is checked here; its fields (cron's ranges, the one `?`, a real time zone) by the controller with
//! `kube_ecs_domain::schedule`, which reports them in the Valid condition and an Event.
//!
//! CEL regexes avoid backslashes (`[(]` rather than `\(`): the pattern passes through Rust, JSON and
//! a CEL string literal, and a class reads the same in all three.

use serde_json::{Value, json};

use crate::rules::{placement, reference, rule, set};
use crate::scheduled_task::MAX_TASK_COUNT;

/// The three forms, their shape only: six space-separated cron fields, a positive whole rate with
/// its unit, a wall-clock `at` time to the second.
const EXPRESSION_FORMS: &str = concat!(
    "^(cron[(][^ ]+( +[^ ]+){5}[)]",
    "|rate[(][1-9][0-9]* (minute|minutes|hour|hours|day|days)[)]",
    "|at[(][0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}[)])$"
);

pub(crate) fn scheduled_task(root: &mut Value) {
    set(root, "spec.scheduleName", "maxLength", json!(64));
    set(root, "spec.scheduleName", "pattern", json!("^[0-9a-zA-Z._-]{1,64}$"));
    set(root, "spec.scheduleExpression", "maxLength", json!(256));
    rule(
        root,
        "spec.scheduleExpression",
        &format!("self.matches('{EXPRESSION_FORMS}')"),
        "Parameter ScheduleExpression is not valid: use cron(minutes hours day-of-month month day-of-week year), \
         rate(value unit) or at(yyyy-mm-ddThh:mm:ss)",
    );
    rule(
        root,
        "spec.scheduleExpression",
        "!self.matches('^rate[(]1 (minutes|hours|days)[)]$') && !self.matches('^rate[(]([2-9]|[1-9][0-9]+) (minute|hour|day)[)]$')",
        "Parameter ScheduleExpression is not valid: rate takes minute, hour or day for a value of 1 and minutes, \
         hours or days above",
    );
    set(root, "spec.scheduleExpressionTimezone", "maxLength", json!(50));
    set(root, "spec.description", "maxLength", json!(512));
    rule(
        root,
        "spec",
        "!has(self.startDate) || !has(self.endDate) || self.endDate > self.startDate",
        "The EndDate you specify must be after the StartDate.",
    );
    rule(
        root,
        "spec.flexibleTimeWindow",
        "self.mode != 'FLEXIBLE' || has(self.maximumWindowInMinutes)",
        "flexibleTimeWindow: MaximumWindowInMinutes is required when the mode is FLEXIBLE.",
    );
    rule(
        root,
        "spec.flexibleTimeWindow",
        "self.mode != 'OFF' || !has(self.maximumWindowInMinutes)",
        "flexibleTimeWindow: MaximumWindowInMinutes must not be set when the mode is OFF.",
    );
    set(root, "spec.flexibleTimeWindow.maximumWindowInMinutes", "minimum", json!(1));
    set(root, "spec.flexibleTimeWindow.maximumWindowInMinutes", "maximum", json!(1440));
    set(root, "spec.retryPolicy.maximumEventAgeInSeconds", "minimum", json!(60));
    set(root, "spec.retryPolicy.maximumEventAgeInSeconds", "maximum", json!(86400));
    set(root, "spec.retryPolicy.maximumRetryAttempts", "minimum", json!(0));
    set(root, "spec.retryPolicy.maximumRetryAttempts", "maximum", json!(185));

    reference(root, "spec.target.taskDefinition");
    set(root, "spec.target.taskCount", "minimum", json!(1));
    set(root, "spec.target.taskCount", "maximum", json!(MAX_TASK_COUNT));
    set(root, "spec.target.group", "maxLength", json!(255));
    set(root, "spec.target.tags", "maxItems", json!(50));
    placement(root, "spec.target");
    rule(
        root,
        "spec.target",
        "!has(self.launchType) || !has(self.capacityProviderStrategy)",
        "target: specify launchType or capacityProviderStrategy, not both",
    );
    set(root, "spec.target.overrides.containerOverrides", "maxItems", json!(10));
    rule(
        root,
        "spec.target.overrides.containerOverrides[]",
        "!has(self.memory) || self.memory >= 6",
        "containerOverrides.memory: at least 6 MiB",
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What the forms regex accepts is checked against the API server (tests/scheduled_tasks.rs);
    /// here only what the module comment promises of its text.
    #[test]
    fn forms_regex_is_anchored_and_backslash_free() {
        assert!(EXPRESSION_FORMS.starts_with('^') && EXPRESSION_FORMS.ends_with('$'));
        assert!(!EXPRESSION_FORMS.contains('\\'));
    }
}
