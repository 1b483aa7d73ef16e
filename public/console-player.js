// Weir console stream preview: hls.js for HLS and LL-HLS, mpegts.js for HTTP-FLV and WS-FLV,
// WHEP (console-webrtc.js) for WebRTC, a protocol switch and the live latency. Served from the
// control plane; no inline script.
(function () {
  'use strict';
  var video = document.getElementById('preview');
  if (!video) return;
  var latencyEl = document.getElementById('latency');
  var stateEl = document.getElementById('player-state');
  var buttons = Array.prototype.slice.call(document.querySelectorAll('button.proto'));
  var noteEl = document.getElementById('webrtc-note');
  var current = { protocol: null, hls: null, flv: null, whep: null, catchUps: 0 };
  window.__weirPreview = current;

  function setNote(text) {
    if (!noteEl) return;
    noteEl.textContent = text;
    noteEl.hidden = text === '';
  }

  function stop() {
    if (current.whep) { current.whep.stop(); current.whep = null; }
    setNote('');
    video.srcObject = null;
    if (current.hls) { current.hls.destroy(); current.hls = null; }
    if (current.flv) { try { current.flv.pause(); current.flv.unload(); current.flv.detachMediaElement(); current.flv.destroy(); } catch (e) {} current.flv = null; }
    video.removeAttribute('src');
    try { video.load(); } catch (e) {}
  }

  function setState(text) { if (stateEl) stateEl.textContent = text; }

  function play(protocol, url) {
    stop();
    current.protocol = protocol;
    current.catchUps = 0;
    buttons.forEach(function (b) { b.classList.toggle('active', b.getAttribute('data-protocol') === protocol); });
    setState(protocol);
    if (protocol === 'webrtc') {
      if (!window.RTCPeerConnection || !window.WeirWhep) { setState('WebRTC is not supported by this browser'); return; }
      if (noteEl) setNote(noteEl.getAttribute('data-latency') || '');
      current.whep = window.WeirWhep.start(url, video, setState, function (reason) {
        var lead = noteEl ? noteEl.getAttribute('data-video-only') || '' : '';
        setNote((noteEl ? noteEl.getAttribute('data-latency') || '' : '') + ' ' + lead + ' ' + reason);
      });
      return;
    } else if (protocol === 'hls' || protocol === 'll-hls') {
      if (window.Hls && window.Hls.isSupported()) {
        // classic HLS starts two segments from live (hls.js's default is three); LL-HLS keeps the
        // playlist's PART-HOLD-BACK, which a liveSyncDurationCount would override with segments
        var options = protocol === 'll-hls' ? { lowLatencyMode: true, enableWorker: false } : { enableWorker: false, liveSyncDurationCount: 2 };
        var hls = new window.Hls(options);
        hls.on(window.Hls.Events.ERROR, function (_e, data) { if (data && data.fatal) setState(protocol + ': ' + data.details); });
        hls.loadSource(url);
        hls.attachMedia(video);
        current.hls = hls;
      } else if (video.canPlayType('application/vnd.apple.mpegurl')) {
        video.src = url;
      } else { setState('HLS is not supported by this browser'); return; }
    } else {
      if (!window.mpegts || !window.mpegts.isSupported()) { setState('FLV is not supported by this browser'); return; }
      var flv = window.mpegts.createPlayer({ type: 'flv', isLive: true, url: url },
        { enableWorker: false, liveBufferLatencyChasing: true, lazyLoad: false });
      flv.on(window.mpegts.Events.ERROR, function (type, details) { setState(protocol + ': ' + type + ' ' + details); });
      flv.attachMediaElement(video);
      flv.load();
      current.flv = flv;
    }
    var started = video.play();
    if (started && started.catch) started.catch(function () {});
  }

  function latency() {
    if (current.whep) return current.whep.latency();
    if (current.hls && typeof current.hls.latency === 'number' && isFinite(current.hls.latency)) return current.hls.latency;
    var b = video.buffered;
    if (b && b.length > 0 && video.currentTime > 0) return Math.max(0, b.end(b.length - 1) - video.currentTime);
    return null;
  }

  // hls.js speeds playback up only within one target duration of its target latency: a start
  // that fell further behind (slow first requests, a busy tab) would stay behind for good. Held
  // that far behind for CATCH_UP_AFTER_MS, the preview jumps to hls.js's live sync position.
  var CATCH_UP_AFTER_MS = 2000;
  var behindSince = 0;
  function catchUp(nowMs) {
    var hls = current.hls;
    if (!hls || video.paused || video.seeking) { behindSince = 0; return; }
    var l = hls.latency, target = hls.targetLatency, live = hls.liveSyncPosition;
    if (typeof l !== 'number' || !isFinite(l) || typeof target !== 'number' || !isFinite(target) ||
        typeof live !== 'number' || !isFinite(live)) return;
    if (l <= target + Math.max(1.5, target)) { behindSince = 0; return; }
    if (!behindSince) { behindSince = nowMs; return; }
    if (nowMs - behindSince < CATCH_UP_AFTER_MS || live <= video.currentTime) return;
    behindSince = 0;
    current.catchUps = (current.catchUps || 0) + 1;
    video.currentTime = live;
  }

  setInterval(function () {
    catchUp(Date.now());
    var l = latency();
    // WebRTC sits well under a second: three decimals show its milliseconds
    if (latencyEl) latencyEl.textContent = l === null ? '—' : l.toFixed(current.whep ? 3 : 2) + ' s';
  }, 500);

  buttons.forEach(function (b) {
    b.addEventListener('click', function () { play(b.getAttribute('data-protocol'), b.getAttribute('data-url')); });
  });
  // a WHEP session is released on the engine when the page goes, not only after its ICE timeout
  window.addEventListener('pagehide', stop);
  var first = buttons[0];
  if (first) play(first.getAttribute('data-protocol'), first.getAttribute('data-url'));
})();
