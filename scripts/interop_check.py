#!/usr/bin/env python3
"""Interoperability check of countersign-signing against independent implementations.

Usage: interop_check.py FIXTURES_DIR RUST_CHECKER [WORK_DIR]

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


def main() -> int:
    if len(sys.argv) not in (3, 4):
        print(__doc__, file=sys.stderr)
        return 2
    fixtures = Path(sys.argv[1])
    rust_checker = sys.argv[2]
    try:
        print("Rust envelopes, verified by securesystemslib:")
        check_envelopes(fixtures / "envelopes.json")
        print("Rust canonical JSON, reproduced by rfc8785:")
        check_jcs(fixtures / "jcs")
        print("securesystemslib envelopes and rfc8785 JSON, checked by Rust:")
        if len(sys.argv) == 4:
            check_python_made(rust_checker, Path(sys.argv[3]))
        else:
            with tempfile.TemporaryDirectory() as work:
                check_python_made(rust_checker, Path(work))
    except Exception:  # noqa: BLE001 - a crash is a failure, not a pass
        traceback.print_exc()
        result("interop check ran to completion", False)
    print(f"interop: {PASSED} passed, {FAILED} failed")
    return 0 if FAILED == 0 and PASSED > 0 else 1


if __name__ == "__main__":
    sys.exit(main())
