//! What a bundle file is called when nobody says: the cluster, the operation and the
//! generation, e.g. `prod-add-etcd4-g3.zip`, so that a Downloads folder shows which bundle is
//! which and which came last (not `prod-etcd-pki (2).zip`). The command line's default `--out`
//! and the page's downloads both take their names from here.

use crate::package::OpenedBundle;

/// `<cluster>-<operation>-g<generation>.zip`; any character of `operation` that does not
/// belong in a file name becomes `-`.
pub fn default_bundle_name(cluster: &str, operation: &str, generation: u32) -> String {
    let clean = |s: &str| -> String {
        s.chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                    c
                } else {
                    '-'
                }
            })
            .collect()
    };
    format!("{}-{}-g{generation}.zip", clean(cluster), clean(operation))
}

impl crate::package::Bundle {
    /// The name to save it under when nobody says: `<cluster>-<operation>-g<generation>.zip`
    /// ([`default_bundle_name`]), the generation read from its own state.
    pub fn zip_name(&self, operation: &str) -> String {
        let generation = self.state().map_or(1, |s| s.generation());
        default_bundle_name(
            &self.cluster_name,
            operation,
            u32::try_from(generation).unwrap_or(u32::MAX),
        )
    }
}

/// The generation of an opened bundle, as its `spec.json` records it (1 for a bundle made
/// before bundles recorded their lineage).
pub fn generation_of(opened: &OpenedBundle) -> u32 {
    u32::try_from(opened.state.generation()).unwrap_or(u32::MAX)
}

/// The generation of the bundle an operation makes: one after the bundle it starts from, or
/// 1 for a first bundle.
pub fn next_generation(from: Option<&OpenedBundle>) -> u32 {
    from.map_or(1, |o| generation_of(o).saturating_add(1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_say_cluster_operation_and_generation() {
        assert_eq!(
            default_bundle_name("prod", "add-etcd4", 3),
            "prod-add-etcd4-g3.zip"
        );
        assert_eq!(
            default_bundle_name("prod", "renew all/now", 2),
            "prod-renew-all-now-g2.zip"
        );
    }
}
