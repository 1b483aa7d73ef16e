// Per-app SRT ports with real libsrt: ffmpeg publishes to an app's own port with a stream id that names only the
// stream, and the stream plays from the main port as app/stream and from the app port as the stream alone; the
// app port refuses another app's stream; config reloads open and close app ports without touching the main
// listener's sessions, and refuse a port that is the main one or another app's, saying so once in the log.
import { afterEach, expect, test } from 'bun:test';
import { decode, freePort, killAll, probe, spawnBackground, startTestEngine, testPatternArgs, waitFor, type TestEngine } from './harness.ts';

const engines: TestEngine[] = [];
afterEach(async () => {
  await killAll();
  for (const engine of engines.splice(0)) engine.stop();
});

const url = (port: number, streamId: string) => `srt://127.0.0.1:${port}?streamid=${streamId}`;

/** Whether this process can bind the UDP port (so no listener holds it). */
async function udpFree(port: number): Promise<boolean> {
  try {
    const socket = await Bun.udpSocket({ hostname: '127.0.0.1', port });
    socket.close();
    return true;
  } catch {
    return false;
  }
}

test('an app SRT port: publish with streamid #!::r=cam,m=publish, play from the main port as cams/cam and from the app port as cam; reloads open and close app ports only', async () => {
  const mainPort = freePort();
  const appPort = freePort();
  const engine = startTestEngine({ srt: { port: mainPort, passphrase: null }, apps: [{ name: 'live' }, { name: 'cams', srtPort: appPort }] });
  engines.push(engine);
  await engine.ready;
  expect(engine.srtApps!.ports()).toEqual(new Map([['cams', appPort]]));

  spawnBackground(['ffmpeg', ...testPatternArgs({ seconds: 60, bFrames: 0 }), '-f', 'mpegts', url(appPort, '#!::r=cam,m=publish')]);
  const live = () => engine.context.streams.list().some((s) => s.path === 'cams/cam' && s.started && s.publisher !== null);
  expect(await waitFor(live, 15_000)).toBe(true);

  // a viewer on the main port stays connected through the reloads below
  const mainViewer = spawnBackground(['ffmpeg', '-hide_banner', '-v', 'error', '-i', url(mainPort, '#!::r=cams/cam,m=request'), '-t', '40', '-f', 'null', '-']);
  const mainSessions = () => [...engine.srt!.sessions.values()];
  expect(await waitFor(() => mainSessions().length === 1, 15_000)).toBe(true);
  const watching = mainSessions()[0]!;

  for (const target of [url(mainPort, 'cams/cam'), url(appPort, 'cam')]) {
    const probed = await probe(target, { seconds: 2 });
    expect({ target, codecs: probed.streams.map((s) => s.codec_name).sort() }).toEqual({ target, codecs: ['aac', 'h264'] });
    const decoded = await decode(target, 2);
    expect({ target, stderr: decoded.stderr, exitCode: decoded.exitCode }).toEqual({ target, stderr: '', exitCode: 0 });
  }
  // the app port serves its app only
  const other = await probe(url(appPort, 'live/cam'), { seconds: 2 });
  expect(other.streams).toEqual([]);
  expect(engine.logs.some((l) => l.includes('SRT connection refused') && l.includes("this port serves app 'cams' only"))).toBe(true);

  // reload: a new app gets its port, one asking for the main port or cams' port gets none (logged once)
  const morePort = freePort();
  const base = engine.context.config();
  const withMore = {
    ...base,
    apps: [...base.apps, { name: 'more', srtPort: morePort }, { name: 'clash', srtPort: appPort }, { name: 'main', srtPort: mainPort }],
  };
  engine.applyConfig(withMore);
  await engine.srtApps!.ready();
  expect(engine.srtApps!.ports()).toEqual(new Map([['cams', appPort], ['more', morePort]]));
  expect(await udpFree(morePort)).toBe(false);
  engine.applyConfig(withMore);
  const refused = (reason: string) => engine.logs.filter((l) => l.includes('SRT app port not opened') && l.includes(reason));
  expect(refused("app 'cams' has it").length).toBe(1);
  expect(refused('it is the main SRT port').length).toBe(1);

  // the engine status reports them as settings it could not apply, like a listen address it cannot bind
  expect(engine.srtApps!.errors().map((e) => `${e.setting}=${e.value}`).sort()).toEqual([`apps.clash.srtPort=${appPort}`, `apps.main.srtPort=${mainPort}`]);
  // a port something else holds: the bind fails, is logged and reported, and the next reload tries again
  const busyPort = freePort();
  const holder = await Bun.udpSocket({ hostname: '127.0.0.1', port: busyPort });
  engine.applyConfig({ ...base, apps: [...base.apps, { name: 'busy', srtPort: busyPort }] });
  await engine.srtApps!.ready();
  expect(engine.srtApps!.ports().has('busy')).toBe(false);
  expect(engine.srtApps!.errors().map((e) => e.setting)).toEqual(['apps.busy.srtPort']);
  holder.close();
  engine.applyConfig({ ...base, apps: [...base.apps, { name: 'busy', srtPort: busyPort }] });
  await engine.srtApps!.ready();
  expect(engine.srtApps!.ports().get('busy')).toBe(busyPort);
  expect(engine.srtApps!.errors()).toEqual([]);

  // reload without it: its port closes; cams, its publisher and the main port's viewer are untouched
  engine.applyConfig(base);
  expect(engine.srtApps!.ports()).toEqual(new Map([['cams', appPort]]));
  expect(await udpFree(morePort)).toBe(true);
  expect(mainSessions()).toEqual([watching]);
  expect(watching.isClosed).toBe(false);
  expect(live()).toBe(true);
  expect(mainViewer.proc.exitCode).toBeNull();

  // moving cams' port ends the sessions on the old one (its publisher), not the main port's viewer
  const movedPort = freePort();
  engine.applyConfig({ ...base, apps: base.apps.map((a) => (a.name === 'cams' ? { ...a, srtPort: movedPort } : a)) });
  await engine.srtApps!.ready();
  expect(engine.srtApps!.ports()).toEqual(new Map([['cams', movedPort]]));
  expect(await waitFor(() => !live(), 10_000)).toBe(true);
  expect(await udpFree(appPort)).toBe(true);
  expect(engine.logs.some((l) => l.includes('SRT listening') && l.includes(`port=${movedPort}`) && l.includes('app=cams'))).toBe(true);
}, 120_000);
