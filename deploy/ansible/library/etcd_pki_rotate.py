#!/usr/bin/python3
# -*- coding: utf-8 -*-
"""One member's (or one client's) part of a CA rotation kit, on that machine (etcd-pki,
deploy/ansible/rotate.yml). The kit's own scripts do the work and its health gates; this
module says where the machine stands, runs the step that is due, and turns a refusal into a
sentence naming the member and the kit's ROTATE.md step.

Where a machine stands is read from what it holds, the way the kit's scripts read it: which
CAs its trusted CA file holds (SHA-256 fingerprints against the kit's rotate.env) and
whether its own certificates are the kit's. A file name says nothing about a phase.
Standard library only: runs on Debian 12's python3."""

import base64
import hashlib
import os
import re
import subprocess

from ansible.module_utils.basic import AnsibleModule

DOCUMENTATION = r"""
module: etcd_pki_rotate
short_description: Runs one machine's step of an etcd-pki CA rotation kit
description:
  - C(where) says how far the machine is. A member of a rotation: 0 (trusts the old CA),
    1 (trusts both), 2 (trusts both, its certificates are the new CA's), 3 (trusts the new CA
    alone). A client the same, with its client.crt. A same-key renewal: 0 or 1 (the renewed
    CA certificate). -1 when the trusted CA file holds a CA the kit does not know.
  - C(run) runs C(script) with C(args) from the kit folder and reports changed unless the
    script said the step was done already.
options:
  step: {type: str, required: true, choices: [where, run]}
  name: {type: str, required: true, description: the member's or client's name}
  kit: {type: path, required: true, description: its folder of the kit on this machine}
  installed: {type: path, required: true, description: cert_dir, or the client's folder}
  client: {type: bool, default: false}
  script: {type: str, description: the command line to run from the kit folder}
  what: {type: str, description: the ROTATE.md step, for the message}
  restart: {type: str, description: ETCD_PKI_RESTART for the scripts}
"""

PEM = re.compile(rb"-----BEGIN CERTIFICATE-----(.*?)-----END CERTIFICATE-----", re.S)


def fingerprints(path):
    """The sorted SHA-256 fingerprints (AB:CD:…, as openssl prints them) of a PEM file."""
    with open(path, "rb") as f:
        ders = [base64.b64decode(b"".join(m.split())) for m in PEM.findall(f.read())]
    return sorted(":".join("%02X" % b for b in hashlib.sha256(d).digest()) for d in ders)


def same(a, b):
    try:
        with open(a, "rb") as x, open(b, "rb") as y:
            return x.read() == y.read()
    except OSError:
        return False


def where(kit, installed, client):
    env = dict(re.findall(r"^([A-Z_0-9]+)='([^']*)'$",
                          open(os.path.join(kit, "rotate", "rotate.env")).read(), re.M))
    old, new = env["OLD_CA_SHA256"], env["NEW_CA_SHA256"]
    trust = fingerprints(os.path.join(installed, "ca.crt"))
    leaves = [("client.crt", "client.crt")] if client else \
        [("pki/server.crt", "server.crt"), ("pki/peer.crt", "peer.crt")]
    mine = all(same(os.path.join(kit, k), os.path.join(installed, i)) for k, i in leaves)
    if trust == [old]:
        return 0, "old"
    if trust == sorted([old, new]):
        return (2 if mine else 1), "both"
    if trust == [new]:
        return (3 if mine else 1), "new"
    return -1, " ".join(trust) or "no certificate"


def main():
    m = AnsibleModule(argument_spec=dict(
        step=dict(type="str", required=True, choices=["where", "run"]),
        name=dict(type="str", required=True),
        kit=dict(type="path", required=True),
        installed=dict(type="path", required=True),
        client=dict(type="bool", default=False),
        script=dict(type="str"),
        what=dict(type="str", default=""),
        restart=dict(type="str"),
    ))
    a = m.params
    who = ("Client %s" if a["client"] else "Member %s") % a["name"]
    if a["step"] == "where":
        try:
            phase, trust = where(a["kit"], a["installed"], a["client"])
        except (OSError, KeyError) as e:
            m.fail_json(msg="%s: cannot read where its rotation stands (%s): is %s where its "
                            "files are installed? Nothing was changed on any member."
                            % (who, e, a["installed"]))
        if phase < 0:
            m.fail_json(msg="%s: %s/ca.crt holds CA(s) this kit does not know (%s): is a "
                            "previous rotation half done, or is the kit for another cluster? "
                            "Nothing was changed on any member."
                            % (who, a["installed"], trust))
        m.exit_json(changed=False, phase=phase, trust=trust)

    env = dict(os.environ)
    if a["restart"]:
        env["ETCD_PKI_RESTART"] = a["restart"]
    p = subprocess.run(["bash", "-c", a["script"]], cwd=a["kit"], env=env, text=True,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, check=False)
    out = p.stdout
    if p.returncode != 0:
        said = [l for l in out.splitlines() if "REFUSED:" in l or "FAILED:" in l]
        after = "The phases after it did not start." if a["client"] else \
            "The members after it were not touched in this phase and the next phases did not start."
        m.fail_json(
            msg="%s stopped the rotation at %s: %s %s Do what it says, then run the same "
                "playbook again: the steps done are skipped."
                % (who, a["what"], (said[-1] if said else out.strip()[-400:]).strip(), after),
            rc=p.returncode, out=out)
    # What the kit's scripts print when they change something (a restart, a file replaced).
    changed = re.search(r"restarting etcd|: serial \S+ \(old CA\) -> |now holds|are from "
                        r"the new CA now|renewed CA certificate now|crl\.der: CRL number", out)
    m.exit_json(changed=bool(changed), out=out)


if __name__ == "__main__":
    main()
