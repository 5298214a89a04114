//! The AWS emulator: a `moto_server` child process on 127.0.0.1.
//!
//! moto is run under a small shell watchdog that stops it when this process goes away, however it goes (even
//! SIGKILL, and test binaries whose statics are never dropped), so no emulator outlives its owner. Everything
//! is stopped by PID, never by name.

use std::io::Write as _;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};

/// The repository root (where template.yaml and the project virtualenv live).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap_or_else(|_| PathBuf::from("."))
}

/// A running moto server.
#[derive(Debug)]
pub struct Emulator {
    watchdog: Child,
    port: u16,
}

/// A free TCP port on 127.0.0.1 (the OS picks it).
///
/// # Errors
/// When no port can be bound.
pub fn free_port() -> anyhow::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

fn on_path(program: &str) -> Option<PathBuf> {
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|dir| dir.join(program))
        .find(|p| p.is_file())
}

/// moto's server, patched (infra/emulator/locked_moto.py, tested beside it): one DynamoDB operation at a
/// time, so each transaction is atomic as DynamoDB's are, and transactions that roll back by journalling the
/// items they name instead of copying whole tables, so their cost does not grow with the table.
const LOCKED_MOTO: &str = include_str!("../../emulator/locked_moto.py");

/// The Python interpreter that runs `moto_server`: its shebang's, or (for a shell shim such as pyenv's)
/// the `python3` beside it.
fn moto_python(moto_server: &Path) -> PathBuf {
    let shebang = std::fs::read_to_string(moto_server)
        .ok()
        .and_then(|text| text.lines().next().map(str::to_owned))
        .and_then(|line| line.strip_prefix("#!").map(|p| p.trim().to_owned()))
        .filter(|interpreter| interpreter.contains("python") && !interpreter.contains(' '));
    match shebang {
        Some(interpreter) => PathBuf::from(interpreter),
        None => moto_server.with_file_name("python3"),
    }
}

/// Finds `moto_server`: `$MOTO_SERVER`, then `PATH`, then the project virtualenv, which is created (and
/// `moto[server]` installed into it) when missing.
///
/// # Errors
/// When it cannot be found or installed.
pub fn moto_server_path() -> anyhow::Result<PathBuf> {
    if let Some(explicit) = std::env::var_os("MOTO_SERVER") {
        return Ok(PathBuf::from(explicit));
    }
    if let Some(found) = on_path("moto_server") {
        return Ok(found);
    }
    let venv = workspace_root().join(".venv");
    let installed = venv.join("bin/moto_server");
    if installed.is_file() {
        return Ok(installed);
    }
    install_moto(&venv)?;
    Ok(installed)
}

/// Creates the virtualenv in a private directory and moves it into place, so parallel test binaries never
/// see a half-installed one.
fn install_moto(venv: &Path) -> anyhow::Result<()> {
    let staging = venv.with_file_name(format!(".venv-staging-{}", std::process::id()));
    let _ = writeln!(
        std::io::stderr(),
        "moto_server not found: installing moto[server] into {}",
        venv.display()
    );
    let run = |cmd: &mut Command| -> anyhow::Result<()> {
        let status = cmd.status().with_context(|| format!("run {cmd:?}"))?;
        if !status.success() {
            bail!("{cmd:?} failed with {status}");
        }
        Ok(())
    };
    run(Command::new("python3").arg("-m").arg("venv").arg(&staging))?;
    let requirements = workspace_root().join("infra/requirements-dev.txt");
    run(Command::new(staging.join("bin/pip"))
        .args(["install", "--quiet", "-r"])
        .arg(&requirements))?;
    if std::fs::rename(&staging, venv).is_err() {
        // Another process installed it first; use theirs.
        let _ = std::fs::remove_dir_all(&staging);
    }
    Ok(())
}

impl Emulator {
    /// Starts moto on `port` (`None`: a free one) and waits until it accepts connections.
    ///
    /// # Errors
    /// When moto cannot be found, started, or does not come up within 60 s.
    pub fn start(port: Option<u16>) -> anyhow::Result<Self> {
        let port = match port {
            Some(p) => p,
            None => free_port()?,
        };
        let python = moto_python(&moto_server_path()?);
        // The watchdog starts moto, then stops it when our PID disappears or when itself is told to stop.
        let script = r#"
"$0" -c "$3" -H 127.0.0.1 -p "$1" >/dev/null 2>&1 &
m=$!
trap 'kill "$m" 2>/dev/null; exit 0' TERM INT HUP
while kill -0 "$2" 2>/dev/null && kill -0 "$m" 2>/dev/null; do sleep 1; done
kill "$m" 2>/dev/null
"#;
        let watchdog = Command::new("sh")
            .arg("-c")
            .arg(script)
            .arg(&python)
            .arg(port.to_string())
            .arg(std::process::id().to_string())
            .arg(LOCKED_MOTO)
            .stdin(Stdio::null())
            .spawn()
            .with_context(|| format!("start moto with {}", python.display()))?;
        let mut emulator = Self { watchdog, port };
        emulator.wait_ready(Duration::from_secs(60))?;
        Ok(emulator)
    }

    fn wait_ready(&mut self, limit: Duration) -> anyhow::Result<()> {
        let addr = SocketAddr::from(([127, 0, 0, 1], self.port));
        let started = Instant::now();
        while started.elapsed() < limit {
            if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
                return Ok(());
            }
            if let Some(status) = self.watchdog.try_wait()? {
                bail!("moto_server exited early ({status}); is port {} free?", self.port);
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        bail!("moto_server did not listen on {addr} within {limit:?}")
    }

    /// The endpoint URL to give the AWS SDK.
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The port moto listens on.
    pub fn port(&self) -> u16 {
        self.port
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        // SIGTERM the watchdog (by PID); its trap stops moto, then reap it.
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(self.watchdog.id().to_string())
            .status();
        let _ = self.watchdog.wait();
    }
}
