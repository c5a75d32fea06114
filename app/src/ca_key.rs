//! The CA key's protection as the page asks for it: a passphrase typed twice, or an explicit
//! choice to download the key unencrypted; and, for a root+issuing bundle, the root key's
//! passphrase typed twice (the root key is always encrypted: it is needed only to make an
//! issuing CA, and belongs offline). Plain logic, tested natively; the component in
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
    /// The root key's passphrase as typed (root+issuing).
    pub root_passphrase: String,
    /// Typed again.
    pub root_confirm: String,
}

/// What is wrong with the input, field by field (`None`: nothing to say there).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CaKeyProblems {
    /// Beside the passphrase field.
    pub passphrase: Option<String>,
    /// Beside the confirmation field.
    pub confirm: Option<String>,
    /// Beside the root passphrase field.
    pub root_passphrase: Option<String>,
    /// Beside the root confirmation field.
    pub root_confirm: Option<String>,
}

impl CaKeyProblems {
    /// Nothing to say.
    pub fn is_empty(&self) -> bool {
        self.passphrase.is_none()
            && self.confirm.is_none()
            && self.root_passphrase.is_none()
            && self.root_confirm.is_none()
    }
}

/// What to say beside a passphrase field and its confirmation.
fn pair(passphrase: &str, confirm: &str) -> (Option<String>, Option<String>) {
    let short = pki_core::keys::passphrase_shortfall(passphrase)
        .filter(|n| *n > 0)
        .map(|n| format!("The passphrase has {n} characters; use at least {MIN}."));
    let differ = (!confirm.is_empty() && confirm != passphrase).then(|| {
        "The two passphrases differ; type the same passphrase in both fields.".to_string()
    });
    (short, differ)
}

/// The shortest passphrase accepted (pki-core's rule, so the page and the CLI agree).
pub const MIN: usize = pki_core::keys::MIN_PASSPHRASE;

impl CaKeyInput {
    /// The problems to show beside the fields as the person types. An untouched empty
    /// passphrase is not shown as an error (the Generate button says what is missing).
    pub fn problems(&self) -> CaKeyProblems {
        let (root_passphrase, root_confirm) = pair(&self.root_passphrase, &self.root_confirm);
        let (passphrase, confirm) = if self.unencrypted {
            (None, None)
        } else {
            pair(&self.passphrase, &self.confirm)
        };
        CaKeyProblems {
            passphrase,
            confirm,
            root_passphrase,
            root_confirm,
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

    /// Why a root+issuing generation cannot start yet for want of the root key's passphrase,
    /// or `None` when it can.
    pub fn root_blocker(&self) -> Option<String> {
        let p = self.problems();
        if let Some(e) = p.root_passphrase.or(p.root_confirm) {
            return Some(format!("Root key passphrase: {e}"));
        }
        if self.root_passphrase.is_empty() {
            return Some(format!(
                "Type a root key passphrase of at least {MIN} characters (twice): the root key is always encrypted."
            ));
        }
        if self.root_confirm.is_empty() {
            return Some("Type the root key passphrase a second time to confirm it.".into());
        }
        None
    }

    /// The root key's passphrase for a root+issuing generation, or why it cannot start.
    pub fn root_protection(&self) -> Result<Zeroizing<String>, String> {
        match self.root_blocker() {
            Some(why) => Err(why),
            None => Ok(Zeroizing::new(self.root_passphrase.clone())),
        }
    }

    /// Wipes every passphrase out of the fields (the generation that used them is done).
    pub fn wipe(&mut self) {
        use zeroize::Zeroize;
        self.passphrase.zeroize();
        self.confirm.zeroize();
        self.root_passphrase.zeroize();
        self.root_confirm.zeroize();
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
            ..CaKeyInput::default()
        }
    }

    #[test]
    fn the_root_key_always_needs_its_own_passphrase_typed_twice() {
        // Even with the CA key unencrypted by choice.
        let mut i = CaKeyInput {
            unencrypted: true,
            ..CaKeyInput::default()
        };
        assert!(i.root_blocker().unwrap().contains("always encrypted"));
        i.root_passphrase = "short".into();
        assert_eq!(
            i.problems().root_passphrase.as_deref(),
            Some("The passphrase has 5 characters; use at least 12.")
        );
        i.root_passphrase = "root passphrase, offline".into();
        assert!(i.root_blocker().unwrap().contains("second time"));
        i.root_confirm = "root passphrase, offlinE".into();
        assert!(i.problems().root_confirm.unwrap().contains("differ"));
        assert!(i.root_protection().is_err());
        i.root_confirm = i.root_passphrase.clone();
        assert_eq!(
            i.root_protection().unwrap().as_str(),
            "root passphrase, offline"
        );
        // The CA fields are judged apart.
        assert_eq!(i.protection(), Ok(None));
        i.wipe();
        assert!(i.root_passphrase.is_empty() && i.root_confirm.is_empty());
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
