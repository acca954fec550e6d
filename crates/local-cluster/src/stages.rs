//! kwok's configuration: the Stages that play kubelet for simulated nodes and their pods.

/// Node and pod lifecycles (see `kwok-stages.yaml` for what each stage does).
pub const KWOK_CONFIG: &str = include_str!("kwok-stages.yaml");
