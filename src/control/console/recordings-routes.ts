// Console routes of a stream's recordings page: the page and its polled timeline (any signed-in
// user, as GET /api/v1/recordings), MP4 export with its polled job and a two-step delete (admins,
// CSRF: actionRoute). Each calls the same operation as the REST route (api/recordings.ts).
import { Elysia } from 'elysia';
import { STREAM_NAME_PATTERN } from '../api/common.ts';
import type { ApiDeps } from '../api/deps.ts';
import { requestHost } from '../api/media-urls.ts';
import { ApiProblem } from '../api/problem.ts';
import { deleteRecordings, exportStatus, listRecordings, startExport } from '../api/recordings.ts';
import { str, type Form } from './http.ts';
import { kit } from './kit.ts';
import { parseConsoleTime } from './recording-timeline.ts';
import type { ViewContext } from './views/layout.ts';
import {
  deletedFragment,
  deleteReviewFragment,
  exportGoneFragment,
  exportJobFragment,
  recordingsPage,
  timelineFragment,
  timelineSection,
  type RecordingsListing,
  type RecordingsPageData,
} from './views/recordings.ts';
import { html } from './html.ts';

const hidden = { detail: { hide: true } } as const;
const SIGNED_URL_TTL_SEC = 3600;
const STREAM_NAME = new RegExp(STREAM_NAME_PATTERN);
/** the longest range one export covers (the engine refuses longer ones too) */
const MAX_DURATION_SEC = 6 * 3600;

function streamName(value: string): string {
  if (!STREAM_NAME.test(value)) throw new ApiProblem('invalid', 'the stream name must be 1-128 of A-Z a-z 0-9 _ . ~ -');
  return value;
}

/** the start and end of the range form: times, or a start and a duration in seconds */
export function rangeFrom(form: Form): { startMs: number; endMs: number } {
  const startMs = parseConsoleTime(str(form, 'start'));
  if (startMs === null) throw new ApiProblem('invalid', 'start must be a UTC time (2026-01-31 12:00:00) or UNIX milliseconds');
  const endText = str(form, 'end');
  const durationText = str(form, 'durationSec');
  let endMs: number | null;
  if (endText !== '') {
    endMs = parseConsoleTime(endText);
    if (endMs === null) throw new ApiProblem('invalid', 'end must be a UTC time (2026-01-31 12:00:00) or UNIX milliseconds');
  } else if (durationText !== '') {
    if (!/^\d{1,6}$/.test(durationText) || Number(durationText) === 0) throw new ApiProblem('invalid', 'the duration must be a whole number of seconds, at least 1');
    endMs = startMs + Number(durationText) * 1000;
  } else {
    throw new ApiProblem('invalid', 'give an end time or a duration');
  }
  if (endMs <= startMs) throw new ApiProblem('invalid', 'the end must be after the start');
  return { startMs, endMs };
}

export const recordingsConsoleRoutes = (deps: ApiDeps) => {
  const { pageRoute, fragmentRoute, actionRoute } = kit(deps);
  const { apps, signedUrls, settings } = deps.services;

  /** the page's data as this user may see it (an unknown app is a not-found) */
  async function pageData(request: Request, appName: string, stream: string, admin: boolean): Promise<RecordingsPageData> {
    const app = apps.get(appName);
    streamName(stream);
    const [listed, status] = await Promise.all([
      listRecordings(deps, { app: app.name, stream }).then(
        (items): RecordingsListing => ({ ok: true, summary: items[0] ?? null }),
        (error: unknown): RecordingsListing => {
          // the engine is down or has no recordings: the page says so; anything else is a failure
          if (error instanceof ApiProblem && error.status === 503) return { ok: false, reason: error.detail };
          throw error;
        },
      ),
      deps.engine.status(),
    ]);
    const paused = status.ok ? (status.value.recording?.paths ?? []).filter((p) => p.paused && p.apps.includes(app.name)) : [];
    // as the stream page: a viewer of an app that plays only signed URLs gets none (REST makes them for admins only)
    const playSigned = app.playPolicy === 'signed-url';
    const port = settings.get().listen.httpPort;
    const host = requestHost(request);
    const hostPort = port === 80 ? host : `${host}:${port}`;
    const play = playSigned && !admin
      ? null
      : {
          base: `http://${hostPort}/${encodeURIComponent(app.name)}/${encodeURIComponent(stream)}/index.m3u8`,
          query: playSigned ? signedUrls.build(app.name, stream, SIGNED_URL_TTL_SEC, 'play').query : '',
        };
    return { app: app.name, stream, recordingOn: app.recording.enabled, listing: listed, paused, play, playHook: app.playPolicy === 'hook' };
  }

  const exportFragment = async (ctx: ViewContext, id: string) => {
    try {
      return exportJobFragment(ctx, await exportStatus(deps, id));
    } catch (error) {
      if (error instanceof ApiProblem && error.status === 404) return exportGoneFragment(ctx, error.detail);
      throw error;
    }
  };

  return new Elysia()
    .get('/streams/:app/:stream/recordings', pageRoute(async (c, { request, params }) =>
      recordingsPage(c.ctx, await pageData(request, params.app ?? '', params.stream ?? '', c.ctx.admin))), hidden)
    .get('/fragments/streams/:app/:stream/recordings', fragmentRoute(async (c, { request, params }) =>
      timelineFragment(c.ctx, await pageData(request, params.app ?? '', params.stream ?? '', c.ctx.admin))), hidden)
    .post('/streams/:app/:stream/recordings/export', actionRoute(async (c, form, { params }) => {
      const app = apps.get(params.app ?? '');
      const stream = streamName(params.stream ?? '');
      const { startMs, endMs } = rangeFrom(form);
      if (endMs - startMs > MAX_DURATION_SEC * 1000) throw new ApiProblem('invalid', 'one export covers at most 6 h');
      const fileName = str(form, 'fileName');
      if (fileName.length > 100) throw new ApiProblem('invalid', 'the file name is at most 100 characters');
      const job = await startExport(deps, { app: app.name, stream, startTimeMs: startMs, endTimeMs: endMs, ...(fileName !== '' ? { fileName } : {}) });
      deps.logger.info('export started from the console', { app: app.name, stream, id: job.id, by: c.auth.user.username });
      return exportJobFragment(c.ctx, job);
    }), hidden)
    // the job's status and its download link are admin-only, as in the REST API
    .get('/fragments/recordings/exports/:id', fragmentRoute(async (c, { params }) => {
      if (!c.ctx.admin) throw new ApiProblem('forbidden', c.ctx.t('common.adminOnly'));
      return exportFragment(c.ctx, params.id ?? '');
    }), hidden)
    // step one (no confirm field) shows what would go; step two (confirm=yes) deletes it
    .post('/streams/:app/:stream/recordings/delete', actionRoute(async (c, form, { request, params }) => {
      const app = apps.get(params.app ?? '');
      const stream = streamName(params.stream ?? '');
      const { startMs, endMs } = rangeFrom(form);
      if (str(form, 'confirm') !== 'yes') {
        const [summary] = await listRecordings(deps, { app: app.name, stream });
        const overlapping = (summary?.ranges ?? []).filter((r) => r.startMs < endMs && r.endMs > startMs);
        return deleteReviewFragment(c.ctx, app.name, stream, startMs, endMs, overlapping);
      }
      const deleted = await deleteRecordings(deps, app.name, stream, startMs, endMs, c.auth.user.username);
      return html`${deletedFragment(c.ctx, deleted)}${timelineSection(c.ctx, await pageData(request, app.name, stream, c.ctx.admin), true)}`;
    }), hidden);
};
