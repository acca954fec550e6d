//! A secondary index of one cache: key -> the objects with that key.
//!
//! The controllers' watch mappers and the cluster controller look objects up by cluster, node,
//! namespace, service or family on every trigger; scanning the whole store each time made those
//! lookups cost as much as the store is large. The feed updates an index from the same watch events
//! that update its store (see [`Index::observe`]), before subscribers are told of the change.
//!
//! Lookups resolve the references against the store and keep only the objects that still have the
//! key: the store is updated a moment before the index, so in between a lookup may miss an object
//! that just gained the key, but never returns one that lost it.

use std::collections::{HashMap, HashSet};
use std::hash::Hash;
use std::sync::{Arc, RwLock};

use kube::Resource;
use kube::runtime::reflector::{ObjectRef, Store};
use kube::runtime::watcher;

/// The keys an object is indexed under (none: not indexed).
pub type KeysOf<K, Q> = Box<dyn Fn(&K) -> Vec<Q> + Send + Sync>;

/// Key -> set of objects, and object -> keys so an update that changes an object's keys moves it.
pub struct Index<K: Resource<DynamicType = ()>, Q> {
    keys_of: KeysOf<K, Q>,
    state: RwLock<State<K, Q>>,
}

struct State<K: Resource<DynamicType = ()>, Q> {
    live: Entries<K, Q>,
    /// Filled during a relist, replacing `live` when the relist is done (as the store does).
    relist: Option<Entries<K, Q>>,
}

/// One reference per object, shared by both maps (an index holds one entry per cached object).
struct Entries<K: Resource<DynamicType = ()>, Q> {
    by_key: HashMap<Q, HashSet<Arc<ObjectRef<K>>>>,
    keys: HashMap<Arc<ObjectRef<K>>, Vec<Q>>,
}

impl<K: Resource<DynamicType = ()>, Q> Default for Entries<K, Q> {
    fn default() -> Self {
        Self { by_key: HashMap::new(), keys: HashMap::new() }
    }
}

impl<K: Resource<DynamicType = ()>, Q: Eq + Hash + Clone> Entries<K, Q> {
    fn remove(&mut self, object: &ObjectRef<K>) {
        for key in self.keys.remove(object).unwrap_or_default() {
            if let Some(set) = self.by_key.get_mut(&key) {
                set.remove(object);
                // Keys of objects that went (nodes, namespaces) must not accumulate.
                if set.is_empty() {
                    self.by_key.remove(&key);
                }
            }
        }
    }

    fn upsert(&mut self, object: &Arc<ObjectRef<K>>, keys: Vec<Q>) {
        self.remove(object);
        if keys.is_empty() {
            return;
        }
        for key in &keys {
            self.by_key.entry(key.clone()).or_default().insert(object.clone());
        }
        self.keys.insert(object.clone(), keys);
    }
}

/// The reference an object is indexed by: name and namespace only (the uid and resourceVersion
/// would only take memory; references compare without them).
fn reference<K: Resource<DynamicType = ()>>(object: &K) -> ObjectRef<K> {
    let mut reference = ObjectRef::from_obj(object);
    reference.extra = Default::default();
    reference
}

/// The reference of the object `event` is about (none for the relist markers), for
/// [`Index::observe_shared`].
pub fn reference_of<K: Resource<DynamicType = ()>>(event: &watcher::Event<K>) -> Option<Arc<ObjectRef<K>>> {
    match event {
        watcher::Event::Apply(o) | watcher::Event::Delete(o) | watcher::Event::InitApply(o) => {
            Some(Arc::new(reference(o)))
        }
        watcher::Event::Init | watcher::Event::InitDone => None,
    }
}

impl<K: Resource<DynamicType = ()>, Q: Eq + Hash + Clone> Index<K, Q> {
    pub fn new(keys_of: impl Fn(&K) -> Vec<Q> + Send + Sync + 'static) -> Self {
        Self { keys_of: Box::new(keys_of), state: RwLock::new(State { live: Entries::default(), relist: None }) }
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, State<K, Q>> {
        self.state.write().unwrap_or_else(|p| p.into_inner())
    }

    /// Updates the index from one watch event, the way the reflector updates the store.
    pub fn observe(&self, event: &watcher::Event<K>) {
        self.observe_shared(event, reference_of(event).as_ref());
    }

    /// [`Index::observe`], holding `reference` (the event's, from [`reference_of`]): the indexes of
    /// one cache that are given the same reference hold one copy of it between them.
    pub fn observe_shared(&self, event: &watcher::Event<K>, reference: Option<&Arc<ObjectRef<K>>>) {
        let mut state = self.write();
        match (event, reference) {
            (watcher::Event::Apply(object), Some(reference)) => state.live.upsert(reference, (self.keys_of)(object)),
            (watcher::Event::Delete(_), Some(reference)) => state.live.remove(reference),
            (watcher::Event::Init, _) => state.relist = Some(Entries::default()),
            (watcher::Event::InitApply(object), Some(reference)) => {
                let keys = (self.keys_of)(object);
                let State { live, relist } = &mut *state;
                relist.as_mut().unwrap_or(live).upsert(reference, keys);
            }
            // Objects deleted while the watch was down are not in the relist: replacing the
            // contents drops their keys.
            (watcher::Event::InitDone, _) => {
                if let Some(relisted) = state.relist.take() {
                    state.live = relisted;
                }
            }
            // An object event always comes with its reference (`reference_of`).
            (watcher::Event::Apply(_) | watcher::Event::Delete(_) | watcher::Event::InitApply(_), None) => {}
        }
    }

    /// The objects indexed under `key`.
    pub fn get(&self, key: &Q) -> Vec<Arc<ObjectRef<K>>> {
        let state = self.state.read().unwrap_or_else(|p| p.into_inner());
        state.live.by_key.get(key).map(|set| set.iter().cloned().collect()).unwrap_or_default()
    }

    /// The cached objects under `key`, as handles into `store` (which this index shadows).
    pub fn lookup(&self, store: &Store<K>, key: &Q) -> Vec<Arc<K>>
    where
        K: Clone,
    {
        self.get(key)
            .iter()
            .filter_map(|r| store.get(r))
            .filter(|object| (self.keys_of)(object).contains(key))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::api::core::v1::Pod;
    use kube::runtime::reflector;
    use kube::runtime::watcher::Event;

    fn pod(name: &str, node: Option<&str>) -> Pod {
        serde_json::from_value(serde_json::json!({
            "metadata": {"name": name, "namespace": "ns"},
            "spec": {"containers": [], "nodeName": node},
        }))
        .expect("pod")
    }

    fn by_node() -> Index<Pod, String> {
        Index::new(|p: &Pod| p.spec.as_ref().and_then(|s| s.node_name.clone()).into_iter().collect())
    }

    fn names(index: &Index<Pod, String>, key: &str) -> Vec<String> {
        let mut names: Vec<String> = index.get(&key.to_string()).into_iter().map(|r| r.name.clone()).collect();
        names.sort();
        names
    }

    #[test]
    fn an_update_that_changes_the_key_moves_the_object() {
        let index = by_node();
        index.observe(&Event::Apply(pod("a", None)));
        assert!(names(&index, "n1").is_empty(), "an object without the key is not indexed");
        index.observe(&Event::Apply(pod("a", Some("n1"))));
        index.observe(&Event::Apply(pod("b", Some("n1"))));
        assert_eq!(names(&index, "n1"), ["a", "b"]);
        index.observe(&Event::Apply(pod("a", Some("n2"))));
        assert_eq!(names(&index, "n1"), ["b"]);
        assert_eq!(names(&index, "n2"), ["a"]);
        index.observe(&Event::Delete(pod("b", Some("n1"))));
        assert!(names(&index, "n1").is_empty());
        assert!(!index.state.read().expect("lock").live.by_key.contains_key("n1"), "empty keys are dropped");
    }

    #[test]
    fn a_relist_replaces_the_contents() {
        let index = by_node();
        index.observe(&Event::Apply(pod("gone", Some("n1"))));
        index.observe(&Event::Apply(pod("moved", Some("n1"))));
        index.observe(&Event::Init);
        index.observe(&Event::InitApply(pod("moved", Some("n2"))));
        // Until the relist is done, lookups see the contents before it (as the store does).
        assert_eq!(names(&index, "n1"), ["gone", "moved"]);
        index.observe(&Event::InitDone);
        assert!(names(&index, "n1").is_empty(), "objects deleted while the watch was down leave no keys");
        assert_eq!(names(&index, "n2"), ["moved"]);
    }

    #[test]
    fn lookups_return_only_objects_the_store_has_with_the_key() {
        let index = by_node();
        let (store, mut writer) = reflector::store::<Pod>();
        // The store has moved `a` to n2 already; the index has not seen that event yet.
        for event in [Event::Apply(pod("a", Some("n1"))), Event::Apply(pod("b", Some("n1")))] {
            writer.apply_watcher_event(&event);
            index.observe(&event);
        }
        writer.apply_watcher_event(&Event::Apply(pod("a", Some("n2"))));
        let found: Vec<String> =
            index.lookup(&store, &"n1".to_string()).iter().filter_map(|p| p.metadata.name.clone()).collect();
        assert_eq!(found, ["b"]);
    }
}
