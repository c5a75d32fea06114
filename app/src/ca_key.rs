//! The CA key's protection as the page asks for it: a passphrase typed twice, or an explicit
//! choice to download the key unencrypted. Plain logic, tested natively; the component in
//! `ui/ca_key.rs` only holds the text and shows these messages beside the fields.

use zeroize::Zeroizing;

/// What the CA key section's inputs hold. Never stored anywhere but these signals.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CaKeyInput {
    /// The passphrase as typed.
    pub passphrase: String,
    /// Typed again.
    pub confirm: String,
    /// The person ticked "Download the CA key unencrypted".
    pub unencrypted: bool,
}

/// What is wrong with the input, field by field (`None`: nothing to say there).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CaKeyProblems {
    /// Beside the passphrase field.
    pub passphrase: Option<String>,
    /// Beside the confirmation field.
    pub confirm: Option<String>,
}

impl CaKeyProblems {
    /// Nothing to say.
    pub fn is_empty(&self) -> bool {
        self.passphrase.is_none() && self.confirm.is_none()
    }
}

/// The shortest passphrase accepted (pki-core's rule, so the page and the CLI agree).
pub const MIN: usize = pki_core::keys::MIN_PASSPHRASE;

impl CaKeyInput {
    /// The problems to show beside the fields as the person types. An untouched empty
    /// passphrase is not shown as an error (the Generate button says what is missing).
    pub fn problems(&self) -> CaKeyProblems {
        if self.unencrypted {
            return CaKeyProblems::default();
        }
        let passphrase = pki_core::keys::passphrase_shortfall(&self.passphrase)
            .filter(|n| *n > 0)
            .map(|n| format!("The passphrase has {n} characters; use at least {MIN}."));
        let confirm = (!self.confirm.is_empty() && self.confirm != self.passphrase).then(|| {
            "The two passphrases differ; type the same passphrase in both fields.".to_string()
        });
        CaKeyProblems {
            passphrase,
            confirm,
        }
    }

    /// Why Generate cannot start yet, or `None` when it can.
    pub fn blocker(&self) -> Option<String> {
        if self.unencrypted {
            return None;
        }
        let p = self.problems();
        if let Some(e) = p.passphrase.or(p.confirm) {
            return Some(format!("CA key passphrase: {e}"));
        }
        if self.passphrase.is_empty() {
            return Some(format!(
                "Type a CA key passphrase of at least {MIN} characters (twice), or choose to download the CA key unencrypted."
            ));
        }
        if self.confirm.is_empty() {
            return Some("Type the CA key passphrase a second time to confirm it.".into());
        }
        None
    }

    /// What generation needs: `Ok(Some(passphrase))`, `Ok(None)` for an unencrypted key the
    /// person chose, or why it cannot start.
    pub fn protection(&self) -> Result<Option<Zeroizing<String>>, String> {
        match self.blocker() {
            Some(why) => Err(why),
            None if self.unencrypted => Ok(None),
            None => Ok(Some(Zeroizing::new(self.passphrase.clone()))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(p: &str, c: &str) -> CaKeyInput {
        CaKeyInput {
            passphrase: p.into(),
            confirm: c.into(),
            unencrypted: false,
        }
    }

    #[test]
    fn a_passphrase_is_required_unless_the_person_chooses_otherwise() {
        let empty = CaKeyInput::default();
        assert!(
            empty.problems().is_empty(),
            "nothing typed is not an error yet"
        );
        assert!(empty.blocker().unwrap().contains("at least 12 characters"));
        assert!(empty.protection().is_err());
        let chosen = CaKeyInput {
            unencrypted: true,
            ..CaKeyInput::default()
        };
        assert_eq!(chosen.protection(), Ok(None));
    }

    #[test]
    fn too_short_and_mismatch_are_named_beside_their_field() {
        let short = input("eleven char", "eleven char");
        assert_eq!(
            short.problems().passphrase.as_deref(),
            Some("The passphrase has 11 characters; use at least 12.")
        );
        assert!(short.protection().is_err());
        let differ = input("correct horse battery", "correct horse batterY");
        assert!(differ.problems().passphrase.is_none());
        assert!(differ.problems().confirm.unwrap().contains("differ"));
        let unconfirmed = input("correct horse battery", "");
        assert!(unconfirmed.problems().is_empty());
        assert!(unconfirmed.blocker().unwrap().contains("second time"));
        let good = input("correct horse battery", "correct horse battery");
        assert_eq!(
            good.protection().unwrap().as_deref().map(String::as_str),
            Some("correct horse battery")
        );
    }

    #[test]
    fn length_counts_characters_not_bytes() {
        // 12 characters, 24 bytes.
        let p = "ééééééééééé\u{e9}";
        assert_eq!(p.chars().count(), 12);
        assert!(input(p, p).protection().is_ok());
    }
}
