//! Debian's nginx with the published configuration (deploy/nginx/etcd-pki.conf): the hosting
//! tests read the headers a real server sends.

use std::io::Read;
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::TempDir;
use crate::site::{http_get, http_request, workspace_root};

/// Debian's nginx serving a copy of `dir` on 127.0.0.1 with the published configuration,
/// `deploy/nginx/etcd-pki.conf`, included in a `server {}` as README "Publish the page"
/// says. It runs in the foreground (`daemon off`) with its own prefix, pid file, logs and
/// temporary folders under /tmp, and is stopped when dropped.
pub struct Nginx {
    /// `http://127.0.0.1:PORT/`.
    pub url: String,
    /// The port it listens on.
    pub port: u16,
    child: Child,
    /// Its prefix: nginx.conf, error.log, access.log, temporary folders.
    pub prefix: TempDir,
}

impl Nginx {
    /// Starts nginx for `dir` with `deploy/nginx/etcd-pki.conf`.
    pub fn serve(dir: &Path) -> Nginx {
        let snippet = workspace_root().join("deploy/nginx/etcd-pki.conf");
        let mut last = String::new();
        // A free port is picked by binding to port 0; another process may take it before nginx
        // does, so try a few.
        for _ in 0..5 {
            let prefix = TempDir::new("nginx");
            let port = TcpListener::bind("127.0.0.1:0")
                .and_then(|l| l.local_addr())
                .expect("a free port")
                .port();
            let p = prefix.0.display().to_string();
            let conf = format!(
                "daemon off;\nworker_processes 1;\npid {p}/nginx.pid;\nerror_log {p}/error.log info;\n\
                 events {{ worker_connections 64; }}\n\
                 http {{\n  include /etc/nginx/mime.types;\n  default_type application/octet-stream;\n\
                 access_log {p}/access.log;\n  client_body_temp_path {p}/client_body;\n\
                 proxy_temp_path {p}/proxy;\n  fastcgi_temp_path {p}/fastcgi;\n  uwsgi_temp_path {p}/uwsgi;\n\
                 scgi_temp_path {p}/scgi;\n\
                 server {{\n    listen 127.0.0.1:{port};\n    server_name localhost;\n    root {root};\n\
                 include {snippet};\n  }}\n}}\n",
                root = dir.display(),
                snippet = snippet.display(),
            );
            std::fs::write(prefix.0.join("nginx.conf"), conf).expect("write nginx.conf");
            let mut child = Command::new("/usr/sbin/nginx")
                .arg("-p")
                .arg(&prefix.0)
                .arg("-c")
                .arg(prefix.0.join("nginx.conf"))
                .arg("-e")
                .arg(prefix.0.join("error.log"))
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .expect("start /usr/sbin/nginx (./scripts/setup.sh installs Debian's nginx)");
            let start = Instant::now();
            loop {
                if let Ok(Some(status)) = child.try_wait() {
                    let mut err = String::new();
                    if let Some(mut e) = child.stderr.take() {
                        let _ = e.read_to_string(&mut err);
                    }
                    err.push_str(
                        &std::fs::read_to_string(prefix.0.join("error.log")).unwrap_or_default(),
                    );
                    last = format!("nginx exited ({status}): {err}");
                    break;
                }
                if TcpStream::connect(("127.0.0.1", port)).is_ok() {
                    return Nginx {
                        url: format!("http://127.0.0.1:{port}/"),
                        port,
                        child,
                        prefix,
                    };
                }
                assert!(
                    start.elapsed() < Duration::from_secs(10),
                    "nginx did not listen within 10 s"
                );
                std::thread::sleep(Duration::from_millis(50));
            }
            if !last.contains("Address already in use") {
                break;
            }
        }
        panic!("{last}");
    }

    /// One GET: (status, headers with lower-case names, body).
    pub fn get(&self, path: &str) -> (u16, Vec<(String, String)>, Vec<u8>) {
        http_get(self.port, path)
    }

    /// One GET as a browser asks (`Accept-Encoding: gzip`): the response headers.
    pub fn get_gzip_headers(&self, path: &str) -> Vec<(String, String)> {
        http_request(self.port, path, "Accept-Encoding: gzip\r\n").1
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        // SIGTERM: the master stops its worker too (SIGKILL would leave the worker behind).
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(self.child.id().to_string())
            .status();
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(5) {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
