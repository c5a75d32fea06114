//! What `rotate-ca` did, for a person: the summary it prints ([`RotateSummary`]) and the
//! kit's `ROTATE.md`.

use crate::options::CaLayout;

/// What `rotate-ca` did, for a person.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RotateSummary {
    /// A same-key renewal (else a rotation to a new key).
    pub same_key: bool,
    /// The new CA certificate's subject and notAfter (RFC 3339): the CA that signs the leaves
    /// (the new issuing CA, with `root+issuing`).
    pub new_ca: (String, String),
    /// `root+issuing`: the new root's subject and notAfter, the CA members and clients trust
    /// after the rotation.
    pub new_root: Option<(String, String)>,
    /// The old trusted CA's notAfter (the old single CA's, or the old root's).
    pub old_ca_not_after: String,
    /// The layout the cluster had, and the one the kit moves it to.
    pub layouts: (CaLayout, CaLayout),
    /// Members, in order.
    pub members: Vec<String>,
    /// Clients, in order.
    pub clients: Vec<String>,
    /// Whether the kit carries a CRL (install it after phase 1).
    pub crl: bool,
}

fn day(s: &str) -> String {
    s.get(..10).unwrap_or(s).to_string()
}

impl RotateSummary {
    /// The kit moves a single-CA cluster to `root+issuing`.
    pub fn is_move(&self) -> bool {
        self.layouts == (CaLayout::Single, CaLayout::RootIssuing)
    }

    /// The first lines: what was made.
    fn made(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (subject, end) = (&self.new_ca.0, day(&self.new_ca.1));
        match &self.new_root {
            None => write!(
                f,
                "Made a new CA \"{subject}\" (valid until {end}) and every member and client \
                 certificate under it."
            )?,
            Some((root, root_end)) => write!(
                f,
                "Made a new root \"{root}\" (valid until {}; members and clients will trust it \
                 alone), the issuing CA \"{subject}\" under it (valid until {end}), and every \
                 member and client certificate under that issuing CA.",
                day(root_end)
            )?,
        }
        writeln!(f, " Follow ROTATE.md of the kit, one member at a time:")
    }
}

impl std::fmt::Display for RotateSummary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let m = self.members.join(", ");
        if self.same_key {
            let (new_end, old_end) = (day(&self.new_ca.1), day(&self.old_ca_not_after));
            // Renewed the day it was made (or last renewed): the end does not move.
            let was = if new_end == old_end {
                "the same day as before: a CA renewed this young gains nothing".to_string()
            } else {
                format!("was {old_end}")
            };
            writeln!(
                f,
                "Renewed the CA certificate \"{}\" with the same key: valid until {new_end} ({was}); \
                 every certificate stays as it is.",
                self.new_ca.0,
            )?;
            writeln!(
                f,
                "One rolling restart: on each member ({m}) in turn, as root, from its folder: bash \
                 rotate/renew-ca.sh (it waits until the member is back and caught up)."
            )?;
            return write!(
                f,
                "Clients ({}): their CA file any time before {}: bash rotate/rotate-client.sh renew DIR.",
                self.clients.join(", "),
                day(&self.old_ca_not_after)
            );
        }
        if self.is_move() {
            writeln!(
                f,
                "This kit moves the cluster from one CA to a root and an issuing CA \
                 (root+issuing): every trusted CA file becomes the root alone, every certificate \
                 file the certificate then the issuing CA. Afterwards a new issuing CA \
                 (rotate-issuer) needs no restart."
            )?;
        } else if self.layouts == (CaLayout::RootIssuing, CaLayout::Single) {
            writeln!(
                f,
                "This kit moves the cluster from a root and an issuing CA back to one CA \
                 (single): every later CA change takes the three phases again."
            )?;
        }
        self.made(f)?;
        writeln!(
            f,
            "  1. each member ({m}): bash rotate/1-trust-both.sh   (one restart each)"
        )?;
        writeln!(f, "     each client: bash rotate/rotate-client.sh 1 DIR")?;
        if self.crl {
            writeln!(
                f,
                "     each member: bash install-crl.sh   (the revocations so far, signed by the new CA)"
            )?;
        }
        writeln!(
            f,
            "  2. each member: bash rotate/2-reissue.sh --clients-trust-both   (no restart)"
        )?;
        writeln!(
            f,
            "     each client: bash rotate/rotate-client.sh 2 DIR, then 3 DIR"
        )?;
        write!(
            f,
            "  3. each member: bash rotate/3-drop-old.sh --clients-reissued   (one restart each)"
        )
    }
}

/// The kit's `ROTATE.md`: the steps in order, for this cluster.
pub(super) fn rotate_md(s: &RotateSummary, cluster: &str) -> String {
    let keep = if s.same_key {
        "Keep the old bundle until rotate/renew-ca.sh is done on every member (the CA key does \
         not change)."
    } else {
        "Keep the old bundle and CA key until step 3 is done everywhere."
    };
    let title = if s.same_key {
        "CA renewal kit"
    } else {
        "CA rotation kit"
    };
    let layered = if s.new_root.is_some() {
        "\n\nThis kit is of the root+issuing layout. \"The new CA\" of the scripts is the new \
         root: the trusted CA file (`ca.crt`) holds the old CA and the new root in phase 1, the \
         new root alone after phase 3. Every certificate file of the kit (`server.crt`, \
         `peer.crt`, a client's `client.crt`) holds the certificate, then the new issuing CA \
         (`issuing-ca.crt`); the scripts present both when they ask a member. The new issuing \
         CA's key is the CA key of every later day-two command; the new root's key (saved \
         apart from the kit, like the CA key) is needed only to make the next \
         issuing CA: keep it offline. Once step 3 is done everywhere, `etcd-pki \
         rotate-issuer` replaces the issuing CA with no restart; only a new root takes these \
         three phases again."
    } else {
        ""
    };
    format!(
        "# {title} of etcd cluster {cluster}\n\n\
         Made by `etcd-pki rotate-ca`. This is the cluster's newest bundle: the next day-two \
         operation starts from it.\n\n```text\n{s}\n```\n\n\
         Every step checks that the previous one took effect (which CAs the trusted CA file \
         holds, what each member's ports accept and serve) and otherwise refuses, exit 3, \
         naming the step to run; a step already done does nothing. Each member step waits \
         until the member is back: every member healthy and started, its raft index within 50 \
         of the leader's. `ETCD_PKI_RESTART` replaces `systemctl restart etcd` where etcd runs \
         otherwise. {keep}{layered}\n"
    )
}
