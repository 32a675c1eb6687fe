// The Node.js echo function of wsgw's benchmarks, as a Lambda user writes it: the route is two-way,
// so what it returns is sent back to the caller. Run unchanged by wsgw (`runtime: nodejs`) and by
// serverless-offline.
export const handler = async (event) => ({ statusCode: 200, body: event.body });
