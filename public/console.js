// Weir console: copy buttons. Plain JavaScript served from the control plane (CSP 'self').
(function () {
  'use strict';
  function copyText(text) {
    if (navigator.clipboard && window.isSecureContext) return navigator.clipboard.writeText(text);
    var area = document.createElement('textarea');
    area.value = text;
    area.setAttribute('readonly', '');
    area.className = 'offscreen';
    document.body.appendChild(area);
    area.select();
    try { document.execCommand('copy'); } finally { document.body.removeChild(area); }
    return Promise.resolve();
  }
  document.addEventListener('click', function (event) {
    var button = event.target && event.target.closest ? event.target.closest('button[data-copy]') : null;
    if (!button) return;
    var label = button.textContent;
    copyText(button.getAttribute('data-copy') || '').then(function () {
      button.classList.add('done');
      button.textContent = '✓';
      setTimeout(function () { button.textContent = label; button.classList.remove('done'); }, 1200);
    }, function () {});
  });
})();
