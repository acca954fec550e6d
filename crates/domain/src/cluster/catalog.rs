//! EC2 instance types a simulated pool can be made of: vCPUs and memory as EC2 documents them.
//!
//! Registered resources follow ECS: 1024 CPU units per vCPU, and memory minus what the ECS agent and
//! the OS keep (ECS reserves a little; we reserve 6% with a 256 MiB floor, close to what a real
//! Amazon Linux 2 container instance registers).

/// One instance type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct InstanceType {
    pub name: &'static str,
    pub vcpus: u32,
    pub memory_mib: u64,
}

const fn t(name: &'static str, vcpus: u32, memory_gib_x4: u64) -> InstanceType {
    InstanceType { name, vcpus, memory_mib: memory_gib_x4 * 256 }
}

/// The catalog. Memory is given in quarter-GiB so t3.nano's 0.5 GiB fits.
pub const CATALOG: &[InstanceType] = &[
    t("t3.nano", 2, 2),
    t("t3.micro", 2, 4),
    t("t3.small", 2, 8),
    t("t3.medium", 2, 16),
    t("t3.large", 2, 32),
    t("t3.xlarge", 4, 64),
    t("t3.2xlarge", 8, 128),
    t("t3a.micro", 2, 4),
    t("t3a.small", 2, 8),
    t("t3a.medium", 2, 16),
    t("t3a.large", 2, 32),
    t("t4g.small", 2, 8),
    t("t4g.medium", 2, 16),
    t("m5.large", 2, 32),
    t("m5.xlarge", 4, 64),
    t("m5.2xlarge", 8, 128),
    t("m5.4xlarge", 16, 256),
    t("m6i.large", 2, 32),
    t("m6i.xlarge", 4, 64),
    t("m6i.2xlarge", 8, 128),
    t("m7g.large", 2, 32),
    t("m7g.xlarge", 4, 64),
    t("c5.large", 2, 16),
    t("c5.xlarge", 4, 32),
    t("c5.2xlarge", 8, 64),
    t("c5.4xlarge", 16, 128),
    t("c6i.large", 2, 16),
    t("c6i.xlarge", 4, 32),
    t("r5.large", 2, 64),
    t("r5.xlarge", 4, 128),
    t("r5.2xlarge", 8, 256),
    t("r6i.large", 2, 64),
];

pub fn lookup(name: &str) -> Option<InstanceType> {
    CATALOG.iter().copied().find(|t| t.name == name)
}

/// Names, for error messages.
pub fn names() -> String {
    CATALOG.iter().map(|t| t.name).collect::<Vec<_>>().join(", ")
}

impl InstanceType {
    /// CPU units ECS registers for it.
    pub fn cpu_units(&self) -> u64 {
        u64::from(self.vcpus) * 1024
    }

    /// Memory ECS registers for it (MiB): total minus the agent's and OS's share.
    pub fn registered_memory_mib(&self) -> u64 {
        let reserved = (self.memory_mib * 6 / 100).max(256).min(self.memory_mib / 2);
        self.memory_mib - reserved
    }

    /// Graviton types are arm64.
    pub fn architecture(&self) -> &'static str {
        let family = self.name.split('.').next().unwrap_or_default();
        if family.ends_with('g') || family.contains("g.") { "arm64" } else { "amd64" }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_types_have_ec2_sizes() {
        let cases = [("t3.micro", 2, 1024), ("t3.medium", 2, 4096), ("m5.4xlarge", 16, 65536), ("t3.nano", 2, 512)];
        for (name, vcpus, memory) in cases {
            let it = lookup(name).unwrap_or_else(|| panic!("{name} in catalog"));
            assert_eq!((it.vcpus, it.memory_mib), (vcpus, memory), "{name}");
        }
        assert!(lookup("x9.huge").is_none());
    }

    #[test]
    fn registered_resources_leave_room_for_the_agent() {
        let medium = lookup("t3.medium").expect("t3.medium");
        assert_eq!(medium.cpu_units(), 2048);
        assert_eq!(medium.registered_memory_mib(), 4096 - 256);
        let big = lookup("r5.2xlarge").expect("r5.2xlarge");
        assert_eq!(big.registered_memory_mib(), 65536 - 65536 * 6 / 100);
        assert_eq!(lookup("t3.nano").expect("nano").registered_memory_mib(), 256);
        assert_eq!(lookup("m7g.large").expect("m7g").architecture(), "arm64");
        assert_eq!(lookup("m5.large").expect("m5").architecture(), "amd64");
    }
}
