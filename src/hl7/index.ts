/**
 * HL7 v2: the ER7 message model (parser, encoder, escaping, MSH-18 charsets), original-mode ACKs, the MLLP
 * server and the interpretation of the messages Fovea accepts; outbound, the ORU^R01 result and alert and
 * ORM^O01 priority update builders and the MLLP client. Imports only `core`; the owner hands the server a
 * handler and gets HL7 acknowledgements out of its typed outcome.
 * @see https://www.hl7.eu/HL7v2x/v251/std251/ch02.html (HL7 v2.5.1 chapter 2, control)
 */
export {
  buildAck,
  defaultAckVersion,
  encodeAck,
  formatHl7Timestamp,
  hl7ErrorConditionOf,
  hl7ErrorConditions,
  newControlId,
  peekMsh,
  type AckRequest,
  type Hl7AckCodeOriginal,
  type Hl7ErrorCondition,
} from './ack.ts';
export {
  charsetDecoding,
  writableCharset,
  type Hl7CharsetDecoding,
  type Hl7WritableCharset,
} from './charset.ts';
export { encodeHl7, encodeHl7Bytes } from './encode.ts';
export {
  defaultDelimiters,
  encodingCharacters,
  escapeHl7,
  unescapeHl7,
  type Hl7Delimiters,
} from './escape.ts';
export {
  hl7DateTimeToIso,
  interpretHl7,
  type Hl7Code,
  type Hl7Interpretation,
  type Hl7Observation,
  type Hl7Order,
  type Hl7PatientIdentifier,
  type Hl7PatientIdentity,
  type Hl7PersonName,
  type Hl7Source,
} from './interpret.ts';
export {
  fieldValue,
  hl7Field,
  Hl7Message,
  parseHl7Path,
  type Hl7Component,
  type Hl7Field,
  type Hl7Path,
  type Hl7Repetition,
  type Hl7Segment,
} from './message.ts';
export { judgeAck, sendMllpMessage, type MllpSendOptions, type MllpSendResult } from './mllp-client.ts';
export { frameMllp, MllpFramer, type MllpFrameEvent } from './mllp-framer.ts';
export { startMllpServer } from './mllp-server.ts';
export {
  supportedMessageTypes,
  supportedVersions,
  type Hl7HandlerOutcome,
  type Hl7MessageHandler,
  type Hl7ReceivedContext,
  type MllpServer,
  type MllpServerOptions,
} from './mllp-types.ts';
export { buildOrderPriorityUpdate, type Hl7OrderInput, type OrderPriorityInput } from './orm-o01.ts';
export {
  abnormalFlagOf,
  buildCriticalFindingAlert,
  buildOruR01,
  type CriticalAlertInput,
  type Hl7CriticalReason,
  type Hl7ResultStatus,
  type Hl7StudyInput,
  type Hl7Verifier,
  type OruR01Input,
} from './oru-r01.ts';
export {
  controlIdFromName,
  dicomDateTimeToHl7,
  dicomNameToXpn,
  dicomSexToHl7,
  foveaApplication,
  foveaCodingSystem,
  hl7Segment,
  outboundCharset,
  outboundVersion,
  type Hl7ComponentValue,
  type Hl7Endpoints,
  type Hl7FieldValue,
  type Hl7PatientInput,
} from './outbound.ts';
export { parseHl7 } from './parse.ts';
