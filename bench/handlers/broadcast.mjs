// The Node.js broadcast function of wsgw's benchmarks: $connect and $disconnect keep the ids of the
// connected clients in memory (the benchmark runs it as a single execution environment), and
// {"action":"broadcast"} posts the message to every one of them at once through @connections.
import {
  ApiGatewayManagementApiClient,
  PostToConnectionCommand,
} from '@aws-sdk/client-apigatewaymanagementapi';

const connections = new Set();
let client;

export const handler = async (event) => {
  const { routeKey, connectionId } = event.requestContext;
  if (routeKey === '$connect') {
    connections.add(connectionId);
    return { statusCode: 200 };
  }
  if (routeKey === '$disconnect') {
    connections.delete(connectionId);
    return { statusCode: 200 };
  }
  client ??= new ApiGatewayManagementApiClient({ endpoint: process.env.WSGW_MANAGEMENT_ENDPOINT });
  const posts = [...connections].map((id) =>
    client.send(new PostToConnectionCommand({ ConnectionId: id, Data: event.body })));
  const failed = (await Promise.allSettled(posts)).filter((p) => p.status === 'rejected');
  if (failed.length > 0) console.error(`${failed.length} of ${posts.length} posts failed`);
  return { statusCode: 200 };
};
