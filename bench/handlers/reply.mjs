// The Node.js "reply through @connections" function of wsgw's benchmarks: it sends the message back
// with PostToConnection (the AWS SDK v3 client) instead of a route response. WSGW_MANAGEMENT_ENDPOINT
// is set by wsgw for every function it starts, and by the benchmark's serverless.yml for
// serverless-offline (whose events do not name a reachable endpoint).
import {
  ApiGatewayManagementApiClient,
  PostToConnectionCommand,
} from '@aws-sdk/client-apigatewaymanagementapi';

let client;

export const handler = async (event) => {
  const { routeKey, connectionId } = event.requestContext;
  if (routeKey === '$connect' || routeKey === '$disconnect') return { statusCode: 200 };
  client ??= new ApiGatewayManagementApiClient({ endpoint: process.env.WSGW_MANAGEMENT_ENDPOINT });
  await client.send(new PostToConnectionCommand({ ConnectionId: connectionId, Data: event.body }));
  return { statusCode: 200 };
};
