import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkAssociateRequest, negotiatePresentationContexts } from './association-negotiation.ts';
import type { AssociateRequest } from './pdu.ts';
import { dicomApplicationContextName, implicitVrLittleEndian, verificationSopClassUid } from './uids.ts';

const explicitLe = '1.2.840.10008.1.2.1';
const jpegBaseline = '1.2.840.10008.1.2.4.50';
const op = '1.2.840.10008.5.1.4.1.1.77.1.5.1';
const ct = '1.2.840.10008.5.1.4.1.1.2';

function request(overrides: Partial<AssociateRequest> = {}): AssociateRequest {
  return {
    protocolVersion: 1,
    calledAet: 'FOVEA',
    callingAet: 'MOD',
    calledAetRaw: 'FOVEA',
    callingAetRaw: 'MOD',
    applicationContextName: dicomApplicationContextName,
    presentationContexts: [],
    userInformation: { maxPduLength: 0 },
    ...overrides,
  };
}

describe('association negotiation', () => {
  it('checks protocol version, application context and called AE title', () => {
    assert.equal(checkAssociateRequest(request(), ' FOVEA '), undefined);
    assert.deepEqual(checkAssociateRequest(request({ protocolVersion: 2 }), 'FOVEA'), {
      result: 1,
      source: 2,
      reason: 2,
    });
    assert.deepEqual(checkAssociateRequest(request({ applicationContextName: '1.2.3' }), 'FOVEA'), {
      result: 1,
      source: 1,
      reason: 2,
    });
    assert.deepEqual(checkAssociateRequest(request({ calledAet: 'OTHER' }), 'FOVEA'), {
      result: 1,
      source: 1,
      reason: 7,
    });
  });

  it('accepts with the table preference, and answers 3 and 4 otherwise', () => {
    const table = new Map([[op, [jpegBaseline, explicitLe, implicitVrLittleEndian]]]);
    const result = negotiatePresentationContexts(
      [
        { id: 1, abstractSyntax: op, transferSyntaxes: [implicitVrLittleEndian, explicitLe] },
        { id: 3, abstractSyntax: op, transferSyntaxes: ['1.2.840.10008.1.2.2'] },
        { id: 5, abstractSyntax: ct, transferSyntaxes: [explicitLe] },
        { id: 7, abstractSyntax: verificationSopClassUid, transferSyntaxes: [implicitVrLittleEndian] },
        { id: 8, abstractSyntax: op, transferSyntaxes: [explicitLe] },
        { id: 1, abstractSyntax: ct, transferSyntaxes: [explicitLe] },
      ],
      table,
    );
    assert.deepEqual(
      result.answers.map((answer) => [answer.id, answer.result]),
      [
        [1, 0],
        [3, 4],
        [5, 3],
        [7, 0],
        [8, 2],
      ],
    );
    assert.equal(result.answers[0]!.transferSyntax, explicitLe);
    assert.deepEqual([...result.accepted.keys()], [1, 7]);
    assert.equal(result.accepted.get(7)!.transferSyntax, implicitVrLittleEndian);
  });

  it('always accepts Verification with Implicit VR Little Endian', () => {
    const result = negotiatePresentationContexts(
      [
        {
          id: 1,
          abstractSyntax: verificationSopClassUid,
          transferSyntaxes: [explicitLe, implicitVrLittleEndian],
        },
      ],
      new Map([[verificationSopClassUid, [explicitLe]]]),
    );
    assert.equal(result.answers[0]!.result, 0);
    assert.equal(result.answers[0]!.transferSyntax, explicitLe);
  });
});
