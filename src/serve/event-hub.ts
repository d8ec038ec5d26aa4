// The build's events for the review page's live progress (`GET /api/events`, server-sent events): the watcher or
// build in the same process publishes each event here; each open page receives it. The last events are kept so a
// page opened mid-build sees what is running.
import type { BuildEvent } from '../run/events.js';

const KEPT = 200;

export class EventHub {
  private readonly listeners = new Set<(event: BuildEvent) => void>();
  private readonly recent: BuildEvent[] = [];

  publish = (event: BuildEvent): void => {
    this.recent.push(event);
    if (this.recent.length > KEPT) this.recent.shift();
    for (const listener of this.listeners) listener(event);
  };

  /** Listen from now on, after the kept events are replayed; returns how to stop. */
  subscribe(listener: (event: BuildEvent) => void): () => void {
    for (const event of this.recent) listener(event);
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
