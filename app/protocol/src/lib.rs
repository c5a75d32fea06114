//! What the page and its key workers say to each other, as types both sides share: the
//! page (`app`) and the worker (`keygen-worker`) both depend on this crate, so a message
//! cannot be built on one side with a field the other does not read.
//!
//! On the wire a message is `{ body, secrets }`: `body` is the JSON of [`ToWorker`] or
//! [`FromWorker`] and carries only public data; every secret (a key's DER, the passphrase, the
//! zip, the CA key, a key file's text) travels in [`Secrets`], one named field each, which the
//! variant's doc lists. Its buffers are listed in `postMessage`'s transfer list, so they move
//! rather than being copied, and the receiver zeroes each one once it has copied it into its
//! own memory ([`Secrets::take`]).

use pki_core::{KeyAlgorithm, Listing, Node};
use serde::{Deserialize, Serialize};

mod secrets;
pub use secrets::*;

/// From the page to a worker.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ToWorker {
    /// Make fresh keys, one per index (a batch: a P-256 key takes well under a millisecond,
    /// less than a message's round trip). Secrets: none. Answer: [`FromWorker::Keys`].
    MakeKeys {
        /// The keys' places in the page's key plan.
        indices: Vec<usize>,
        /// Their algorithm.
        algorithm: KeyAlgorithm,
    },
    /// Search one of the two primes of an RSA key (a key's two searches can run on two
    /// workers at once). Secrets: none. Answer: [`FromWorker::Prime`].
    MakePrime {
        /// The key's place in the page's key plan.
        index: usize,
        /// Which of its two primes (0 or 1).
        half: u8,
        /// The key's algorithm (RSA).
        algorithm: KeyAlgorithm,
    },
    /// Make the RSA key of two primes. Secrets: `primes`, the two (big-endian). Answer:
    /// [`FromWorker::Keys`].
    JoinPrimes {
        /// The key's place in the page's key plan.
        index: usize,
        /// Its algorithm (RSA).
        algorithm: KeyAlgorithm,
    },
    /// Sign every certificate and write the zip. Secrets: `keys`, one PKCS#8 DER key per
    /// entry of `key_ids`, in that order; `sealing_key`, the key derived from the CA key
    /// passphrase ([`ToWorker::DeriveSealingKey`]'s answer, never the passphrase), when the CA
    /// key is to be encrypted; `root_sealing_key`, the same for the root key's passphrase
    /// (root+issuing layout: the root key is always encrypted). Answer: [`FromWorker::Bundle`].
    Assemble {
        /// The spec, as JSON.
        spec_json: String,
        /// The key plan's ids (`ca`, `members/etcd1/server`, ...), naming the keys.
        key_ids: Vec<String>,
    },
    /// Derive the key that seals the CA key from its passphrase (PBKDF2, most of a second in
    /// wasm; pki-core's `SealingKey::derive`, over a fresh salt). The page asks its sealing
    /// worker, which does nothing else, while the person types. Secrets: `passphrase`
    /// (UTF-8). Answer: [`FromWorker::SealingKey`].
    DeriveSealingKey {
        /// Matches the answer to the question.
        request: u32,
    },
    /// Read and check an existing CA (day two). Secrets: `ca_cert` (PEM or DER), `ca_key`,
    /// and `passphrase` (UTF-8) when the person gave one. Answer: [`FromWorker::CaChecked`] or
    /// [`FromWorker::CaRefused`].
    CheckCa {
        /// Matches the answer to the question.
        request: u32,
    },
    /// Which new keys a change needs (day two). Secrets: `zip`, the opened bundle's, when
    /// there is one (else the change is a new bundle under a CA from elsewhere). Answer:
    /// [`FromWorker::ChangePlanned`].
    PlanChange {
        /// The spec as the form holds it now, as JSON.
        spec_json: String,
        /// The change.
        change: ChangeRequest,
    },
    /// Apply a change (day two): sign with the existing CA, write the new zip. Secrets: `zip`,
    /// the opened bundle's (else `ca_cert`, the CA's certificate); `ca_key` and, when it is
    /// encrypted, `passphrase` (a new issuing CA: `root_key` and `root_passphrase` instead); `keys`, one PKCS#8 DER key per entry of `key_ids`; for a
    /// rotation whose new CA key is to be encrypted, `new_passphrase` (typed twice in the
    /// page; never the old key's: a rotation may be because that key leaked). Answer:
    /// [`FromWorker::Bundle`] with `change` set.
    ApplyChange {
        /// The spec as the form holds it now, as JSON.
        spec_json: String,
        /// The change.
        change: ChangeRequest,
        /// The ids of the new keys, naming the keys.
        key_ids: Vec<String>,
        /// The person says the opened kit's rotation steps are done on every member (the
        /// page's `--previous-rotation-done`); without it a kit is refused.
        #[serde(default)]
        previous_rotation_done: bool,
    },
    /// Open a bundle (day two): pki-core reads the zip, its `spec.json`, every certificate and
    /// the CRL, and lints it. Secrets: `zip`. Answer: [`FromWorker::File`] whose `file` is the
    /// JSON of [`OpenedFacts`] (the page parses only that, never `spec.json` itself).
    OpenBundle {
        /// Matches the answer to the question.
        request: u32,
    },
    /// Check an opened bundle against another CA's bundle the members still trust (during a
    /// rotation: the old one), as `etcd-pki validate --from B --other-ca OTHER` does: the
    /// serials they share. Secrets: `zip`, the bundle's; `other_zip`, the other CA's. Answer:
    /// [`FromWorker::File`] whose `file` is the JSON of [`OtherCaFacts`].
    CheckOtherCa {
        /// Matches the answer to the question.
        request: u32,
    },
    /// The TLS doctor: read what the person gave (log lines, client output, certificates,
    /// keys, CRLs, settings, a bundle) and explain the failure, as `etcd-pki doctor` does
    /// (`pki_core::doctor::diagnose`). Secrets: `files`, one per input, in the order of
    /// `names`. Answer: [`FromWorker::File`] whose `file` is the JSON of [`DoctorAnswer`].
    Diagnose {
        /// Matches the answer to the question.
        request: u32,
        /// Each input's name (a file's name, `paste` for the text box), naming the files.
        names: Vec<String>,
    },
    /// Read one file out of a zip, for the person who asked to see a key. Secrets: `zip`.
    /// Answer: [`FromWorker::File`].
    ReadFile {
        /// Matches the answer to the question.
        request: u32,
        /// The file's path in the zip.
        path: String,
    },
}

/// From a worker to the page.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum FromWorker {
    /// The worker listens (messages sent before this would be lost). Secrets: none.
    Ready {
        /// Milliseconds this worker took to make [`CALIBRATION_KEYS`] P-256 keys: how fast
        /// this machine is, for the time estimate before a long run.
        calibration_ms: f64,
    },
    /// A derived sealing key. Secrets: `sealing_key` (salt and key, `SealingKey::to_bytes`).
    SealingKey {
        /// The request this answers.
        request: u32,
    },
    /// Keys. Secrets: `keys`, their PKCS#8 DER, in the order of `indices`.
    Keys {
        /// Their places in the key plan.
        indices: Vec<usize>,
        /// How long it took, in milliseconds.
        ms: f64,
    },
    /// One prime of an RSA key. Secrets: `primes`, the one prime, big-endian.
    Prime {
        /// The key's place in the key plan.
        index: usize,
        /// Which of its two primes.
        half: u8,
    },
    /// The finished bundle. Secrets: `zip`; `ca_key`, the CA key file, when the person does
    /// not have it yet (a new CA, a rotation's new key); `root_key`, a new root's key file
    /// (root+issuing); `texts`, the listing's file texts ([`split_texts`]).
    Bundle {
        /// What the zip holds, without any key's text and with every text moved to `texts`.
        listing: Listing,
        /// The length in bytes of each file's text in the texts buffer, in the listing's order.
        text_lengths: Vec<u32>,
        /// The CA key's download name.
        ca_key_name: String,
        /// Whether the CA key is encrypted with the passphrase.
        ca_key_encrypted: bool,
        /// The root key's download name (root+issuing; empty when no new root was made).
        #[serde(default, skip_serializing_if = "String::is_empty")]
        root_key_name: String,
        /// Signing and laying out the files, in milliseconds.
        assemble_ms: f64,
        /// Writing the zip, in milliseconds.
        zip_ms: f64,
        /// For a day-two change: what it changed.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        change: Option<ChangeDone>,
    },
    /// The CA read and checked. Secrets: none.
    CaChecked {
        /// The request this answers.
        request: u32,
        /// The CA for people: its subject, validity and warnings.
        ca: CaFacts,
    },
    /// The CA was refused. Secrets: none.
    CaRefused {
        /// The request this answers.
        request: u32,
        /// The file or field at fault, for the page to show the error beside it.
        field: CaField,
        /// The key is encrypted and no passphrase was given: the page shows the field.
        needs_passphrase: bool,
        /// For people: what is wrong and what to do.
        error: String,
    },
    /// The new keys a change needs. Secrets: none.
    ChangePlanned {
        /// One per key to make, in order.
        keys: Vec<KeyToMake>,
    },
    /// A file read out of the zip, or a question's JSON answer. Secrets: `file`.
    File {
        /// The request this answers.
        request: u32,
    },
    /// The request failed; nothing else comes for it. Secrets: none.
    Failed {
        /// For people.
        error: String,
    },
}

/// A day-two change, as the page asks for it (the worker turns it into pki-core's).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum ChangeRequest {
    /// A new bundle for the spec, signed by an existing CA.
    Generate,
    /// New members joining an opened bundle's cluster.
    AddMembers {
        /// The new members.
        nodes: Vec<Node>,
    },
    /// New certificates for an opened bundle's members and clients.
    Renew {
        /// Only these members and clients (empty: all).
        only: Vec<String>,
        /// Keep the keys (new certificates for the same keys).
        keep_keys: bool,
    },
    /// Revoke certificates of an opened bundle: a new CRL (pki-core's `revoke::revoke`, as
    /// `etcd-pki revoke` calls it).
    Revoke {
        /// Clients of the bundle, by name.
        clients: Vec<String>,
        /// Members that have left, by name.
        members: Vec<String>,
        /// Serials (hex) of this bundle's certificates.
        serials: Vec<String>,
        /// Serials (hex) of an earlier bundle's certificates.
        unlisted: Vec<String>,
        /// `keyCompromise`, `superseded`, … (`etcd-pki revoke --reason`).
        reason: String,
        /// Days until the CRL's next update.
        next_update_days: u32,
    },
    /// Renew the CA certificate with the same key (pki-core's `rotate::rotate_ca` without a
    /// new key, as `etcd-pki rotate-ca --same-key` calls it).
    RenewCaSameKey,
    /// Rotate to a new CA (pki-core's `rotate::rotate_ca` with a new key, as `etcd-pki
    /// rotate-ca` calls it): the three-phase kit, every leaf new under the new CA, and the new
    /// CA key (encrypted with the old key's passphrase when it had one).
    RotateCa,
    /// A new issuing CA under the same root (pki-core's `rotate::rotate_issuer`, as `etcd-pki
    /// rotate-issuer` calls it): signed with the root key the person gives as a file, every
    /// leaf re-issued under it, the kit whose files are swapped in place (no restart), and the
    /// new issuing CA key.
    RotateIssuer,
}

impl ChangeRequest {
    /// The operation as the command line names it in a default `--out` (`add-etcd4`,
    /// `renew`, `renew-same-keys`, `revoke`, `renew-ca`, `rotate-ca`, `generate`).
    pub fn operation(&self) -> String {
        match self {
            ChangeRequest::Generate => "generate".into(),
            ChangeRequest::AddMembers { nodes } => {
                let names: Vec<&str> = nodes.iter().map(|n| n.name.as_str()).collect();
                format!("add-{}", names.join("-"))
            }
            ChangeRequest::Renew {
                keep_keys: true, ..
            } => "renew-same-keys".into(),
            ChangeRequest::Renew { .. } => "renew".into(),
            ChangeRequest::Revoke { .. } => "revoke".into(),
            ChangeRequest::RenewCaSameKey => "renew-ca".into(),
            ChangeRequest::RotateCa => "rotate-ca".into(),
            ChangeRequest::RotateIssuer => "rotate-issuer".into(),
        }
    }
}

/// The file name of a bundle the page offers for download: the cluster, the operation and
/// the generation (pki-core's `naming::default_bundle_name`, which the command line's
/// default `--out` uses), so that a Downloads folder tells bundles apart, not `(1)`, `(2)`.
pub fn download_name(bundle: &pki_core::package::Bundle, operation: &str) -> String {
    let generation = bundle.state().map_or(1, |s| s.generation());
    pki_core::naming::default_bundle_name(
        &bundle.cluster_name,
        operation,
        u32::try_from(generation).unwrap_or(u32::MAX),
    )
}

/// Why the page makes no bundle from the kit of an unfinished CA `kind` (as `etcd-pki`'s
/// `--previous-rotation-done` check says it): the new bundle would not carry the kit's
/// `rotate/` scripts, so a member half-way through them could not finish.
pub fn unfinished_kit(kind: &str) -> String {
    let last = if kind == "rotation" {
        "rotate/3-drop-old.sh --clients-reissued"
    } else {
        "rotate/renew-ca.sh"
    };
    format!(
        "this bundle is the kit of a CA {kind}: a bundle made from it would not carry its \
         rotate/ scripts, so a member half-way through the {kind} could not finish it. Finish \
         the {kind} first ({last} on every member, ROTATE.md of the kit), then tick \
         \"The kit's steps are done on every member\""
    )
}

/// What a day-two change did, in pki-core's words: the page shows the text as it comes
/// (issue #21: one change summary, written by pki-core, shown as-is by the CLI and the page).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChangeDone {
    /// `ChangeSummary::for_page` for a change of members or certificates (what changed, the
    /// runbooks in order, the serials to revoke under Revoke once they are done), or the
    /// revocation's or the CA renewal's or rotation's own summary.
    pub summary: String,
}

/// The doctor's answer as the page shows it: pki-core's own text rendering (the page adds
/// nothing to it), and the classes found, for the page's summary line and its tests.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct DoctorAnswer {
    /// `Diagnosis::to_text`, as the command line prints it.
    pub text: String,
    /// The failure classes found, errors first (`server-san-missing`, ...).
    pub classes: Vec<String>,
    /// How many findings are errors.
    pub errors: usize,
    /// How long the doctor took in the worker, in milliseconds.
    pub worker_ms: f64,
}

/// An opened bundle as the page needs it, made by the worker from pki-core's reading.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpenedFacts {
    /// The bundle's spec, as JSON (the form is restored from it).
    pub spec_json: String,
    /// The CA certificate's path in the zip.
    pub ca_path: String,
    /// The CA and every leaf, in the bundle's order.
    pub certs: Vec<CertLine>,
    /// The CRL's next update, if the bundle carries a CRL.
    pub crl: Option<CrlLine>,
    /// A certificate within this many days of its end is due for renewal (check-expiry.sh's
    /// default).
    pub renew_within_days: i64,
    /// Today, `YYYY-MM-DD`.
    pub today: String,
    /// pki-core's day-two lints of the bundle (`etcd-pki validate --from`).
    pub lints: Vec<Lint>,
    /// Members removed from the cluster whose certificates the bundle recorded (`spec.json`'s
    /// `removed_members`): revocable by name, as `etcd-pki revoke --member NAME`.
    #[serde(default)]
    pub removed_members: Vec<RemovedMember>,
    /// Its generation (`spec.json`'s lineage; 1 for a bundle made before lineage).
    #[serde(default)]
    pub generation: u64,
    /// The id of its line's first bundle (one per cluster history; empty before lineage).
    #[serde(default)]
    pub line: String,
    /// Its own id.
    #[serde(default)]
    pub bundle_id: String,
    /// The CA change it is the kit of while its steps may still run (`"rotation"`, `"same-key
    /// renewal"`; pki-core's `rotate::pending_change`), if any.
    #[serde(default)]
    pub pending_rotation: Option<String>,
}

/// Another CA's bundle, checked against the opened one.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OtherCaFacts {
    /// Its CA's subject.
    pub ca_subject: String,
    /// Its member and client certificates.
    pub leaves: usize,
    /// pki-core's lints of the serials the two share (none: no serial shared).
    pub lints: Vec<Lint>,
}

/// A member removed from an opened bundle's cluster.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RemovedMember {
    /// Its name.
    pub name: String,
    /// Its certificates' serials, lowercase hex.
    pub serials: Vec<String>,
    /// Whether the bundle's CRL lists every one of them.
    pub revoked: bool,
}

/// One certificate of an opened bundle.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CertLine {
    /// `ca`, `members/etcd1/server`, `clients/etcdctl`.
    pub id: String,
    /// The member or client it belongs to (empty for the CA).
    pub owner: String,
    /// `ca`, `root-ca`, `server`, `peer`, `client`.
    pub role: String,
    /// Serial, lowercase hex.
    pub serial: String,
    /// notAfter, `YYYY-MM-DD`.
    pub expires: String,
    /// Whole days left (negative once expired).
    pub days_left: i64,
    /// Whether the bundle's CRL lists its serial.
    pub revoked: bool,
    /// What applies now, for people: "none", "renew", "renew now: expired", ….
    pub action: String,
}

/// An opened bundle's CRL.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CrlLine {
    /// nextUpdate, `YYYY-MM-DD`.
    pub next_update: String,
    /// Whole days until it.
    pub days_left: i64,
    /// Serials it lists.
    pub revoked: usize,
    /// What applies now.
    pub action: String,
}

/// One lint of an opened bundle.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lint {
    /// `ca`, `crl.next_update`, a certificate's id.
    pub path: String,
    /// An error (else a warning).
    pub error: bool,
    /// What is wrong and what to run.
    pub message: String,
}

/// An existing CA as people need to see it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaFacts {
    /// e.g. `C=US, O=Example, CN=etcd-ca`.
    pub subject: String,
    /// Its key's algorithm.
    pub algorithm: KeyAlgorithm,
    /// notBefore, RFC 3339.
    pub not_before: String,
    /// notAfter, RFC 3339.
    pub not_after: String,
    /// Whole days until it expires.
    pub days_left: i64,
    /// What is unusual but accepted, one sentence each.
    pub warnings: Vec<String>,
}

/// Which input an existing CA's error is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CaField {
    /// The CA certificate file.
    Cert,
    /// The CA key file.
    Key,
    /// The passphrase.
    Passphrase,
}

/// One key a change needs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyToMake {
    /// Its id in the plan (`members/etcd4/server`).
    pub id: String,
    /// For people.
    pub label: String,
    /// Its algorithm.
    pub algorithm: KeyAlgorithm,
}

/// The fixed work a worker times when it starts: making this many P-256 keys. Bignum
/// arithmetic like RSA's prime search, short enough (tens of milliseconds) not to delay the
/// first generation.
pub const CALIBRATION_KEYS: usize = 16;

/// The name the page gives its sealing worker (`new Worker(url, {name})`): that worker skips
/// the warm-up and the calibration, and only derives passphrase keys.
pub const SEALER_NAME: &str = "etcd-pki-sealer";

/// Moves every file's text out of `listing` into one buffer, with each text's length. The
/// page's thread parses the message's JSON in one piece; with the texts in it, a 1,100-client
/// bundle's listing was ~10 MB of JSON strings full of escaped newlines (110 ms of parsing in
/// Chromium), while copying the same bytes out of a buffer takes a few milliseconds.
pub fn split_texts(listing: &mut Listing) -> (Vec<u8>, Vec<u32>) {
    let total = listing.files.iter().map(|f| f.text.len()).sum();
    let mut texts = Vec::with_capacity(total);
    let lengths = listing
        .files
        .iter_mut()
        .map(|f| {
            let text = std::mem::take(&mut f.text);
            texts.extend_from_slice(text.as_bytes());
            text.len() as u32
        })
        .collect();
    (texts, lengths)
}

/// Puts the texts [`split_texts`] took out back into `listing`.
pub fn join_texts(listing: &mut Listing, texts: &[u8], lengths: &[u32]) -> Result<(), String> {
    let wrong = || "the worker's file texts do not match its listing".to_string();
    if lengths.len() != listing.files.len() {
        return Err(wrong());
    }
    let mut at = 0usize;
    for (f, &len) in listing.files.iter_mut().zip(lengths) {
        let end = at.checked_add(len as usize).ok_or_else(wrong)?;
        let bytes = texts.get(at..end).ok_or_else(wrong)?;
        f.text = String::from_utf8(bytes.to_vec()).map_err(|_| wrong())?;
        at = end;
    }
    if at == texts.len() {
        Ok(())
    } else {
        Err(wrong())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn downloads_are_named_as_the_command_line_names_its_out() {
        let spec = pki_core::ClusterSpec::template();
        let bundle = pki_core::generate(&spec).unwrap();
        assert_eq!(download_name(&bundle, "generate"), "etcd-generate-g1.zip");
        let add = ChangeRequest::AddMembers {
            nodes: vec![spec.nodes[0].clone()],
        };
        assert_eq!(add.operation(), "add-etcd1");
        let renew = |keep_keys| ChangeRequest::Renew {
            only: vec![],
            keep_keys,
        };
        assert_eq!(renew(false).operation(), "renew");
        assert_eq!(renew(true).operation(), "renew-same-keys");
        assert_eq!(ChangeRequest::RenewCaSameKey.operation(), "renew-ca");
        assert_eq!(ChangeRequest::RotateCa.operation(), "rotate-ca");
        assert_eq!(ChangeRequest::RotateIssuer.operation(), "rotate-issuer");
    }

    #[test]
    fn messages_round_trip_with_a_kind_tag() {
        let m = ToWorker::MakeKeys {
            indices: vec![3, 4],
            algorithm: KeyAlgorithm::Rsa4096,
        };
        let json = serde_json::to_string(&m).unwrap();
        assert_eq!(
            json,
            r#"{"kind":"make_keys","indices":[3,4],"algorithm":"rsa-4096"}"#
        );
        assert_eq!(serde_json::from_str::<ToWorker>(&json).unwrap(), m);
        let r = FromWorker::Failed { error: "no".into() };
        let json = serde_json::to_string(&r).unwrap();
        assert_eq!(serde_json::from_str::<FromWorker>(&json).unwrap(), r);
    }

    #[test]
    fn texts_leave_the_listing_and_come_back_whole() {
        let spec: pki_core::ClusterSpec = serde_json::from_str(
            r#"{"cluster_name": "t", "nodes": [{"name": "etcd1", "ips": ["10.0.0.1"]}]}"#,
        )
        .unwrap();
        let listing = pki_core::generate(&spec).unwrap().listing();
        let mut moved = listing.clone();
        let (texts, lengths) = split_texts(&mut moved);
        assert!(moved.files.iter().all(|f| f.text.is_empty()));
        assert!(texts.len() > 1000, "{}", texts.len());
        let mut back = moved.clone();
        join_texts(&mut back, &texts, &lengths).unwrap();
        assert_eq!(back, listing);
        // A buffer that does not match the lengths is refused, never cut mid-way.
        assert!(join_texts(&mut moved.clone(), &texts[1..], &lengths).is_err());
        assert!(join_texts(&mut moved.clone(), &texts, &lengths[1..]).is_err());
    }

    #[test]
    fn an_unknown_message_is_an_error_not_a_default() {
        assert!(serde_json::from_str::<ToWorker>(r#"{"kind":"eval","code":"1"}"#).is_err());
        assert!(serde_json::from_str::<FromWorker>(r#"{"ready":true}"#).is_err());
    }
}
