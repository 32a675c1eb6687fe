"""Runs @connections operations with boto3, the way a Python Lambda function calls them.

Usage: /usr/bin/python3 mgmt_boto3.py ENDPOINT_URL OPS_JSON

OPS_JSON is a list of operations run in order, each
  {"op": "post", "id": ID, "data": TEXT} or {"op": "post", "id": ID, "dataBase64": B64}
  {"op": "get", "id": ID}
  {"op": "delete", "id": ID}
Prints one JSON object on stdout: {"results": [...]}, one result per operation:
  {"ok": true, "status": 200, ...}                       the call succeeded (get adds the fields)
  {"ok": false, "error": CODE, "status": N, "requestId": ..., "gone": BOOL}
"gone" is true only when the exception was caught as client.exceptions.GoneException, the class
boto3 builds from the service model, so a wrong x-amzn-ErrorType cannot pass as a 410.
"""

import base64
import json
import sys

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError


def describe_error(error, gone):
    response = error.response
    return {
        "ok": False,
        "gone": gone,
        "error": response.get("Error", {}).get("Code"),
        "status": response.get("ResponseMetadata", {}).get("HTTPStatusCode"),
        "requestId": response.get("ResponseMetadata", {}).get("RequestId"),
    }


def run(client, op):
    kind = op["op"]
    if kind == "post":
        data = base64.b64decode(op["dataBase64"]) if "dataBase64" in op else op["data"].encode()
        response = client.post_to_connection(ConnectionId=op["id"], Data=data)
        return {"ok": True, "status": response["ResponseMetadata"]["HTTPStatusCode"]}
    if kind == "get":
        response = client.get_connection(ConnectionId=op["id"])
        return {
            "ok": True,
            "status": response["ResponseMetadata"]["HTTPStatusCode"],
            # botocore parses the ISO-8601 strings into aware datetimes; send them back as epoch ms.
            "connectedAtMs": int(response["ConnectedAt"].timestamp() * 1000),
            "lastActiveAtMs": int(response["LastActiveAt"].timestamp() * 1000),
            "identity": response.get("Identity"),
        }
    if kind == "delete":
        response = client.delete_connection(ConnectionId=op["id"])
        return {"ok": True, "status": response["ResponseMetadata"]["HTTPStatusCode"]}
    raise ValueError(f"unknown op {kind!r}")


def main():
    endpoint, ops = sys.argv[1], json.loads(sys.argv[2])
    client = boto3.client(
        "apigatewaymanagementapi",
        endpoint_url=endpoint,
        region_name="us-east-1",
        config=Config(retries={"max_attempts": 1}, connect_timeout=5, read_timeout=5),
    )
    results = []
    for op in ops:
        try:
            results.append(run(client, op))
        except client.exceptions.GoneException as error:
            results.append(describe_error(error, True))
        except ClientError as error:
            results.append(describe_error(error, False))
    print(json.dumps({"results": results}))


if __name__ == "__main__":
    main()
