// SPDX-License-Identifier: Apache-2.0
// owl-stream's web page: shows the live annotated video (GET /video.mjpeg), edits the prompts (GET/POST /prompt)
// and polls the service's state (GET /status, /rates, /detections). With api.token set it asks for the token
// once, keeps it in sessionStorage and sends it as `Authorization: Bearer`; the <img> routes take `?token=`.

const POLL_MS = 1000;
const VIDEO_RETRY_MS = 2000;
const TOKEN_KEY = 'owl-stream.token';

const $ = (id) => document.getElementById(id);

/** An answer other than 2xx, with the API's own `{error: {code, message}}` when it sent one. */
class ApiFailure extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

let token = sessionStorage.getItem(TOKEN_KEY) ?? '';
let pollTimer = 0;
let started = false;
// The editor holds the user's draft; it follows the prompts in force only until the user edits it.
let editing = false;
let inForceKey = '';

/** Calls the API; resolves with the parsed JSON, rejects with an ApiFailure carrying the API's message. */
async function api(path, init = {}) {
  const headers = new Headers(init.headers);
  if (token !== '') headers.set('Authorization', `Bearer ${token}`);
  let response;
  try {
    response = await fetch(path, { ...init, headers, cache: 'no-store' });
  } catch (err) {
    throw new ApiFailure(0, 'unreachable', `cannot reach owl-stream at ${location.host} (${err.message})`);
  }
  const text = await response.text();
  let body = null;
  try {
    body = JSON.parse(text);
  } catch {
    // Not JSON: the status says enough.
  }
  if (!response.ok) {
    const error = body?.error;
    throw new ApiFailure(response.status, error?.code ?? 'http_error',
      typeof error?.message === 'string' ? error.message : `HTTP ${response.status} from ${path}`);
  }
  return body;
}

/** The URL of an image route, with the token as a query parameter since <img> sends no headers. */
function imageUrl(path) {
  return token === '' ? path : `${path}?token=${encodeURIComponent(token)}`;
}

// --- token --------------------------------------------------------------------------------------

function askForToken(message) {
  stopPolling();
  stopVideo();
  $('app').hidden = true;
  $('sign-out').hidden = true;
  $('token-form').hidden = false;
  $('token-error').textContent = message;
  setSummary('Access token needed', 'warn');
  $('token').focus();
}

$('token-form').addEventListener('submit', (event) => {
  event.preventDefault();
  token = $('token').value.trim();
  if (token === '') {
    $('token-error').textContent = 'Enter the token.';
    return;
  }
  sessionStorage.setItem(TOKEN_KEY, token);
  $('token').value = '';
  start();
});

$('sign-out').addEventListener('click', () => {
  sessionStorage.removeItem(TOKEN_KEY);
  token = '';
  askForToken('');
});

// --- start and polling ----------------------------------------------------------------------------

async function start() {
  try {
    const [prompts, streams] = await Promise.all([api('/prompt'), api('/streams')]);
    $('token-form').hidden = true;
    $('token-error').textContent = '';
    $('app').hidden = false;
    $('sign-out').hidden = token === '';
    started = true;
    showStreams(streams);
    showInForce(prompts, true);
    startVideo();
    await poll();
  } catch (err) {
    handleFailure(err);
    if (!started && err.status !== 401) pollTimer = setTimeout(start, POLL_MS);
  }
}

async function poll() {
  clearTimeout(pollTimer);
  try {
    const [status, rates, detections, prompts] = await Promise.all([
      api('/status'), api('/rates'), api('/detections'), api('/prompt')]);
    $('banner').hidden = true;
    showService(status, rates);
    showDetections(detections);
    showInForce(prompts, false);
  } catch (err) {
    if (!handleFailure(err)) return;
  }
  pollTimer = setTimeout(poll, POLL_MS);
}

function stopPolling() {
  clearTimeout(pollTimer);
  started = false;
}

/** Shows a failure; returns false when it needs the user (a token) rather than a retry. */
function handleFailure(err) {
  if (err.status === 401) {
    if (token !== '') sessionStorage.removeItem(TOKEN_KEY);
    const wrong = token !== '';
    token = '';
    askForToken(wrong ? `The token was refused: ${err.message}.` : '');
    return false;
  }
  $('banner').textContent = `${err.message}; retrying…`;
  $('banner').hidden = false;
  setSummary('Service unreachable', 'error');
  return true;
}

function setSummary(text, tone) {
  $('summary').textContent = text;
  $('summary').dataset.tone = tone;
}

// --- live view ----------------------------------------------------------------------------------

let videoRetry = 0;
// Why no frame is shown yet, or null while frames arrive.
let videoProblem = 'Waiting for video…';

function startVideo() {
  clearTimeout(videoRetry);
  if (document.hidden || !started) return;
  $('live').src = imageUrl('/video.mjpeg');
  $('snapshot-link').href = imageUrl('/snapshot.jpg');
}

function stopVideo() {
  clearTimeout(videoRetry);
  // Dropping the source closes the MJPEG connection; the server stops sending.
  $('live').removeAttribute('src');
}

/** Shows why there is no picture: the input's state when it is not flowing, else the video's own problem. */
function showVideoNote(inputProblem) {
  const text = inputProblem ?? videoProblem;
  $('live-note').textContent = text ?? '';
  $('live-note').hidden = text === null;
}

$('live').addEventListener('load', () => {
  videoProblem = null;
  showVideoNote(null);
});
$('live').addEventListener('error', () => {
  if (!$('live').hasAttribute('src')) return;
  videoProblem = 'Video unavailable; retrying…';
  showVideoNote(null);
  stopVideo();
  videoRetry = setTimeout(startVideo, VIDEO_RETRY_MS);
});
// A tab in the background does not need frames.
document.addEventListener('visibilitychange', () => (document.hidden ? stopVideo() : startVideo()));

function showStreams(streams) {
  const output = streams[0]?.outputUrl ?? null;
  $('rtsp-url').value = output === null ? 'RTSP output is off' : reachableUrl(output);
}

/** The output URL with a wildcard bind address replaced by the host this page was loaded from. */
function reachableUrl(url) {
  try {
    const parsed = new URL(url);
    if (['0.0.0.0', '[::]', ''].includes(parsed.hostname)) parsed.hostname = location.hostname;
    return parsed.toString();
  } catch {
    return url;
  }
}

$('copy-rtsp').addEventListener('click', async () => {
  const field = $('rtsp-url');
  try {
    await navigator.clipboard.writeText(field.value);
    $('copy-rtsp').textContent = 'Copied';
  } catch {
    // No clipboard access (plain http): leave the URL selected for Ctrl+C.
    field.select();
    $('copy-rtsp').textContent = 'Press Ctrl+C';
  }
  setTimeout(() => { $('copy-rtsp').textContent = 'Copy'; }, 2000);
});

// --- prompts ------------------------------------------------------------------------------------

function showInForce(prompts, force) {
  const key = JSON.stringify(prompts);
  $('in-force').textContent = prompts.objects
    .map((object, i) => `${object} (${prompts.thresholds[i]})`).join(', ');
  if (force || (!editing && key !== inForceKey)) fillEditor(prompts);
  inForceKey = key;
}

function fillEditor(prompts) {
  $('prompt-list').replaceChildren();
  prompts.objects.forEach((object, i) => addRow(object, prompts.thresholds[i]));
  editing = false;
}

function addRow(text, threshold) {
  const row = $('prompt-row').content.firstElementChild.cloneNode(true);
  const slider = row.querySelector('.prompt-slider');
  const number = row.querySelector('.prompt-threshold');
  row.querySelector('.prompt-text').value = text;
  slider.value = String(threshold);
  number.value = String(threshold);
  slider.addEventListener('input', () => { number.value = slider.value; });
  number.addEventListener('input', () => { slider.value = number.value; });
  row.querySelector('.prompt-remove').addEventListener('click', () => {
    const next = row.nextElementSibling ?? row.previousElementSibling;
    row.remove();
    editing = true;
    numberRows();
    (next?.querySelector('.prompt-text') ?? $('add-prompt')).focus();
  });
  $('prompt-list').append(row);
  numberRows();
  return row;
}

/** Labels every field with its prompt's number, as the API's messages count them. */
function numberRows() {
  $('prompt-list').querySelectorAll('.prompt-row').forEach((row, i) => {
    const n = i + 1;
    row.querySelector('.prompt-text').setAttribute('aria-label', `Prompt ${n}`);
    row.querySelector('.prompt-slider').setAttribute('aria-label', `Threshold of prompt ${n}`);
    row.querySelector('.prompt-threshold').setAttribute('aria-label', `Threshold of prompt ${n}, exact value`);
    row.querySelector('.prompt-remove').setAttribute('aria-label', `Remove prompt ${n}`);
  });
}

$('prompt-form').addEventListener('input', () => { editing = true; });

$('add-prompt').addEventListener('click', () => {
  const rows = $('prompt-list').querySelectorAll('.prompt-threshold');
  const threshold = rows.length > 0 ? rows[rows.length - 1].value : '0.1';
  addRow('', threshold).querySelector('.prompt-text').focus();
  editing = true;
});

$('reset-prompts').addEventListener('click', async () => {
  try {
    fillEditor(await api('/prompt'));
    showMessage('', 'neutral');
  } catch (err) {
    showMessage(err.message, 'error');
  }
});

$('prompt-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const rows = [...$('prompt-list').querySelectorAll('.prompt-row')];
  const objects = rows.map((row) => row.querySelector('.prompt-text').value);
  // Sent as typed (a number when it is one), so that the API's message names what the user entered.
  const thresholds = rows.map((row) => {
    const raw = row.querySelector('.prompt-threshold').value.trim();
    return raw !== '' && Number.isFinite(Number(raw)) ? Number(raw) : raw;
  });
  markInvalid(null);
  $('apply-prompts').disabled = true;
  try {
    const applied = await api('/prompt', {
      method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ objects, thresholds }),
    });
    showInForce(applied, true);
    showMessage(`Applied: ${applied.objects.join(', ')}.`, 'ok');
  } catch (err) {
    if (err.status === 401) {
      handleFailure(err);
      return;
    }
    showMessage(`Not applied: ${err.message}`, 'error');
    markInvalid(err.message);
  } finally {
    $('apply-prompts').disabled = false;
  }
});

function showMessage(text, tone) {
  $('prompt-message').textContent = text;
  $('prompt-message').dataset.tone = tone;
}

/** Marks the field the API's message names ("prompt 2 is empty", "threshold 1 must be ..."), if any. */
function markInvalid(message) {
  for (const field of $('prompt-list').querySelectorAll('[aria-invalid]')) field.removeAttribute('aria-invalid');
  const match = /^(prompt|threshold) (\d+)\b/.exec(message ?? '');
  if (match === null) return;
  const row = $('prompt-list').children[Number(match[2]) - 1];
  const field = row?.querySelector(match[1] === 'prompt' ? '.prompt-text' : '.prompt-threshold');
  if (field === undefined || field === null) return;
  field.setAttribute('aria-invalid', 'true');
  field.setAttribute('aria-describedby', 'prompt-message');
  field.focus();
}

// --- service state and detections -------------------------------------------------------------------

const FLOWING = new Set(['playing', 'reconnected']);
const STATE_TONES = { playing: 'ok', reconnected: 'ok', discovering: 'warn', connecting: 'warn', lost: 'warn',
  stopped: 'warn', failed: 'error' };

function showService(status, rates) {
  const flowing = status.streams.length > 0 && status.streams.every((s) => FLOWING.has(s.state));
  if (!status.model.loaded) setSummary('Model not loaded', 'error');
  else if (!flowing) setSummary('Waiting for the input', 'warn');
  else setSummary('Detecting', 'ok');
  showVideoNote(flowing ? null : status.streams
    .map((s) => `Input ${s.id} is ${s.state}${s.reason ? `: ${s.reason}` : ''}`).join('; ') || 'No input configured');

  const facts = [];
  for (const stream of status.streams) {
    const r = rates.streams.find((s) => s.streamId === stream.id);
    facts.push([`Input ${stream.id}`, stateText(stream.state, stream.reason, stream.since)]);
    facts.push(['Frame rate', `${fps(r?.framesInPerSecond)} in, ${fps(r?.framesOutPerSecond)} out`]);
  }
  facts.push(['Model', status.model.loaded
    ? `${fps(rates.inferencesPerSecond)}, ${ms(rates.inferenceLatencySeconds)} per frame`
    : stateText('not loaded', status.model.error ?? '', null, 'error')]);
  facts.push(['Redis', outputText(status.redis)]);
  if (status.mqtt !== undefined) facts.push(['MQTT', outputText(status.mqtt)]);
  facts.push(['Engine', status.engine]);
  facts.push(['Running since', new Date(status.startedAt).toLocaleString()]);
  $('service-state').replaceChildren(...facts.flatMap(([term, value]) => {
    const dt = document.createElement('dt');
    dt.textContent = term;
    const dd = document.createElement('dd');
    dd.append(value);
    return [dt, dd];
  }));
}

// A metadata output (Redis, MQTT): fine when ready or turned off, a warning otherwise.
function outputText(output) {
  const tone = output.state === 'ready' ? 'ok' : output.state === 'off' ? 'neutral' : 'warn';
  return stateText(output.state, output.error ?? '', null, tone);
}

function stateText(state, reason, since, tone = STATE_TONES[state] ?? 'neutral') {
  const wrap = document.createElement('span');
  const badge = document.createElement('span');
  badge.className = 'state';
  badge.dataset.tone = tone;
  badge.textContent = state;
  wrap.append(badge);
  const details = [reason, since === null ? '' : `since ${new Date(since).toLocaleTimeString()}`].filter(Boolean);
  if (details.length > 0) wrap.append(` (${details.join(', ')})`);
  return wrap;
}

const fps = (value) => (value === null || value === undefined ? '– fps' : `${value.toFixed(1)} fps`);
const ms = (seconds) => (seconds === null ? '– ms' : `${Math.round(seconds * 1000)} ms`);

function showDetections(frames) {
  const rows = [];
  for (const frame of frames) {
    for (const object of frame.objects) {
      const label = frames.length > 1 ? `${object.label} (${frame.streamId})` : object.label;
      const cells = [`#${object.id}`, label, object.score.toFixed(2),
        ...[object.left, object.top, object.right, object.bottom].map((v) => String(Math.round(v)))];
      const tr = document.createElement('tr');
      cells.forEach((text, i) => {
        const td = document.createElement('td');
        td.textContent = text;
        if (i !== 1) td.className = 'num';
        tr.append(td);
      });
      rows.push(tr);
    }
  }
  if (rows.length === 0) {
    const td = document.createElement('td');
    td.colSpan = 7;
    td.className = 'empty';
    td.textContent = frames.length === 0 ? 'No frame processed yet.' : 'Nothing above its threshold in the latest frame.';
    rows.push(document.createElement('tr'));
    rows[0].append(td);
  }
  $('detections-body').replaceChildren(...rows);
  $('detections-caption').textContent = frames.length === 0 ? 'Boxes in source-frame pixels.' : frames
    .map((f) => `${f.streamId}: frame ${f.frameId} at ${new Date(f.timestamp).toLocaleTimeString()}, ${f.width}×${f.height} px`)
    .join('; ');
}

start();
