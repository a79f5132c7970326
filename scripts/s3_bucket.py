#!/usr/bin/env python3
"""Create an S3 bucket with one AWS Signature V4 signed PUT (standard library only).

Usage: s3_bucket.py ENDPOINT BUCKET   (credentials from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY,
region from AWS_REGION, default us-east-1). Exits 0 when the bucket exists afterwards.
"""
import datetime
import hashlib
import hmac
import os
import sys
import urllib.error
import urllib.parse
import urllib.request


def sign(key, msg):
    return hmac.new(key, msg.encode(), hashlib.sha256).digest()


def main():
    endpoint, bucket = sys.argv[1].rstrip("/"), sys.argv[2]
    access, secret = os.environ["AWS_ACCESS_KEY_ID"], os.environ["AWS_SECRET_ACCESS_KEY"]
    region = os.environ.get("AWS_REGION", "us-east-1")
    url = urllib.parse.urlsplit(endpoint)
    host = url.netloc
    now = datetime.datetime.now(datetime.timezone.utc)
    amz_date, day = now.strftime("%Y%m%dT%H%M%SZ"), now.strftime("%Y%m%d")
    payload_hash = hashlib.sha256(b"").hexdigest()
    canonical = "\n".join([
        "PUT", f"/{bucket}", "",
        f"host:{host}", f"x-amz-content-sha256:{payload_hash}", f"x-amz-date:{amz_date}", "",
        "host;x-amz-content-sha256;x-amz-date", payload_hash,
    ])
    scope = f"{day}/{region}/s3/aws4_request"
    to_sign = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope,
                         hashlib.sha256(canonical.encode()).hexdigest()])
    k = sign(sign(sign(sign(("AWS4" + secret).encode(), day), region), "s3"), "aws4_request")
    signature = hmac.new(k, to_sign.encode(), hashlib.sha256).hexdigest()
    req = urllib.request.Request(f"{endpoint}/{bucket}", method="PUT", data=b"", headers={
        "x-amz-date": amz_date,
        "x-amz-content-sha256": payload_hash,
        "Authorization": f"AWS4-HMAC-SHA256 Credential={access}/{scope}, "
                         f"SignedHeaders=host;x-amz-content-sha256;x-amz-date, Signature={signature}",
    })
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            print(f"bucket {bucket}: created ({r.status})", file=sys.stderr)
    except urllib.error.HTTPError as e:
        body = e.read().decode(errors="replace")
        if "BucketAlreadyOwnedByYou" in body or "BucketAlreadyExists" in body:
            print(f"bucket {bucket}: already there", file=sys.stderr)
            return 0
        print(f"creating bucket {bucket} failed: HTTP {e.code}: {body}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
