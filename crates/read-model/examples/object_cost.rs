//! What one cached Task and one cached Pod cost in memory, store and secondary indexes apart.
//!
//! `cargo run --release -p kube-ecs-read-model --example object_cost [-- N]`
//!
//! Feeds N copies (renamed) of a Task and a Pod as the API server returns them (`fixtures/`, captured
//! from a benchmark run: a RUNNING Task and its Pod on a simulated node) through the caches' own trim
//! and conversion into reflector stores and the indexes, counting heap bytes with a counting allocator.
//! Heap bytes are what the objects ask for; RSS adds the allocator's overhead and fragmentation.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicIsize, Ordering};

use k8s_openapi::api::core::v1::Pod;
use kube::core::DeserializeGuard;
use kube::runtime::reflector;
use kube::runtime::watcher::Event;
use kube_ecs_api::Task;
use kube_ecs_read_model::index::reference_of;
use kube_ecs_read_model::indexes::Indexes;
use kube_ecs_read_model::{CachedPod, trim};

struct Counting;

static ALLOCATED: AtomicIsize = AtomicIsize::new(0);

// SAFETY: forwards to the system allocator, only counting sizes.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATED.fetch_add(layout.size() as isize, Ordering::Relaxed);
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        ALLOCATED.fetch_sub(layout.size() as isize, Ordering::Relaxed);
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATED.fetch_add(new_size as isize - layout.size() as isize, Ordering::Relaxed);
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn allocated() -> isize {
    ALLOCATED.load(Ordering::Relaxed)
}

/// `n` copies of `fixture`, each with its own name (and the Task-name label Pods are indexed by).
fn copies<K: serde::de::DeserializeOwned>(fixture: &str, n: usize) -> impl Iterator<Item = K> + '_ {
    let template: serde_json::Value = serde_json::from_str(fixture).expect("fixture is JSON");
    (0..n).map(move |i| {
        let mut object = template.clone();
        let name = format!("t-{i:05}");
        object["metadata"]["name"] = name.clone().into();
        object["metadata"]["uid"] = format!("00000000-0000-0000-0000-{i:012}").into();
        if let Some(labels) = object["metadata"]["labels"].as_object_mut()
            && labels.contains_key("ecs.kube-ecs.dev/task")
        {
            labels.insert("ecs.kube-ecs.dev/task".into(), name.into());
        }
        serde_json::from_value(object).expect("fixture deserializes")
    })
}

/// Heap bytes per object of `n` objects fed through `feed`.
fn per_object<K>(n: usize, objects: impl Iterator<Item = K>, mut feed: impl FnMut(K)) -> f64 {
    let before = allocated();
    objects.for_each(&mut feed);
    (allocated() - before) as f64 / n as f64
}

fn main() {
    sizes();
    let n: usize = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(10_000);
    let task_json = include_str!("fixtures/task.json");
    let pod_json = include_str!("fixtures/pod.json");
    let indexes = Indexes::default();

    println!("{n} Tasks and {n} Pods, heap bytes per object:");
    let (_raw_tasks, mut w) = reflector::store::<DeserializeGuard<Task>>();
    let raw = per_object(n, copies(task_json, n), |t| w.apply_watcher_event(&Event::Apply(t)));
    println!("  Task, as served (with managedFields)          {raw:>8.0}");
    let (_tasks, mut w) = reflector::store::<DeserializeGuard<Task>>();
    let stored = per_object(n, copies(task_json, n), |mut t| {
        trim::strip_guarded(&mut t);
        w.apply_watcher_event(&Event::Apply(t));
    });
    println!("  Task, cached (store)                          {stored:>8.0}");
    let indexed = per_object(n, copies::<DeserializeGuard<Task>>(task_json, n), |mut t| {
        trim::strip_guarded(&mut t);
        let event = Event::Apply(t);
        let r = reference_of(&event);
        indexes.tasks_by_cluster.observe_shared(&event, r.as_ref());
        indexes.tasks_by_node.observe_shared(&event, r.as_ref());
        indexes.tasks_by_namespace.observe_shared(&event, r.as_ref());
        indexes.tasks_by_family.observe_shared(&event, r.as_ref());
    });
    println!("  Task, its 4 index entries                     {indexed:>8.0}");

    let (_raw_pods, mut w) = reflector::store::<Pod>();
    let raw = per_object(n, copies(pod_json, n), |p| w.apply_watcher_event(&Event::Apply(p)));
    println!("  Pod, as served (with managedFields)           {raw:>8.0}");
    let (_pods, mut w) = reflector::store::<CachedPod>();
    let stored = per_object(n, copies(pod_json, n), |p: Pod| w.apply_watcher_event(&Event::Apply(CachedPod::from(p))));
    println!("  Pod, cached (store, compact)                  {stored:>8.0}");
    let indexed = per_object(n, copies::<Pod>(pod_json, n), |p| {
        let event = Event::Apply(CachedPod::from(p));
        let r = reference_of(&event);
        indexes.pods_by_service.observe_shared(&event, r.as_ref());
        indexes.pods_by_node.observe_shared(&event, r.as_ref());
    });
    println!("  Pod, its 2 index entries                      {indexed:>8.0}");
}

/// The inline sizes, which set most of the cost: a wide type costs its size however little it holds.
fn sizes() {
    use k8s_openapi::api::core::v1::*;
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
    println!(
        "size_of: Pod {} PodSpec {} PodStatus {} Container {} ContainerStatus {} ObjectMeta {} Task {} TaskStatus {} ObjectRef {}",
        std::mem::size_of::<Pod>(),
        std::mem::size_of::<PodSpec>(),
        std::mem::size_of::<PodStatus>(),
        std::mem::size_of::<Container>(),
        std::mem::size_of::<ContainerStatus>(),
        std::mem::size_of::<ObjectMeta>(),
        std::mem::size_of::<Task>(),
        std::mem::size_of::<kube_ecs_api::TaskStatus>(),
        std::mem::size_of::<kube::runtime::reflector::ObjectRef<Pod>>(),
    );
}
