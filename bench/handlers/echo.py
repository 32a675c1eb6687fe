# The Python echo function of wsgw's benchmarks, as a Lambda user writes it: the route is two-way,
# so what it returns is sent back to the caller. Run unchanged by wsgw (`runtime: python`) and by
# serverless-offline's Python runner.
def handler(event, context):
    return {"statusCode": 200, "body": event.get("body")}
