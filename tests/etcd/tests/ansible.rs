//! deploy/ansible/rollout.yml run by the real `ansible-playbook` (scripts/setup.sh puts
//! ansible-core in tools/ansible) against members that are machines of their own: a network
//! namespace each, with its own sshd (Debian's openssh-server) and its own /etc/default,
//! /etc/systemd/system and /var/backups (bind mounts private to that sshd and what it starts),
//! so install.sh writes each member's env file and drop-ins on "its" machine. etcd is started
//! there by a stand-in for systemctl (`svc.sh`, below) that reads the same env file and
//! drop-ins systemd would.
//!
//! ONE cluster, a writer putting a key every 50 ms through all of it: refused up front (an
//! inventory that does not match the bundle, an unreachable member: nothing changed), a new
//! 3-member cluster installed from a bundle, renewed unattended by the scheduled pattern
//! (deploy/renewal/etcd-pki-renew.sh calling the playbook), the pattern run a second time
//! (every bundle byte for byte, no rollout), a member that fails its gate (stopped: the run
//! stops there), grown to 4 (add-member), the renewal's old certificates revoked (the first
//! CRL: one restart per member, one at a time), the revoked bundle run again (changed=0), then
//! moved to a new CA by deploy/ansible/rotate.yml with a `rotate-ca` kit (refused first with
//! an inventory that lacks a member; then the three phases, the writer's and the admin's
//! client folders following the client steps; again: changed=0; a client certificate of the
//! new CA accepted and one of the old CA refused by every member), and every acknowledged
//! write read back.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use e2e_etcd::rotation::can_read;
use e2e_etcd::{
    ClientTls, Proc, Target, TempDir, TestNet, Writer, WriterOptions, code_and_output,
    etcd_pki_bin, etcdctl_as, must, run, verify_all_acked, workspace_root,
};
use pki_core::{ClusterSpec, OffsetDateTime, PrivateKey, status};

const SUBNET: u8 = 150;

fn ip(i: usize) -> String {
    format!("198.18.{SUBNET}.{i}")
}

/// The stand-in for systemctl on a member: `svc.sh is-running|start|restart DIR`. It runs
/// etcd as the etcd user with exactly the settings systemd would give it: the env file
/// install.sh wrote (/etc/default/etcd) and the `Environment=` lines of the drop-ins in
/// /etc/systemd/system/etcd.service.d/ (the CRL drop-in); its pid in DIR/etcd.pid.
const SVC: &str = r#"#!/usr/bin/env bash
set -euo pipefail
cmd=$1 d=$2 etcd=$3
pidf=$d/etcd.pid
running() { [ -f "$pidf" ] && kill -0 "$(cat "$pidf")" 2>/dev/null; }
stop() {
  running || return 0
  kill "$(cat "$pidf")"
  for _ in $(seq 100); do running || return 0; sleep 0.1; done
  kill -9 "$(cat "$pidf")"
}
start() {
  running && { echo "etcd already runs"; return 0; }
  local -a vars=()
  while IFS= read -r l; do vars+=("$l"); done < <(
    sed -n "s/^\([A-Z_0-9]*\)='\(.*\)'\$/\1=\2/p" /etc/default/etcd
    cat /etc/systemd/system/etcd.service.d/*.conf 2>/dev/null | sed -n 's/^Environment="\(.*\)"$/\1/p')
  setsid env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin "${vars[@]}" \
    setpriv --reuid=etcd --regid=etcd --init-groups "$etcd" >>"$d/etcd.log" 2>&1 </dev/null &
  echo $! >"$pidf"
  echo "started etcd (pid $!)"
}
case "$cmd" in
  is-running) running ;;
  start) start ;;
  restart) stop; start ;;
esac
"#;

/// The members' machines: namespaces with their sshd, and the etcd each started (stopped
/// when dropped, by the pid svc.sh wrote).
struct Machines {
    sshd: Vec<Proc>,
    dirs: Vec<PathBuf>,
    net: TestNet,
}

impl Machines {
    fn new(t: &Path, n: usize) -> Machines {
        must(
            Command::new("ssh-keygen")
                .args(["-q", "-t", "ed25519", "-N", "", "-f"])
                .arg(t.join("id")),
        );
        must(
            Command::new("ssh-keygen")
                .args(["-q", "-t", "ed25519", "-N", "", "-f"])
                .arg(t.join("hostkey")),
        );
        // sshd's privilege separation folder (Debian's unit makes it at start).
        std::fs::create_dir_all("/run/sshd").unwrap();
        let mut m = Machines {
            sshd: Vec::new(),
            dirs: Vec::new(),
            net: TestNet::new(SUBNET, 0),
        };
        for i in 1..=n {
            let ns = m.net.add_host(i as u8);
            let d = t.join(format!("hosts/etcd{i}"));
            for sub in ["default", "systemd", "backups", "svc"] {
                std::fs::create_dir_all(d.join(sub)).unwrap();
            }
            let cfg = d.join("sshd_config");
            std::fs::write(
                &cfg,
                format!(
                    "ListenAddress {}\nPort 22\nHostKey {}\nPidFile none\nAuthorizedKeysFile {}\n\
                     PermitRootLogin prohibit-password\nPasswordAuthentication no\n\
                     KbdInteractiveAuthentication no\nUsePAM no\nStrictModes no\n\
                     Subsystem sftp internal-sftp\n",
                    ip(i),
                    t.join("hostkey").display(),
                    t.join("id.pub").display()
                ),
            )
            .unwrap();
            let script = format!(
                "mount --bind '{d}/default' /etc/default && mount --bind '{d}/systemd' /etc/systemd/system \
                 && mount --bind '{d}/backups' /var/backups && exec /usr/sbin/sshd -D -e -f '{c}'",
                d = d.display(),
                c = cfg.display()
            );
            let mut cmd = Command::new("ip");
            cmd.args(["netns", "exec", &ns, "bash", "-c", &script]);
            m.sshd.push(Proc::spawn(
                &format!("sshd etcd{i}"),
                &mut cmd,
                &d.join("sshd.log"),
            ));
            m.dirs.push(d);
        }
        for (i, p) in m.sshd.iter().enumerate() {
            let up = e2e_etcd::wait_until(Duration::from_secs(10), || {
                run(Command::new("bash")
                    .arg("-c")
                    .arg(format!("exec 3<>/dev/tcp/{}/22", ip(i + 1))))
                .status
                .success()
            });
            assert!(up, "sshd of etcd{} did not start:\n{}", i + 1, p.log_text());
        }
        m
    }

    /// Stops member `i`'s etcd (as `systemctl stop etcd` would).
    fn stop_etcd(&self, i: usize) {
        stop_pid(&self.dirs[i - 1].join("svc/etcd.pid"));
    }
}

fn stop_pid(pidf: &Path) {
    if let Ok(pid) = std::fs::read_to_string(pidf) {
        let pid = pid.trim().to_string();
        let _ = run(Command::new("kill").arg(&pid));
        e2e_etcd::wait_until(Duration::from_secs(10), || {
            !run(Command::new("kill").args(["-0", &pid]))
                .status
                .success()
        });
        let _ = run(Command::new("kill").args(["-9", &pid]));
    }
}

impl Drop for Machines {
    fn drop(&mut self) {
        for d in &self.dirs {
            stop_pid(&d.join("svc/etcd.pid"));
        }
        for p in &mut self.sshd {
            p.stop();
        }
    }
}

/// The controller: ansible-playbook with an inventory of members `names` (name, address).
struct Controller {
    t: PathBuf,
    playbook: PathBuf,
    ansible: PathBuf,
    etcd: PathBuf,
}

/// What one run of the playbook did: exit code, output, and the recap per host (ok, changed,
/// unreachable, failed).
struct RunResult {
    code: i32,
    out: String,
    recap: BTreeMap<String, [u32; 4]>,
    secs: f64,
}

impl RunResult {
    fn changed(&self) -> u32 {
        self.recap.values().map(|r| r[1]).sum()
    }
}

impl Controller {
    fn inventory(&self, members: &[(&str, &str)]) -> PathBuf {
        let t = &self.t;
        let mut s = String::from("[etcd]\n");
        for (name, addr) in members {
            let d = t.join(format!("hosts/{name}"));
            s += &format!(
                "{name} ansible_host={addr} etcd_pki_stage={stage} \
                 etcd_pki_is_running=\"bash {svc} is-running {d}/svc {etcd}\" \
                 etcd_pki_start=\"bash {svc} start {d}/svc {etcd}\" \
                 etcd_pki_restart=\"bash {svc} restart {d}/svc {etcd}\"\n",
                stage = d.join("stage").display(),
                svc = t.join("svc.sh").display(),
                d = d.display(),
                etcd = self.etcd.display(),
            );
        }
        s += &format!(
            "\n[etcd:vars]\nansible_user=root\nansible_ssh_private_key_file={}\n\
             ansible_ssh_common_args='-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o ConnectTimeout=4'\n\
             ansible_python_interpreter=/usr/bin/python3\n",
            t.join("id").display()
        );
        let p = t.join(format!("inventory-{}", members.len()));
        std::fs::write(&p, s).unwrap();
        p
    }

    fn env(&self, cmd: &mut Command) {
        cmd.env("ANSIBLE_HOST_KEY_CHECKING", "False")
            .env("ANSIBLE_PIPELINING", "True")
            .env("ANSIBLE_NOCOLOR", "1")
            .env("ANSIBLE_RETRY_FILES_ENABLED", "False")
            .env("ANSIBLE_SSH_CONTROL_PATH_DIR", self.t.join("cp"))
            .env("ANSIBLE_LOCAL_TEMP", self.t.join("ansible-tmp"))
            .env("ANSIBLE_CONFIG", self.t.join("ansible.cfg"));
    }

    /// The command line the scheduled pattern's hook runs, for bundle "$1".
    fn hook(&self, inventory: &Path) -> PathBuf {
        let hook = self.t.join("after-renew.sh");
        let mut env = Command::new("true");
        self.env(&mut env);
        let exports: String = env
            .get_envs()
            .map(|(k, v)| {
                format!(
                    "export {}='{}'\n",
                    k.to_string_lossy(),
                    v.unwrap().to_string_lossy()
                )
            })
            .collect();
        std::fs::write(
            &hook,
            format!(
                "#!/usr/bin/env bash\nset -euo pipefail\n{exports}exec '{}' -i '{}' '{}' -e etcd_pki_bundle=\"$1\" -e etcd_pki_work='{}'\n",
                self.ansible.display(),
                inventory.display(),
                self.playbook.display(),
                self.t.join("unpacked").display()
            ),
        )
        .unwrap();
        must(Command::new("chmod").arg("0755").arg(&hook));
        hook
    }

    /// `inventory` with the client group rotate.yml needs: the clients' folders are on the
    /// controller (`ansible_connection=local`), where the writer and the admin run.
    fn with_clients(&self, inventory: &Path, clients: &[(&str, &Path)]) -> PathBuf {
        let mut s = std::fs::read_to_string(inventory).unwrap();
        s += "\n[etcd_clients]\n";
        for (name, dir) in clients {
            s += &format!(
                "{name} etcd_pki_client_dir={} etcd_pki_client_stage={}\n",
                dir.display(),
                self.t.join(format!("client-stage-{name}")).display()
            );
        }
        s += "\n[etcd_clients:vars]\nansible_connection=local\nansible_python_interpreter=/usr/bin/python3\n";
        let p = inventory.with_extension("clients");
        std::fs::write(&p, s).unwrap();
        p
    }

    fn rollout(&self, inventory: &Path, bundle: &Path) -> RunResult {
        self.play(&self.playbook, inventory, bundle)
    }

    /// rotate.yml (beside rollout.yml) with the kit `kit`.
    fn rotate(&self, inventory: &Path, kit: &Path) -> RunResult {
        self.play(&self.playbook.with_file_name("rotate.yml"), inventory, kit)
    }

    fn play(&self, playbook: &Path, inventory: &Path, bundle: &Path) -> RunResult {
        let began = Instant::now();
        let mut cmd = Command::new(&self.ansible);
        self.env(&mut cmd);
        cmd.arg("-i")
            .arg(inventory)
            .arg(playbook)
            .arg("-e")
            .arg(format!("etcd_pki_bundle={}", bundle.display()))
            .arg("-e")
            .arg(format!(
                "etcd_pki_work={}",
                self.t.join("unpacked").display()
            ));
        let (code, out) = code_and_output(&run(&mut cmd));
        let secs = began.elapsed().as_secs_f64();
        eprintln!(
            "{} of {} took {secs:.1} s",
            playbook.display(),
            bundle.display()
        );
        RunResult {
            code,
            recap: recap(&out),
            out,
            secs,
        }
    }
}

/// `etcd1 : ok=12 changed=3 unreachable=0 failed=0 ...` lines of PLAY RECAP.
fn recap(out: &str) -> BTreeMap<String, [u32; 4]> {
    let mut m = BTreeMap::new();
    let Some(at) = out.find("PLAY RECAP") else {
        return m;
    };
    for line in out[at..].lines().skip(1) {
        let Some((host, rest)) = line.split_once(" : ") else {
            continue;
        };
        let field = |f: &str| {
            rest.split_whitespace()
                .find_map(|kv| kv.strip_prefix(&format!("{f}=")))
                .and_then(|v| v.parse().ok())
                .unwrap_or(0)
        };
        m.insert(
            host.trim().to_string(),
            [
                field("ok"),
                field("changed"),
                field("unreachable"),
                field("failed"),
            ],
        );
    }
    m
}

fn spec(t: &Path) -> ClusterSpec {
    serde_json::from_value(serde_json::json!({
        "cluster_name": "fleet",
        "etcd_version": "3.5",
        // 45 days, made 14 days ago: 31 days left, so verify.sh's 30-day check passes and
        // `renew --within 35` finds every certificate due; renewed, they are not due again.
        "cert_validity_days": 45,
        "nodes": (1..=3).map(|i| serde_json::json!({"name": format!("etcd{i}"), "ips": [ip(i)]})).collect::<Vec<_>>(),
        "clients": [
            {"name": "etcdctl", "common_name": "root", "kind": "etcdctl"},
            {"name": "app", "common_name": "app", "kind": "etcdctl"}
        ],
        "cert_dir": format!("{}/hosts/{{name}}/pki", t.display()),
        "data_dir": format!("{}/hosts/{{name}}/data", t.display()),
    }))
    .unwrap()
}

/// Every file of `dir` with its bytes.
fn snapshot(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut v: Vec<(PathBuf, Vec<u8>)> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .map(|p| {
            let b = std::fs::read(&p).unwrap();
            (p, b)
        })
        .collect();
    v.sort();
    v
}

fn as_refs(v: &[(String, String)]) -> Vec<(&str, &str)> {
    v.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect()
}

fn unzip_to(zip: &Path, dir: &Path) {
    let _ = std::fs::remove_dir_all(dir);
    e2e_etcd::unzip(zip, dir);
}

/// The scenario's machines and files: the controller, the four member machines (each in its
/// own network namespace with its own sshd), the bundles folder the scheduled renewal reads,
/// and how long each step took.
struct Fleet {
    t: PathBuf,
    bundles: PathBuf,
    bin: PathBuf,
    ctl: Controller,
    machines: Machines,
    three: Vec<(String, String)>,
    four: Vec<(String, String)>,
    timings: Vec<(&'static str, f64)>,
}

impl Fleet {
    /// The tools checked, the first bundle made (14 days old, so that renewal finds it due)
    /// with its CA key beside it, four machines up, no etcd yet.
    fn new(t: &Path) -> Fleet {
        let ansible = workspace_root().join("tools/ansible/bin/ansible-playbook");
        assert!(
            ansible.exists(),
            "{} is missing: run ./scripts/setup.sh",
            ansible.display()
        );
        assert!(
            Path::new("/usr/sbin/sshd").exists(),
            "sshd is missing: run ./scripts/setup.sh"
        );
        let (etcd, _, _) = e2e_etcd::rotation::etcd();
        std::fs::write(t.join("svc.sh"), SVC).unwrap();
        // No ansible.cfg of the machine's or the working folder's: the settings are the test's.
        std::fs::write(t.join("ansible.cfg"), "[defaults]\n").unwrap();
        let bundles = t.join("bundles");
        std::fs::create_dir_all(&bundles).unwrap();
        let first = pki_core::generate_with_keys(
            &spec(t),
            OffsetDateTime::now_utc() - status::days(14),
            |r| PrivateKey::generate(r.algorithm),
        )
        .unwrap();
        std::fs::write(bundles.join("fleet-1.zip"), first.to_zip().unwrap()).unwrap();
        std::fs::write(bundles.join("fleet-ca.key"), first.ca_key.text()).unwrap();
        let three: Vec<(String, String)> = (1..=3).map(|i| (format!("etcd{i}"), ip(i))).collect();
        let mut four = three.clone();
        four.push(("etcd4".into(), ip(4)));
        Fleet {
            t: t.to_path_buf(),
            bin: etcd_pki_bin(),
            ctl: Controller {
                t: t.to_path_buf(),
                playbook: workspace_root().join("deploy/ansible/rollout.yml"),
                ansible,
                etcd,
            },
            machines: Machines::new(t, 4),
            bundles,
            three,
            four,
            timings: Vec::new(),
        }
    }

    fn bundle(&self, n: u32) -> PathBuf {
        self.bundles.join(format!("fleet-{n}.zip"))
    }

    fn inventory_of(&self, members: &[(String, String)]) -> PathBuf {
        self.ctl.inventory(&as_refs(members))
    }

    /// Each member's etcd pid, as its service script wrote it.
    fn pids(&self) -> Vec<String> {
        self.machines
            .dirs
            .iter()
            .map(|d| std::fs::read_to_string(d.join("svc/etcd.pid")).unwrap())
            .collect()
    }

    /// Refused up front: an inventory without etcd3; etcd2 unreachable. Nothing changed.
    fn refuse_bad_inventories(&mut self, began: Instant) {
        let b1 = self.bundle(1);
        let r = self.ctl.rollout(&self.inventory_of(&self.three[..2]), &b1);
        assert_ne!(r.code, 0, "{}", r.out);
        assert!(
            r.out.contains("Member etcd3 has no host") && r.out.contains("Nothing was changed"),
            "{}",
            r.out
        );
        let mut unreachable = self.three.clone();
        unreachable[1].1 = ip(99);
        let r = self.ctl.rollout(&self.inventory_of(&unreachable), &b1);
        assert_ne!(r.code, 0, "{}", r.out);
        assert!(
            r.out
                .contains(&format!("Member etcd2 ({}) cannot be reached", ip(99)))
                && r.out.contains("Nothing was changed on any member"),
            "{}",
            r.out
        );
        for d in &self.machines.dirs {
            assert!(
                !d.join("stage").exists() && !d.join("pki").exists(),
                "a refused run changed {}",
                d.display()
            );
        }
        self.timings
            .push(("refusals", began.elapsed().as_secs_f64()));
    }

    /// A new cluster from the first bundle; the writer's client folder copied out of it.
    fn install(&mut self) -> PathBuf {
        let r = self
            .ctl
            .rollout(&self.inventory_of(&self.three), &self.bundle(1));
        assert_eq!(r.code, 0, "{}", r.out);
        assert!(r.recap.len() == 4 && r.changed() > 0, "{}", r.out);
        self.timings.push(("install", r.secs));
        unzip_to(&self.bundle(1), &self.t.join("u1"));
        let app = self.t.join("app");
        must(
            Command::new("cp")
                .arg("-a")
                .arg(self.t.join("u1/clients/app"))
                .arg(&app),
        );
        app
    }

    /// The scheduled pattern: the timer's script renews what is due and hands the new bundle
    /// to the playbook; the writer's machine gets its renewed files; a second run in a row
    /// writes nothing and rolls nothing out. Returns the serials the renewal replaced.
    fn renew_unattended_twice(&mut self, app: &Path) -> Vec<String> {
        let hook = self.ctl.hook(&self.inventory_of(&self.three));
        let renew_run = || {
            code_and_output(&run(Command::new("bash")
                .arg(workspace_root().join("deploy/renewal/etcd-pki-renew.sh"))
                .arg(&self.bundles)
                .arg("35")
                .env("ETCD_PKI", &self.bin)
                .env("ETCD_PKI_AFTER_RENEW", &hook)))
        };
        let at = Instant::now();
        let (code, out) = renew_run();
        assert_eq!(code, 0, "{out}");
        let b2 = self.bundle(2);
        assert!(b2.exists(), "{out}");
        let renewed = recap(&out);
        for i in 1..=3 {
            assert!(
                renewed[&format!("etcd{i}")][1] > 0,
                "etcd{i} was not changed: {out}"
            );
        }
        self.timings
            .push(("renew (script + playbook)", at.elapsed().as_secs_f64()));
        let old_serials: Vec<String> = out
            .lines()
            .filter(|l| {
                l.trim_start().starts_with("members/") || l.trim_start().starts_with("clients/")
            })
            .filter_map(|l| l.split(" serial ").nth(1))
            .map(|s| s.trim().to_string())
            .collect();
        assert_eq!(old_serials.len(), 8, "{out}");
        let u2 = self.t.join("u2");
        unzip_to(&b2, &u2);
        for f in ["client.crt", "client.key"] {
            std::fs::copy(u2.join("clients/app").join(f), app.join(f)).unwrap();
        }
        let before = snapshot(&self.bundles);
        let (code, out) = renew_run();
        assert_eq!(code, 0, "{out}");
        assert!(!out.contains("PLAY RECAP"), "the playbook ran again: {out}");
        assert_eq!(
            snapshot(&self.bundles),
            before,
            "the second scheduled run changed a bundle: {out}"
        );
        old_serials
    }

    /// etcd4 added to the bundle while etcd1 is stopped: the run stops at etcd1, naming it, and
    /// the members after it keep the previous bundle's folder byte for byte; the operator
    /// starts etcd1 again on its machine.
    fn stop_at_a_failed_gate(&mut self) {
        self.machines.stop_etcd(1);
        let b3 = self.bundle(3);
        must(
            Command::new(&self.bin)
                .args(["add-member", "--from"])
                .arg(self.bundle(2))
                .arg("--ca-key")
                .arg(self.bundles.join("fleet-ca.key"))
                .args(["--name", "etcd4", "--ip", &ip(4), "--out"])
                .arg(&b3),
        );
        let r = self.ctl.rollout(&self.inventory_of(&self.four), &b3);
        assert_ne!(r.code, 0, "{}", r.out);
        assert!(
            r.out
                .contains("Member etcd1 failed its health gate before any change to it")
                && r.out.contains("start it"),
            "{}",
            r.out
        );
        let unpacked_2 = std::fs::read_dir(self.t.join("unpacked"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .find(|p| p.to_string_lossy().contains("/fleet-2-"))
            .unwrap();
        for i in 2..=3 {
            assert_eq!(
                std::fs::read(self.machines.dirs[i - 1].join("stage.tar")).unwrap(),
                std::fs::read(unpacked_2.join(format!("members/etcd{i}.tar"))).unwrap(),
                "etcd{i} was touched after the failed gate"
            );
        }
        assert!(
            !self.machines.dirs[3].join("stage.tar").exists(),
            "etcd4 was touched after the failed gate"
        );
        self.timings.push(("stopped at a failed gate", r.secs));
        must(
            Command::new("ssh")
                .arg("-i")
                .arg(self.t.join("id"))
                .args([
                    "-o",
                    "StrictHostKeyChecking=no",
                    "-o",
                    "UserKnownHostsFile=/dev/null",
                    "-o",
                    "LogLevel=ERROR",
                ])
                .arg(format!("root@{}", ip(1)))
                .arg(format!(
                    "bash '{}' start '{}' '{}'",
                    self.t.join("svc.sh").display(),
                    self.machines.dirs[0].join("svc").display(),
                    self.ctl.etcd.display()
                )),
        );
    }

    /// Grown to 4: the same bundle, run again once etcd1 is back.
    fn grow_to_four(&mut self) {
        let r = self
            .ctl
            .rollout(&self.inventory_of(&self.four), &self.bundle(3));
        assert_eq!(r.code, 0, "{}", r.out);
        self.timings.push(("add-member", r.secs));
        let u3 = self.t.join("u3");
        unzip_to(&self.bundle(3), &u3);
        let admin = u3.join("clients/etcdctl");
        let (ok, list) = etcdctl_as(&admin, &format!("https://{}:2379", ip(4)), "member list");
        assert!(ok && list.matches(", started, ").count() == 4, "{list}");
    }

    /// The renewal's old certificates revoked: the cluster's first CRL, one restart per
    /// member, one member at a time; the old admin certificate refused by every member; the
    /// same bundle again changes nothing.
    fn revoke_the_replaced_certificates(&mut self, old_serials: &[String]) {
        let b4 = self.bundle(4);
        let mut revoke = Command::new(&self.bin);
        revoke
            .args(["revoke", "--from"])
            .arg(self.bundle(3))
            .arg("--ca-key")
            .arg(self.bundles.join("fleet-ca.key"));
        for s in old_serials {
            revoke.args(["--unlisted-serial", s]);
        }
        must(revoke.arg("--out").arg(&b4));
        let old_admin = self.t.join("u1/clients/etcdctl");
        let (ok, out) = etcdctl_as(
            &old_admin,
            &format!("https://{}:2379", ip(1)),
            "get /w/000001",
        );
        assert!(ok, "the old admin certificate works before the CRL: {out}");
        let inv4 = self.inventory_of(&self.four);
        let pids_before = self.pids();
        let r = self.ctl.rollout(&inv4, &b4);
        assert_eq!(r.code, 0, "{}", r.out);
        for (i, (before, after)) in pids_before.iter().zip(self.pids()).enumerate() {
            assert_ne!(
                *before,
                after,
                "etcd{} was not restarted to read its first CRL",
                i + 1
            );
        }
        self.timings.push(("revoke (first CRL)", r.secs));
        for i in 1..=4 {
            let (ok, out) = etcdctl_as(
                &old_admin,
                &format!("https://{}:2379", ip(i)),
                "get /w/000001",
            );
            assert!(!ok, "etcd{i} still accepts a revoked certificate: {out}");
        }
        let r = self.ctl.rollout(&inv4, &b4);
        assert_eq!((r.code, r.changed()), (0, 0), "{}", r.out);
        self.timings
            .push(("revoked bundle again (changed=0)", r.secs));
    }

    /// The CA rotation kit of the revoked bundle (its CRL re-signed by the new CA), by
    /// rotate.yml: refused with an inventory that lacks a member; then end to end, the
    /// writer's client and the admin's following the kit's client steps; then again:
    /// changed=0. Afterwards a client certificate of the new CA is accepted and one of the
    /// old CA refused (by the server: the client trusts the new CA).
    fn rotate_ca(&mut self, app: &Path) {
        let at = Instant::now();
        let kit = self.bundle(5);
        must(
            Command::new(&self.bin)
                .args(["rotate-ca", "--from"])
                .arg(self.bundle(4))
                .arg("--ca-key")
                .arg(self.bundles.join("fleet-ca.key"))
                .arg("--no-new-ca-passphrase")
                .arg("--out")
                .arg(&kit),
        );
        let (u4, u5) = (self.t.join("u4"), self.t.join("u5"));
        unzip_to(&self.bundle(4), &u4);
        unzip_to(&kit, &u5);
        let admin_dir = self.t.join("admin");
        must(
            Command::new("cp")
                .arg("-a")
                .arg(u4.join("clients/etcdctl"))
                .arg(&admin_dir),
        );
        let clients: [(&str, &Path); 2] = [("app", app), ("etcdctl", &admin_dir)];
        let inv3 = self
            .ctl
            .with_clients(&self.inventory_of(&self.three), &clients);
        let r = self.ctl.rotate(&inv3, &kit);
        assert_ne!(r.code, 0, "{}", r.out);
        assert!(
            r.out.contains("Member etcd4 has no host") && r.out.contains("Nothing was changed"),
            "{}",
            r.out
        );
        let inv4c = self
            .ctl
            .with_clients(&self.inventory_of(&self.four), &clients);
        let pids_before = self.pids();
        let r = self.ctl.rotate(&inv4c, &kit);
        assert_eq!(r.code, 0, "{}", r.out);
        self.timings.push(("rotate-ca kit (3 phases)", r.secs));
        let new_ca = u5.join("ca.crt");
        for (i, (before, after)) in pids_before.iter().zip(self.pids()).enumerate() {
            assert_ne!(*before, after, "etcd{} was not restarted", i + 1);
            assert_eq!(
                std::fs::read(self.machines.dirs[i].join("pki/ca.crt")).unwrap(),
                std::fs::read(&new_ca).unwrap(),
                "etcd{}'s ca.crt is not the new CA alone",
                i + 1
            );
        }
        let r = self.ctl.rotate(&inv4c, &kit);
        assert_eq!((r.code, r.changed()), (0, 0), "{}", r.out);
        self.timings
            .push(("rotate-ca kit again (changed=0)", r.secs));
        let old_client = self.t.join("old-client");
        must(
            Command::new("cp")
                .arg("-a")
                .arg(u4.join("clients/etcdctl"))
                .arg(&old_client),
        );
        for i in 1..=4 {
            let (ok, out) = can_read(&admin_dir, SUBNET, i, &new_ca);
            assert!(ok, "etcd{i} refuses the new CA's client certificate: {out}");
            let (ok, out) = can_read(&old_client, SUBNET, i, &new_ca);
            assert!(
                !ok,
                "etcd{i} still accepts a client certificate of the old CA: {out}"
            );
        }
        self.timings
            .push(("rotation, all told", at.elapsed().as_secs_f64()));
    }
}

#[test]
fn ansible_installs_renews_grows_and_revokes_a_live_cluster_unattended() {
    let began = Instant::now();
    let tmp = TempDir::new("ansible");
    let mut fleet = Fleet::new(tmp.path());
    fleet.refuse_bad_inventories(began);
    let app = fleet.install();
    let target = Target {
        endpoints: (1..=3).map(|i| format!("https://{}:2379", ip(i))).collect(),
        tls: Some(ClientTls::from_folder(&app)),
        netns: None,
    };
    let writer = Writer::start(target.clone(), WriterOptions::default());
    assert!(
        writer.wait_for_acks(20, Duration::from_secs(30)),
        "the writer cannot write"
    );
    let old_serials = fleet.renew_unattended_twice(&app);
    fleet.stop_at_a_failed_gate();
    fleet.grow_to_four();
    fleet.revoke_the_replaced_certificates(&old_serials);
    fleet.rotate_ca(&app);

    let report = writer.stop();
    let lost = verify_all_acked(&report.acked(), &target);
    assert!(
        lost.is_empty(),
        "{} acknowledged writes lost: {lost:?}\n{}",
        lost.len(),
        report.summary()
    );
    assert!(report.acked_count() > 100, "{}", report.summary());
    eprintln!("ansible live test: {}", report.summary());
    for (what, s) in &fleet.timings {
        eprintln!("  {what}: {s:.1} s");
    }
    eprintln!("  total: {:.1} s", began.elapsed().as_secs_f64());
}
