import Ajv, { type ErrorObject } from 'ajv';
import addFormats from 'ajv-formats';
import type { FastifySchemaCompiler } from 'fastify';
import type { FieldError } from '../errors/index.js';

function makeAjv(coerceTypes: boolean | 'array') {
  // removeAdditional: false — an unexpected field is a 400, never silently dropped.
  const ajv = new Ajv.default({ allErrors: true, removeAdditional: false, useDefaults: true, coerceTypes, strict: false });
  addFormats.default(ajv);
  return ajv;
}

/**
 * Bodies are validated strictly (a number is not a string); query strings, params and headers,
 * which are text on the wire, are coerced.
 */
export function validatorCompiler(): FastifySchemaCompiler<unknown> {
  const strict = makeAjv(false);
  const coercing = makeAjv('array');
  return ({ schema, httpPart }) => (httpPart === 'body' ? strict : coercing).compile(schema as object) as ReturnType<FastifySchemaCompiler<unknown>>;
}

/** Ajv errors as field errors located by JSON pointers (RFC 6901). */
export function fieldErrors(errors: Partial<ErrorObject>[]): FieldError[] {
  return errors.map((e) => {
    let pointer = e.instancePath ?? '';
    const params = (e.params ?? {}) as Record<string, unknown>;
    if (e.keyword === 'required' && typeof params.missingProperty === 'string') {
      return { pointer: `${pointer}/${escape(params.missingProperty)}`, detail: 'is required' };
    }
    if (e.keyword === 'additionalProperties' && typeof params.additionalProperty === 'string') {
      return { pointer: `${pointer}/${escape(params.additionalProperty)}`, detail: 'is not an accepted field' };
    }
    if (pointer === '') pointer = '/';
    return { pointer, detail: e.message ?? 'is invalid' };
  });
}

const escape = (name: string) => name.replace(/~/g, '~0').replace(/\//g, '~1');
