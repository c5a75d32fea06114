//! etcd's settings, from whatever form they were given in: an env file (`ETCD_CERT_FILE=...`),
//! a YAML config (`cert-file: ...`, nested under `client-transport-security:` /
//! `peer-transport-security:`), a command line or a static pod manifest (`--cert-file=...`).
//! Each comes out under its flag name (`cert-file`, `peer-trusted-ca-file`), so the checks
//! read one vocabulary.

/// One setting as given.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Setting {
    /// The flag name without dashes (`peer-cert-file`).
    pub key: String,
    pub value: String,
    /// Where: `input:line`.
    pub at: String,
}

/// The settings etcd has (the ones the doctor reads), by flag name.
const KNOWN: &[&str] = &[
    "name",
    "cert-file",
    "key-file",
    "trusted-ca-file",
    "client-cert-auth",
    "client-crl-file",
    "client-cert-allowed-hostname",
    "peer-cert-file",
    "peer-key-file",
    "peer-trusted-ca-file",
    "peer-client-cert-auth",
    "peer-crl-file",
    "peer-cert-allowed-cn",
    "peer-cert-allowed-hostname",
    "listen-client-urls",
    "advertise-client-urls",
    "listen-peer-urls",
    "initial-advertise-peer-urls",
    "initial-cluster",
    "cipher-suites",
    "tls-min-version",
    "tls-max-version",
    "auth-token",
    "endpoints",
    "cacert",
    "cert",
    "key",
];

/// YAML keys under `client-transport-security:` / `peer-transport-security:`, and the flag
/// each one is.
fn nested(section: &str, key: &str) -> Option<String> {
    let prefix = match section {
        "client-transport-security" => "",
        "peer-transport-security" => "peer-",
        _ => return None,
    };
    let flag = match key {
        "cert-file" | "key-file" | "trusted-ca-file" | "client-cert-auth" | "crl-file" => {
            if key == "crl-file" && prefix.is_empty() {
                "client-crl-file".to_string()
            } else {
                format!("{prefix}{key}")
            }
        }
        "allowed-cn" => format!("{prefix}cert-allowed-cn"),
        "allowed-hostname" => format!("{prefix}cert-allowed-hostname"),
        _ => return None,
    };
    Some(flag)
}

/// The settings in `line` (line `n` of input `name`), given the YAML section it is in.
pub(crate) fn settings_of(line: &str, name: &str, n: usize, section: &mut String) -> Vec<Setting> {
    let at = format!("{name}:{}", n + 1);
    let mut out = Vec::new();
    let t = line.trim();
    // etcd's zap log prints its settings at start (`"msg":"starting an etcd server"`).
    if t.starts_with('{') {
        if let Ok(serde_json::Value::Object(o)) = serde_json::from_str::<serde_json::Value>(t)
            && !o.contains_key("error")
        {
            for key in KNOWN {
                let value = match o.get(*key) {
                    Some(serde_json::Value::String(s)) => s.clone(),
                    Some(serde_json::Value::Array(a)) => a
                        .iter()
                        .filter_map(|v| v.as_str())
                        .collect::<Vec<_>>()
                        .join(","),
                    _ => continue,
                };
                out.push(Setting {
                    key: key.to_string(),
                    value,
                    at: at.clone(),
                });
            }
        }
        return out;
    }
    let t = t.strip_prefix("export ").unwrap_or(t);
    // ETCD_CERT_FILE=/etc/etcd/pki/server.crt (env file, systemd Environment=).
    let env = t.strip_prefix("Environment=").unwrap_or(t);
    let env = env.trim_matches('"');
    if let Some(rest) = env.strip_prefix("ETCD_")
        && let Some((k, v)) = rest.split_once('=')
        && k.bytes().all(|b| b.is_ascii_uppercase() || b == b'_')
    {
        let key = k.to_ascii_lowercase().replace('_', "-");
        let key = key
            .strip_prefix("experimental-")
            .unwrap_or(&key)
            .to_string();
        if KNOWN.contains(&key.as_str()) {
            out.push(Setting {
                key,
                value: unquote(v),
                at,
            });
        }
        return out;
    }
    // --cert-file=/x or --cert-file /x, any number on one line (command line, pod manifest).
    if t.contains("--") {
        let words: Vec<&str> = t.split_whitespace().collect();
        for (i, w) in words.iter().enumerate() {
            if !words[i].contains("--") {
                continue;
            }
            let w = w.trim_start_matches(['-', ' ', '"', '\'']);
            let (k, v) = match w.split_once('=') {
                Some((k, v)) => (k, Some(v.to_string())),
                None => (w, words.get(i + 1).map(|s| s.to_string())),
            };
            if KNOWN.contains(&k) {
                if let Some(v) = v.filter(|v| !v.starts_with("--")) {
                    out.push(Setting {
                        key: k.to_string(),
                        value: unquote(&v),
                        at: at.clone(),
                    });
                } else if k.ends_with("cert-auth") {
                    out.push(Setting {
                        key: k.to_string(),
                        value: "true".into(),
                        at: at.clone(),
                    });
                }
            }
        }
        if !out.is_empty() {
            return out;
        }
    }
    // YAML: `key: value`, or a section header `client-transport-security:`.
    if !t.starts_with('{')
        && let Some((k, v)) = t.split_once(':')
    {
        let k = k.trim().trim_start_matches("- ").trim_matches(['"', '\'']);
        let v = v.trim();
        let indented = line.starts_with(' ') || line.starts_with('\t');
        if v.is_empty() {
            *section = if indented {
                String::new()
            } else {
                k.to_string()
            };
            return out;
        }
        if !indented {
            section.clear();
        }
        let key = if indented {
            nested(section, k).or_else(|| KNOWN.contains(&k).then(|| k.to_string()))
        } else {
            KNOWN.contains(&k).then(|| k.to_string())
        };
        if let Some(key) = key {
            out.push(Setting {
                key,
                value: unquote(v),
                at,
            });
        }
    }
    out
}

fn unquote(v: &str) -> String {
    v.trim()
        .trim_matches(|c| c == '"' || c == '\'')
        .trim_end_matches([',', '\\'])
        .to_string()
}

/// The host of a URL (`https://10.0.0.2:2379` → `10.0.0.2`, IPv6 brackets removed).
pub(crate) fn url_host(url: &str) -> Option<(String, String)> {
    let (scheme, rest) = url.trim().split_once("://")?;
    let hostport = rest.split('/').next()?;
    let host = if let Some(h) = hostport.strip_prefix('[') {
        h.split(']').next()?.to_string()
    } else {
        hostport
            .rsplit_once(':')
            .map_or(hostport, |(h, _)| h)
            .to_string()
    };
    Some((scheme.to_ascii_lowercase(), host))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(line: &str) -> Vec<(String, String)> {
        let mut section = String::new();
        settings_of(line, "f", 0, &mut section)
            .into_iter()
            .map(|s| (s.key, s.value))
            .collect()
    }

    #[test]
    fn reads_every_dialect() {
        assert_eq!(
            keys("ETCD_PEER_CERT_FILE=\"/etc/etcd/pki/peer.crt\""),
            [("peer-cert-file".into(), "/etc/etcd/pki/peer.crt".into())]
        );
        assert_eq!(
            keys("    - --cert-file=/etc/kubernetes/pki/etcd/server.crt"),
            [(
                "cert-file".into(),
                "/etc/kubernetes/pki/etcd/server.crt".into()
            )]
        );
        assert_eq!(
            keys("etcd --name etcd1 --client-cert-auth --trusted-ca-file /x/ca.crt").len(),
            3
        );
        let mut section = String::new();
        let mut all = Vec::new();
        for l in [
            "peer-transport-security:",
            "  cert-file: /p.crt",
            "  allowed-cn: etcd1",
        ] {
            all.extend(settings_of(l, "y", 0, &mut section));
        }
        assert_eq!(all[0].key, "peer-cert-file");
        assert_eq!(all[1].key, "peer-cert-allowed-cn");
    }

    #[test]
    fn url_hosts() {
        assert_eq!(
            url_host("https://[2001:db8::1]:2380"),
            Some(("https".into(), "2001:db8::1".into()))
        );
        assert_eq!(
            url_host("http://10.0.0.2:2379"),
            Some(("http".into(), "10.0.0.2".into()))
        );
    }
}
