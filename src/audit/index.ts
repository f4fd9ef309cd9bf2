/**
 * Audit: the hash chain over audit events (`core/audit.ts` is the model and the port).
 */
export { auditHash, chainEvent, genesisHash, verifyChain } from './hash-chain.ts';
