"""AWS's own host names, inside a function wsgw starts: when WSGW_AWS_REDIRECT=HOST:PORT is set,
every connection this process makes to `*.execute-api.REGION.amazonaws.com` or
`dynamodb.REGION.amazonaws.com` (any port) goes to HOST:PORT (the gateway) instead. Nothing else
changes: TLS still sends the AWS name as SNI and verifies the certificate against it, so
`boto3.client("dynamodb")` with no endpoint and an ApiGatewayManagementApi client with
`endpoint_url="https://abc123.execute-api.us-east-1.amazonaws.com/prod"` reach wsgw unchanged.
Every other host resolves as usual.

How: socket.getaddrinfo answers the gateway's address and port for those names. urllib3 (and so
botocore and requests), http.client, socket.create_connection and asyncio all resolve through it
and connect to the address it returns, while keeping the name they were given for SNI, the
certificate check and the Host header.

python_host.py installs it in each worker (install(report)); for `command` functions the
gateway puts sitecustomize.py beside this file on PYTHONPATH, which installs it with a report on
stderr. Standard library only, Python 3.9 or later.
"""

import os
import re
import socket
import sys
import threading

_AWS_NAME = re.compile(r"^(?:[a-z0-9]+\.execute-api|dynamodb)\.[a-z0-9-]+\.amazonaws\.com$")
_TARGET = re.compile(r"^(?:\[([0-9A-Fa-f:.]+)\]|([A-Za-z0-9.-]+)):(\d{1,5})$")
_state = None


def aws_name(host):
    """The AWS host name `host` is, lowercased and without a final dot, when it is one the gateway
    answers for; else None."""
    if isinstance(host, bytes):
        try:
            host = host.decode("ascii")
        except UnicodeDecodeError:
            return None
    if not isinstance(host, str):
        return None
    name = host.lower().rstrip(".")
    return name if _AWS_NAME.match(name) else None


def parse_target(text):
    """"127.0.0.1:3001", "localhost:3001" or "[::1]:3001" -> (host, port); None if malformed."""
    match = _TARGET.match(text or "")
    if not match:
        return None
    port = int(match.group(3))
    if not 0 < port < 65536:
        return None
    return (match.group(1) or match.group(2), port)


def describe(target):
    host, port = target
    return "%s:%d" % ("[%s]" % host if ":" in host else host, port)


def _default_report(line, name):
    sys.stderr.write("wsgw: %s\n" % line)
    sys.stderr.flush()


def install(report=None):
    """Installs the redirect in this process when WSGW_AWS_REDIRECT is set (once; a later call
    only replaces `report`, called as report(line, name) once per redirected host name). Returns
    whether connections are redirected. Never raises."""
    global _state
    if _state is not None:
        if report is not None:
            _state["report"] = report
        return True
    text = os.environ.get("WSGW_AWS_REDIRECT")
    if not text:
        return False
    target = parse_target(text)
    if target is None:
        try:
            (report or _default_report)(
                'WSGW_AWS_REDIRECT must be HOST:PORT (like 127.0.0.1:3001), found "%s": AWS host '
                "names are not redirected to wsgw" % text,
                None,
            )
        except Exception:
            pass
        return False
    state = {"target": target, "seen": set(), "lock": threading.Lock(), "report": report}
    state["report"] = report or _default_report
    original = socket.getaddrinfo

    def getaddrinfo(host, port, family=0, type=0, proto=0, flags=0):
        name = aws_name(host)
        if name is None:
            return original(host, port, family, type, proto, flags)
        with state["lock"]:
            first = name not in state["seen"]
            state["seen"].add(name)
        if first:
            try:
                state["report"](
                    "redirecting %s:%s to %s (wsgw; --no-aws-redirect turns it off)"
                    % (name, port if port is not None else "", describe(target)),
                    name,
                )
            except Exception:
                pass  # a report that cannot be delivered changes nothing here
        return original(target[0], target[1], family, type, proto, flags)

    getaddrinfo.__wrapped__ = original
    socket.getaddrinfo = getaddrinfo
    _state = state
    return True
