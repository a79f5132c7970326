#!/usr/bin/env python3
"""Interoperability check of countersign-signing against independent implementations.

Usage: interop_check.py [FIXTURES_DIR RUST_CHECKER [WORK_DIR]]
                        [--bundle BUNDLE --policy POLICY [--countersign BIN]]

FIXTURES_DIR holds what the Rust example `interop_fixtures` wrote:
  envelopes.json  DSSE envelopes with their signers' public keys and PAE bytes
  jcs/*.json      canonical JSON (RFC 8785) bytes of sample values

Checked here, with securesystemslib (DSSE) and rfc8785 (JCS):
  * every envelope verifies with its signers' keys (threshold: all of them), and
    securesystemslib computes the same PAE bytes;
  * negative controls: a flipped payload bit, a changed payload type, a flipped
    signature bit and a wrong key with the right key id must all FAIL to verify;
  * every jcs file is reproduced byte for byte by rfc8785.dumps(json.loads(...));
  * negative controls: a non-canonical variant of each file must be told apart,
    and a code-point-sorted rendering of the sorting example must differ.

The other direction: this script signs envelopes with securesystemslib and
canonicalizes values with rfc8785 into WORK_DIR, then runs
`RUST_CHECKER --check WORK_DIR` (the same example binary), which verifies them
with the Rust crate, including negative controls that must be refused.

With --bundle and --policy, a release bundle made by the `countersign` CLI and
the trusted policy file it exported are checked the same way, with nothing but
the two files:
  * the policy envelope verifies with securesystemslib against its admin's key,
    every keyid is the SHA-256 of its public key, and the bundle carries exactly
    the policy's payload;
  * the manifest envelope and every approval envelope verify with
    securesystemslib using the public keys the policy payload lists; each
    approval names the manifest by the SHA-256 of its payload bytes, its lane,
    and the identity holding the key that signed it; the lane's owner approved
    and the threshold is met;
  * rfc8785 reproduces every payload (policy, manifest, approvals) byte for byte;
  * negative controls: a flipped payload bit, a changed payload type, a flipped
    signature bit, a wrong key under the right keyid, a policy checked against
    keys that are not its admin's, a non-canonical payload, and a tampered copy
    of the bundle file must all be refused or told apart;
  * with --countersign BIN, the CLI's own offline `verify` accepts the bundle and
    refuses the tampered copy (exit 1, approval_bad_signature).

The last line is `interop: N passed, M failed`; the exit status is non-zero
if anything failed.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import json
import subprocess
import sys
import tempfile
import traceback
from pathlib import Path

import rfc8785
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from securesystemslib.dsse import Envelope
from securesystemslib.exceptions import VerificationError
from securesystemslib.signer import CryptoSigner, SSlibKey

PASSED = 0
FAILED = 0


def result(name: str, ok: bool, detail: str = "") -> None:
    global PASSED, FAILED
    if ok:
        PASSED += 1
        print(f"  ok    {name}" + (f"  ({detail})" if detail else ""))
    else:
        FAILED += 1
        print(f"  FAIL  {name}" + (f": {detail}" if detail else ""))


def ssl_key(keyid: str, public_hex: str) -> SSlibKey:
    return SSlibKey(keyid, "ed25519", "ed25519", {"public": public_hex})


def fails_to_verify(env_dict: dict, keys: list[SSlibKey]) -> tuple[bool, str]:
    """True if securesystemslib refuses the envelope."""
    try:
        env = Envelope.from_dict(copy.deepcopy(env_dict))
        env.verify(keys, len(keys))
    except VerificationError as e:
        return True, f"refused: {e}"
    except Exception as e:  # noqa: BLE001 - not a verification failure
        return False, f"unexpected {type(e).__name__}: {e}"
    return False, "verified, but should have been refused"


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def flip_first_bit(data: bytes) -> bytes:
    return bytes([data[0] ^ 0x01]) + data[1:] if data else b"\x00"


# --- Rust -> Python: DSSE -------------------------------------------------------


def check_envelopes(path: Path) -> None:
    entries = json.loads(path.read_bytes())
    if not entries:
        result("envelopes.json is not empty", False)
    other = Ed25519PrivateKey.from_private_bytes(b"\x07" * 32).public_key()
    other_hex = other.public_bytes(Encoding.Raw, PublicFormat.Raw).hex()
    for entry in entries:
        name = entry["name"]
        env_dict = entry["envelope"]
        keys = [ssl_key(s["keyid"], s["public_key_hex"]) for s in entry["signers"]]
        try:
            env = Envelope.from_dict(copy.deepcopy(env_dict))
            result(
                f"dsse {name}: payload type",
                env.payload_type == entry["payload_type"],
                env.payload_type,
            )
            result(
                f"dsse {name}: same PAE bytes",
                env.pae() == bytes.fromhex(entry["pae_hex"]),
            )
            for s in entry["signers"]:
                fp = hashlib.sha256(bytes.fromhex(s["public_key_hex"])).hexdigest()
                result(f"dsse {name}: key id is sha256(public key)", fp == s["keyid"])
            accepted = env.verify(keys, len(keys))
            result(
                f"dsse {name}: verifies with {len(keys)} of {len(keys)} keys",
                sorted(accepted) == sorted(k.keyid for k in keys),
            )
        except Exception as e:  # noqa: BLE001 - report anything as a failure
            result(f"dsse {name}: verifies", False, f"{type(e).__name__}: {e}")
            continue

        # Negative controls: each alteration must make verification fail.
        payload = base64.b64decode(env_dict["payload"])
        tampered = dict(env_dict, payload=b64(flip_first_bit(payload)))
        result(f"dsse {name}: flipped payload bit refused", *fails_to_verify(tampered, keys))
        tampered = dict(env_dict, payloadType=env_dict["payloadType"] + "x")
        result(f"dsse {name}: changed payload type refused", *fails_to_verify(tampered, keys))
        sigs = copy.deepcopy(env_dict["signatures"])
        sigs[0]["sig"] = b64(flip_first_bit(base64.b64decode(sigs[0]["sig"])))
        tampered = dict(env_dict, signatures=sigs)
        result(f"dsse {name}: flipped signature bit refused", *fails_to_verify(tampered, keys))
        wrong = [ssl_key(keys[0].keyid, other_hex)] + keys[1:]
        result(f"dsse {name}: wrong key refused", *fails_to_verify(env_dict, wrong))


# --- Rust -> Python: JCS ---------------------------------------------------------


def check_jcs(directory: Path) -> None:
    files = sorted(directory.glob("*.json"))
    if not files:
        result("jcs samples present", False, str(directory))
    for path in files:
        name = f"jcs {path.name}"
        ours = path.read_bytes()
        try:
            theirs = rfc8785.dumps(json.loads(ours))
        except Exception as e:  # noqa: BLE001
            result(name, False, f"{type(e).__name__}: {e}")
            continue
        if theirs == ours:
            result(f"{name}: rfc8785 reproduces our bytes", True, f"{len(ours)} bytes")
        else:
            result(
                f"{name}: rfc8785 reproduces our bytes",
                False,
                f"ours={ours[:200]!r} rfc8785={theirs[:200]!r}",
            )
        # Negative control: a non-canonical variant must be told apart.
        variant = b" " + ours + b"\n"
        result(
            f"{name}: non-canonical variant differs",
            rfc8785.dumps(json.loads(variant)) != variant and variant != ours,
        )

    sorting = directory / "sorting.json"
    if sorting.exists():
        # Sorting by code point (what Python's sort_keys does) is not JCS: the
        # emoji key (UTF-16 D83D DE00) must come before U+FB33.
        naive = json.dumps(
            json.loads(sorting.read_bytes()),
            sort_keys=True,
            ensure_ascii=False,
            separators=(",", ":"),
        ).encode()
        result(
            "jcs sorting.json: code-point order differs from UTF-16 order",
            naive != sorting.read_bytes(),
        )
    else:
        result("jcs sorting.json present", False)


# --- Python -> Rust ----------------------------------------------------------------


def python_fixtures(out: Path) -> int:
    """Write envelopes and canonical JSON made by the Python implementations.

    Returns the number of items written (each must yield one Rust result)."""
    (out / "jcs").mkdir(parents=True, exist_ok=True)
    private = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
    public_hex = private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw).hex()
    keyid = hashlib.sha256(bytes.fromhex(public_hex)).hexdigest()
    signer = CryptoSigner(private, ssl_key(keyid, public_hex))
    signers = [{"keyid": keyid, "public_key_hex": public_hex}]

    def signed(payload: bytes, payload_type: str) -> dict:
        env = Envelope(payload, payload_type, {})
        env.sign(signer)
        return env.to_dict()

    payload = rfc8785.dumps({"decision": "approve", "by": keyid, "note": "é😀\u2028"})
    ptype = "application/vnd.countersign.approval+json"
    good = signed(payload, ptype)
    urlsafe = dict(
        good,
        payload=base64.urlsafe_b64encode(payload).decode().rstrip("="),
        signatures=[
            dict(
                s,
                sig=base64.urlsafe_b64encode(base64.b64decode(s["sig"])).decode().rstrip("="),
            )
            for s in good["signatures"]
        ],
    )
    tampered = dict(good, payload=b64(flip_first_bit(payload)))
    other_type = signed(payload, ptype + "x")
    retyped = dict(good, payloadType=ptype + "x")
    items = [
        ("python-approval", good, ptype, True),
        ("python-non-ascii-type", signed(b"\x00\xff binary", "t\u00ebst/\u00e9"), "t\u00ebst/\u00e9", True),
        ("python-empty-payload", signed(b"", ptype), ptype, True),
        ("python-urlsafe-unpadded", urlsafe, ptype, True),
        ("python-tampered-payload (negative control)", tampered, ptype, False),
        ("python-wrong-type (negative control)", other_type, ptype, False),
        ("python-retyped-after-signing (negative control)", retyped, ptype + "x", False),
    ]
    envelopes = [
        {
            "name": name,
            "envelope": env,
            "payload_type": payload_type,
            "signers": signers,
            "expect_valid": expect,
        }
        for name, env, payload_type, expect in items
    ]
    (out / "envelopes.json").write_text(json.dumps(envelopes, indent=2))

    values = {
        "sorting": {
            "\u20ac": 1, "\r": 2, "\ufb33": 3, "1": 4, "\U0001f600": 5,
            "\u0080": 6, "\u00f6": 7, "</script>": 8, "\ue000": 9, "\uffff": 10,
        },
        "escapes": ["".join(chr(c) for c in range(0x20)), '"\\/\x7f\u2028\u2029', "é€😀"],
        "integers": [0, -1, 2**53 - 1, -(2**53 - 1), 10**15],
        "nested": {"a": [{"b": [[], {}]}, None, True, False], "": "empty key"},
        "scalar": "just a string\n",
    }
    for name, value in values.items():
        canonical = rfc8785.dumps(value)
        (out / "jcs" / f"{name}.json").write_bytes(canonical)
        # Negative control: the same value, not canonical.
        pretty = json.dumps(value, indent=1, ensure_ascii=True).encode()
        if pretty == canonical:
            pretty = b" " + canonical
        (out / "jcs" / f"{name}.noncanonical.json").write_bytes(pretty)
    return len(envelopes) + 2 * len(values)


def check_python_made(rust_checker: str, work: Path) -> None:
    expected = python_fixtures(work)
    proc = subprocess.run(
        [rust_checker, "--check", str(work)], capture_output=True, text=True, check=False
    )
    if proc.returncode != 0:
        result("rust checker ran", False, f"exit {proc.returncode}: {proc.stderr.strip()}")
        return
    lines = [line for line in proc.stdout.splitlines() if line.strip()]
    for line in lines:
        item = json.loads(line)
        result(f"rust checks {item['name']}", item["ok"], item["detail"])
    result(
        "rust checker reported every python-made item",
        len(lines) == expected,
        f"{len(lines)} of {expected}",
    )


# --- A real release bundle made by the CLI ------------------------------------------

POLICY_TYPE = "application/vnd.countersign.policy+json; version=1"
MANIFEST_TYPE = "application/vnd.countersign.manifest+json; version=1"
APPROVAL_TYPE = "application/vnd.countersign.approval+json; version=1"
BUNDLE_FORMAT = "countersign.bundle/v1"

Check = tuple[str, bool, str]


def sha256_digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def payload_of(env_dict: dict) -> bytes:
    return base64.b64decode(env_dict["payload"], validate=True)


def sslib_verifies(env_dict: dict, keys: list[SSlibKey], threshold: int) -> tuple[bool, str]:
    """True if securesystemslib accepts `threshold` signatures by `keys`."""
    try:
        env = Envelope.from_dict(copy.deepcopy(env_dict))
        accepted = env.verify(keys, threshold)
    except Exception as e:  # noqa: BLE001 - any refusal is a failure here
        return False, f"{type(e).__name__}: {e}"
    return True, f"{len(accepted)} of {len(env_dict['signatures'])} signature(s)"


def canonical(name: str, payload: bytes) -> Check:
    try:
        theirs = rfc8785.dumps(json.loads(payload))
    except Exception as e:  # noqa: BLE001
        return (f"{name}: rfc8785 reproduces the payload bytes", False, f"{type(e).__name__}: {e}")
    return (
        f"{name}: rfc8785 reproduces the payload bytes",
        theirs == payload,
        f"{len(payload)} bytes" if theirs == payload else f"ours={payload[:120]!r} rfc8785={theirs[:120]!r}",
    )


def bundle_checks(bundle: dict, policy_env: dict) -> list[Check]:
    """Every positive check of a bundle against its trusted policy, as (name, ok, detail)."""
    checks: list[Check] = []

    def check(name: str, ok: bool, detail: str = "") -> bool:
        checks.append((name, bool(ok), detail))
        return bool(ok)

    # The trusted policy: its keys come from its own payload (it is the trust root).
    policy_payload = payload_of(policy_env)
    policy = json.loads(policy_payload)
    check("policy: payload type", policy_env.get("payloadType") == POLICY_TYPE, policy_env.get("payloadType", ""))
    checks.append(canonical("policy", policy_payload))
    keys: dict[str, tuple[dict, dict]] = {}
    for identity in policy["identities"]:
        for key in identity["keys"]:
            keys[key["keyid"]] = (identity, key)
    bad_ids = [
        kid for kid, (_, k) in keys.items()
        if hashlib.sha256(bytes.fromhex(k["public_key"])).hexdigest() != kid
    ]
    check(f"policy: every keyid is sha256(public key) ({len(keys)} keys)", not bad_ids and keys, str(bad_ids))

    def sslib_keys(env_dict: dict) -> list[SSlibKey] | None:
        found = []
        for sig in env_dict["signatures"]:
            if sig["keyid"] not in keys:
                return None
            found.append(ssl_key(sig["keyid"], keys[sig["keyid"]][1]["public_key"]))
        return found

    admin_keys = [
        ssl_key(k["keyid"], k["public_key"])
        for identity in policy["identities"] if identity["id"] == policy["admin"]
        for k in identity["keys"] if k["revoked_at"] is None
    ]
    check("policy: the admin has a live key", admin_keys)
    if admin_keys:
        check("policy: signed by its admin (securesystemslib)", *sslib_verifies(policy_env, admin_keys, 1))

    # The bundle.
    check("bundle: format", bundle.get("format") == BUNDLE_FORMAT, str(bundle.get("format")))
    check("bundle: carries exactly the trusted policy's payload", payload_of(bundle["policy"]) == policy_payload)
    if admin_keys:
        check("bundle: its policy envelope verifies (securesystemslib)", *sslib_verifies(bundle["policy"], admin_keys, 1))

    # The manifest.
    env = bundle["manifest"]
    payload = payload_of(env)
    check("manifest: payload type", env["payloadType"] == MANIFEST_TYPE, env["payloadType"])
    signer_keys = sslib_keys(env)
    if not check("manifest: every signature is by a key of the policy", signer_keys):
        return checks
    # Verify, then parse: nothing of a payload whose signature fails is read.
    if not check(
        "manifest: every signature verifies (securesystemslib)",
        *sslib_verifies(env, signer_keys, len(signer_keys)),
    ):
        return checks
    checks.append(canonical("manifest", payload))
    manifest = json.loads(payload)
    manifest_digest = sha256_digest(payload)
    check(
        "manifest: binds the trusted policy by digest and version",
        manifest["policy"] == {"digest": sha256_digest(policy_payload), "version": policy["version"]},
    )
    lane = next((l for l in policy["lanes"] if l["id"] == manifest["lane"]["id"]), None)
    if check("manifest: its lane is in the policy", lane, manifest["lane"]["id"]):
        check("manifest: audience is the lane's", manifest["lane"]["audience"] == lane["audience"])

    # The approvals.
    approvers: list[str] = []
    for n, env in enumerate(bundle["approvals"], start=1):
        name = f"approval #{n}"
        payload = payload_of(env)
        check(f"{name}: payload type", env["payloadType"] == APPROVAL_TYPE, env["payloadType"])
        signer_keys = sslib_keys(env)
        if not check(f"{name}: every signature is by a key of the policy", signer_keys):
            continue
        if not check(
            f"{name}: every signature verifies (securesystemslib)",
            *sslib_verifies(env, signer_keys, len(signer_keys)),
        ):
            continue
        checks.append(canonical(name, payload))
        approval = json.loads(payload)
        holder = keys[env["signatures"][0]["keyid"]][0]
        check(f"{name}: names the manifest by the sha256 of its payload", approval["manifest"] == manifest_digest)
        check(f"{name}: names the manifest's lane", approval["lane"] == manifest["lane"]["id"])
        check(
            f"{name}: signer is the key's holder, a human ({holder['name']})",
            approval["signer"] == holder["id"] and holder["kind"] == "human",
        )
        if approval["meaning"] == "approve":
            approvers.append(approval["signer"])
    if lane:
        check("quorum: the lane's owner approved", lane["owner"] in approvers)
        check(
            f"quorum: {len(set(approvers))} distinct approvers, threshold {lane['threshold']}",
            len(set(approvers)) >= lane["threshold"],
        )
    return checks


def flip_b64_char(text: str, at: int) -> str:
    c = "B" if text[at] == "A" else "A"
    return text[:at] + c + text[at + 1:]


def check_bundle(bundle_path: Path, policy_path: Path, countersign: str | None) -> None:
    bundle_path, policy_path = bundle_path.resolve(), policy_path.resolve()
    bundle_bytes = bundle_path.read_bytes()
    bundle = json.loads(bundle_bytes)
    policy_env = json.loads(policy_path.read_bytes())
    for name, ok, detail in bundle_checks(bundle, policy_env):
        result(f"release {name}", ok, detail)

    # Negative controls: each alteration must make securesystemslib refuse.
    policy = json.loads(payload_of(policy_env))
    keys = {
        k["keyid"]: (i, k) for i in policy["identities"] for k in i["keys"]
    }

    def keys_of(env_dict: dict) -> list[SSlibKey]:
        return [ssl_key(s["keyid"], keys[s["keyid"]][1]["public_key"]) for s in env_dict["signatures"]]

    envelopes = [("manifest", bundle["manifest"])] + [
        (f"approval #{n}", e) for n, e in enumerate(bundle["approvals"], start=1)
    ]
    for name, env in envelopes:
        ks = keys_of(env)
        payload = payload_of(env)
        tampered = dict(env, payload=b64(flip_first_bit(payload)))
        result(f"release {name}: flipped payload bit refused", *fails_to_verify(tampered, ks))
        tampered = dict(env, payloadType=env["payloadType"].replace("version=1", "version=2"))
        result(f"release {name}: changed payload type refused", *fails_to_verify(tampered, ks))
        sigs = copy.deepcopy(env["signatures"])
        sigs[0]["sig"] = b64(flip_first_bit(base64.b64decode(sigs[0]["sig"])))
        result(
            f"release {name}: flipped signature bit refused",
            *fails_to_verify(dict(env, signatures=sigs), ks),
        )
        other = next(
            (k for kid, (_, k) in keys.items() if kid != env["signatures"][0]["keyid"]), None
        )
        if other is None:
            result(f"release {name}: another key to try", False)
        else:
            wrong = [ssl_key(env["signatures"][0]["keyid"], other["public_key"])]
            result(f"release {name}: another identity's key refused", *fails_to_verify(env, wrong))
        variant = json.dumps(json.loads(payload), indent=1).encode()
        result(
            f"release {name}: a non-canonical payload is told apart",
            variant != payload and rfc8785.dumps(json.loads(variant)) == payload,
        )
    not_admin = [
        ssl_key(k["keyid"], k["public_key"])
        for i in policy["identities"] if i["id"] != policy["admin"]
        for k in i["keys"]
    ]
    result(
        "release policy: keys other than its admin's refused",
        *fails_to_verify(policy_env, not_admin[:1]),
    )

    # A tampered copy of the file: one base64 character of an approval's payload changed.
    text = bundle_bytes.decode()
    target = bundle["approvals"][0]["payload"] if bundle["approvals"] else bundle["manifest"]["payload"]
    at = text.index(target) + len(target) // 2
    with tempfile.TemporaryDirectory() as tmp:
        copy_path = Path(tmp) / "tampered.bundle.json"
        copy_path.write_text(flip_b64_char(text, at))
        failed = [
            name for name, ok, _ in bundle_checks(json.loads(copy_path.read_bytes()), policy_env)
            if not ok
        ]
        result("release tampered copy: refused by securesystemslib", bool(failed), "; ".join(failed[:3]))
        if countersign:
            lane = json.loads(payload_of(bundle["manifest"]))["lane"]["id"]
            for path, want, code in ((bundle_path, 0, None), (copy_path, 1, "approval_bad_signature")):
                proc = subprocess.run(
                    [countersign, "verify", str(path), "--lane", lane, "--policy", str(policy_path)],
                    capture_output=True, text=True, check=False, cwd=tmp,
                )
                ok = proc.returncode == want and (code is None or f"({code})" in proc.stderr)
                result(
                    f"countersign verify {'tampered copy refused' if want else 'accepts the bundle'}",
                    ok,
                    f"exit {proc.returncode}: {((proc.stderr or proc.stdout).strip() + chr(10)).splitlines()[0][:160]}",
                )


def main() -> int:
    args = sys.argv[1:]
    options: dict[str, str] = {}
    positional: list[str] = []
    while args:
        arg = args.pop(0)
        if arg in ("--bundle", "--policy", "--countersign") and args:
            options[arg] = args.pop(0)
        elif arg.startswith("--"):
            print(__doc__, file=sys.stderr)
            return 2
        else:
            positional.append(arg)
    bundle_mode = "--bundle" in options or "--policy" in options
    if (
        len(positional) not in (0, 2, 3)
        or (not positional and not bundle_mode)
        or (bundle_mode and not ("--bundle" in options and "--policy" in options))
    ):
        print(__doc__, file=sys.stderr)
        return 2
    try:
        if positional:
            fixtures = Path(positional[0])
            rust_checker = positional[1]
            print("Rust envelopes, verified by securesystemslib:")
            check_envelopes(fixtures / "envelopes.json")
            print("Rust canonical JSON, reproduced by rfc8785:")
            check_jcs(fixtures / "jcs")
            print("securesystemslib envelopes and rfc8785 JSON, checked by Rust:")
            if len(positional) == 3:
                check_python_made(rust_checker, Path(positional[2]))
            else:
                with tempfile.TemporaryDirectory() as work:
                    check_python_made(rust_checker, Path(work))
        if bundle_mode:
            print("A release bundle made by the countersign CLI, checked by securesystemslib and rfc8785:")
            check_bundle(Path(options["--bundle"]), Path(options["--policy"]), options.get("--countersign"))
    except Exception:  # noqa: BLE001 - a crash is a failure, not a pass
        traceback.print_exc()
        result("interop check ran to completion", False)
    print(f"interop: {PASSED} passed, {FAILED} failed")
    return 0 if FAILED == 0 and PASSED > 0 else 1


if __name__ == "__main__":
    sys.exit(main())
