//! What a change did, as one summary the command line prints and the page shows as-is
//! ([`ChangeSummary`]), with the `etcd-pki revoke` command it suggests.

#[allow(unused_imports)]
use super::*;

/// What a finished change did, for a person.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChangeSummary {
    /// Members added.
    pub members_added: usize,
    /// Members removed.
    pub members_removed: usize,
    /// Certificates new to the cluster.
    pub certificates_issued: usize,
    /// Certificates issued again.
    pub certificates_renewed: usize,
    /// Certificates copied unchanged.
    pub certificates_kept: usize,
    /// Keys that replace a key the old bundle had.
    pub keys_changed: usize,
    /// Runbook scripts to run, in order (paths in the bundle).
    pub steps: Vec<String>,
    /// Old certificates to revoke: `path serial`.
    pub revoke: Vec<String>,
    /// The `etcd-pki revoke` arguments that revoke them from the new bundle: `--member NAME`
    /// for a member it records as removed, `--unlisted-serial HEX` for a certificate it no
    /// longer holds (a replaced key).
    pub revoke_args: Vec<String>,
    /// Clients whose certificate was renewed (`clients/<name>/`): no runbook installs a
    /// client's files, so the summary says to.
    pub clients_renewed: Vec<String>,
    /// The serials of [`ChangeSummary::revoke`], as the page's Revoke section takes them.
    pub revoke_serials: Vec<String>,
}

impl ChangeSummary {
    /// The summary as [`fmt::Display`] shows it, with the `etcd-pki revoke` line naming the
    /// new bundle and the CA key the person used (the command line knows them; shell-quoted
    /// when they need it) instead of `NEW.zip` and `CA.key`.
    /// `passphrase_file` is the `--ca-passphrase-file` the person gave, which the printed
    /// command repeats, so that it runs as printed; its `--out` is the new bundle's name with
    /// `-revoked` before `.zip`.
    pub fn with_paths(&self, new_zip: &str, ca_key: &str, passphrase_file: Option<&str>) -> String {
        let mut out = String::new();
        let revoked = match new_zip.strip_suffix(".zip") {
            Some(stem) => format!("{stem}-revoked.zip"),
            None => format!("{new_zip}-revoked.zip"),
        };
        let mut key = shell_word(ca_key);
        if let Some(p) = passphrase_file {
            key.push_str(&format!(" --ca-passphrase-file {}", shell_word(p)));
        }
        let how = RevokeWith::Cli {
            new_zip: &shell_word(new_zip),
            ca_key: &key,
            revoked_zip: &shell_word(&revoked),
        };
        self.write(&mut out, how).expect("writing to a String");
        out
    }

    /// The summary as the page shows it: the same text, but the old certificates are revoked
    /// from the page (open the new bundle, Revoke, serials of an earlier bundle) rather than
    /// with a command line.
    pub fn for_page(&self) -> String {
        let mut out = String::new();
        self.write(&mut out, RevokeWith::Page)
            .expect("writing to a String");
        out
    }

    fn write(&self, f: &mut impl fmt::Write, how: RevokeWith<'_>) -> fmt::Result {
        let mut parts = Vec::new();
        if self.members_added > 0 {
            parts.push(format!(
                "{} added",
                plural(self.members_added, "member", "members")
            ));
        }
        if self.members_removed > 0 {
            parts.push(format!(
                "{} removed",
                plural(self.members_removed, "member", "members")
            ));
        }
        if self.certificates_issued > 0 {
            parts.push(format!(
                "{} issued",
                plural(self.certificates_issued, "certificate", "certificates")
            ));
        }
        parts.push(format!(
            "{} renewed",
            plural(self.certificates_renewed, "certificate", "certificates")
        ));
        parts.push(format!(
            "{} changed",
            plural(self.keys_changed, "key", "keys")
        ));
        write!(f, "{}", parts.join(", "))?;
        if self.certificates_kept > 0 {
            write!(
                f,
                " ({} kept as they were)",
                plural(self.certificates_kept, "certificate", "certificates")
            )?;
        }
        if !self.steps.is_empty() {
            write!(f, "\nrun, in this order:")?;
            for (i, s) in self.steps.iter().enumerate() {
                write!(f, "\n  {}. {s}", i + 1)?;
            }
        }
        if !self.clients_renewed.is_empty() {
            write!(
                f,
                "\nthen each renewed client, on its machine: its folder's new client.crt and \
                 client.key in place together, then reload or restart the program:"
            )?;
            for c in &self.clients_renewed {
                write!(f, "\n  {c}/")?;
            }
        }
        if !self.revoke.is_empty() {
            write!(f, "\nrevoke these old certificates:")?;
            for r in &self.revoke {
                write!(f, "\n  {r}")?;
            }
            // A client's old certificate is revoked only once the client has its new one.
            let clients = if self.clients_renewed.is_empty() {
                ""
            } else {
                " and each renewed client has its new files"
            };
            match how {
                RevokeWith::Cli {
                    new_zip,
                    ca_key,
                    revoked_zip,
                } => write!(
                    f,
                    "\nonce the runbook is done{clients}, with the new bundle:\n  etcd-pki revoke --from {new_zip} --ca-key {ca_key} {} --out {revoked_zip}",
                    self.revoke_args.join(" ")
                )?,
                RevokeWith::Page => write!(
                    f,
                    "\nonce the runbook is done{clients}, open the new bundle here and give these \
                     under Revoke, as serials of an earlier bundle:\n  {}",
                    self.revoke_serials.join(" ")
                )?,
            }
        }
        Ok(())
    }
}

/// How the person revokes the certificates a change replaced: the command line to paste, or
/// the page's Revoke section.
pub(super) enum RevokeWith<'a> {
    Cli {
        new_zip: &'a str,
        ca_key: &'a str,
        revoked_zip: &'a str,
    },
    Page,
}

pub(super) fn shell_word(s: &str) -> String {
    crate::render::quote::word(s)
}

pub(super) fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

impl fmt::Display for ChangeSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.write(
            f,
            RevokeWith::Cli {
                new_zip: "NEW.zip",
                ca_key: "CA.key",
                revoked_zip: "REVOKED.zip",
            },
        )
    }
}

/// The `etcd-pki revoke` arguments for the plan's old certificates: a member that leaves is
/// recorded in the new bundle (`removed_members`) and revoked by name; any other old
/// certificate (its key replaced, or its member moved under the same name) is no longer in
/// the new bundle and is named by serial.
pub(super) fn revoke_args(plan: &ChangePlan) -> Vec<String> {
    let mut args: Vec<String> = Vec::new();
    for (path, serial) in &plan.revoke {
        let member = path
            .strip_prefix("members/")
            .and_then(|rest| rest.split('/').next())
            .filter(|m| plan.members_removed.iter().any(|r| r == m))
            // A member that stays under its name (it moved) is current: by serial.
            .filter(|m| !plan.members_added.iter().any(|a| a == m));
        let arg = match member {
            Some(m) => format!("--member {m}"),
            None => format!("--unlisted-serial {serial}"),
        };
        if !args.contains(&arg) {
            args.push(arg);
        }
    }
    args
}
