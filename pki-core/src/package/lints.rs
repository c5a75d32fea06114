//! Lints of a bundle that exists (day two), beyond its spec (here, after the package stage,
//! because they read an opened bundle; validation checks the spec alone): its CA's lifetime against its
//! leaves and the calendar, its CRL, and serial numbers shared with another CA's leaves.
//! Plain data in ([`CertFacts`], [`crate::crl::CrlInfo`]), a [`Report`] out, so the page and
//! `etcd-pki validate --from` show the same problems.
//!
//! The facts behind each check (etcd 3.4 to 3.7, read in etcd's source):
//! - etcd matches a CRL by serial number only — not by issuer — so while two CAs are trusted
//!   (a rotation), a serial revoked under one refuses the other's certificate with the same
//!   serial.
//! - etcd ignores a CRL's next update; openssl and most other verifiers refuse a CRL past it.
//! - etcd 3.5 before 3.5.32 and 3.6 before 3.6.13 do not check the CRL on gRPC connections when
//!   the client HTTP API has its own listener (`--listen-client-http-urls`, 3.5.8+): gRPC owns
//!   the TLS handshake there and the CRL check lived in the listener it skips. etcd-pki never
//!   sets that flag; 3.4 has no such flag, and its one client listener checks the CRL (tested
//!   live with 3.4.23 in `tests/etcd/tests/revoke.rs`).

use time::{Duration, OffsetDateTime};
use x509_parser::prelude::{FromDer, X509Certificate};

use crate::crl::CrlInfo;
use crate::options::EtcdVersion;
use crate::report::Report;
use crate::spec::ClusterSpec;

/// A CA within this many days of its end is flagged.
pub const CA_WARN_DAYS: i64 = 365;
/// A CRL within this many days of its next update is flagged.
pub const CRL_WARN_DAYS: i64 = 7;

/// What the checks need of one certificate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CertFacts {
    /// `ca`, or the certificate's id (`members/etcd1/server`, `clients/etcdctl`).
    pub id: String,
    /// Serial number, lowercase hex without separators ([`crate::crl::serial_hex`]).
    pub serial: String,
    /// notAfter.
    pub not_after: OffsetDateTime,
}

impl CertFacts {
    /// Reads a certificate (DER) as `id`.
    pub fn from_der(id: &str, der: &[u8]) -> Result<CertFacts, crate::Error> {
        let (_, x) = X509Certificate::from_der(der).map_err(|e| crate::Error::Revocation {
            field: id.to_string(),
            value: String::new(),
            reason: format!("is not a readable certificate ({e})"),
        })?;
        Ok(CertFacts {
            id: id.to_string(),
            serial: crate::crl::serial_hex(x.raw_serial()),
            not_after: x.validity().not_after.to_datetime(),
        })
    }
}

/// The CA's and every leaf's facts of an opened bundle, read from its certificate files (the
/// first path `spec.json` records for each).
pub fn certs_of(
    b: &crate::package::OpenedBundle,
) -> Result<(CertFacts, Vec<CertFacts>), crate::Error> {
    let read = |id: &str, paths: &[String]| -> Result<CertFacts, crate::Error> {
        let file = paths.first().and_then(|p| b.file(p)).ok_or_else(|| {
            crate::Error::BadBundle(format!("the bundle has no file for certificate {id}"))
        })?;
        let der = pem::parse(file.contents.as_slice())
            .map_err(|e| crate::Error::BadBundle(format!("{} is not PEM ({e})", file.path)))?;
        CertFacts::from_der(id, der.contents())
    };
    let ca = read("ca", &b.state.ca.paths)?;
    let leaves = b
        .state
        .certificates
        .iter()
        .map(|c| read(&c.id, &c.paths))
        .collect::<Result<_, _>>()?;
    Ok((ca, leaves))
}

/// The leaves of `other`, the bundle of another CA the members trust (during a rotation, the
/// old CA's), for [`BundleFacts::other_ca_leaves`]. Refused when `other` holds this bundle's
/// own CA (the same CA key: an earlier bundle of this cluster, not another CA): every
/// certificate it kept would be flagged as sharing its serial with itself.
pub fn other_ca_leaves(
    this: &crate::package::OpenedBundle,
    other: &crate::package::OpenedBundle,
) -> Result<Vec<CertFacts>, crate::Error> {
    if ca_key_of(this)? == ca_key_of(other)? {
        return Err(crate::Error::Revocation {
            field: "--other-ca".into(),
            value: String::new(),
            reason: format!(
                "holds this bundle's own CA ({}, the same CA key): it is an earlier bundle of this \
                 cluster, not another CA; give the bundle of the CA the members trust besides this \
                 one (during a rotation, the old CA's bundle)",
                other.state.ca.subject
            ),
        });
    }
    Ok(certs_of(other)?.1)
}

/// The CA certificate's public key (its SubjectPublicKeyInfo), which names the CA whatever its
/// certificate's dates or serial.
fn ca_key_of(b: &crate::package::OpenedBundle) -> Result<Vec<u8>, crate::Error> {
    let file = b
        .state
        .ca
        .paths
        .first()
        .and_then(|p| b.file(p))
        .ok_or_else(|| crate::Error::BadBundle("the bundle has no CA certificate file".into()))?;
    let der = pem::parse(file.contents.as_slice())
        .map_err(|e| crate::Error::BadBundle(format!("{} is not PEM ({e})", file.path)))?;
    let (_, x) = X509Certificate::from_der(der.contents()).map_err(|e| {
        crate::Error::BadBundle(format!("{} is not a readable certificate ({e})", file.path))
    })?;
    Ok(x.public_key().raw.to_vec())
}

/// A bundle as it is: its spec, its CA and leaves, the CRL it carries, and the leaves of another
/// CA the cluster still trusts (during a rotation: the old bundle's), if any.
#[derive(Clone, Debug)]
pub struct BundleFacts<'a> {
    /// The bundle's spec.
    pub spec: &'a ClusterSpec,
    /// Its CA certificate.
    pub ca: CertFacts,
    /// Its member and client certificates.
    pub leaves: Vec<CertFacts>,
    /// Its CRL, read back.
    pub crl: Option<&'a CrlInfo>,
    /// Certificates of another CA the members still trust.
    pub other_ca_leaves: Vec<CertFacts>,
    /// Now.
    pub now: OffsetDateTime,
}

/// Every day-two problem of a bundle: warnings and errors with a path (`ca`, `crl.next_update`,
/// a certificate's id) and what to run.
pub fn check_bundle(f: &BundleFacts<'_>) -> Report {
    let mut r = Report::default();
    ca_lifetime(&mut r, f);
    crl(&mut r, f);
    serials(&mut r, f);
    r
}

/// Only the serials this bundle's leaves share with `f.other_ca_leaves` (what `validate
/// --other-ca` adds to [`check_bundle`]): for showing beside the other CA's input.
pub fn check_shared_serials(f: &BundleFacts<'_>) -> Report {
    let mut r = Report::default();
    serials(&mut r, f);
    r
}

fn day(t: OffsetDateTime) -> String {
    format!("{}-{:02}-{:02}", t.year(), u8::from(t.month()), t.day())
}

fn ca_lifetime(r: &mut Report, f: &BundleFacts<'_>) {
    if f.spec.ca_layout.is_layered() {
        issuing_lifetime(r, f);
        return;
    }
    let end = f.ca.not_after;
    if end <= f.now {
        r.error(
            "ca",
            &day(end),
            format!(
                "the CA expired on {}: no member accepts any certificate of this cluster any more; \
                 make a new CA and re-issue everything (etcd-pki rotate-ca), restarting every member",
                day(end)
            ),
        );
        return;
    }
    let outliving: Vec<&CertFacts> = f.leaves.iter().filter(|l| l.not_after > end).collect();
    if let Some(first) = outliving.first() {
        r.warning(
            "ca",
            &day(end),
            format!(
                "the CA expires on {}, before {} certificate(s) it signed ({} until {}, …): they \
                 stop verifying with it. Renew the CA with the same key first (etcd-pki rotate-ca \
                 --same-key: one rolling restart, every certificate kept), or rotate to a new CA",
                day(end),
                outliving.len(),
                first.id,
                day(first.not_after)
            ),
        );
    } else if end - f.now < Duration::days(i64::from(f.spec.cert_validity_days)) {
        r.warning(
            "ca",
            &day(end),
            format!(
                "the CA expires on {}, sooner than a certificate issued today would \
                 (cert_validity_days is {}): add-member, replace-member and renew refuse to \
                 issue one that outlives its CA. Renew the CA with the same key first (etcd-pki \
                 rotate-ca --same-key: one rolling restart, every certificate kept), or lower \
                 cert_validity_days below {}",
                day(end),
                f.spec.cert_validity_days,
                (end - f.now).whole_days().max(1)
            ),
        );
    } else if end - f.now < Duration::days(CA_WARN_DAYS) {
        r.warning(
            "ca",
            &day(end),
            format!(
                "the CA expires on {}, within a year: renew it with the same key (etcd-pki \
                 rotate-ca --same-key: one rolling restart, every certificate kept) well before",
                day(end)
            ),
        );
    }
}

/// `root+issuing`: `f.ca` is the issuing CA. Its renewal is a new issuing CA under the root,
/// every leaf file swapped in place with no restart (`rotate-issuer`); its end within a year
/// is [`crate::package::chain_lints`]'s to say, with the root's.
fn issuing_lifetime(r: &mut Report, f: &BundleFacts<'_>) {
    let end = f.ca.not_after;
    let fix = "make a new issuing CA under the root and swap every leaf file in place, no \
               restart (etcd-pki rotate-issuer --from BUNDLE.zip --root-key ROOT.key --out \
               kit.zip)";
    if end <= f.now {
        r.error(
            "ca",
            &day(end),
            format!(
                "the issuing CA expired on {}: no member accepts a certificate under it; {fix}",
                day(end)
            ),
        );
        return;
    }
    let outliving: Vec<&CertFacts> = f.leaves.iter().filter(|l| l.not_after > end).collect();
    if let Some(first) = outliving.first() {
        r.warning(
            "ca",
            &day(end),
            format!(
                "the issuing CA expires on {}, before {} certificate(s) it signed ({} until {}, \
                 …): they stop verifying with it; {fix}",
                day(end),
                outliving.len(),
                first.id,
                day(first.not_after)
            ),
        );
    } else if end - f.now < Duration::days(i64::from(f.spec.cert_validity_days)) {
        r.warning(
            "ca",
            &day(end),
            format!(
                "the issuing CA expires on {}, sooner than a certificate issued today would \
                 (cert_validity_days is {}): add-member, replace-member and renew refuse to \
                 issue one that outlives it; {fix}",
                day(end),
                f.spec.cert_validity_days
            ),
        );
    }
}

fn crl(r: &mut Report, f: &BundleFacts<'_>) {
    let Some(crl) = f.crl else { return };
    if let Some(next) = crl.next_update
        && next <= f.now
    {
        r.warning(
            "crl.next_update",
            &day(next),
            format!(
                "the CRL's next update ({}) has passed: etcd still uses it (it compares serials \
                 only), but openssl and other verifiers refuse it; issue a new one (etcd-pki revoke \
                 --next-update DAYS) and install it on every member (install-crl.sh, no restart)",
                day(next)
            ),
        );
    }
    if let Some(next) = crl.next_update
        && next > f.now
        && next - f.now < Duration::days(CRL_WARN_DAYS)
    {
        r.warning(
            "crl.next_update",
            &day(next),
            format!(
                "the CRL's next update is {}, within {CRL_WARN_DAYS} days: issue the next one \
                 before (etcd-pki revoke --next-update DAYS) and install it on every member \
                 (install-crl.sh, no restart)",
                day(next)
            ),
        );
    }
    r.warning(
        "members.etcd.conf.yml",
        "--config-file",
        "CRLs are on, and etcd reads a CRL file only from --client-crl-file/--peer-crl-file or \
         ETCD_CLIENT_CRL_FILE/ETCD_PEER_CRL_FILE: a member started with --config-file \
         (members/<name>/etcd.conf.yml) ignores every flag and ETCD_* variable, and its YAML has \
         no CRL key, so the CRL would silently not apply there. Start every member from its env \
         file and etcd.service.d/ drop-ins (install.sh's way); install-crl.sh refuses a member \
         running with --config-file",
    );
    if matches!(f.spec.etcd_version, EtcdVersion::V3_5 | EtcdVersion::V3_6) {
        r.warning(
            "etcd_version",
            f.spec.etcd_version.as_str(),
            "with a CRL, run etcd 3.5.32 or later (3.6.13 or later on 3.6) if the client HTTP API \
             gets its own listener (--listen-client-http-urls): earlier releases skip the CRL on \
             gRPC connections there. etcd-pki's files do not set that flag; with one client \
             listener every release checks the CRL",
        );
    }
}

fn serials(r: &mut Report, f: &BundleFacts<'_>) {
    if f.other_ca_leaves.is_empty() {
        return;
    }
    let revoked: Vec<&str> = f
        .crl
        .map(|c| c.revoked.iter().map(|e| e.serial.as_str()).collect())
        .unwrap_or_default();
    for leaf in &f.leaves {
        if let Some(other) = f.other_ca_leaves.iter().find(|o| o.serial == leaf.serial) {
            let how = if revoked.contains(&leaf.serial.as_str()) {
                "and it is on the CRL: etcd refuses both"
            } else {
                "so revoking either refuses both"
            };
            r.warning(
                leaf.id.clone(),
                &leaf.serial,
                format!(
                    "has serial {} like {} of the other CA, {how} (etcd matches a CRL by serial \
                     only); re-issue it (etcd-pki renew --only {})",
                    leaf.serial,
                    other.id,
                    leaf.id.split('/').nth(1).unwrap_or(&leaf.id)
                ),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crl::RevokedInfo;

    fn cert(id: &str, serial: &str, days: i64, now: OffsetDateTime) -> CertFacts {
        CertFacts {
            id: id.into(),
            serial: serial.into(),
            not_after: now + Duration::days(days),
        }
    }

    fn facts<'a>(spec: &'a ClusterSpec, now: OffsetDateTime) -> BundleFacts<'a> {
        BundleFacts {
            spec,
            ca: cert("ca", "01", 3650, now),
            leaves: vec![
                cert("members/etcd1/server", "aa", 825, now),
                cert("clients/etcdctl", "bb", 825, now),
            ],
            crl: None,
            other_ca_leaves: vec![],
            now,
        }
    }

    #[test]
    fn a_healthy_bundle_has_no_problem() {
        let spec = ClusterSpec::template();
        let now = OffsetDateTime::now_utc();
        assert_eq!(check_bundle(&facts(&spec, now)).problems(), &[]);
    }

    #[test]
    fn ca_ending_before_its_leaves_or_within_a_year_names_the_renewal() {
        let spec = ClusterSpec::template();
        let now = OffsetDateTime::now_utc();
        let mut f = facts(&spec, now);
        f.ca.not_after = now + Duration::days(500);
        let r = check_bundle(&f);
        let p = &r.problems()[0];
        assert_eq!(p.path, "ca");
        assert!(p.message.contains("before 2 certificate(s)"), "{p}");
        assert!(p.message.contains("rotate-ca --same-key"), "{p}");
        f.leaves.clear();
        f.ca.not_after = now + Duration::days(200);
        let r = check_bundle(&f);
        // 200 days: sooner than a new certificate (825 days) would end.
        let p = &r.problems()[0];
        assert!(
            p.message.contains("cert_validity_days is 825") && p.message.contains("below 200"),
            "{r:?}"
        );
        let mut short = spec.clone();
        short.cert_validity_days = 90;
        let mut f = facts(&short, now);
        f.leaves.clear();
        f.ca.not_after = now + Duration::days(200);
        let r = check_bundle(&f);
        assert!(r.problems()[0].message.contains("within a year"), "{r:?}");
        f.ca.not_after = now - Duration::days(1);
        assert!(check_bundle(&f).has_errors());
    }

    #[test]
    fn stale_crl_and_the_grpc_bypass_releases() {
        let mut spec = ClusterSpec::template();
        let now = OffsetDateTime::now_utc();
        let crl = CrlInfo {
            issuer: "CN=etcd CA".into(),
            this_update: now - Duration::days(40),
            next_update: Some(now - Duration::days(10)),
            number: Some(3),
            revoked: vec![],
        };
        spec.etcd_version = EtcdVersion::V3_7;
        let mut f = facts(&spec, now);
        f.crl = Some(&crl);
        let r = check_bundle(&f);
        assert_eq!(r.problems().len(), 2, "{r:?}");
        assert_eq!(r.problems()[0].path, "crl.next_update");
        assert!(r.problems()[0].message.contains("has passed"), "{r:?}");
        // With CRLs on, the YAML config is named: etcd ignores the CRL settings with it.
        let yaml = r
            .at("members.etcd.conf.yml")
            .next()
            .expect("config-file lint");
        assert!(
            yaml.message.contains("--config-file") && yaml.message.contains("env"),
            "{yaml}"
        );
        // A next update within a week: warned, with the command.
        let soon = CrlInfo {
            next_update: Some(now + Duration::days(3)),
            ..crl.clone()
        };
        f.crl = Some(&soon);
        let r = check_bundle(&f);
        let p = r.at("crl.next_update").next().expect("soon");
        assert!(
            p.message.contains("within 7 days") && p.message.contains("--next-update"),
            "{p}"
        );
        let mut spec35 = spec.clone();
        spec35.etcd_version = EtcdVersion::V3_5;
        let mut f = facts(&spec35, now);
        f.crl = Some(&crl);
        let r = check_bundle(&f);
        assert!(
            r.at("etcd_version").any(|p| p.message.contains("3.5.32")),
            "{r:?}"
        );
    }

    #[test]
    fn serials_shared_with_the_other_ca_are_named() {
        let spec = ClusterSpec::template();
        let now = OffsetDateTime::now_utc();
        let crl = CrlInfo {
            issuer: "CN=etcd CA".into(),
            this_update: now,
            next_update: Some(now + Duration::days(30)),
            number: Some(1),
            revoked: vec![RevokedInfo {
                serial: "bb".into(),
                revoked_at: now,
                reason_code: Some(1),
            }],
        };
        let mut f = facts(&spec, now);
        f.crl = Some(&crl);
        f.other_ca_leaves = vec![cert("clients/etcdctl", "bb", 100, now)];
        let r = check_bundle(&f);
        let p = r.at("clients/etcdctl").next().expect("collision");
        assert!(p.message.contains("etcd refuses both"), "{p}");
        assert!(p.message.contains("--only etcdctl"), "{p}");
    }
}
