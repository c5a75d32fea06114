# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_etcd_pki_global_optspecs
    string join \n h/help V/version
end

function __fish_etcd_pki_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_etcd_pki_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_etcd_pki_using_subcommand
    set -l cmd (__fish_etcd_pki_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c etcd-pki -n "__fish_etcd_pki_needs_command" -s h -l help -d 'Print help'
complete -c etcd-pki -n "__fish_etcd_pki_needs_command" -s V -l version -d 'Print version'
complete -c etcd-pki -n "__fish_etcd_pki_needs_command" -f -a "generate" -d 'Make the CA, member and client certificates and keys, etcd env files, systemd drop-ins and etcdctl scripts from a spec'
complete -c etcd-pki -n "__fish_etcd_pki_needs_command" -f -a "demo" -d 'A 3-member cluster on 127.0.0.1-3 of this machine, ready to try (see README.md inside)'
complete -c etcd-pki -n "__fish_etcd_pki_needs_command" -f -a "spec-template" -d 'Print a complete example spec, every default filled in'
complete -c etcd-pki -n "__fish_etcd_pki_needs_command" -f -a "validate" -d 'Check a spec (--spec) or an existing bundle (--from) and print every problem'
complete -c etcd-pki -n "__fish_etcd_pki_needs_command" -f -a "status" -d 'Every certificate\'s days left, the action and the command due, the CRL\'s next update'
complete -c etcd-pki -n "__fish_etcd_pki_needs_command" -f -a "doctor" -d 'Explain a TLS failure: etcd\'s log, the client\'s error and the files involved in; culprit and fix out'
complete -c etcd-pki -n "__fish_etcd_pki_needs_command" -f -a "add-member" -d 'Add a member: a new bundle with its certificates and the runbook that joins it'
complete -c etcd-pki -n "__fish_etcd_pki_needs_command" -f -a "remove-member" -d 'Remove a member: a new bundle without it and the runbook that takes it out'
complete -c etcd-pki -n "__fish_etcd_pki_needs_command" -f -a "replace-member" -d 'Replace a member by one on a new address (or with a new name)'
complete -c etcd-pki -n "__fish_etcd_pki_needs_command" -f -a "renew" -d 'Issue certificates again (all, --only some, or those ending --within DAYS)'
complete -c etcd-pki -n "__fish_etcd_pki_needs_command" -f -a "revoke" -d 'Revoke client or member certificates: a CRL in every member folder'
complete -c etcd-pki -n "__fish_etcd_pki_needs_command" -f -a "rotate-ca" -d 'A new CA and every certificate under it, with the three-phase runbook (ROTATE.md)'
complete -c etcd-pki -n "__fish_etcd_pki_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c etcd-pki -n "__fish_etcd_pki_using_subcommand generate" -l spec -d 'The cluster spec (JSON; - reads standard input; `etcd-pki spec-template` writes one)' -r
complete -c etcd-pki -n "__fish_etcd_pki_using_subcommand generate" -s o -l out -d 'Where to write the bundle (default: <cluster>-generate-g1.zip here)' -r -F
complete -c etcd-pki -n "__fish_etcd_pki_using_subcommand generate" -l ca-passphrase-file -d 'The new CA key\'s passphrase is the first line of FILE (at least 12 characters); with --ca-key, the existing key\'s passphrase' -r -F
complete -c etcd-pki -n "__fish_etcd_pki_using_subcommand generate" -l ca-key-out -d 'Where to write the new CA key (default: <cluster>-ca.key beside the zip, mode 0600)' -r -F
complete -c etcd-pki -n "__fish_etcd_pki_using_subcommand generate" -l ca-layout -d '`root+issuing` (default): a root whose key stays offline signs an issuing CA, which signs every leaf, so the issuing CA can be rotated without restarting etcd; `single`: one CA, as the tutorials make it. Overrides the spec\'s ca_layout' -r -f -a "root+issuing\t''
single\t''"
complete -c etcd-pki -n "__fish_etcd_pki_using_subcommand generate" -l root-passphrase-file -d 'The root key\'s passphrase is the first line of FILE (at least 12 characters; default: the CA key\'s). The root key is written apart, <cluster>-root-ca.key beside the CA key' -r -F
complete -c etcd-pki -n "__fish_etcd_pki_using_subcommand generate" -l ca-cert -d 'An existing CA\'s certificate (PEM) to issue under, with --ca-key' -r -F
complete -c etcd-pki -n "__fish_etcd_pki_using_subcommand generate" -l ca-key -d 'An existing CA\'s private key (with --ca-cert or --from); no CA key is written' -r -F
complete -c etcd-pki -n "__fish_etcd_pki_using_subcommand generate" -l from -d 'A bundle whose spec and CA are used again (with --ca-key): every certificate anew' -r -F
complete -c etcd-pki -n "__fish_etcd_pki_using_subcommand generate" -l json -d 'Print the answer as one JSON object on standard output (format etcd-pki-COMMAND, version 1); errors too, with the same exit status' -r -f -a "true\t''
false\t''"
complete -c etcd-pki -n "__fish_etcd_pki_using_subcommand generate" -l force -d 'Replace an existing --out or CA key file (it may hold the only copy of a CA key)'
complete -c etcd-pki -n "__fish_etcd_pki_using_subcommand generate" -l no-ca-passphrase -d 'Write the new CA key UNENCRYPTED: anyone who gets the file can mint certificates your cluster trusts'
complete -c etcd-pki -n "__fish_etcd_pki_using_subcommand generate" -l cap-validity -d 'Under an existing CA that ends before the certificates would: shorten them to fit'
complete -c etcd-pki -n "__fish_etcd_pki_using_subcommand generate" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c etcd-pki -n "__fish_etcd_pki_using_subcommand demo" -s o -l out -d 'Where to write the bundle (default: demo-demo-g1.zip here)' -r -F
complete -c etcd-pki -n "__fish_etcd_pki_using_subcommand demo" -l ca-key-out -d 'Keep the demo\'s CA key in PATH (unencrypted unless --ca-passphrase-file)' -r -F
complete -c etcd-pki -n "__fish_etcd_pki_using_subcommand demo" -l ca-passphrase-file -d 'Encrypt the kept CA key with the first line of FILE (needs --ca-key-out)' -r -F
complete -c etcd-pki -n "__fish_etcd_pki_using_subcommand demo" -l json -d 'Print the answer as one JSON object on standard output (format etcd-pki-COMMAND, version 1); errors too, with the same exit status' -r -f -a "true\t''
false\t''"
complete -c etcd-pki -n "__fish_etcd_pki_using_subcommand demo" -l force -d 'Replace an existing --out or CA key file'
complete -c etcd-pki -n "__fish_etcd_pki_using_subcommand demo" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c etcd-pki -n "__fish_etcd_pki_using_subcommand spec-template" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c etcd-pki -n "__fish_etcd_pki_using_subcommand validate" -l spec -d 'The spec to check' -r
complete -c etcd-pki -n "__fish_etcd_pki_using_subcommand validate" -l from -d 'A bundle to check for day two instead of a spec' -r -F
complete -c etcd-pki -n "__fish_etcd_pki_using_subcommand validate" -l other-ca -d 'Another CA\'s bundle: serials the two CAs share are reported (with --from)' -r -F
complete -c etcd-pki -n "__fish_etcd_pki_using_subcommand validate" -l json -d 'Print the answer as one JSON object on standard output (format etcd-pki-COMMAND, version 1); errors too, with the same exit status' -r -f -a "true\t''
false\t''"
complete -c etcd-pki -n "__fish_etcd_pki_using_subcommand validate" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c etcd-pki -n "__fish_etcd_pki_using_subcommand status" -l from -d 'A bundle, or a folder of bundles; repeat for more' -r -F
complete -c etcd-pki -n "__fish_etcd_pki_using_subcommand status" -l within -d 'A certificate ending within DAYS is due for renewal' -r
complete -c etcd-pki -n "__fish_etcd_pki_using_subcommand status" -l ca-key -d 'The CA key to put in the commands (default: <cluster>-ca.key beside the bundle)' -r
complete -c etcd-pki -n "__fish_etcd_pki_using_subcommand status" -l json -d 'Print the answer as one JSON object on standard output (format etcd-pki-COMMAND, version 1); errors too, with the same exit status' -r -f -a "true\t''
false\t''"
complete -c etcd-pki -n "__fish_etcd_pki_using_subcommand status" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c etcd-pki -n "__fish_etcd_pki_using_subcommand doctor" -l json -d 'Print the answer as one JSON object on standard output (format etcd-pki-COMMAND, version 1); errors too, with the same exit status' -r -f -a "true\t''
false\t''"
complete -c etcd-pki -n "__fish_etcd_pki_using_subcommand doctor" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c etcd-pki -n "__fish_etcd_pki_using_subcommand add-member" -l from -d 'The newest bundle of the cluster' -r -F
complete -c etcd-pki -n "__fish_etcd_pki_using_subcommand add-member" -l ca-key -d 'The CA key saved beside the first bundle' -r -F
complete -c etcd-pki -n "__fish_etcd_pki_using_subcommand add-member" -l ca-passphrase-file -d 'A file whose first line is the CA key\'s passphrase (else asked on the terminal)' -r -F
complete -c etcd-pki -n "__fish_etcd_pki_using_subcommand add-member" -s o -l out -d 'Where to write the new bundle (default: <cluster>-<operation>-g<generation>.zip here)' -r -F
complete -c etcd-pki -n "__fish_etcd_pki_using_subcommand add-member" -l name -d 'The new member\'s name' -r
complete -c etcd-pki -n "__fish_etcd_pki_using_subcommand add-member" -l ip -d 'Its IP address; repeat for more' -r
complete -c etcd-pki -n "__fish_etcd_pki_using_subcommand add-member" -l dns -d 'A DNS name it is reached by; repeat for more' -r
complete -c etcd-pki -n "__fish_etcd_pki_using_subcommand add-member" -l json -d 'Print the answer as one JSON object on standard output (format etcd-pki-COMMAND, version 1); errors too, with the same exit status' -r -f -a "true\t''
false\t''"
complete -c etcd-pki -n "__fish_etcd_pki_using_subcommand add-member" -l force -d 'Replace an existing --out; open a bundle older than one this machine made'
complete -c etcd-pki -n "__fish_etcd_pki_using_subcommand add-member" -l previous-rotation-done -d '--from is the kit of a CA rotation or renewal whose steps are done on every member'
complete -c etcd-pki -n "__fish_etcd_pki_using_subcommand add-member" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c etcd-pki -n "__fish_etcd_pki_using_subcommand remove-member" -l from -d 'The newest bundle of the cluster' -r -F
complete -c etcd-pki -n "__fish_etcd_pki_using_subcommand remove-member" -l ca-key -d 'The CA key saved beside the first bundle' -r -F
complete -c etcd-pki -n "__fish_etcd_pki_using_subcommand remove-member" -l ca-passphrase-file -d 'A file whose first line is the CA key\'s passphrase (else asked on the terminal)' -r -F
complete -c etcd-pki -n "__fish_etcd_pki_using_subcommand remove-member" -s o -l out -d 'Where to write the new bundle (default: <cluster>-<operation>-g<generation>.zip here)' -r -F
complete -c etcd-pki -n "__fish_etcd_pki_using_subcommand remove-member" -l name -d 'The member that leaves' -r
complete -c etcd-pki -n "__fish_etcd_pki_using_subcommand remove-member" -l json -d 'Print the answer as one JSON object on standard output (format etcd-pki-COMMAND, version 1); errors too, with the same exit status' -r -f -a "true\t''
false\t''"
complete -c etcd-pki -n "__fish_etcd_pki_using_subcommand remove-member" -l force -d 'Replace an existing --out; open a bundle older than one this machine made'
complete -c etcd-pki -n "__fish_etcd_pki_using_subcommand remove-member" -l previous-rotation-done -d '--from is the kit of a CA rotation or renewal whose steps are done on every member'
complete -c etcd-pki -n "__fish_etcd_pki_using_subcommand remove-member" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c etcd-pki -n "__fish_etcd_pki_using_subcommand replace-member" -l from -d 'The newest bundle of the cluster' -r -F
complete -c etcd-pki -n "__fish_etcd_pki_using_subcommand replace-member" -l ca-key -d 'The CA key saved beside the first bundle' -r -F
complete -c etcd-pki -n "__fish_etcd_pki_using_subcommand replace-member" -l ca-passphrase-file -d 'A file whose first line is the CA key\'s passphrase (else asked on the terminal)' -r -F
complete -c etcd-pki -n "__fish_etcd_pki_using_subcommand replace-member" -s o -l out -d 'Where to write the new bundle (default: <cluster>-<operation>-g<generation>.zip here)' -r -F
complete -c etcd-pki -n "__fish_etcd_pki_using_subcommand replace-member" -l name -d 'The member that goes' -r
complete -c etcd-pki -n "__fish_etcd_pki_using_subcommand replace-member" -l new-name -d 'The name of the member that comes (default: the same name)' -r
complete -c etcd-pki -n "__fish_etcd_pki_using_subcommand replace-member" -l ip -d 'The new member\'s IP address; repeat for more' -r
complete -c etcd-pki -n "__fish_etcd_pki_using_subcommand replace-member" -l dns -d 'A DNS name of the new member; repeat for more' -r
complete -c etcd-pki -n "__fish_etcd_pki_using_subcommand replace-member" -l json -d 'Print the answer as one JSON object on standard output (format etcd-pki-COMMAND, version 1); errors too, with the same exit status' -r -f -a "true\t''
false\t''"
complete -c etcd-pki -n "__fish_etcd_pki_using_subcommand replace-member" -l force -d 'Replace an existing --out; open a bundle older than one this machine made'
complete -c etcd-pki -n "__fish_etcd_pki_using_subcommand replace-member" -l previous-rotation-done -d '--from is the kit of a CA rotation or renewal whose steps are done on every member'
complete -c etcd-pki -n "__fish_etcd_pki_using_subcommand replace-member" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c etcd-pki -n "__fish_etcd_pki_using_subcommand renew" -l from -d 'The newest bundle of the cluster' -r -F
complete -c etcd-pki -n "__fish_etcd_pki_using_subcommand renew" -l ca-key -d 'The CA key saved beside the first bundle' -r -F
complete -c etcd-pki -n "__fish_etcd_pki_using_subcommand renew" -l ca-passphrase-file -d 'A file whose first line is the CA key\'s passphrase (else asked on the terminal)' -r -F
complete -c etcd-pki -n "__fish_etcd_pki_using_subcommand renew" -s o -l out -d 'Where to write the new bundle (default: <cluster>-<operation>-g<generation>.zip here)' -r -F
complete -c etcd-pki -n "__fish_etcd_pki_using_subcommand renew" -l only -d 'Renew only this member\'s or client\'s certificates; repeat for more' -r
complete -c etcd-pki -n "__fish_etcd_pki_using_subcommand renew" -l within -d 'Renew only certificates ending within DAYS; nothing due, nothing written' -r
complete -c etcd-pki -n "__fish_etcd_pki_using_subcommand renew" -l json -d 'Print the answer as one JSON object on standard output (format etcd-pki-COMMAND, version 1); errors too, with the same exit status' -r -f -a "true\t''
false\t''"
complete -c etcd-pki -n "__fish_etcd_pki_using_subcommand renew" -l force -d 'Replace an existing --out; open a bundle older than one this machine made'
complete -c etcd-pki -n "__fish_etcd_pki_using_subcommand renew" -l previous-rotation-done -d '--from is the kit of a CA rotation or renewal whose steps are done on every member'
complete -c etcd-pki -n "__fish_etcd_pki_using_subcommand renew" -l keep-keys -d 'Keep each certificate\'s key (only the certificate changes)'
complete -c etcd-pki -n "__fish_etcd_pki_using_subcommand renew" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c etcd-pki -n "__fish_etcd_pki_using_subcommand revoke" -l from -d 'The newest bundle of the cluster' -r -F
complete -c etcd-pki -n "__fish_etcd_pki_using_subcommand revoke" -l ca-key -d 'The CA key saved beside the first bundle' -r -F
complete -c etcd-pki -n "__fish_etcd_pki_using_subcommand revoke" -l ca-passphrase-file -d 'A file whose first line is the CA key\'s passphrase (else asked on the terminal)' -r -F
complete -c etcd-pki -n "__fish_etcd_pki_using_subcommand revoke" -s o -l out -d 'Where to write the new bundle (default: <cluster>-<operation>-g<generation>.zip here)' -r -F
complete -c etcd-pki -n "__fish_etcd_pki_using_subcommand revoke" -l client -d 'A client whose certificates are revoked; repeat for more' -r
complete -c etcd-pki -n "__fish_etcd_pki_using_subcommand revoke" -l member -d 'A member removed earlier whose certificates are revoked; repeat for more' -r
complete -c etcd-pki -n "__fish_etcd_pki_using_subcommand revoke" -l serial -d 'A certificate of the bundle, by serial (hex); repeat for more' -r
complete -c etcd-pki -n "__fish_etcd_pki_using_subcommand revoke" -l unlisted-serial -d 'A serial the bundle no longer lists (a replaced key), as renew or remove-member printed it' -r
complete -c etcd-pki -n "__fish_etcd_pki_using_subcommand revoke" -l issuing-ca -d 'An earlier issuing CA, revoked by the root: `old` (the one rotate-issuer replaced last) or its SHA-256 fingerprint; needs --root-key' -r
complete -c etcd-pki -n "__fish_etcd_pki_using_subcommand revoke" -l root-key -d 'The root\'s key (<cluster>-root-ca.key): signs the root\'s CRL, root.crl' -r -F
complete -c etcd-pki -n "__fish_etcd_pki_using_subcommand revoke" -l root-passphrase-file -d 'A file whose first line is the root key\'s passphrase (else asked on the terminal)' -r -F
complete -c etcd-pki -n "__fish_etcd_pki_using_subcommand revoke" -l reason -d 'Why: key-compromise, superseded, cessation-of-operation, affiliation-changed, ...' -r
complete -c etcd-pki -n "__fish_etcd_pki_using_subcommand revoke" -l next-update -d 'Days until the CRL\'s next update (default 30)' -r
complete -c etcd-pki -n "__fish_etcd_pki_using_subcommand revoke" -l json -d 'Print the answer as one JSON object on standard output (format etcd-pki-COMMAND, version 1); errors too, with the same exit status' -r -f -a "true\t''
false\t''"
complete -c etcd-pki -n "__fish_etcd_pki_using_subcommand revoke" -l force -d 'Replace an existing --out; open a bundle older than one this machine made'
complete -c etcd-pki -n "__fish_etcd_pki_using_subcommand revoke" -l previous-rotation-done -d '--from is the kit of a CA rotation or renewal whose steps are done on every member'
complete -c etcd-pki -n "__fish_etcd_pki_using_subcommand revoke" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c etcd-pki -n "__fish_etcd_pki_using_subcommand rotate-ca" -l from -d 'The newest bundle of the cluster' -r -F
complete -c etcd-pki -n "__fish_etcd_pki_using_subcommand rotate-ca" -l ca-key -d 'The CA key saved beside the first bundle' -r -F
complete -c etcd-pki -n "__fish_etcd_pki_using_subcommand rotate-ca" -l ca-passphrase-file -d 'A file whose first line is the CA key\'s passphrase (else asked on the terminal)' -r -F
complete -c etcd-pki -n "__fish_etcd_pki_using_subcommand rotate-ca" -s o -l out -d 'Where to write the new bundle (default: <cluster>-<operation>-g<generation>.zip here)' -r -F
complete -c etcd-pki -n "__fish_etcd_pki_using_subcommand rotate-ca" -l new-ca-key-out -d 'Where to write the new CA key (default: <cluster>-ca-new.key beside the kit)' -r -F
complete -c etcd-pki -n "__fish_etcd_pki_using_subcommand rotate-ca" -l new-ca-passphrase-file -d 'The new CA key\'s passphrase is the first line of FILE' -r -F
complete -c etcd-pki -n "__fish_etcd_pki_using_subcommand rotate-ca" -l json -d 'Print the answer as one JSON object on standard output (format etcd-pki-COMMAND, version 1); errors too, with the same exit status' -r -f -a "true\t''
false\t''"
complete -c etcd-pki -n "__fish_etcd_pki_using_subcommand rotate-ca" -l force -d 'Replace an existing --out; open a bundle older than one this machine made'
complete -c etcd-pki -n "__fish_etcd_pki_using_subcommand rotate-ca" -l previous-rotation-done -d '--from is the kit of a CA rotation or renewal whose steps are done on every member'
complete -c etcd-pki -n "__fish_etcd_pki_using_subcommand rotate-ca" -l same-key -d 'Renew the CA certificate with the same key (one rolling restart) instead of a new CA'
complete -c etcd-pki -n "__fish_etcd_pki_using_subcommand rotate-ca" -l no-new-ca-passphrase -d 'Write the new CA key UNENCRYPTED'
complete -c etcd-pki -n "__fish_etcd_pki_using_subcommand rotate-ca" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c etcd-pki -n "__fish_etcd_pki_using_subcommand help; and not __fish_seen_subcommand_from generate demo spec-template validate status doctor add-member remove-member replace-member renew revoke rotate-ca help" -f -a "generate" -d 'Make the CA, member and client certificates and keys, etcd env files, systemd drop-ins and etcdctl scripts from a spec'
complete -c etcd-pki -n "__fish_etcd_pki_using_subcommand help; and not __fish_seen_subcommand_from generate demo spec-template validate status doctor add-member remove-member replace-member renew revoke rotate-ca help" -f -a "demo" -d 'A 3-member cluster on 127.0.0.1-3 of this machine, ready to try (see README.md inside)'
complete -c etcd-pki -n "__fish_etcd_pki_using_subcommand help; and not __fish_seen_subcommand_from generate demo spec-template validate status doctor add-member remove-member replace-member renew revoke rotate-ca help" -f -a "spec-template" -d 'Print a complete example spec, every default filled in'
complete -c etcd-pki -n "__fish_etcd_pki_using_subcommand help; and not __fish_seen_subcommand_from generate demo spec-template validate status doctor add-member remove-member replace-member renew revoke rotate-ca help" -f -a "validate" -d 'Check a spec (--spec) or an existing bundle (--from) and print every problem'
complete -c etcd-pki -n "__fish_etcd_pki_using_subcommand help; and not __fish_seen_subcommand_from generate demo spec-template validate status doctor add-member remove-member replace-member renew revoke rotate-ca help" -f -a "status" -d 'Every certificate\'s days left, the action and the command due, the CRL\'s next update'
complete -c etcd-pki -n "__fish_etcd_pki_using_subcommand help; and not __fish_seen_subcommand_from generate demo spec-template validate status doctor add-member remove-member replace-member renew revoke rotate-ca help" -f -a "doctor" -d 'Explain a TLS failure: etcd\'s log, the client\'s error and the files involved in; culprit and fix out'
complete -c etcd-pki -n "__fish_etcd_pki_using_subcommand help; and not __fish_seen_subcommand_from generate demo spec-template validate status doctor add-member remove-member replace-member renew revoke rotate-ca help" -f -a "add-member" -d 'Add a member: a new bundle with its certificates and the runbook that joins it'
complete -c etcd-pki -n "__fish_etcd_pki_using_subcommand help; and not __fish_seen_subcommand_from generate demo spec-template validate status doctor add-member remove-member replace-member renew revoke rotate-ca help" -f -a "remove-member" -d 'Remove a member: a new bundle without it and the runbook that takes it out'
complete -c etcd-pki -n "__fish_etcd_pki_using_subcommand help; and not __fish_seen_subcommand_from generate demo spec-template validate status doctor add-member remove-member replace-member renew revoke rotate-ca help" -f -a "replace-member" -d 'Replace a member by one on a new address (or with a new name)'
complete -c etcd-pki -n "__fish_etcd_pki_using_subcommand help; and not __fish_seen_subcommand_from generate demo spec-template validate status doctor add-member remove-member replace-member renew revoke rotate-ca help" -f -a "renew" -d 'Issue certificates again (all, --only some, or those ending --within DAYS)'
complete -c etcd-pki -n "__fish_etcd_pki_using_subcommand help; and not __fish_seen_subcommand_from generate demo spec-template validate status doctor add-member remove-member replace-member renew revoke rotate-ca help" -f -a "revoke" -d 'Revoke client or member certificates: a CRL in every member folder'
complete -c etcd-pki -n "__fish_etcd_pki_using_subcommand help; and not __fish_seen_subcommand_from generate demo spec-template validate status doctor add-member remove-member replace-member renew revoke rotate-ca help" -f -a "rotate-ca" -d 'A new CA and every certificate under it, with the three-phase runbook (ROTATE.md)'
complete -c etcd-pki -n "__fish_etcd_pki_using_subcommand help; and not __fish_seen_subcommand_from generate demo spec-template validate status doctor add-member remove-member replace-member renew revoke rotate-ca help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
