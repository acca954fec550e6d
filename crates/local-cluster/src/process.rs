//! Child processes of a local control plane that cannot outlive the process that started them.
//!
//! Three layers make sure no etcd or kube-apiserver is left behind:
//! - `Drop` of [`ManagedProcess`] stops it (SIGTERM, then SIGKILL) on an orderly shutdown;
//! - an `atexit` hook stops every process still registered when the program exits normally, which is
//!   what a test binary does after its tests ran (its shared cluster lives in a static, never dropped);
//! - `PR_SET_PDEATHSIG` kills the child if the parent dies abruptly (SIGKILL, abort). The kernel sends
//!   it when the *thread* that forked the child exits, so every child is forked by one spawner thread
//!   that lives as long as the process.
//!
//! What a real node leaves outside its processes (containers, mounts, cgroups, its bridge) is removed by
//! a [`Janitor`]: a process of its own that runs a cleanup script when our end of its stdin closes, which
//! is on drop, at exit (the hook waits for it) and when we die.

use std::collections::BTreeMap;
use std::fs::File;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::sync::{Mutex, Once, OnceLock};
use std::time::{Duration, Instant};

use super::Error;

/// A running child process, stopped when dropped.
#[derive(Debug)]
pub struct ManagedProcess {
    name: String,
    pid: i32,
    child: Option<Child>,
}

impl ManagedProcess {
    /// Starts `program` with `args`, stdout and stderr appended to `log`.
    pub fn spawn(name: &str, program: &Path, args: &[String], log: &Path) -> Result<Self, Error> {
        Self::spawn_with_env(name, program, args, &[], log)
    }

    /// [`ManagedProcess::spawn`] with extra environment variables.
    pub fn spawn_with_env(
        name: &str,
        program: &Path,
        args: &[String],
        env: &[(&str, String)],
        log: &Path,
    ) -> Result<Self, Error> {
        let log_file = File::create(log).map_err(|e| Error::io(format!("creating {}", log.display()), e))?;
        let err_file = log_file.try_clone().map_err(|e| Error::io("duplicating a log handle", e))?;
        let mut command = Command::new(program);
        command.args(args).stdin(Stdio::null()).stdout(log_file).stderr(err_file);
        for (key, value) in env {
            command.env(key, value);
        }
        // SAFETY: only async-signal-safe calls between fork and exec.
        unsafe {
            command.pre_exec(|| {
                // Own process group: a terminal's Ctrl-C reaches only us, and we stop children in order.
                libc::setpgid(0, 0);
                libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
                Ok(())
            });
        }
        let child = spawn_from_long_lived_thread(command)
            .map_err(|e| Error::io(format!("starting {} ({})", name, program.display()), e))?;
        let pid = child.id() as i32;
        registry().lock().unwrap_or_else(|p| p.into_inner()).insert(pid, name.to_string());
        ensure_exit_hook();
        Ok(Self { name: name.to_string(), pid, child: Some(child) })
    }

    /// The process name given at spawn.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The exit status if the process has already exited.
    pub fn exited(&mut self) -> Option<std::process::ExitStatus> {
        self.child.as_mut().and_then(|c| c.try_wait().ok().flatten())
    }

    /// Sends SIGTERM, waits up to `grace`, then SIGKILLs. Idempotent.
    pub fn stop(&mut self, grace: Duration) {
        if let Some(mut child) = self.child.take() {
            terminate(self.pid, grace, || matches!(child.try_wait(), Ok(Some(_))));
            let _ = child.kill();
            let _ = child.wait();
            registry().lock().unwrap_or_else(|p| p.into_inner()).remove(&self.pid);
        }
    }

    /// Sends SIGKILL without waiting for a graceful exit (fault injection).
    pub fn kill(&mut self) {
        self.stop(Duration::ZERO);
    }

    /// The process id.
    pub fn pid(&self) -> i32 {
        self.pid
    }
}

/// A cleanup process that outlives us: it runs `script` (bash) once its stdin reaches end-of-file, which
/// happens when [`Janitor::finish`] drops the pipe, at our exit, or when we die in any way (the kernel
/// closes the pipe). Started in its own session and without PDEATHSIG, so neither a terminal's Ctrl-C
/// nor our death stops it.
#[derive(Debug)]
pub struct Janitor {
    pid: i32,
    child: Option<Child>,
}

impl Janitor {
    /// Starts the janitor; `script` runs later, its output appended to `log`.
    pub fn spawn(script: &Path, log: &Path) -> Result<Self, Error> {
        let log_file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(log)
            .map_err(|e| Error::io(format!("creating {}", log.display()), e))?;
        let err_file = log_file.try_clone().map_err(|e| Error::io("duplicating a log handle", e))?;
        let mut command = Command::new("bash");
        command
            .arg("-c")
            .arg("read -r _; exec bash \"$0\"")
            .arg(script)
            .stdin(Stdio::piped())
            .stdout(log_file)
            .stderr(err_file);
        // SAFETY: only async-signal-safe calls between fork and exec.
        unsafe {
            command.pre_exec(|| {
                libc::setsid();
                Ok(())
            });
        }
        let mut child = command.spawn().map_err(|e| Error::io("starting a janitor (bash)", e))?;
        let pid = child.id() as i32;
        let stdin = child.stdin.take().ok_or_else(|| Error::Startup("janitor without a stdin pipe".into()))?;
        janitors().lock().unwrap_or_else(|p| p.into_inner()).insert(pid, stdin);
        ensure_exit_hook();
        Ok(Self { pid, child: Some(child) })
    }

    /// The janitor's process id.
    pub fn pid(&self) -> i32 {
        self.pid
    }

    /// Lets the janitor run its script now and waits up to `timeout` for it. Idempotent.
    pub fn finish(&mut self, timeout: Duration) -> Option<std::process::ExitStatus> {
        let mut child = self.child.take()?;
        drop(janitors().lock().unwrap_or_else(|p| p.into_inner()).remove(&self.pid));
        let deadline = Instant::now() + timeout;
        loop {
            match child.try_wait() {
                Ok(Some(status)) => return Some(status),
                Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(20)),
                _ => return None,
            }
        }
    }
}

impl Drop for Janitor {
    fn drop(&mut self) {
        self.finish(JANITOR_TIMEOUT);
    }
}

/// How long stopping waits for a janitor's cleanup (measured: well under 1 s per real node).
const JANITOR_TIMEOUT: Duration = Duration::from_secs(60);

fn janitors() -> &'static Mutex<BTreeMap<i32, std::process::ChildStdin>> {
    static JANITORS: OnceLock<Mutex<BTreeMap<i32, std::process::ChildStdin>>> = OnceLock::new();
    JANITORS.get_or_init(|| Mutex::new(BTreeMap::new()))
}

impl Drop for ManagedProcess {
    fn drop(&mut self) {
        self.stop(Duration::from_secs(5));
    }
}

fn terminate(pid: i32, grace: Duration, mut has_exited: impl FnMut() -> bool) {
    // SAFETY: plain kill(2) on a pid we own.
    unsafe { libc::kill(pid, libc::SIGTERM) };
    let deadline = Instant::now() + grace;
    while Instant::now() < deadline {
        if has_exited() {
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    // SAFETY: as above.
    unsafe { libc::kill(pid, libc::SIGKILL) };
}

fn registry() -> &'static Mutex<BTreeMap<i32, String>> {
    static REGISTRY: OnceLock<Mutex<BTreeMap<i32, String>>> = OnceLock::new();
    REGISTRY.get_or_init(|| Mutex::new(BTreeMap::new()))
}

/// Directories removed at process exit (data of clusters that were never dropped).
pub(crate) fn remove_at_exit(dir: &Path) {
    exit_dirs().lock().unwrap_or_else(|p| p.into_inner()).push(dir.to_path_buf());
    ensure_exit_hook();
}

pub(crate) fn forget_exit_dir(dir: &Path) {
    exit_dirs().lock().unwrap_or_else(|p| p.into_inner()).retain(|d| d != dir);
}

fn exit_dirs() -> &'static Mutex<Vec<std::path::PathBuf>> {
    static DIRS: OnceLock<Mutex<Vec<std::path::PathBuf>>> = OnceLock::new();
    DIRS.get_or_init(|| Mutex::new(Vec::new()))
}

fn ensure_exit_hook() {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        // SAFETY: registering a plain extern "C" function.
        unsafe { libc::atexit(stop_everything_at_exit) };
    });
}

extern "C" fn stop_everything_at_exit() {
    let pids: Vec<i32> = registry().lock().map(|r| r.keys().rev().copied().collect()).unwrap_or_default();
    for pid in pids {
        // Children are reaped by the kernel once we exit; we only need them gone.
        terminate(pid, Duration::from_secs(3), || unsafe { libc::kill(pid, 0) != 0 || is_zombie(pid) });
    }
    // Janitors unmount what real nodes mounted inside the data directories: they finish first.
    let pending: Vec<i32> =
        janitors().lock().map(|mut j| std::mem::take(&mut *j).into_keys().collect()).unwrap_or_default();
    let deadline = Instant::now() + JANITOR_TIMEOUT;
    for pid in pending {
        // SAFETY: waitpid on a child of ours; WNOHANG never blocks.
        while unsafe { libc::waitpid(pid, std::ptr::null_mut(), libc::WNOHANG) } == 0 && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
    }
    let dirs: Vec<_> = exit_dirs().lock().map(|d| d.clone()).unwrap_or_default();
    for dir in dirs {
        let _ = std::fs::remove_dir_all(dir);
    }
}

fn is_zombie(pid: i32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .map(|s| s.rsplit(')').next().is_some_and(|rest| rest.trim_start().starts_with('Z')))
        .unwrap_or(true)
}

type SpawnRequest = (Command, mpsc::Sender<std::io::Result<Child>>);

fn spawn_from_long_lived_thread(command: Command) -> std::io::Result<Child> {
    static SPAWNER: OnceLock<Mutex<mpsc::Sender<SpawnRequest>>> = OnceLock::new();
    let sender = SPAWNER.get_or_init(|| {
        let (tx, rx) = mpsc::channel::<SpawnRequest>();
        std::thread::Builder::new()
            .name("local-cluster-spawner".into())
            .spawn(move || {
                for (mut command, reply) in rx {
                    let _ = reply.send(command.spawn());
                }
            })
            .expect("spawning the process-spawner thread");
        Mutex::new(tx)
    });
    let (reply_tx, reply_rx) = mpsc::channel();
    sender
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .send((command, reply_tx))
        .map_err(|_| std::io::Error::other("spawner thread is gone"))?;
    reply_rx.recv().map_err(|_| std::io::Error::other("spawner thread is gone"))?
}
