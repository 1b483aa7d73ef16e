// Console routes for configuration: apps and stream keys, pull sources and forward targets,
// settings, users and API tokens. Each calls the same service the REST API calls.
import { Elysia } from 'elysia';
import type { ApiDeps } from '../api/deps.ts';
import { ApiProblem } from '../api/problem.ts';
import { relaysById } from '../api/relay-status.ts';
import { DEFAULT_OUTAGE_POLICY, type RecordingFormat } from '../../shared/config-protocol.ts';
import type { AppUpdateInput, OutagePolicy, PlayPolicy, PublishPolicy, SourceType, UserRole } from '../services/types.ts';
import { html, type SafeHtml } from './html.ts';
import { checked, optional, str, type Form } from './http.ts';
import { kit } from './kit.ts';
import {
  clearEdit,
  forwardEditForm,
  forwardsTable,
  newTokenFragment,
  pullEditForm,
  pullsTable,
  relaysPage,
  engineApplyNotice,
  settingsForm,
  settingsPage,
  tokensTable,
  usersPage,
  usersTable,
} from './views/admin.ts';
import { appForm, appPage, appsListFragment, appsPage, keysTable, newKeyFragment } from './views/apps.ts';
import { clearFlash, type ViewContext } from './views/layout.ts';

const hidden = { detail: { hide: true } } as const;

/** the edit forms hold URLs with their secrets: only an admin, who can save them, opens one */
function adminOnly(ctx: ViewContext): void {
  if (!ctx.admin) throw new ApiProblem('forbidden', ctx.t('common.adminOnly'));
}

function appInput(form: Form): AppUpdateInput {
  return {
    sourceType: (str(form, 'sourceType') || 'push') as SourceType,
    hls: checked(form, 'hls'),
    llHls: checked(form, 'llHls'),
    publishPolicy: (str(form, 'publishPolicy') || 'open') as PublishPolicy,
    playPolicy: (str(form, 'playPolicy') || 'open') as PlayPolicy,
    hookUrl: optional(str(form, 'hookUrl')),
    outagePolicy: (str(form, 'outagePolicy') || DEFAULT_OUTAGE_POLICY) as OutagePolicy,
    // empty: no app port; a form without the field leaves it as it is
    ...(form.srtPort === undefined ? {} : { srtPort: str(form, 'srtPort') === '' ? null : int(form, 'srtPort') }),
    // a form without the recording fieldset leaves the recording settings as they are
    ...(str(form, 'recSegmentSec') === ''
      ? {}
      : {
          recording: {
            enabled: checked(form, 'recEnabled'),
            format: (str(form, 'recFormat') || 'fmp4') as RecordingFormat,
            segmentDurationSec: int(form, 'recSegmentSec'),
            path: optional(str(form, 'recPath')),
            retentionDays: int(form, 'recRetentionDays'),
            quotaMb: int(form, 'recQuotaMb'),
          },
        }),
    // likewise the snapshot fieldset
    ...(str(form, 'snapIntervalSec') === ''
      ? {}
      : { snapshot: { enabled: checked(form, 'snapEnabled'), intervalSec: int(form, 'snapIntervalSec'), keep: int(form, 'snapKeep') } }),
  };
}

/** a port or duration from a form: a whole number, or an 'invalid' refusal naming the field */
function int(form: Form, name: string): number {
  const text = str(form, name);
  if (!/^\d{1,9}$/.test(text)) throw new ApiProblem('invalid', `${name} must be a whole number`);
  return Number(text);
}

/** how the console handles one kind of relay (pull sources or forward targets) */
type RelayConsole = Readonly<{
  kind: 'pulls' | 'forwards';
  /** after a change: the list with the engine's relay status, and the flash cleared */
  list: (ctx: ViewContext) => Promise<SafeHtml>;
  create: (form: Form) => unknown;
  editForm: (ctx: ViewContext, id: string) => SafeHtml;
  save: (id: string, form: Form) => unknown;
  setEnabled: (id: string, enabled: boolean) => unknown;
  remove: (id: string) => void;
}>;

/** the same routes for pull sources and forward targets: create, open or cancel the edit form, save, enable or disable, delete */
function relayRoutes(deps: ApiDeps, r: RelayConsole) {
  const { fragmentRoute, actionRoute } = kit(deps);
  return new Elysia()
    .post(`/${r.kind}`, actionRoute(async (c, form) => {
      r.create(form);
      return r.list(c.ctx);
    }), hidden)
    .get(`/${r.kind}/edit/cancel`, fragmentRoute(() => html``), hidden)
    .get(`/${r.kind}/:id/edit`, fragmentRoute((c, { params }) => {
      adminOnly(c.ctx);
      return r.editForm(c.ctx, params.id ?? '');
    }), hidden)
    .post(`/${r.kind}/:id`, actionRoute(async (c, form, { params }) => {
      r.save(params.id ?? '', form);
      return html`${await r.list(c.ctx)}${clearEdit(r.kind)}`;
    }), hidden)
    .post(`/${r.kind}/:id/:toggle`, actionRoute(async (c, _form, { params }) => {
      r.setEnabled(params.id ?? '', params.toggle === 'enable');
      return r.list(c.ctx);
    }), hidden)
    .delete(`/${r.kind}/:id`, actionRoute(async (c, _form, { params }) => {
      r.remove(params.id ?? '');
      return html`${await r.list(c.ctx)}${clearEdit(r.kind)}`;
    }), hidden);
}

export const adminRoutes = (deps: ApiDeps) => {
  const { pageRoute, fragmentRoute, actionRoute } = kit(deps);
  const { apps, streamKeys, pulls, forwards, settings, users, auth } = deps.services;
  const owners = () => new Map(users.list().map((u) => [u.id, u.username] as const));
  const tokensFor = (userId: string, admin: boolean) => auth.listTokens(admin ? undefined : userId);
  // An engine that cannot be asked has nothing to report here; the dashboard says it is down.
  const applyErrors = async () => {
    const status = await deps.engine.status();
    return status.ok ? (status.value.configErrors ?? []) : [];
  };
  // the engine said it has no ffmpeg: the snapshot fieldset says so (an engine that is down says nothing)
  const decoderMissing = async () => {
    const status = await deps.engine.status();
    return status.ok && status.value.snapshotDecoder === null;
  };

  return new Elysia()
    // ---- apps and stream keys
    .get('/apps', pageRoute(async (c) => appsPage(c.ctx, apps.list(), await decoderMissing())), hidden)
    .post('/apps', actionRoute((c, form) => {
      apps.create({ name: str(form, 'name'), ...appInput(form) });
      return appsListFragment(c.ctx, apps.list());
    }), hidden)
    .get('/apps/:app', pageRoute(async (c, { params }) => {
      const app = apps.get(params.app ?? '');
      return appPage(c.ctx, app, streamKeys.list(app.name), await decoderMissing());
    }), hidden)
    .post('/apps/:app', actionRoute(async (c, form, { params }) => {
      const updated = apps.update(params.app ?? '', appInput(form));
      return appForm(c.ctx, updated, true, await decoderMissing());
    }), hidden)
    .delete('/apps/:app', actionRoute((_c, _form, { params }) => {
      apps.delete(params.app ?? '');
      return html`${clearFlash()}`;
    }), hidden)
    .post('/apps/:app/keys', actionRoute((c, form, { params }) => {
      const app = apps.get(params.app ?? '');
      const created = streamKeys.create({ app: app.name, stream: optional(str(form, 'stream')), label: str(form, 'label') });
      return newKeyFragment(c.ctx, app.name, created.key, streamKeys.list(app.name));
    }), hidden)
    .post('/apps/:app/keys/:id/revoke', actionRoute((c, _form, { params }) => {
      const app = apps.get(params.app ?? '');
      const key = streamKeys.get(params.id ?? '');
      if (key.app !== app.name) throw new ApiProblem('not-found', 'no such stream key in this app');
      streamKeys.revoke(key.id);
      return html`${keysTable(c.ctx, app.name, streamKeys.list(app.name))}${clearFlash()}`;
    }), hidden)

    // ---- pull sources and forward targets, with the engine's relay status (polled every 2 s)
    .get('/relays', pageRoute(async (c) =>
      relaysPage(c.ctx, apps.list().map((a) => a.name), pulls.list(), forwards.list(), await relaysById(deps.engine))), hidden)
    .get('/fragments/pulls', fragmentRoute(async (c) => pullsTable(c.ctx, pulls.list(), await relaysById(deps.engine))), hidden)
    .get('/fragments/forwards', fragmentRoute(async (c) => forwardsTable(c.ctx, forwards.list(), await relaysById(deps.engine))), hidden)
    .use(relayRoutes(deps, {
      kind: 'pulls',
      list: async (ctx) => html`${pullsTable(ctx, pulls.list(), await relaysById(deps.engine))}${clearFlash()}`,
      create: (form) => pulls.create({ app: str(form, 'app'), stream: str(form, 'stream'), url: str(form, 'url') }),
      editForm: (ctx, id) => pullEditForm(ctx, pulls.get(id)),
      save: (id, form) => pulls.update(id, { stream: str(form, 'stream'), url: str(form, 'url'), enabled: checked(form, 'enabled') }),
      setEnabled: (id, enabled) => pulls.update(id, { enabled }),
      remove: (id) => pulls.delete(id),
    }))
    .use(relayRoutes(deps, {
      kind: 'forwards',
      list: async (ctx) => html`${forwardsTable(ctx, forwards.list(), await relaysById(deps.engine))}${clearFlash()}`,
      create: (form) => forwards.create({ app: str(form, 'app'), stream: optional(str(form, 'stream')), url: str(form, 'url') }),
      editForm: (ctx, id) => forwardEditForm(ctx, forwards.get(id)),
      save: (id, form) =>
        forwards.update(id, { stream: optional(str(form, 'stream')), url: str(form, 'url'), enabled: checked(form, 'enabled') }),
      setEnabled: (id, enabled) => forwards.update(id, { enabled }),
      remove: (id) => forwards.delete(id),
    }))

    // ---- settings
    .get('/settings', pageRoute(async (c) => settingsPage(c.ctx, settings.get(), await applyErrors())), hidden)
    .get('/fragments/engine-apply', fragmentRoute(async (c) => engineApplyNotice(c.ctx, await applyErrors())), hidden)
    .post('/settings', actionRoute((c, form) => {
      const updated = settings.update({
        listen: { rtmpHost: str(form, 'rtmpHost'), rtmpPort: int(form, 'rtmpPort'), httpHost: str(form, 'httpHost'), httpPort: int(form, 'httpPort') },
        hls: {
          targetDurationMs: int(form, 'targetDurationMs'),
          partTargetMs: int(form, 'partTargetMs'),
          windowSegments: int(form, 'windowSegments'),
          alwaysRemux: checked(form, 'alwaysRemux'),
          muxerCloseAfterMs: int(form, 'muxerCloseAfterMs'),
        },
      });
      return settingsForm(c.ctx, updated, true);
    }), hidden)

    // ---- users and API tokens
    .get('/users', pageRoute((c) => {
      const all = c.ctx.admin ? users.list() : [c.auth.user];
      return usersPage(c.ctx, all, tokensFor(c.auth.user.id, c.ctx.admin), owners());
    }), hidden)
    .post('/users', actionRoute(async (c, form) => {
      await users.create({
        username: str(form, 'username'),
        password: typeof form.password === 'string' ? form.password : '',
        role: (str(form, 'role') || 'viewer') as UserRole,
        language: str(form, 'language') || 'en',
      });
      return html`${usersTable(c.ctx, users.list())}${clearFlash()}`;
    }), hidden)
    .delete('/users/:id', actionRoute((c, _form, { params }) => {
      if (params.id === c.auth.user.id) throw new ApiProblem('forbidden', 'You cannot delete your own account while logged in with it');
      users.delete(params.id ?? '');
      return html`${usersTable(c.ctx, users.list())}${clearFlash()}`;
    }), hidden)
    .post('/tokens', actionRoute((c, form) => {
      const created = auth.createToken(c.auth.user.id, str(form, 'name'));
      return newTokenFragment(c.ctx, created.token, tokensFor(c.auth.user.id, c.ctx.admin), owners());
    }, { anyone: true }), hidden)
    .post('/tokens/:id/revoke', actionRoute((c, _form, { params }) => {
      const token = auth.getToken(params.id ?? '');
      if (!c.ctx.admin && token.userId !== c.auth.user.id) throw new ApiProblem('forbidden', 'That token belongs to someone else');
      auth.revokeToken(token.id);
      return html`${tokensTable(c.ctx, tokensFor(c.auth.user.id, c.ctx.admin), owners())}${clearFlash()}`;
    }, { anyone: true }), hidden);
};
