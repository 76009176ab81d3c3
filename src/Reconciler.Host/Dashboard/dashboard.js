// Live updates for the dashboard: one EventSource on /events; on each "changed" event the page is
// fetched once more and every element marked data-live is replaced by its fresh copy. Without
// JavaScript (or EventSource) the pages work the same, without updating themselves.
(function () {
  'use strict';
  if (!window.EventSource || !window.fetch || !window.DOMParser) return;
  var notice = document.getElementById('live');
  var timer = null;
  var busy = false;
  function say(text) { if (notice) notice.textContent = text; }
  function schedule() { if (timer === null) timer = setTimeout(refresh, 200); }
  function refresh() {
    timer = null;
    if (busy) { schedule(); return; }
    busy = true;
    fetch(location.href, { credentials: 'same-origin', headers: { 'X-Dashboard-Refresh': '1' } })
      .then(function (r) { return r.ok ? r.text() : Promise.reject(new Error('HTTP ' + r.status)); })
      .then(function (html) {
        var fresh = new DOMParser().parseFromString(html, 'text/html');
        document.querySelectorAll('[data-live]').forEach(function (el) {
          var next = fresh.getElementById(el.id);
          if (next && next.innerHTML !== el.innerHTML) el.innerHTML = next.innerHTML;
        });
        say('Live: updated at ' + new Date().toLocaleTimeString() + '.');
      })
      .catch(function (e) { say('Live updates failed (' + e.message + '); reload the page.'); })
      .then(function () { busy = false; });
  }
  var events = new EventSource('/events');
  events.addEventListener('hello', function () { say('Live: this page updates itself as the controller works.'); });
  events.addEventListener('changed', schedule);
  events.onerror = function () { say('Live updates interrupted; reconnecting…'); };
  window.addEventListener('pagehide', function () { events.close(); });
})();
