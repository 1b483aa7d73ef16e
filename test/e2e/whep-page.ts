// A page that plays a WHEP URL in headless Chromium: recvonly video and audio transceivers, the offer POSTed
// cross-origin (CORS), the answer applied, and decoded video frames counted with requestVideoFrameCallback.
// Served from its own loopback origin so the engine's CORS answers are exercised as a console page would.
import type { Browser, Page } from 'playwright-core';

const PAGE = `<!doctype html><html><head><meta charset="utf-8"><title>whep</title></head><body>
<video id="video" muted autoplay playsinline></video>
<script>
window.__whep = { frames: 0, tracks: [], errors: [], status: 0, location: null, audioNote: null, state: 'new', answer: '' };
// the offer POSTed (with the token as bearer), what the answer said recorded, the answer applied
const negotiate = async (w, pc, url, token) => {
  const offer = await pc.createOffer();
  await pc.setLocalDescription(offer);
  const headers = { 'Content-Type': 'application/sdp' };
  if (token) headers.Authorization = 'Bearer ' + token;
  const res = await fetch(url, { method: 'POST', headers, body: offer.sdp });
  w.status = res.status;
  w.location = res.headers.get('Location');
  w.audioNote = res.headers.get('X-Weir-Audio');
  const text = await res.text();
  if (res.status !== 201) { w.errors.push('POST ' + res.status + ': ' + text); return; }
  w.answer = text;
  await pc.setRemoteDescription({ type: 'answer', sdp: text });
};
window.startWhep = async (url, token) => {
  const w = window.__whep;
  try {
    const pc = new RTCPeerConnection();
    window.__pc = pc;
    pc.addTransceiver('video', { direction: 'recvonly' });
    pc.addTransceiver('audio', { direction: 'recvonly' });
    pc.onconnectionstatechange = () => { w.state = pc.connectionState; };
    const video = document.getElementById('video');
    pc.ontrack = (e) => {
      w.tracks.push(e.track.kind);
      if (e.track.kind !== 'video') return;
      video.srcObject = new MediaStream([e.track]);
      const count = () => { w.frames++; video.requestVideoFrameCallback(count); };
      video.requestVideoFrameCallback(count);
      video.play().catch((err) => w.errors.push('play: ' + err));
    };
    await negotiate(w, pc, url, token);
  } catch (err) {
    w.errors.push(String(err));
  }
};
window.startWhip = async (url, token) => {
  const w = window.__whep;
  try {
    const media = await navigator.mediaDevices.getUserMedia({ video: { width: 320, height: 240, frameRate: 25 }, audio: true });
    const pc = new RTCPeerConnection();
    window.__pc = pc;
    for (const track of media.getTracks()) pc.addTransceiver(track, { direction: 'sendonly' });
    pc.onconnectionstatechange = () => { w.state = pc.connectionState; };
    await negotiate(w, pc, url, token);
  } catch (err) {
    w.errors.push(String(err));
  }
};
// packets per kind of the 'outbound-rtp' or 'inbound-rtp' reports, and their NACK and PLI counts
const rtpPackets = async (type, field) => {
  const out = { audio: 0, video: 0, nackCount: 0, pliCount: 0 };
  if (!window.__pc) return out;
  (await window.__pc.getStats()).forEach((r) => {
    if (r.type !== type) return;
    out[r.kind] += r[field] || 0;
    out.nackCount += r.nackCount || 0;
    out.pliCount += r.pliCount || 0;
  });
  return out;
};
window.outboundPackets = () => rtpPackets('outbound-rtp', 'packetsSent');
window.inboundPackets = () => rtpPackets('inbound-rtp', 'packetsReceived');
window.stopWhep = async (base) => {
  const w = window.__whep;
  // DELETE first: closing the peer connection sends a DTLS close_notify, which ends the session by itself
  const status = w.location ? (await fetch(new URL(w.location, base), { method: 'DELETE' })).status : 0;
  window.__pc?.close();
  return status;
};
</script></body></html>`;

export type WhepPageState = { frames: number; tracks: string[]; errors: string[]; status: number; location: string | null; audioNote: string | null; state: string; answer: string };

export async function openWhepPage(browser: Browser): Promise<{ page: Page; close: () => Promise<void> }> {
  const server = Bun.serve({
    hostname: '127.0.0.1',
    port: 0,
    fetch: () => new Response(PAGE, { headers: { 'content-type': 'text/html; charset=utf-8' } }),
  });
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`http://127.0.0.1:${server.port}/`, { waitUntil: 'load', timeout: 15_000 });
  return {
    page,
    close: async () => {
      await context.close().catch(() => {});
      server.stop(true);
    },
  };
}

export type InboundPackets = { audio: number; video: number; nackCount: number; pliCount: number };
type PageGlobals = {
  __whep: WhepPageState;
  startWhep(url: string, token: string | null): Promise<void>;
  stopWhep(base: string): Promise<number>;
  inboundPackets(): Promise<InboundPackets>;
  startWhip(url: string, token: string | null): Promise<void>;
  outboundPackets(): Promise<InboundPackets>;
};

export const startWhip = (page: Page, url: string, token: string | null = null): Promise<void> =>
  page.evaluate(([u, t]) => (globalThis as unknown as PageGlobals).startWhip(u!, t ?? null), [url, token] as const);

/** outbound-rtp packets the browser sent per kind, and the NACKs/PLIs it received */
export const outboundPackets = (page: Page): Promise<InboundPackets> => page.evaluate(() => (globalThis as unknown as PageGlobals).outboundPackets());

/** inbound-rtp packets the browser received per kind (RTCPeerConnection.getStats), and the NACKs/PLIs it sent */
export const inboundPackets = (page: Page): Promise<InboundPackets> => page.evaluate(() => (globalThis as unknown as PageGlobals).inboundPackets());

export const whepState = (page: Page): Promise<WhepPageState> => page.evaluate(() => ({ ...(globalThis as unknown as PageGlobals).__whep }));

export const startWhep = (page: Page, url: string, token: string | null = null): Promise<void> =>
  page.evaluate(([u, t]) => (globalThis as unknown as PageGlobals).startWhep(u!, t ?? null), [url, token] as const);

export const stopWhep = (page: Page, base: string): Promise<number> => page.evaluate((b) => (globalThis as unknown as PageGlobals).stopWhep(b), base);
