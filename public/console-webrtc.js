// Weir console WHEP player (draft-ietf-wish-whep): a recvonly offer POSTed to the engine's
// /{app}/{stream}/whep with the page's play query as `Authorization: Bearer …`, the answer
// applied, the tracks played in the preview's video element, and a DELETE of the session when the
// preview switches away or the page goes. No framework; console-player.js drives it.
(function () {
  'use strict';

  /** the WHEP URL as the page gives it (…/whep?expires=…&sign=…): endpoint and bearer token */
  function split(url) {
    var q = url.indexOf('?');
    return q < 0 ? { endpoint: url, token: '' } : { endpoint: url.slice(0, q), token: url.slice(q + 1) };
  }

  /**
   * Starts a session. onState(text) gets progress and errors; onAudioNote(reason) is called when
   * the engine answers video-only (X-Weir-Audio). Returns { stop(), latency() }.
   */
  function start(url, video, onState, onAudioNote) {
    var parts = split(url);
    var pc = new RTCPeerConnection();
    var session = { pc: pc, location: null, stopped: false, latencySec: null, lastDelay: 0, lastEmitted: 0 };
    var stream = new MediaStream();
    pc.addTransceiver('video', { direction: 'recvonly' });
    pc.addTransceiver('audio', { direction: 'recvonly' });
    pc.ontrack = function (e) {
      stream.addTrack(e.track);
      if (video.srcObject !== stream) video.srcObject = stream;
      var started = video.play();
      if (started && started.catch) started.catch(function () {});
    };
    pc.onconnectionstatechange = function () { if (!session.stopped) onState('WebRTC: ' + pc.connectionState); };

    pc.createOffer()
      .then(function (offer) { return pc.setLocalDescription(offer).then(function () { return offer; }); })
      .then(function (offer) {
        var headers = { 'Content-Type': 'application/sdp' };
        if (parts.token) headers.Authorization = 'Bearer ' + parts.token;
        return fetch(parts.endpoint, { method: 'POST', headers: headers, body: offer.sdp });
      })
      .then(function (res) {
        return res.text().then(function (text) {
          if (res.status !== 201) throw new Error('WHEP ' + res.status + ': ' + text.trim());
          var location = res.headers.get('Location');
          // the Location is a path on the engine's origin, not the console's
          if (location) session.location = new URL(location, parts.endpoint).href;
          if (session.stopped) { release(session); return; }
          var note = res.headers.get('X-Weir-Audio');
          if (note) onAudioNote(note);
          return pc.setRemoteDescription({ type: 'answer', sdp: text });
        });
      })
      .catch(function (err) { if (!session.stopped) onState(String(err && err.message ? err.message : err)); });

    // Latency from the receiver's statistics, sampled every 500 ms: the mean time a video frame
    // spent in the jitter buffer over the last interval (jitterBufferDelay / jitterBufferEmittedCount,
    // deltas) plus half the ICE round trip (the network leg from the engine). It leaves out the
    // engine's own queueing and the encoder: the glass-to-glass figure is in bench/RESULTS.md.
    var timer = setInterval(function () {
      if (session.stopped) return;
      pc.getStats().then(function (report) {
        var delay = null, emitted = null, rtt = null;
        report.forEach(function (r) {
          if (r.type === 'inbound-rtp' && r.kind === 'video') { delay = r.jitterBufferDelay; emitted = r.jitterBufferEmittedCount; }
          if (r.type === 'candidate-pair' && r.nominated && r.state === 'succeeded' && typeof r.currentRoundTripTime === 'number') rtt = r.currentRoundTripTime;
        });
        if (typeof delay !== 'number' || typeof emitted !== 'number' || emitted <= session.lastEmitted) return;
        var buffer = (delay - session.lastDelay) / (emitted - session.lastEmitted);
        session.lastDelay = delay;
        session.lastEmitted = emitted;
        session.latencySec = buffer + (rtt === null ? 0 : rtt / 2);
      }).catch(function () {});
    }, 500);

    return {
      stop: function () {
        if (session.stopped) return;
        session.stopped = true;
        clearInterval(timer);
        release(session);
      },
      latency: function () { return session.latencySec; },
      session: session,
    };
  }

  /**
   * DELETEs the session, then closes the peer connection: closed first, its DTLS close_notify would
   * end the session on the engine before the DELETE arrives. keepalive lets the DELETE outlive a page
   * being left (the browser closes the connection itself then).
   */
  function release(session) {
    var location = session.location;
    session.location = null;
    var close = function () { try { session.pc.close(); } catch (e) {} };
    if (!location) { close(); return; }
    fetch(location, { method: 'DELETE', keepalive: true }).then(close, close);
  }

  window.WeirWhep = { start: start };
})();
