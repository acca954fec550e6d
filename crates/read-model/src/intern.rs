//! One shared copy of the strings that many cached objects repeat.
//!
//! Every kube-ecs Pod carries the same label and annotation keys, and the Pods of one task definition
//! the same values (the family, the revision, the task record of a few hundred bytes, the images, the
//! resource quantities). Held as `String`s, 10,000 Pods held 10,000 copies of each. An [`Interned`]
//! string is a reference to one copy.
//!
//! The table drops the strings no cached object holds any more when it has doubled since the last
//! sweep, so it holds the strings in use plus at most as many again: values unique to one object (a
//! task's name) cost their reference count and nothing more once the object is gone.

use std::collections::HashSet;
use std::sync::{Arc, LazyLock, Mutex};

/// A string shared by every cached object that holds the same value.
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Interned(Arc<str>);

/// Below this many strings the table is never swept.
const MIN_SWEEP_AT: usize = 1024;

struct Table {
    strings: HashSet<Arc<str>>,
    sweep_at: usize,
}

static TABLE: LazyLock<Mutex<Table>> =
    LazyLock::new(|| Mutex::new(Table { strings: HashSet::new(), sweep_at: MIN_SWEEP_AT }));

impl Interned {
    pub fn new(value: &str) -> Self {
        let mut table = TABLE.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(shared) = table.strings.get(value) {
            return Self(shared.clone());
        }
        if table.strings.len() >= table.sweep_at {
            // Held by the table alone: no cached object has the value any more.
            table.strings.retain(|s| Arc::strong_count(s) > 1);
            table.sweep_at = (table.strings.len() * 2).max(MIN_SWEEP_AT);
        }
        let shared: Arc<str> = Arc::from(value);
        table.strings.insert(shared.clone());
        Self(shared)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl From<String> for Interned {
    fn from(value: String) -> Self {
        Self::new(&value)
    }
}

impl std::ops::Deref for Interned {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl serde::Serialize for Interned {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> serde::Deserialize<'de> for Interned {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(Self::from)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_values_share_one_copy() {
        let (a, b) = (Interned::new("ecs.kube-ecs.dev/family"), Interned::from("ecs.kube-ecs.dev/family".to_string()));
        assert!(Arc::ptr_eq(&a.0, &b.0));
        assert_eq!(a.as_str(), "ecs.kube-ecs.dev/family");
    }

    #[test]
    fn values_no_object_holds_are_swept() {
        for i in 0..MIN_SWEEP_AT * 3 {
            drop(Interned::new(&format!("unique-{i}")));
        }
        let kept = Interned::new("kept");
        let table = TABLE.lock().expect("table");
        assert!(table.strings.len() <= table.sweep_at, "the table stays bounded: {}", table.strings.len());
        assert!(table.strings.contains(kept.as_str()));
    }
}
