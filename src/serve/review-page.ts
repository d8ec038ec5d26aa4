// The review page itself: one HTML document with its script, served by review-server.ts. The WWT engine runs in
// freestanding mode (nothing fetched from worldwidetelescope.org); the sky behind a data set is the engine's
// equatorial grid, or an all-sky (TOAST) data set of this repository chosen as the background.

/** The page, carrying this server's write token. */
export function reviewPage(token: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="imgbuild-token" content="${token}">
<title>imgbuild review</title>
<style>
  body { margin: 0; font: 14px system-ui, sans-serif; display: grid; grid-template-columns: 360px 1fr; height: 100vh; background: #111; color: #ddd; }
  #side { overflow: auto; border-right: 1px solid #333; }
  #side h1 { font-size: 16px; margin: 10px; }
  .ds { display: grid; grid-template-columns: 64px 1fr; gap: 8px; padding: 8px 10px; border-top: 1px solid #222; cursor: pointer; }
  .ds:hover, .ds.current { background: #1d2a3a; }
  .ds img { width: 64px; height: 64px; object-fit: cover; background: #000; }
  .state { font-size: 12px; padding: 1px 6px; border-radius: 8px; background: #333; }
  .state.published { background: #1f5f2f; } .state.rejected, .state.published-but-rejected { background: #6f1f1f; }
  .state.approved { background: #2f4f8f; } .state.built { background: #6f5f1f; }
  .small { font-size: 12px; color: #aaa; }
  #main { display: grid; grid-template-rows: auto 1fr auto; min-width: 0; }
  #bar { display: flex; gap: 10px; align-items: center; padding: 8px; border-bottom: 1px solid #333; flex-wrap: wrap; min-height: 64px; align-content: flex-start; }
  #title { min-width: 100%; }
  #wwt { width: 100%; height: 100%; min-height: 300px; background: #000; }
  #log { height: 120px; overflow: auto; font: 12px ui-monospace, monospace; padding: 6px; border-top: 1px solid #333; white-space: pre-wrap; }
  button { font: inherit; }
</style>
</head>
<body>
<div id="side"><h1>imgbuild review</h1><div id="summary" class="small" style="margin:0 10px 8px"></div><div id="list"></div></div>
<div id="main">
  <div id="bar">
    <strong id="title">choose a data set</strong>
    <span id="values" class="small"></span>
    <label>opacity <input id="opacity" type="range" min="0" max="100" value="100"></label>
    <label>sky <select id="background"><option value="">grid only</option></select></label>
    <button id="approve" disabled>Approve</button>
    <input id="why" placeholder="reason to reject" size="24">
    <button id="reject" disabled>Reject</button>
    <span id="message" class="small"></span>
  </div>
  <div id="wwt"></div>
  <div id="log"><div id="running" class="small"></div></div>
</div>
<script src="/engine/wwtlib.js"></script>
<script>
'use strict';
const token = document.querySelector('meta[name=imgbuild-token]').content;
const $ = (id) => document.getElementById(id);
let wwt = null, script = null, current = null, dataSets = [];
const text = (value) => document.createTextNode(value == null ? '' : String(value));

// Engine 7.40 reads the instance's flag (not the builder's) when it starts: without this it asks
// worldwidetelescope.org for its catalogue even in freestanding mode.
wwtlib.WWTControl.singleton.freestandingMode = true;
const builder = new wwtlib.WWTControlBuilder('wwt');
builder.startRenderLoop(true);
builder.freestandingMode(location.origin + '/engine/assets');
script = builder.create();
script.add_ready(() => {
  wwt = wwtlib.WWTControl.singleton;
  // The equatorial grid, for orientation when zoomed out (its labels need glyph textures from WWT's servers).
  script.settings.set_showGrid(true);
  window.__wwtReady = true;
  refresh();
});

async function refresh() {
  const response = await fetch('/api/datasets');
  const body = await response.json();
  dataSets = body.dataSets;
  const waiting = dataSets.filter((d) => d.state === 'built').length;
  $('summary').textContent = dataSets.length + ' data sets' + (waiting ? ', ' + waiting + (body.requireApproval ? ' waiting for review' : ' built, not yet published') : '') + (body.requireApproval ? ' (approval required)' : '');
  const list = $('list');
  list.replaceChildren();
  for (const d of dataSets) {
    const row = document.createElement('div');
    row.className = 'ds' + (current && current.id === d.id ? ' current' : '');
    row.dataset.id = d.id;
    const img = document.createElement('img');
    img.alt = '';
    img.src = '/' + d.from + '/' + encodeURIComponent(d.id) + '/thumb.jpg';
    const info = document.createElement('div');
    const name = document.createElement('div');
    name.append(text(d.id + ' '));
    const state = document.createElement('span');
    state.className = 'state ' + d.state;
    state.textContent = d.state;
    name.append(state);
    const details = document.createElement('div');
    details.className = 'small';
    const why = d.decision && d.decision.decision === 'rejected' ? 'rejected: ' + d.decision.why : '';
    details.append(text([d.note, why, d.builtBecause ? 'built because ' + d.builtBecause : ''].filter(Boolean).join(' · ')));
    // Each step's last log (imgbuild log), for a data set built here.
    const logs = document.createElement('div');
    logs.className = 'small';
    if (d.key) {
      logs.append(text('logs: '));
      for (const rule of ['place', 'tiles', 'thumbnail', 'wtml', 'publish']) {
        const a = document.createElement('a');
        a.href = '/api/log/' + encodeURIComponent(rule + ':' + d.id);
        a.target = '_blank';
        a.textContent = rule;
        a.style.color = '#8ab4f8';
        a.style.marginRight = '6px';
        a.addEventListener('click', (e) => e.stopPropagation());
        logs.append(a);
      }
    }
    info.append(name, details, logs);
    row.append(img, info);
    row.addEventListener('click', () => show(d));
    list.append(row);
  }
  const select = $('background');
  const chosen = select.value;
  select.replaceChildren(new Option('grid only', ''));
  for (const d of dataSets) if (d.wtml && d.wtml.projection === 'Toast') select.append(new Option(d.id, d.id));
  select.value = chosen;
  if (current) current = dataSets.find((d) => d.id === current.id) || null;
  $('approve').disabled = $('reject').disabled = !current;
}

function loadImageset(d, done) {
  const folder = wwtlib.Wtml.getWtmlFile('/api/datasets/' + encodeURIComponent(d.id) + '/preview.wtml?t=' + Date.now(), () => {
    const child = folder.get_children()[0];
    if (!child) return message('no image set in ' + d.id + "'s WTML");
    const place = typeof child.get_studyImageset === 'function' ? child : null;
    done(place ? place.get_studyImageset() : child, place);
  });
}

function show(d) {
  if (!wwt) return;
  current = d;
  window.__shown = null;
  for (const row of document.querySelectorAll('.ds')) row.classList.toggle('current', row.dataset.id === d.id);
  $('title').textContent = d.id;
  const v = d.wtml || {};
  $('values').textContent = ['RA ' + fmt(v.raHours, 5) + ' h', 'Dec ' + fmt(v.decDeg, 5) + '°', 'scale ' + fmt(v.baseDegreesPerTile, 6) + '°/tile', 'rotation ' + fmt(v.rotation, 3) + '°', v.projection || ''].join(' · ');
  $('approve').disabled = $('reject').disabled = false;
  loadImageset(d, (imageset, place) => {
    wwt.renderContext.set_foregroundImageset(imageset);
    script.setForegroundOpacity(Number($('opacity').value));
    if (place) wwt.gotoRADecZoom(place.get_RA(), place.get_dec(), place.get_zoomLevel(), true);
    else wwt.gotoRADecZoom(0, 0, 360, true);
    window.__shown = d.id;
  });
}

function fmt(value, digits) {
  return typeof value === 'number' ? value.toFixed(digits) : '?';
}

function message(m) {
  $('message').textContent = m;
}

async function decide(action) {
  if (!current) return;
  const body = action === 'reject' ? { why: $('why').value } : {};
  const response = await fetch('/api/datasets/' + encodeURIComponent(current.id) + '/' + action, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-imgbuild-token': token },
    body: JSON.stringify(body),
  });
  const result = await response.json();
  if (!response.ok) return message(result.error || 'refused');
  const outcome = (result.outcomes || [])[0] || {};
  message(outcome.kind === 'approved' ? 'approved ' + current.id : outcome.kind === 'rejected' ? 'rejected ' + current.id + (outcome.stillPublished ? ' (still published: imgbuild unpublish ' + current.id + ' takes it out)' : '') : outcome.kind === 'not-built' ? current.id + ' is not built yet' : JSON.stringify(result));
  window.__decided = (window.__decided || 0) + 1;
  refresh();
}

$('approve').addEventListener('click', () => decide('approve'));
$('reject').addEventListener('click', () => decide('reject'));
$('opacity').addEventListener('input', () => script && script.setForegroundOpacity(Number($('opacity').value)));
$('background').addEventListener('change', () => {
  const d = dataSets.find((x) => x.id === $('background').value);
  if (!d) return wwt.renderContext.set_backgroundImageset(null);
  loadImageset(d, (imageset) => wwt.renderContext.set_backgroundImageset(imageset));
});

// The build's live progress, when a build or watcher runs in the same process (imgbuild watch --serve).
const events = new EventSource('/api/events');
const running = new Map();
events.addEventListener('hello', (e) => {
  if (JSON.parse(e.data).live) return;
  const div = document.createElement('div');
  div.textContent = 'no build runs in this process (imgbuild watch --serve shows its progress here)';
  $('log').insertBefore(div, $('running'));
});
events.onmessage = (e) => {
  const event = JSON.parse(e.data);
  const line = describe(event);
  if (line) {
    const div = document.createElement('div');
    div.textContent = (event.at ? event.at.slice(11, 19) + ' ' : '') + line;
    $('log').insertBefore(div, $('running'));
    $('log').scrollTop = $('log').scrollHeight;
  }
  if (event.type === 'finish') refresh();
  $('running').textContent = running.size === 0 ? '' : 'running: ' + [...running].map(([id, step]) => id + (step ? ' (' + step + ')' : '')).join(', ');
};
function describe(event) {
  switch (event.type) {
    case 'node-start': running.set(event.node.id, ''); return 'run  ' + event.node.id + ': ' + event.node.why;
    case 'node-status': running.set(event.node.id, event.step); return null;
    case 'node-done': running.delete(event.node.id); return 'done ' + event.node.id;
    case 'node-failed': running.delete(event.node.id); return 'FAILED ' + event.node.id + ': ' + event.error;
    case 'node-blocked': return 'not run ' + event.node.id + ': ' + event.cause;
    case 'note': return event.message;
    case 'finish': return 'build ' + (event.build || '') + ' finished: ' + event.summary.ran.length + ' ran, ' + event.summary.failed.length + ' failed';
    default: return null;
  }
}
</script>
</body>
</html>
`;
}
