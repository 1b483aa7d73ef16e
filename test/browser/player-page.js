// Runs inside the test browser (served by test/browser/browser.ts, never bundled). Plays
// window.__weirConfig with hls.js or mpegts.js in a muted <video> and records what happened
// in window.__weir, which the harness reads with page.evaluate().
(function () {
  'use strict';
  var config = window.__weirConfig;
  var state = { errors: [], player: null, kind: config.kind, ready: false };
  window.__weir = state;

  function describe(value) {
    if (value === undefined || value === null) return '';
    if (typeof value === 'string') return value;
    if (value instanceof Error) return value.name + ': ' + value.message;
    try { return JSON.stringify(value); } catch (e) { return String(value); }
  }
  function record(fatal, source, text) {
    state.errors.push((fatal ? '[fatal] ' : '[non-fatal] ') + source + ': ' + text);
  }

  var video = document.getElementById('video');
  video.muted = true;
  video.autoplay = true;
  video.playsInline = true;
  video.addEventListener('error', function () {
    var e = video.error;
    record(true, 'video', e ? 'MediaError code ' + e.code + (e.message ? ' ' + e.message : '') : 'unknown error');
  });
  function play() {
    var promise = video.play();
    if (promise && promise.catch) {
      promise.catch(function (e) { record(false, 'video.play()', describe(e)); });
    }
  }

  if (config.kind === 'hls') {
    var Hls = window.Hls;
    if (!Hls || !Hls.isSupported()) {
      record(true, 'hls.js', 'Hls.isSupported() is false (no MediaSource with H.264/AAC in this browser)');
      return;
    }
    var hlsConfig = Object.assign({ lowLatencyMode: !!config.lowLatency }, config.config || {});
    var hls = new Hls(hlsConfig);
    state.player = hls;
    hls.on(Hls.Events.ERROR, function (_event, data) {
      var text = data.type + ' ' + data.details;
      if (data.reason) text += ' (' + data.reason + ')';
      if (data.response && data.response.code) text += ' HTTP ' + data.response.code;
      if (data.error && data.error.message) text += ': ' + data.error.message;
      if (data.url) text += ' <' + data.url + '>';
      record(!!data.fatal, 'hls.js', text);
    });
    hls.on(Hls.Events.MANIFEST_PARSED, play);
    hls.attachMedia(video);
    hls.loadSource(config.url);
  } else {
    var mpegts = window.mpegts;
    if (!mpegts || !mpegts.isSupported()) {
      record(true, 'mpegts.js', 'mpegts.isSupported() is false (no MediaSource in this browser)');
      return;
    }
    mpegts.LoggingControl.enableVerbose = false;
    mpegts.LoggingControl.enableDebug = false;
    var player = mpegts.createPlayer(
      { type: config.type || 'flv', isLive: config.isLive !== false, url: config.url },
      config.config || undefined
    );
    state.player = player;
    player.on(mpegts.Events.ERROR, function (type, details, info) {
      record(true, 'mpegts.js', type + ' ' + details + (info ? ' ' + describe(info) : ''));
    });
    player.attachMediaElement(video);
    player.load();
    var result = player.play();
    if (result && result.catch) {
      result.catch(function (e) { record(false, 'mpegts.js play()', describe(e)); });
    }
  }
  state.ready = true;
})();
