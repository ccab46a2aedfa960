// SPDX-License-Identifier: Apache-2.0
// The web page in a real browser (Debian's Chromium, headless, driven by playwright-core) against the REST API
// on loopback: it loads, the live view plays, the prompts in force are shown and changed from the page, the
// API's error messages appear in it, and the token flow works. Screenshots go to test/artifacts/ for a person
// to look at. The service under test comes from startService(): today the STAND-IN ControlService.
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
import { testJpegs } from './helpers/test-jpegs';

/** A running service for the page to show and steer. */
interface ServiceUnderTest {
  service: ControlService;
  stop(): Promise<void>;
}

/**
 * The STAND-IN service: in-memory state, one detection per prompt, ffmpeg test-pattern JPEGs as its annotated
 * frames. The tests below use only ControlService and HTTP, so the supervisor on the test camera can replace it.
 */
async function startStandIn(): Promise<ServiceUnderTest> {
  const service = new StandInControlService();
  service.frames = await testJpegs(10);
  service.frameRate = 30;
  return { service, stop: async () => undefined };
}

const startService: () => Promise<ServiceUnderTest> = startStandIn;

const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const ARTIFACTS = path.resolve(__dirname, '..', '..', 'test', 'artifacts');
const TOKEN = 'page-test-token';
const START: PromptSet = { objects: ['a person'], thresholds: [0.1] };

let underTest: ServiceUnderTest;
let browser: Browser;
let open: ApiServer;
let guarded: ApiServer;
let openBase: string;
let guardedBase: string;

async function listen(token: string): Promise<[ApiServer, string]> {
  const options: ApiOptions = { token, maxBodyBytes: 16_384, promptLimits: { ...DEFAULT_PROMPT_LIMITS } };
  const server = createApi(underTest.service, options);
  const { port } = await server.listen('127.0.0.1', 0);
  return [server, `http://127.0.0.1:${port}`];
}

before(async () => {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  underTest = await startService();
  [open, openBase] = await listen('');
  [guarded, guardedBase] = await listen(TOKEN);
  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
});

after(async () => {
  await browser?.close();
  await Promise.all([open?.close(), guarded?.close()]);
  await underTest?.stop();
});

beforeEach(async () => {
  assert.deepEqual(await http(openBase, '/prompt', { method: 'POST', body: JSON.stringify(START) }), START);
});

async function http(base: string, route: string, init: RequestInit = {}): Promise<any> {
  const response = await fetch(base + route, init);
  const body = await response.json();
  assert.equal(response.status, 200, `${route}: ${JSON.stringify(body)}`);
  return body;
}

async function detectionLabels(): Promise<string[]> {
  const frames = await http(openBase, '/detections') as FrameDetections[];
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

describe('web page (Chromium) against the STAND-IN ControlService', () => {
  it('loads and shows the live view, the RTSP URL, the prompts, the detections and the state', async (t) => {
    const page = await openPage(openBase, t);
    await page.getByRole('heading', { name: 'Live view' }).waitFor();
    await waitForVideo(page);
    const size = await page.evaluate(() => [document.getElementById('live').naturalWidth, document.getElementById('live').naturalHeight]);
    assert.deepEqual(size, [320, 240], 'the live view shows the service\'s frames');

    // The picture changes over time: screenshots of the <img> differ.
    const first = await page.locator('#live').screenshot();
    let changed = false;
    for (let i = 0; i < 20 && !changed; i++) {
      await page.waitForTimeout(150);
      changed = !first.equals(await page.locator('#live').screenshot());
    }
    assert.ok(changed, 'the live view did not change in 3 s');

    assert.equal(await page.locator('#rtsp-url').inputValue(), 'rtsp://127.0.0.1:6000/out');
    assert.equal(await page.locator('#in-force').textContent(), 'a person (0.1)');
    assert.deepEqual([await values(page, '.prompt-text'), await values(page, '.prompt-threshold')], [['a person'], ['0.1']]);
    await page.locator('#detections-body td', { hasText: 'a person' }).waitFor();
    await page.locator('#service-state', { hasText: 'playing' }).waitFor();
    await page.locator('#service-state', { hasText: /\d+\.\d fps in/ }).waitFor();
    assert.equal(await page.locator('#summary').textContent(), 'Detecting');
    await screenshot(page, 'page-live');
    await page.setViewportSize({ width: 420, height: 900 });
    await page.emulateMedia({ colorScheme: 'dark' });
    await screenshot(page, 'page-narrow-dark');
  });

  it('applies prompts changed in the page: GET /prompt and the detections follow', async (t) => {
    const page = await openPage(openBase, t);
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
    assert.deepEqual(await http(openBase, '/prompt'), { objects: ['a cat', 'a dog'], thresholds: [0.1, 0.35] });
    assert.deepEqual(await detectionLabels(), ['a cat', 'a dog']);
    assert.equal(await page.locator('#in-force').textContent(), 'a cat (0.1), a dog (0.35)');
    await page.locator('#detections-body td', { hasText: 'a dog' }).waitFor();
    assert.equal(await page.locator('#detections-body td', { hasText: 'a person' }).count(), 0);

    // A change made elsewhere (curl) reaches the page while its editor is untouched.
    await http(openBase, '/prompt?objects=a%20bike&thresholds=0.2');
    await page.locator('#in-force', { hasText: 'a bike (0.2)' }).waitFor();
    await page.waitForFunction(() => document.querySelector('.prompt-text').value === 'a bike');
    await screenshot(page, 'page-prompts-applied');
  });

  it('shows the API\'s error message for a bad value and keeps the prompts in force', async (t) => {
    const page = await openPage(openBase, t);
    await page.getByLabel('Threshold of prompt 1, exact value').fill('1.5');
    await page.getByRole('button', { name: 'Apply' }).click();
    const message = page.locator('#prompt-message');
    await message.filter({ hasText: 'Not applied: threshold 1 must be a number from 0 to 1, received 1.5' }).waitFor();
    assert.equal(await page.getByLabel('Threshold of prompt 1, exact value').getAttribute('aria-invalid'), 'true');
    await screenshot(page, 'page-bad-threshold');

    await page.getByLabel('Threshold of prompt 1, exact value').fill('0.2');
    await page.getByRole('button', { name: 'Add prompt' }).click();
    await page.getByRole('button', { name: 'Apply' }).click();
    await message.filter({ hasText: 'Not applied: prompt 2 is empty' }).waitFor();
    assert.equal(await page.getByLabel('Prompt 2', { exact: true }).getAttribute('aria-invalid'), 'true');
    assert.deepEqual(await http(openBase, '/prompt'), START, 'a refused change leaves the prompts in force');
    await screenshot(page, 'page-empty-prompt');
  });

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
