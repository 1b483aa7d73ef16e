// Weir console recordings page: clicking a recorded range (a bar of the timeline or its Select
// button) fills the range form and plays it; "Play range" plays what the form says. Plays the
// engine's look-back playlist (index.m3u8?start_time=&end_time=) with hls.js. No inline script.
(function () {
  'use strict';
  var form = document.getElementById('rec-range');
  if (!form) return;
  var startInput = document.getElementById('rec-start');
  var endInput = document.getElementById('rec-end');
  var durationInput = document.getElementById('rec-duration');
  var video = document.getElementById('rec-player');
  var stateEl = document.getElementById('rec-player-state');
  var current = { hls: null, url: null };
  window.__weirRecordings = current;

  function setState(text) { if (stateEl) stateEl.textContent = text; }

  // the same forms the server reads (recording-timeline.ts parseConsoleTime): UNIX ms or a UTC time
  function parseTime(text) {
    var value = (text || '').trim();
    if (/^\d{1,15}$/.test(value)) return Number(value);
    var m = /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}(?::\d{2}(?:\.\d{1,3})?)?)\s*(?:Z|UTC)?$/i.exec(value);
    if (!m) return null;
    var ms = Date.parse(m[1] + 'T' + m[2] + 'Z');
    return isFinite(ms) ? ms : null;
  }

  function formatTime(ms) {
    var iso = new Date(ms).toISOString().replace('T', ' ');
    return iso.slice(-5) === '.000Z' ? iso.slice(0, 19) + 'Z' : iso;
  }

  function range() {
    var start = parseTime(startInput.value);
    if (start === null) return null;
    var end = endInput.value.trim() !== '' ? parseTime(endInput.value) : null;
    if (end === null && /^\d{1,6}$/.test(durationInput.value.trim())) end = start + Number(durationInput.value.trim()) * 1000;
    if (end === null || end <= start) return null;
    return { start: start, end: end };
  }

  function stop() {
    if (current.hls) { current.hls.destroy(); current.hls = null; }
    if (video) { video.removeAttribute('src'); try { video.load(); } catch (e) {} }
  }

  function play() {
    if (!video) return;
    var r = range();
    if (!r) { setState('?'); return; }
    var base = form.getAttribute('data-play-base');
    var query = form.getAttribute('data-play-query') || '';
    var url = base + '?' + (query ? query + '&' : '') + 'start_time=' + r.start + '&end_time=' + r.end;
    stop();
    current.url = url;
    setState(formatTime(r.start) + ' – ' + formatTime(r.end));
    if (window.Hls && window.Hls.isSupported()) {
      var hls = new window.Hls({ enableWorker: false });
      hls.on(window.Hls.Events.ERROR, function (_e, data) { if (data && data.fatal) setState('HLS: ' + data.details); });
      hls.loadSource(url);
      hls.attachMedia(video);
      current.hls = hls;
    } else if (video.canPlayType('application/vnd.apple.mpegurl')) {
      video.src = url;
    } else { setState('HLS is not supported by this browser'); return; }
    var started = video.play();
    if (started && started.catch) started.catch(function () {});
  }

  function select(el) {
    var start = Number(el.getAttribute('data-start'));
    var end = Number(el.getAttribute('data-end'));
    if (!isFinite(start) || !isFinite(end)) return;
    startInput.value = formatTime(start);
    endInput.value = formatTime(end);
    durationInput.value = '';
    play();
  }

  document.addEventListener('click', function (event) {
    var target = event.target && event.target.closest ? event.target.closest('.rec-bar, .rec-select, #rec-play, .rec-cancel') : null;
    if (!target) return;
    if (target.id === 'rec-play') { play(); return; }
    if (target.classList.contains('rec-cancel')) {
      var box = document.getElementById('rec-delete');
      if (box) box.innerHTML = '';
      return;
    }
    select(target);
  });
  document.addEventListener('keydown', function (event) {
    var target = event.target;
    if ((event.key === 'Enter' || event.key === ' ') && target && target.classList && target.classList.contains('rec-bar')) {
      event.preventDefault();
      select(target);
    }
  });
  // Enter in the form plays rather than submitting it
  form.addEventListener('submit', function (event) { event.preventDefault(); play(); });
})();
