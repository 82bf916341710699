import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { TokenService } from './service.js';

/** `/.well-known/jwks.json`: the public keys resource servers verify access tokens with. */
export const jwksRoutes: FastifyPluginAsyncTypebox<{ tokens: TokenService }> = async (app, { tokens }) => {
  app.get('/.well-known/jwks.json', {
    schema: {
      tags: ['tokens'],
      summary: 'JSON Web Key Set (RFC 7517) of the access-token signing keys',
      response: { 200: Type.Object({ keys: Type.Array(Type.Object({}, { additionalProperties: true })) }) },
    },
  }, async (_request, reply) => {
    reply.header('cache-control', 'public, max-age=300');
    return tokens.jwks();
  });
};
