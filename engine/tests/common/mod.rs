//! Shared helpers for end-to-end tests: run the real `engine` binary on loopback ports.
#![allow(dead_code)]

pub mod repo;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The engine binary under test.
pub fn engine_bin() -> &'static str {
    env!("CARGO_BIN_EXE_engine")
}

/// A port nobody listens on right now, for an engine to listen on.
///
/// Not one the OS would pick for port 0: those come from the ephemeral range (32768-60999 on
/// Linux), the same range outgoing connections take their local ports from, so between this
/// call and the engine's `listen` a test's own client connection could take it. These come
/// from 20000-32767 instead, a different start in each process (tests run in parallel
/// threads, and test programs one after another), each checked free before it is handed out.
/// Each call steps 4 ports on, so a test may also take the next one or two (`port + 1`).
pub fn free_port() -> u16 {
    use std::sync::atomic::{AtomicU32, Ordering};
    const LOW: u32 = 20_000;
    const STRIDE: u32 = 4;
    const SLOTS: u32 = (32_764 - LOW) / STRIDE;
    static NEXT: AtomicU32 = AtomicU32::new(u32::MAX);
    let _ = NEXT.compare_exchange(
        u32::MAX,
        std::process::id().wrapping_mul(2_654_435_761) % SLOTS,
        Ordering::SeqCst,
        Ordering::SeqCst,
    );
    for _ in 0..SLOTS {
        let port = (LOW + STRIDE * (NEXT.fetch_add(1, Ordering::SeqCst) % SLOTS)) as u16;
        let free_v4 = TcpListener::bind(("127.0.0.1", port)).is_ok();
        // Some tests listen on both loopbacks (or the engine on 0.0.0.0).
        if free_v4 && TcpListener::bind(("0.0.0.0", port)).is_ok() {
            return port;
        }
    }
    panic!("no free port in 20000-32767")
}

/// A temporary codebase folder that is removed on drop.
pub struct Codebase {
    pub dir: PathBuf,
}

impl Codebase {
    pub fn new(name: &str) -> Codebase {
        let dir = std::env::temp_dir().join(format!(
            "sluice-test-{}-{}-{}",
            name,
            std::process::id(),
            free_port()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        Codebase { dir }
    }
    pub fn file(&self, path: &str, text: &str) -> PathBuf {
        let p = self.dir.join(path.trim_start_matches('/'));
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, text).unwrap();
        p
    }
}

impl Drop for Codebase {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A running engine; killed on drop. Its log (stderr) is collected.
pub struct Engine {
    child: Child,
    log: Arc<Mutex<String>>,
}

impl Engine {
    /// Starts the engine on `script` and waits until each port in `ports` accepts.
    pub fn start(script: &Path, ports: &[u16]) -> Engine {
        Self::start_with(script, ports, &[])
    }

    pub fn start_with(script: &Path, ports: &[u16], args: &[&str]) -> Engine {
        let mut cmd = Command::new(engine_bin());
        cmd.arg(script).args(args);
        Self::spawn(cmd, ports)
    }

    /// Starts a prepared command and waits for `ports`.
    pub fn spawn(mut cmd: Command, ports: &[u16]) -> Engine {
        let mut child = cmd
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("engine starts");
        let log = Arc::new(Mutex::new(String::new()));
        let l = log.clone();
        let stderr = child.stderr.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                let mut g = l.lock().unwrap();
                g.push_str(&line);
                g.push('\n');
            }
        });
        let e = Engine { child, log };
        for &p in ports {
            e.wait_port(p);
        }
        e
    }

    pub fn wait_port(&self, port: u16) {
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!("engine did not listen on {port}; log:\n{}", self.log());
    }

    pub fn log(&self) -> String {
        self.log.lock().unwrap().clone()
    }

    /// Waits until the log contains `text` (or panics after `secs`).
    pub fn wait_log(&self, text: &str, secs: u64) -> String {
        let deadline = Instant::now() + Duration::from_secs(secs);
        while Instant::now() < deadline {
            let l = self.log();
            if l.contains(text) {
                return l;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!("log never showed {text:?}; log:\n{}", self.log());
    }
}

impl Drop for Engine {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs the engine to completion with `args` and returns (exit code, stdout, stderr).
pub fn run_to_end(args: &[&str], env: &[(&str, &str)]) -> (i32, String, String) {
    let mut cmd = Command::new(engine_bin());
    cmd.args(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("engine runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Connects to a loopback port with a read timeout.
pub fn connect(port: u16) -> TcpStream {
    let s = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    s
}

/// Sends `data`, closes the write side, and reads everything back until EOF.
pub fn roundtrip(port: u16, data: &[u8]) -> Vec<u8> {
    let mut s = connect(port);
    s.write_all(data).unwrap();
    s.shutdown(std::net::Shutdown::Write).unwrap();
    let mut out = Vec::new();
    s.read_to_end(&mut out).unwrap();
    out
}

/// Sends raw bytes and reads until the peer closes (or `secs` pass without data).
pub fn raw_exchange(port: u16, data: &[u8], secs: u64) -> (Vec<u8>, bool) {
    let mut s = connect(port);
    s.set_read_timeout(Some(Duration::from_secs(secs))).unwrap();
    s.write_all(data).unwrap();
    let mut out = Vec::new();
    let mut buf = [0u8; 65536];
    let closed = loop {
        match s.read(&mut buf) {
            Ok(0) => break true,
            Ok(n) => out.extend_from_slice(&buf[..n]),
            Err(_) => break false,
        }
    };
    (out, closed)
}

/// Runs curl with `args`; returns stdout.
pub fn curl(args: &[&str]) -> String {
    let out = Command::new("curl")
        .args(["-s", "-m", "20"])
        .args(args)
        .output()
        .expect("curl runs");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A tiny HTTP/1.1 origin on a thread, for the cases a script backend cannot play: it reads
/// each request (Content-Length bodies), and answers with `respond(path, body_len)`.
pub fn origin(respond: impl Fn(&str, usize) -> Vec<u8> + Send + Sync + 'static) -> u16 {
    origin_with(false, respond)
}

/// Like [`origin`]; with `close` set, the connection is closed after each reply.
pub fn origin_with(
    close: bool,
    respond: impl Fn(&str, usize) -> Vec<u8> + Send + Sync + 'static,
) -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    let respond = Arc::new(respond);
    std::thread::spawn(move || {
        for conn in l.incoming() {
            let Ok(mut s) = conn else { continue };
            let respond = respond.clone();
            std::thread::spawn(move || loop {
                let mut head = Vec::new();
                let mut byte = [0u8; 1];
                while !head.ends_with(b"\r\n\r\n") {
                    match s.read(&mut byte) {
                        Ok(1) => head.push(byte[0]),
                        _ => return,
                    }
                }
                let text = String::from_utf8_lossy(&head).to_ascii_lowercase();
                let path = text.split_whitespace().nth(1).unwrap_or("/").to_string();
                let len: usize = text
                    .lines()
                    .find_map(|l| {
                        l.strip_prefix("content-length:")
                            .map(|v| v.trim().parse().unwrap_or(0))
                    })
                    .unwrap_or(0);
                let mut left = len;
                let mut buf = vec![0u8; 1 << 16];
                while left > 0 {
                    match s.read(&mut buf[..left.min(1 << 16)]) {
                        Ok(0) | Err(_) => return,
                        Ok(n) => left -= n,
                    }
                }
                let reply = respond(&path, len);
                if reply.is_empty() || s.write_all(&reply).is_err() || close {
                    return;
                }
            });
        }
    });
    port
}

/// Resident memory of a process, in kB.
pub fn rss_kb(pid: u32) -> u64 {
    let s = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    s.lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|n| n.parse().ok())
        .unwrap()
}

impl Engine {
    /// The exit code, if the engine has exited.
    pub fn try_wait(&mut self) -> Option<i32> {
        self.child
            .try_wait()
            .ok()
            .flatten()
            .map(|s| s.code().unwrap_or(-1))
    }

    /// The engine's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}
