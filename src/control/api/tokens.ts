// /api/v1/tokens: API tokens (`Authorization: Bearer weir_...`) for scripts. The plain token
// is in the create answer only; tokens act as the user who made them and are revocable.
import { Elysia, t } from 'elysia';
import type { ApiToken, AuthContext } from '../services/types.ts';
import { isAdmin, requireAuth } from './auth.ts';
import { Empty, IdParams, items, ListOf, TimestampMs } from './common.ts';
import type { ApiDeps } from './deps.ts';
import { ApiProblem, problemResponses } from './problem.ts';

const TokenFields = {
  id: t.String(),
  userId: t.String(),
  name: t.String(),
  prefix: t.String({ description: 'first characters of the token, for telling tokens apart' }),
  createdAtMs: TimestampMs,
  lastUsedAtMs: t.Nullable(TimestampMs),
  revokedAtMs: t.Nullable(TimestampMs),
};
export const ApiTokenSchema = t.Object(TokenFields, { description: 'An API token (without its secret)' });
const CreatedApiTokenSchema = t.Object(
  { ...TokenFields, token: t.String({ description: 'the plain token (weir_...): shown in this answer only' }) },
  { description: 'A new API token with its secret (shown once)' },
);
const TokenCreate = t.Object({ name: t.String({ minLength: 1, maxLength: 100, examples: ['deploy script'] }) });
const TokenQuery = t.Object({ all: t.Optional(t.Boolean({ description: "admins: everyone's tokens" })) });

const tags = ['API tokens'];

export const tokenRoutes = (deps: ApiDeps) => {
  const auth = deps.services.auth;
  /** your own tokens, or anyone's for an admin; others' look absent */
  const visible = (caller: AuthContext, id: string): ApiToken => {
    const token = auth.getToken(id);
    if (token.userId !== caller.user.id && !isAdmin(caller)) throw new ApiProblem('not-found', `API token '${id}' not found`);
    return token;
  };
  return new Elysia({ prefix: '/tokens' })
    .use(requireAuth(deps))
    .get('', ({ auth: caller, query }) => items(auth.listTokens(query.all === true && isAdmin(caller) ? undefined : caller.user.id)), {
      query: TokenQuery,
      response: { 200: ListOf(ApiTokenSchema), ...problemResponses(400, 401) },
      detail: {
        tags,
        summary: 'List your API tokens',
        description: 'Revoked tokens stay listed with revokedAtMs set; secrets are never listed.',
      },
    })
    .post(
      '',
      ({ auth: caller, body, set }) => {
        const { apiToken, token } = auth.createToken(caller.user.id, body.name);
        set.status = 201;
        return { ...apiToken, token };
      },
      {
        body: TokenCreate,
        parse: 'json',
        response: { 201: CreatedApiTokenSchema, ...problemResponses(400, 401, 403) },
        detail: { tags, summary: 'Create an API token', description: 'The answer holds the plain token, once. It acts as you.' },
      },
    )
    .get('/:id', ({ auth: caller, params }) => visible(caller, params.id), {
      params: IdParams,
      response: { 200: ApiTokenSchema, ...problemResponses(401, 404) },
      detail: { tags, summary: 'Get an API token' },
    })
    .delete(
      '/:id',
      ({ auth: caller, params, set }) => {
        visible(caller, params.id);
        auth.revokeToken(params.id);
        set.status = 204;
      },
      {
        params: IdParams,
        response: { 204: Empty, ...problemResponses(401, 403, 404) },
        detail: { tags, summary: 'Revoke an API token', description: 'Idempotent; the token is refused from then on.' },
      },
    );
};
