#!/usr/bin/python3
# -*- coding: utf-8 -*-
"""One member's step of an etcd-pki rollout, run on the member in one call (etcd-pki,
deploy/ansible/). Each step runs the bundle's own scripts from the member's folder; this
module only decides which, in which order, whether anything changed, and stops at a failed
health gate with a sentence naming the member and what to do.

One module call instead of a task per script: on a loaded controller every task costs a
round trip and a Python start on the member, and a rollout is one member at a time."""

import os
import re
import shutil
import subprocess
import time

from ansible.module_utils.basic import AnsibleModule

DOCUMENTATION = r"""
module: etcd_pki_member
short_description: Runs one member's step of an etcd-pki bundle rollout
description:
  - C(facts) says whether the member is installed and its etcd runs.
  - C(install) runs install.sh and starts etcd when it does not run (a new member).
  - C(gate) runs verify.sh --health until it passes or the tries run out.
  - C(rollout) gates, then runs renew.sh, install-crl.sh (with the CRL drop-in and the one
    restart the first CRL needs) and install.sh as the folder holds them, then gates again.
options:
  step: {type: str, required: true, choices: [facts, install, gate, rollout]}
  name: {type: str, required: true, description: the member's name}
  stage: {type: path, description: the member's folder of the bundle on the member}
  cert_dir: {type: path, required: true}
  is_running: {type: str, required: true}
  start: {type: str}
  restart: {type: str}
  tries: {type: int, default: 120, description: health gate tries after a change, 1 s apart}
  dropin_dir: {type: path, default: /etc/systemd/system/etcd.service.d}
"""


def sh(cmd, cwd=None):
    p = subprocess.run(["bash", "-c", cmd], cwd=cwd, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, text=True, check=False)
    return p.returncode, p.stdout


def main():
    m = AnsibleModule(argument_spec=dict(
        step=dict(type="str", required=True, choices=["facts", "install", "gate", "rollout"]),
        name=dict(type="str", required=True),
        stage=dict(type="path"),
        cert_dir=dict(type="path", required=True),
        is_running=dict(type="str", required=True),
        start=dict(type="str"),
        restart=dict(type="str"),
        tries=dict(type="int", default=120),
        dropin_dir=dict(type="path", default="/etc/systemd/system/etcd.service.d"),
    ))
    a = m.params
    name, stage = a["name"], a["stage"]
    log = []
    changed = False

    def running():
        return sh(a["is_running"])[0] == 0

    installed = os.path.exists(os.path.join(a["cert_dir"], "server.crt"))
    if a["step"] == "facts":
        m.exit_json(changed=False, installed=installed, running=running())

    def run(script, *args):
        code, out = sh("bash " + script + "".join(" " + x for x in args), cwd=stage)
        log.append("$ bash %s%s (exit %d)\n%s" % (script, "".join(" " + x for x in args), code, out))
        return code, out

    def fail(what, fix):
        m.fail_json(msg="Member %s %s. The run stopped here: the members after %s in the "
                        "inventory were not touched. %s Then run the playbook again: finished "
                        "steps are skipped." % (name, what, name, fix),
                    changed=changed, log=log)

    def gate(when, tries, fix):
        out = ""
        for i in range(max(tries, 1)):
            code, out = sh("bash verify.sh --health", cwd=stage)
            if code == 0:
                log.append("gate %s: passed" % when)
                return
            if i + 1 < tries:
                # 1 s: a member is usually back within a few seconds of its change, and
                # each second waited is a second of every member after it.
                time.sleep(1)
        log.append("$ bash verify.sh --health\n" + out)
        fails = "; ".join(l[4:].strip() for l in out.splitlines() if l.startswith("FAIL"))
        fail("failed its health gate %s: %s" % (when, fails or out.strip()[-300:]), fix)

    def install():
        nonlocal changed
        code, out = run("install.sh")
        if code != 0:
            fail("refused install.sh (exit %d): %s" % (code, out.strip()[-400:]),
                 "Its output says what to fix on it.")
        if re.search(r"^install: (wrote|moved|created) ", out, re.M):
            changed = True

    if a["step"] == "gate":
        gate("after the cluster's first start", a["tries"],
             "Look at its etcd log (journalctl -u etcd) for the reason: a member that cannot "
             "reach the others, or a certificate it refuses.")
        m.exit_json(changed=False, log=log)

    if a["step"] == "install":
        install()
        if not running():
            code, out = sh(a["start"])
            log.append("$ %s (exit %d)\n%s" % (a["start"], code, out))
            if code != 0:
                fail("did not start etcd (%s: exit %d): %s" % (a["start"], code, out.strip()[-300:]),
                     "Look at its etcd log (journalctl -u etcd).")
            changed = True
        m.exit_json(changed=changed, log=log)

    # rollout: healthy before, the folder's steps, healthy after.
    gate("before any change to it", 3,
         "Nothing was changed on it. If its etcd is stopped, start it (systemctl start etcd) "
         "or find out why it stopped (journalctl -u etcd).")
    here = lambda f: os.path.exists(os.path.join(stage, f))
    def in_place():
        """Whether every file of the folder's pki/ is already in cert_dir, byte for byte:
        then renew.sh has nothing to do (it would say "already in place")."""
        pki = os.path.join(stage, "pki")
        for f in os.listdir(pki):
            dest = os.path.join(a["cert_dir"], f)
            if not os.path.isfile(dest) or open(os.path.join(pki, f), "rb").read() != open(dest, "rb").read():
                return False
        return True

    if here("renew.sh") and not in_place():
        code, out = run("renew.sh")
        if code != 0:
            fail("refused or failed renew.sh (exit %d): %s" % (code, out.strip()[-400:]),
                 "Its output says what to fix; the files it replaced are in "
                 "/var/backups/etcd-pki/ on it.")
        if re.search(r": serial \S+ -> ", out):
            changed = True
    if here("install-crl.sh"):
        code, out = run("install-crl.sh")
        if code != 0:
            fail("refused install-crl.sh (exit %d): %s" % (code, out.strip()[-400:]),
                 "Its output says what to fix on it.")
        if "is already this CRL" not in out:
            changed = True
        src = os.path.join(stage, "etcd.service.d", "20-etcd-pki-crl.conf")
        dest = os.path.join(a["dropin_dir"], "20-etcd-pki-crl.conf")
        new_dropin = not (os.path.exists(dest) and open(src, "rb").read() == open(dest, "rb").read())
        if new_dropin:
            os.makedirs(a["dropin_dir"], mode=0o755, exist_ok=True)
            tmp = dest + ".etcd-pki-new"
            shutil.copyfile(src, tmp)
            os.chmod(tmp, 0o644)
            os.replace(tmp, dest)
            log.append("wrote %s" % dest)
            changed = True
        if new_dropin or "no running etcd reads" in out:
            code, rout = sh(a["restart"])
            log.append("$ %s (exit %d)\n%s" % (a["restart"], code, rout))
            if code != 0:
                fail("did not restart etcd to turn CRLs on (exit %d): %s" % (code, rout.strip()[-300:]),
                     "Look at its etcd log (journalctl -u etcd).")
            changed = True
    install()
    if not changed:
        # Healthy before, nothing changed: the gate before stands.
        m.exit_json(changed=False, log=log)
    gate("after its changes", a["tries"],
         "Look at its etcd log (journalctl -u etcd); the files it had before are in "
         "/var/backups/etcd-pki/ on it.")
    m.exit_json(changed=changed, log=log)


if __name__ == "__main__":
    main()
