/* global window, document, fetch, URLSearchParams */
// The simulated-devices panel beside the kiosk (web shell, simulated mode
// only). It calls the simulator's routes on its own origin with the session
// token from the URL fragment, and shows the kiosk's page (the API's origin,
// told by /sim/status) in the frame, scaled to fit.
const params = new URLSearchParams(window.location.hash.slice(1));
const token = params.get('token') ?? '';
const status = document.getElementById('sim-status');
const frame = document.getElementById('kiosk');
let apiUrl = null;

async function sim(path, body) {
  const res = await fetch(path, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const answer = await res.json().catch(() => ({}));
  if (!res.ok) throw new Error(answer.error ?? `the simulator answered ${res.status}`);
  return answer;
}

function say(text) {
  status.textContent = text;
}

function showStation(station) {
  if (!apiUrl) return;
  const fragment = new URLSearchParams({ token, ...(station === 'attendant' ? { station } : {}) });
  frame.src = `${apiUrl}/#${fragment}`;
}

function fit() {
  const box = frame.parentElement;
  const room = box.parentElement.getBoundingClientRect();
  const scale = Math.min(room.height / 1920, room.width / 1080, 1);
  box.style.transform = `scale(${scale})`;
}

const actions = {
  present: (b) => sim('/sim/card/present', { card: b.dataset.card, at: b.dataset.at }).then((r) => `card ${r.presented} on the ${r.at} reader`),
  withdraw: (b) => sim('/sim/card/withdraw', { at: b.dataset.at }).then((r) => `card ${r.withdrawn} pulled from the ${r.at} reader`),
  paper: (b) => sim('/sim/printer/paper', { paper: b.dataset.paper }).then((r) => `printer paper: ${r.paper}`),
  scan: (b) => sim('/sim/scan', { code: b.dataset.code }).then(() => `scanned ${b.dataset.code}`),
};

for (const button of document.querySelectorAll('button[data-sim]')) {
  button.addEventListener('click', () => {
    actions[button.dataset.sim](button).then(say, (e) => say(`refused: ${e.message}`));
  });
}
for (const radio of document.querySelectorAll('input[name="station"]')) {
  radio.addEventListener('change', () => showStation(radio.value));
}
window.addEventListener('resize', fit);

sim('/sim/status').then(
  (s) => {
    apiUrl = s.api_url;
    for (const f of document.querySelectorAll('[data-needs="booth"]')) f.hidden = !s.booth;
    if (!s.booth) for (const r of document.querySelectorAll('input[name="station"]')) r.disabled = r.value !== 'resident';
    say(`ready: cards through ${s.cards}, paper ${s.paper}`);
    showStation('resident');
    fit();
  },
  (e) => say(`the simulator is not reachable: ${e.message}`),
);
