// CPU and memory of the nodes a scheduler runs. Nodes run in one process (libvips does its work on threads
// of it), so a node's figures are the process's while it ran; when nodes overlap they share them, and the
// record says so (exact per-node figures: -j 1). A command rule's program is measured on its own (run-command.ts).
import type { CommandUsage } from '../run/run-command.js';

const SAMPLE_MS = 50;

export interface NodeUsage {
  readonly cpuMs: number;
  readonly maxRssBytes: number;
  readonly cpuShared: boolean;
}

export class ResourceMeter {
  private readonly active = new Set<NodeMeter>();
  private timer: NodeJS.Timeout | undefined;

  start(): NodeMeter {
    const meter = new NodeMeter(() => this.stop(meter));
    if (this.active.size > 0) {
      meter.shared = true;
      for (const other of this.active) other.shared = true;
    }
    this.active.add(meter);
    this.timer ??= setInterval(() => this.sample(), SAMPLE_MS).unref();
    return meter;
  }

  private sample(): void {
    const rss = process.memoryUsage.rss();
    for (const meter of this.active) meter.maxRss = Math.max(meter.maxRss, rss);
  }

  private stop(meter: NodeMeter): void {
    this.active.delete(meter);
    if (this.active.size === 0 && this.timer !== undefined) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }
}

export class NodeMeter {
  shared = false;
  maxRss = process.memoryUsage.rss();
  private readonly cpu = process.cpuUsage();
  private commandCpuMs = 0;
  private commandRss = 0;

  constructor(private readonly onStop: () => void) {}

  /** What a command rule's program used (it runs outside our process, so it is its own and exact). */
  addCommand(usage: CommandUsage): void {
    this.commandCpuMs += usage.cpuMs;
    this.commandRss = Math.max(this.commandRss, usage.maxRssBytes);
  }

  finish(): NodeUsage {
    this.onStop();
    const cpu = process.cpuUsage(this.cpu);
    const own = Math.round((cpu.user + cpu.system) / 1000);
    return {
      cpuMs: own + this.commandCpuMs,
      maxRssBytes: Math.max(this.maxRss, process.memoryUsage.rss(), this.commandRss),
      cpuShared: this.shared,
    };
  }
}
