//! `renewal.ics`: the bundle's renewal dates as an iCalendar file (RFC 5545) to import into
//! the calendar the team already reads — a day to renew the certificates that end together
//! (30 days before, as `etcd-pki status` and the alerting rules count), a last-week reminder,
//! and a day to renew the CA a year before it ends. A UID is the end date and the cluster:
//! importing the same calendar twice adds no duplicates.

use std::collections::BTreeMap;

use time::{Duration, OffsetDateTime};

use crate::issue::Issued;
use crate::plan::Plan;

/// Days before a certificate's end that its renewal is due: `etcd-pki status`'s default
/// (`status::DEFAULT_WITHIN_DAYS`, which sits above render; a unit test keeps them equal).
const RENEW_DAYS: i64 = 30;
/// Days before the end of the last reminder (the alerting rules page then).
const LAST_DAYS: i64 = 7;
/// Days before the CA's end that its renewal is due (`package::lints::CA_WARN_DAYS`).
const CA_DAYS: i64 = 365;

/// `renewal.ics`.
pub fn render(plan: &Plan, issued: &Issued) -> String {
    let cluster = &plan.spec.cluster_name;
    // Certificates that end on the same day are renewed together: one event per end date.
    let mut by_day: BTreeMap<String, (OffsetDateTime, Vec<&str>)> = BTreeMap::new();
    for c in &plan.certs {
        if let Some(cert) = issued.cert(&c.id) {
            let e = by_day
                .entry(date(cert.not_after))
                .or_insert((cert.not_after, Vec::new()));
            e.1.push(&c.id);
        }
    }
    let stamp = compact(issued.issued_at);
    let mut lines = vec![
        "BEGIN:VCALENDAR".to_string(),
        "VERSION:2.0".to_string(),
        "PRODID:-//etcd-pki//renewal calendar//EN".to_string(),
        "CALSCALE:GREGORIAN".to_string(),
        format!("X-WR-CALNAME:etcd {cluster} certificate renewals"),
    ];
    let renew = format!(
        "etcd-pki status --from BUNDLES/ prints the commands filled in; or: etcd-pki renew \
         --from NEWEST.zip --ca-key {cluster}-ca.key --within {RENEW_DAYS} --out NEXT.zip, then \
         each member's renew.sh"
    );
    for (day, (end, ids)) in &by_day {
        let what = format!("{} certificate(s): {}", ids.len(), ids.join(", "));
        event(
            &mut lines,
            &format!("renew-{day}-{cluster}@etcd-pki"),
            &stamp,
            *end - Duration::days(RENEW_DAYS),
            &format!("Renew the etcd certificates of cluster {cluster} (they end {day})"),
            &format!("{what} end on {day}. {renew}."),
        );
        event(
            &mut lines,
            &format!("last-{day}-{cluster}@etcd-pki"),
            &stamp,
            *end - Duration::days(LAST_DAYS),
            &format!("LAST WEEK: etcd certificates of cluster {cluster} end {day}"),
            &format!(
                "{what} end on {day}, in {LAST_DAYS} days: a member whose certificate has \
                 ended is refused by its peers and clients. {renew}."
            ),
        );
    }
    if let Some(root) = &issued.root {
        let root_day = date(root.not_after);
        let issuing_day = date(issued.ca.not_after);
        event(
            &mut lines,
            &format!("issuing-{issuing_day}-{cluster}@etcd-pki"),
            &stamp,
            issued.ca.not_after - Duration::days(CA_DAYS),
            &format!("Rotate the issuing CA of etcd cluster {cluster} (it ends {issuing_day})"),
            &format!(
                "The issuing CA ends on {issuing_day}, and every certificate it signed with it. \
                 Make a new one under the same root, with no restart: etcd-pki rotate-issuer \
                 --from NEWEST.zip --root-key {cluster}-root-ca.key --out KIT.zip, then follow \
                 the kit's ROTATE-ISSUER.md."
            ),
        );
        event(
            &mut lines,
            &format!("root-{root_day}-{cluster}@etcd-pki"),
            &stamp,
            root.not_after - Duration::days(CA_DAYS),
            &format!("Replace the root CA of etcd cluster {cluster} (it ends {root_day})"),
            &format!(
                "The root ends on {root_day}, and the cluster's trust with it. Move to a new \
                 root (two rolling restarts): etcd-pki rotate-ca --from NEWEST.zip --ca-key \
                 {cluster}-ca.key --out KIT.zip, then follow the kit's ROTATE.md."
            ),
        );
        lines.push("END:VCALENDAR".to_string());
        let mut out = String::new();
        for l in lines {
            out.push_str(&fold(&l));
        }
        return out;
    }
    let ca_day = date(issued.ca.not_after);
    event(
        &mut lines,
        &format!("ca-{ca_day}-{cluster}@etcd-pki"),
        &stamp,
        issued.ca.not_after - Duration::days(CA_DAYS),
        &format!("Renew the CA of etcd cluster {cluster} (it ends {ca_day})"),
        &format!(
            "The CA ends on {ca_day}, and every certificate of the cluster with it. Renew it \
             with the same key (one rolling restart, every certificate kept): etcd-pki \
             rotate-ca --same-key --from NEWEST.zip --ca-key {cluster}-ca.key --out KIT.zip."
        ),
    );
    lines.push("END:VCALENDAR".to_string());
    let mut out = String::new();
    for l in lines {
        out.push_str(&fold(&l));
    }
    out
}

fn event(
    lines: &mut Vec<String>,
    uid: &str,
    stamp: &str,
    day: OffsetDateTime,
    summary: &str,
    description: &str,
) {
    let next = day + Duration::days(1);
    lines.extend([
        "BEGIN:VEVENT".to_string(),
        format!("UID:{}", escape(uid)),
        format!("DTSTAMP:{stamp}"),
        format!("DTSTART;VALUE=DATE:{}", date(day).replace('-', "")),
        format!("DTEND;VALUE=DATE:{}", date(next).replace('-', "")),
        format!("SUMMARY:{}", escape(summary)),
        format!("DESCRIPTION:{}", escape(description)),
        "TRANSP:TRANSPARENT".to_string(),
        "END:VEVENT".to_string(),
    ]);
}

/// `2029-03-01`.
fn date(t: OffsetDateTime) -> String {
    format!("{}-{:02}-{:02}", t.year(), u8::from(t.month()), t.day())
}

/// `20261207T090000Z`.
fn compact(t: OffsetDateTime) -> String {
    format!(
        "{}{:02}{:02}T{:02}{:02}{:02}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

/// TEXT escaping (RFC 5545 3.3.11).
fn escape(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace(';', "\\;")
        .replace(',', "\\,")
        .replace('\n', "\\n")
}

/// A content line folded at 75 octets (RFC 5545 3.1), never inside a character, ended by CRLF.
fn fold(line: &str) -> String {
    let mut out = String::new();
    let mut width = 0;
    for ch in line.chars() {
        let n = ch.len_utf8();
        if width + n > 75 {
            out.push_str("\r\n ");
            width = 1;
        }
        out.push(ch);
        width += n;
    }
    out.push_str("\r\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_marks_are_status_and_the_lints_marks() {
        assert_eq!(RENEW_DAYS, i64::from(crate::status::DEFAULT_WITHIN_DAYS));
        assert_eq!(CA_DAYS, crate::package::lints::CA_WARN_DAYS);
    }

    #[test]
    fn folds_at_75_octets_and_escapes_text() {
        let long = "x".repeat(200);
        let folded = fold(&long);
        assert!(folded.split("\r\n").all(|l| l.len() <= 75));
        assert_eq!(folded.replace("\r\n ", ""), format!("{long}\r\n"));
        assert_eq!(escape("a,b;c\\d\ne"), "a\\,b\\;c\\\\d\\ne");
    }
}
