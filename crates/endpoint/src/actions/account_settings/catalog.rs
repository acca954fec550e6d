//! ECS's account settings (pure): each name botocore's `SettingName` enum has, the values ECS
//! accepts for it, ECS's own default (what ListAccountSettings' `effectiveSettings` reports when no
//! one set it), who may set it, and what it does in kube-ecs.

use crate::error::EcsError;

/// One of ECS's account settings.
pub struct SettingSpec {
    pub name: &'static str,
    /// The values ECS accepts, in ECS's spelling.
    pub values: &'static [&'static str],
    /// ECS's default for an account nobody changed (AWS's current defaults).
    pub default: &'static str,
    /// Only the account default (the root user) may carry it: ECS's rule for the Fargate wait time.
    pub root_only: bool,
    /// Set by another service, never through PutAccountSetting (GuardDuty's runtime monitoring).
    pub read_only: bool,
}

const ON_OFF: &[&str] = &["enabled", "disabled"];

/// Every setting of botocore's `SettingName` enum, in its order (ListAccountSettings lists them so).
pub const SETTINGS: &[SettingSpec] = &[
    spec("serviceLongArnFormat", ON_OFF, "enabled"),
    spec("taskLongArnFormat", ON_OFF, "enabled"),
    spec("containerInstanceLongArnFormat", ON_OFF, "enabled"),
    spec("awsvpcTrunking", ON_OFF, "disabled"),
    spec("containerInsights", &["enabled", "disabled", "enhanced"], "disabled"),
    spec("fargateFIPSMode", ON_OFF, "disabled"),
    spec("tagResourceAuthorization", &["on", "off"], "on"),
    SettingSpec {
        name: "fargateTaskRetirementWaitPeriod",
        values: &["0", "7", "14"],
        default: "7",
        root_only: true,
        read_only: false,
    },
    SettingSpec {
        name: "guardDutyActivate",
        values: &["on", "off"],
        default: "off",
        root_only: false,
        read_only: true,
    },
    // ECS's default since June 2025.
    spec("defaultLogDriverMode", &["blocking", "non-blocking"], "non-blocking"),
    spec("fargateEventWindows", ON_OFF, "disabled"),
];

const fn spec(name: &'static str, values: &'static [&'static str], default: &'static str) -> SettingSpec {
    SettingSpec { name, values, default, root_only: false, read_only: false }
}

/// The setting named `name` (the model check has already refused names outside the enum; a name
/// it does not know is still refused here, in case the model grows before this table does).
pub fn setting(name: &str) -> Result<&'static SettingSpec, EcsError> {
    SETTINGS.iter().find(|s| s.name == name).ok_or_else(|| {
        let names: Vec<&str> = SETTINGS.iter().map(|s| s.name).collect();
        EcsError::invalid_parameter(format!("{name} should be one of [{}]", names.join(",")))
    })
}

/// Checks a value someone puts for `name`; `for_root` when it is the account default.
pub fn check_put(name: &str, value: &str, for_root: bool) -> Result<&'static SettingSpec, EcsError> {
    let spec = setting(name)?;
    if spec.read_only {
        return Err(EcsError::invalid_parameter(format!(
            "The {name} account setting is read-only: Amazon GuardDuty manages it (and kube-ecs has no GuardDuty)."
        )));
    }
    if spec.root_only && !for_root {
        return Err(EcsError::invalid_parameter(format!(
            "The {name} account setting can only be set for the root user: use PutAccountSettingDefault or \
             principalArn arn:aws:iam::<account>:root."
        )));
    }
    if !spec.values.contains(&value) {
        return Err(EcsError::invalid_parameter(format!(
            "{value} is not a valid value for the account setting {name}. Valid values: {}.",
            spec.values.join(", ")
        )));
    }
    Ok(spec)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_is_botocores_enum() {
        let names: Vec<&str> = SETTINGS.iter().map(|s| s.name).collect();
        assert_eq!(names, kube_ecs_wire::SETTING_NAME);
        for s in SETTINGS {
            assert!(s.values.contains(&s.default), "{} defaults to a value it accepts", s.name);
        }
    }

    #[test]
    fn puts_are_checked() {
        let cases: &[(&str, &str, bool, Result<(), &str>)] = &[
            ("containerInsights", "enhanced", false, Ok(())),
            (
                "containerInsights",
                "on",
                false,
                Err(
                    "on is not a valid value for the account setting containerInsights. Valid values: enabled, disabled, enhanced.",
                ),
            ),
            ("serviceLongArnFormat", "disabled", false, Ok(())),
            (
                "tagResourceAuthorization",
                "enabled",
                false,
                Err(
                    "enabled is not a valid value for the account setting tagResourceAuthorization. Valid values: on, off.",
                ),
            ),
            ("fargateTaskRetirementWaitPeriod", "14", true, Ok(())),
            (
                "fargateTaskRetirementWaitPeriod",
                "14",
                false,
                Err(
                    "The fargateTaskRetirementWaitPeriod account setting can only be set for the root user: use PutAccountSettingDefault or principalArn arn:aws:iam::<account>:root.",
                ),
            ),
            (
                "fargateTaskRetirementWaitPeriod",
                "3",
                true,
                Err(
                    "3 is not a valid value for the account setting fargateTaskRetirementWaitPeriod. Valid values: 0, 7, 14.",
                ),
            ),
            (
                "guardDutyActivate",
                "on",
                true,
                Err(
                    "The guardDutyActivate account setting is read-only: Amazon GuardDuty manages it (and kube-ecs has no GuardDuty).",
                ),
            ),
            ("defaultLogDriverMode", "blocking", false, Ok(())),
            (
                "dualStackIPv6",
                "enabled",
                false,
                Err(
                    "dualStackIPv6 should be one of [serviceLongArnFormat,taskLongArnFormat,containerInstanceLongArnFormat,awsvpcTrunking,containerInsights,fargateFIPSMode,tagResourceAuthorization,fargateTaskRetirementWaitPeriod,guardDutyActivate,defaultLogDriverMode,fargateEventWindows]",
                ),
            ),
        ];
        for (name, value, root, want) in cases {
            let got = check_put(name, value, *root).map(drop).map_err(|e| e.message);
            assert_eq!(got, want.map_err(String::from), "{name}={value} root={root}");
        }
    }
}
