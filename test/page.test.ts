// SPDX-License-Identifier: Apache-2.0
// The web page in a real browser (Debian's Chromium, headless, driven by playwright-core) against the REST API
// on loopback: it loads, the live view plays, the prompts in force are shown and changed from the page, the
// API's error messages appear in it, and the token flow works. The same checks run twice: against the STAND-IN
// ControlService (scripted state, every detail known), and against the REAL service process on its test source
// with the tiny model (pipeline, JPEG snapshots, model and prompts for real). Screenshots go to test/artifacts/
// for a person to look at.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { createApi, type ApiOptions } from '../ts/api/app';
import type { ApiServer } from '../ts/api/server';
import type { ControlService, FrameDetections } from '../ts/api/service';
import { DEFAULT_PROMPT_LIMITS, type PromptSet } from '../ts/model/prompts';
import { StandInControlService } from './helpers/control-service-standin';
import { freePort } from './helpers/ports';
import { ServiceProcess, TINY_MODEL } from './helpers/service-process';
import { testJpegs } from './helpers/test-jpegs';

const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const ARTIFACTS = path.resolve(__dirname, '..', '..', 'test', 'artifacts');
const TOKEN = 'page-test-token';
const START: PromptSet = { objects: ['a person'], thresholds: [0.1] };

/** What the page checks need to know of the service they run against. */
interface PageTarget {
  /** Screenshot name prefix. */
  name: string;
  /** Base URL of its API, without a token. */
  base: string;
  /** Size of its annotated frames. */
  liveSize: [number, number];
  /** The RTSP URL the page shows. */
  rtspUrl: string;
  /**
   * Resolves once GET /detections is labelled from `objects` only; the stand-in labels exactly one detection per
   * prompt, the real model any number of patches.
   */
  detectionsFollow(objects: string[]): Promise<void>;
}

let browser: Browser;

before(async () => {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
});

after(async () => {
  await browser?.close();
});

async function http(base: string, route: string, init: RequestInit = {}): Promise<any> {
  const response = await fetch(base + route, init);
  const body = await response.json();
  assert.equal(response.status, 200, `${route}: ${JSON.stringify(body)}`);
  return body;
}

async function detectionLabels(base: string): Promise<string[]> {
  const frames = await http(base, '/detections') as FrameDetections[];
  return frames.flatMap((f) => f.objects.map((o) => o.label));
}

/** Opens the page in a fresh browser context; fails the test on any script error or request off this host. */
async function openPage(base: string, t: { after(fn: () => Promise<void>): void }): Promise<Page> {
  const context: BrowserContext = await browser.newContext({ viewport: { width: 1280, height: 860 } });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('pageerror', (err) => problems.push(`script error: ${err.message}`));
  page.on('request', (request) => {
    if (!request.url().startsWith(`${base}/`) && !request.url().startsWith('data:')) {
      problems.push(`request off the service: ${request.url()}`);
    }
  });
  t.after(async () => {
    await context.close();
    assert.deepEqual(problems, []);
  });
  await page.goto(base);
  return page;
}

async function screenshot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: true });
}

// The page's globals, as far as the functions run inside it read them (the tests compile without the DOM's types;
// code given as text would be refused by the page's Content-Security-Policy).
declare const document: {
  getElementById(id: string): { naturalWidth: number; naturalHeight: number };
  querySelector(selector: string): { value: string };
};
declare const sessionStorage: { getItem(key: string): string | null };

/** Waits until the live view has decoded a frame. */
async function waitForVideo(page: Page): Promise<void> {
  await page.waitForFunction(() => document.getElementById('live').naturalWidth > 0);
}

async function values(page: Page, selector: string): Promise<string[]> {
  return Promise.all((await page.locator(selector).all()).map((field) => field.inputValue()));
}

const storedToken = (page: Page) => page.evaluate(() => sessionStorage.getItem('owl-stream.token'));

/** The checks of the page that any service must pass. */
function pageChecks(target: () => PageTarget): void {
  beforeEach(async () => {
    assert.deepEqual(await http(target().base, '/prompt', { method: 'POST', headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(START) }), START);
  });

  it('loads and shows the live view, the RTSP URL, the prompts, the detections and the state', async (t) => {
    const { base, name, liveSize, rtspUrl } = target();
    const page = await openPage(base, t);
    await page.getByRole('heading', { name: 'Live view' }).waitFor();
    await waitForVideo(page);
    const size = await page.evaluate(() => [document.getElementById('live').naturalWidth, document.getElementById('live').naturalHeight]);
    assert.deepEqual(size, liveSize, 'the live view shows the service\'s frames');

    // The picture changes over time: screenshots of the <img> differ.
    const first = await page.locator('#live').screenshot();
    let changed = false;
    for (let i = 0; i < 20 && !changed; i++) {
      await page.waitForTimeout(150);
      changed = !first.equals(await page.locator('#live').screenshot());
    }
    assert.ok(changed, 'the live view did not change in 3 s');

    assert.equal(await page.locator('#rtsp-url').inputValue(), rtspUrl);
    assert.equal(await page.locator('#in-force').textContent(), 'a person (0.1)');
    assert.deepEqual([await values(page, '.prompt-text'), await values(page, '.prompt-threshold')], [['a person'], ['0.1']]);
    await page.locator('#detections-body td', { hasText: 'a person' }).first().waitFor();
    // Each object's id (its track id with the tracker on) in a column of its own.
    await page.locator('#detections-body td', { hasText: /^#\d+$/ }).first().waitFor();
    await page.locator('#service-state', { hasText: 'playing' }).waitFor();
    await page.locator('#service-state', { hasText: /\d+\.\d fps in/ }).waitFor();
    assert.equal(await page.locator('#summary').textContent(), 'Detecting');
    await screenshot(page, `${name}-live`);
    await page.setViewportSize({ width: 420, height: 900 });
    await page.emulateMedia({ colorScheme: 'dark' });
    await screenshot(page, `${name}-narrow-dark`);
  });

  it('applies prompts changed in the page: GET /prompt and the detections follow', async (t) => {
    const { base, name, detectionsFollow } = target();
    const page = await openPage(base, t);
    await page.getByLabel('Prompt 1', { exact: true }).fill('a cat');
    await page.getByRole('button', { name: 'Add prompt' }).click();
    await page.getByLabel('Prompt 2', { exact: true }).fill('a dog');
    await page.getByLabel('Threshold of prompt 2', { exact: true }).fill('0.35');
    assert.equal(await page.getByLabel('Threshold of prompt 2, exact value').inputValue(), '0.35', 'slider and field agree');
    await page.getByRole('button', { name: 'Add prompt' }).click();
    await page.getByLabel('Prompt 3', { exact: true }).fill('a hat');
    await page.getByRole('button', { name: 'Remove prompt 3' }).click();
    await page.getByRole('button', { name: 'Apply' }).click();

    await page.locator('#prompt-message', { hasText: 'Applied: a cat, a dog.' }).waitFor();
    assert.deepEqual(await http(base, '/prompt'), { objects: ['a cat', 'a dog'], thresholds: [0.1, 0.35] });
    await detectionsFollow(['a cat', 'a dog']);
    assert.equal(await page.locator('#in-force').textContent(), 'a cat (0.1), a dog (0.35)');
    // Once a new label shows, the whole table is of one processed frame, labelled with the new prompts.
    await page.locator('#detections-body td', { hasText: /^a (cat|dog)$/ }).first().waitFor();
    assert.equal(await page.locator('#detections-body td', { hasText: 'a person' }).count(), 0);

    // A change made elsewhere (curl) reaches the page while its editor is untouched.
    await http(base, '/prompt?objects=a%20bike&thresholds=0.2');
    await page.locator('#in-force', { hasText: 'a bike (0.2)' }).waitFor();
    await page.waitForFunction(() => document.querySelector('.prompt-text').value === 'a bike');
    await screenshot(page, `${name}-prompts-applied`);
  });

  it('shows the API\'s error message for a bad value and keeps the prompts in force', async (t) => {
    const { base, name } = target();
    const page = await openPage(base, t);
    await page.getByLabel('Threshold of prompt 1, exact value').fill('1.5');
    await page.getByRole('button', { name: 'Apply' }).click();
    const message = page.locator('#prompt-message');
    await message.filter({ hasText: 'Not applied: threshold 1 must be a number from 0 to 1, received 1.5' }).waitFor();
    assert.equal(await page.getByLabel('Threshold of prompt 1, exact value').getAttribute('aria-invalid'), 'true');
    await screenshot(page, `${name}-bad-threshold`);

    await page.getByLabel('Threshold of prompt 1, exact value').fill('0.2');
    await page.getByRole('button', { name: 'Add prompt' }).click();
    await page.getByRole('button', { name: 'Apply' }).click();
    await message.filter({ hasText: 'Not applied: prompt 2 is empty' }).waitFor();
    assert.equal(await page.getByLabel('Prompt 2', { exact: true }).getAttribute('aria-invalid'), 'true');
    assert.deepEqual(await http(base, '/prompt'), START, 'a refused change leaves the prompts in force');
    await screenshot(page, `${name}-empty-prompt`);
  });
}

/** An API for the stand-in, on loopback. */
async function listen(service: ControlService, token: string): Promise<[ApiServer, string]> {
  const options: ApiOptions = { token, maxBodyBytes: 16_384, promptLimits: { ...DEFAULT_PROMPT_LIMITS } };
  const server = createApi(service, options);
  const { port } = await server.listen('127.0.0.1', 0);
  return [server, `http://127.0.0.1:${port}`];
}

describe('web page (Chromium) against the STAND-IN ControlService', () => {
  // In-memory state, one detection per prompt, ffmpeg test-pattern JPEGs as its annotated frames.
  const service = new StandInControlService();
  let open: ApiServer;
  let guarded: ApiServer;
  let openBase: string;
  let guardedBase: string;

  before(async () => {
    service.frames = await testJpegs(10);
    service.frameRate = 30;
    [open, openBase] = await listen(service, '');
    [guarded, guardedBase] = await listen(service, TOKEN);
  });

  after(async () => {
    await Promise.all([open?.close(), guarded?.close()]);
  });

  pageChecks(() => ({
    name: 'page', base: openBase, liveSize: [320, 240], rtspUrl: 'rtsp://127.0.0.1:6000/out',
    detectionsFollow: async (objects) => assert.deepEqual(await detectionLabels(openBase), objects),
  }));

  it('asks for the token once, keeps it for the tab, and plays the video with it', async (t) => {
    const page = await openPage(guardedBase, t);
    const form = page.getByRole('heading', { name: 'Access token' });
    await form.waitFor();
    assert.equal(await page.locator('#app').isHidden(), true, 'no data without the token');
    await screenshot(page, 'page-token-form');

    await page.getByLabel('Token').fill(`${TOKEN}-wrong`);
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.locator('#token-error', { hasText: 'The token was refused: invalid bearer token.' }).waitFor();
    await screenshot(page, 'page-token-refused');

    await page.getByLabel('Token').fill(TOKEN);
    await page.getByRole('button', { name: 'Continue' }).click();
    await waitForVideo(page);
    assert.equal(await page.locator('#in-force').textContent(), 'a person (0.1)');
    assert.equal(await storedToken(page), TOKEN);
    assert.equal(await page.locator('#snapshot-link').getAttribute('href'), `/snapshot.jpg?token=${TOKEN}`);

    await page.getByLabel('Prompt 1', { exact: true }).fill('a token holder');
    await page.getByRole('button', { name: 'Apply' }).click();
    await page.locator('#prompt-message', { hasText: 'Applied: a token holder.' }).waitFor();
    assert.deepEqual((await http(guardedBase, '/prompt', { headers: { Authorization: `Bearer ${TOKEN}` } })).objects,
      ['a token holder']);

    await page.reload();
    await waitForVideo(page);
    assert.equal(await page.locator('#token-form').isHidden(), true, 'the token is not asked for again in this tab');
    await screenshot(page, 'page-token-signed-in');

    await page.getByRole('button', { name: 'Forget token' }).click();
    await form.waitFor();
    assert.equal(await storedToken(page), null);
  });
});

describe('web page (Chromium) against the REAL service on its test source with the tiny model', () => {
  let service: ServiceProcess;

  before(async () => {
    // Redis on a port where nothing listens: the page does not need it, and no Redis of the machine is touched.
    service = await ServiceProcess.start({
      args: ['test:', '--model', TINY_MODEL, '--redis_host', '127.0.0.1', '--redis_port', String(await freePort())],
      env: { OWL_INPUT_TEST_WIDTH: '640', OWL_INPUT_TEST_HEIGHT: '360' },
    });
    await service.waitFor(async () => (await service.get('/ready')).status === 200, 'ready');
  });

  after(async () => {
    await service?.dispose();
  });

  pageChecks(() => {
    const base = `http://127.0.0.1:${service.apiPort}`;
    return {
      name: 'page-real', base, liveSize: [640, 360], rtspUrl: service.outputUrl,
      detectionsFollow: (objects) => service.waitFor(async () => {
        const labels = await detectionLabels(base);
        return labels.length > 0 && labels.every((label) => objects.includes(label));
      }, `detections labelled only ${objects.join(', ')}`),
    };
  });
});
