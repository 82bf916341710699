import { Type } from '@sinclair/typebox';

/** Problem responses for the listed statuses, for route schemas (OpenAPI and serialisation). */
export function errorResponses(...statuses: number[]): Record<number, unknown> {
  return Object.fromEntries(statuses.map((s) => [s, Type.Ref('Problem')]));
}

export const OPENAPI_INFO = {
  title: 'Vigil',
  description: 'Authentication and security service for APIs. Errors are RFC 9457 `application/problem+json`; see docs/errors.md.',
};
