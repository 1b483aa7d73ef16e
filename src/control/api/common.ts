// Schemas and helpers shared by the resource plugins.
import { Type, type TLiteral, type TUnion } from '@sinclair/typebox';
import { t, type TSchema } from 'elysia';

export const APP_NAME_PATTERN = '^[A-Za-z0-9_-]{2,40}$';
/** stream names come from encoders: keep them URL-path safe */
export const STREAM_NAME_PATTERN = '^[A-Za-z0-9_.~-]{1,128}$';

/**
 * A string enum. Not t.UnionEnum: that one carries `default: values[0]`, which Elysia writes
 * into request bodies, so a PATCH that leaves the field out would reset it.
 */
type Literals<V extends readonly string[]> = { -readonly [K in keyof V]: TLiteral<V[K]> };
export const OneOf = <const V extends readonly [string, ...string[]]>(
  values: V,
  options: { description?: string } = {},
): TUnion<Literals<V>> => Type.Union(values.map((value) => Type.Literal(value)), options) as unknown as TUnion<Literals<V>>;

/** A plain JSON integer. Not t.Integer: Elysia's accepts numeric strings and defaults to 0. */
export const Int = (options: { minimum?: number; maximum?: number; description?: string } = {}) => Type.Integer(options);

export const AppName = t.String({ pattern: APP_NAME_PATTERN, description: '2-40 of A-Z a-z 0-9 _ -', examples: ['live'] });
export const StreamName = t.String({ pattern: STREAM_NAME_PATTERN, description: '1-128 of A-Z a-z 0-9 _ . ~ -', examples: ['demo'] });
export const Id = t.String({ minLength: 1, maxLength: 100 });
export const TimestampMs = t.Number({ description: 'milliseconds since the Unix epoch' });

export const AppParams = t.Object({ app: t.String({ description: 'app name' }) });
export const IdParams = t.Object({ id: t.String({ description: 'resource id' }) });
export const AppIdParams = t.Object({ app: t.String({ description: 'app name' }), id: t.String({ description: 'resource id' }) });
export const AppFilterQuery = t.Object({ app: t.Optional(t.String({ description: 'only this app' })) });

/** `{ items: [...] }`, the shape of every list */
export const ListOf = <T extends TSchema>(item: T) => t.Object({ items: t.Array(item) });

export const Empty = t.Void({ description: 'No content' });

/** copies a readonly list into the mutable array a response schema's type asks for */
export const items = <T>(list: readonly T[]): { items: T[] } => ({ items: [...list] });
