//! The console's pages as values: parsed from a path, printed back to one. The page handler and the
//! live stream both start from a `Page`, so a stream can only re-render a page the router serves.
//!
//! Every segment taken from a path must be a Kubernetes object name (or a number), checked here:
//! names that reach a link or an API call are never arbitrary text.

/// A tab of the cluster page (the ECS console's tabs).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClusterTab {
    Services,
    /// The Tasks tab filtered to desired status RUNNING (the ECS console's default filter).
    Tasks,
    /// The Tasks tab filtered to desired status STOPPED: no tab of its own in the tab bar.
    StoppedTasks,
    Infrastructure,
    Metrics,
    ScheduledTasks,
    Tags,
}

impl ClusterTab {
    pub const ALL: [ClusterTab; 6] =
        [Self::Services, Self::Tasks, Self::Infrastructure, Self::Metrics, Self::ScheduledTasks, Self::Tags];

    pub fn slug(self) -> &'static str {
        match self {
            Self::Services => "services",
            Self::Tasks => "tasks",
            Self::StoppedTasks => "stopped-tasks",
            Self::Infrastructure => "infrastructure",
            Self::Metrics => "metrics",
            Self::ScheduledTasks => "scheduled-tasks",
            Self::Tags => "tags",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Services => "Services",
            Self::Tasks | Self::StoppedTasks => "Tasks",
            Self::Infrastructure => "Infrastructure",
            Self::Metrics => "Metrics",
            Self::ScheduledTasks => "Scheduled tasks",
            Self::Tags => "Tags",
        }
    }

    fn parse(slug: &str) -> Option<Self> {
        Self::ALL.into_iter().chain([Self::StoppedTasks]).find(|t| t.slug() == slug)
    }

    /// The tab of the tab bar this one shows as (a filter of the Tasks tab is the Tasks tab).
    pub fn in_tab_bar(self) -> Self {
        if self == Self::StoppedTasks { Self::Tasks } else { self }
    }
}

/// A page of the console. `ns` is the namespace whose tasks, services and task definitions are shown
/// (clusters and container instances are cluster-scoped).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Page {
    Clusters {
        ns: String,
    },
    Cluster {
        ns: String,
        cluster: String,
        tab: ClusterTab,
    },
    Task {
        ns: String,
        id: String,
    },
    Service {
        ns: String,
        name: String,
    },
    ServiceLogs {
        ns: String,
        name: String,
    },
    Repositories {
        ns: String,
    },
    /// A repository's live part (its summary, images and what its policy expires): the page itself
    /// holds a policy editor, served by `ecr_routes`, which a re-render must not clear.
    Repository {
        ns: String,
        name: String,
    },
    Families {
        ns: String,
    },
    Family {
        ns: String,
        family: String,
    },
    Revision {
        ns: String,
        family: String,
        revision: i64,
    },
}

/// Whether `s` can be a Kubernetes object name (DNS-1123 subdomain): what the path segments of
/// pages may hold.
pub fn is_name(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 253
        && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.')
        && s.as_bytes()[0].is_ascii_alphanumeric()
}

impl Page {
    /// The page at `path`, if it is one.
    pub fn parse(path: &str) -> Option<Self> {
        let parts: Vec<&str> = path.trim_end_matches('/').split('/').skip(1).collect();
        let names = |range: std::ops::Range<usize>| parts.get(range).is_some_and(|p| p.iter().all(|s| is_name(s)));
        let owned = |i: usize| parts[i].to_string();
        match parts.as_slice() {
            ["ns", _, "clusters"] if names(1..2) => Some(Self::Clusters { ns: owned(1) }),
            ["ns", _, "clusters", _, tab] if names(1..2) && names(3..4) => {
                Some(Self::Cluster { ns: owned(1), cluster: owned(3), tab: ClusterTab::parse(tab)? })
            }
            ["ns", _, "tasks", _] if names(1..2) && names(3..4) => Some(Self::Task { ns: owned(1), id: owned(3) }),
            ["ns", _, "services", _] if names(1..2) && names(3..4) => {
                Some(Self::Service { ns: owned(1), name: owned(3) })
            }
            ["ns", _, "services", _, "logs"] if names(1..2) && names(3..4) => {
                Some(Self::ServiceLogs { ns: owned(1), name: owned(3) })
            }
            ["ns", _, "task-definitions"] if names(1..2) => Some(Self::Families { ns: owned(1) }),
            ["ns", _, "repositories"] if names(1..2) => Some(Self::Repositories { ns: owned(1) }),
            ["ns", _, "repositories", _] if names(1..2) && names(3..4) => {
                Some(Self::Repository { ns: owned(1), name: owned(3) })
            }
            ["ns", _, "task-definitions", _] if names(1..2) && names(3..4) => {
                Some(Self::Family { ns: owned(1), family: owned(3) })
            }
            ["ns", _, "task-definitions", _, revision] if names(1..2) && names(3..4) => Some(Self::Revision {
                ns: owned(1),
                family: owned(3),
                revision: revision.parse().ok().filter(|r: &i64| *r > 0)?,
            }),
            _ => None,
        }
    }

    pub fn path(&self) -> String {
        match self {
            Self::Clusters { ns } => format!("/ns/{ns}/clusters"),
            Self::Cluster { ns, cluster, tab } => format!("/ns/{ns}/clusters/{cluster}/{}", tab.slug()),
            Self::Task { ns, id } => format!("/ns/{ns}/tasks/{id}"),
            Self::Service { ns, name } => format!("/ns/{ns}/services/{name}"),
            Self::ServiceLogs { ns, name } => format!("/ns/{ns}/services/{name}/logs"),
            Self::Repositories { ns } => format!("/ns/{ns}/repositories"),
            Self::Repository { ns, name } => format!("/ns/{ns}/repositories/{name}"),
            Self::Families { ns } => format!("/ns/{ns}/task-definitions"),
            Self::Family { ns, family } => format!("/ns/{ns}/task-definitions/{family}"),
            Self::Revision { ns, family, revision } => format!("/ns/{ns}/task-definitions/{family}/{revision}"),
        }
    }

    pub fn namespace(&self) -> &str {
        match self {
            Self::Clusters { ns }
            | Self::Cluster { ns, .. }
            | Self::Task { ns, .. }
            | Self::Service { ns, .. }
            | Self::ServiceLogs { ns, .. }
            | Self::Repositories { ns }
            | Self::Repository { ns, .. }
            | Self::Families { ns }
            | Self::Family { ns, .. }
            | Self::Revision { ns, .. } => ns,
        }
    }

    /// The browser tab's title.
    pub fn title(&self) -> String {
        match self {
            Self::Clusters { .. } => "Clusters".into(),
            Self::Cluster { cluster, tab, .. } => format!("{cluster} · {}", tab.label()),
            Self::Task { id, .. } => format!("Task {id}"),
            Self::Service { name, .. } => format!("Service {name}"),
            Self::ServiceLogs { name, .. } => format!("Service {name} · Logs"),
            Self::Repositories { .. } => "Private repositories".into(),
            Self::Repository { name, .. } => format!("Repository {name}"),
            Self::Families { .. } => "Task definitions".into(),
            Self::Family { family, .. } => format!("Task definition {family}"),
            Self::Revision { family, revision, .. } => format!("{family}:{revision}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_round_trip_through_their_paths() {
        let pages = [
            Page::Clusters { ns: "team-a".into() },
            Page::Cluster { ns: "team-a".into(), cluster: "default".into(), tab: ClusterTab::ScheduledTasks },
            Page::Cluster { ns: "team-a".into(), cluster: "default".into(), tab: ClusterTab::StoppedTasks },
            Page::Task { ns: "team-a".into(), id: "0123abcd".into() },
            Page::Service { ns: "team-a".into(), name: "web".into() },
            Page::ServiceLogs { ns: "team-a".into(), name: "web".into() },
            Page::Repositories { ns: "team-a".into() },
            Page::Repository { ns: "team-a".into(), name: "team-a.web".into() },
            Page::Families { ns: "team-a".into() },
            Page::Family { ns: "team-a".into(), family: "web".into() },
            Page::Revision { ns: "team-a".into(), family: "web".into(), revision: 3 },
        ];
        for page in pages {
            assert_eq!(Page::parse(&page.path()), Some(page.clone()), "{}", page.path());
        }
    }

    #[test]
    fn segments_that_are_not_object_names_are_no_page() {
        for path in [
            "/ns/Team/clusters",
            "/ns/a/tasks/<script>",
            "/ns/a/tasks/javascript:alert(1)",
            "/ns/a/task-definitions/web/0",
            "/ns/a/task-definitions/web/x",
            "/ns/a/clusters/default/graphs",
            "/ns/../clusters",
            "/etc/passwd",
        ] {
            assert_eq!(Page::parse(path), None, "{path}");
        }
    }
}
