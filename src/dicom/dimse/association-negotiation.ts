/**
 * Acceptor-side association negotiation: checks an A-ASSOCIATE-RQ and answers its presentation contexts
 * from the presentation context table.
 * @see https://dicom.nema.org/medical/dicom/current/output/html/part08.html#sect_7.1.1
 * @see https://dicom.nema.org/medical/dicom/current/output/html/part08.html#sect_9.3.3.2
 */
import type {
  AssociateReject,
  AssociateRequest,
  PresentationContextAnswer,
  PresentationContextProposal,
} from './pdu.ts';
import { presentationContextResult } from './pdu.ts';
import type { PresentationContextTable } from './scp-types.ts';
import { dicomApplicationContextName, implicitVrLittleEndian, verificationSopClassUid } from './uids.ts';

/** A presentation context accepted on an association. */
export interface AcceptedContext {
  readonly id: number;
  readonly abstractSyntax: string;
  readonly transferSyntax: string;
}

/** The answers to send and the contexts that were accepted, by id. */
export interface NegotiationResult {
  readonly answers: readonly PresentationContextAnswer[];
  readonly accepted: ReadonlyMap<number, AcceptedContext>;
}

/**
 * The protocol-level checks of an A-ASSOCIATE-RQ before the owner's policy is asked: protocol version,
 * application context name, called AE title. Returns the rejection, or undefined when the request passes.
 * @see https://dicom.nema.org/medical/dicom/current/output/html/part08.html#sect_9.3.4
 */
export function checkAssociateRequest(
  request: AssociateRequest,
  aeTitle: string,
): AssociateReject | undefined {
  if ((request.protocolVersion & 0x0001) === 0) {
    return { result: 1, source: 2, reason: 2 };
  }
  if (request.applicationContextName !== dicomApplicationContextName) {
    return { result: 1, source: 1, reason: 2 };
  }
  if (request.calledAet !== aeTitle.trim()) {
    return { result: 1, source: 1, reason: 7 };
  }
  return undefined;
}

function acceptableTransferSyntaxes(
  table: PresentationContextTable,
  abstractSyntax: string,
): readonly string[] | undefined {
  const listed = table.get(abstractSyntax);
  if (abstractSyntax !== verificationSopClassUid) {
    return listed;
  }
  if (listed === undefined) {
    return [implicitVrLittleEndian];
  }
  return listed.includes(implicitVrLittleEndian) ? listed : [...listed, implicitVrLittleEndian];
}

function answer(
  proposal: PresentationContextProposal,
  table: PresentationContextTable,
): PresentationContextAnswer {
  const placeholder = proposal.transferSyntaxes[0] ?? implicitVrLittleEndian;
  if (proposal.id % 2 === 0) {
    return { id: proposal.id, result: presentationContextResult.NoReason, transferSyntax: placeholder };
  }
  const acceptable = acceptableTransferSyntaxes(table, proposal.abstractSyntax);
  if (acceptable === undefined || acceptable.length === 0) {
    return {
      id: proposal.id,
      result: presentationContextResult.AbstractSyntaxNotSupported,
      transferSyntax: placeholder,
    };
  }
  const chosen = acceptable.find((ts) => proposal.transferSyntaxes.includes(ts));
  if (chosen === undefined) {
    return {
      id: proposal.id,
      result: presentationContextResult.TransferSyntaxesNotSupported,
      transferSyntax: placeholder,
    };
  }
  return { id: proposal.id, result: presentationContextResult.Acceptance, transferSyntax: chosen };
}

/**
 * Answers each proposed presentation context: acceptance with the first transfer syntax in the table's
 * order of preference that the requestor proposed, else abstract syntax (3) or transfer syntaxes (4) not
 * supported. Verification with Implicit VR Little Endian is always accepted. Even context ids are refused
 * (provider rejection, no reason); a repeated id is answered once.
 * @see https://dicom.nema.org/medical/dicom/current/output/html/part08.html#sect_9.3.3.2
 */
export function negotiatePresentationContexts(
  proposals: readonly PresentationContextProposal[],
  table: PresentationContextTable,
): NegotiationResult {
  const answers: PresentationContextAnswer[] = [];
  const accepted = new Map<number, AcceptedContext>();
  const seen = new Set<number>();
  for (const proposal of proposals) {
    if (seen.has(proposal.id)) {
      continue;
    }
    seen.add(proposal.id);
    const result = answer(proposal, table);
    answers.push(result);
    if (result.result === presentationContextResult.Acceptance) {
      accepted.set(result.id, {
        id: result.id,
        abstractSyntax: proposal.abstractSyntax,
        transferSyntax: result.transferSyntax,
      });
    }
  }
  return { answers, accepted };
}
