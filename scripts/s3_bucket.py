#!/usr/bin/env python3
"""Create an S3 bucket, or check that it takes an object, with AWS Signature V4 signed requests
(standard library only).

Usage:
  s3_bucket.py ENDPOINT BUCKET          create BUCKET; exits 0 when it exists afterwards
  s3_bucket.py ENDPOINT BUCKET --probe  PUT a small object, GET it back and DELETE it; exits 0
                                        when the bytes read are the bytes written

Credentials come from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, the region from AWS_REGION
(default us-east-1). A server that accepts a bucket can still refuse objects (SeaweedFS does so,
after a long wait, when its disk is nearly full), which is why the probe exists.
"""
import datetime
import hashlib
import hmac
import os
import sys
import urllib.error
import urllib.parse
import urllib.request


def _sign(key, msg):
    return hmac.new(key, msg.encode(), hashlib.sha256).digest()


def request(endpoint, method, path, body=b"", timeout=30):
    """One signed request; returns (status, body bytes). HTTP errors come back as their status."""
    access, secret = os.environ["AWS_ACCESS_KEY_ID"], os.environ["AWS_SECRET_ACCESS_KEY"]
    region = os.environ.get("AWS_REGION", "us-east-1")
    host = urllib.parse.urlsplit(endpoint).netloc
    now = datetime.datetime.now(datetime.timezone.utc)
    amz_date, day = now.strftime("%Y%m%dT%H%M%SZ"), now.strftime("%Y%m%d")
    payload_hash = hashlib.sha256(body).hexdigest()
    canonical = "\n".join([
        method, path, "",
        f"host:{host}", f"x-amz-content-sha256:{payload_hash}", f"x-amz-date:{amz_date}", "",
        "host;x-amz-content-sha256;x-amz-date", payload_hash,
    ])
    scope = f"{day}/{region}/s3/aws4_request"
    to_sign = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope,
                         hashlib.sha256(canonical.encode()).hexdigest()])
    k = _sign(_sign(_sign(_sign(("AWS4" + secret).encode(), day), region), "s3"), "aws4_request")
    signature = hmac.new(k, to_sign.encode(), hashlib.sha256).hexdigest()
    req = urllib.request.Request(f"{endpoint}{path}", method=method,
                                 data=body if method == "PUT" else None, headers={
        "x-amz-date": amz_date,
        "x-amz-content-sha256": payload_hash,
        "Authorization": f"AWS4-HMAC-SHA256 Credential={access}/{scope}, "
                         f"SignedHeaders=host;x-amz-content-sha256;x-amz-date, Signature={signature}",
    })
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def create(endpoint, bucket):
    status, body = request(endpoint, "PUT", f"/{bucket}")
    text = body.decode(errors="replace")
    if status < 300:
        print(f"bucket {bucket}: created ({status})", file=sys.stderr)
        return 0
    if "BucketAlreadyOwnedByYou" in text or "BucketAlreadyExists" in text:
        print(f"bucket {bucket}: already there", file=sys.stderr)
        return 0
    print(f"creating bucket {bucket} failed: HTTP {status}: {text}", file=sys.stderr)
    return 1


def probe(endpoint, bucket):
    key = f"/{bucket}/readiness-probe-{os.getpid()}"
    data = os.urandom(64)
    steps = [("PUT", data), ("GET", b""), ("DELETE", b"")]
    for method, body in steps:
        status, got = request(endpoint, method, key, body, timeout=20)
        if status >= 300:
            print(f"probe {method} {key}: HTTP {status}: {got.decode(errors='replace')}",
                  file=sys.stderr)
            return 1
        if method == "GET" and got != data:
            print(f"probe GET {key}: read {len(got)} bytes that differ from the 64 written",
                  file=sys.stderr)
            return 1
    return 0


def main():
    if len(sys.argv) not in (3, 4) or (len(sys.argv) == 4 and sys.argv[3] != "--probe"):
        print(__doc__, file=sys.stderr)
        return 2
    endpoint, bucket = sys.argv[1].rstrip("/"), sys.argv[2]
    try:
        return probe(endpoint, bucket) if len(sys.argv) == 4 else create(endpoint, bucket)
    except OSError as e:  # refused, reset or timed out: not up yet
        print(f"{endpoint}: {e}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
