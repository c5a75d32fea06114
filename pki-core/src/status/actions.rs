//! Each certificate's action and the CRL's due state, by the marks `renew --within` and the
//! bundle lints use, and the renewal as `change::plan_change` plans it.

use time::format_description::well_known::Rfc3339;
use time::{Duration, OffsetDateTime};

use super::commands::Commands;
use super::report::{Action, CertStatus, CrlStatus, Renewal};
use crate::crl::CrlInfo;
use crate::issue::rfc3339;
use crate::ops::change::{self, Change};
use crate::package::OpenedBundle;
use crate::package::lints::{self, BundleFacts, CRL_WARN_DAYS};
use crate::package::state::CertRecord;
use crate::report::Problem;

/// The day-two lints; a bundle whose certificates cannot be read again (open() checked them,
/// so only a damaged one) gets that as its one lint.
pub(super) fn bundle_lints(
    b: &OpenedBundle,
    crl: Option<&CrlInfo>,
    now: OffsetDateTime,
) -> Vec<Problem> {
    match lints::certs_of(b) {
        Ok((ca, leaves)) => {
            let mut r = lints::check_bundle(&BundleFacts {
                spec: b.spec.spec(),
                ca,
                leaves,
                crl,
                other_ca_leaves: Vec::new(),
                now,
            });
            r.merge(crate::package::chain_lints::check_chain(b, now));
            r.problems().to_vec()
        }
        Err(e) => vec![Problem {
            severity: crate::report::Severity::Error,
            path: "certificates".into(),
            value: String::new(),
            message: e.to_string(),
        }],
    }
}

pub(super) fn parse_time(s: &str) -> Option<OffsetDateTime> {
    OffsetDateTime::parse(s, &Rfc3339).ok()
}

/// Whole days from `now` to `t`, rounded toward the past (a certificate ending in 23 hours
/// has 0 days left; one ended an hour ago, -1).
pub(super) fn days_left(t: OffsetDateTime, now: OffsetDateTime) -> i64 {
    let d = t - now;
    let whole = d.whole_days();
    if d.is_negative() && d != Duration::days(whole) {
        whole - 1
    } else {
        whole
    }
}

/// A leaf's action, with the comparison `renew --within` makes (an unreadable date counts as
/// due there, and as expired here).
pub(super) fn leaf_action(r: &CertRecord, now: OffsetDateTime, within: u32) -> Action {
    match parse_time(&r.not_after) {
        Some(t) if t <= now => Action::Expired,
        Some(t) if t - now <= Duration::days(i64::from(within)) => Action::Renew,
        Some(_) => Action::None,
        None => Action::Expired,
    }
}

/// The CA's action, by the same marks as the CA lints: ended; within a year, before a leaf it
/// signed, or before a certificate issued today would end.
pub(super) fn ca_action(b: &OpenedBundle, now: OffsetDateTime) -> Action {
    let Some(end) = parse_time(&b.state.ca.not_after) else {
        return Action::CaExpired;
    };
    if end <= now {
        return Action::CaExpired;
    }
    let outlived = b
        .state
        .certificates
        .iter()
        .filter_map(|c| parse_time(&c.not_after))
        .any(|t| t > end);
    let fresh = Duration::days(i64::from(b.state.spec.cert_validity_days));
    if outlived || end - now < fresh || end - now < Duration::days(lints::CA_WARN_DAYS) {
        Action::RenewCa
    } else {
        Action::None
    }
}

pub(super) fn cert_status(
    r: &CertRecord,
    action: Action,
    commands: &Commands,
    now: OffsetDateTime,
    within: u32,
) -> CertStatus {
    let end = parse_time(&r.not_after);
    let days_left = end.map_or(0, |t| days_left(t, now));
    let owner = r.member.as_deref().or(r.client.as_deref());
    let (why, command) = match action {
        Action::None => ("nothing to do".to_string(), None),
        Action::Renew => (
            format!("ends within {within} days: renew"),
            Some(commands.renew(owner)),
        ),
        Action::Expired => (
            "expired: renew it now (its peers and clients refuse it)".to_string(),
            Some(commands.renew(owner)),
        ),
        Action::RenewCa if commands.root_key.is_some() => (
            "the issuing CA ends within a year (or before what it signs): make a new one under \
             the same root and swap every leaf file in place, no restart"
                .to_string(),
            Some(commands.renew_ca()),
        ),
        Action::RenewCa => (
            "the CA ends within a year (or before what it signs): renew it with the same key, \
             one rolling restart, every certificate kept"
                .to_string(),
            Some(commands.renew_ca()),
        ),
        Action::CaExpired => (
            "the CA has expired: nothing of the cluster verifies; rotate to a new CA and \
             restart every member"
                .to_string(),
            Some(commands.rotate_ca()),
        ),
    };
    CertStatus {
        id: r.id.clone(),
        role: r.role.clone(),
        member: r.member.clone(),
        client: r.client.clone(),
        subject: r.subject.clone(),
        serial: r.serial.clone(),
        not_after: r.not_after.clone(),
        days_left,
        action,
        why,
        command,
    }
}

pub(super) fn crl_status(c: &CrlInfo, commands: &Commands, now: OffsetDateTime) -> CrlStatus {
    let days = c.next_update.map(|t| days_left(t, now));
    let (due, why) = match c.next_update {
        Some(t) if t <= now => (
            true,
            "its next update has passed: openssl and other verifiers refuse it (etcd still \
             uses it); issue the next one and install it on every member"
                .to_string(),
        ),
        Some(t) if t - now < Duration::days(CRL_WARN_DAYS) => (
            true,
            format!(
                "its next update is within {CRL_WARN_DAYS} days: issue the next one and install \
                 it on every member (install-crl.sh, no restart)"
            ),
        ),
        Some(_) => (false, "nothing to do".to_string()),
        None => (false, "it has no next update".to_string()),
    };
    CrlStatus {
        number: c.number,
        this_update: rfc3339(c.this_update),
        next_update: c.next_update.map(rfc3339),
        days_left: days,
        revoked: c.revoked.len(),
        due,
        why,
        command: due.then(|| commands.new_crl()),
    }
}

/// What `renew --within D` would do now: planned by daytwo itself, no key made.
pub(super) fn renewal(
    b: &OpenedBundle,
    commands: &Commands,
    now: OffsetDateTime,
    within: u32,
) -> Renewal {
    let change = Change::Renew {
        only: Vec::new(),
        keep_keys: false,
        within_days: Some(within),
    };
    let command = commands.renew(None);
    let (from, ca_key, out) = commands.raw.clone();
    match change::plan_change(Some(b), &b.state.spec, &change, now) {
        Ok(plan) => {
            let owner = |id: &String| -> Option<(bool, String)> {
                let r = b.state.certificates.iter().find(|c| &c.id == id)?;
                match (&r.member, &r.client) {
                    (Some(m), _) => Some((true, m.clone())),
                    (_, Some(c)) => Some((false, c.clone())),
                    _ => None,
                }
            };
            let mut members = Vec::new();
            let mut clients = Vec::new();
            for (is_member, name) in plan.renewed.iter().filter_map(owner) {
                let list = if is_member {
                    &mut members
                } else {
                    &mut clients
                };
                if !list.contains(&name) {
                    list.push(name);
                }
            }
            Renewal {
                command,
                from,
                ca_key,
                out,
                renews: plan.renewed,
                members,
                clients,
                refused: None,
            }
        }
        Err(e) => Renewal {
            command,
            from,
            ca_key,
            out,
            renews: Vec::new(),
            members: Vec::new(),
            clients: Vec::new(),
            refused: Some(e.to_string()),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_left_rounds_toward_the_past() {
        let now = OffsetDateTime::UNIX_EPOCH;
        assert_eq!(days_left(now + Duration::hours(23), now), 0);
        assert_eq!(days_left(now + Duration::days(2), now), 2);
        assert_eq!(days_left(now - Duration::hours(1), now), -1);
        assert_eq!(days_left(now - Duration::days(3), now), -3);
    }
}
