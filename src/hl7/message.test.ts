/**
 * The ER7 reader and writer: accessors, round trips, escape sequences, delimiters, charsets, and the
 * typed errors for what cannot be read.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FoveaError } from '../core/errors.ts';
import {
  buildAck,
  defaultDelimiters,
  encodeHl7,
  encodeHl7Bytes,
  escapeHl7,
  Hl7Message,
  parseHl7,
  unescapeHl7,
  type Hl7Delimiters,
  type Hl7Field,
  type Hl7Segment,
} from './index.ts';

const adt = [
  'MSH|^~\\&|ADT1|HOSP|FOVEA|EYE|20250101120000+0100||ADT^A01^ADT_A01|MSG00001|P|2.5.1',
  'EVN|A01|20250101120000',
  'PID|1||PID0001^^^HOSP^MR~99887766^^^NHS&2.16.840.1.113883.2.1.4.1&ISO^NH||Test^Ophthalmic^J||19600101|F',
  'PV1|1|O',
  'OBX|1|NM|4548-4^Hemoglobin A1c^LN||7.2|%^percent^UCUM',
  'OBX|2|ST|X^Note^L||first~second',
  '',
].join('\r');

function expectError(fn: () => unknown, code: string, path?: string): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof FoveaError, String(error));
    assert.equal(error.code, code);
    if (path !== undefined) {
      assert.equal(error.path, path);
    }
    return true;
  });
}

describe('HL7 v2 message model', () => {
  it('reads fields, repetitions, components and subcomponents by 1-based paths', () => {
    const message = parseHl7(adt);
    assert.equal(message.get('MSH-1'), '|');
    assert.equal(message.get('MSH-2'), '^~\\&');
    assert.equal(message.get('MSH-3'), 'ADT1');
    assert.equal(message.messageType, 'ADT^A01');
    assert.equal(message.get('MSH-9.3'), 'ADT_A01');
    assert.equal(message.controlId, 'MSG00001');
    assert.equal(message.version, '2.5.1');
    assert.equal(message.get('PID-3'), 'PID0001');
    assert.equal(message.get('PID-3.1'), 'PID0001');
    assert.equal(message.get('PID-3.4'), 'HOSP');
    assert.equal(message.get('PID-3(2).1'), '99887766');
    assert.equal(message.get('PID-3(2).4.2'), '2.16.840.1.113883.2.1.4.1');
    assert.deepEqual(message.getAll('PID-3.5'), ['MR', 'NH']);
    assert.equal(message.get('PID-5.2'), 'Ophthalmic');
    assert.equal(message.get('OBX(2)-3.2'), 'Note');
    assert.deepEqual(message.getAll('OBX(2)-5'), ['first', 'second']);
    assert.equal(message.get('PID-99'), undefined);
    assert.equal(message.get('ZZZ-1'), undefined);
    assert.equal(message.segmentsNamed('OBX').length, 2);
    assert.deepEqual(message.warnings, []);
    expectError(() => message.get('PID3'), 'FOVEA_INTERNAL');
    expectError(() => message.get('PID-0'), 'FOVEA_INTERNAL');
  });

  it('writes back what it read, byte for byte, for canonical messages', () => {
    assert.equal(encodeHl7(parseHl7(adt)), adt);
    const escaped =
      'MSH|^~\\&|A|B|C|D|20250101||ORU^R01|1|P|2.5.1\rNTE|1||a\\F\\b\\S\\c\\T\\d\\R\\e\\E\\f\\.br\\g\r';
    assert.equal(encodeHl7(parseHl7(escaped)), escaped);
  });

  it('tolerates LF and CRLF segment ends, blank lines and a byte order mark, and says so', () => {
    const lf = adt.replaceAll('\r', '\n');
    const crlf = '\uFEFF\r\n' + adt.replaceAll('\r', '\r\n') + '\r\n\r\n';
    for (const text of [lf, crlf]) {
      const message = parseHl7(text);
      assert.equal(message.segments.length, 6);
      assert.equal(message.get('OBX(2)-3.2'), 'Note');
      assert.equal(message.warnings.length, 1);
    }
    assert.equal(encodeHl7(parseHl7(lf)), adt);
  });

  it('skips lines that are not segments, with a warning', () => {
    const message = parseHl7(`${adt}this is not a segment\rzzz|x\rNTE|1||ok\r`);
    assert.equal(message.get('NTE-3'), 'ok');
    assert.ok(message.warnings.some((warning) => warning.includes('not a segment')));
  });

  it('decodes every escape sequence of §2.7 and keeps unknown ones with a warning', () => {
    const d = defaultDelimiters;
    assert.equal(unescapeHl7('\\F\\\\S\\\\T\\\\R\\\\E\\', d), '|^&~\\');
    assert.equal(unescapeHl7('a\\.br\\b\\.sp\\c', d), 'a\nb\nc');
    assert.equal(unescapeHl7('\\H\\bold\\N\\ \\.in+4\\x\\.ce\\', d), 'bold x');
    assert.equal(unescapeHl7('\\X41\\\\X0D0A\\', d), 'A\r\n');
    assert.equal(
      unescapeHl7('\\XC3A9\\', d, (bytes) => bytes.toString('utf8')),
      'é',
    );
    assert.equal(unescapeHl7('\\Zlocal\\\\C2842\\', d), '\\Zlocal\\');
    const problems: string[] = [];
    assert.equal(
      unescapeHl7('\\Q\\ and \\X4\\ and \\unterminated', d, undefined, (p) => problems.push(p)),
      '\\Q\\ and \\X4\\ and \\unterminated',
    );
    assert.equal(problems.length, 3);
    const message = parseHl7('MSH|^~\\&|A|B|C|D|1||ORU^R01|1|P|2.5.1\rNTE|1||\\Q\\\r');
    assert.equal(message.get('NTE-3'), '\\Q\\');
    assert.equal(message.warnings.length, 1);
  });

  it('escapes delimiters, the escape character, line feeds and control characters on write', () => {
    const d = defaultDelimiters;
    assert.equal(
      escapeHl7('a|b^c&d~e\\f\ng\rh\u0001i', d),
      'a\\F\\b\\S\\c\\T\\d\\R\\e\\E\\f\\.br\\g\\X0D\\h\\X01\\i',
    );
    assert.equal(escapeHl7('plain', d), 'plain');
    for (const value of ['|^~\\&', '\\E\\', '\\\\', 'x\r\ny', '\\X41\\', 'é€😀']) {
      assert.equal(
        unescapeHl7(escapeHl7(value, d), d, (bytes) => bytes.toString('latin1')),
        value,
      );
    }
  });

  it('uses the delimiters a message declares, including the v2.7 truncation character', () => {
    const custom = 'MSH#$%@!#A#B#C#D#1##ORU$R01#1#P#2.5.1\rNTE#1##x$y%z!w@F@\r';
    const message = parseHl7(custom);
    assert.deepEqual(message.delimiters, {
      field: '#',
      component: '$',
      repetition: '%',
      escape: '@',
      subcomponent: '!',
    } satisfies Hl7Delimiters);
    assert.equal(message.get('NTE-3.2'), 'y');
    assert.equal(message.get('NTE-3(2).1.2'), 'w#');
    assert.equal(encodeHl7(message), custom);
    const v27 = parseHl7('MSH|^~\\&#|A|B|C|D|1||ORU^R01|1|P|2.7\rNTE|1||cut\\P\\ here#\r');
    assert.equal(v27.delimiters.truncation, '#');
    assert.equal(v27.get('MSH-2'), '^~\\&#');
    assert.equal(v27.get('NTE-3'), 'cut# here#');
    assert.equal(encodeHl7(v27), 'MSH|^~\\&#|A|B|C|D|1||ORU^R01|1|P|2.7\rNTE|1||cut\\P\\ here\\P\\\r');
  });

  it('survives random values with every special character (round trip of 500 random messages)', () => {
    const alphabet = [
      'a',
      'Z',
      '0',
      ' ',
      '|',
      '^',
      '~',
      '\\',
      '&',
      '\n',
      '\r',
      '\t',
      'é',
      '€',
      '😀',
      '#',
      '"',
    ];
    let seed = 42;
    const random = (n: number): number => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    const value = (): string =>
      Array.from({ length: random(6) }, () => alphabet[random(alphabet.length)]!).join('');
    for (let round = 0; round < 500; round += 1) {
      const fields: Hl7Field[] = [[['NTE']]].map((c) => [c]) as Hl7Field[];
      for (let f = 1; f <= 1 + random(5); f += 1) {
        fields.push(
          Array.from({ length: 1 + random(2) }, () =>
            Array.from({ length: 1 + random(3) }, () => Array.from({ length: 1 + random(2) }, value)),
          ),
        );
      }
      const msh: Hl7Segment = parseHl7('MSH|^~\\&|A|B|C|D|1||ORU^R01|1|P|2.5.1||||||UNICODE UTF-8').segment(
        'MSH',
      )!;
      const original = new Hl7Message([msh, { name: 'NTE', fields }], defaultDelimiters);
      const again = parseHl7(encodeHl7Bytes(original));
      const encoded = encodeHl7(original);
      assert.equal(encodeHl7(again), encoded);
      // Trailing empty components and subcomponents are not written, so compare the re-read structure.
      assert.deepEqual(parseHl7(encoded).segments, again.segments);
    }
  });

  it('decodes the bytes by MSH-18 and writes them back in the same charset', () => {
    const latin = Buffer.concat([
      Buffer.from('MSH|^~\\&|A|B|C|D|1||ADT^A01|1|P|2.5.1||||||8859/1\rPID|1||1||M', 'latin1'),
      Buffer.from([0xfc]),
      Buffer.from('ller^Ren', 'latin1'),
      Buffer.from([0xe9]),
      Buffer.from('\\XE9\\\r', 'latin1'),
    ]);
    const message = parseHl7(latin);
    assert.equal(message.charset, '8859/1');
    assert.equal(message.get('PID-5.1'), 'Müller');
    assert.equal(message.get('PID-5.2'), 'Renéé');
    const written = encodeHl7Bytes(message);
    assert.ok(written.includes(Buffer.from([0xfc])));
    const utf8 = Buffer.from(
      'MSH|^~\\&|A|B|C|D|1||ADT^A01|1|P|2.5.1||||||UNICODE UTF-8\rPID|1||1||Ærøskøbing^\\XC3A6\\\r',
      'utf8',
    );
    const read = parseHl7(utf8);
    assert.equal(read.get('PID-5.1'), 'Ærøskøbing');
    assert.equal(read.get('PID-5.2'), 'æ');
    assert.equal(
      encodeHl7Bytes(read).toString('utf8'),
      'MSH|^~\\&|A|B|C|D|1||ADT^A01|1|P|2.5.1||||||UNICODE UTF-8\rPID|1||1||Ærøskøbing^æ\r',
    );
    // No MSH-18: UTF-8 when the bytes are UTF-8, else ISO 8859-1.
    assert.equal(
      parseHl7(Buffer.from('MSH|^~\\&|A|B|C|D|1||ADT^A01|1|P|2.5.1\rPID|1||1||Zoë\r', 'utf8')).get('PID-5'),
      'Zoë',
    );
    assert.equal(
      parseHl7(Buffer.from('MSH|^~\\&|A|B|C|D|1||ADT^A01|1|P|2.5.1\rPID|1||1||Zoë\r', 'latin1')).get('PID-5'),
      'Zoë',
    );
    const ascii = parseHl7(
      Buffer.from('MSH|^~\\&|A|B|C|D|1||ADT^A01|1|P|2.5.1||||||ASCII\rPID|1||1||Zoë\r', 'latin1'),
    );
    assert.equal(ascii.get('PID-5'), 'Zoë');
    assert.equal(ascii.warnings.length, 1);
    expectError(() => encodeHl7Bytes(ascii), 'FOVEA_MLLP_UNREPRESENTABLE', 'MSH-18');
    const aliased = parseHl7(Buffer.from('MSH|^~\\&|A|B|C|D|1||ADT^A01|1|P|2.5.1||||||UTF-8\r', 'utf8'));
    assert.ok(aliased.warnings[0]!.includes('UNICODE UTF-8'));
    expectError(
      () => parseHl7(Buffer.from('MSH|^~\\&|A|B|C|D|1||ADT^A01|1|P|2.5.1||||||ISO IR87\r')),
      'FOVEA_MLLP_CHARSET_UNSUPPORTED',
      'MSH-18',
    );
  });

  it('rejects what is not a message with typed errors naming the field', () => {
    expectError(() => parseHl7(''), 'FOVEA_MLLP_MALFORMED', 'MSH');
    expectError(() => parseHl7('PID|1||x\r'), 'FOVEA_MLLP_MALFORMED', 'MSH');
    expectError(() => parseHl7('BHS|^~\\&\rMSH|^~\\&|\r'), 'FOVEA_MLLP_MALFORMED', 'MSH');
    expectError(() => parseHl7(Buffer.from([0xff, 0x00, 0x13])), 'FOVEA_MLLP_MALFORMED');
    expectError(() => parseHl7('MSH'), 'FOVEA_MLLP_ENCODING_CHARACTERS_INVALID', 'MSH-1');
    expectError(() => parseHl7('MSHA^~\\&A'), 'FOVEA_MLLP_ENCODING_CHARACTERS_INVALID', 'MSH-1');
    expectError(() => parseHl7('MSH|^~\\|A|B'), 'FOVEA_MLLP_ENCODING_CHARACTERS_INVALID', 'MSH-2');
    expectError(() => parseHl7('MSH|^~^&|A|B'), 'FOVEA_MLLP_ENCODING_CHARACTERS_INVALID', 'MSH-2');
    expectError(() => parseHl7('MSH|^~a&|A|B'), 'FOVEA_MLLP_ENCODING_CHARACTERS_INVALID', 'MSH-2');
    expectError(
      () => parseHl7('MSH|^~\\&|||'.replace('|^', '|^|')),
      'FOVEA_MLLP_ENCODING_CHARACTERS_INVALID',
      'MSH-2',
    );
    expectError(() => parseHl7('MSH|^~\\&#!|A'), 'FOVEA_MLLP_ENCODING_CHARACTERS_INVALID', 'MSH-2');
  });

  it('builds an ACK that mirrors sender and receiver and carries the error in MSA and ERR', () => {
    const received = parseHl7(adt);
    const aa = parseHl7(
      encodeHl7(buildAck({ code: 'AA', msh: received.segment('MSH')!, now: new Date(0), controlId: 'ACK1' })),
    );
    assert.equal(aa.get('MSH-3'), 'FOVEA');
    assert.equal(aa.get('MSH-4'), 'EYE');
    assert.equal(aa.get('MSH-5'), 'ADT1');
    assert.equal(aa.get('MSH-6'), 'HOSP');
    assert.equal(aa.get('MSH-7'), '19700101000000+0000');
    assert.equal(aa.messageType, 'ACK^A01');
    assert.equal(aa.get('MSH-9.3'), 'ACK');
    assert.equal(aa.controlId, 'ACK1');
    assert.equal(aa.version, '2.5.1');
    assert.equal(aa.get('MSA-1'), 'AA');
    assert.equal(aa.get('MSA-2'), 'MSG00001');
    assert.equal(aa.segment('ERR'), undefined);
    const error = new FoveaError('FOVEA_MLLP_REQUIRED_FIELD_MISSING', {
      detail: 'PID-3 is empty',
      path: 'PID-3',
    });
    const ae = parseHl7(encodeHl7(buildAck({ code: 'AE', msh: received.segment('MSH')!, error })));
    assert.equal(ae.get('MSA-1'), 'AE');
    assert.equal(ae.get('MSA-3'), error.spec.title);
    assert.equal(ae.get('ERR-1.1'), 'PID');
    assert.equal(ae.get('ERR-1.4.1'), '101');
    assert.equal(ae.get('ERR-2.3'), '3');
    assert.equal(ae.get('ERR-3.1'), '101');
    assert.equal(ae.get('ERR-3.3'), 'HL70357');
    assert.equal(ae.get('ERR-4'), 'E');
    assert.equal(ae.get('ERR-5.1'), 'FOVEA_MLLP_REQUIRED_FIELD_MISSING');
    assert.equal(ae.get('ERR-7'), 'PID-3 is empty');
    assert.equal(ae.controlId.length, 20);
    const none = parseHl7(encodeHl7(buildAck({ code: 'AR', error, application: 'FOVEA', facility: 'SITE' })));
    assert.equal(none.get('MSH-3'), 'FOVEA');
    assert.equal(none.get('MSH-4'), 'SITE');
    assert.equal(none.version, '2.5.1');
    assert.equal(none.get('MSA-2'), undefined);
  });
});
