//! The `etcd-pki` commands a status names, filled in with the bundle's paths (each quoted only
//! when the shell needs it), and the name of the bundle a command writes.

/// The commands of one bundle, filled in with its paths.
pub(super) struct Commands {
    /// `--from`, `--ca-key`, `--out` as given (unquoted).
    pub(super) raw: (String, String, String),
    from: String,
    ca_key: String,
    out: String,
    pub(super) within: u32,
    /// `root+issuing`: the root key's path (shell word), beside the CA key; the CA that ends
    /// is then the issuing CA, replaced by `rotate-issuer` with no restart.
    pub(super) root_key: Option<String>,
}

impl Commands {
    pub(super) fn at(from: &str, ca_key: &str, within: u32) -> Commands {
        let out = next_bundle_path(from);
        Commands {
            raw: (from.to_string(), ca_key.to_string(), out.clone()),
            from: shell_word(from),
            ca_key: shell_word(ca_key),
            out: shell_word(&out),
            within,
            root_key: None,
        }
    }

    /// The same commands for a `root+issuing` bundle of `cluster`: the root key is
    /// `<cluster>-root-ca.key` beside the CA key.
    pub(super) fn layered(mut self, cluster: &str) -> Commands {
        let ca_key = std::path::Path::new(&self.raw.1);
        let root = ca_key.with_file_name(format!("{cluster}-root-ca.key"));
        self.root_key = Some(shell_word(&root.to_string_lossy()));
        self
    }

    /// The commands of the bundle this one's command writes.
    pub(super) fn then(&self) -> Commands {
        let mut next = Commands::at(&self.raw.2, &self.raw.1, self.within);
        next.root_key = self.root_key.clone();
        next
    }

    /// `renew --within D`, of one member or client (`--only NAME`) or of every due one.
    pub(super) fn renew(&self, only: Option<&str>) -> String {
        let only = only.map_or(String::new(), |n| format!(" --only {}", shell_word(n)));
        format!(
            "etcd-pki renew --from {} --ca-key {}{only} --within {} --out {}",
            self.from, self.ca_key, self.within, self.out
        )
    }

    pub(super) fn renew_ca(&self) -> String {
        if let Some(root_key) = &self.root_key {
            return format!(
                "etcd-pki rotate-issuer --from {} --root-key {root_key} --out {}",
                self.from, self.out
            );
        }
        format!(
            "etcd-pki rotate-ca --same-key --from {} --ca-key {} --out {}",
            self.from, self.ca_key, self.out
        )
    }

    pub(super) fn rotate_ca(&self) -> String {
        format!(
            "etcd-pki rotate-ca --from {} --ca-key {} --out {}",
            self.from, self.ca_key, self.out
        )
    }

    /// A new CRL of what is revoked already: `revoke` with nothing named.
    pub(super) fn new_crl(&self) -> String {
        format!(
            "etcd-pki revoke --from {} --ca-key {} --out {}",
            self.from, self.ca_key, self.out
        )
    }
}

/// The path of the bundle after `path`: its trailing number one up (`prod-6.zip` →
/// `prod-7.zip`), else `-2` added (`prod-etcd-pki.zip` → `prod-etcd-pki-2.zip`), in the same
/// folder.
pub fn next_bundle_path(path: &str) -> String {
    let (dir, file) = match path.rfind('/') {
        Some(i) => path.split_at(i + 1),
        None => ("", path),
    };
    let stem = file.strip_suffix(".zip").unwrap_or(file);
    let digits = stem.len() - stem.trim_end_matches(|c: char| c.is_ascii_digit()).len();
    let next = if digits > 0 && digits < 10 {
        let (head, n) = stem.split_at(stem.len() - digits);
        let n: u64 = n.parse().unwrap_or(0);
        format!("{head}{}", n + 1)
    } else {
        format!("{stem}-2")
    };
    format!("{dir}{next}.zip")
}

fn shell_word(s: &str) -> String {
    crate::render::quote::word(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_bundle_counts_up_or_adds_two() {
        assert_eq!(next_bundle_path("prod-6.zip"), "prod-7.zip");
        assert_eq!(next_bundle_path("b/prod-9.zip"), "b/prod-10.zip");
        assert_eq!(
            next_bundle_path("/x/prod-etcd-pki.zip"),
            "/x/prod-etcd-pki-2.zip"
        );
        assert_eq!(next_bundle_path("bundle"), "bundle-2.zip");
    }
}
