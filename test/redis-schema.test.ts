// SPDX-License-Identifier: Apache-2.0
// Minimal Schema writer (exact bytes), reader (owl-stream, mmj_utils and DeepStream payloads) and the
// viewer's text format. Pure functions: no Redis here.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  MinimalSchemaError, buildMinimalSchema, createObjectIdCounter, formatConfidence, formatCoordinate,
  parseMinimalSchema, type FrameMetadata,
} from '../ts/redis/minimal-schema';
import { formatFrame } from '../ts/redis/format-frame';
import { reconnectDelayMs } from '../ts/output/backoff';
import { describeRedisError } from '../ts/redis/connection';

const FRAME: FrameMetadata = {
  frameId: 42,
  // Given with a +01:00 offset: the payload must still be UTC.
  timestamp: new Date('2026-11-24T11:00:00.123+01:00'),
  sensorId: 'cam1',
  objects: [
    { label: 'a person', box: [120.5, 33, 410.2, 700.9] },
    { label: 'a hat', box: [500.004, 20.1049, 560.3, -0.001] },
  ],
};

function counterFrom(start: number): () => number {
  let next = start;
  return () => next++;
}

describe('buildMinimalSchema', () => {
  it('writes the exact bytes, ids as strings by default', () => {
    assert.equal(buildMinimalSchema(FRAME, { nextObjectId: counterFrom(7) }),
      '{"version":"4.0","id":"42","@timestamp":"2026-11-24T10:00:00.123Z","sensorId":"cam1",' +
      '"objects":["7|120.5|33|410.2|700.9|a person","8|500|20.1|560.3|0|a hat"]}');
  });

  it('writes ids as JSON numbers with idFormat number; a non-numeric sensor stays a string', () => {
    const frame = { ...FRAME, sensorId: '3', objects: [] };
    assert.equal(buildMinimalSchema(frame, { idFormat: 'number', nextObjectId: counterFrom(0) }),
      '{"version":"4.0","id":42,"@timestamp":"2026-11-24T10:00:00.123Z","sensorId":3,"objects":[]}');
    assert.equal(buildMinimalSchema({ ...frame, sensorId: 'cam1' }, { idFormat: 'number', nextObjectId: counterFrom(0) }),
      '{"version":"4.0","id":42,"@timestamp":"2026-11-24T10:00:00.123Z","sensorId":"cam1","objects":[]}');
  });

  it('marks a re-decode with "redecode": true after objects, and only then', () => {
    const objects = [FRAME.objects[0]];
    assert.equal(buildMinimalSchema({ ...FRAME, objects, redecode: true }, { nextObjectId: counterFrom(9) }),
      '{"version":"4.0","id":"42","@timestamp":"2026-11-24T10:00:00.123Z","sensorId":"cam1",' +
      '"objects":["9|120.5|33|410.2|700.9|a person"],"redecode":true}');
    assert.ok(!buildMinimalSchema({ ...FRAME, redecode: false }, { nextObjectId: counterFrom(0) }).includes('redecode'));
  });

  it('formats coordinates to at most 2 decimals without trailing zeros', () => {
    assert.deepEqual([0, 12, 12.5, 12.345, 12.3449, 1919.999, -3.14159, -0.004, 1e6].map(formatCoordinate),
      ['0', '12', '12.5', '12.35', '12.34', '1920', '-3.14', '0', '1000000']);
  });

  it("keeps given ids (a tracker's) and appends each confidence as DeepStream's nvmsgconv does", () => {
    const frame: FrameMetadata = { ...FRAME, objects: [
      { id: 12, label: 'a person', box: [120.5, 33, 410.2, 700.9], confidence: 0.6299999952316284 },
      { label: 'a hat', box: [500, 20, 560, 90], confidence: 1 },
      { id: 12, label: 'a dog', box: [1, 2, 3, 4] },
    ] };
    const json = buildMinimalSchema(frame, { nextObjectId: counterFrom(3) });
    assert.equal(json, '{"version":"4.0","id":"42","@timestamp":"2026-11-24T10:00:00.123Z","sensorId":"cam1",' +
      '"objects":["12|120.5|33|410.2|700.9|a person|#|||||||0.63","3|500|20|560|90|a hat|#|||||||1",' +
      '"12|1|2|3|4|a dog"]}');
    // The tail is DeepStream 9.1's for an object without secondary attributes: six empty attribute fields, then the
    // confidence, so it is field 13 (as in NVIDIA's "957|1834|150|1918|215|Vehicle|#|sedan|...|California|0.8") and
    // the last field alike.
    const fields = (JSON.parse(json) as { objects: string[] }).objects[0].split('|');
    assert.deepEqual([fields.length, fields[6], fields[13]], [14, '#', '0.63']);
    const parsed = parseMinimalSchema(json).objects;
    assert.deepEqual(parsed.map((o) => [o.id, o.confidence, o.attributes.length]),
      [['12', 0.63, 6], ['3', 1, 6], ['12', undefined, 0]]);
    assert.equal(formatFrame(parseMinimalSchema(json)).split('\n')[1], '  #12 a person  [120.5, 33, 410.2, 700.9]  conf 0.63');
  });

  it('writes confidences as C++ streams a float: 6 significant digits, no trailing zeros', () => {
    assert.deepEqual([0.63, Math.fround(0.1), 0.123456789, 1, 0, 0.5].map(formatConfidence),
      ['0.63', '0.1', '0.123457', '1', '0', '0.5']);
  });

  it('numbers objects with a per-run counter across frames', () => {
    const nextObjectId = createObjectIdCounter();
    const ids = [FRAME, FRAME].map((f) => parseMinimalSchema(buildMinimalSchema(f, { nextObjectId })).objects.map((o) => o.id));
    assert.deepEqual(ids, [['0', '1'], ['2', '3']]);
  });

  it('rejects frames it cannot write, naming the field, without using object ids', () => {
    const nextObjectId = createObjectIdCounter();
    const bad: [Partial<FrameMetadata>, string][] = [
      [{ frameId: -1 }, 'Expected a non-negative integer for frameId but received -1'],
      [{ frameId: 1.5 }, 'Expected a non-negative integer for frameId but received 1.5'],
      [{ timestamp: new Date(NaN) }, 'Expected a valid Date for timestamp but received Date(NaN)'],
      [{ objects: [{ label: 'a|b', box: [0, 0, 1, 1] }] }, `Expected a label without '|' for objects[0].label but received "a|b"`],
      [{ objects: [{ label: 'a', box: [0, NaN, 1, 1] }] }, 'Expected 4 finite numbers for objects[0].box but received a list'],
      [{ objects: [{ label: 'a', box: [0, 0, 1, 1], id: -2 }] }, 'Expected a non-negative integer for objects[0].id but received -2'],
      [{ objects: [{ label: 'a', box: [0, 0, 1, 1], confidence: 1.5 }] },
        'Expected a number from 0 to 1 for objects[0].confidence but received 1.5'],
    ];
    for (const [change, message] of bad) {
      assert.throws(() => buildMinimalSchema({ ...FRAME, ...change }, { nextObjectId }), { name: 'MinimalSchemaError', message });
    }
    assert.equal(nextObjectId(), 0);
  });
});

describe('parseMinimalSchema', () => {
  it('reads back what buildMinimalSchema wrote', () => {
    assert.deepEqual(parseMinimalSchema(buildMinimalSchema(FRAME, { nextObjectId: counterFrom(7) })), {
      version: '4.0', id: '42', timestamp: '2026-11-24T10:00:00.123Z', sensorId: 'cam1',
      objects: [
        { id: '7', left: 120.5, top: 33, right: 410.2, bottom: 700.9, label: 'a person', attributes: [] },
        { id: '8', left: 500, top: 20.1, right: 560.3, bottom: 0, label: 'a hat', attributes: [] },
      ],
      redecode: false,
    });
    assert.equal(parseMinimalSchema(buildMinimalSchema({ ...FRAME, redecode: true }, { nextObjectId: counterFrom(0) }))
      .redecode, true);
    assert.equal(parseMinimalSchema(buildMinimalSchema(FRAME, { nextObjectId: counterFrom(0) }).replace(/}$/,
      ',"redecode":"yes"}')).redecode, false, 'only the JSON value true marks a re-decode');
  });

  it("reads mmj_utils' payload (numbers, spaces, Python float reprs)", () => {
    const message = parseMinimalSchema('{"version": "4.0", "id": 0, "@timestamp": "2024-01-19T17:03:12.345Z", ' +
      '"sensorId": 1, "objects": ["0|120.5|33.0|410.2|700.9|a person", "1|500.0|20.1|560.3|90.4|a hat"]}');
    assert.equal(message.id, '0');
    assert.equal(message.sensorId, '1');
    assert.deepEqual(message.objects[1], { id: '1', left: 500, top: 20.1, right: 560.3, bottom: 90.4, label: 'a hat', attributes: [] });
  });

  it("reads DeepStream's pretty-printed payload with attribute tails, confidences and the untracked 64-bit id", () => {
    const message = parseMinimalSchema(`{
  "version" : "4.0",
  "id" : "957",
  "@timestamp" : "2024-01-19T17:03:12.345Z",
  "sensorId" : "0",
  "objects" : [
    "957|1834.12|150|1918|215|Vehicle|#|sedan|Bugatti|M|blue|CA 444|California|0.8",
    "18446744073709551615|10|20|30|40|Person|#||||||",
    "18446744073709551615|10|20|30|40|Person|#|||||||0.87",
    "12|10|20|30|40|a person|0.5"
  ],
  "customMessage" : []
}`);
    assert.equal(message.id, '957');
    assert.deepEqual(message.objects, [
      { id: '957', left: 1834.12, top: 150, right: 1918, bottom: 215, label: 'Vehicle',
        attributes: ['sedan', 'Bugatti', 'M', 'blue', 'CA 444', 'California'], confidence: 0.8 },
      { id: '18446744073709551615', left: 10, top: 20, right: 30, bottom: 40, label: 'Person',
        attributes: ['', '', '', '', '', ''] },
      { id: '18446744073709551615', left: 10, top: 20, right: 30, bottom: 40, label: 'Person',
        attributes: ['', '', '', '', '', ''], confidence: 0.87 },
      // DeepStream 7.x's form for an object without attributes: the confidence right after the label.
      { id: '12', left: 10, top: 20, right: 30, bottom: 40, label: 'a person', attributes: [], confidence: 0.5 },
    ]);
  });

  it('rejects malformed payloads with the field and the value named', () => {
    const head = '"version":"4.0","id":"1","@timestamp":"2024-01-19T17:03:12.345Z","sensorId":"c"';
    const cases: [string, string][] = [
      ['[1]', 'Expected a JSON object for the metadata but received a list'],
      ['{"version":4}', 'Expected a string for version but received 4'],
      [`{${head.replace('2024-01-19T17:03:12.345Z', 'yesterday')},"objects":[]}`,
        'Expected an ISO 8601 timestamp for @timestamp but received "yesterday"'],
      [`{${head}}`, 'Expected an array for objects but received nothing'],
      [`{${head.replace('"id":"1"', '"id":null')},"objects":[]}`, 'Expected a non-empty string or a number for id but received null'],
      [`{${head},"objects":[5]}`, 'Expected a string for objects[0] but received 5'],
      [`{${head},"objects":["1|2|3|4|x"]}`,
        'Expected id|left|top|right|bottom|label for objects[0] but received "1|2|3|4|x" (5 fields)'],
      [`{${head},"objects":["1|2||4|5|x"]}`, 'Expected a number for objects[0].top but received ""'],
      [`{${head},"objects":["a|2|3|4|5|x"]}`, 'Expected an integer id for objects[0] but received "a"'],
      [`{${head},"objects":["1|2|3|4|5|a|b"]}`,
        `Expected '#' after the label (labels cannot contain '|') for objects[0] but received "1|2|3|4|5|a|b"`],
      [`{${head},"objects":["1|2|3|4|5|a|0.5|c"]}`,
        `Expected '#' after the label (labels cannot contain '|') for objects[0] but received "1|2|3|4|5|a|0.5|c"`],
    ];
    for (const [json, message] of cases) {
      assert.throws(() => parseMinimalSchema(json), { name: 'MinimalSchemaError', message });
    }
    // The JSON.parse reason that follows differs between Node versions.
    assert.throws(() => parseMinimalSchema('{"version":'), (err: unknown) => err instanceof MinimalSchemaError &&
      err.message.startsWith('Expected JSON for the metadata but received "{\\"version\\":" ('));
  });
});

describe('formatFrame', () => {
  it('prints a header and one line per object', () => {
    const message = parseMinimalSchema(buildMinimalSchema(FRAME, { nextObjectId: counterFrom(7) }));
    assert.equal(formatFrame(message), 'frame 42  2026-11-24T10:00:00.123Z  sensor cam1  2 objects\n' +
      '  #7 a person  [120.5, 33, 410.2, 700.9]\n' +
      '  #8 a hat  [500, 20.1, 560.3, 0]');
    assert.equal(formatFrame({ ...message, objects: [{ ...message.objects[0], confidence: 0.8, attributes: ['', 'sedan'] }] }),
      'frame 42  2026-11-24T10:00:00.123Z  sensor cam1  1 object\n  #7 a person  [120.5, 33, 410.2, 700.9]  conf 0.8  (sedan)');
    assert.equal(formatFrame({ ...message, objects: [], redecode: true }),
      'frame 42 (re-decoded)  2026-11-24T10:00:00.123Z  sensor cam1  0 objects');
  });
});

describe('Redis connection helpers', () => {
  it('backs off from 100 ms to 5 s', () => {
    assert.deepEqual([1, 2, 3, 4, 5, 6, 7, 50].map(reconnectDelayMs), [100, 200, 400, 800, 1600, 3200, 5000, 5000]);
  });

  it('names host:port and what to check', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });
    assert.equal(describeRedisError(refused, '127.0.0.1', 1), 'Redis at 127.0.0.1:1 refused the connection (ECONNREFUSED): ' +
      'check that redis-server runs there and that the Redis host and port (--redis_host, --redis_port) are right');
    const unknown = Object.assign(new Error('getaddrinfo ENOTFOUND redis.invalid'), { code: 'ENOTFOUND' });
    assert.equal(describeRedisError(unknown, 'redis.invalid', 6379),
      "Redis host 'redis.invalid' cannot be resolved (ENOTFOUND): check --redis_host");
  });
});
