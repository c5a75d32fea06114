//! The allowlists behind [`crate::validate()`]: what a spec string may contain before it
//! reaches a shell script, an env file, a systemd unit, YAML or a client snippet. Specs travel
//! (a colleague's JSON, a wiki template), and the bundle's scripts run as root on every member,
//! so each rule says what *is* allowed rather than listing what is not. The renderers quote
//! every value anyway ([`crate::render::quote`]); these rules are the first of two walls.

/// The largest spec accepted. A 100-member spec is about 20 KB; anything near this limit is
/// the wrong file.
pub const MAX_SPEC_BYTES: usize = 1024 * 1024;
/// The longest string any spec field may hold (the longest DNS name).
pub const MAX_STRING: usize = 253;
/// The longest `initial_cluster_token`.
pub const MAX_TOKEN: usize = 64;
/// The most IP addresses per member.
pub const MAX_IPS: usize = 16;
/// The most DNS names per member.
pub const MAX_DNS_NAMES: usize = 64;
/// The most roles per client.
pub const MAX_ROLES: usize = 64;
/// The most grants per client.
pub const MAX_GRANTS: usize = 64;

/// Folders that must never be `cert_dir` or `data_dir` themselves: install.sh and the
/// migrate steps chmod and chown those folders to etcd.
pub const SYSTEM_FOLDERS: &[&str] = &[
    "/",
    "/bin",
    "/boot",
    "/dev",
    "/etc",
    "/etc/default",
    "/etc/etcd",
    "/etc/kubernetes",
    "/etc/kubernetes/manifests",
    "/etc/kubernetes/pki",
    "/etc/pki",
    "/etc/ssl",
    "/etc/ssl/certs",
    "/etc/ssl/private",
    "/etc/systemd",
    "/etc/systemd/system",
    "/home",
    "/lib",
    "/lib32",
    "/lib64",
    "/libx32",
    "/media",
    "/mnt",
    "/opt",
    "/proc",
    "/root",
    "/run",
    "/sbin",
    "/srv",
    "/sys",
    "/tmp",
    "/usr",
    "/usr/bin",
    "/usr/lib",
    "/usr/lib64",
    "/usr/libexec",
    "/usr/local",
    "/usr/local/bin",
    "/usr/local/lib",
    "/usr/local/sbin",
    "/usr/sbin",
    "/usr/share",
    "/var",
    "/var/cache",
    "/var/lib",
    "/var/lib/kubelet",
    "/var/log",
    "/var/run",
    "/var/spool",
    "/var/tmp",
];

/// Folders whose whole tree the system runs, loads or trusts as root (cron, sudo, shell
/// profiles, init scripts, PAM, sshd, the package managers, udev, systemd's units): a cert_dir
/// or data_dir at or anywhere below one of them hands etcd, or whoever reads its files, a
/// place root acts on. None of them is in [`SYSTEM_FOLDERS`], whose advice is "a folder of
/// its own below it".
pub const SYSTEM_TREES: &[&str] = &[
    "/etc/apt",
    "/etc/cron.d",
    "/etc/cron.daily",
    "/etc/cron.hourly",
    "/etc/cron.monthly",
    "/etc/cron.weekly",
    "/etc/cron.yearly",
    "/etc/dbus-1",
    "/etc/dnf",
    "/etc/init.d",
    "/etc/ld.so.conf.d",
    "/etc/logrotate.d",
    "/etc/modprobe.d",
    "/etc/modules-load.d",
    "/etc/network",
    "/etc/NetworkManager",
    "/etc/pam.d",
    "/etc/polkit-1",
    "/etc/profile.d",
    "/etc/rc.d",
    "/etc/rc0.d",
    "/etc/rc1.d",
    "/etc/rc2.d",
    "/etc/rc3.d",
    "/etc/rc4.d",
    "/etc/rc5.d",
    "/etc/rc6.d",
    "/etc/rcS.d",
    "/etc/security",
    "/etc/ssh",
    "/etc/sudoers.d",
    "/etc/sysctl.d",
    "/etc/tmpfiles.d",
    "/etc/udev",
    "/etc/yum.repos.d",
    "/lib/modules",
    "/lib/systemd",
    "/root/.ssh",
    "/usr/lib/modules",
    "/usr/lib/systemd",
    "/var/lib/apt",
    "/var/lib/dpkg",
    "/var/lib/rpm",
    "/var/lib/systemd",
    "/var/spool/cron",
];

/// File and folder names the bundle writes itself (any folder level), compared without case:
/// a member or client named like one would be confused with it, or overwrite it.
pub const RESERVED_NAMES: &[&str] = &[
    "1-certs.sh",
    "2-listeners.sh",
    "3-peer-urls.sh",
    "4-client-https.sh",
    "5-client-cert-auth.sh",
    "6-remove-plain.sh",
    "ca",
    "ca.crt",
    "ca.key",
    "check-expiry.sh",
    "clients",
    "data",
    "debian",
    "demo",
    "etcd-cmdline.sh",
    "etcd.conf.yml",
    "etcd.env",
    "etcd.service.d",
    "install.sh",
    "kubernetes",
    "lib.sh",
    "manifest.json",
    "members",
    "migrate",
    "pki",
    "rbac.sh",
    "readme.md",
    "renew.env",
    "renew.sh",
    "rhel",
    "run",
    "runbook",
    "step2.env",
    "step4.env",
    "step5.env",
    "step6.env",
    "verify.sh",
];

/// Windows device names: a folder called `CON` or `aux.txt` cannot be unpacked on Windows.
pub fn is_windows_device(name: &str) -> bool {
    let stem = name.split('.').next().unwrap_or(name).to_ascii_uppercase();
    matches!(stem.as_str(), "CON" | "PRN" | "AUX" | "NUL")
        || ((stem.starts_with("COM") || stem.starts_with("LPT"))
            && stem.len() == 4
            && matches!(stem.as_bytes()[3], b'1'..=b'9'))
}

/// Whether `name` is one the bundle uses itself (case-insensitive).
pub fn is_reserved_name(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    RESERVED_NAMES.contains(&lower.as_str())
}

/// A name (cluster, member, client): `[A-Za-z0-9][A-Za-z0-9._-]*`.
pub fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-')
}

/// A path character: `[A-Za-z0-9._/-]` (`{name}` is checked separately).
pub fn is_path_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '/')
}

/// A role name character: `[A-Za-z0-9._:-]`.
pub fn is_role_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | ':')
}

/// A key prefix character: `[A-Za-z0-9._/:=@+,-]`, printable ASCII that no shell, YAML or
/// env file treats specially.
pub fn is_key_prefix_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '/' | ':' | '=' | '@' | '+' | ',')
}

/// Control characters (Cc), Unicode format characters (Cf: bidi overrides, zero-width
/// spaces, the BOM, soft hyphen, tags) and the line and paragraph separators: each can hide
/// or reorder what a person reads, or break a line where a parser does not expect one.
pub fn is_invisible(c: char) -> bool {
    if c.is_control() {
        return true;
    }
    matches!(c as u32,
        0x00AD
        | 0x0600..=0x0605
        | 0x061C
        | 0x06DD
        | 0x070F
        | 0x0890..=0x0891
        | 0x08E2
        | 0x180E
        | 0x200B..=0x200F
        | 0x2028..=0x202E
        | 0x2060..=0x2064
        | 0x2066..=0x206F
        | 0xFEFF
        | 0xFFF9..=0xFFFB
        | 0x110BD
        | 0x110CD
        | 0x13430..=0x1343F
        | 0x1BCA0..=0x1BCA3
        | 0x1D173..=0x1D17A
        | 0xE0001
        | 0xE0020..=0xE007F)
}

/// `path` with repeated and trailing slashes and `.` components removed, for comparing with
/// [`SYSTEM_FOLDERS`] (`/etc/` and `//etc/.` are `/etc`).
pub fn normalize(path: &str) -> String {
    let parts: Vec<&str> = path
        .split('/')
        .filter(|p| !p.is_empty() && *p != ".")
        .collect();
    let joined = parts.join("/");
    if path.starts_with('/') {
        format!("/{joined}")
    } else {
        joined
    }
}

/// Whether `path` (after [`normalize`]) is a system folder itself.
pub fn is_system_folder(path: &str) -> bool {
    SYSTEM_FOLDERS.contains(&normalize(path).as_str())
}

/// The [`SYSTEM_TREES`] folder `path` (after [`normalize`]) is or lies below, if any.
pub fn system_tree(path: &str) -> Option<&'static str> {
    let p = normalize(path);
    SYSTEM_TREES
        .iter()
        .find(|t| {
            p == **t
                || p.strip_prefix(**t)
                    .is_some_and(|rest| rest.starts_with('/'))
        })
        .copied()
}

/// Whether two folders (after [`normalize`]) are the same or one holds the other.
pub fn nested(a: &str, b: &str) -> bool {
    let (a, b) = (normalize(a), normalize(b));
    let below = |x: &str, y: &str| {
        y.is_empty() && !x.starts_with('/')
            || x.strip_prefix(y)
                .is_some_and(|rest| rest.starts_with('/') || y.ends_with('/'))
    };
    a == b || below(&a, &b) || below(&b, &a)
}

/// A string for a message: quoted, with every control or format character written as an
/// escape (`\n`, `\u{202e}`), so what the person sees is what the spec holds.
pub fn shown(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if is_invisible(c) => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Text for a terminal: every control or format character except the line break and the
/// tab written as a visible escape (`\u{1b}`), so that nothing a bundle holds (a cluster or
/// file name, a certificate subject) can move the cursor, recolour, retitle or hide text.
pub fn for_terminal(text: &str) -> std::borrow::Cow<'_, str> {
    if !text
        .chars()
        .any(|c| c != '\n' && c != '\t' && is_invisible(c))
    {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        if c != '\n' && c != '\t' && is_invisible(c) {
            out.push_str(&format!("\\u{{{:x}}}", c as u32));
        } else {
            out.push(c);
        }
    }
    std::borrow::Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn devices_with_and_without_extension() {
        for n in ["CON", "con", "Aux.txt", "nul.tar.gz", "COM1", "lpt9.x"] {
            assert!(is_windows_device(n), "{n}");
        }
        for n in ["COM0", "COM10", "console", "lpt", "etcd1", "con-1"] {
            assert!(!is_windows_device(n), "{n}");
        }
    }

    #[test]
    fn system_folders_in_any_spelling() {
        for p in [
            "/",
            "//",
            "/etc/",
            "/etc//",
            "/./etc/.",
            "/var/lib/",
            "/usr/local",
        ] {
            assert!(is_system_folder(p), "{p}");
        }
        for p in ["/etc/etcd/pki", "/var/lib/etcd", "/srv/etcd"] {
            assert!(!is_system_folder(p), "{p}");
        }
    }

    #[test]
    fn for_terminal_escapes_all_but_line_breaks_and_tabs() {
        assert_eq!(for_terminal("a\tb\nc"), "a\tb\nc");
        assert_eq!(
            for_terminal("x\u{1b}[2J\ry\u{202e}"),
            r"x\u{1b}[2J\u{d}y\u{202e}"
        );
    }

    #[test]
    fn shown_makes_invisible_characters_visible() {
        assert_eq!(shown("a\nb\u{202e}\""), r#""a\nb\u{202e}\"""#);
    }
}
