/** Content stored for requests that were then refused: released (unpinned) later if nothing uses it. */
export interface ContentReleaseQueue {
  /** Records that these CIDs may be released (a later request for the same CID moves it back). */
  request(cids: string[], at: string): Promise<void>;
  /** CIDs asked to be released before `before`, oldest first. */
  due(before: string, max: number): Promise<string[]>;
  forget(cid: string): Promise<void>;
}
