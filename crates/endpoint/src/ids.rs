//! Identifiers ECS clients expect: 32 lowercase hex digits for task IDs, UUIDs for request IDs.

/// `n` random bytes from the operating system.
fn random<const N: usize>() -> [u8; N] {
    let mut bytes = [0u8; N];
    // The OS generator only fails on a broken system; a clock-derived fallback still keeps IDs apart.
    if getrandom::fill(&mut bytes).is_err() {
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default().as_nanos();
        for (i, b) in bytes.iter_mut().enumerate() {
            *b = (nanos >> ((i % 16) * 8)) as u8 ^ (i as u8);
        }
    }
    bytes
}

/// A task ID as ECS makes them: 32 hex digits (also a valid Kubernetes object name).
pub fn task_id() -> String {
    hex::encode(random::<16>())
}

/// A request ID (`x-amzn-RequestId`), UUID-shaped as AWS's.
pub fn request_id() -> String {
    let h = hex::encode(random::<16>());
    format!("{}-{}-{}-{}-{}", &h[..8], &h[8..12], &h[12..16], &h[16..20], &h[20..])
}

#[cfg(test)]
mod tests {
    #[test]
    fn shapes() {
        let id = super::task_id();
        assert_eq!(id.len(), 32);
        assert!(id.bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()));
        assert_ne!(super::task_id(), id);
        assert_eq!(super::request_id().len(), 36);
    }
}
