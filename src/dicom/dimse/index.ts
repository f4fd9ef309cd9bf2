/**
 * DIMSE adapter: an in-house DICOM upper layer (PS3.8) with C-ECHO and C-STORE as SCP and SCU. It imports
 * only `core`; the pipeline hands it handlers and gets protocol answers out of their typed outcomes.
 * @see https://dicom.nema.org/medical/dicom/current/output/html/part08.html
 * @see https://dicom.nema.org/medical/dicom/current/output/html/part07.html
 */
export type {
  AssociationContext,
  AssociationDecision,
  AssociationRequestInfo,
  CStoreRequestInfo,
  DatasetSink,
  DimseServer,
  DimseServerOptions,
  PresentationContextTable,
  StoreOutcome,
  StoreScpHandlers,
} from './scp-types.ts';
export { startDimseServer } from './scp.ts';
export type { ProposedContext, ScuOptions, StoreScuRequest } from './scu.ts';
export { echo, StoreScu } from './scu.ts';
export { classifyStatus, dimseStatus, type DimseStatusClass } from './status.ts';
export {
  defaultImplementationClassUid,
  defaultImplementationVersionName,
  implicitVrLittleEndian,
  verificationSopClassUid,
} from './uids.ts';
