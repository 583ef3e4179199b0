//! What this machine lets a scale run be: file descriptors per process, and
//! the loopback addresses and ports the clients connect from.

use std::net::{IpAddr, Ipv4Addr};

use super::ScaleParams;
use crate::Error;
use crate::servers::Backplane;

/// File descriptors a process needs besides its sessions' sockets.
const SPARE_FDS: u64 = 200;

/// Refuses a shape that cannot work on this machine, saying what to change.
pub(super) fn check(params: &ScaleParams, fd_limit: u64) -> Result<(), Error> {
    let ScaleParams {
        sessions,
        nodes,
        generators,
        rounds,
        backplane,
        ..
    } = *params;
    if sessions == 0 || nodes == 0 || generators == 0 || rounds == 0 {
        return Err("the scale scenario needs sessions, nodes, generators and rounds".into());
    }
    if nodes > 1 && backplane == Backplane::Local {
        return Err("several nodes need a backplane (--backplane nats or redis)".into());
    }
    // The first node also holds the trigger.
    let per_node = sessions.div_ceil(nodes) as u64 + 1;
    let per_generator = sessions.div_ceil(generators) as u64;
    for (what, sockets, option) in [
        ("node", per_node, "--nodes"),
        ("generator", per_generator, "--generators"),
    ] {
        if sockets + SPARE_FDS > fd_limit {
            return Err(format!(
                "{sockets} sockets per {what} exceed the file limit of {fd_limit} per process; raise {option}"
            )
            .into());
        }
    }
    if source_count(sessions) > MAX_SOURCES {
        return Err(format!(
            "{sessions} sessions need more than {MAX_SOURCES} loopback source addresses"
        )
        .into());
    }
    Ok(())
}

/// How many local ports the kernel hands out to one source address.
fn ephemeral_ports() -> u64 {
    let range =
        std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range").unwrap_or_default();
    let bounds: Vec<u64> = range
        .split_whitespace()
        .filter_map(|n| n.parse().ok())
        .collect();
    match bounds[..] {
        [low, high] if high >= low => high - low + 1,
        // Linux's default range, 32768–60999.
        _ => 28_232,
    }
}

/// The most source addresses, `127.0.0.2` to `127.0.0.251`.
const MAX_SOURCES: usize = 250;

/// The local addresses the clients connect from: `127.0.0.2`, `127.0.0.3`,
/// … on the loopback `/8`, each with its own ephemeral ports, and each
/// carrying at most a quarter of them. Linux's `bind` looks for a free port
/// in one half of the range first and, once that half is full, scans all of
/// it for every new socket: an address holding more than about half its
/// ports opens sockets hundreds of times slower.
pub(super) fn sources(sessions: usize) -> Vec<IpAddr> {
    (0..source_count(sessions).min(MAX_SOURCES))
        .map(|index| {
            let last = u8::try_from(index + 2).expect("at most MAX_SOURCES addresses");
            IpAddr::V4(Ipv4Addr::new(127, 0, 0, last))
        })
        .collect()
}

fn source_count(sessions: usize) -> usize {
    let per_source = usize::try_from(ephemeral_ports() / 4).unwrap_or(usize::MAX);
    sessions.div_ceil(per_source.max(1))
}
