//! Handles to cached objects that deserialized.

use kube::core::DeserializeGuard;

/// The objects of a guarded store that deserialized, as handles into the cache: the cluster
/// controller and the watch mappers walk every Task on each trigger, and copying thousands of Tasks
/// each time made that walk the operator's main cost.
pub fn well_formed<K: Clone>(store: &kube::runtime::reflector::Store<DeserializeGuard<K>>) -> Vec<WellFormed<K>>
where
    DeserializeGuard<K>: kube::Resource<DynamicType = ()> + Clone,
{
    store.state().into_iter().filter_map(WellFormed::new).collect()
}

/// A cached object known to have deserialized (only [`well_formed`] and [`WellFormed::new`] make one).
#[derive(Clone)]
pub struct WellFormed<K>(std::sync::Arc<DeserializeGuard<K>>);

impl<K> WellFormed<K> {
    /// The handle, if the object deserialized.
    pub fn new(guard: std::sync::Arc<DeserializeGuard<K>>) -> Option<Self> {
        guard.0.is_ok().then_some(Self(guard))
    }
}

// Lets the domain's functions over `&[impl Borrow<K>]` take cache handles without copying.
impl<K> std::borrow::Borrow<K> for WellFormed<K> {
    fn borrow(&self) -> &K {
        self
    }
}

impl<K> std::ops::Deref for WellFormed<K> {
    type Target = K;

    fn deref(&self) -> &K {
        match &self.0.0 {
            Ok(object) => object,
            Err(_) => unreachable!("well_formed keeps only objects that deserialized"),
        }
    }
}
