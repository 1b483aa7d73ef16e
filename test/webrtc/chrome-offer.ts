// A real offer from the test machine's headless Chromium: recvonly video and audio transceivers, as a WHEP page
// makes them (captured with RTCPeerConnection.createOffer, not hand-written).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export const CHROME_OFFER = readFileSync(join(import.meta.dir, '..', 'fixtures', 'webrtc', 'chromium-recvonly-offer.sdp'), 'utf8');
