import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { FoveaError } from '../../core/errors.ts';
import { formatMediaType, negotiateMediaType, parseAccept, parseMediaType } from './media-type.ts';

describe('parseMediaType', () => {
  const cases: { header: string; type: string; subtype: string; params: Record<string, string> }[] = [
    { header: 'application/dicom', type: 'application', subtype: 'dicom', params: {} },
    {
      header: 'Multipart/Related; Type="application/dicom"; BOUNDARY=abc',
      type: 'multipart',
      subtype: 'related',
      params: { type: 'application/dicom', boundary: 'abc' },
    },
    {
      header: 'multipart/related;type=application/dicom;boundary=----=_Part_0_1.2',
      type: 'multipart',
      subtype: 'related',
      params: { type: 'application/dicom', boundary: '----=_Part_0_1.2' },
    },
    {
      header: 'multipart/related ; boundary="a \\"quoted\\" b;c" ; type="application/dicom" ;',
      type: 'multipart',
      subtype: 'related',
      params: { boundary: 'a "quoted" b;c', type: 'application/dicom' },
    },
    {
      header: 'application/dicom; transfer-syntax=1.2.840.10008.1.2.1; transfer-syntax=ignored',
      type: 'application',
      subtype: 'dicom',
      params: { 'transfer-syntax': '1.2.840.10008.1.2.1' },
    },
    {
      header: '  text/plain;charset=utf-8  ',
      type: 'text',
      subtype: 'plain',
      params: { charset: 'utf-8' },
    },
  ];
  for (const { header, type, subtype, params } of cases) {
    test(header, () => {
      assert.deepEqual(parseMediaType(header), { type, subtype, params });
    });
  }
  for (const header of [
    '',
    'dicom',
    'application/',
    '/dicom',
    'a/b; =x',
    'a/b; name',
    'a/b; n="open',
    'a/b c',
  ]) {
    test(`invalid: ${JSON.stringify(header)}`, () => {
      assert.throws(
        () => parseMediaType(header),
        (error) => error instanceof FoveaError && error.code === 'FOVEA_HTTP_BAD_REQUEST',
      );
    });
  }
  test('a parameter named __proto__ does not touch the prototype', () => {
    const parsed = parseMediaType('a/b; __proto__=x');
    assert.equal(Object.getPrototypeOf(parsed.params), Object.prototype);
    assert.equal(Object.getOwnPropertyDescriptor(parsed.params, '__proto__')?.value, 'x');
  });
  test('formatMediaType quotes what is not a token', () => {
    assert.equal(
      formatMediaType(parseMediaType('multipart/related; type="application/dicom"; boundary=abc')),
      'multipart/related; type="application/dicom"; boundary=abc',
    );
    assert.equal(
      formatMediaType({ type: 'a', subtype: 'b', params: { x: 'say "hi"' } }),
      'a/b; x="say \\"hi\\""',
    );
  });
});

describe('Accept negotiation', () => {
  const offers = ['application/dicom+json', 'application/json'];
  const cases: { accept: string | undefined; chosen: string | undefined }[] = [
    { accept: undefined, chosen: 'application/dicom+json' },
    { accept: '', chosen: 'application/dicom+json' },
    { accept: '*/*', chosen: 'application/dicom+json' },
    { accept: 'application/*', chosen: 'application/dicom+json' },
    { accept: 'application/json', chosen: 'application/json' },
    { accept: 'application/dicom+json, application/json;q=0.5', chosen: 'application/dicom+json' },
    { accept: 'application/dicom+json;q=0.4, application/json', chosen: 'application/json' },
    { accept: 'application/dicom+xml', chosen: undefined },
    { accept: 'multipart/related; type="application/dicom+xml"', chosen: undefined },
    { accept: 'application/dicom+json;q=0, */*;q=0.1', chosen: 'application/json' },
    { accept: 'garbage, application/json', chosen: 'application/json' },
    { accept: 'text/html, application/xhtml+xml, */*;q=0.8', chosen: 'application/dicom+json' },
  ];
  for (const { accept, chosen } of cases) {
    test(`${String(accept)} → ${String(chosen)}`, () => {
      assert.equal(negotiateMediaType(accept, offers), chosen);
    });
  }
  test('parseAccept sorts by quality and keeps parameters', () => {
    const ranges = parseAccept('a/b;q=0.2, c/d; x="1,2", e/f;q=0.9');
    assert.deepEqual(
      ranges.map((range) => [`${range.type}/${range.subtype}`, range.quality, range.params]),
      [
        ['c/d', 1, { x: '1,2' }],
        ['e/f', 0.9, {}],
        ['a/b', 0.2, {}],
      ],
    );
  });
});
