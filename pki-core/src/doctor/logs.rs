//! The lines etcd, Go's TLS stack and etcd's clients print when TLS fails, recognised in any
//! of the forms they come in (zap JSON, capnslog, journalctl, a pod log, etcdctl, curl, a Go
//! client's gRPC error), with the addresses and names they carry.
//!
//! Each pattern is a phrase Go or etcd writes (quoted in docs/DOCTOR.md with the live line it
//! came from); the line's form around it does not matter, so a JSON log line and the same
//! message in capnslog match alike.

/// What a line says went wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    /// `x509: certificate is valid for A, B, not C`.
    NameMismatch {
        valid_for: Vec<String>,
        wanted: String,
    },
    /// `x509: certificate is not valid for any names, but wanted to match X`, or Go's
    /// `relies on legacy Common Name field`.
    NoNames,
    /// `tls: "127.0.0.1" does not match any of DNSNames [...]` (etcd's check of a peer's or
    /// client's certificate against the address it connects from).
    SourceMismatch { from_host: String },
    /// `x509: certificate signed by unknown authority`.
    UnknownCa,
    /// `x509: certificate has expired or is not yet valid: current time A is after B`.
    Expired,
    /// ... `is before B`.
    NotYetValid,
    /// `x509: certificate specifies an incompatible key usage`.
    KeyUsage,
    /// `tls: client didn't provide a certificate` / `certificate required`.
    NoClientCert,
    /// A plain-HTTP request on a TLS port.
    HttpToTls,
    /// A TLS handshake sent to a plain-HTTP port.
    TlsToHttp,
    /// etcd's own warning that a client URL is plain HTTP although client-cert-auth is on.
    ListensHttp { url: String },
    /// `tls: private key does not match public key`.
    KeyMismatch,
    /// `tls: failed to find any PEM data in key input`, `failed to parse private key`.
    KeyUnreadable,
    /// `tls: failed to find any PEM data in certificate input`.
    CertUnreadable,
    /// `client certificate authentication failed`: the allowed CN or hostname check.
    CertAuthFailed,
    /// `open /x: no such file or directory` of a TLS file.
    MissingFile { path: String },
    /// `open /x: permission denied` of a TLS file.
    FileDenied { path: String },
    /// `certificate revoked` (etcd's CRL check).
    Revoked,
    /// `CommonName authentication failed` (`--peer-cert-allowed-cn`).
    AllowedCn,
    /// `hostname authentication failed` / allowed hostname (`--peer-cert-allowed-hostname`).
    AllowedHostname,
    /// `x509: cannot verify signature: insecure algorithm SHA1-RSA`.
    WeakSignature,
    /// `remote error: tls: bad certificate` (or `unknown certificate authority`, `certificate
    /// required`): the other side refused this side's certificate.
    RemoteRefused { what: String },
    /// `etcdserver: user name not found` / `user name is empty` (auth with a CN as user).
    UserNotFound,
    /// `etcdserver: permission denied`.
    PermissionDenied,
    /// `--initial-cluster has X but missing from --initial-advertise-peer-urls`.
    InitialClusterMismatch,
    /// 3.5+: cipher suites set while only TLS 1.3 is allowed.
    Tls13Ciphers,
    /// A CRL etcd cannot read.
    CrlUnreadable,
    /// `tls: no cipher suite supported by both client and server` / `handshake failure`.
    NoCommonCipher,
    /// HTTP/2's `INADEQUATE_SECURITY`, or etcd refusing to start with `http2: TLSConfig.
    /// CipherSuites is missing an HTTP/2-required AES_128_GCM_SHA256 cipher`.
    Http2Cipher,
}

/// Which side of the connection wrote the line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Side {
    /// The listener (etcd rejecting a connection it accepted).
    Listener,
    /// The dialler (a client, or a member dialling a peer).
    Dialler,
    /// A member failing at start.
    Start,
}

/// One recognised line.
#[derive(Clone, Debug)]
pub(crate) struct Hit {
    pub kind: Kind,
    pub side: Side,
    /// Peer traffic (port 2380, rafthttp, a peer id) rather than client traffic.
    pub peer: bool,
    /// The line as given (JSON escapes undone).
    pub line: String,
    /// The address the connection came from (listener lines).
    pub from: Option<String>,
    /// The address dialled (dialler lines).
    pub to: Option<String>,
}

/// The hit of one line, if it says something the doctor knows.
pub(crate) fn recognise(raw: &str) -> Option<Hit> {
    let line = raw.replace("\\\"", "\"").replace("\\n", " ");
    let l = line.as_str();
    let kind = kind_of(l)?;
    let listener = l.contains("rejected connection")
        || l.contains("TLS handshake error from")
        || l.contains("failed to verify client")
        || l.contains("client didn't provide")
        || l.contains("does not match any of DNSNames")
        || l.contains("CommonName authentication failed")
        || l.contains("first record does not look like a TLS handshake")
            && !l.contains("authentication handshake failed");
    let start = matches!(
        kind,
        Kind::KeyMismatch
            | Kind::KeyUnreadable
            | Kind::CertUnreadable
            | Kind::Http2Cipher
            | Kind::MissingFile { .. }
            | Kind::FileDenied { .. }
            | Kind::InitialClusterMismatch
            | Kind::Tls13Ciphers
            | Kind::CrlUnreadable
            | Kind::ListensHttp { .. }
    ) && !l.contains("authentication handshake failed");
    let side = if start {
        Side::Start
    } else if listener {
        Side::Listener
    } else {
        Side::Dialler
    };
    let peer = l.contains(":2380")
        || l.contains("rafthttp")
        || l.contains("remote-peer-id")
        || l.contains("peer-")
        || l.contains("\"peer\"");
    Some(Hit {
        from: from_addr(l),
        to: to_addr(l),
        kind,
        side,
        peer,
        line: raw.trim().to_string(),
    })
}

fn kind_of(l: &str) -> Option<Kind> {
    if let Some(k) = name_mismatch(l) {
        return Some(k);
    }
    if let Some(i) = l.find("\" does not match any of DNSNames") {
        let from_host = l[..i].rsplit('"').next().unwrap_or("").to_string();
        return Some(Kind::SourceMismatch { from_host });
    }
    let has = |p: &str| l.contains(p);
    let kind = if has("scheme is HTTP while") {
        let url = l
            .find("http://")
            .map(|i| {
                l[i..]
                    .split(['"', ' ', ','])
                    .next()
                    .unwrap_or("")
                    .to_string()
            })
            .unwrap_or_default();
        Kind::ListensHttp { url }
    } else if has("not valid for any names") || has("legacy Common Name field") {
        Kind::NoNames
    } else if has("insecure algorithm") {
        Kind::WeakSignature
    } else if has("signed by unknown authority") {
        Kind::UnknownCa
    } else if has("has expired or is not yet valid") {
        if has(" is before ") {
            Kind::NotYetValid
        } else {
            Kind::Expired
        }
    } else if has("incompatible key usage") {
        Kind::KeyUsage
    } else if has("client didn't provide a certificate") {
        Kind::NoClientCert
    } else if has("revoked") {
        Kind::Revoked
    } else if has("CommonName authentication failed") {
        Kind::AllowedCn
    } else if has("hostname authentication failed") || has("allowed-hostname") && has("fail") {
        Kind::AllowedHostname
    } else if has("private key does not match public key") {
        Kind::KeyMismatch
    } else if has("PEM data in certificate input") || has("failed to parse certificate") {
        Kind::CertUnreadable
    } else if has("client certificate authentication failed") {
        Kind::CertAuthFailed
    } else if has("found a certificate rather than a key")
        || has("failed to find any PEM data in key input")
        || has("failed to parse private key")
        || has("failed to find \"PRIVATE KEY\"")
    {
        Kind::KeyUnreadable
    } else if has("Client sent an HTTP request to an HTTPS server")
        || has("first record does not look like a TLS handshake")
            && !has("authentication handshake failed")
    {
        Kind::HttpToTls
    } else if has("server gave HTTP response to HTTPS client")
        || has("wrong version number")
        || has("packet length too long")
        || has("first record does not look like a TLS handshake")
    {
        Kind::TlsToHttp
    } else if has("user name not found")
        || has("user name is empty")
        || has("cannot find a user for permission check")
    {
        Kind::UserNotFound
    } else if has("etcdserver: permission denied") {
        Kind::PermissionDenied
    } else if has("--initial-cluster has") || has("initial-cluster has") {
        Kind::InitialClusterMismatch
    } else if has("TLS 1.3") && has("cipher")
        || has("TLSv1.3") && has("cipher suites")
        // etcd 3.5+: "cipher suites cannot be configured when only TLS1.3 is enabled"
        || has("TLS1.3") && has("cipher suites")
    {
        Kind::Tls13Ciphers
    } else if has("INADEQUATE_SECURITY") || has("prohibited cipher") || has("HTTP/2-required") {
        Kind::Http2Cipher
    } else if has("no cipher suite supported by both") {
        Kind::NoCommonCipher
    } else if has("crl") && (has("failed to parse") || has("malformed") || has("asn1")) {
        Kind::CrlUnreadable
    } else if let Some(p) = tls_file_error(l, "no such file or directory") {
        Kind::MissingFile { path: p }
    } else if let Some(p) = tls_file_error(l, "permission denied") {
        Kind::FileDenied { path: p }
    } else if let Some(i) = l.find("remote error: tls: ") {
        let what = l[i + "remote error: tls: ".len()..]
            .split(['"', ')', ',', '}'])
            .next()
            .unwrap_or("")
            .trim()
            .to_string();
        if what.contains("handshake failure") {
            Kind::NoCommonCipher
        } else {
            Kind::RemoteRefused { what }
        }
    } else {
        return None;
    };
    Some(kind)
}

/// `open /etc/etcd/pki/server.key: no such file or directory`, of a TLS file only.
fn tls_file_error(l: &str, err: &str) -> Option<String> {
    let end = l.find(&format!(": {err}"))?;
    let start = l[..end].rfind("open ")? + 5;
    let path = l[start..end].to_string();
    [".crt", ".key", ".pem", ".crl", "ca", "cert"]
        .iter()
        .any(|e| path.contains(e))
        .then_some(path)
}

/// `certificate is valid for A, B, not C` → the names and the one wanted.
fn name_mismatch(l: &str) -> Option<Kind> {
    let start = l.find("certificate is valid for ")? + "certificate is valid for ".len();
    let rest = &l[start..];
    let not = rest.find(", not ")?;
    let valid_for = rest[..not].split(", ").map(str::to_string).collect();
    let wanted: String = rest[not + 6..]
        .chars()
        .take_while(|c| !matches!(c, '"' | ' ' | ')' | ',' | '\\' | '}'))
        .collect();
    Some(Kind::NameMismatch { valid_for, wanted })
}

/// The address a listener line says the connection came from.
fn from_addr(l: &str) -> Option<String> {
    for key in [
        "\"remote-addr\":\"",
        "rejected connection from \"",
        "handshake error from ",
    ] {
        if let Some(i) = l.find(key) {
            let rest = &l[i + key.len()..];
            let a: String = rest
                .chars()
                .take_while(|c| !matches!(c, '"' | ' ' | ',' | ')'))
                .collect();
            return Some(a.trim_end_matches(':').to_string());
        }
    }
    None
}

/// The address a dialler line says was dialled.
pub(crate) fn to_addr(l: &str) -> Option<String> {
    for key in [
        "https://",
        "http://",
        "dial tcp ",
        "\"target\":\"",
        "\"address\":\"",
        "Addr: \"",
    ] {
        if let Some(i) = l.find(key) {
            let rest = &l[i + key.len()..];
            let rest = rest.rsplit_once('/').map_or(rest, |(_, r)| r);
            let rest = rest.split(['"', ' ', ',', '}', ')']).next().unwrap_or("");
            let rest = rest.trim_end_matches(':');
            if rest.contains(':')
                && rest
                    .chars()
                    .next()
                    .is_some_and(|c| c.is_ascii_alphanumeric() || c == '[')
            {
                return Some(rest.to_string());
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_go_and_etcd_phrases() {
        let h = recognise(r#"{"level":"warn","msg":"retrying of unary invoker failed","target":"endpoint://client-x/127.0.1.1:2379","error":"rpc error: code = DeadlineExceeded desc = latest balancer error: connection error: desc = \"transport: authentication handshake failed: x509: certificate is valid for 127.0.1.9, not 127.0.1.1\""}"#).unwrap();
        assert_eq!(
            h.kind,
            Kind::NameMismatch {
                valid_for: vec!["127.0.1.9".into()],
                wanted: "127.0.1.1".into()
            }
        );
        assert_eq!(h.side, Side::Dialler);
        assert_eq!(h.to.as_deref(), Some("127.0.1.1:2379"));
        let h = recognise(r#"{"level":"warn","msg":"rejected connection","remote-addr":"127.0.0.1:40122","server-name":"","error":"tls: \"127.0.0.1\" does not match any of DNSNames [\"etcd2\"]"}"#).unwrap();
        assert_eq!(
            h.kind,
            Kind::SourceMismatch {
                from_host: "127.0.0.1".into()
            }
        );
        assert_eq!(h.side, Side::Listener);
        assert_eq!(h.from.as_deref(), Some("127.0.0.1:40122"));
        assert!(recognise("all good, member is healthy").is_none());
    }
}
