/** The part of jstat (no types of its own) the evals use. */
declare module 'jstat' {
  export const jStat: { beta: { inv(p: number, a: number, b: number): number } };
}
