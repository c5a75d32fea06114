//! The checks: every certificate, key, CRL and setting on its own and against each other,
//! then every recognised log line explained with them. A log line picks the class; the files
//! name the culprit (which certificate, which setting) and fill in the fix.

use std::collections::BTreeSet;

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::certs::{Cert, KeyProblem};
use super::config::url_host;
use super::input::Material;
use super::logs::{Hit, Kind, Side, recognise, to_addr};
use super::report::{Diagnosis, Finding, Level, clip};

/// What a leaf certificate is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Role {
    Server,
    Peer,
    Client,
}

struct Ctx<'a> {
    m: &'a Material,
    now: OffsetDateTime,
    findings: Vec<Finding>,
    fine: Vec<String>,
    bundle: String,
    /// The hosts clients dialled (their --endpoints, the addresses their errors name).
    dialled: Vec<String>,
}

/// Runs every check over `m`.
pub(crate) fn run(m: &Material, now: OffsetDateTime) -> Diagnosis {
    let mut c = Ctx {
        m,
        now,
        findings: Vec::new(),
        fine: Vec::new(),
        bundle: m.bundle.clone().unwrap_or_else(|| "BUNDLE.zip".into()),
        dialled: dialled_hosts(m),
    };
    c.check_certs();
    c.check_keys();
    c.check_crls();
    c.check_settings();
    c.explain_logs();
    let mut findings = c.findings;
    findings.sort_by_key(|f| f.level);
    Diagnosis {
        findings,
        fine: c.fine,
        inputs: m.notes.clone(),
    }
}

/// The member or client a file belongs to, from a bundle path (`members/etcd1/...`,
/// `clients/app/...`).
fn owner_of(source: &str) -> Option<String> {
    let path = source.rsplit_once(".zip:").map_or(source, |(_, p)| p);
    let parts: Vec<&str> = path.split('/').collect();
    parts.windows(2).find_map(|w| match w[0] {
        "members" => Some(w[1].to_string()),
        "clients" => Some(format!("client {}", w[1])),
        _ => None,
    })
}

/// The hosts the clients dialled: their `--endpoints`, and the addresses their error lines
/// name (`https://10.0.0.2:2379 is unhealthy`, `dial tcp 10.0.0.2:2379`).
fn dialled_hosts(m: &Material) -> Vec<String> {
    let mut v: Vec<String> = Vec::new();
    let mut add = |h: String| {
        if !h.is_empty() && !v.contains(&h) {
            v.push(h);
        }
    };
    for s in m.settings.iter().filter(|s| s.key == "endpoints") {
        for u in s.value.split(',') {
            if let Some((_, h)) = url_host(u) {
                add(h);
            }
        }
    }
    for (_, l) in &m.lines {
        // A client's own words (etcdctl's health line, curl's); etcd's log dials too, itself.
        if (l.contains("is unhealthy")
            || l.starts_with("curl: ")
            || l.contains("Failed to connect to"))
            && let Some(a) = to_addr(l)
        {
            add(a
                .rsplit_once(':')
                .map_or(a.as_str(), |(h, _)| h)
                .trim_matches(['[', ']'])
                .to_string());
        }
    }
    v
}

fn base(path: &str) -> &str {
    let p = path.split('#').next().unwrap_or(path);
    p.rsplit(['/', '\\', ':']).next().unwrap_or(p)
}

impl<'a> Ctx<'a> {
    fn setting(&self, key: &str) -> Option<&'a str> {
        let m: &'a Material = self.m;
        m.settings
            .iter()
            .find(|s| s.key == key)
            .map(|s| s.value.as_str())
    }

    fn cas(&self) -> impl Iterator<Item = &Cert> {
        self.m.certs.iter().filter(|c| c.is_ca)
    }

    fn leaves(&self) -> impl Iterator<Item = &Cert> {
        self.m.certs.iter().filter(|c| !c.is_ca)
    }

    /// A leaf's role: from the setting that names its file, its file name, then its EKU.
    fn role(&self, c: &Cert) -> Role {
        let b = base(&c.source);
        for (key, role) in [
            ("cert-file", Role::Server),
            ("peer-cert-file", Role::Peer),
            ("cert", Role::Client),
        ] {
            if self.setting(key).is_some_and(|v| base(v) == b) {
                return role;
            }
        }
        let lower = b.to_ascii_lowercase();
        if lower.contains("peer") {
            Role::Peer
        } else if lower.contains("server") {
            Role::Server
        } else if lower.contains("client") || lower.contains("etcdctl") {
            Role::Client
        } else {
            match c.eku {
                Some((true, _, _)) => Role::Server,
                Some((false, true, _)) => Role::Client,
                _ if c.ips.is_empty() && c.dns.is_empty() => Role::Client,
                _ => Role::Server,
            }
        }
    }

    /// Who a certificate belongs to: its bundle folder, the member name set, or its CN.
    fn who(&self, c: &Cert) -> String {
        if c.is_ca {
            return format!("the CA CN={}", c.cn);
        }
        if let Some(o) = owner_of(&c.source) {
            return o;
        }
        match self.role(c) {
            Role::Client => format!("client CN={}", c.cn),
            _ if self.named_by_settings(c) => self
                .setting_for(c, "name")
                .map(str::to_string)
                .unwrap_or_else(|| format!("member CN={}", c.cn)),
            _ => format!("member CN={}", c.cn),
        }
    }

    /// A setting that applies to `c`: in a bundle, its own member's (`members/etcd2/etcd.env`
    /// for `members/etcd2/pki/server.crt`); otherwise one given outside any bundle.
    fn setting_for(&self, c: &Cert, key: &str) -> Option<&'a str> {
        let m: &'a Material = self.m;
        let owner = owner_of(&c.source);
        m.settings
            .iter()
            .find(|s| s.key == key && owner_of(&s.at) == owner)
            .map(|s| s.value.as_str())
    }

    /// Whether the settings given name this certificate's file (`--cert-file`,
    /// `--peer-cert-file`): then they are its member's settings.
    fn named_by_settings(&self, c: &Cert) -> bool {
        let b = base(&c.source);
        ["cert-file", "peer-cert-file"]
            .iter()
            .any(|k| self.setting_for(c, k).is_some_and(|v| base(v) == b))
    }

    /// The name etcd-pki's `--only` takes for a certificate's owner.
    fn only_name(&self, c: &Cert) -> String {
        owner_of(&c.source)
            .map(|o| o.trim_start_matches("client ").to_string())
            .unwrap_or_else(|| c.cn.clone())
    }

    fn renew(&self, name: &str) -> String {
        format!(
            "etcd-pki renew --from {} --ca-key CA.key --only {name} --out renewed.zip",
            self.bundle
        )
    }

    fn push(&mut self, f: Finding) {
        if let Some(old) = self
            .findings
            .iter_mut()
            .find(|o| o.class == f.class && o.who == f.who && o.file == f.file)
        {
            if old.log_line.is_none() {
                old.log_line = f.log_line;
            }
            old.log_count += f.log_count;
            // A file finding that warned of a failure (a PEM CRL, which only 3.6+ refuses)
            // is an error once a log line shows the failure happened.
            old.level = old.level.min(f.level);
            return;
        }
        self.findings.push(f);
    }

    fn when(t: OffsetDateTime) -> String {
        t.format(&Rfc3339).unwrap_or_default()
    }

    // ---- certificates ----

    fn check_certs(&mut self) {
        let leaves: Vec<Cert> = self.leaves().cloned().collect();
        let cas: Vec<Cert> = self.cas().cloned().collect();
        for c in &cas {
            self.check_dates(c, "CA");
        }
        self.check_issuing_under_root(&cas);
        // Leaves that chain to none of the CAs given: the leaf, or the CA file, is wrong.
        let mut strangers: Vec<&Cert> = leaves
            .iter()
            .filter(|l| !cas.is_empty() && !cas.iter().any(|ca| l.issued_by(ca)))
            .collect();
        // A leaf file that left its issuing CA out is that, not a stranger.
        if strangers.len() < leaves.len() || leaves.len() == 1 {
            strangers.retain(|l| !self.check_missing_issuing(l, &cas));
        }
        let issuers: BTreeSet<&[u8]> = strangers.iter().map(|l| l.issuer_raw.as_slice()).collect();
        if !strangers.is_empty()
            && strangers.len() == leaves.len()
            && leaves.len() > 1
            && issuers.len() == 1
        {
            let ca = &cas[0];
            self.push(Finding {
                class: "ca-file-wrong",
                level: Level::Error,
                who: "the CA file".into(),
                file: ca.source.clone(),
                field: "subject".into(),
                rule: format!(
                    "the CA file holds {} (CN={}), but every certificate given was issued by {}: \
                     etcd and its clients trust only the CA in --trusted-ca-file / --cacert",
                    ca.source, ca.cn, strangers[0].issuer
                ),
                log_line: None,
                log_count: 0,
                fix: {
                    let mut fix = vec![
                        format!(
                            "install the CA that issued the certificates as {} (the bundle's ca.crt)",
                            base(&ca.source)
                        ),
                        "openssl verify -CAfile ca.crt server.crt   # must print OK".into(),
                    ];
                    if ca.issued_by(ca) {
                        fix.push(format!(
                            "or, if {} is an issuing CA under this root (root+issuing layout), \
                             every leaf file must hold it after the leaf: cat server.crt \
                             issuing-ca.crt > server.crt.chain && mv server.crt.chain server.crt",
                            strangers[0].issuer
                        ));
                    }
                    fix
                },
            });
        } else {
            for l in strangers {
                let role = self.role(l);
                let class = match role {
                    Role::Server => "server-unknown-ca",
                    Role::Peer => "peer-unknown-ca",
                    Role::Client => "client-unknown-ca",
                };
                let name = self.only_name(l);
                let f = Finding {
                    class,
                    level: Level::Error,
                    who: self.who(l),
                    file: l.source.clone(),
                    field: "issuer".into(),
                    rule: format!(
                        "the certificate was issued by {}, not by the CA given ({}): the other \
                         side refuses it with `x509: certificate signed by unknown authority`",
                        l.issuer,
                        cas.iter()
                            .map(|c| c.cn.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                    log_line: None,
                    log_count: 0,
                    fix: {
                        let mut fix = vec![
                            format!(
                                "issue it again under the cluster's CA: {}",
                                self.renew(&name)
                            ),
                            format!(
                                "openssl verify -CAfile ca.crt {}   # must print OK",
                                base(&l.source)
                            ),
                        ];
                        if role == Role::Server {
                            fix.push("or, if the certificate is right, give the client the CA that issued it: --cacert=ca.crt (the bundle's clients/NAME/ca.crt)".into());
                        }
                        fix
                    },
                };
                self.push(f);
            }
        }
        for l in &leaves {
            self.check_chain(l, &cas);
            self.check_leaf(l);
        }
    }

    /// A leaf issued by an intermediate CA that is not in the leaf's own file: the side that
    /// presents it sends the leaf alone, and the other side (which trusts the root only)
    /// cannot build the chain.
    fn check_chain(&mut self, l: &Cert, cas: &[Cert]) {
        let file = |s: &str| s.split('#').next().unwrap_or(s).to_string();
        let issuers: Vec<&Cert> = cas
            .iter()
            .filter(|ca| l.issued_by(ca) && !ca.issued_by(ca))
            .collect();
        // The same issuing CA is often also a file of its own (a bundle's issuing-ca.crt):
        // what matters is whether the leaf's file carries a copy.
        if issuers.iter().any(|ca| file(&ca.source) == file(&l.source)) {
            return;
        }
        let Some(inter) = issuers.first() else {
            return;
        };
        let name = self.only_name(l);
        self.push(Finding {
            class: "missing-intermediate",
            level: Level::Error,
            who: self.who(l),
            file: l.source.clone(),
            field: "certificate chain".into(),
            rule: format!(
                "{} is issued by the intermediate CA {} ({}), but its file holds the leaf \
                 alone: the other side trusts the root only and cannot build the chain \
                 (`x509: certificate signed by unknown authority`)",
                l.source, inter.cn, inter.source
            ),
            log_line: None,
            log_count: 0,
            fix: vec![
                format!(
                    "cat {0} {1} > {0}.chain && mv {0}.chain {0}   # leaf first, then the intermediate",
                    base(&l.source),
                    base(&inter.source)
                ),
                format!(
                    "or take the file from the bundle again (an etcd-pki root+issuing bundle's \
                     leaf files hold the leaf, then the issuing CA), or renew it: {}",
                    self.renew(&name)
                ),
            ],
        });
    }

    /// A leaf whose issuing CA none of the inputs holds, given beside a root that did not
    /// issue it either, in a file holding the leaf alone: the issuing CA was left out of the
    /// leaf file (etcd sends what the file holds, and the other side trusts only the root).
    /// Returns whether it said so.
    fn check_missing_issuing(&mut self, l: &Cert, cas: &[Cert]) -> bool {
        let roots: Vec<&Cert> = cas.iter().filter(|c| c.issued_by(c)).collect();
        let alone = !l.source.contains('#');
        // A leaf that names a root given as its issuer was not issued by an issuing CA: if
        // that root did not sign it, it is another CA of the same name (client-unknown-ca
        // and its kin say so), not a missing intermediate.
        if roots.is_empty()
            || !alone
            || roots
                .iter()
                .any(|r| l.issued_by(r) || l.issuer_raw == r.subject_raw)
        {
            return false;
        }
        let name = self.only_name(l);
        self.push(Finding {
            class: "missing-intermediate",
            level: Level::Error,
            who: self.who(l),
            file: l.source.clone(),
            field: "certificate chain".into(),
            rule: format!(
                "{} holds the leaf alone, issued by {}, which is not the root given ({}): under \
                 a root and an issuing CA the leaf file must hold the leaf, then its issuing CA; \
                 etcd sends what the file holds, and the other side, trusting the root only, \
                 refuses it (`x509: certificate signed by unknown authority`)",
                l.source,
                l.issuer,
                roots
                    .iter()
                    .map(|r| r.cn.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            log_line: None,
            log_count: 0,
            fix: vec![
                format!(
                    "cat {0} issuing-ca.crt > {0}.chain && mv {0}.chain {0}   # leaf first, then \
                     the issuing CA (the bundle's issuing-ca.crt)",
                    base(&l.source)
                ),
                format!(
                    "or install the file from the bundle again (its leaf files hold both), or \
                     renew it: {}",
                    self.renew(&name)
                ),
                format!(
                    "openssl verify -CAfile ca.crt -untrusted {0} {0}   # must print OK",
                    base(&l.source)
                ),
            ],
        });
        true
    }

    /// An issuing CA given beside one or more roots, none of which signed it (checked by
    /// signature: two clusters' roots may share a name): members trusting those roots refuse
    /// every certificate under it.
    fn check_issuing_under_root(&mut self, cas: &[Cert]) {
        let roots: Vec<&Cert> = cas.iter().filter(|c| c.issued_by(c)).collect();
        if roots.is_empty() {
            return;
        }
        let mut seen: Vec<&[u8]> = Vec::new();
        for ca in cas.iter().filter(|c| !c.issued_by(c)) {
            if seen.contains(&ca.der.as_slice()) {
                continue;
            }
            seen.push(&ca.der);
            let verdicts: Vec<Option<bool>> = roots.iter().map(|r| ca.signed_by(r)).collect();
            if verdicts.contains(&Some(true)) || verdicts.contains(&None) {
                continue;
            }
            let named = roots.iter().find(|r| r.subject_raw == ca.issuer_raw);
            let rule = match named {
                Some(r) => format!(
                    "the issuing CA CN={} names the root CN={} ({}) as its issuer, but that \
                     root's key did not sign it: it is another root of the same name (another \
                     cluster's, or a root made again); members trusting this root refuse every \
                     certificate under it (`x509: certificate signed by unknown authority`)",
                    ca.cn, r.cn, r.source
                ),
                None => format!(
                    "the issuing CA CN={} was issued by {}, not by the root given ({}): members \
                     trusting that root refuse every certificate under it (`x509: certificate \
                     signed by unknown authority`)",
                    ca.cn,
                    ca.issuer,
                    roots
                        .iter()
                        .map(|r| r.cn.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            };
            self.push(Finding {
                class: "issuing-ca-not-under-root",
                level: Level::Error,
                who: format!("the issuing CA CN={}", ca.cn),
                file: ca.source.clone(),
                field: "issuer".into(),
                rule,
                log_line: None,
                log_count: 0,
                fix: vec![
                    format!(
                        "openssl verify -CAfile ca.crt {}   # must print OK (ca.crt: the root the \
                         members trust)",
                        base(&ca.source)
                    ),
                    format!(
                        "make a new issuing CA under the cluster's root and swap the leaf files \
                         (no restart): etcd-pki rotate-issuer --from {} --root-key ROOT.key \
                         --out kit.zip",
                        self.bundle
                    ),
                ],
            });
        }
    }

    fn check_dates(&mut self, c: &Cert, what: &str) -> bool {
        let name = self.only_name(c);
        if c.not_after < self.now {
            let class = match (c.is_ca, self.role(c)) {
                (true, _) => "ca-expired",
                (_, Role::Client) => "client-cert-expired",
                (_, Role::Peer) => "peer-cert-expired",
                (_, Role::Server) => "server-cert-expired",
            };
            let fix = if c.is_ca {
                vec![format!(
                    "etcd-pki rotate-ca --from {} --ca-key CA.key --out kit.zip   # then follow ROTATE.md",
                    self.bundle
                )]
            } else {
                vec![self.renew(&name)]
            };
            self.push(Finding {
                class,
                level: Level::Error,
                who: self.who(c),
                file: c.source.clone(),
                field: "notAfter".into(),
                rule: format!(
                    "the {what} certificate expired on {}: Go refuses it with `x509: certificate \
                     has expired or is not yet valid`",
                    Self::when(c.not_after)
                ),
                log_line: None,
                log_count: 0,
                fix,
            });
            return false;
        }
        if c.not_before > self.now {
            self.push(Finding {
                class: "cert-not-yet-valid",
                level: Level::Error,
                who: self.who(c),
                file: c.source.clone(),
                field: "notBefore".into(),
                rule: format!(
                    "the {what} certificate is valid only from {}: a clock behind (or a \
                     certificate made on a machine whose clock is ahead)",
                    Self::when(c.not_before)
                ),
                log_line: None,
                log_count: 0,
                fix: vec![
                    "check the clocks: `timedatectl status` and `chronyc tracking` on each machine"
                        .into(),
                    self.renew(&name),
                ],
            });
            return false;
        }
        true
    }

    fn check_leaf(&mut self, l: &Cert) {
        let mut ok = self.check_dates(l, "");
        let role = self.role(l);
        let name = self.only_name(l);
        let who = self.who(l);
        if let Some(alg) = l.weak_signature {
            ok = false;
            self.push(Finding {
                class: "weak-signature",
                level: Level::Error,
                who: who.clone(),
                file: l.source.clone(),
                field: "signatureAlgorithm".into(),
                rule: format!(
                    "the certificate is signed with {alg}, which Go refuses (`x509: cannot verify \
                     signature: insecure algorithm`)"
                ),
                log_line: None,
                log_count: 0,
                fix: vec![format!(
                    "issue it again with SHA-256: {}",
                    self.renew(&name)
                )],
            });
        }
        if role != Role::Client && l.ips.is_empty() && l.dns.is_empty() {
            ok = false;
            self.push(Finding {
                class: "cert-no-san",
                level: Level::Error,
                who: who.clone(),
                file: l.source.clone(),
                field: "subjectAltName".into(),
                rule: format!(
                    "the certificate has no subjectAltName, only CN={}: Go (1.15+) ignores the CN \
                     (`x509: certificate relies on legacy Common Name field`)",
                    l.cn
                ),
                log_line: None,
                log_count: 0,
                fix: vec![format!(
                    "issue it again with the member's addresses as SANs: {}",
                    self.renew(&name)
                )],
            });
        }
        let (need_server, need_client) = match role {
            Role::Server | Role::Peer => (true, true),
            Role::Client => (false, true),
        };
        if let Some((server, client, any)) = l.eku
            && !any
            && ((need_server && !server) || (need_client && !client))
        {
            ok = false;
            let missing = if need_server && !server {
                "serverAuth"
            } else {
                "clientAuth"
            };
            let class = match (role, missing) {
                (Role::Client, _) => "client-eku-missing",
                (Role::Peer, _) => "peer-eku-missing",
                (Role::Server, "serverAuth") => "server-eku-missing",
                _ => "server-eku-gateway",
            };
            let why = match class {
                "server-eku-gateway" => {
                    "etcd's gRPC gateway dials its own client port with the server certificate, \
                     so a server certificate needs clientAuth too (`/v3/...` and `/health` fail \
                     with `incompatible key usage`)"
                }
                "peer-eku-missing" => {
                    "a peer certificate is both the server and the client of peer connections: \
                     it needs serverAuth and clientAuth"
                }
                "server-eku-missing" => "clients refuse a server certificate without serverAuth",
                _ => "etcd refuses a client certificate without clientAuth",
            };
            self.push(Finding {
                class,
                level: Level::Error,
                who: who.clone(),
                file: l.source.clone(),
                field: "extendedKeyUsage".into(),
                rule: format!("the certificate's extendedKeyUsage lacks {missing}: {why}"),
                log_line: None,
                log_count: 0,
                fix: vec![self.renew(&name)],
            });
        }
        // The member's own addresses, from its settings, must be in its SANs.
        if role == Role::Server || role == Role::Peer {
            let keys: &[&str] = if role == Role::Server {
                &["advertise-client-urls"]
            } else {
                &["initial-advertise-peer-urls"]
            };
            let named_here = self.named_by_settings(l);
            for key in keys {
                let Some(urls) = self.setting_for(l, key).filter(|_| named_here) else {
                    continue;
                };
                for u in urls.split(',') {
                    let Some((scheme, host)) = url_host(u) else {
                        continue;
                    };
                    if scheme == "https" && !l.valid_for(&host) {
                        ok = false;
                        let class = if role == Role::Server {
                            "server-san-missing"
                        } else {
                            "peer-san-missing"
                        };
                        let f = self.san_finding(class, l, &host, None);
                        self.push(f);
                    }
                }
            }
        }
        // One endpoint dialled: the server certificate must name it. (With several, which
        // certificate answered which endpoint is unknown.)
        if role == Role::Server
            && self.dialled.len() == 1
            && !self.dialled.iter().any(|h| l.valid_for(h))
        {
            ok = false;
            let host = self.dialled[0].clone();
            let f = self.san_finding("server-san-missing", l, &host, None);
            self.push(f);
        }
        for crl in &self.m.crls {
            if let Some(r) = crl.info.revoked.iter().find(|r| r.serial == l.serial) {
                ok = false;
                let same_issuer = crl.issuer_raw == l.issuer_raw
                    && match (&crl.aki, &l.aki) {
                        (Some(a), Some(b)) => a == b,
                        _ => true,
                    };
                let f = if same_issuer {
                    Finding {
                        class: "cert-revoked",
                        level: Level::Error,
                        who: who.clone(),
                        file: l.source.clone(),
                        field: "serialNumber".into(),
                        rule: format!(
                            "serial {} is revoked by {} (since {}): etcd refuses it",
                            l.serial,
                            crl.source,
                            Self::when(r.revoked_at)
                        ),
                        log_line: None,
                        log_count: 0,
                        fix: vec![
                            format!("give {who} a new certificate: {}", self.renew(&name)),
                            format!(
                                "install its clients/{name}/ files (or members/{name}/pki/) where the old ones were"
                            ),
                        ],
                    }
                } else {
                    Finding {
                        class: "serial-collision",
                        level: Level::Error,
                        who: who.clone(),
                        file: l.source.clone(),
                        field: "serialNumber".into(),
                        rule: format!(
                            "serial {} is revoked by {}, a CRL of another CA ({}): etcd matches a \
                             CRL by serial only, so this certificate is refused too",
                            l.serial, crl.source, crl.info.issuer
                        ),
                        log_line: None,
                        log_count: 0,
                        fix: vec![
                            format!(
                                "issue it again (a new random serial): {}",
                                self.renew(&name)
                            ),
                            format!(
                                "etcd-pki validate --from {} --other-ca OTHER.zip   # lists every shared serial",
                                self.bundle
                            ),
                        ],
                    }
                };
                self.push(f);
            }
        }
        if ok {
            self.fine.push(format!(
                "{} ({who}, CN={}): valid until {}, SANs {}, extendedKeyUsage fits a {} certificate{}",
                l.source,
                l.cn,
                Self::when(l.not_after),
                l.sans(),
                match role {
                    Role::Server => "server",
                    Role::Peer => "peer",
                    Role::Client => "client",
                },
                if self.cas().any(|ca| l.issued_by(ca)) {
                    ", issued by the CA given"
                } else {
                    ""
                }
            ));
        }
    }

    fn san_finding(
        &self,
        class: &'static str,
        l: &Cert,
        host: &str,
        line: Option<String>,
    ) -> Finding {
        let name = self.only_name(l);
        let ip = host.parse::<std::net::IpAddr>().is_ok();
        let only_dns = ip && l.ips.is_empty() && !l.dns.is_empty();
        let class = if only_dns && class == "server-san-missing" {
            "server-san-dns-only"
        } else {
            class
        };
        let mut fix = Vec::new();
        if ip {
            fix.push(format!(
                "if {name} now lives at {host}: etcd-pki replace-member --from {} --ca-key CA.key --name {name} --ip {host} --out new.zip",
                self.bundle
            ));
            fix.push(format!(
                "if {host} is one more address of {name} (a VIP, NAT): add it to {name}'s `ips` in the spec, then etcd-pki generate --spec cluster.json --ca-cert ca.crt --ca-key CA.key --out new.zip and install members/{name}/pki/"
            ));
        } else {
            fix.push(format!(
                "add {host} to {name}'s `dns` in the spec, then etcd-pki generate --spec cluster.json --ca-cert ca.crt --ca-key CA.key --out new.zip and install members/{name}/pki/"
            ));
        }
        if !l.dns.is_empty() || !l.ips.is_empty() {
            fix.push(format!("or dial it by a name it has: {}", l.sans()));
        }
        Finding {
            class,
            level: Level::Error,
            who: self.who(l),
            file: l.source.clone(),
            field: "subjectAltName".into(),
            rule: format!(
                "{host} is not among the certificate's SANs ({}){}",
                l.sans(),
                if only_dns {
                    ": it has DNS names only, and a client dialling an IP checks IP SANs"
                } else {
                    ": a client checks the address it dials against them"
                }
            ),
            log_count: usize::from(line.is_some()),
            log_line: line,
            fix,
        }
    }

    // ---- keys ----

    fn check_keys(&mut self) {
        let m = self.m;
        for k in &m.keys {
            match &k.key {
                Err(KeyProblem::Encrypted) => self.push(Finding {
                    class: "key-encrypted",
                    level: Level::Error,
                    who: owner_of(&k.source).unwrap_or_else(|| base(&k.source).to_string()),
                    file: k.source.clone(),
                    field: "private key".into(),
                    rule: "the key is encrypted: etcd reads only unencrypted keys (it fails at \
                           start with `tls: failed to parse private key`)"
                        .into(),
                    log_line: None,
                    log_count: 0,
                    fix: vec![
                        format!(
                            "openssl pkey -in {0} -out {0}.plain && install -m 0640 -g etcd {0}.plain {0}",
                            base(&k.source)
                        ),
                        "keep the key file readable only by root and etcd (0640 root:etcd)".into(),
                    ],
                }),
                Err(KeyProblem::Unreadable(why)) => self.push(Finding {
                    class: "key-unreadable",
                    level: Level::Error,
                    who: owner_of(&k.source).unwrap_or_else(|| base(&k.source).to_string()),
                    file: k.source.clone(),
                    field: "private key".into(),
                    rule: format!("the key cannot be read: {why}"),
                    log_line: None,
                    log_count: 0,
                    fix: vec![format!("install the key etcd-pki wrote for it again (the bundle's {})", base(&k.source))],
                }),
                Ok(key) => {
                    let leaves: Vec<&Cert> = self.leaves().collect();
                    if leaves.iter().any(|c| c.matches_key(key)) {
                        let c = leaves.iter().find(|c| c.matches_key(key)).expect("found");
                        self.fine.push(format!("{} is the key of {}", k.source, c.source));
                        continue;
                    }
                    if self.cas().any(|c| c.matches_key(key)) {
                        continue;
                    }
                    // The certificate it should belong to: same file stem, else the only leaf.
                    let stem = |s: &str| {
                        let b = base(s);
                        b.rsplit_once('.').map_or(b, |(s, _)| s).trim_end_matches("-key").to_string()
                    };
                    let partner = leaves
                        .iter()
                        .find(|c| stem(&c.source) == stem(&k.source))
                        .or(if leaves.len() == 1 { leaves.first() } else { None })
                        .map(|c| (*c).clone());
                    if let Some(c) = partner {
                        let name = self.only_name(&c);
                        let f = Finding {
                            class: if self.role(&c) == Role::Client {
                                "client-key-mismatch"
                            } else {
                                "key-mismatch"
                            },
                            level: Level::Error,
                            who: self.who(&c),
                            file: k.source.clone(),
                            field: "private key".into(),
                            rule: format!(
                                "{} is not the key of {} (their public keys differ): etcd fails \
                                 at start with `tls: private key does not match public key`",
                                k.source, c.source
                            ),
                            log_line: None,
                            log_count: 0,
                            fix: vec![
                                format!(
                                    "install the key that was made with the certificate (the bundle's {} beside {})",
                                    base(&k.source),
                                    base(&c.source)
                                ),
                                format!("or issue both again: {}", self.renew(&name)),
                            ],
                        };
                        self.push(f);
                    }
                }
            }
        }
    }

    // ---- CRLs ----

    fn check_crls(&mut self) {
        let m = self.m;
        for crl in &m.crls {
            if crl.pem {
                self.push(Finding {
                    class: "crl-pem",
                    level: Level::Warning,
                    who: "every member given this CRL".into(),
                    file: crl.source.clone(),
                    field: "encoding".into(),
                    rule: "the CRL is PEM: etcd 3.6 and later read a DER CRL only and refuse \
                           every connection with a PEM one; 3.4 and 3.5 read both"
                        .into(),
                    log_line: None,
                    log_count: 0,
                    fix: vec![format!(
                        "openssl crl -in {0} -outform DER -out {0}.der && mv {0}.der {0}",
                        base(&crl.source)
                    )],
                });
            } else {
                self.fine.push(format!(
                    "{}: a DER CRL of {} revoking {} serial(s)",
                    crl.source,
                    crl.info.issuer,
                    crl.info.revoked.len()
                ));
            }
        }
    }

    // ---- settings ----

    fn check_settings(&mut self) {
        let m = self.m;
        if m.settings.is_empty() {
            return;
        }
        let at = |key: &str| {
            m.settings
                .iter()
                .find(|s| s.key == key)
                .map(|s| s.at.clone())
                .unwrap_or_default()
        };
        let who = self.setting("name").unwrap_or("the member").to_string();
        // initial-cluster's entry for this member must be its advertised peer URL.
        if let (Some(ic), Some(adv)) = (
            self.setting("initial-cluster"),
            self.setting("initial-advertise-peer-urls"),
        ) {
            let mine = ic
                .split(',')
                .filter_map(|e| e.split_once('='))
                .filter(|(n, _)| *n == who)
                .map(|(_, u)| u.trim().to_string())
                .collect::<Vec<_>>();
            let adv: Vec<String> = adv.split(',').map(|u| u.trim().to_string()).collect();
            if !mine.is_empty() && !mine.iter().all(|u| adv.contains(u)) {
                self.push(Finding {
                    class: "initial-cluster-scheme",
                    level: Level::Error,
                    who: who.clone(),
                    file: at("initial-cluster"),
                    field: "--initial-cluster".into(),
                    rule: format!(
                        "--initial-cluster gives {who} as {} but --initial-advertise-peer-urls \
                         says {}: etcd refuses to start unless they are the same URLs (scheme \
                         included)",
                        mine.join(","),
                        adv.join(",")
                    ),
                    log_line: None,
                    log_count: 0,
                    fix: vec![format!(
                        "write {who}={} in ETCD_INITIAL_CLUSTER (https:// when the peer \
                         certificate is set)",
                        adv[0]
                    )],
                });
            } else {
                self.fine.push(format!(
                    "--initial-cluster's entry for {who} matches its advertised peer URL"
                ));
            }
        }
        let ciphers = self.setting("cipher-suites").filter(|v| !v.is_empty());
        if let Some(c) = ciphers {
            if self.setting("tls-min-version") == Some("TLS1.3") {
                self.push(Finding {
                    class: "tls13-cipher-suites",
                    level: Level::Error,
                    who: who.clone(),
                    file: at("cipher-suites"),
                    field: "--cipher-suites".into(),
                    rule: "--cipher-suites is set while --tls-min-version is TLS1.3: TLS 1.3's \
                           suites cannot be chosen, and etcd refuses to start"
                        .into(),
                    log_line: None,
                    log_count: 0,
                    fix: vec![
                        "remove ETCD_CIPHER_SUITES (or --cipher-suites / cipher-suites:)".into(),
                    ],
                });
            }
            let forbidden: Vec<&str> = c
                .split(',')
                .map(str::trim)
                .filter(|s| s.contains("CBC") || s.starts_with("TLS_RSA_"))
                .collect();
            let allowed = c
                .split(',')
                .map(str::trim)
                .any(|s| s.contains("GCM") || s.contains("CHACHA20"));
            if !forbidden.is_empty() && !allowed {
                self.push(Finding {
                    class: "h2-cipher",
                    level: Level::Error,
                    who: who.clone(),
                    file: at("cipher-suites"),
                    field: "--cipher-suites".into(),
                    rule: format!(
                        "--cipher-suites allows only {}, which HTTP/2 forbids (RFC 7540 \
                         appendix A): gRPC clients fail with INADEQUATE_SECURITY",
                        forbidden.join(",")
                    ),
                    log_line: None,
                    log_count: 0,
                    fix: vec![
                        "ETCD_CIPHER_SUITES=TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384".into(),
                    ],
                });
            }
        }
        for key in ["listen-client-urls", "advertise-client-urls"] {
            if let Some(v) = self.setting(key)
                && self.setting("cert-file").is_some()
                && v.split(',').any(|u| u.trim().starts_with("http://"))
            {
                self.fine.push(format!(
                    "--{key} has an http:// URL: that port speaks plain HTTP although a server \
                     certificate is set"
                ));
            }
        }
    }

    // ---- logs ----

    fn explain_logs(&mut self) {
        let m = self.m;
        let mut tls_lines = 0;
        for (_, line) in &m.lines {
            if let Some(hit) = recognise(line) {
                tls_lines += 1;
                let f = self.explain(&hit);
                self.push(f);
            }
        }
        if !m.lines.is_empty() {
            self.fine.push(format!(
                "{} log/output line(s) read, {tls_lines} of them about TLS or certificates",
                m.lines.len()
            ));
        }
    }

    /// A finding of the class `hit` says, with the culprit named from the files when they
    /// tell, merged into a file finding of the same class when there is one.
    fn explain(&mut self, hit: &Hit) -> Finding {
        let line = Some(clip(&hit.line, 2000));
        let remote = hit.from.clone().unwrap_or_else(|| "the client".into());
        let dialled = hit.to.clone().unwrap_or_else(|| "the server".into());
        let existing = |ctx: &Ctx, classes: &[&str]| {
            ctx.findings
                .iter()
                .find(|f| classes.contains(&f.class))
                .cloned()
        };
        let attach = |mut f: Finding| {
            f.log_line = line.clone();
            f.log_count = 1;
            f
        };
        let simple =
            |class: &'static str, who: String, field: &str, rule: String, fix: Vec<String>| {
                Finding {
                    class,
                    level: Level::Error,
                    who,
                    file: String::new(),
                    field: field.into(),
                    rule,
                    log_line: line.clone(),
                    log_count: 1,
                    fix,
                }
            };
        match &hit.kind {
            Kind::NameMismatch { valid_for, wanted } if hit.side == Side::Listener => {
                let holder = self
                    .leaves()
                    .find(|c| valid_for.iter().all(|v| c.valid_for(v)))
                    .cloned();
                let (who, file, name) = match &holder {
                    Some(c) => (self.who(c), c.source.clone(), self.only_name(c)),
                    None => (format!("the peer connecting from {wanted}"), String::new(), "NAME".into()),
                };
                let mut f = simple(
                    "peer-san-source",
                    who,
                    "subjectAltName",
                    format!(
                        "etcd checks a connecting peer's certificate against the address it connects FROM ({wanted}); the certificate is valid for {} only. On one machine every member dials from 127.0.0.1; behind NAT, from the NAT address",
                        valid_for.join(", ")
                    ),
                    vec![
                        format!("add {wanted} to the dialling member's `ips` in the spec and issue its peer certificate again (etcd-pki adds 127.0.0.1 itself when every member is on loopback), then: {}", self.renew(&name)),
                        "or give each member its own address to dial from (its own machine or network namespace)".into(),
                    ],
                );
                f.file = file;
                f
            }
            Kind::NameMismatch { valid_for, wanted } => {
                let class = if hit.peer { "peer-san-missing" } else { "server-san-missing" };
                let holder = self
                    .leaves()
                    .find(|c| {
                        let sans: BTreeSet<String> = c
                            .dns
                            .iter()
                            .cloned()
                            .chain(c.ips.iter().map(|i| i.to_string()))
                            .collect();
                        let said: BTreeSet<String> = valid_for.iter().cloned().collect();
                        sans == said
                    })
                    .cloned();
                if let Some(c) = holder {
                    return self.san_finding(class, &c, wanted, line);
                }
                let ip = wanted.parse::<std::net::IpAddr>().is_ok();
                let dns_only = ip && valid_for.iter().all(|v| v.parse::<std::net::IpAddr>().is_err());
                simple(
                    if dns_only && !hit.peer { "server-san-dns-only" } else { class },
                    format!("the member at {}", dialled),
                    "subjectAltName",
                    format!(
                        "the {} certificate of the member at {dialled} is valid for {} only, not {wanted}, the address dialled{}",
                        if hit.peer { "peer" } else { "server" },
                        valid_for.join(", "),
                        if dns_only { " (it has DNS names only: dial it by name, or add the IP)" } else { "" }
                    ),
                    vec![
                        format!("dial it by a name it has ({}), or", valid_for.join(", ")),
                        format!("add {wanted} to that member's `ips` in the spec and issue its certificate again: etcd-pki generate --spec cluster.json --ca-cert ca.crt --ca-key CA.key --out new.zip (or `etcd-pki replace-member --from {} --ca-key CA.key --name NAME --ip {wanted} --out new.zip` if it moved)", self.bundle),
                    ],
                )
            }
            Kind::SourceMismatch { from_host } => {
                simple(
                    "peer-san-source",
                    format!("the peer connecting from {from_host}"),
                    "subjectAltName",
                    format!(
                        "etcd checks a peer's (and, with --client-cert-allowed-hostname, a client's) \
                         certificate against the address it connects FROM: {from_host} is not in it. \
                         On one machine every member dials from 127.0.0.1; behind NAT, from the NAT address"
                    ),
                    vec![
                        format!("add {from_host} to the dialling member's `ips` in the spec and issue its peer certificate again: {}", self.renew("NAME")),
                        "or give each member its own address to dial from (its own machine, network namespace or source address)".into(),
                    ],
                )
            }
            Kind::NoNames => {
                if let Some(f) = existing(self, &["cert-no-san"]) {
                    return attach(f);
                }
                simple(
                    "cert-no-san",
                    format!("the member at {dialled}"),
                    "subjectAltName",
                    "the server's certificate has no subjectAltName (a CN-only certificate): Go 1.15+ ignores the CN".into(),
                    vec![format!("issue it again with SANs: {}", self.renew("NAME"))],
                )
            }
            Kind::UnknownCa => {
                let (class, who, rule, fix) = match (hit.side, hit.peer) {
                    (Side::Listener, false) => (
                        "client-unknown-ca",
                        format!("the client at {remote}"),
                        "the client's certificate was not issued by a CA in this member's --trusted-ca-file",
                        vec![
                            format!("give the client the files the bundle made for it (clients/NAME/client.crt, client.key) or issue them: {}", self.renew("NAME")),
                            "openssl verify -CAfile ca.crt client.crt   # must print OK".to_string(),
                        ],
                    ),
                    (Side::Listener, true) | (_, true) => (
                        "peer-unknown-ca",
                        format!("the peer at {}", if hit.side == Side::Listener { remote.clone() } else { dialled.clone() }),
                        "the peer's certificate was not issued by a CA in --peer-trusted-ca-file: members of one cluster must share one CA (during a rotation, trust both)",
                        vec![
                            "install the same ca.crt on every member (etcd-pki bundles carry it in members/*/pki/ca.crt)".to_string(),
                            format!("etcd-pki rotate-ca --from {} --ca-key CA.key --out kit.zip   # to change CA without an outage", self.bundle),
                        ],
                    ),
                    _ => (
                        "server-unknown-ca",
                        format!("the member at {dialled}"),
                        "the server's certificate was not issued by the CA the client trusts (--cacert): the client's CA file holds another CA, or the server's certificate is from another CA",
                        vec![
                            "point the client at the cluster's CA: --cacert=ca.crt (the bundle's clients/NAME/ca.crt)".to_string(),
                            "openssl verify -CAfile ca.crt server.crt   # names which one is off".to_string(),
                        ],
                    ),
                };
                let also: &[&str] = if hit.side == Side::Listener { &["client-unknown-ca", "peer-unknown-ca"] } else { &[] };
                if let Some(f) = existing(self, &[class, "ca-file-wrong", "missing-intermediate", "issuing-ca-not-under-root"]).or_else(|| existing(self, also)) {
                    return attach(f);
                }
                simple(class, who, "issuer", rule.into(), fix)
            }
            Kind::Expired | Kind::NotYetValid => {
                let before = hit.kind == Kind::NotYetValid;
                let class = if before {
                    "cert-not-yet-valid"
                } else {
                    match (hit.side, hit.peer) {
                        (_, true) => "peer-cert-expired",
                        (Side::Listener, false) => "client-cert-expired",
                        _ => "server-cert-expired",
                    }
                };
                // A listener cannot tell a peer from a client: a file finding of either says.
                let also: &[&str] = match (before, hit.side) {
                    (false, Side::Listener) => &["client-cert-expired", "peer-cert-expired"],
                    _ => &[],
                };
                // The time Go quotes is the certificate's notAfter (or notBefore).
                let bound = hit.line.split(if before { " is before " } else { " is after " }).nth(1)
                    .map(|s| s.chars().take_while(|c| !matches!(c, '"' | ' ' | ')' | '\\')).collect::<String>())
                    .unwrap_or_default();
                let holder = self.m.certs.iter().find(|c| {
                    Self::when(if before { c.not_before } else { c.not_after }) == bound
                }).cloned();
                // Go quotes the first certificate of the chain that is out of date: the CA's
                // notAfter when the CA expired (the leaf may be fine).
                if !before
                    && holder.as_ref().is_some_and(|c| c.is_ca)
                    && let Some(f) = existing(self, &["ca-expired"])
                {
                    return attach(f);
                }
                if let Some(f) = existing(self, &[class]).or_else(|| existing(self, also)) {
                    return attach(f);
                }
                let (who, file, name) = match &holder {
                    Some(c) => (self.who(c), c.source.clone(), self.only_name(c)),
                    None => (
                        if hit.side == Side::Listener { format!("the client at {remote}") } else { format!("the member at {dialled}") },
                        String::new(),
                        "NAME".into(),
                    ),
                };
                let mut f = simple(
                    class,
                    who,
                    if before { "notBefore" } else { "notAfter" },
                    if before {
                        format!("a certificate is valid only from {bound}: the clock of the machine that checks it is behind, or the certificate was made by a machine whose clock is ahead")
                    } else {
                        format!("a certificate expired at {bound}")
                    },
                    if before {
                        vec!["check the clocks: `timedatectl status` and `chronyc tracking` on both machines".into(), self.renew(&name)]
                    } else {
                        vec![self.renew(&name)]
                    },
                );
                f.file = file;
                f
            }
            Kind::KeyUsage => {
                let gateway = hit.line.contains("grpc-gateway") || hit.line.contains("serve.go");
                let class = match (hit.side, hit.peer, gateway) {
                    (_, _, true) => "server-eku-gateway",
                    (Side::Listener, true, _) | (_, true, _) => "peer-eku-missing",
                    (Side::Listener, false, _) => "client-eku-missing",
                    _ => "server-eku-missing",
                };
                let also: &[&str] = match hit.side {
                    // The gateway dials its own member with the server certificate: a
                    // rejection from the member's own address is that.
                    Side::Listener => &["client-eku-missing", "peer-eku-missing", "server-eku-gateway"],
                    _ => &[],
                };
                if let Some(f) = existing(self, &[class]).or_else(|| existing(self, also)) {
                    return attach(f);
                }
                if class == "server-eku-missing" && let Some(f) = existing(self, &["server-eku-gateway"]) {
                    return attach(f);
                }
                simple(
                    class,
                    if hit.side == Side::Listener { format!("the client at {remote}") } else { format!("the member at {dialled}") },
                    "extendedKeyUsage",
                    match class {
                        "server-eku-gateway" => "the server certificate lacks clientAuth: etcd's gRPC gateway dials its own client port with it".into(),
                        "client-eku-missing" => "the client's certificate lacks clientAuth in its extendedKeyUsage".into(),
                        "peer-eku-missing" => "a peer certificate lacks serverAuth or clientAuth (it needs both)".into(),
                        _ => "the server's certificate lacks serverAuth in its extendedKeyUsage".into(),
                    },
                    vec![self.renew("NAME")],
                )
            }
            Kind::NoClientCert => simple(
                "client-no-cert",
                format!("the client at {remote}"),
                "--cert/--key",
                "the member requires a client certificate (--client-cert-auth) and the client sent none".into(),
                vec![
                    "etcdctl --cacert=ca.crt --cert=client.crt --key=client.key ...   # the bundle's clients/NAME/ files".into(),
                    "curl --cacert ca.crt --cert client.crt --key client.key https://HOST:2379/health".into(),
                ],
            ),
            Kind::ListensHttp { url } if hit.line.contains("peer-url") => simple(
                "peer-https-to-http",
                "the member that logged it".into(),
                "--listen-peer-urls",
                format!("the member serves peers on {url} as plain HTTP although a peer certificate is set (etcd ignores the certificate for an http:// URL); members dialling it with https:// fail"),
                vec![format!("ETCD_LISTEN_PEER_URLS={0} and ETCD_INITIAL_ADVERTISE_PEER_URLS={0}, then restart etcd", url.replacen("http://", "https://", 1))],
            ),
            Kind::ListensHttp { url } => simple(
                "https-to-http",
                "the member that logged it".into(),
                "--listen-client-urls",
                format!("the member serves {url} as plain HTTP (no TLS, no client certificates) although a server certificate and --client-cert-auth are set; clients dialling https:// fail"),
                vec![
                    format!("ETCD_LISTEN_CLIENT_URLS={0} and ETCD_ADVERTISE_CLIENT_URLS={0}, then restart etcd", url.replacen("http://", "https://", 1)),
                ],
            ),
            Kind::HttpToTls => simple(
                "http-to-https",
                format!("the client at {}", hit.from.clone().unwrap_or(dialled.clone())),
                "endpoint scheme",
                "a client spoke plain HTTP to a TLS port".into(),
                vec!["use https:// in the client's endpoints (etcdctl --endpoints=https://HOST:2379, with --cacert)".into()],
            ),
            Kind::TlsToHttp => simple(
                "https-to-http",
                format!("the member at {dialled}"),
                "--listen-client-urls",
                "a client spoke TLS to a port that serves plain HTTP: the member's listen URL is http://".into(),
                vec![
                    "ETCD_LISTEN_CLIENT_URLS=https://IP:2379 and ETCD_ADVERTISE_CLIENT_URLS=https://IP:2379 (with ETCD_CERT_FILE/ETCD_KEY_FILE), then restart etcd".into(),
                    "or, if the port is meant to be plain, dial it with http://".into(),
                ],
            ),
            Kind::KeyMismatch => {
                // etcd fails at start ("listener failed"); a client says `Error: tls: ...`.
                let client = !hit.line.contains("listener failed") && !hit.line.contains("\"caller\"");
                let class = if client { "client-key-mismatch" } else { "key-mismatch" };
                if let Some(f) = existing(self, &[class]) {
                    return attach(f);
                }
                simple(
                    class,
                    if client { "the client".into() } else { "the member that logged it".into() },
                    "--key-file / --peer-key-file",
                    "a key file is not the key of the certificate beside it".into(),
                    vec![
                        "compare: openssl x509 -noout -pubkey -in server.crt | sha256sum; openssl pkey -pubout -in server.key | sha256sum".into(),
                        self.renew("NAME"),
                    ],
                )
            }
            Kind::KeyUnreadable => {
                if let Some(f) = existing(self, &["key-encrypted", "key-unreadable"]) {
                    return attach(f);
                }
                simple(
                    "key-unreadable",
                    "the member that logged it".into(),
                    "--key-file",
                    "the key file holds no unencrypted private key etcd can read (encrypted, truncated, or not a key)".into(),
                    vec!["openssl pkey -in server.key -noout   # asks for a passphrase if encrypted".into()],
                )
            }
            Kind::CertUnreadable => simple(
                "cert-unreadable",
                "the member that logged it".into(),
                "--cert-file / --peer-cert-file",
                "a certificate file holds no complete PEM certificate (cut short, empty, or not PEM)".into(),
                vec![
                    "openssl x509 -noout -subject -in server.crt   # names the broken file".into(),
                    "install the whole file again from the bundle (members/NAME/pki/server.crt, peer.crt)".into(),
                ],
            ),
            Kind::CertAuthFailed => {
                let cn = self.setting("peer-cert-allowed-cn");
                let host = self.setting("peer-cert-allowed-hostname");
                let (class, field, rule, fix) = match (cn, host) {
                    (_, Some(h)) => (
                        "allowed-hostname",
                        "--peer-cert-allowed-hostname",
                        format!("the peer's certificate does not name {h}, the one hostname --peer-cert-allowed-hostname allows"),
                        format!("set ETCD_PEER_CERT_ALLOWED_HOSTNAME to a name the peer certificates carry (or unset it), or add {h} to every member's `dns` in the spec and issue the peer certificates again"),
                    ),
                    (Some(c), None) => (
                        "allowed-cn",
                        "--peer-cert-allowed-cn",
                        format!("the peer's certificate CN is not {c}, the CN --peer-cert-allowed-cn allows"),
                        "set ETCD_PEER_CERT_ALLOWED_CN to the CN the peer certificates carry (etcd-pki: the member names, a list from 3.5.15), or unset it".into(),
                    ),
                    (None, None) => (
                        "allowed-cn",
                        "--peer-cert-allowed-cn / --peer-cert-allowed-hostname",
                        "the peer's certificate fails --peer-cert-allowed-cn or --peer-cert-allowed-hostname (give the member's env file to tell which)".into(),
                        "compare ETCD_PEER_CERT_ALLOWED_CN / ETCD_PEER_CERT_ALLOWED_HOSTNAME with the CN and SANs of the peer certificates: openssl x509 -noout -subject -ext subjectAltName -in peer.crt".into(),
                    ),
                };
                simple(class, format!("the peer at {remote}"), field, rule, vec![fix])
            }
            Kind::MissingFile { path } => simple(
                "file-missing",
                "the member that logged it".into(),
                "file path",
                format!("{path} does not exist where the settings point"),
                vec![format!("install it from the bundle (members/NAME/pki/{}) at {path}, or fix the setting that names it", base(path))],
            ),
            Kind::FileDenied { path } => simple(
                "file-unreadable",
                "the member that logged it".into(),
                "file mode",
                format!("etcd (user etcd) cannot read {path}"),
                vec![format!("chown root:etcd {path} && chmod 0640 {path} && chmod 0750 \"$(dirname {path})\"")],
            ),
            Kind::Revoked => {
                if let Some(f) = existing(self, &["cert-revoked", "serial-collision"]) {
                    return attach(f);
                }
                simple(
                    "cert-revoked",
                    if hit.side == Side::Listener { format!("the client at {remote}") } else { "this client".into() },
                    "serialNumber",
                    "the certificate's serial is on the member's CRL (--client-crl-file / --peer-crl-file); etcd matches by serial only".into(),
                    vec![self.renew("NAME"), "install the new certificate where the revoked one was".into()],
                )
            }
            Kind::AllowedCn => simple(
                "allowed-cn",
                format!("the peer at {remote}"),
                "--peer-cert-allowed-cn",
                format!("the peer's certificate CN is not the one --peer-cert-allowed-cn allows{}", self.setting("peer-cert-allowed-cn").map(|v| format!(" ({v})")).unwrap_or_default()),
                vec!["set ETCD_PEER_CERT_ALLOWED_CN to the CN the peer certificates carry (etcd-pki: the member names; 3.5.15+ takes a list), or issue the peer certificate again".into()],
            ),
            Kind::AllowedHostname => simple(
                "allowed-hostname",
                format!("the peer at {remote}"),
                "--peer-cert-allowed-hostname",
                "the peer's certificate has no SAN matching --peer-cert-allowed-hostname".into(),
                vec!["set ETCD_PEER_CERT_ALLOWED_HOSTNAME to a name in the peer certificates' SANs".into()],
            ),
            Kind::WeakSignature => {
                if let Some(f) = existing(self, &["weak-signature"]) {
                    return attach(f);
                }
                simple(
                    "weak-signature",
                    if hit.side == Side::Listener { format!("the client at {remote}") } else { format!("the member at {dialled}") },
                    "signatureAlgorithm",
                    "a certificate is signed with SHA-1, which Go refuses".into(),
                    vec![self.renew("NAME")],
                )
            }
            Kind::RemoteRefused { what } => {
                // The client refused this member's certificate: a server-side finding from the
                // files says why.
                let server_side = [
                    "missing-intermediate",
                    "issuing-ca-not-under-root",
                    "server-san-missing",
                    "server-san-dns-only",
                    "server-unknown-ca",
                    "ca-file-wrong",
                    "server-cert-expired",
                    "cert-no-san",
                    "weak-signature",
                    "server-eku-missing",
                    "cert-not-yet-valid",
                    "peer-san-missing",
                    "peer-unknown-ca",
                ];
                if hit.side == Side::Listener && let Some(f) = existing(self, &server_side) {
                    return attach(f);
                }
                let client_side = ["client-unknown-ca", "client-cert-expired", "client-eku-missing", "cert-revoked", "serial-collision"];
                if hit.side == Side::Dialler && let Some(f) = existing(self, &client_side) {
                    return attach(f);
                }
                let (who, rule) = if hit.side == Side::Listener {
                    (
                        format!("this member's certificate, as {remote} sees it"),
                        format!("the client at {remote} refused this member's certificate ({what}); the client's own error names why (SAN, CA, expiry)"),
                    )
                } else {
                    (
                        format!("this side's certificate, as {dialled} sees it"),
                        format!("the member at {dialled} refused this side's certificate ({what}); its log names why (`rejected connection`)"),
                    )
                };
                let mut f = simple("remote-refused", who, "certificate", rule, vec!["read the other side's log or error, or give it to the doctor with the certificates".into()]);
                f.level = Level::Warning;
                f
            }
            Kind::UserNotFound => simple(
                "auth-user-not-found",
                "the client".into(),
                "CN",
                "auth is on and the client certificate's CN is not an etcd user (etcd takes the user from the CN)".into(),
                {
                    let user = hit.line.split("\"user-name\":\"").nth(1).and_then(|r| r.split('"').next()).unwrap_or("CN").to_string();
                    vec![
                        format!("etcdctl user add {user} --new-user-password=\"$(head -c 24 /dev/urandom | base64)\"   # as root; 3.5+: --no-password"),
                        format!("etcdctl user grant-role {user} ROLE"),
                    ]
                },
            ),
            Kind::PermissionDenied => simple(
                "auth-permission-denied",
                "the client".into(),
                "role permissions",
                "auth is on and the user named by the client certificate's CN has no role granting this key range".into(),
                vec!["etcdctl role grant-permission ROLE readwrite KEY --prefix=true".into(), "etcdctl user grant-role CN ROLE".into()],
            ),
            Kind::InitialClusterMismatch => {
                if let Some(f) = existing(self, &["initial-cluster-scheme"]) {
                    return attach(f);
                }
                simple(
                    "initial-cluster-scheme",
                    "the member that logged it".into(),
                    "--initial-cluster",
                    "the member's entry in --initial-cluster is not its --initial-advertise-peer-urls (often http:// against https://)".into(),
                    vec!["make the member's ETCD_INITIAL_CLUSTER entry exactly its ETCD_INITIAL_ADVERTISE_PEER_URLS".into()],
                )
            }
            Kind::Tls13Ciphers => {
                if let Some(f) = existing(self, &["tls13-cipher-suites"]) {
                    return attach(f);
                }
                simple("tls13-cipher-suites", "the member that logged it".into(), "--cipher-suites", "cipher suites cannot be set when only TLS 1.3 is allowed".into(), vec!["remove ETCD_CIPHER_SUITES, or allow TLS1.2".into()])
            }
            Kind::CrlUnreadable => {
                if let Some(f) = existing(self, &["crl-pem"]) {
                    let mut f = attach(f);
                    f.level = Level::Error;
                    return f;
                }
                simple("crl-unreadable", "the member that logged it".into(), "--client-crl-file", "etcd cannot read the CRL file (3.6+ reads DER only)".into(), vec!["openssl crl -in crl.pem -outform DER -out crl.der   # and point the setting at it".into()])
            }
            Kind::NoCommonCipher => {
                if let Some(f) = existing(self, &["h2-cipher", "tls13-cipher-suites"]) {
                    return attach(f);
                }
                simple("no-common-cipher", format!("the member at {dialled}"), "--cipher-suites / --tls-min-version", "client and server share no TLS version and cipher suite".into(), vec!["compare ETCD_CIPHER_SUITES / ETCD_TLS_MIN_VERSION with what the client offers".into()])
            }
            Kind::Http2Cipher => {
                if let Some(f) = existing(self, &["h2-cipher"]) {
                    return attach(f);
                }
                simple("h2-cipher", "the member that logged it".into(), "--cipher-suites", "--cipher-suites lacks a suite HTTP/2 requires (an ECDHE AES-128-GCM one): etcd refuses to serve, gRPC clients fail".into(), vec!["allow an ECDHE GCM suite in ETCD_CIPHER_SUITES".into()])
            }
        }
    }
}
