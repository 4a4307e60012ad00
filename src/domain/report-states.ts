// Vultron report management as the report and case services use it (see src/domain/vultron).
export type { RmAction } from './vultron/index.ts';
export { RM_ACTIONS, rmAllowed, rmNext } from './vultron/index.ts';
