import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import secureJson from 'secure-json-parse';
import { DomainError } from '@earshot/contracts';

export interface JsonBodyOptions {
  /** Deepest nesting of arrays and objects accepted. */
  maxDepth: number;
}

/**
 * Fastify's JSON parsing (secure-json-parse, `__proto__` and `constructor.prototype` refused) plus what no
 * schema can say: nesting deeper than `maxDepth` (JSON.stringify and PostgreSQL's jsonb give up long before
 * the parser does) and U+0000 in any key or string (PostgreSQL text and jsonb cannot hold it). Both are
 * 400 VALIDATION.
 */
export const jsonBodyPlugin = fp(async (app: FastifyInstance, options: JsonBodyOptions) => {
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser(
    'application/json',
    { parseAs: 'string' },
    async (_request: FastifyRequest, body: string) => {
      if (body.length === 0) throw new DomainError('VALIDATION', 'The JSON body is empty');
      let value: unknown;
      try {
        value = secureJson.parse(body, { protoAction: 'error', constructorAction: 'error' });
      } catch {
        throw new DomainError('VALIDATION', 'The body is not valid JSON');
      }
      const problem = unstorableJson(value, options.maxDepth);
      if (problem) throw new DomainError('VALIDATION', `The JSON body is not accepted: ${problem}`);
      return value;
    },
  );
});

/** Why a parsed JSON value cannot be stored, or undefined. Iterative: the depth is what it guards against. */
export function unstorableJson(value: unknown, maxDepth: number): string | undefined {
  const pending: [unknown, number][] = [[value, 1]];
  for (let next = pending.pop(); next; next = pending.pop()) {
    const [item, depth] = next;
    if (typeof item === 'string') {
      if (item.includes('\u0000')) return 'a string contains U+0000';
      continue;
    }
    if (item === null || typeof item !== 'object') continue;
    if (depth > maxDepth) return `nested deeper than ${maxDepth} levels`;
    for (const [key, child] of Object.entries(item)) {
      if (key.includes('\u0000')) return 'a key contains U+0000';
      pending.push([child, depth + 1]);
    }
  }
  return undefined;
}
