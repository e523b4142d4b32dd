/**
 * The labelling view's counter: how many distinct records were given a label in this
 * session (relabelling a record that had a label counts: the user labelled it), and how
 * many label saves the API confirmed (a record labelled twice is two saves).
 */
export interface SessionTally {
  labelled: ReadonlySet<string>;
  saves: number;
}

export const emptyTally = (): SessionTally => ({ labelled: new Set(), saves: 0 });

/** A label save the API confirmed. */
export function tallySaved(tally: SessionTally, recordId: string): SessionTally {
  return { labelled: new Set(tally.labelled).add(recordId), saves: tally.saves + 1 };
}

export function describeTally(tally: SessionTally): string {
  return `${tally.labelled.size} labelled this session · ${tally.saves} saved`;
}
