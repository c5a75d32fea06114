//! The cluster as a picture: where the CA, the members and the clients go, as plain shapes
//! with coordinates. `ui/results.rs` draws them as SVG; the layout is tested natively.
//!
//! The CA sits at the top left (in a root+issuing bundle, the issuing CA, under the root that
//! signed it, one line between them); a line down the left edge (the "signs" spine) feeds a bus
//! above each row of boxes, and a short line drops from the bus to each box it signed. The
//! members are in rows of up to [`PER_ROW`] inside a dashed frame (the cluster: members talk
//! to each other over TLS on the peer port); the clients follow in rows of their own.

use pki_core::ClusterSpec;

/// Boxes per row.
pub const PER_ROW: usize = 5;
const BOX_W: i32 = 200;
const GAP: i32 = 20;
const LEFT: i32 = 36;
const SPINE_X: i32 = 14;
const MEMBER_H: i32 = 64;
const CLIENT_H: i32 = 48;
const CA_H: i32 = 52;
const CA_W: i32 = 260;

/// What a box stands for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// The root CA (root+issuing): it signs the issuing CA only.
    Root,
    /// The CA that signs the members and clients (the issuing CA in root+issuing).
    Ca,
    /// An etcd member.
    Member,
    /// A client.
    Client,
}

/// A labelled box.
#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    /// What it is.
    pub kind: Kind,
    /// Its name (member or client name; the CA's CN).
    pub name: String,
    /// Left, top, width, height.
    pub x: i32,
    /// Top.
    pub y: i32,
    /// Width.
    pub w: i32,
    /// Height.
    pub h: i32,
    /// Lines of text: the first is the title.
    pub lines: Vec<String>,
}

/// A straight line.
#[derive(Clone, Debug, PartialEq)]
pub struct Line {
    /// Start.
    pub x1: i32,
    /// Start.
    pub y1: i32,
    /// End.
    pub x2: i32,
    /// End.
    pub y2: i32,
}

/// The whole picture.
#[derive(Clone, Debug, PartialEq)]
pub struct Diagram {
    /// Size of the drawing.
    pub width: i32,
    /// Size of the drawing.
    pub height: i32,
    /// The CA, the members, the clients.
    pub nodes: Vec<Node>,
    /// The CA's signing lines (spine, buses, drops).
    pub signs: Vec<Line>,
    /// The dashed frame around the members: left, top, width, height.
    pub cluster: (i32, i32, i32, i32),
    /// The frame's caption.
    pub cluster_label: String,
    /// Where the clients' caption goes (x, y), and what it says.
    pub clients_label: Option<(i32, i32, String)>,
    /// The same in words, for screen readers.
    pub description: String,
}

/// `text` cut to `max` characters, with an ellipsis when cut.
fn fit(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_string()
    } else {
        let cut: String = text.chars().take(max.saturating_sub(1)).collect();
        format!("{cut}…")
    }
}

/// Lays out rows of `count` boxes of height `h` from `top`; returns their (x, y) and the
/// buses and drops that connect them to the spine.
fn rows(count: usize, top: i32, h: i32, signs: &mut Vec<Line>) -> (Vec<(i32, i32)>, i32) {
    let mut at = Vec::new();
    let mut y = top;
    for row in 0..count.div_ceil(PER_ROW) {
        let n = (count - row * PER_ROW).min(PER_ROW);
        let bus_y = y - 14;
        let last_center = LEFT + (n as i32 - 1) * (BOX_W + GAP) + BOX_W / 2;
        signs.push(Line {
            x1: SPINE_X,
            y1: bus_y,
            x2: last_center,
            y2: bus_y,
        });
        for i in 0..n {
            let x = LEFT + i as i32 * (BOX_W + GAP);
            signs.push(Line {
                x1: x + BOX_W / 2,
                y1: bus_y,
                x2: x + BOX_W / 2,
                y2: y,
            });
            at.push((x, y));
        }
        y += h + 34;
    }
    (at, y)
}

/// Top of the root's box; the issuing CA's is [`ROOT_GAP`] below it.
const TOP: i32 = 12;
const ROOT_GAP: i32 = 28;

/// The picture of `spec`'s cluster.
pub fn layout(spec: &ClusterSpec) -> Diagram {
    let layered = spec.ca_layout == pki_core::CaLayout::RootIssuing;
    let ca_y = if layered { TOP + CA_H + ROOT_GAP } else { TOP };
    let mut nodes = vec![];
    let mut signs = vec![Line {
        x1: LEFT,
        y1: ca_y + CA_H / 2,
        x2: SPINE_X,
        y2: ca_y + CA_H / 2,
    }];
    if layered {
        nodes.push(root_node(spec));
        // The root signs the issuing CA: a line from the middle of one box to the other.
        let x = LEFT + CA_W / 2;
        signs.push(Line {
            x1: x,
            y1: TOP + CA_H,
            x2: x,
            y2: ca_y,
        });
    }
    nodes.push(ca_node(spec, ca_y, layered));
    let members_top = ca_y + CA_H + 72;
    let (at, after_members) = rows(spec.nodes.len(), members_top, MEMBER_H, &mut signs);
    nodes.extend(member_nodes(spec, at));
    let cols = spec.nodes.len().clamp(1, PER_ROW) as i32;
    let members_w = cols * BOX_W + (cols - 1) * GAP;
    // The frame's caption sits above the first bus, inside the frame.
    let cluster = (
        LEFT - 10,
        members_top - 44,
        members_w + 20,
        after_members - members_top + 20,
    );
    let cluster_label = fit(
        &format!(
            "cluster \"{}\": members talk TLS to each other on :{}",
            spec.cluster_name, spec.peer_port
        ),
        ((members_w + 20) * 2 / 13) as usize,
    );
    let clients_top = after_members + 56;
    let (at, after_clients) = rows(spec.clients.len(), clients_top, CLIENT_H, &mut signs);
    nodes.extend(client_nodes(spec, at));
    signs.push(spine(&signs, ca_y + CA_H / 2));
    let clients_label = (!spec.clients.is_empty()).then(|| {
        (
            LEFT,
            clients_top - 22,
            format!(
                "clients: each connects to the members' :{} with its certificate",
                spec.client_port
            ),
        )
    });
    let widest = spec.nodes.len().max(spec.clients.len()).clamp(1, PER_ROW) as i32;
    let width = (LEFT + widest * BOX_W + (widest - 1) * GAP + 16).max(LEFT + CA_W + 16);
    let height = if spec.clients.is_empty() {
        after_members
    } else {
        after_clients
    };
    Diagram {
        width,
        height,
        nodes,
        signs,
        cluster,
        cluster_label,
        clients_label,
        description: describe(spec),
    }
}

/// The root's box, top left (root+issuing).
fn root_node(spec: &ClusterSpec) -> Node {
    Node {
        kind: Kind::Root,
        name: spec.ca_subject.common_name.clone(),
        x: LEFT,
        y: TOP,
        w: CA_W,
        h: CA_H,
        lines: vec![
            fit(&format!("root CA \"{}\"", spec.ca_subject.common_name), 34),
            format!(
                "key offline · signs issuing CAs · {} days",
                spec.root_validity_days
            ),
        ],
    }
}

/// The CA's box, top left (the issuing CA's, under the root, when `layered`).
fn ca_node(spec: &ClusterSpec, y: i32, layered: bool) -> Node {
    let title = if layered { "issuing CA" } else { "CA" };
    Node {
        kind: Kind::Ca,
        name: spec.ca_subject.common_name.clone(),
        x: LEFT,
        y,
        w: CA_W,
        h: CA_H,
        lines: vec![
            fit(&format!("{title} \"{}\"", spec.ca_subject.common_name), 34),
            format!("signs every certificate · {} days", spec.ca_validity_days),
        ],
    }
}

/// The members' boxes at the places `rows` gave them: name, addresses, ports.
fn member_nodes(spec: &ClusterSpec, at: Vec<(i32, i32)>) -> Vec<Node> {
    let ports = format!("client :{} · peer :{}", spec.client_port, spec.peer_port);
    spec.nodes
        .iter()
        .zip(at)
        .map(|(n, (x, y))| {
            let ips = match n.ips.len() {
                0 => "no address".to_string(),
                _ => n.ips.join(", "),
            };
            Node {
                kind: Kind::Member,
                name: n.name.clone(),
                x,
                y,
                w: BOX_W,
                h: MEMBER_H,
                lines: vec![fit(&n.name, 24), fit(&ips, 26), ports.clone()],
            }
        })
        .collect()
}

/// The clients' boxes at the places `rows` gave them: name and etcd user.
fn client_nodes(spec: &ClusterSpec, at: Vec<(i32, i32)>) -> Vec<Node> {
    spec.clients
        .iter()
        .zip(at)
        .map(|(c, (x, y))| Node {
            kind: Kind::Client,
            name: c.name.clone(),
            x,
            y,
            w: BOX_W,
            h: CLIENT_H,
            lines: vec![
                fit(&c.name, 24),
                fit(&format!("etcd user \"{}\"", c.common_name), 26),
            ],
        })
        .collect()
}

/// The spine down the left edge, from the CA (at height `from`) to the last row's bus.
fn spine(signs: &[Line], from: i32) -> Line {
    let last_bus = signs
        .iter()
        .filter(|l| l.x1 == SPINE_X && l.y1 == l.y2)
        .map(|l| l.y1)
        .fold(from, i32::max);
    Line {
        x1: SPINE_X,
        y1: from,
        x2: SPINE_X,
        y2: last_bus,
    }
}

/// The diagram in words.
pub fn describe(spec: &ClusterSpec) -> String {
    let members: Vec<String> = spec
        .nodes
        .iter()
        .map(|n| format!("{} at {}", n.name, n.ips.join(", ")))
        .collect();
    let clients: Vec<String> = spec
        .clients
        .iter()
        .map(|c| format!("{} (etcd user {})", c.name, c.common_name))
        .collect();
    let mut s = String::new();
    if spec.ca_layout == pki_core::CaLayout::RootIssuing {
        s.push_str("A root CA, whose key stays offline, signs the issuing CA; members and clients trust the root alone. ");
    }
    s.push_str(&format!(
        "The CA \"{}\" signs the certificates of {} member{} of cluster \"{}\": {}. Members listen for clients on port {} and for each other on port {}.",
        spec.ca_subject.common_name,
        spec.nodes.len(),
        if spec.nodes.len() == 1 { "" } else { "s" },
        spec.cluster_name,
        members.join("; "),
        spec.client_port,
        spec.peer_port
    ));
    if clients.is_empty() {
        s.push_str(" No clients.");
    } else {
        s.push_str(&format!(
            " It also signs {} client certificate{}: {}.",
            clients.len(),
            if clients.len() == 1 { "" } else { "s" },
            clients.join("; ")
        ));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(members: usize, clients: usize) -> ClusterSpec {
        let nodes: Vec<String> = (1..=members)
            .map(|i| format!(r#"{{"name": "m{i}", "ips": ["10.{i}"]}}"#))
            .collect();
        let cl: Vec<String> = (1..=clients)
            .map(|i| format!(r#"{{"name": "c{i}", "common_name": "u{i}"}}"#))
            .collect();
        ClusterSpec::from_json(&format!(
            r#"{{"nodes": [{}], "clients": [{}]}}"#,
            nodes.join(","),
            cl.join(",")
        ))
        .unwrap()
    }

    fn overlap(a: &Node, b: &Node) -> bool {
        a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h
    }

    #[test]
    fn every_member_and_client_has_a_box_and_a_signing_line() {
        for (m, c) in [(1, 0), (3, 2), (5, 1), (7, 12), (100, 3)] {
            let d = layout(&spec(m, c));
            let members: Vec<&Node> = d.nodes.iter().filter(|n| n.kind == Kind::Member).collect();
            let clients: Vec<&Node> = d.nodes.iter().filter(|n| n.kind == Kind::Client).collect();
            assert_eq!((members.len(), clients.len()), (m, c));
            // No two boxes overlap, and all are inside the drawing.
            for (i, a) in d.nodes.iter().enumerate() {
                assert!(
                    a.x >= 0 && a.x + a.w <= d.width && a.y + a.h <= d.height,
                    "{a:?}"
                );
                for b in &d.nodes[i + 1..] {
                    assert!(!overlap(a, b), "{a:?} overlaps {b:?}");
                }
            }
            // A line ends at the top middle of every box the CA signed.
            for n in members.iter().chain(&clients) {
                assert!(
                    d.signs.iter().any(|l| l.x2 == n.x + n.w / 2 && l.y2 == n.y),
                    "{} has no signing line",
                    n.name
                );
            }
            // The frame holds every member and no client.
            let (fx, fy, fw, fh) = d.cluster;
            for n in &members {
                assert!(n.x >= fx && n.y >= fy && n.x + n.w <= fx + fw && n.y + n.h <= fy + fh);
            }
            for n in &clients {
                assert!(n.y > fy + fh);
            }
        }
    }

    #[test]
    fn root_above_the_issuing_ca_which_signs_the_rest() {
        let mut s = spec(3, 2);
        s.ca_layout = pki_core::CaLayout::RootIssuing;
        let d = layout(&s);
        let root = d.nodes.iter().find(|n| n.kind == Kind::Root).unwrap();
        let ca = d.nodes.iter().find(|n| n.kind == Kind::Ca).unwrap();
        assert!(root.y + root.h < ca.y, "{root:?} {ca:?}");
        assert!(ca.lines[0].starts_with("issuing CA"), "{:?}", ca.lines);
        // One line from the root's box down to the issuing CA's.
        assert!(
            d.signs
                .iter()
                .any(|l| l.y1 == root.y + root.h && l.y2 == ca.y)
        );
        // Every member sits below the issuing CA, and the words name the root.
        assert!(
            d.nodes
                .iter()
                .filter(|n| n.kind == Kind::Member)
                .all(|n| n.y > ca.y + ca.h)
        );
        assert!(d.description.starts_with("A root CA"));
        s.ca_layout = pki_core::CaLayout::Single;
        let single = layout(&s);
        assert!(single.nodes.iter().all(|n| n.kind != Kind::Root));
        assert_eq!(
            single.nodes[0].lines[0],
            format!("CA \"{}\"", s.ca_subject.common_name)
        );
    }

    #[test]
    fn members_show_addresses_and_ports() {
        let mut s = spec(3, 1);
        s.nodes[1].ips.push("2001:db8::2".into());
        s.peer_port = 2390;
        let d = layout(&s);
        let m2 = d.nodes.iter().find(|n| n.name == "m2").unwrap();
        assert_eq!(m2.lines[1], "10.2, 2001:db8::2");
        assert_eq!(m2.lines[2], "client :2379 · peer :2390");
        assert!(d.description.contains("m2 at 10.2, 2001:db8::2"));
        assert!(d.description.contains("c1 (etcd user u1)"));
        let long = "x".repeat(80);
        s.nodes[0].name = long.clone();
        let d = layout(&s);
        let first = d.nodes.iter().find(|n| n.kind == Kind::Member).unwrap();
        assert!(first.lines[0].ends_with('…'));
    }
}
