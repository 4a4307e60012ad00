// Vultron (CERT/CC) case model: Report Management, Embargo Management, Case State, desiderata.
// Pure domain logic: no I/O, and time is always passed in.
export * from './cs.ts';
export * from './desiderata.ts';
export * from './em.ts';
export * from './embargo.ts';
export * from './result.ts';
export * from './rm.ts';
