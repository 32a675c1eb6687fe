"""Drives a DynamoDB endpoint with boto3, the way a Python Lambda function does: the low-level
client and the resource `Table` with boto3.dynamodb.conditions.

Usage: /usr/bin/python3 ddb_boto3.py ENDPOINT_URL

Runs one fixed scenario and prints one JSON object on stdout, one member per step (numbers from
DynamoDB arrive as Decimal and are printed as strings, so nothing is rounded on the way):
  created          the table's status after the table_exists waiter
  query_between    [ts...] of room "a" with ts between 5 and 9 (Key conditions)
  query_desc_page  {"ts": [...], "more": bool}: room "b", newest first, Limit 3
  scan_filtered    [[room, ts]...] sorted: author "ann" and ts > 10 (Attr conditions, paginated)
  scan_pages       how many Scan pages that took with Limit 7
  put_new          "ok" for a put with Attr("id").not_exists() on a new id
  put_existing     {"code": e.response["Error"]["Code"], "status": HTTP status, "caught": bool}
                   "caught" is true only when table.meta.client.exceptions.Conditional
                   CheckFailedException caught it (the class boto3 builds from the service model)
  update           ReturnValues=ALL_NEW of ADD visits 1, SET tags = list_append(...)
  get_missing      whether get_item of a missing key has an "Item" member
  low_level        the low-level client's get_item of the item the resource wrote
  missing_table    {"code": ..., "status": ...} for a query on a table that does not exist
  deleted          the table count after delete_table and the table_not_exists waiter
"""

import json
import os
import sys
from decimal import Decimal

import boto3
from boto3.dynamodb.conditions import Attr, Key
from botocore.config import Config
from botocore.exceptions import ClientError


def plain(value):
    """Decimals (DynamoDB numbers) as strings, sets as sorted lists: JSON that loses nothing."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (set, frozenset)):
        return sorted(plain(v) for v in value)
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, bytes):
        return value.hex()
    return value


def error_of(error):
    return {
        "code": error.response.get("Error", {}).get("Code"),
        "status": error.response.get("ResponseMetadata", {}).get("HTTPStatusCode"),
    }


def wait(client, waiter, name):
    client.get_waiter(waiter).wait(TableName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 30})


def main():
    endpoint = sys.argv[1]
    config = Config(retries={"max_attempts": 1}, connect_timeout=5, read_timeout=10)
    session = boto3.session.Session(
        aws_access_key_id=os.environ.get("AWS_ACCESS_KEY_ID", "AKIDWSGWTEST"),
        aws_secret_access_key=os.environ.get("AWS_SECRET_ACCESS_KEY", "wsgw-test-secret"),
        region_name="us-east-1",
    )
    dynamodb = session.resource("dynamodb", endpoint_url=endpoint, config=config)
    client = session.client("dynamodb", endpoint_url=endpoint, config=config)
    out = {}

    chat = dynamodb.create_table(
        TableName="boto_chat",
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[
            {"AttributeName": "room", "AttributeType": "S"},
            {"AttributeName": "ts", "AttributeType": "N"},
        ],
        KeySchema=[
            {"AttributeName": "room", "KeyType": "HASH"},
            {"AttributeName": "ts", "KeyType": "RANGE"},
        ],
    )
    wait(client, "table_exists", "boto_chat")
    chat.reload()
    out["created"] = chat.table_status

    with chat.batch_writer() as batch:
        for room in ("a", "b"):
            for ts in range(1, 21):
                batch.put_item(
                    Item={"room": room, "ts": ts, "author": "ann" if ts % 2 else "ben", "text": "m%d" % ts}
                )

    between = chat.query(KeyConditionExpression=Key("room").eq("a") & Key("ts").between(5, 9))
    out["query_between"] = [plain(item["ts"]) for item in between["Items"]]

    page = chat.query(KeyConditionExpression=Key("room").eq("b"), ScanIndexForward=False, Limit=3)
    out["query_desc_page"] = {
        "ts": [plain(item["ts"]) for item in page["Items"]],
        "more": "LastEvaluatedKey" in page,
    }

    found, pages, start = [], 0, None
    while True:
        kwargs = {"FilterExpression": Attr("author").eq("ann") & Attr("ts").gt(10), "Limit": 7}
        if start:
            kwargs["ExclusiveStartKey"] = start
        response = chat.scan(**kwargs)
        pages += 1
        found.extend([item["room"], plain(item["ts"])] for item in response["Items"])
        start = response.get("LastEvaluatedKey")
        if not start:
            break
    out["scan_filtered"] = sorted(found, key=lambda pair: (pair[0], int(pair[1])))
    out["scan_pages"] = pages

    connections = dynamodb.create_table(
        TableName="boto_connections",
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
    )
    wait(client, "table_exists", "boto_connections")
    connections.put_item(Item={"id": "c1", "room": "a"}, ConditionExpression=Attr("id").not_exists())
    out["put_new"] = "ok"
    try:
        connections.put_item(Item={"id": "c1", "room": "z"}, ConditionExpression=Attr("id").not_exists())
        out["put_existing"] = {"code": None}
    except connections.meta.client.exceptions.ConditionalCheckFailedException as error:
        out["put_existing"] = {**error_of(error), "caught": True}
    except ClientError as error:
        out["put_existing"] = {**error_of(error), "caught": False}

    updated = connections.update_item(
        Key={"id": "c1"},
        UpdateExpression="ADD visits :one SET tags = list_append(if_not_exists(tags, :empty), :t)",
        ExpressionAttributeValues={":one": 1, ":empty": [], ":t": ["x"]},
        ReturnValues="ALL_NEW",
    )
    out["update"] = plain(updated["Attributes"])
    out["get_missing"] = "Item" in connections.get_item(Key={"id": "nobody"})
    out["low_level"] = client.get_item(TableName="boto_connections", Key={"id": {"S": "c1"}})["Item"]

    try:
        dynamodb.Table("boto_nowhere").query(KeyConditionExpression=Key("id").eq("x"))
        out["missing_table"] = {"code": None}
    except ClientError as error:
        out["missing_table"] = error_of(error)

    for table in (chat, connections):
        table.delete()
        wait(client, "table_not_exists", table.name)
    out["deleted"] = len([n for n in client.list_tables()["TableNames"] if n.startswith("boto_")])

    print(json.dumps(out))


if __name__ == "__main__":
    main()
