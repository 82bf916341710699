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
  app.addHook('onRequest', (request, _reply, done) => {
    if (request.headers['content-length'] !== undefined || request.headers['transfer-encoding'] !== undefined) {
      request.bodyDeadline = setTimeout(() => request.raw.destroy(), timeoutMs);
      request.bodyDeadline.unref();
    }
    done();
  });
  const clear = (request: { bodyDeadline: NodeJS.Timeout | undefined }) => {
    if (request.bodyDeadline) clearTimeout(request.bodyDeadline);
  };
  app.addHook('preValidation', (request, _reply, done) => {
    clear(request);
    done();
  });
  app.addHook('onResponse', (request, _reply, done) => {
    clear(request);
    done();
  });
  app.addHook('onRequestAbort', (request, done) => {
    clear(request);
    done();
  });
}
