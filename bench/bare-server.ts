/**
 * Baseline server for `npm run bench`: a bare Fastify hello-world route, same Fastify version
 * as Vigil, logger off. The port (listen on 0) is reported to the parent over IPC.
 *
 * `/hello/work/<µs>` is the same answer after that many microseconds of busy work on the event
 * loop: a calibration of the ratio against hello (what a route that adds only CPU work scores).
 */
import Fastify from 'fastify';

const app = Fastify({ logger: false });
app.get('/hello', async () => ({ hello: 'world' }));
app.get<{ Params: { us: string } }>('/hello/work/:us', async (request) => {
  const end = performance.now() + (Number(request.params.us) || 0) / 1000;
  while (performance.now() < end);
  return { hello: 'world' };
});

const address = await app.listen({ host: '127.0.0.1', port: 0 });
process.send?.({ type: 'listening', address });

const stop = () => {
  void app.close().then(() => process.exit(0));
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
process.on('disconnect', stop);
