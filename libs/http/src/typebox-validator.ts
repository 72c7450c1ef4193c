import type { TSchema } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import type { FastifySchemaCompiler, FastifySchemaValidationError } from 'fastify';

/** Validation errors reported per request: enough to fix it, bounded for hostile bodies. */
const MAX_REPORTED_ERRORS = 5;

/**
 * Validates every request part against its TypeBox schema as sent: no coercion (`null`, `true` or `"3"` are not
 * the integer 3, as Ajv's default `coerceTypes` would have them), no silently dropped unknown properties, and
 * Transform types decoded (ids normalised once, at the edge).
 */
export const typeBoxValidatorCompiler: FastifySchemaCompiler<TSchema> = ({ schema }) => {
  const check = TypeCompiler.Compile(schema);
  return (value: unknown) => {
    if (check.Check(value)) return { value: check.Decode<unknown>(value) };
    const errors: FastifySchemaValidationError[] = [];
    for (const error of check.Errors(value)) {
      errors.push({ keyword: 'typebox', schemaPath: '', params: {}, message: error.message, instancePath: error.path });
      if (errors.length === MAX_REPORTED_ERRORS) break;
    }
    return { error: errors };
  };
};
