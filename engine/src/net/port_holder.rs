//! Who holds a TCP port: so that "port 8080 is already in use" can say by which program.
//!
//! Linux only: the listening socket's inode is looked up in `/proc/net/tcp` and `tcp6`, then the
//! process with that socket among its open files in `/proc/*/fd`. Processes of other users
//! cannot be looked into; then nothing is said.

use std::fs;

/// The inode of the socket listening on `port`, from a `/proc/net/tcp`-style table.
fn listening_inode(table: &str, port: u16) -> Option<u64> {
    table.lines().skip(1).find_map(|line| {
        let f: Vec<&str> = line.split_whitespace().collect();
        let local = f.get(1)?;
        let (_, hex_port) = local.rsplit_once(':')?;
        let listening = f.get(3) == Some(&"0A");
        if listening && u16::from_str_radix(hex_port, 16).ok()? == port {
            f.get(9)?.parse().ok().filter(|&i| i != 0)
        } else {
            None
        }
    })
}

/// The process with the socket `inode` open: its id and command name.
fn process_with(inode: u64) -> Option<(u32, String)> {
    let wanted = format!("socket:[{inode}]");
    for entry in fs::read_dir("/proc").ok()?.flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Ok(fds) = fs::read_dir(entry.path().join("fd")) else {
            continue;
        };
        let holds = fds
            .flatten()
            .any(|fd| fs::read_link(fd.path()).is_ok_and(|l| l.as_os_str() == wanted.as_str()));
        if holds {
            let name = fs::read_to_string(entry.path().join("comm")).unwrap_or_default();
            return Some((pid, name.trim().to_string()));
        }
    }
    None
}

/// Words naming the holder of the listening `port`, like `python3 (process 4242)` or `this
/// engine`; `None` when it cannot be told.
pub fn holder(port: u16) -> Option<String> {
    let inode = ["/proc/net/tcp", "/proc/net/tcp6"]
        .iter()
        .filter_map(|t| fs::read_to_string(t).ok())
        .find_map(|t| listening_inode(&t, port))?;
    let (pid, name) = process_with(inode)?;
    Some(if pid == std::process::id() {
        "this engine (a program it runs, or its admin console)".to_string()
    } else {
        format!("{name} (process {pid})")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_listening_socket_of_a_port_from_the_table() {
        let table = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 4242 1 0\n   1: 0100007F:1F91 0100007F:9C40 01 00000000:00000000 00:00000000 00000000  1000        0 4343 1 0\n";
        assert_eq!(listening_inode(table, 8080), Some(4242));
        assert_eq!(listening_inode(table, 8081), None, "not listening");
        assert_eq!(listening_inode(table, 9), None);
    }

    #[test]
    fn a_port_this_process_listens_on_is_held_by_this_engine() {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = l.local_addr().unwrap().port();
        assert_eq!(
            holder(port).as_deref(),
            Some("this engine (a program it runs, or its admin console)")
        );
    }
}
