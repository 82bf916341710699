import type { FastifyInstance } from 'fastify';

declare module 'fastify' {
  interface FastifyRequest {
    bodyDeadline: NodeJS.Timeout | undefined;
  }
}

/**
 * REQUEST_TIMEOUT_SECONDS bounds the whole request, body included. Node 20's own requestTimeout
 * is checked only every 30 s and not for a body trickled a byte at a time (the socket is never
 * idle), so a request with a body gets a deadline until it has been read.
 */
export function registerBodyTimeout(app: FastifyInstance, timeoutMs: number): void {
  app.decorateRequest('bodyDeadline', undefined);
  app.addHook('onRequest', async (request) => {
    if (request.headers['content-length'] === undefined && request.headers['transfer-encoding'] === undefined) return;
    request.bodyDeadline = setTimeout(() => request.raw.destroy(), timeoutMs);
    request.bodyDeadline.unref();
  });
  const clear = async (request: { bodyDeadline: NodeJS.Timeout | undefined }) => clearTimeout(request.bodyDeadline);
  app.addHook('preValidation', clear);
  app.addHook('onResponse', clear);
  app.addHook('onRequestAbort', clear);
}
