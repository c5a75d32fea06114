//! What the page's inputs hold: the raw text a person typed, kept as typed so a bad value is
//! visible and named rather than silently turned into zero. `to_spec` turns it into a
//! `ClusterSpec` plus the problems that only the raw text can show (a port that is not a
//! number); pki-core's validation does the rest.

use reactive_stores::Store;

use pki_core::{
    AuthToken, CaLayout, Client, ClientKind, ClusterSpec, EtcdVersion, KeyAlgorithm, Layout, Node,
    Problem, Severity, Subject, TlsVersion,
};

/// One member row. A store too: its inputs bind to its own fields.
#[derive(Clone, Debug, PartialEq, Eq, Default, Store)]
pub struct NodeRow {
    /// Stable id for the UI (rows move).
    pub id: u64,
    /// Name as typed.
    pub name: String,
    /// IPs as typed: comma- or space-separated.
    pub ips: String,
    /// DNS names as typed: comma- or space-separated.
    pub dns: String,
}

/// One client row. A store too: its inputs bind to its own fields.
#[derive(Clone, Debug, PartialEq, Eq, Default, Store)]
pub struct ClientRow {
    /// Stable id for the UI.
    pub id: u64,
    /// Folder name.
    pub name: String,
    /// Common name = etcd user.
    pub cn: String,
    /// Organization, empty for none.
    pub org: String,
    /// What the client is.
    pub kind: ClientKind,
    /// Roles and grants are kept from the spec or preset; the page shows them.
    pub roles: Vec<String>,
    /// Key prefix grants.
    pub grants: Vec<pki_core::Grant>,
}

/// A row with a stable id (rows move and are removed; their ids stay).
pub trait HasId {
    /// Its id.
    fn id(&self) -> u64;
}

impl HasId for NodeRow {
    fn id(&self) -> u64 {
        self.id
    }
}

impl HasId for ClientRow {
    fn id(&self) -> u64 {
        self.id
    }
}

/// Removes the row `id` from `rows`.
pub fn remove_row<T: HasId>(rows: &mut Vec<T>, id: u64) {
    rows.retain(|r| r.id() != id);
}

/// Moves the row `id` up (-1) or down (+1) in `rows`; at either end it stays.
pub fn move_row<T: HasId>(rows: &mut [T], id: u64, delta: isize) {
    if let Some(i) = rows.iter().position(|r| r.id() == id) {
        let j = i as isize + delta;
        if j >= 0 && (j as usize) < rows.len() {
            rows.swap(i, j as usize);
        }
    }
}

/// Replaces the whole form in the store (the demo, an imported spec, a pasted /etc/hosts, an
/// opened bundle). The two row lists are written through their keyed fields first, as
/// Leptos' `examples/stores` writes its list (`store.todos().write()`): the store then knows
/// at once which row id sits where, so a row's effect that runs before the `<For>` has
/// redrawn the table reads its own row, or nothing once its row is gone, never another
/// row's place. The rest of the form follows in one write.
pub fn replace(form: Store<Form>, mut new: Form) {
    use leptos::prelude::{Set, Update};
    form.nodes().set(std::mem::take(&mut new.nodes));
    form.clients().set(std::mem::take(&mut new.clients));
    form.update(|f| {
        new.nodes = std::mem::take(&mut f.nodes);
        new.clients = std::mem::take(&mut f.clients);
        *f = new;
    });
}

/// Everything the page edits. A store: each option's input binds to its own field
/// (`bind:value`), and `nodes` and `clients` are keyed fields (keyed by the row's id), so each
/// row owns its fields and its inputs bind to them: typing in one row reruns what reads that
/// row or the whole form, not the other rows. A row is removed or moved by writing through
/// its list's keyed field (`form.nodes().write()`, with [`remove_row`] and [`move_row`]), and
/// the whole form is replaced with [`replace`], so the store's row keys follow every change
/// of place; adding a row at the end moves none.
#[derive(Clone, Debug, PartialEq, Eq, Store)]
pub struct Form {
    /// Member rows.
    #[store(key: u64 = |row| row.id)]
    pub nodes: Vec<NodeRow>,
    /// Client rows.
    #[store(key: u64 = |row| row.id)]
    pub clients: Vec<ClientRow>,
    /// Cluster name.
    pub cluster_name: String,
    /// Key algorithm spelling.
    pub key_algorithm: KeyAlgorithm,
    /// One CA, or a root and an issuing CA.
    pub ca_layout: CaLayout,
    /// Raw number: the root's lifetime (root+issuing).
    pub root_days: String,
    /// Raw numbers.
    pub ca_days: String,
    /// Raw number.
    pub cert_days: String,
    /// CA subject, raw.
    pub ca_cn: String,
    /// O.
    pub ca_o: String,
    /// OU.
    pub ca_ou: String,
    /// C.
    pub ca_c: String,
    /// ST.
    pub ca_st: String,
    /// L.
    pub ca_l: String,
    /// Paths.
    pub cert_dir: String,
    /// Data dir.
    pub data_dir: String,
    /// Raw port.
    pub client_port: String,
    /// Raw port.
    pub peer_port: String,
    /// Token.
    pub token: String,
    /// etcd version.
    pub etcd_version: EtcdVersion,
    /// Layout.
    pub layout: Layout,
    /// Auth token kind.
    pub auth_token: AuthToken,
    /// Metrics URL, empty for none.
    pub metrics_url: String,
    /// `peer_cert_allowed_cn`, carried from an imported spec (no control on the page yet).
    pub peer_cert_allowed_cn: bool,
    /// TLS minimum, None for etcd's default.
    pub tls_min_version: Option<TlsVersion>,
    /// Cipher suites, comma-separated.
    pub cipher_suites: String,
    /// Whether the cluster runs today on plain HTTP (the bundle then holds `migrate/`).
    pub migrate: bool,
    /// Raw port of today's http:// client URLs.
    pub mig_client_port: String,
    /// Raw port of today's http:// peer URLs.
    pub mig_peer_port: String,
    /// Whether clients need certificates at the end of the migration.
    pub mig_cert_auth: bool,
    next_id: u64,
}

fn split_list(s: &str) -> Vec<String> {
    s.split(|c: char| c == ',' || c.is_whitespace())
        .filter(|t| !t.is_empty())
        .map(String::from)
        .collect()
}

fn opt(s: &str) -> Option<String> {
    let t = s.trim();
    (!t.is_empty()).then(|| t.to_string())
}

impl Form {
    /// The form showing `spec`.
    pub fn from_spec(spec: &ClusterSpec) -> Form {
        let mut f = Form {
            nodes: Vec::new(),
            clients: Vec::new(),
            cluster_name: spec.cluster_name.clone(),
            key_algorithm: spec.key_algorithm,
            ca_layout: spec.ca_layout,
            root_days: spec.root_validity_days.to_string(),
            ca_days: spec.ca_validity_days.to_string(),
            cert_days: spec.cert_validity_days.to_string(),
            ca_cn: spec.ca_subject.common_name.clone(),
            ca_o: spec.ca_subject.organization.clone().unwrap_or_default(),
            ca_ou: spec
                .ca_subject
                .organizational_unit
                .clone()
                .unwrap_or_default(),
            ca_c: spec.ca_subject.country.clone().unwrap_or_default(),
            ca_st: spec.ca_subject.state.clone().unwrap_or_default(),
            ca_l: spec.ca_subject.locality.clone().unwrap_or_default(),
            cert_dir: spec.cert_dir.clone(),
            data_dir: spec.data_dir.clone(),
            client_port: spec.client_port.to_string(),
            peer_port: spec.peer_port.to_string(),
            token: spec.initial_cluster_token.clone(),
            etcd_version: spec.etcd_version,
            layout: spec.layout,
            auth_token: spec.auth_token,
            metrics_url: spec.metrics_url.clone().unwrap_or_default(),
            peer_cert_allowed_cn: spec.peer_cert_allowed_cn,
            tls_min_version: spec.tls_min_version,
            cipher_suites: spec.cipher_suites.join(", "),
            migrate: spec.migration.is_some(),
            mig_client_port: spec
                .migration
                .as_ref()
                .map_or(spec.client_port, |m| m.current_client_port)
                .to_string(),
            mig_peer_port: spec
                .migration
                .as_ref()
                .map_or(2380, |m| m.current_peer_port)
                .to_string(),
            mig_cert_auth: spec.migration.as_ref().is_none_or(|m| m.client_cert_auth),
            next_id: 1,
        };
        for n in &spec.nodes {
            let id = f.fresh_id();
            f.nodes.push(NodeRow {
                id,
                name: n.name.clone(),
                ips: n.ips.join(", "),
                dns: n.dns_names.join(", "),
            });
        }
        for c in &spec.clients {
            let id = f.fresh_id();
            f.clients.push(ClientRow {
                id,
                name: c.name.clone(),
                cn: c.common_name.clone(),
                org: c.organization.clone().unwrap_or_default(),
                kind: c.kind,
                roles: c.roles.clone(),
                grants: c.grants.clone(),
            });
        }
        f
    }

    fn fresh_id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }

    /// The spec the form describes, and the problems only the raw text shows (numbers that
    /// are not numbers). Those problems use the spec's field paths.
    pub fn to_spec(&self) -> (ClusterSpec, Vec<Problem>) {
        let mut numbers = Numbers::default();
        let defaults = ClusterSpec::default();
        let days = "number of days";
        let ca_days = numbers.read("ca_validity_days", &self.ca_days, days, 36500);
        let root_days = match self.ca_layout {
            CaLayout::RootIssuing => {
                numbers.read("root_validity_days", &self.root_days, days, 36500)
            }
            CaLayout::Single => None,
        };
        let cert_days = numbers.read("cert_validity_days", &self.cert_days, days, 36500);
        let client_port = numbers.read("client_port", &self.client_port, "port", 65535);
        let peer_port = numbers.read("peer_port", &self.peer_port, "port", 65535);
        let migration = self.migration(&mut numbers);
        let spec = ClusterSpec {
            cluster_name: self.cluster_name.trim().to_string(),
            nodes: self.spec_nodes(),
            clients: self.spec_clients(),
            key_algorithm: self.key_algorithm,
            ca_layout: self.ca_layout,
            ca_validity_days: ca_days.map_or(defaults.ca_validity_days, |v| v as u32),
            root_validity_days: root_days.map_or(defaults.root_validity_days, |v| v as u32),
            cert_validity_days: cert_days.map_or(defaults.cert_validity_days, |v| v as u32),
            ca_subject: self.ca_subject(),
            cert_dir: self.cert_dir.trim().to_string(),
            data_dir: self.data_dir.trim().to_string(),
            client_port: client_port.map_or(defaults.client_port, |v| v as u16),
            peer_port: peer_port.map_or(defaults.peer_port, |v| v as u16),
            initial_cluster_token: self.token.trim().to_string(),
            etcd_version: self.etcd_version,
            layout: self.layout,
            tls_min_version: self.tls_min_version,
            cipher_suites: split_list(&self.cipher_suites),
            auth_token: self.auth_token,
            metrics_url: opt(&self.metrics_url),
            peer_cert_allowed_cn: self.peer_cert_allowed_cn,
            migration,
        };
        (spec, numbers.problems)
    }

    /// The migration section, when it is on (its ports default to the cluster's).
    fn migration(&self, numbers: &mut Numbers) -> Option<pki_core::Migration> {
        if !self.migrate {
            return None;
        }
        let defaults = ClusterSpec::default();
        let (client, peer) = (
            "migration.current_client_port",
            "migration.current_peer_port",
        );
        let client = numbers.read(client, &self.mig_client_port, "port", 65535);
        let peer = numbers.read(peer, &self.mig_peer_port, "port", 65535);
        Some(pki_core::Migration {
            current_client_port: client.map_or(defaults.client_port, |v| v as u16),
            current_peer_port: peer.map_or(defaults.peer_port, |v| v as u16),
            client_cert_auth: self.mig_cert_auth,
        })
    }

    /// The member rows as the spec's nodes.
    fn spec_nodes(&self) -> Vec<Node> {
        self.nodes
            .iter()
            .map(|n| Node {
                name: n.name.trim().to_string(),
                ips: split_list(&n.ips),
                dns_names: split_list(&n.dns),
            })
            .collect()
    }

    /// The client rows as the spec's clients.
    fn spec_clients(&self) -> Vec<Client> {
        self.clients
            .iter()
            .map(|c| Client {
                name: c.name.trim().to_string(),
                common_name: c.cn.clone(),
                organization: opt(&c.org),
                kind: c.kind,
                roles: c.roles.clone(),
                grants: c.grants.clone(),
            })
            .collect()
    }

    /// The CA subject fields.
    fn ca_subject(&self) -> Subject {
        Subject {
            common_name: self.ca_cn.clone(),
            organization: opt(&self.ca_o),
            organizational_unit: opt(&self.ca_ou),
            country: opt(&self.ca_c),
            state: opt(&self.ca_st),
            locality: opt(&self.ca_l),
        }
    }

    /// Appends an empty member row named after its position.
    pub fn add_node(&mut self) {
        let id = self.fresh_id();
        let n = self.nodes.len() + 1;
        self.nodes.push(NodeRow {
            id,
            name: format!("etcd{n}"),
            ..NodeRow::default()
        });
    }

    /// Adds a client from a preset; a second one of a kind gets a numbered name and CN.
    pub fn add_client(&mut self, kind: ClientKind) {
        let p = kind.preset();
        let mut name = p.name.clone();
        let mut cn = p.common_name.clone();
        let mut k = 2;
        while self.clients.iter().any(|c| c.name == name || c.cn == cn) {
            name = format!("{}-{k}", p.name);
            cn = format!("{}-{k}", p.common_name);
            k += 1;
        }
        let id = self.fresh_id();
        self.clients.push(ClientRow {
            id,
            name,
            cn,
            org: p.organization.unwrap_or_default(),
            kind,
            roles: p.roles,
            grants: p.grants,
        });
    }

    /// Replaces the member table with the lines of an /etc/hosts-style text:
    /// `IP name [dns names...]`. Lines that are empty or comments are skipped; a line with
    /// an IP but no name gets `etcdN`. Returns how many members were read, or a message.
    pub fn apply_hosts(&mut self, text: &str) -> Result<usize, String> {
        let mut rows = Vec::new();
        for (lineno, line) in text.lines().enumerate() {
            let line = line.split('#').next().unwrap_or("").trim();
            if line.is_empty() {
                continue;
            }
            let mut words = line.split_whitespace();
            let ip = words.next().unwrap_or("");
            let name = words.next();
            let dns: Vec<&str> = words.collect();
            if name.is_none() && ip.parse::<std::net::IpAddr>().is_err() {
                return Err(format!(
                    "line {}: \"{line}\" is not in /etc/hosts form; write \"10.0.0.1 etcd1 etcd1.example.com\"",
                    lineno + 1
                ));
            }
            let name = match name {
                // "10.0.0.1 etcd1.example.com": the first label names the member.
                Some(n) if n.contains('.') && dns.is_empty() => (
                    n.split('.').next().unwrap_or(n).to_string(),
                    vec![n.to_string()],
                ),
                Some(n) => (n.to_string(), dns.iter().map(|s| s.to_string()).collect()),
                None => (format!("etcd{}", rows.len() + 1), vec![]),
            };
            rows.push((ip.to_string(), name.0, name.1));
        }
        if rows.is_empty() {
            return Err(
                "no lines to read; paste lines like \"10.0.0.1 etcd1 etcd1.example.com\"".into(),
            );
        }
        self.nodes.clear();
        for (ip, name, dns) in &rows {
            let id = self.fresh_id();
            self.nodes.push(NodeRow {
                id,
                name: name.clone(),
                ips: ip.clone(),
                dns: dns.join(", "),
            });
        }
        Ok(rows.len())
    }
}

/// Numbers typed as text, read one by one; each that is not a whole number up to its maximum
/// becomes a problem at the spec's field path (and the field keeps its default).
#[derive(Default)]
struct Numbers {
    problems: Vec<Problem>,
}

impl Numbers {
    fn read(&mut self, path: &str, raw: &str, what: &str, max: u64) -> Option<u64> {
        match raw.trim().parse::<u64>() {
            Ok(v) if v <= max => Some(v),
            _ => {
                self.problems.push(Problem {
                    severity: Severity::Error,
                    path: path.into(),
                    value: raw.into(),
                    message: format!(
                        "{raw:?} is not a {what}; type a whole number from 1 to {max}"
                    ),
                });
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_the_template() {
        let t = ClusterSpec::template();
        let (spec, problems) = Form::from_spec(&t).to_spec();
        assert!(problems.is_empty());
        assert_eq!(spec, t);
    }

    #[test]
    fn a_port_that_is_not_a_number_is_named_not_zeroed() {
        let mut f = Form::from_spec(&ClusterSpec::template());
        f.client_port = "23x9".into();
        f.cert_days = "".into();
        let (_, problems) = f.to_spec();
        let paths: Vec<&str> = problems.iter().map(|p| p.path.as_str()).collect();
        assert_eq!(paths, ["cert_validity_days", "client_port"]);
        assert!(problems[1].message.contains("\"23x9\" is not a port"));
    }

    #[test]
    fn ips_split_on_commas_and_spaces_so_paths_match_validation() {
        let mut f = Form::from_spec(&ClusterSpec::template());
        f.nodes[1].ips = "10.0.0.2,  10.0.0.300".into();
        let (spec, _) = f.to_spec();
        assert_eq!(spec.nodes[1].ips, ["10.0.0.2", "10.0.0.300"]);
        let r = pki_core::validate(&spec);
        assert_eq!(r.at("nodes[1].ips").next().unwrap().path, "nodes[1].ips[1]");
    }

    #[test]
    fn hosts_lines_fill_the_table() {
        let mut f = Form::from_spec(&ClusterSpec::template());
        let n = f
            .apply_hosts(
                "# etcd nodes\n10.0.0.11 etcd-a etcd-a.example.com\n\n10.0.0.12 etcd-b.example.com\n10.0.0.13\n",
            )
            .unwrap();
        assert_eq!(n, 3);
        let (spec, _) = f.to_spec();
        assert_eq!(spec.nodes[0].name, "etcd-a");
        assert_eq!(spec.nodes[0].dns_names, ["etcd-a.example.com"]);
        assert_eq!(spec.nodes[1].name, "etcd-b");
        assert_eq!(spec.nodes[1].dns_names, ["etcd-b.example.com"]);
        assert_eq!(spec.nodes[2].name, "etcd3");
        assert!(
            f.apply_hosts("hello world\n").is_ok(),
            "a name-only pair is read; validation judges the IP"
        );
        let before = f.clone();
        assert!(f.apply_hosts("\n# nothing\n").is_err());
        assert_eq!(f, before, "a failed paste changes nothing");
    }

    #[test]
    fn rows_move_and_presets_do_not_collide() {
        let mut f = Form::from_spec(&ClusterSpec::template());
        let id = f.nodes[2].id;
        move_row(&mut f.nodes, id, -1);
        assert_eq!(f.nodes[1].id, id);
        let first = f.nodes[0].id;
        move_row(&mut f.nodes, first, -1);
        f.add_client(ClientKind::Etcdctl);
        let (spec, _) = f.to_spec();
        assert!(
            !pki_core::validate(&spec).has_errors(),
            "{:?}",
            pki_core::validate(&spec)
        );
        assert_eq!(f.clients.last().unwrap().cn, "root-2");
    }

    /// The template's form with its member rows in another order (ids 2, 3, 4 become 4, 2, 3).
    fn reordered() -> Form {
        let mut f = Form::from_spec(&ClusterSpec::template());
        let last = f.nodes[2].id;
        move_row(&mut f.nodes, last, -1);
        move_row(&mut f.nodes, last, -1);
        move_row(&mut f.nodes, last, -1);
        f
    }

    #[test]
    fn rows_move_and_go_by_id() {
        let f = reordered();
        let ids: Vec<u64> = f.nodes.iter().map(|n| n.id).collect();
        assert_eq!(ids, [4, 2, 3], "the first row stays first when moved up");
        let mut g = f.clone();
        remove_row(&mut g.nodes, 2);
        remove_row(&mut g.nodes, 99);
        let names: Vec<&str> = g.nodes.iter().map(|n| n.name.as_str()).collect();
        assert_eq!(names, ["etcd3", "etcd2"]);
    }

    /// Rows that own their fields: the whole form replaced, rows moved and removed through
    /// the keyed field while the old rows still hold their keys, and their fields read before
    /// the list is iterated again (as a row's effect can run before the `<For>`). Each row
    /// reads its own row or nothing, never another row's place, and nothing panics.
    #[test]
    fn rows_written_through_the_keyed_field_read_their_own_row_or_nothing() {
        use leptos::prelude::{GetUntracked, Set, WithUntracked, Write};
        use reactive_stores::Field;

        let form = Store::new(Form::from_spec(&ClusterSpec::template()));
        // Iterating is what the <For> does: the store learns ids 2, 3, 4 at 0, 1, 2.
        let rows: Vec<Field<NodeRow>> = form.nodes().into_iter().map(Field::from).collect();
        let name = |i: usize| rows[i].name().try_get_untracked();
        let all = || [name(0), name(1), name(2)];
        let some = |n: &str| Some(n.to_string());
        assert_eq!(all(), [some("etcd1"), some("etcd2"), some("etcd3")]);

        // Fewer rows: id 4 (index 2) is gone, id 2 holds another row.
        let mut one = ClusterSpec::template();
        one.nodes.truncate(1);
        one.nodes[0].name = "solo".into();
        replace(form, Form::from_spec(&one));
        assert_eq!(name(0), some("solo"));
        assert_eq!(name(2), None, "a row that is gone has no field");
        rows[2].name().set("typed into a gone row".into());
        assert_eq!(form.with_untracked(|f| f.to_spec().0.nodes.len()), 1);

        // The same ids at other places: each row still reads its own.
        replace(form, reordered());
        assert_eq!(all(), [some("etcd1"), some("etcd2"), some("etcd3")]);
        rows[1].ips().set("10.0.0.22".into());
        let spec = form.with_untracked(|f| f.to_spec().0);
        assert_eq!(spec.nodes[2].name, "etcd2");
        assert_eq!(spec.nodes[2].ips, ["10.0.0.22"]);

        // A move and a removal through the keyed field, as the table's buttons do them.
        move_row(&mut form.nodes().write(), 3, -1);
        remove_row(&mut form.nodes().write(), 4);
        assert_eq!(all(), [some("etcd1"), some("etcd2"), None]);
        rows[0].name().set("first".into());
        let names: Vec<String> =
            form.with_untracked(|f| f.nodes.iter().map(|n| n.name.clone()).collect());
        assert_eq!(names, ["etcd2", "first"]);
        assert_eq!(rows[0].name().get_untracked(), "first");
    }
}
