//! Small inputs and outputs for the tests: a file read whole, a wide spec for large bundles.

use std::io::Read;
use std::path::Path;

/// Reads a file whole (for small downloads).
pub fn read(path: &Path) -> Vec<u8> {
    let mut v = Vec::new();
    std::fs::File::open(path)
        .and_then(|mut f| f.read_to_end(&mut v))
        .expect("read");
    v
}

/// A spec of `members` members (`etcd<i>`, addresses from `ip(i)`) and `clients` clients
/// (`client<i>`, etcd user `user<i>`), as JSON: for tests of large bundles.
pub fn wide_spec(
    cluster: &str,
    members: usize,
    clients: usize,
    ip: impl Fn(usize) -> String,
) -> String {
    let nodes: Vec<String> = (1..=members)
        .map(|i| format!(r#"{{"name": "etcd{i}", "ips": ["{}"]}}"#, ip(i)))
        .collect();
    let clients: Vec<String> = (1..=clients)
        .map(|i| format!(r#"{{"name": "client{i}", "common_name": "user{i}"}}"#))
        .collect();
    format!(
        r#"{{"cluster_name": "{cluster}", "nodes": [{}], "clients": [{}]}}"#,
        nodes.join(","),
        clients.join(",")
    )
}
