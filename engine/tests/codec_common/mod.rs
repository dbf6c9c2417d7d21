//! What the codec end-to-end tests share: the real peers (brokers, servers, clients from
//! Debian and PyPI, installed by `scripts/setup.sh codecs`) run as child processes.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A peer process, killed on drop, whose stdout and stderr lines are collected.
pub struct Peer {
    child: Child,
    out: Arc<Mutex<String>>,
}

impl Peer {
    /// Starts `cmd`; panics with a hint at the set-up script when the program is missing.
    pub fn start(mut cmd: Command) -> Peer {
        let program = format!("{:?}", cmd.get_program());
        let mut child = cmd
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("{program}: {e} (run scripts/setup.sh codecs)"));
        let out = Arc::new(Mutex::new(String::new()));
        for pipe in [
            Box::new(child.stdout.take().unwrap()) as Box<dyn std::io::Read + Send>,
            Box::new(child.stderr.take().unwrap()),
        ] {
            let o = out.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(pipe).lines().map_while(Result::ok) {
                    let mut g = o.lock().unwrap();
                    g.push_str(&line);
                    g.push('\n');
                }
            });
        }
        Peer { child, out }
    }

    /// What the peer printed so far (stdout and stderr).
    pub fn output(&self) -> String {
        self.out.lock().unwrap().clone()
    }

    /// Waits until the output contains `text`, or panics after `secs`.
    pub fn wait_output(&self, text: &str, secs: u64) -> String {
        let deadline = Instant::now() + Duration::from_secs(secs);
        loop {
            let o = self.output();
            if o.contains(text) {
                return o;
            }
            assert!(
                Instant::now() < deadline,
                "peer never printed {text:?}; it printed:\n{o}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Waits for the process to exit (up to `secs`) and returns its exit code.
    pub fn wait_exit(&mut self, secs: u64) -> Option<i32> {
        let deadline = Instant::now() + Duration::from_secs(secs);
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                return status.code();
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        None
    }
}

impl Drop for Peer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The path of a program: on `PATH`, or in `/usr/sbin` (where Debian puts daemons).
pub fn program(name: &str) -> PathBuf {
    let sbin = PathBuf::from("/usr/sbin").join(name);
    if sbin.exists() {
        return sbin;
    }
    PathBuf::from(name)
}

/// Waits until something listens on a loopback port.
pub fn wait_listening(port: u16, secs: u64) {
    let deadline = Instant::now() + Duration::from_secs(secs);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "nothing listens on {port}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Runs a client program to its end (killed after `secs`) and returns its exit code (`None`
/// when killed) and what it printed on stdout and stderr.
pub fn run(mut cmd: Command, secs: u64) -> (Option<i32>, String, String) {
    let program = format!("{:?}", cmd.get_program());
    let child = cmd
        .env("PYTHONUNBUFFERED", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{program}: {e} (run scripts/setup.sh codecs)"));
    let pid = child.id();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    match rx.recv_timeout(Duration::from_secs(secs)) {
        Ok(Ok(out)) => (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        ),
        _ => {
            let _ = Command::new("kill").arg("-9").arg(pid.to_string()).status();
            let out = rx.recv_timeout(Duration::from_secs(5));
            let (o, e) = match out {
                Ok(Ok(out)) => (
                    String::from_utf8_lossy(&out.stdout).into_owned(),
                    String::from_utf8_lossy(&out.stderr).into_owned(),
                ),
                _ => Default::default(),
            };
            (None, o, e)
        }
    }
}
