#!/usr/bin/env python3
"""Signs ECS requests with real botocore, the way the AWS CLI does, and prints them as JSON.

The output is committed as `tests/fixtures/botocore.json`; `tests/botocore.rs` verifies every
request in it with `kube_ecs_sigv4`, so the Rust tests never need Python. Regenerate with

    /tmp/awsvenv/bin/python crates/sigv4/tests/botocore_vectors.py \
        > crates/sigv4/tests/fixtures/botocore.json

(any Python with botocore installed will do; the fixture records the botocore version it came
from). The signing clock is pinned per case, so the output is deterministic.

Each case is built as botocore builds an ECS call: an `AWSRequest` for `POST /` with the
`X-Amz-Target` of the operation, `Content-Type: application/x-amz-json-1.1`, a JSON body and a
User-Agent, signed by `botocore.auth.SigV4Auth` for the service `ecs`. What the server receives is
then written down as the HTTP layer sends it: the prepared request's method, path, query, headers
and body, plus the `Host` header (urllib3 adds it from the URL after signing; botocore signs the
host it derives from the URL). botocore's own canonical request and string to sign are recorded
too, so the Rust test can compare them line by line.
"""

import datetime
import json
import sys
from unittest import mock
from urllib.parse import urlsplit

import botocore
import botocore.auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

ACCESS_KEY_ID = "AKIAKUBEECSEXAMPLE01"
SECRET_ACCESS_KEY = "kube/ecs+Secret/Key/For/Tests/0123456789"
SESSION_TOKEN = (
    "FwoGZXIvYXdzEKUBEECS//////////wEaDKubeEcsSessionTokenForTests+/="
)
TARGET_PREFIX = "AmazonEC2ContainerServiceV20141113."
USER_AGENT = "aws-cli/1.46.3 md/Botocore#1.44.8 ua/2.1 os/linux md/arch#x86_64 lang/python#3.11.7"


def case(name, *, when, region="us-east-1", port=8080, operation="ListClusters",
         body=b"{}", token=None, method="POST", path="/", params=None, extra_headers=None,
         service="ecs"):
    url = f"http://127.0.0.1:{port}{path}"
    headers = {
        "X-Amz-Target": TARGET_PREFIX + operation,
        "Content-Type": "application/x-amz-json-1.1",
        "User-Agent": USER_AGENT,
    }
    headers.update(extra_headers or {})
    request = AWSRequest(method=method, url=url, data=body, headers=headers,
                         params=params or {})
    credentials = Credentials(ACCESS_KEY_ID, SECRET_ACCESS_KEY, token)
    signer = botocore.auth.SigV4Auth(credentials, service, region)
    # Record the canonical request and string to sign botocore computes while signing (computed
    # again afterwards they would include the Authorization header just added).
    recorded = {}
    canonical_request_of, string_to_sign_of = signer.canonical_request, signer.string_to_sign

    def canonical_request(req):
        recorded["canonical_request"] = canonical_request_of(req)
        return recorded["canonical_request"]

    def string_to_sign(req, creq):
        recorded["string_to_sign"] = string_to_sign_of(req, creq)
        return recorded["string_to_sign"]

    signer.canonical_request, signer.string_to_sign = canonical_request, string_to_sign
    with mock.patch.object(botocore.auth, "get_current_datetime", return_value=when):
        signer.add_auth(request)

    prepared = request.prepare()
    wire = urlsplit(prepared.url)
    sent_headers = [["Host", wire.netloc]]
    sent_headers += [[k, v] for k, v in prepared.headers.items()]
    body_bytes = prepared.body or b""
    if isinstance(body_bytes, str):
        body_bytes = body_bytes.encode("utf-8")
    return {
        "name": name,
        "service": service,
        "region": region,
        "access_key_id": ACCESS_KEY_ID,
        "secret_access_key": SECRET_ACCESS_KEY,
        "session_token": token,
        "signed_at": when.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "request": {
            "method": prepared.method,
            "path": wire.path,
            "query": wire.query,
            "headers": sent_headers,
            "body": body_bytes.decode("utf-8"),
        },
        "canonical_request": recorded["canonical_request"],
        "string_to_sign": recorded["string_to_sign"],
        "authorization": request.headers["Authorization"],
    }


def utc(*args):
    return datetime.datetime(*args, tzinfo=datetime.timezone.utc).replace(tzinfo=None)


def main():
    cases = [
        case("list-clusters", when=utc(2026, 3, 1, 10, 20, 30)),
        case("list-clusters-session-token", when=utc(2026, 3, 1, 10, 20, 30),
             token=SESSION_TOKEN),
        case("describe-clusters-utf8-body", when=utc(2026, 7, 14, 23, 59, 59),
             operation="DescribeClusters", region="eu-west-1", port=4566,
             body=json.dumps({"clusters": ["default", "caf\u00e9 \u1234"],
                              "include": ["TAGS"]}, ensure_ascii=False).encode("utf-8")),
        case("run-task-larger-body", when=utc(2025, 12, 31, 23, 50, 0), operation="RunTask",
             region="ap-southeast-2", port=30443,
             body=json.dumps({"cluster": "default", "taskDefinition": "web:3", "count": 2,
                              "overrides": {"containerOverrides": [
                                  {"name": "web", "command": ["sh", "-c", "echo  a   b"],
                                   "environment": [{"name": "K", "value": "v=1&w=2"}]}]}},
                             ).encode("utf-8")),
        # botocore signs with the Date header instead of X-Amz-Date when the request has one.
        case("date-header-instead-of-x-amz-date", when=utc(2026, 3, 1, 10, 20, 30),
             extra_headers={"Date": "placeholder, botocore rewrites it"}),
        # Not an ECS call: a GET with a query and an encoded path, to pin botocore's
        # query sorting/encoding ('+' for spaces on the wire) and its double path encoding.
        case("get-with-query-and-encoded-path", when=utc(2026, 3, 1, 10, 20, 30),
             method="GET", body=b"", path="/a%20b/./c//d%2Fe/",
             params=[("b", "2 3"), ("a", "\u00fc+&="), ("a", "Z"), ("empty", "")],
             operation="ListClusters"),
    ]
    json.dump({"botocore_version": botocore.__version__, "cases": cases}, sys.stdout,
              indent=2, ensure_ascii=False)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
