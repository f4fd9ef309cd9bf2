import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import { FoveaError, type ErrorCode } from '../../core/errors.ts';
import { parseMultipart, type MultipartParseOptions } from './multipart-parser.ts';
import { createBoundary, multipartRelatedContentType, writeMultipart } from './multipart-writer.ts';

interface ParsedPart {
  readonly headers: Record<string, string>;
  readonly body: Buffer;
}

/** A deterministic PRNG so failures reproduce (mulberry32). */
function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

async function* chunked(data: Buffer, cuts: readonly number[]): AsyncGenerator<Buffer> {
  let start = 0;
  for (const cut of [...cuts, data.length]) {
    await Promise.resolve(); // a chunk per microtask, like a socket
    yield data.subarray(start, cut);
    start = cut;
  }
}

function randomCuts(length: number, random: () => number, maxChunk: number): number[] {
  const cuts: number[] = [];
  let at = 0;
  for (;;) {
    at += 1 + Math.floor(random() * maxChunk);
    if (at >= length) {
      return cuts;
    }
    cuts.push(at);
  }
}

async function parseAll(
  source: AsyncIterable<Buffer>,
  boundary: string,
  options?: MultipartParseOptions,
): Promise<ParsedPart[]> {
  const parts: ParsedPart[] = [];
  for await (const part of parseMultipart(source, boundary, options)) {
    const chunks: Buffer[] = [];
    for await (const chunk of part.body) {
      chunks.push(Buffer.from(chunk));
    }
    parts.push({ headers: { ...part.headers }, body: Buffer.concat(chunks) });
  }
  return parts;
}

/** Where an error surfaced: from a part's body (with the part index) or from the part iterator. */
async function failure(
  source: AsyncIterable<Buffer>,
  boundary: string,
  options?: MultipartParseOptions,
): Promise<{ code: ErrorCode; from: string; parts: ParsedPart[] }> {
  const parts: ParsedPart[] = [];
  let index = -1;
  let inBody = false;
  try {
    for await (const part of parseMultipart(source, boundary, options)) {
      index = part.index;
      const chunks: Buffer[] = [];
      inBody = true;
      for await (const chunk of part.body) {
        chunks.push(Buffer.from(chunk));
      }
      inBody = false;
      parts.push({ headers: { ...part.headers }, body: Buffer.concat(chunks) });
    }
  } catch (error) {
    assert.ok(error instanceof FoveaError, `expected a FoveaError, got ${String(error)}`);
    return { code: error.code, from: inBody ? `body ${index}` : 'iterator', parts };
  }
  assert.fail('expected the parser to fail');
}

const b = 'simple-boundary';
const binary = Buffer.from([0x00, 0x0d, 0x0a, 0x2d, 0x2d, 0xff, 0x0d, 0x0d, 0x0a, 0x0a, 0x2d]);

function body(...pieces: (string | Buffer)[]): Buffer {
  return Buffer.concat(
    pieces.map((piece) => (typeof piece === 'string' ? Buffer.from(piece, 'latin1') : piece)),
  );
}

const validBodies: { name: string; data: Buffer; expected: ParsedPart[] }[] = [
  {
    name: 'preamble, three parts (binary, empty, trailing CRLF), epilogue',
    data: body(
      'This is the preamble.\r\nIt is ignored.\r\n',
      `--${b}\r\nContent-Type: application/dicom\r\n\r\n`,
      binary,
      `\r\n--${b}\r\nContent-Type: application/dicom\r\nX-Extra: 1\r\n\r\n`,
      `\r\n--${b}\r\ncontent-type: text/plain\r\n\r\nline\r\n`,
      `\r\n--${b}--\r\nThis is the epilogue.\r\n--${b}\r\n`,
    ),
    expected: [
      { headers: { 'content-type': 'application/dicom' }, body: binary },
      { headers: { 'content-type': 'application/dicom', 'x-extra': '1' }, body: Buffer.alloc(0) },
      { headers: { 'content-type': 'text/plain' }, body: Buffer.from('line\r\n') },
    ],
  },
  {
    name: 'no preamble, transport padding, no CRLF after the close delimiter',
    data: body(`--${b} \t \r\nContent-Type: a/b\r\n\r\nAB\r\n--${b}\t\r\n\r\nCD\r\n--${b}--`),
    expected: [
      { headers: { 'content-type': 'a/b' }, body: Buffer.from('AB') },
      { headers: {}, body: Buffer.from('CD') },
    ],
  },
  {
    name: 'LF-only line ends (lenient)',
    data: body(`preamble\n--${b}\nContent-Type: a/b\n\nAB\r\n\n--${b}\n\nC\r\n--${b}--\n`),
    expected: [
      { headers: { 'content-type': 'a/b' }, body: Buffer.from('AB\r\n') },
      { headers: {}, body: Buffer.from('C') },
    ],
  },
  {
    name: 'folded and repeated header fields, case-insensitive names',
    data: body(`--${b}\r\nX-A: one\r\n two\r\nX-B: 1\r\nx-b: 2\r\n\r\nbody\r\n--${b}--\r\n`),
    expected: [{ headers: { 'x-a': 'one two', 'x-b': '1, 2' }, body: Buffer.from('body') }],
  },
  {
    name: 'contents that look like boundaries but are not delimiters',
    data: body(`--${b}\r\n\r\n`, `x--${b}\r\n--${b.slice(0, -1)}X\r\n-${b}\r\n\r--${b}`, `\r\n--${b}--\r\n`),
    expected: [{ headers: {}, body: Buffer.from(`x--${b}\r\n--${b.slice(0, -1)}X\r\n-${b}\r\n\r--${b}`) }],
  },
  {
    name: 'only a close delimiter: zero parts',
    data: body(`--${b}--\r\n`),
    expected: [],
  },
  {
    name: 'a header named __proto__ stays a plain field',
    data: body(`--${b}\r\n__proto__: x\r\n\r\nz\r\n--${b}--`),
    expected: [
      { headers: JSON.parse('{"__proto__":"x"}') as Record<string, string>, body: Buffer.from('z') },
    ],
  },
];

describe('parseMultipart: valid bodies', () => {
  for (const { name, data, expected } of validBodies) {
    test(`${name}: whole, every split position, single bytes, random chunkings`, async () => {
      assert.deepEqual(await parseAll(chunked(data, []), b), expected);
      for (let cut = 0; cut <= data.length; cut += 1) {
        assert.deepEqual(await parseAll(chunked(data, [cut]), b), expected, `split at ${cut}`);
      }
      const ones = Array.from({ length: data.length - 1 }, (_, index) => index + 1);
      assert.deepEqual(await parseAll(chunked(data, ones), b), expected, 'single bytes');
      const random = prng(data.length);
      for (let round = 0; round < 200; round += 1) {
        const cuts = randomCuts(data.length, random, 1 + Math.floor(random() * 40));
        assert.deepEqual(await parseAll(chunked(data, cuts), b), expected, `cuts ${cuts.join(',')}`);
      }
    });
  }

  test('every pair of split positions of a two-part body', async () => {
    const data = body(`--${b}\r\nA: 1\r\n\r\n`, binary, `\r\n--${b}\r\n\r\nxy\r\n--${b}--\r\n`);
    const expected = [
      { headers: { a: '1' }, body: binary },
      { headers: {}, body: Buffer.from('xy') },
    ];
    for (let first = 0; first <= data.length; first += 1) {
      for (let second = first; second <= data.length; second += 1) {
        assert.deepEqual(
          await parseAll(chunked(data, [first, second]), b),
          expected,
          `cuts ${first},${second}`,
        );
      }
    }
  });
});

interface FailureCase {
  name: string;
  data: Buffer;
  boundary?: string;
  options?: MultipartParseOptions;
  code: ErrorCode;
  /** Where the error surfaces; undefined when that depends on the chunking. */
  from: string | undefined;
  partsBefore: number;
}

const failureCases: FailureCase[] = [
  {
    name: 'empty body',
    data: Buffer.alloc(0),
    code: 'FOVEA_HTTP_MULTIPART_MALFORMED',
    from: 'iterator',
    partsBefore: 0,
  },
  {
    name: 'wrong boundary',
    data: body(`--other\r\n\r\nx\r\n--other--\r\n`),
    code: 'FOVEA_HTTP_MULTIPART_MALFORMED',
    from: 'iterator',
    partsBefore: 0,
  },
  {
    name: 'missing close delimiter inside the second part',
    data: body(`--${b}\r\n\r\nfirst\r\n--${b}\r\n\r\nsecond part, truncated`),
    code: 'FOVEA_HTTP_MULTIPART_MALFORMED',
    from: 'body 1',
    partsBefore: 1,
  },
  {
    name: 'body ends right after a delimiter, without its line end',
    data: body(`--${b}\r\n\r\nfirst\r\n--${b}`),
    code: 'FOVEA_HTTP_MULTIPART_MALFORMED',
    from: 'body 0',
    partsBefore: 0,
  },
  {
    name: 'body ends after a delimiter line, before the next header block',
    data: body(`--${b}\r\n\r\nfirst\r\n--${b}\r\n`),
    code: 'FOVEA_HTTP_MULTIPART_MALFORMED',
    from: 'iterator',
    partsBefore: 1,
  },
  {
    name: 'garbage after a boundary',
    data: body(`--${b}X\r\n\r\nfirst\r\n--${b}--\r\n`),
    code: 'FOVEA_HTTP_MULTIPART_MALFORMED',
    from: 'iterator',
    partsBefore: 0,
  },
  {
    name: 'header line without a colon',
    data: body(`--${b}\r\nnot a header\r\n\r\nfirst\r\n--${b}--\r\n`),
    code: 'FOVEA_HTTP_MULTIPART_MALFORMED',
    from: 'iterator',
    partsBefore: 0,
  },
  {
    name: 'header block too long',
    data: body(`--${b}\r\n\r\nok\r\n--${b}\r\nX-Long: ${'a'.repeat(200)}\r\n\r\nx\r\n--${b}--\r\n`),
    options: { maxHeaderBytes: 100 },
    code: 'FOVEA_HTTP_MULTIPART_MALFORMED',
    from: 'iterator',
    partsBefore: 1,
  },
  {
    name: 'header block never ends',
    data: body(`--${b}\r\nX-A: 1\r\n${'X-B: 2\r\n'.repeat(50)}`),
    options: { maxHeaderBytes: 100 },
    code: 'FOVEA_HTTP_MULTIPART_MALFORMED',
    from: 'iterator',
    partsBefore: 0,
  },
  {
    name: 'part too big',
    data: body(`--${b}\r\n\r\n0123456789\r\n--${b}\r\n\r\n0123456789A\r\n--${b}--\r\n`),
    options: { maxPartBytes: 10 },
    code: 'FOVEA_HTTP_BODY_TOO_LARGE',
    from: 'body 1',
    partsBefore: 1,
  },
  {
    name: 'too many parts',
    data: body(`--${b}\r\n\r\n1\r\n--${b}\r\n\r\n2\r\n--${b}\r\n\r\n3\r\n--${b}--\r\n`),
    options: { maxParts: 2 },
    code: 'FOVEA_HTTP_BODY_TOO_LARGE',
    from: 'iterator',
    partsBefore: 2,
  },
  {
    name: 'body over the total limit',
    data: body(`--${b}\r\n\r\n${'x'.repeat(100)}\r\n--${b}--\r\n`),
    options: { maxTotalBytes: 80 },
    code: 'FOVEA_HTTP_BODY_TOO_LARGE',
    from: undefined,
    partsBefore: 0,
  },
  {
    name: 'error codes can be chosen (client side)',
    data: body(`--${b}\r\n\r\ntruncated`),
    options: { malformedCode: 'FOVEA_PACS_RESPONSE_INVALID' },
    code: 'FOVEA_PACS_RESPONSE_INVALID',
    from: 'body 0',
    partsBefore: 0,
  },
];

describe('parseMultipart: malformed and oversized bodies', () => {
  for (const { name, data, boundary, options, code, from, partsBefore } of failureCases) {
    test(`${name}: ${code} from the ${from ?? 'body or iterator'}, at every split position`, async () => {
      const cutsList: number[][] = [
        [],
        Array.from({ length: Math.max(0, data.length - 1) }, (_, i) => i + 1),
      ];
      for (let cut = 0; cut <= data.length; cut += 1) {
        cutsList.push([cut]);
      }
      for (const cuts of cutsList) {
        const result = await failure(chunked(data, cuts), boundary ?? b, options);
        assert.equal(result.code, code, `cuts ${cuts.join(',')}`);
        if (from !== undefined) {
          assert.equal(result.from, from, `cuts ${cuts.join(',')}`);
        }
        assert.equal(result.parts.length, partsBefore, `cuts ${cuts.join(',')}`);
      }
    });
  }

  test('limits that are exactly met pass', async () => {
    const data = body(`--${b}\r\n\r\n0123456789\r\n--${b}\r\n\r\n\r\n--${b}--\r\n`);
    const parts = await parseAll(chunked(data, [7]), b, {
      maxParts: 2,
      maxPartBytes: 10,
      maxTotalBytes: data.length,
    });
    assert.equal(parts.length, 2);
  });

  test('the error is sticky: after a body fails, the part iterator throws the same error', async () => {
    const iterator = parseMultipart(chunked(body(`--${b}\r\n\r\ntruncated`), []), b)[Symbol.asyncIterator]();
    const first = await iterator.next();
    if (first.done === true) {
      assert.fail('expected a part');
    }
    let bodyError: unknown;
    try {
      for await (const chunk of first.value.body) {
        assert.ok(chunk.length > 0);
      }
    } catch (error) {
      bodyError = error;
    }
    assert.ok(bodyError instanceof FoveaError);
    await assert.rejects(iterator.next(), (error) => error === bodyError);
  });

  test('an invalid boundary parameter is refused', () => {
    assert.throws(() => parseMultipart(chunked(Buffer.alloc(0), []), ''), FoveaError);
    assert.throws(() => parseMultipart(chunked(Buffer.alloc(0), []), 'a\r\nb'), FoveaError);
  });
});

describe('parseMultipart: streaming', () => {
  test('a part body reaches the consumer before the rest of the body has arrived', async () => {
    const pending: ((chunk: Buffer | undefined) => void)[] = [];
    const queue: Promise<Buffer | undefined>[] = [];
    const push = (chunk: Buffer | undefined): void => {
      const resolve = pending.shift();
      if (resolve === undefined) {
        queue.push(Promise.resolve(chunk));
      } else {
        resolve(chunk);
      }
    };
    const source: AsyncIterable<Buffer> = {
      [Symbol.asyncIterator]: () => ({
        next: async () => {
          const chunk = await (queue.shift() ??
            new Promise<Buffer | undefined>((resolve) => {
              pending.push(resolve);
            }));
          return chunk === undefined ? { done: true, value: undefined } : { done: false, value: chunk };
        },
      }),
    };
    push(Buffer.from(`--${b}\r\nContent-Type: application/dicom\r\n\r\n`));
    push(Buffer.alloc(1000, 1));
    const iterator = parseMultipart(source, b)[Symbol.asyncIterator]();
    const part = await iterator.next();
    assert.equal(part.done, false);
    const bodyIterator = part.value.body[Symbol.asyncIterator]();
    const firstChunk = await bodyIterator.next();
    // nothing else has been pushed yet: the bytes came through while the body is still open
    assert.equal(firstChunk.done, false);
    assert.ok(firstChunk.value.length > 900 && firstChunk.value.length <= 1000);
    push(Buffer.alloc(1000, 2));
    push(Buffer.from(`\r\n--${b}--\r\n`));
    push(undefined);
    let rest = 0;
    for (let next = await bodyIterator.next(); next.done !== true; next = await bodyIterator.next()) {
      rest += next.value.length;
    }
    assert.equal(firstChunk.value.length + rest, 2000);
    assert.equal((await iterator.next()).done, true);
  });

  test('bodies the consumer skips are drained; reading one later fails', async () => {
    const data = body(`--${b}\r\n\r\n${'a'.repeat(5000)}\r\n--${b}\r\n\r\nsecond\r\n--${b}--\r\n`);
    const seen: { index: number; body: AsyncIterable<Buffer> }[] = [];
    for await (const part of parseMultipart(chunked(data, randomCuts(data.length, prng(7), 300)), b)) {
      seen.push({ index: part.index, body: part.body });
    }
    assert.deepEqual(
      seen.map((part) => part.index),
      [0, 1],
    );
    await assert.rejects(
      async () => {
        for await (const chunk of seen[0]!.body) {
          assert.ok(chunk);
        }
      },
      (error) => error instanceof FoveaError && error.code === 'FOVEA_INTERNAL',
    );
  });

  test('a consumer may stop reading a body halfway', async () => {
    const data = body(`--${b}\r\n\r\n${'a'.repeat(5000)}\r\n--${b}\r\n\r\nsecond\r\n--${b}--\r\n`);
    const bodies: string[] = [];
    for await (const part of parseMultipart(chunked(data, randomCuts(data.length, prng(9), 500)), b)) {
      for await (const chunk of part.body) {
        bodies.push(chunk.toString('latin1'));
        break;
      }
    }
    assert.equal(bodies.length, 2);
    assert.equal(bodies[1], 'second');
  });
});

describe('writeMultipart', () => {
  async function written(chunks: AsyncIterable<Buffer>): Promise<Buffer> {
    const list: Buffer[] = [];
    for await (const chunk of chunks) {
      list.push(chunk);
    }
    return Buffer.concat(list);
  }

  test('round trip of random binary payloads (with boundary look-alikes) through random chunkings', async () => {
    const random = prng(42);
    for (let round = 0; round < 60; round += 1) {
      const boundary = createBoundary();
      const count = 1 + Math.floor(random() * 5);
      const payloads: Buffer[] = [];
      for (let index = 0; index < count; index += 1) {
        const pieces: Buffer[] = [];
        const pieceCount = Math.floor(random() * 6);
        for (let piece = 0; piece < pieceCount; piece += 1) {
          pieces.push(randomBytes(Math.floor(random() * 2000)));
          const lookAlikes = [
            `X--${boundary}`,
            `\r\n--${boundary.slice(0, -1)}Z`,
            `\n--${boundary.slice(0, -1)}Z\r\n`,
            '\r\n\r\n',
            '\r\n--',
            `X-${boundary}--`,
          ];
          pieces.push(Buffer.from(lookAlikes[Math.floor(random() * lookAlikes.length)]!, 'latin1'));
        }
        payloads.push(Buffer.concat(pieces));
      }
      const streamed = round % 2 === 0;
      const data = await written(
        writeMultipart(
          payloads.map((payload) => ({
            contentType: 'application/dicom',
            headers: { 'X-Index': String(payloads.indexOf(payload)) },
            body: streamed ? chunked(payload, randomCuts(payload.length, random, 700)) : payload,
          })),
          boundary,
        ),
      );
      const parsed = await parseAll(chunked(data, randomCuts(data.length, random, 5000)), boundary);
      assert.equal(parsed.length, count);
      parsed.forEach((part, index) => {
        assert.equal(part.headers['content-type'], 'application/dicom');
        assert.ok(part.body.equals(payloads[index]!), `round ${round} part ${index}`);
      });
    }
  });

  test('strict write: CRLF framing, content type, validated header fields and boundary', async () => {
    const data = await written(
      writeMultipart([{ contentType: 'application/dicom', body: Buffer.from('x') }], 'bnd'),
    );
    assert.equal(data.toString('latin1'), '--bnd\r\nContent-Type: application/dicom\r\n\r\nx\r\n--bnd--\r\n');
    assert.equal(
      multipartRelatedContentType('bnd', 'application/dicom'),
      'multipart/related; type="application/dicom"; boundary=bnd',
    );
    await assert.rejects(
      written(writeMultipart([{ contentType: 'a/b\r\nX-Injected: 1', body: Buffer.alloc(0) }], 'bnd')),
      FoveaError,
    );
    await assert.rejects(
      written(writeMultipart([{ contentType: 'a/b', body: Buffer.alloc(0) }], 'bad\r\n')),
      FoveaError,
    );
    await assert.rejects(written(writeMultipart([], 'bnd')), FoveaError);
    assert.match(createBoundary(), /^fovea-[0-9a-f]{48}$/);
    assert.notEqual(createBoundary(), createBoundary());
  });
});
