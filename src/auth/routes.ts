import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyRequest } from 'fastify';
import { userOf, type Guards } from '../http/auth-guard.js';
import { errorResponses } from '../http/openapi.js';
import type { AuthService, RequestContext } from './service.js';
import { userView } from './views.js';
import * as s from './schemas.js';

export const contextOf = (request: FastifyRequest): RequestContext => ({
  ip: request.ip,
  request_id: request.id,
  userAgent: request.headers['user-agent'],
});

const NO_STORE = { 'cache-control': 'no-store', pragma: 'no-cache' };

/** `/api/v1/auth`: registration, login, token refresh and revocation, introspection. */
export const authRoutes: FastifyPluginAsyncTypebox<{ auth: AuthService; guards: Guards }> = async (app, { auth, guards }) => {
  const tags = ['auth'];
  const bearer = [{ bearerAuth: [] }];

  app.post('/register', {
    config: { rateLimit: 'register' },
    schema: { tags, summary: 'Create an account', body: s.RegisterBody, response: { 201: s.UserResponse, ...errorResponses(400, 409, 413, 415) } },
  }, async (request, reply) => {
    const user = await auth.register(request.body, contextOf(request));
    return reply.status(201).send(userView(user));
  });

  app.post('/login', {
    config: { rateLimit: 'login' },
    schema: { tags, summary: 'Exchange email and password for tokens', body: s.LoginBody, response: { 200: s.TokenResponse, ...errorResponses(400, 401) } },
  }, async (request, reply) => {
    reply.headers(NO_STORE);
    return auth.login(request.body, contextOf(request));
  });

  app.post('/refresh', {
    config: { rateLimit: 'refresh' },
    schema: { tags, summary: 'Rotate a refresh token for new tokens', body: s.RefreshBody, response: { 200: s.TokenResponse, ...errorResponses(400, 401) } },
  }, async (request, reply) => {
    reply.headers(NO_STORE);
    return auth.refresh(request.body.refresh_token, contextOf(request));
  });

  app.post('/logout', {
    preHandler: guards.user,
    schema: { tags, summary: 'Revoke this access token and its session', security: bearer, response: { 204: Type.Null(), ...errorResponses(401) } },
  }, async (request, reply) => {
    await auth.logout(userOf(request), contextOf(request));
    return reply.status(204).send(null);
  });

  app.post('/logout-all', {
    preHandler: guards.user,
    schema: { tags, summary: 'Revoke every session of the signed-in user', security: bearer, response: { 200: Type.Object({ sessions_revoked: Type.Integer() }), ...errorResponses(401) } },
  }, async (request) => ({ sessions_revoked: await auth.logoutAll(userOf(request), contextOf(request)) }));

  app.get('/me', {
    preHandler: guards.user,
    schema: { tags, summary: 'The signed-in user', security: bearer, response: { 200: s.UserResponse, ...errorResponses(401) } },
  }, async (request) => userView(await auth.me(userOf(request))));

  app.post('/password', {
    config: { rateLimit: 'password' },
    preHandler: guards.user,
    schema: {
      tags, summary: 'Change the password; revokes every other session', security: bearer, body: s.PasswordBody,
      response: { 200: Type.Object({ sessions_revoked: Type.Integer() }), ...errorResponses(400, 401) },
    },
  }, async (request) => ({ sessions_revoked: await auth.changePassword(userOf(request), request.body, contextOf(request)) }));

  app.post('/introspect', {
    config: { rateLimit: 'introspect' },
    preHandler: guards.apiKeyOrAdmin,
    schema: {
      tags, summary: 'RFC 7662 token introspection (form or JSON body)', security: [{ apiKey: [] }, { bearerAuth: [] }],
      consumes: ['application/x-www-form-urlencoded', 'application/json'],
      body: s.IntrospectBody, response: { 200: s.IntrospectionResponse, ...errorResponses(400, 401, 403) },
    },
  }, async (request, reply) => {
    reply.headers(NO_STORE);
    return auth.introspect(request.body.token, request.body.token_type_hint);
  });

  app.get('/security-info', {
    schema: { tags, summary: 'The public password and token policy', response: { 200: s.SecurityInfoResponse } },
  }, async () => auth.securityInfo());
};
