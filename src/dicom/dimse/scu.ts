/**
 * Storage SCU and Verification SCU: send instances to a peer SCP (C-STORE) and check that it answers
 * (C-ECHO).
 * @see https://dicom.nema.org/medical/dicom/current/output/html/part04.html#sect_B.2
 * @see https://dicom.nema.org/medical/dicom/current/output/html/part04.html#sect_A.4
 */
import { FoveaError } from '../../core/errors.ts';
import { logEvents } from '../../core/log-events.ts';
import { commandField, noDataSet } from './command-set.ts';
import type { PresentationContextProposal } from './pdu.ts';
import type { StoreOutcome } from './scp-types.ts';
import { ScuAssociation, type ScuOptions } from './scu-association.ts';
import { classifyStatus, dimseStatus } from './status.ts';
import { implicitVrLittleEndian, verificationSopClassUid } from './uids.ts';

export type { ScuOptions } from './scu-association.ts';

/** A SOP class and the transfer syntaxes we can send it in. */
export interface ProposedContext {
  sopClassUid: string;
  transferSyntaxes: readonly string[];
}

/**
 * One instance to send.
 * @see https://dicom.nema.org/medical/dicom/current/output/html/part07.html#sect_9.1.1.1
 */
export interface StoreScuRequest {
  sopClassUid: string;
  sopInstanceUid: string;
  /** Must be one the peer accepted for the SOP class (see `StoreScu.accepted`). */
  transferSyntaxUid: string;
  /**
   * The data set only (no preamble, no file meta), as bytes or a stream. A stream's buffers are sent
   * without copying, so its producer must not reuse them (Node's file streams do not).
   */
  dataset: Buffer | AsyncIterable<Buffer>;
  /** 0 medium (default), 1 high, 2 low. */
  priority?: number;
  /** Set when this store is a C-MOVE sub-operation. */
  moveOriginatorAet?: string;
  moveOriginatorMessageId?: number;
}

interface ContextEntry {
  readonly id: number;
  readonly sopClassUid: string;
  readonly transferSyntax: string;
}

/** Odd presentation context ids 1..255. */
const maxContexts = 128;

/** One presentation context per SOP class × transfer syntax pair, odd ids in order. */
function proposeContexts(contexts: readonly ProposedContext[]): ContextEntry[] {
  const entries: ContextEntry[] = [];
  const seen = new Set<string>();
  for (const context of contexts) {
    for (const transferSyntax of context.transferSyntaxes) {
      const key = `${context.sopClassUid}|${transferSyntax}`;
      if (seen.has(key)) {
        continue;
      }
      seen.add(key);
      entries.push({ id: entries.length * 2 + 1, sopClassUid: context.sopClassUid, transferSyntax });
    }
  }
  if (entries.length === 0 || entries.length > maxContexts) {
    throw new FoveaError('FOVEA_INTERNAL', {
      detail: `an association proposes 1 to ${maxContexts} presentation contexts, not ${entries.length}`,
    });
  }
  return entries;
}

function toProposals(entries: readonly ContextEntry[]): PresentationContextProposal[] {
  return entries.map((entry) => ({
    id: entry.id,
    abstractSyntax: entry.sopClassUid,
    transferSyntaxes: [entry.transferSyntax],
  }));
}

/**
 * A storage SCU association: C-STORE requests one at a time (concurrent calls queue).
 * @see https://dicom.nema.org/medical/dicom/current/output/html/part04.html#sect_B.2
 */
export class StoreScu {
  readonly #association: ScuAssociation;
  /** Accepted contexts per SOP class, in the order proposed. */
  readonly #accepted: ReadonlyMap<string, readonly ContextEntry[]>;
  #queue: Promise<unknown> = Promise.resolve();
  #messageId = 0;

  private constructor(association: ScuAssociation, accepted: ReadonlyMap<string, readonly ContextEntry[]>) {
    this.#association = association;
    this.#accepted = accepted;
  }

  /**
   * Connects and proposes one presentation context per SOP class × transfer syntax (odd ids). Throws
   * FOVEA_DIMSE_ASSOCIATION_REJECTED when the peer rejects, FOVEA_DIMSE_PEER on other failures.
   * @see https://dicom.nema.org/medical/dicom/current/output/html/part08.html#sect_7.1
   */
  static async connect(options: ScuOptions, contexts: readonly ProposedContext[]): Promise<StoreScu> {
    const entries = proposeContexts(contexts);
    const association = await ScuAssociation.open(options, toProposals(entries));
    const answers = new Map(association.accept.presentationContexts.map((answer) => [answer.id, answer]));
    const accepted = new Map<string, ContextEntry[]>();
    for (const entry of entries) {
      const answer = answers.get(entry.id);
      if (answer?.result !== 0) {
        continue;
      }
      const list = accepted.get(entry.sopClassUid) ?? [];
      // Lenient read: trust the transfer syntax the acceptor names (it can only be the one proposed).
      list.push({
        ...entry,
        transferSyntax: answer.transferSyntax === '' ? entry.transferSyntax : answer.transferSyntax,
      });
      accepted.set(entry.sopClassUid, list);
    }
    return new StoreScu(association, accepted);
  }

  /** The transfer syntaxes the peer accepted for a SOP class, in the order proposed. */
  accepted(sopClassUid: string): readonly string[] {
    return (this.#accepted.get(sopClassUid) ?? []).map((entry) => entry.transferSyntax);
  }

  /**
   * Sends one instance and resolves with the peer's status; rejects only when no answer can be had
   * (no accepted context, association failure, timeout).
   * @see https://dicom.nema.org/medical/dicom/current/output/html/part07.html#sect_9.3.1
   */
  store(request: StoreScuRequest): Promise<StoreOutcome> {
    const run = this.#queue.then(() => this.#store(request));
    this.#queue = run.catch(() => undefined);
    return run;
  }

  async #store(request: StoreScuRequest): Promise<StoreOutcome> {
    const contexts = this.#accepted.get(request.sopClassUid);
    if (contexts === undefined) {
      throw new FoveaError('FOVEA_DICOM_SOP_CLASS_UNSUPPORTED', {
        detail: `the peer accepted no presentation context for ${request.sopClassUid}`,
      });
    }
    const context = contexts.find((entry) => entry.transferSyntax === request.transferSyntaxUid);
    if (context === undefined) {
      throw new FoveaError('FOVEA_DICOM_TRANSFER_SYNTAX_UNSUPPORTED', {
        detail: `the peer did not accept ${request.transferSyntaxUid} for ${request.sopClassUid}`,
      });
    }
    this.#messageId = (this.#messageId % 0xffff) + 1;
    const messageId = this.#messageId;
    const response = await this.#association.request(
      context.id,
      {
        commandField: commandField.CStoreRq,
        messageId,
        affectedSopClassUid: request.sopClassUid,
        affectedSopInstanceUid: request.sopInstanceUid,
        priority: request.priority ?? 0,
        commandDataSetType: 0x0000,
        moveOriginatorAet: request.moveOriginatorAet,
        moveOriginatorMessageId: request.moveOriginatorMessageId,
      },
      request.dataset,
    );
    if (response.commandField !== commandField.CStoreRsp || response.status === undefined) {
      this.#association.abort();
      throw new FoveaError('FOVEA_DIMSE_PROTOCOL', {
        detail: 'the answer to a C-STORE-RQ is not a C-STORE-RSP',
      });
    }
    const outcome: StoreOutcome = { status: response.status };
    if (response.errorComment !== undefined && response.errorComment !== '') {
      outcome.errorComment = response.errorComment;
    }
    if (classifyStatus(response.status) === 'failure') {
      this.#association.logger.warn(
        {
          event: logEvents.DIMSE_SCU_STORE_FAILED,
          sopClassUid: request.sopClassUid,
          sopInstanceUid: request.sopInstanceUid,
          status: `0x${response.status.toString(16).padStart(4, '0')}`,
        },
        'the peer refused a C-STORE',
      );
    }
    return outcome;
  }

  /**
   * Waits for queued stores, then releases the association.
   * @see https://dicom.nema.org/medical/dicom/current/output/html/part08.html#sect_7.2
   */
  async release(): Promise<void> {
    await this.#queue;
    await this.#association.release();
  }

  /**
   * Aborts the association at once; pending stores reject with FOVEA_DIMSE_PEER.
   * @see https://dicom.nema.org/medical/dicom/current/output/html/part08.html#sect_7.3
   */
  abort(): void {
    this.#association.abort();
  }
}

/**
 * Verifies a peer: association with the Verification SOP class, C-ECHO, release. Throws a FoveaError
 * (FOVEA_DIMSE_ASSOCIATION_REJECTED or FOVEA_DIMSE_PEER) on any failure.
 * @see https://dicom.nema.org/medical/dicom/current/output/html/part04.html#sect_A.4
 */
export async function echo(options: ScuOptions): Promise<void> {
  const association = await ScuAssociation.open(options, [
    { id: 1, abstractSyntax: verificationSopClassUid, transferSyntaxes: [implicitVrLittleEndian] },
  ]);
  try {
    if (association.accept.presentationContexts.find((answer) => answer.id === 1)?.result !== 0) {
      throw new FoveaError('FOVEA_DIMSE_PEER', {
        detail: 'the peer did not accept the Verification SOP class',
      });
    }
    const response = await association.request(1, {
      commandField: commandField.CEchoRq,
      messageId: 1,
      affectedSopClassUid: verificationSopClassUid,
      commandDataSetType: noDataSet,
    });
    if (response.commandField !== commandField.CEchoRsp || response.status !== dimseStatus.Success) {
      throw new FoveaError('FOVEA_DIMSE_PEER', {
        detail: `C-ECHO answered with status 0x${(response.status ?? 0xffff).toString(16).padStart(4, '0')}`,
      });
    }
    association.logger.info({ event: logEvents.DIMSE_SCU_ECHO }, 'C-ECHO succeeded');
  } catch (error) {
    association.abort();
    throw error;
  }
  await association.release();
}
