import { FormatRegistry } from '@sinclair/typebox';

// TypeBox's Value.Check rejects unknown string formats; register the ones the contracts use
// (Fastify validates HTTP bodies with Ajv + ajv-formats, which already knows them).
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
if (!FormatRegistry.Has('uuid')) FormatRegistry.Set('uuid', (value) => UUID.test(value));
if (!FormatRegistry.Has('date-time')) FormatRegistry.Set('date-time', (value) => !Number.isNaN(Date.parse(value)));
