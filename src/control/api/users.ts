// /api/v1/users: accounts for the console and the API. Admins manage them; everyone may
// read themselves (/users/me), change their own language and their own password.
import { Elysia, t } from 'elysia';
import { isDomainError } from '../services/errors.ts';
import type { AuthContext } from '../services/types.ts';
import { USER_ROLES } from '../services/user-service.ts';
import { assertAdmin, isAdmin, requireAuth } from './auth.ts';
import { Empty, items, ListOf, OneOf, TimestampMs } from './common.ts';
import type { ApiDeps } from './deps.ts';
import { ApiProblem, problemResponses } from './problem.ts';

export const USERNAME_PATTERN = '^[A-Za-z0-9_.-]{2,40}$';
const Username = t.String({ pattern: USERNAME_PATTERN, description: '2-40 of A-Z a-z 0-9 _ . -' });
const Password = t.String({ minLength: 8, maxLength: 256 });
const Role = OneOf(USER_ROLES, { description: 'admins change things; viewers read' });
const Language = t.String({ pattern: '^[a-z]{2,3}(?:-[A-Za-z0-9]{2,8})*$', description: "console language, e.g. 'en' or 'pt-BR'" });

export const UserSchema = t.Object(
  { id: t.String(), username: t.String(), role: Role, language: t.String(), createdAtMs: TimestampMs },
  { description: 'A user' },
);
const UserCreate = t.Object({ username: Username, password: Password, role: t.Optional(Role), language: t.Optional(Language) });
const UserUpdate = t.Object({ role: t.Optional(Role), language: t.Optional(Language) });
const PasswordChange = t.Object({
  currentPassword: t.Optional(t.String({ maxLength: 256, description: 'required when changing your own password' })),
  newPassword: Password,
});
const UserParams = t.Object({ id: t.String({ description: "user id, or 'me'" }) });

/** 'me' means the caller; anyone else needs an admin */
function target(auth: AuthContext, id: string, what: string): string {
  if (id === 'me' || id === auth.user.id) return auth.user.id;
  if (!isAdmin(auth)) throw new ApiProblem('forbidden', `Only an admin can ${what} another user`);
  return id;
}

const tags = ['users'];

export const userRoutes = (deps: ApiDeps) => {
  const users = deps.services.users;
  return new Elysia({ prefix: '/users' })
    .use(requireAuth(deps))
    .get(
      '',
      ({ auth }) => {
        assertAdmin(auth);
        return items(users.list());
      },
      {
        response: { 200: ListOf(UserSchema), ...problemResponses(401, 403) },
        detail: { tags, summary: 'List users (admin)' },
      },
    )
    .post(
      '',
      async ({ auth, body, set }) => {
        assertAdmin(auth);
        const user = await users.create(body);
        set.status = 201;
        return user;
      },
      {
        body: UserCreate,
        parse: 'json',
        response: { 201: UserSchema, ...problemResponses(400, 401, 403, 409) },
        detail: { tags, summary: 'Create a user (admin)', description: "The role defaults to 'viewer'." },
      },
    )
    .get('/:id', ({ auth, params }) => users.get(target(auth, params.id, 'read')), {
      params: UserParams,
      response: { 200: UserSchema, ...problemResponses(401, 403, 404) },
      detail: { tags, summary: "Get a user ('me' for yourself)" },
    })
    .patch(
      '/:id',
      ({ auth, params, body }) => {
        const id = target(auth, params.id, 'change');
        if (body.role !== undefined) assertAdmin(auth);
        return users.update(id, body);
      },
      {
        params: UserParams,
        body: UserUpdate,
        parse: 'json',
        response: { 200: UserSchema, ...problemResponses(400, 401, 403, 404) },
        detail: {
          tags,
          summary: 'Change a user',
          description: 'Everyone may change their own language; roles are changed by admins. The last admin cannot be demoted.',
        },
      },
    )
    .delete(
      '/:id',
      ({ auth, params, set }) => {
        assertAdmin(auth);
        users.delete(params.id === 'me' ? auth.user.id : params.id);
        set.status = 204;
      },
      {
        params: UserParams,
        response: { 204: Empty, ...problemResponses(401, 403, 404) },
        detail: {
          tags,
          summary: 'Delete a user (admin)',
          description: "Also ends the user's sessions and API tokens. The last admin cannot be deleted.",
        },
      },
    )
    .put(
      '/:id/password',
      async ({ auth, params, body, set }) => {
        const id = target(auth, params.id, "set the password of");
        const own = id === auth.user.id;
        if (own && body.currentPassword === undefined) {
          throw new ApiProblem('invalid', 'Changing your own password needs your current password', {
            errors: [{ in: 'body', path: '/currentPassword', message: 'is required' }],
          });
        }
        try {
          await users.changePassword(id, own ? (body.currentPassword ?? null) : null, body.newPassword);
        } catch (error) {
          // a wrong current password is a bad field, not a lost login
          if (isDomainError(error) && error.code === 'unauthorized') {
            throw new ApiProblem('invalid', error.message, { errors: [{ in: 'body', path: '/currentPassword', message: error.message }] });
          }
          throw error;
        }
        set.status = 204;
      },
      {
        params: UserParams,
        body: PasswordChange,
        parse: 'json',
        response: { 204: Empty, ...problemResponses(400, 401, 403, 404) },
        detail: {
          tags,
          summary: "Change a password ('me' for your own)",
          description:
            "Your own needs currentPassword; an admin may reset anyone's without it. " +
            'Every session of that user ends, yours included: log in again.',
        },
      },
    );
};
