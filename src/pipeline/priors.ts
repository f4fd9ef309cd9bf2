/**
 * Priors from Fovea's own index: the same patient's earlier routed studies holding an instance of the
 * wanted modalities, newest first, each as its assembled Case.
 */
import type { Case } from '../core/case.ts';
import type { InstanceIndex } from '../core/instance-index.ts';
import type { PriorFinder } from './analyze-step.ts';

/** Finds priors in the index (at most `limit`, default 10). */
export function indexPriorFinder(index: InstanceIndex, limit = 10): PriorFinder {
  return {
    async findPriors(current: Case, modalities: readonly string[]): Promise<Case[]> {
      const uids = await index.priorStudies(current.studyInstanceUid, modalities, limit);
      const cases: Case[] = [];
      for (const uid of uids) {
        const assembly = await index.getAssembly(uid);
        if (assembly !== undefined) {
          cases.push(assembly.case);
        }
      }
      return cases;
    },
  };
}
