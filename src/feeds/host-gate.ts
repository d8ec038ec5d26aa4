// At most a few requests at once to any one host (a feed's image server is somebody else's machine): every
// download and metadata request of a build waits its turn here, whatever node it runs in.

/** Requests at once per host; IMGBUILD_FEED_CONNECTIONS changes it (1–32). */
function perHost(): number {
  const wanted = Number(process.env['IMGBUILD_FEED_CONNECTIONS'] ?? 4);
  return Number.isInteger(wanted) && wanted >= 1 && wanted <= 32 ? wanted : 4;
}

export class HostGate {
  private active = 0;
  private readonly waiting: Array<() => void> = [];
  constructor(readonly limit: number) {}

  /** How many requests are running now (for tests of the bound). */
  get running(): number {
    return this.active;
  }

  async run<T>(operation: () => Promise<T>): Promise<T> {
    // A freed slot passes straight to the next waiter (never back to the pool first, where a newcomer could
    // take it before the waiter wakes, and the limit be exceeded).
    if (this.active >= this.limit) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.active++;
    try {
      return await operation();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.active--;
    }
  }
}

const gates = new Map<string, HostGate>();

export function hostGate(url: string): HostGate {
  let host: string;
  try {
    host = new URL(url).host;
  } catch {
    host = '';
  }
  let gate = gates.get(host);
  if (!gate) {
    gate = new HostGate(perHost());
    gates.set(host, gate);
  }
  return gate;
}
