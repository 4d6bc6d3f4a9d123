//! Starts the real provider binary (ADR 0003) on a free loopback port and
//! provisions it through its own operator CLI, the way an integrator would.
//!
//! The server runs under a small `sh` wrapper that watches the test process'
//! pipe: when the pipe closes (the handle is dropped, or the test binary exits
//! while a shared server still lives in a `static`), the wrapper stops the
//! server. No process outlives the test run.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The binary under test: the same code as `pforte`.
pub const BINARY: &str = env!("CARGO_BIN_EXE_pforte-conformance-server");

/// Keeps the server process alive while the pipe to its wrapper is open.
const WRAPPER: &str = r#"exec 3<&0
"$0" serve --config "$1" >>"$2" 2>&1 </dev/null &
server=$!
( read _ignored <&3; kill "$server" 2>/dev/null ) &
wait "$server"
"#;

/// One provider process with its own data directory and configuration.
pub struct Server {
    pub issuer: String,
    pub port: u16,
    config: PathBuf,
    log: PathBuf,
    data: tempfile::TempDir,
    running: Mutex<Option<Running>>,
    /// When set, the server runs under libfaketime and this file holds its
    /// clock offset in seconds.
    clock_file: Option<PathBuf>,
    clock_offset: Mutex<u64>,
    faketime: Option<PathBuf>,
}

/// libfaketime, from Debian's `faketime` package (`CONFORMANCE_LIBFAKETIME`
/// overrides the search in `/usr/lib/<triplet>/faketime/`).
pub fn libfaketime() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("CONFORMANCE_LIBFAKETIME") {
        return Some(PathBuf::from(path)).filter(|path| path.is_file());
    }
    std::fs::read_dir("/usr/lib")
        .ok()?
        .filter_map(Result::ok)
        .map(|entry| entry.path().join("faketime/libfaketime.so.1"))
        .find(|path| path.is_file())
}

struct Running {
    wrapper: Child,
    pipe: Option<ChildStdin>,
}

/// What a CLI command printed.
#[derive(Debug)]
pub struct CliOutput {
    pub success: bool,
    pub stdout: String,
    pub stderr: String,
}

impl Server {
    /// Writes a configuration for a fresh data directory on a free port; the
    /// server is not started yet, so the CLI can provision it first.
    pub fn prepare() -> Server {
        Server::prepare_with(false)
    }

    /// Like [`Server::prepare`]; with `movable_clock` the server process reads
    /// its wall clock through libfaketime, so [`Server::advance_clock`] can
    /// move it forward (the process' monotonic clock stays real). Returns
    /// `None` when libfaketime is missing and `CI` is not `true`.
    pub fn prepare_with_movable_clock() -> Option<Server> {
        let Some(library) = libfaketime() else {
            if std::env::var("CI").as_deref() == Ok("true") {
                panic!("libfaketime is required under CI=true: apt-get install -y faketime");
            }
            report_skip("libfaketime not found (apt-get install -y faketime)");
            return None;
        };
        let mut server = Server::prepare_with(true);
        server.faketime = Some(library);
        Some(server)
    }

    fn prepare_with(movable_clock: bool) -> Server {
        let data = tempfile::tempdir().unwrap();
        let port = free_port();
        let issuer = format!("http://127.0.0.1:{port}");
        let themes = Path::new(env!("CARGO_MANIFEST_DIR"))
            .parent()
            .unwrap()
            .join("themes");
        let config = data.path().join("pforte.toml");
        let log = data.path().join("server.log");
        let text = format!(
            r#"issuer = "{issuer}"
listen = "127.0.0.1:{port}"
data_dir = {data_dir:?}
themes_dir = {themes:?}
demo = false

[password_hashing]
memory_kib = 1024
iterations = 1
parallelism = 1

[log]
level = "warn"
"#,
            data_dir = data.path().join("state").display().to_string(),
            themes = themes.display().to_string(),
        );
        std::fs::write(&config, text).unwrap();
        let clock_file = movable_clock.then(|| {
            let path = data.path().join("clock-offset");
            std::fs::write(&path, "+0\n").unwrap();
            path
        });
        Server {
            issuer,
            port,
            config,
            log,
            data,
            running: Mutex::new(None),
            clock_file,
            clock_offset: Mutex::new(0),
            faketime: None,
        }
    }

    /// Moves the server's wall clock forward by `seconds` (only for a server
    /// from [`Server::prepare_with_movable_clock`]).
    pub fn advance_clock(&self, seconds: u64) {
        let path = self
            .clock_file
            .as_ref()
            .expect("server without a movable clock");
        let mut offset = self.clock_offset.lock().unwrap();
        *offset += seconds;
        let temporary = path.with_extension("tmp");
        std::fs::write(&temporary, format!("+{}\n", *offset)).unwrap();
        std::fs::rename(&temporary, path).unwrap();
    }

    /// Puts top-level TOML keys (for example `policy_file`, `database_url`) at
    /// the start of the configuration file, before its first table (before the
    /// server starts).
    pub fn prepend_config(&self, toml: &str) {
        let text = std::fs::read_to_string(&self.config).unwrap();
        std::fs::write(&self.config, format!("{toml}\n{text}")).unwrap();
    }

    /// How far [`Server::advance_clock`] has moved the server's clock so far.
    pub fn clock_offset_secs(&self) -> u64 {
        *self.clock_offset.lock().unwrap()
    }

    /// Sets the configured issuer (the server is still reached at
    /// [`Server::url`], as behind a TLS-terminating proxy).
    pub fn set_configured_issuer(&self, issuer: &str) {
        self.set_top_level("issuer", &format!("{issuer:?}"));
    }

    /// Replaces the value of a top-level key of the configuration file.
    pub fn set_top_level(&self, key: &str, toml_value: &str) {
        let text = std::fs::read_to_string(&self.config).unwrap();
        let prefix = format!("{key} = ");
        let replaced: Vec<String> = text
            .lines()
            .map(|line| {
                if line.starts_with(&prefix) {
                    format!("{key} = {toml_value}")
                } else {
                    line.to_owned()
                }
            })
            .collect();
        std::fs::write(&self.config, replaced.join("\n") + "\n").unwrap();
    }

    /// Appends TOML to the configuration file (before the server starts).
    pub fn append_config(&self, toml: &str) {
        let mut text = std::fs::read_to_string(&self.config).unwrap();
        text.push_str(toml);
        std::fs::write(&self.config, text).unwrap();
    }

    /// A scratch directory next to the data directory (JWK sets, browser
    /// profiles).
    pub fn scratch(&self) -> &Path {
        self.data.path()
    }

    /// Runs `pforte <args…> --config FILE` to completion.
    pub fn cli(&self, args: &[&str]) -> CliOutput {
        let mut command = Command::new(BINARY);
        // The operator's commands share the server's (moved) clock.
        if let (Some(clock_file), Some(library)) = (&self.clock_file, &self.faketime) {
            command
                .env("LD_PRELOAD", library)
                .env("FAKETIME_TIMESTAMP_FILE", clock_file)
                .env("FAKETIME_NO_CACHE", "1")
                .env("FAKETIME_DONT_FAKE_MONOTONIC", "1");
        }
        without_pforte_environment(&mut command);
        let output = command
            .args(args)
            .arg("--config")
            .arg(&self.config)
            .stdin(Stdio::null())
            .output()
            .unwrap();
        CliOutput {
            success: output.status.success(),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }

    /// Like [`Server::cli`] but the command must succeed.
    pub fn cli_ok(&self, args: &[&str]) -> CliOutput {
        let output = self.cli(args);
        assert!(
            output.success,
            "`pforte {}` failed\nstdout: {}\nstderr: {}",
            args.join(" "),
            output.stdout,
            output.stderr
        );
        output
    }

    /// Starts `serve` and waits until `/healthz` answers 200.
    pub fn start(&self) {
        let mut running = self.running.lock().unwrap();
        assert!(running.is_none(), "server already running");
        let mut command = Command::new("sh");
        if let (Some(clock_file), Some(library)) = (&self.clock_file, &self.faketime) {
            command
                .env("LD_PRELOAD", library)
                .env("FAKETIME_TIMESTAMP_FILE", clock_file)
                .env("FAKETIME_NO_CACHE", "1")
                .env("FAKETIME_DONT_FAKE_MONOTONIC", "1");
        }
        without_pforte_environment(&mut command);
        let mut wrapper = command
            .arg("-c")
            .arg(WRAPPER)
            .arg(BINARY)
            .arg(&self.config)
            .arg(&self.log)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let pipe = wrapper.stdin.take();
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if health_ok(self.port) {
                break;
            }
            if let Ok(Some(status)) = wrapper.try_wait() {
                panic!(
                    "pforte serve exited early ({status}); log:\n{}",
                    self.log_text()
                );
            }
            if Instant::now() > deadline {
                drop(pipe);
                let _ = wrapper.wait();
                panic!(
                    "pforte serve did not answer /healthz in time; log:\n{}",
                    self.log_text()
                );
            }
            // Polling for readiness of another process, not waiting for time to pass.
            std::thread::sleep(Duration::from_millis(50));
        }
        *running = Some(Running { wrapper, pipe });
    }

    /// Stops the server (SIGTERM through the wrapper) and waits for it.
    pub fn stop(&self) {
        let mut running = self.running.lock().unwrap();
        if let Some(mut process) = running.take() {
            drop(process.pipe.take());
            let _ = process.wrapper.wait();
        }
    }

    /// The server's output so far, for failure messages.
    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// An absolute URL on this issuer.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.issuer)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Ok(mut running) = self.running.lock()
            && let Some(mut process) = running.take()
        {
            drop(process.pipe.take());
            let _ = process.wrapper.wait();
        }
    }
}

/// A loopback port nobody listens on right now.
pub fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

fn health_ok(port: u16) -> bool {
    let Ok(mut stream) = TcpStream::connect(("127.0.0.1", port)) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
    let request =
        format!("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n");
    if stream.write_all(request.as_bytes()).is_err() {
        return false;
    }
    let mut response = String::new();
    let _ = stream.read_to_string(&mut response);
    response.starts_with("HTTP/1.1 200")
}

/// Says why a test did nothing. Written to the process' stderr directly, so
/// the reason shows even though the harness captures the output of passing
/// tests (Rust has no "skipped" result).
pub fn report_skip(reason: &str) {
    let _ = writeln!(std::io::stderr(), "SKIPPED: {reason}");
}

/// The provider reads `PFORTE_*` variables as configuration overrides; the
/// tests' configuration file alone must decide.
fn without_pforte_environment(command: &mut Command) {
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("PFORTE_") {
            command.env_remove(name);
        }
    }
}
